"""Registering dataset folders: what `ape run register` checks, builds, writes and sends.

The work is split so that nothing reaches the chain or the disk before everything is known
to be right:

1. pure checks of the command line (`parse_parents`, `check_lineage`, `match_licenses`,
   `plan_outputs`), testable without a chain;
2. `prepare`: hash the folder, read the contributors, build the tree and the Croissant
   metadata, all in memory;
3. chain reads (`check_parents`, `check_floors`, `find_registered`, `plan_batches`,
   `check_funds`): parents exist and are licensed, content not taken by someone else, every
   batch simulates, the account can pay the gas;
4. `write_outputs`, then `send_batch`, then `write_receipt` per asset.

When the registry asks for commitments (`MIN_COMMIT_AGE() > 0`, every public chain), step 4
is commit, wait, reveal: `seedbed.workflows.commitments`, which plans each reveal with
`plan_batch` here.

The chain functions take the ape contract objects as arguments (duck-typed) and only read,
except `send_batch`.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.atomic import write_atomic
from seedbed.core.constants import BPS, MAX_PARENTS
from seedbed.core.contributors import read_contributors
from seedbed.core.croissant import canonical_json, croissant
from seedbed.core.errors import ChainError, InputError
from seedbed.core.keccak import keccak
from seedbed.core.manifest import (
    Manifest,
    Progress,
    build_manifest,
    folder_rules,
    write_manifest,
)
from seedbed.core.treefile import ContributorTree
from seedbed.core.units import format_amount, parse_id, parse_share

MANIFEST_FILE = "manifest.json"
CROISSANT_FILE = "croissant.json"
TREE_FILE = "contributors.sbtree"
RECEIPT_FILE = "registration.json"
DEFAULT_OUT = ".seedbed"  # inside the folder; always excluded (manifest.OWN_OUTPUT)
NAME_SLOT = "{name}"
GAS_MARGIN = (6, 5)  # send with 20% more gas than estimated: state can move between the two
ZERO_SALT = bytes(32)  # the salt when commitments are off (the registry ignores it)

# -- parents and licenses (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class ParentLink:
    """A parent named at registration; `license_id` is 0 for a parent the registrant owns."""

    asset_id: int
    share_bps: int
    license_id: int = 0

    def as_args(self) -> tuple[int, int, int]:
        return (self.asset_id, self.share_bps, self.license_id)


def parse_parents(parents: Sequence[str], shares: Sequence[str]) -> list[tuple[int, int]]:
    """(asset id, share bps) of each `--parent ID[:SHARE]`; parents named without a share take
    the `--share` values in order, so their counts must match."""
    out: list[tuple[int, int | None]] = []
    for text in parents:
        ident, sep, share = text.partition(":")
        out.append((parse_id(ident, "a parent asset id"), parse_share(share) if sep else None))
    missing = sum(1 for _, share in out if share is None)
    if missing != len(shares):
        raise InputError(
            f"{missing} parent(s) have no inline share but {len(shares)} --share value(s) were "
            "given: give one --share per --parent, or write --parent ID:SHARE."
        )
    given = iter(parse_share(s) for s in shares)
    return [(pid, share if share is not None else next(given)) for pid, share in out]


def check_lineage(links: Sequence[tuple[int, int]]) -> None:
    """The registry's rules on a parent list, checked before anything is hashed."""
    if len(links) > MAX_PARENTS:
        raise InputError(f"{len(links)} parents given; an asset has at most {MAX_PARENTS}.")
    seen: set[int] = set()
    for pid, share in links:
        if pid in seen:
            raise InputError(f"Parent {pid} is named twice.")
        seen.add(pid)
        if not 0 < share <= BPS:
            raise InputError(f"The share of parent {pid} must be 1 to {BPS} bps, not {share}.")
    total = sum(share for _, share in links)
    if total > BPS:
        raise InputError(
            f"The parents' shares add up to {total} bps ({total / 100:g}%), over 100%."
        )


