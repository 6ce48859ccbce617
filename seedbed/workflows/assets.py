"""Registered assets after registration: their facts, metadata URI, listing, and proofs.

What `ape run assets`, `metadata`, `delist`, `relist` and `proof` call. Every check a user
can fail (unknown asset, not the owner, bad URI, missing or foreign file) runs before
anything is sent; the functions take the ape contract objects (duck-typed) and only read,
except `update_metadata` and `set_listing`.

The registry keeps the metadata URI and hash in its logs only (AssetRegistered, then
MetadataChanged), so they are read from there: the last one of an asset is its current one.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.constants import KINDS
from seedbed.core.croissant import metadata_hash
from seedbed.core.errors import ChainError, InputError
from seedbed.core.sumtree import proof_as_contract_args, verify_sum_proof
from seedbed.core.treefile import ContributorTree
from seedbed.core.units import parse_id
from seedbed.workflows.registration import DEFAULT_OUT, MANIFEST_FILE, TREE_FILE, check_uri

__all__ = [
    "AssetFacts",
    "Metadata",
    "check_authorized",
    "current_metadata",
    "export_proof",
    "find_tree",
    "list_assets",
    "metadata_from_logs",
    "metadata_of_file",
    "parse_asset",
    "read_asset",
    "require_asset",
    "set_listing",
    "update_metadata",
]

KIND_NAMES = {value: name for name, value in KINDS.items()}
CLAIM_SIGNATURE = "claim(uint256,address,address,uint96,(bytes32,uint256)[])"


def parse_asset(text: str) -> int:
    return parse_id(text, "an asset id")


def _same(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


def _hex(raw: Any) -> str:
    return "0x" + bytes(raw).hex()


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metadata:
    """An asset's current metadata URI ("" for none) and hash, from the registry's logs."""

    uri: str
    hash: bytes


@dataclass(frozen=True)
class ParentFact:
    asset_id: int
    share_bps: int
    upstream_bps: int  # the parent's own upstream share when the edge was made


@dataclass(frozen=True)
class AssetFacts:
    """What the registry states about one asset."""

    asset_id: int
    kind: str
    owner: str
    content_root: bytes
    contributors_root: bytes
    total_weight: int
    upstream_bps: int
    parents: tuple[ParentFact, ...]
    delisted: bool
    created_at: int
    metadata: Metadata | None = None

    @property
    def created(self) -> str:
        when = datetime.datetime.fromtimestamp(self.created_at, datetime.UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.asset_id,
            "kind": self.kind,
            "owner": self.owner,
            "contentRoot": "0x" + self.content_root.hex(),
            "contributorsRoot": "0x" + self.contributors_root.hex(),
            "totalWeight": str(self.total_weight),
            "upstreamBps": self.upstream_bps,
            "parents": [
                {"id": p.asset_id, "shareBps": p.share_bps, "upstreamBps": p.upstream_bps}
                for p in self.parents
            ],
            "delisted": self.delisted,
            "createdAt": self.created_at,
            "created": self.created,
        }
        if self.metadata is not None:
            data["metadataURI"] = self.metadata.uri
            data["metadataHash"] = "0x" + self.metadata.hash.hex()
        return data

    def line(self) -> str:
        """One line for a terminal."""
        parents = ", ".join(f"{p.asset_id} ({p.share_bps / 100:g}%)" for p in self.parents)
        parts = [
            f"asset {self.asset_id}: {self.kind}",
            f"owner {self.owner}",
            f"content root 0x{self.content_root.hex()}",
            f"contributors root 0x{self.contributors_root.hex()} "
            f"(total weight {self.total_weight})",
            f"parents {parents}" if parents else "no parents",
            "delisted" if self.delisted else "listed",
            f"created {self.created}",
        ]
        if self.metadata is not None:
            parts.append(f"metadata {self.metadata.uri or '(no URI)'}")
        return ", ".join(parts)


def require_asset(registry: Any, asset_id: int) -> None:
    count = int(registry.assetCount())
    if not 0 < asset_id <= count:
        raise ChainError(f"Asset {asset_id} does not exist ({count} assets registered).")


def read_asset(registry: Any, asset_id: int, metadata: Metadata | None = None) -> AssetFacts:
    """The facts of one existing asset (call `require_asset` first)."""
    view = registry.asset(asset_id)
    parents: tuple[ParentFact, ...] = ()
    if int(view.parentCount):
        parents = tuple(
            ParentFact(int(p.assetId), int(p.shareBps), int(p.upstreamBps))
            for p in registry.parents(asset_id)
        )
    kind = int(view.kind)
    return AssetFacts(
        asset_id=asset_id,
        kind=KIND_NAMES.get(kind, str(kind)),
        owner=to_checksum_address(parse_address(str(view.owner))),
        content_root=bytes(view.contentRoot),
        contributors_root=bytes(view.contributorsRoot),
        total_weight=int(view.totalWeight),
        upstream_bps=int(view.upstreamBps),
        parents=parents,
        delisted=bool(view.delisted),
        created_at=int(view.createdAt),
        metadata=metadata,
    )


def list_assets(
    registry: Any, owner: str | None = None, metadata: dict[int, Metadata] | None = None
) -> list[AssetFacts]:
    """Every asset, or those `owner` holds, by id."""
    want = parse_address(owner) if owner is not None else None
    out: list[AssetFacts] = []
    for asset_id in range(1, int(registry.assetCount()) + 1):
        if want is not None and parse_address(str(registry.ownerOf(asset_id))) != want:
            continue
        out.append(read_asset(registry, asset_id, (metadata or {}).get(asset_id)))
    return out


def _order(log: Any) -> tuple[int, int]:
    return int(log.block_number or 0), int(log.log_index or 0)


def metadata_from_logs(registered: Sequence[Any], changed: Sequence[Any]) -> dict[int, Metadata]:
    """Asset id -> its latest metadata, from AssetRegistered and MetadataChanged logs."""
    latest: dict[int, tuple[tuple[int, int], Metadata]] = {}
    for log in [*registered, *changed]:
        asset_id = int(log.assetId)
        seen = latest.get(asset_id)
        if seen is None or _order(log) >= seen[0]:
            entry = Metadata(str(log.metadataURI), bytes(log.metadataHash))
            latest[asset_id] = (_order(log), entry)
    return {asset_id: entry for asset_id, (_, entry) in latest.items()}


def current_metadata(registry: Any, chain: Any, start: int, asset_id: int | None = None) -> Any:
    """Asset id -> Metadata, read from the registry's logs from block `start` (one asset's
    logs only when `asset_id` is given)."""
    stop = chain.blocks.height + 1
    topics = {"assetId": asset_id} if asset_id is not None else None
    registered = list(registry.AssetRegistered.range(start, stop, search_topics=topics))
    changed = list(registry.MetadataChanged.range(start, stop, search_topics=topics))
    return metadata_from_logs(registered, changed)


# -- changing --------------------------------------------------------------------------------


def check_authorized(registry: Any, asset_id: int, account: str) -> None:
    """The account may change the asset: its owner, or approved by the owner (ERC-721)."""
    require_asset(registry, asset_id)
    owner = str(registry.ownerOf(asset_id))
    if _same(owner, account):
        return
    if _same(registry.getApproved(asset_id), account) or registry.isApprovedForAll(owner, account):
        return
    raise ChainError(
        f"Asset {asset_id} is owned by {owner}, not by {account}: only its owner (or an "
        "account it approved) can change it."
    )


def metadata_of_file(path: str | os.PathLike[str], content_root: bytes | None = None) -> bytes:
    """The metadata hash of a Croissant file, computed as register computes it (keccak of the
    canonical JSON); the file must describe `content_root` if it names one."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise InputError(f"Cannot read the metadata file {file}: {err.strerror or err}.") from err
    digest = metadata_hash(raw)
    named = json.loads(raw).get("seedbed:contentRoot")
    if content_root is not None and named is not None and named != "0x" + content_root.hex():
        raise InputError(
            f"{file} describes the content root {named}, not the asset's 0x{content_root.hex()}."
        )
    return digest


