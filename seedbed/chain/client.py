"""The deployed suite behind one small object the scripts and tests share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.chain.deploy import ORDER, load_record, record_path
from seedbed.core.errors import ChainError

ETH = "0x0000000000000000000000000000000000000000"


@dataclass
class Suite:
    registry: Any
    vault: Any
    license: Any
    meter: Any
    record: dict[str, Any]
    court: Any = None
    private: Any = None  # PrivateData: seals, key services, key grants
    campaigns: Any = None  # LabelCampaigns: labeling campaigns' pools, results, claims
    attestations: Any = None  # Attestations: validators' anchors, revocations, sets, certificates

    @property
    def chain_id(self) -> int:
        return int(self.record["chain_id"])

    @property
    def addresses(self) -> dict[str, str]:
        return {name: self.record["contracts"][name]["address"] for name in ORDER}

    @classmethod
    def from_record(cls, project: Any, chain: Any, record: dict[str, Any]) -> Suite:
        contracts = record["contracts"]
        for name in ORDER:
            if name not in contracts:
                raise ChainError(
                    f"The deployment record for chain {chain.chain_id} has no {name}: it was "
                    "written by an older Seedbed; run `ape run deploy` again."
                )
            address = contracts[name]["address"]
            if len(chain.provider.get_code(address)) == 0:
                raise ChainError(
                    f"No {name} code at {address} on chain {chain.chain_id}: the deployment "
                    "record is stale (a fresh local chain?); run `ape run deploy` first."
                )
        return cls(
            registry=project.AssetRegistry.at(contracts["AssetRegistry"]["address"]),
            vault=project.RoyaltyVault.at(contracts["RoyaltyVault"]["address"]),
            license=project.LicenseToken.at(contracts["LicenseToken"]["address"]),
            meter=project.UsageMeter.at(contracts["UsageMeter"]["address"]),
            record=record,
            court=project.AssetCourt.at(contracts["AssetCourt"]["address"]),
            private=project.PrivateData.at(contracts["PrivateData"]["address"]),
            campaigns=project.LabelCampaigns.at(contracts["LabelCampaigns"]["address"]),
            attestations=project.Attestations.at(contracts["Attestations"]["address"]),
        )

    @classmethod
    def load(cls, project: Any, chain: Any, folder: Path | None = None) -> Suite:
        """The suite recorded for the connected chain, checked to be there."""
        record = load_record(chain.chain_id, folder)
        if record is None:
            raise ChainError(
                f"No Seedbed deployment recorded for chain {chain.chain_id} "
                f"({record_path(chain.chain_id, folder)}); run `ape run deploy` first."
            )
        return cls.from_record(project, chain, record)


def require_asset(suite: Suite, asset_id: int) -> None:
    """One clear error for an asset id that does not exist."""
    if not 0 < asset_id <= suite.registry.assetCount():
        raise ChainError(f"Asset {asset_id} does not exist on chain {suite.chain_id}.")