def match_licenses(
    parent_ids: Sequence[int], foreign: Iterable[int], licenses: Mapping[int, int]
) -> dict[int, int]:
    """Parent id -> license id, for each parent the registrant does not own.

    `licenses` maps each `--license` id to the asset it licenses: a license names its
    asset, so the order of `--license` options does not matter.
    """
    by_parent: dict[int, int] = {}
    for lic, asset_id in licenses.items():
        if asset_id not in parent_ids:
            raise InputError(f"License {lic} is for asset {asset_id}, which is not a parent here.")
        if asset_id in by_parent:
            raise InputError(
                f"Licenses {by_parent[asset_id]} and {lic} are both for parent {asset_id}; "
                "give one."
            )
        by_parent[asset_id] = lic
    foreign = set(foreign)
    for pid in parent_ids:
        if pid in foreign and pid not in by_parent:
            raise InputError(
                f"Parent {pid} is not yours: give --license with a DERIVE license you hold for it."
            )
        if pid not in foreign and pid in by_parent:
            raise InputError(
                f"You own parent {pid}: it needs no license (drop --license {by_parent[pid]})."
            )
    return by_parent


# -- folders and outputs (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where one folder's outputs go and what its metadata URI will be ("" for none)."""

    folder: Path
    name: str
    out_dir: Path
    metadata_uri: str
    contributors: Path | None

    @property
    def croissant_path(self) -> Path:
        return self.out_dir / CROISSANT_FILE


def plan_outputs(
    folders: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str] | None = None,
    uri_base: str | None = None,
    contributors: Sequence[str | os.PathLike[str]] = (),
) -> list[Target]:
    """One Target per folder; the names, output folders and URIs must all be distinct.

    Outputs go to `<folder>/.seedbed/`, or to `out` (one folder) / `out/<name>` (several).
    The metadata URI is `uri_base` + "croissant.json", with "{name}" in `uri_base` replaced
    by the folder's name (required with several folders). Without `uri_base` no URI is
    published (""): a path on the publisher's machine means nothing to anyone else, and the
    URI can be set later (`seedbed.workflows.assets.update_metadata`); the metadata hash is
    on chain either way. `contributors` gives no file, one for every folder, or one each.
    """
    if not folders:
        raise InputError("Name at least one folder to register.")
    several = len(folders) > 1
    if contributors and len(contributors) not in (1, len(folders)):
        raise InputError(
            f"{len(contributors)} --contributors files for {len(folders)} folders: give one "
            "for all, or one per folder in the same order."
        )
    if uri_base is not None and several and NAME_SLOT not in uri_base:
        raise InputError(
            f"With several folders, --uri-base must contain {NAME_SLOT} (replaced by each "
            "folder's name) so that every asset gets its own metadata URI."
        )
    targets: list[Target] = []
    for i, given in enumerate(folders):
        folder = Path(given)
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise InputError(f"The folder {folder} {what}.")
        name = folder.resolve().name
        if out is None:
            out_dir = folder / DEFAULT_OUT
        else:
            out_dir = Path(out) / name if several else Path(out)
            _check_outside(folder, out_dir)
        uri = "" if uri_base is None else uri_base.replace(NAME_SLOT, name) + CROISSANT_FILE
        if uri:
            check_uri(uri)
        people = Path(contributors[i if len(contributors) > 1 else 0]) if contributors else None
        targets.append(Target(folder, name, out_dir, uri, people))
    _check_distinct([t.folder.resolve() for t in targets], "folder {} is named twice")
    _check_distinct([t.out_dir.resolve() for t in targets], "two folders would write to {}")
    return targets


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:", re.ASCII)
MAX_URI = 2048  # bytes: a URI is calldata and a log; longer than any real address needs