def update_metadata(
    registry: Any, account: Any, asset_id: int, uri: str, digest: bytes, current: Metadata | None
) -> str:
    """Point the asset at new metadata; returns the transaction hash."""
    check_uri(uri)
    check_authorized(registry, asset_id, account.address)
    if current is not None and current == Metadata(uri, digest):
        raise InputError(f"Asset {asset_id} already has this metadata URI and hash.")
    receipt = registry.updateMetadata(asset_id, uri, digest, sender=account)
    return str(receipt.txn_hash)


def set_listing(registry: Any, account: Any, asset_id: int, listed: bool) -> str:
    """Delist (`listed=False`) or relist an asset; returns the transaction hash."""
    check_authorized(registry, asset_id, account.address)
    if bool(registry.isListed(asset_id)) == listed:
        state = "listed" if listed else "delisted"
        raise InputError(f"Asset {asset_id} is already {state}.")
    receipt = registry.setDelisted(asset_id, not listed, sender=account)
    return str(receipt.txn_hash)


# -- proofs ----------------------------------------------------------------------------------


def find_tree(
    tree: str | os.PathLike[str] | None,
    manifest: str | os.PathLike[str] | None = None,
    folder: str | os.PathLike[str] | None = None,
) -> Path:
    """The tree file: the one given, or the one saved next to the manifest (given, or the
    folder's `.seedbed/manifest.json`)."""
    if tree is not None:
        path = Path(tree)
        if not path.is_file():
            raise InputError(f"The tree file {path} does not exist.")
        return path
    if manifest is None and folder is None:
        raise InputError(
            "Name the contributors tree: --tree FILE, or --manifest FILE / --folder DIR to use "
            f"the {TREE_FILE} saved next to the manifest."
        )
    beside = (
        Path(manifest)
        if manifest is not None
        else Path(folder or ".") / DEFAULT_OUT / MANIFEST_FILE
    )
    path = beside.parent / TREE_FILE
    if not path.is_file():
        raise InputError(f"No {TREE_FILE} next to {beside} (looked for {path}).")
    return path


