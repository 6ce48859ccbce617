"""The suite's contract ABIs as shipped inside the package (seedbed/chain/abi/, written by
`make abi` from the build and checked in `make lint`), so an installed seedbed talks to a
deployment from any folder, with no Solidity project or compiler. It offers what `Suite`
and the audit take from ape's project: `contracts.AssetRegistry.at(address)` and
`contracts.AssetRegistry.contract_type`."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from seedbed.core.errors import SeedbedError

ABI_DIR = Path(__file__).with_name("abi")
NAMES = (
    "AssetRegistry",
    "RoyaltyVault",
    "LicenseToken",
    "UsageMeter",
    "AssetCourt",
    "PanelArbiter",
    "PrivateData",
    "LabelCampaigns",
    "Attestations",
)


class PackagedContracts:
    def __getattr__(self, name: str) -> Any:
        if name not in NAMES:
            raise AttributeError(name)
        return _container(name)


@functools.cache
def _container(name: str) -> Any:
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    path = ABI_DIR / f"{name}.json"
    try:
        abi = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SeedbedError(f"The package's ABI {path} cannot be read: {err}.") from None
    return ContractContainer(ContractType.model_validate({"contractName": name, "abi": abi}))