def check_uri(uri: str) -> str:
    """A metadata URI others can fetch: a scheme, no spaces, not a file on this machine."""
    if not uri:
        raise InputError("The metadata URI is empty.")
    if not _SCHEME.match(uri):
        raise InputError(f"The metadata URI {uri!r} has no scheme (such as ipfs:// or https://).")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in uri):
        raise InputError(f"The metadata URI {uri!r} holds spaces or control characters.")
    if uri.lower().startswith("file:"):
        raise InputError(
            f"The metadata URI {uri} is a file on this machine, which no one else can read: "
            "publish the file (ipfs://, https://, ar://...) and give that URI."
        )
    if len(uri.encode("utf-8")) > MAX_URI:
        raise InputError(f"The metadata URI is longer than {MAX_URI} bytes.")
    return uri


def _check_outside(folder: Path, out_dir: Path) -> None:
    inside = folder.resolve()
    target = out_dir.resolve()
    if target.is_relative_to(inside) and not target.is_relative_to(inside / DEFAULT_OUT):
        raise InputError(
            f"The output folder {out_dir} is inside {folder}: its files would change the "
            f"content being registered (use {folder / DEFAULT_OUT} or a folder outside)."
        )


def _check_distinct(items: Sequence[object], message: str) -> None:
    seen: set[object] = set()
    for item in items:
        if item in seen:
            raise InputError(message.format(item).capitalize() + ".")
        seen.add(item)


@dataclass(frozen=True)
class Prepared:
    """One folder ready to register: everything hashed and built, nothing written yet."""

    target: Target
    kind: int
    manifest: Manifest
    tree: ContributorTree
    metadata: bytes  # the canonical Croissant JSON, exactly as it will be saved

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def content_root(self) -> bytes:
        return self.manifest.root

    @property
    def metadata_hash(self) -> bytes:
        return keccak(self.metadata)

    def register_args(
        self, links: Sequence[ParentLink], salt: bytes = ZERO_SALT
    ) -> tuple[Any, ...]:
        """The arguments of `AssetRegistry.register`, in order; `top` is the contributors
        root's preimage, from which the registry computes the root and the total."""
        return (
            self.kind,
            self.content_root,
            salt,
            [(bytes(h), int(w)) for h, w in self.tree.top()],
            self.target.metadata_uri,
            self.metadata_hash,
            [link.as_args() for link in links],
        )


def prepare(
    target: Target,
    *,
    kind: int,
    spdx: str,
    publisher: str,
    name: str | None = None,
    description: str | None = None,
    progress: Progress | None = None,
    excludes: Sequence[str] = (),
    default_excludes: bool = True,
    symlinks: str = "refuse",
) -> Prepared:
    """Hash the folder and build its contributors tree and metadata, in memory only.

    Without a contributors file, the publisher alone is the contributor, with weight 1.
    The exclude rules are `folder_rules` of the folder with `excludes` last (so they win);
    the manifest records them and what they left out.
    """
    if target.contributors is not None:
        weights = read_contributors(target.contributors)
    else:
        weights = {parse_address(publisher): 1}
    rules = folder_rules(target.folder, excludes, defaults=default_excludes)
    manifest = build_manifest(target.folder, progress=progress, rules=rules, symlinks=symlinks)
    tree = ContributorTree.build(weights)
    title = name or target.name
    text = description or f"{title}, registered on Seedbed with {manifest.count} files."
    doc = croissant(manifest, title, text, spdx)
    return Prepared(target, kind, manifest, tree, canonical_json(doc))


def check_distinct_content(items: Sequence[Prepared]) -> None:
    """Two folders with the same files would be the same asset: refuse before sending."""
    seen: dict[bytes, Path] = {}
    for item in items:
        other = seen.setdefault(item.content_root, item.target.folder)
        if other != item.target.folder:
            raise InputError(
                f"{other} and {item.target.folder} hold the same files (content root "
                f"0x{item.content_root.hex()}): one asset cannot be registered twice."
            )


def write_outputs(item: Prepared) -> None:
    """Save the manifest, the contributors tree and the Croissant file, each atomically."""
    out_dir = item.target.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"Cannot create the folder {out_dir}: {err.strerror or err}.") from err
    write_manifest(item.manifest, out_dir / MANIFEST_FILE)
    item.tree.save(out_dir / TREE_FILE)
    write_atomic(item.target.croissant_path, item.metadata)