def export_proof(
    registry: Any,
    vault_address: str,
    chain_id: int,
    asset_id: int,
    tree: ContributorTree,
    account: str,
    source: str,
) -> dict[str, Any]:
    """One contributor's proof as JSON, checked against the asset's on-chain root first."""
    require_asset(registry, asset_id)
    root, total = registry.contributors(asset_id)
    root, total = bytes(root), int(total)
    if (tree.root, tree.total) != (root, total):
        raise InputError(
            f"{source} is not asset {asset_id}'s contributors tree: its root is "
            f"0x{tree.root.hex()} (total {tree.total}), the chain's 0x{root.hex()} "
            f"(total {total})."
        )
    raw = parse_address(account)
    weight, proof = tree.proof(raw)
    nodes = proof_as_contract_args(proof)
    who = to_checksum_address(raw)
    if not verify_sum_proof(raw, weight, proof, root, total) or not registry.verifyContributor(
        asset_id, who, weight, nodes
    ):
        raise ChainError(f"The proof of {who} does not verify against asset {asset_id}.")
    view = registry.asset(asset_id)
    rows = [{"hash": "0x" + h.hex(), "sum": str(s)} for h, s in nodes]
    return {
        "asset": asset_id,
        "chainId": chain_id,
        "registry": str(registry.address),
        "contentRoot": _hex(view.contentRoot),
        "contributorsRoot": "0x" + root.hex(),
        "totalWeight": str(total),
        "account": who,
        "weight": str(weight),
        "proof": rows,
        "claim": {
            "contract": vault_address,
            "function": CLAIM_SIGNATURE,
            "args": [asset_id, "<currency>", who, str(weight), rows],
            "note": (
                "Call RoyaltyVault.claim(asset, currency, account, weight, proof) with currency "
                "0x0000000000000000000000000000000000000000 for ETH or an ERC-20 address; "
                "anyone may send it and the money always goes to account. "
                "RoyaltyVault.claimable(...) with the same arguments shows the amount first. "
                "Weights and sums are decimal strings (they can exceed 2**53)."
            ),
        },
    }