def write_receipt(item: Prepared, asset_id: int, tx_hash: str, chain_id: int) -> None:
    """Record where the asset landed, next to its manifest and tree."""
    record = {
        "chain_id": chain_id,
        "asset_id": asset_id,
        "transaction": tx_hash,
        "content_root": "0x" + item.content_root.hex(),
        "contributors_root": "0x" + item.tree.root.hex(),
        "total_weight": item.tree.total,
        "contributors": item.tree.count,
        "metadata_uri": item.target.metadata_uri,
        "metadata_hash": "0x" + item.metadata_hash.hex(),
        "registered_at": int(time.time()),
    }
    text = json.dumps(record, indent=2) + "\n"
    write_atomic(item.target.out_dir / RECEIPT_FILE, text.encode())


def batches(items: Sequence[Any], size: int) -> list[list[Any]]:
    """`items` cut into lists of at most `size`, in order."""
    if size < 1:
        raise InputError(f"The batch size must be at least 1, not {size}.")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# -- chain reads -----------------------------------------------------------------------------


def same_address(a: Any, b: Any) -> bool:
    """Whether two addresses are the same, whatever their case."""
    return str(a).lower() == str(b).lower()


def check_parents(
    registry: Any,
    license_token: Any,
    account: str,
    links: Sequence[tuple[int, int]],
    licenses: Sequence[int],
) -> list[ParentLink]:
    """Parents exist; each one the account does not own has a valid DERIVE license it holds,
    and is given at least the share that license's terms ask for."""
    count = int(registry.assetCount())
    for pid, _ in links:
        if pid > count:
            raise ChainError(f"Parent asset {pid} does not exist ({count} assets registered).")
    if len(set(licenses)) != len(licenses):
        raise InputError("A --license is given twice.")
    known = int(license_token.licenseCount())
    for lic in licenses:
        if lic > known:
            raise ChainError(f"License {lic} does not exist ({known} licenses sold).")
    licensed = {lic: int(license_token.license(lic).terms.assetId) for lic in licenses}
    foreign = [pid for pid, _ in links if not same_address(registry.ownerOf(pid), account)]
    chosen = match_licenses([pid for pid, _ in links], foreign, licensed)
    out: list[ParentLink] = []
    for pid, share in links:
        lic = chosen.get(pid, 0)
        if lic:
            _check_derive(license_token, account, pid, share, lic)
        out.append(ParentLink(pid, share, lic))
    return out


def _check_derive(license_token: Any, account: str, pid: int, share: int, lic: int) -> None:
    ok, minimum = license_token.checkDerive(lic, account, pid)
    if not ok:
        view = license_token.license(lic)
        if not same_address(view.holder, account):
            why = f"is held by {view.holder}, not by {account}"
        elif getattr(view, "derived", False):
            why = "has registered its derivative already (a DERIVE license registers one)"
        elif not view.valid:
            why = "has expired or used up its units"
        elif not int(view.terms.scopes) & int(license_token.DERIVE()):
            why = "does not carry the DERIVE scope"
        else:
            why = "is not valid for deriving"
        raise ChainError(f"License {lic} for parent {pid} {why}.")
    if share < int(minimum):
        raise InputError(
            f"Parent {pid}'s license asks for at least {minimum} bps upstream; "
            f"the share given is {share} bps."
        )


def check_floors(registry: Any, links: Sequence[ParentLink]) -> None:
    """Each parent gets at least its floor: the share its own ancestors' minimums require
    through it (the registry refuses less, `AssetRegistryShareBelowMinimum`)."""
    for link in links:
        floor = int(getattr(registry.asset(link.asset_id), "floorBps", 0))
        if link.share_bps < floor:
            raise InputError(
                f"Parent {link.asset_id} must receive at least {floor} bps (its ancestors' "
                f"minimum shares hold through it); the share given is {link.share_bps} bps."
            )


def check_license_uses(links: Sequence[ParentLink], count: int) -> None:
    """A DERIVE license registers one derivative: several folders cannot share one."""
    used = [link.license_id for link in links if link.license_id]
    if used and count > 1:
        raise InputError(
            f"License {used[0]} registers one derivative, and {count} folders name its parent "
            "here: register them one at a time, each with its own license."
        )


def find_registered(registry: Any, account: str, items: Sequence[Prepared]) -> dict[Path, int]:
    """Folder -> asset id of those already registered by `account` (a re-run resumes).

    Content registered by anyone else is an error: it is their asset, not a new one.
    """
    done: dict[Path, int] = {}
    for item in items:
        asset_id = int(registry.assetIdOf(item.content_root))
        if asset_id == 0:
            continue
        owner = registry.ownerOf(asset_id)
        if not same_address(owner, account):
            raise ChainError(
                f"The content of {item.target.folder} is already registered as asset "
                f"{asset_id}, owned by {owner}."
            )
        done[item.target.folder] = asset_id
    return done


@dataclass(frozen=True)
class Batch:
    """One transaction: a plain `register` for one asset, `multicall` for several (or for a
    reveal under a commitment of several leaves: `openCommitment` first)."""

    items: list[Prepared]
    calldata: list[bytes]
    args: tuple[Any, ...] | None  # register's arguments when the batch is a plain register
    gas_limit: int


def plan_batches(
    registry: Any,
    account: Any,
    items: Sequence[Prepared],
    links: Sequence[ParentLink],
    size: int,
    describe: Callable[[BaseException], str],
) -> list[Batch]:
    """Simulate every batch (gas estimate) so that a refusal shows before anything is sent."""
    return [plan_batch(registry, account, group, links, describe) for group in batches(items, size)]


def plan_batch(
    registry: Any,
    account: Any,
    items: Sequence[Prepared],
    links: Sequence[ParentLink],
    describe: Callable[[BaseException], str],
    *,
    salts: Mapping[bytes, bytes] | None = None,
    opening: Sequence[bytes] = (),
) -> Batch:
    """One batch, simulated. A reveal gives each content root's salt and, when its
    commitment holds several leaves, the `openCommitment` call that goes first."""
    from ape.exceptions import ContractLogicError

    arglists = [
        item.register_args(links, ZERO_SALT if salts is None else salts[item.content_root])
        for item in items
    ]
    data = [*opening, *(bytes(registry.register.encode_input(*args)) for args in arglists)]
    plain = arglists[0] if len(data) == 1 else None
    handler, args = (registry.register, plain) if plain else (registry.multicall, (data,))
    try:
        gas = _estimate(handler, args, account, reveal=salts is not None)
    except ContractLogicError as err:
        names = ", ".join(item.name for item in items)
        raise ChainError(f"The registry would refuse {names}: {describe(err)}") from err
    return Batch(list(items), data, plain, with_margin(gas))


def _estimate(handler: Any, args: Sequence[Any], account: Any, reveal: bool) -> int:
    """Gas for one call. A zero gas price keeps the node from capping the estimate at what
    the balance pays for: a poor account should hear about its balance (check_funds), not
    "out of gas". A reveal is estimated on the pending block, the one it is sent for: a
    chain that makes blocks only for transactions (anvil) keeps an old latest block, whose
    time would find the commitment too young."""
    from ape.exceptions import ApeException, ContractLogicError

    if reveal:
        provider = handler.contract.provider
        # An explicit limit (the block's) keeps ape from estimating on the latest block.
        tx = handler.as_transaction(*args, sender=account, gas_price=0, gas_limit=provider.max_gas)
        try:
            return int(provider.estimate_gas_cost(tx, block_id="pending"))
        except ContractLogicError:
            raise
        except (ApeException, ValueError):
            pass  # a node without a pending block: its latest block is the one to ask
    return int(handler.estimate_gas_cost(*args, sender=account, gas_price=0))


def with_margin(gas: Any) -> int:
    """The gas limit to send with: the estimate and GAS_MARGIN more."""
    return math.ceil(int(gas) * GAS_MARGIN[0] / GAS_MARGIN[1])


def fee_of(tx: Any) -> int:
    """The fee per gas ape will offer: the provider fills it in while preparing `tx`."""
    return int(getattr(tx, "max_fee", None) or getattr(tx, "gas_price", None) or 0)


def require_balance(account: Any, cost: int, what: str) -> None:
    """An error naming `what` when the account holds less than `cost` (wei)."""
    balance = int(account.balance)
    if balance < cost:
        raise ChainError(
            f"{account.address} holds {format_amount(balance)} but {what} may cost up to "
            f"{format_amount(cost)} in gas."
        )


def check_funds(registry: Any, account: Any, plan: Sequence[Batch]) -> int:
    """The most the batches can cost (gas limit x max fee); an error if the account holds less."""
    if not plan:
        return 0
    batch = plan[0]
    if batch.args is not None:
        tx = registry.register.as_transaction(*batch.args, gas_limit=batch.gas_limit)
    else:
        tx = registry.multicall.as_transaction(batch.calldata, gas_limit=batch.gas_limit)
    cost = sum(b.gas_limit for b in plan) * fee_of(tx)
    require_balance(account, cost, "registering")
    return cost


def send_batch(registry: Any, account: Any, batch: Batch) -> tuple[str, dict[bytes, int]]:
    """Send one batch; return the transaction hash and content root -> new asset id."""
    if batch.args is not None:
        receipt = registry.register(*batch.args, sender=account, gas_limit=batch.gas_limit)
    else:
        receipt = registry.multicall(batch.calldata, sender=account, gas_limit=batch.gas_limit)
    ids = {
        bytes(log.contentRoot): int(log.assetId)
        for log in receipt.events.filter(registry.AssetRegistered)
    }
    missing = [item.name for item in batch.items if item.content_root not in ids]
    if missing:
        raise ChainError(f"Transaction {receipt.txn_hash} registered no asset for {missing[0]}.")
    return str(receipt.txn_hash), ids


# -- verify ----------------------------------------------------------------------------------


def saved_manifest(folder: Path, manifest: str | os.PathLike[str] | None) -> Path | None:
    """The manifest to compare per file: the one given, or `<folder>/.seedbed/manifest.json`."""
    if manifest is not None:
        path = Path(manifest)
        if not path.is_file():
            raise InputError(f"The manifest {path} does not exist.")
        return path
    default = folder / DEFAULT_OUT / MANIFEST_FILE
    return default if default.is_file() else None


RECEIVER_CHECK_LIMIT = 10_000  # contributors checked per asset (one batched RPC per 500)


def refusing_receivers(provider: Any, vault: str, tree: ContributorTree) -> tuple[list[str], int]:
    """(contributors that are contracts refusing ETH from the vault, how many were not
    checked): their ETH claims would revert. A token's blocklist cannot be known in general."""
    from seedbed.chain.rpc import Rpc, RpcError

    rpc = Rpc(provider)
    addresses = ["0x" + a.hex() for a, _w in tree.items()][:RECEIVER_CHECK_LIMIT]
    codes = rpc.batch([("eth_getCode", [a, "latest"]) for a in addresses])
    contracts = [
        a
        for a, c in zip(addresses, codes, strict=True)
        if isinstance(c, str) and c not in ("0x", "0x0")
    ]
    calls = [("eth_call", [{"from": vault, "to": a, "value": "0x1"}, "latest"]) for a in contracts]
    refused = [
        a for a, r in zip(contracts, rpc.batch(calls), strict=True) if isinstance(r, RpcError)
    ]
    return [to_checksum_address(bytes.fromhex(a[2:])) for a in refused], max(
        tree.count - RECEIVER_CHECK_LIMIT, 0
    )
