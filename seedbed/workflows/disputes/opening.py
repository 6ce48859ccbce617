"""Opening a dispute: a subjective claim (bonded, for the arbiter), a duplicate-content claim
(two file proofs built from the folders' registered manifests) and a prior-commitment claim
(from the claimant's own pending registration file). Each checks, before anything is sent,
every condition the court checks, so a claim that cannot stand costs nothing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite, require_asset
from seedbed.core.errors import ChainError, InputError
from seedbed.core.manifest import FileEntry, Manifest, read_manifest
from seedbed.workflows.commitments import load_pending, registration_leaf
from seedbed.workflows.disputes.facts import (
    COMMAND,
    PRIOR,
    REASON_NAMES,
    STATUS_NONE,
    STATUS_UPHELD,
    Court,
    checksum,
    court_of,
    lineage_path,
    now_of,
    read_dispute,
    same,
    send,
    walk,
    when,
)
from seedbed.workflows.registration import DEFAULT_OUT, MANIFEST_FILE

_HASH = re.compile(r"0x[0-9a-fA-F]{64}", re.ASCII)


@dataclass(frozen=True)
class Evidence:
    """The evidence hash and where it came from ("given", or "sha256 of FILE")."""

    digest: bytes
    source: str


def evidence_of(text: str) -> Evidence:
    """A 0x-prefixed 32-byte hash as given, or the sha256 of the file at `text` (what
    `sha256sum` prints, so anyone holding the file can check it)."""
    cleaned = text.strip()
    if _HASH.fullmatch(cleaned):
        digest = bytes.fromhex(cleaned[2:])
        if not any(digest):
            raise InputError(
                "The evidence hash is zero: give the hash of the evidence, or its file."
            )
        return Evidence(digest, "given")
    path = Path(text)
    if not path.is_file():
        raise InputError(
            f"--evidence {text!r} is neither a file nor a 32-byte hash (0x and 64 hex digits)."
        )
    h = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
    except OSError as err:
        raise InputError(f"Cannot read the evidence file {path}: {err.strerror or err}.") from err
    return Evidence(h.digest(), f"sha256 of {path}")


@dataclass(frozen=True)
class Opened:
    """A dispute just opened (a prior-commitment claim is upheld in the same transaction)."""

    dispute_id: int
    kind: str
    asset_id: int
    beneficiary: int
    claimant: str
    bond: int
    fee: int
    evidence: bytes
    evidence_source: str
    answer_deadline: int
    upheld: bool
    tx: str


def require_openable(suite: Suite, asset_id: int, what: str = "Asset") -> Any:
    """The asset's view, if it exists and is neither disputed nor taken down."""
    require_asset(suite, asset_id)
    view = suite.registry.asset(asset_id)
    status = int(view.status)
    if status == STATUS_NONE:
        return view
    dispute_id = int(suite.court.disputeOf(asset_id))
    d = read_dispute(suite, dispute_id)
    if status == STATUS_UPHELD:
        raise ChainError(
            f"{what} {asset_id} was taken down already (dispute {dispute_id}, {d.kind_name}, "
            "upheld): there is nothing left to dispute."
        )
    raise ChainError(
        f"{what} {asset_id} is under dispute already: dispute {dispute_id} ({d.kind_name}, "
        f"{d.state_name}, opened by {d.claimant} at {when(d.opened_at)}); an asset has one "
        f"dispute at a time (see `{COMMAND} show --dispute {dispute_id}`)."
    )


def _beneficiary(suite: Suite, asset_id: int, beneficiary: int, owner: str | None = None) -> None:
    if beneficiary == 0:
        return
    if beneficiary == asset_id:
        raise InputError(f"--beneficiary cannot be asset {asset_id} itself, the disputed asset.")
    require_asset(suite, beneficiary)
    if owner is not None and not same(suite.registry.ownerOf(beneficiary), owner):
        raise InputError(
            f"--beneficiary {beneficiary} is not yours: a prior-commitment claim can only "
            f"send the revenue to an asset of the claimant {owner}."
        )


def _opened(suite: Suite, court: Court, receipt: Any, evidence: Evidence) -> Opened:
    log = receipt.events.filter(suite.court.DisputeOpened)[0]
    d = read_dispute(suite, int(log.disputeId))
    return Opened(
        dispute_id=d.dispute_id,
        kind=d.kind_name,
        asset_id=d.asset_id,
        beneficiary=d.beneficiary,
        claimant=d.claimant,
        bond=0 if d.kind == PRIOR else court.bond,
        fee=d.fee,
        evidence=d.evidence,
        evidence_source=evidence.source,
        answer_deadline=d.answer_deadline(court),
        upheld=d.kind == PRIOR,
        tx=str(receipt.txn_hash),
    )


def open_subjective(
    suite: Suite,
    chain: Any,
    account: Any,
    asset_id: int,
    reason: int,
    evidence: Evidence,
    beneficiary: int = 0,
) -> Opened:
    """A bonded claim for the arbiter: BOND + the arbiter's fee, in ETH."""
    if reason not in REASON_NAMES:
        raise InputError(f"{reason} is not a reason: use 1 (infringement), 2 (licence breach), 3.")
    require_openable(suite, asset_id)
    _beneficiary(suite, asset_id, beneficiary)
    court = court_of(suite)
    args = (asset_id, reason, evidence.digest, beneficiary)
    receipt = send(
        suite.court, "openSubjective", *args, account=account,
        value=court.bond + court.fee, what="the claim's bond and ruling fee",
    )  # fmt: skip
    return _opened(suite, court, receipt, evidence)


# -- duplicate content ------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedFile:
    """One file in both assets: its entry in each manifest (same sha256 and size)."""

    earlier: FileEntry
    later: FileEntry

    @property
    def size(self) -> int:
        return self.earlier.size


def registered_manifest(folder: Path, asset_id: int, content_root: bytes) -> Manifest:
    """The manifest `ape run register` saved in the folder, checked to be the asset's."""
    if not folder.is_dir():
        state = "is not a folder" if folder.exists() else "does not exist"
        raise InputError(f"The folder {folder} {state}.")
    path = folder / DEFAULT_OUT / MANIFEST_FILE
    if not path.is_file():
        raise InputError(
            f"{folder} has no {DEFAULT_OUT}/{MANIFEST_FILE} (the manifest `ape run register` "
            f"saves): the file proofs of asset {asset_id} are built from it."
        )
    manifest = read_manifest(path)
    if manifest.root != bytes(content_root):
        raise InputError(
            f"{path} is not asset {asset_id}'s manifest: its root is 0x{manifest.root.hex()}, "
            f"the asset's content root 0x{bytes(content_root).hex()}."
        )
    return manifest


def shared_files(earlier: Manifest, later: Manifest) -> list[SharedFile]:
    """One pair per content (sha256 and size) found in both, the largest first (then by the
    earlier asset's path); the same path in both is preferred for a content held twice."""
    in_later: dict[tuple[bytes, int], list[FileEntry]] = {}
    for f in later.files:
        in_later.setdefault((f.sha256, f.size), []).append(f)
    pairs: dict[tuple[bytes, int], SharedFile] = {}
    for f in earlier.files:
        key = (f.sha256, f.size)
        if key in in_later and key not in pairs:
            match = next((g for g in in_later[key] if g.path == f.path), in_later[key][0])
            pairs[key] = SharedFile(f, match)
    return sorted(pairs.values(), key=lambda s: (-s.size, s.earlier.path.encode()))


def pick_shared(
    earlier: Manifest, later: Manifest, minimum: int, wanted: str | None, ids: tuple[int, int]
) -> SharedFile:
    """The file the claim proves: `wanted` (a path in either asset), else the largest shared
    file of at least `minimum` bytes."""
    a, b = ids
    shared = shared_files(earlier, later)
    if wanted is not None:
        entry = next((f for f in earlier.files if f.path == wanted), None)
        if entry is not None:
            found = [s for s in shared if s.earlier.sha256 == entry.sha256 and s.size == entry.size]
            where, other = f"{wanted} of asset {a}", b
        else:
            entry = next((f for f in later.files if f.path == wanted), None)
            if entry is None:
                raise InputError(f"--file {wanted} is a file of neither asset {a} nor asset {b}.")
            found = [s for s in shared if s.later.sha256 == entry.sha256 and s.size == entry.size]
            where, other = f"{wanted} of asset {b}", a
        if not found:
            raise InputError(
                f"{where} is not in asset {other}: no file there has its sha256 and size."
            )
        if entry.size < minimum:
            raise InputError(
                f"{where} is {entry.size} bytes, below the court's minimum of {minimum} for a "
                "duplicate claim (licence texts and READMEs are shared by unrelated datasets)."
            )
        return found[0]
    if not shared:
        raise InputError(f"Assets {a} and {b} share no file (none has the same sha256 and size).")
    big = [s for s in shared if s.size >= minimum]
    if not big:
        raise InputError(
            f"Assets {a} and {b} share {len(shared)} file{'s' if len(shared) != 1 else ''}, none "
            f"of at least {minimum} bytes, the court's minimum for a duplicate claim (the "
            f"largest is {shared[0].earlier.path}, {shared[0].size} bytes)."
        )
    return big[0]


def _file_proof(manifest: Manifest, entry: FileEntry) -> tuple[str, bytes, int, list[bytes]]:
    return (entry.path, entry.sha256, entry.size, manifest.proof(entry.path))


def open_duplicate(
    suite: Suite,
    chain: Any,
    account: Any,
    earlier: int,
    later: int,
    earlier_folder: Path,
    later_folder: Path,
    wanted: str | None = None,
) -> tuple[Opened, SharedFile]:
    """A duplicate-content claim against `later`, proving one of `earlier`'s files is in it."""
    registry = suite.registry
    if earlier == later:
        raise InputError("--earlier and --later are the same asset.")
    require_asset(suite, earlier)
    a = registry.asset(earlier)
    b = require_openable(suite, later)
    if int(a.status) != STATUS_NONE:
        raise ChainError(
            f"Asset {earlier} (the earlier) is disputed or taken down itself (status "
            f"{int(a.status)}): it cannot found a duplicate claim."
        )
    a_at, b_at = int(a.createdAt) - int(a.commitLag), int(b.createdAt) - int(b.commitLag)
    if a_at > b_at or (a_at == b_at and earlier > later):
        raise InputError(
            f"Asset {earlier} is not earlier than asset {later}: it was committed at "
            f"{when(a_at)}, asset {later} at {when(b_at)} (swap --earlier and --later?)."
        )
    if same(a.owner, b.owner):
        raise InputError(
            f"Assets {earlier} and {later} both belong to {checksum(a.owner)}: a duplicate "
            "claim is between different owners."
        )
    parents = [int(p.assetId) for p in registry.parents(later)]
    if earlier in parents:
        raise InputError(
            f"Asset {earlier} is a parent of asset {later}: it licensed its files to it."
        )
    path = lineage_path(registry, later, earlier)
    if path is not None:
        chain_ids = " -> ".join(str(i) for i in walk(registry, later, path))
        raise InputError(
            f"Asset {later} descends from asset {earlier} ({chain_ids}): anyone could dismiss "
            "the claim with that lineage, and your bond would go to the owner."
        )
    court = court_of(suite)
    ma = registered_manifest(Path(earlier_folder), earlier, bytes(a.contentRoot))
    mb = registered_manifest(Path(later_folder), later, bytes(b.contentRoot))
    shared = pick_shared(ma, mb, court.min_duplicate_size, wanted, (earlier, later))
    proofs = (_file_proof(ma, shared.earlier), _file_proof(mb, shared.later))
    receipt = send(
        suite.court, "openDuplicate", earlier, later, *proofs, account=account,
        value=court.bond + court.fee, what="the claim's bond and ruling fee",
    )  # fmt: skip
    source = f"sha256 of {shared.earlier.path} ({shared.size} bytes)"
    return _opened(suite, court, receipt, Evidence(shared.earlier.sha256, source)), shared


# -- prior commitment ---------------------------------------------------------------------------


def claim_prior(
    suite: Suite,
    chain: Any,
    account: Any,
    asset_id: int,
    commitment_file: Path,
    beneficiary: int = 0,
) -> Opened:
    """Take down `asset_id` at once with an older commitment of its content root: the
    claimant's pending registration file (`commitment.json`) holds the salt and leaves."""
    registry = suite.registry
    path = Path(commitment_file)
    if not path.is_file():
        raise InputError(f"The commitment file {path} does not exist.")
    pending = load_pending(path)
    me = checksum(account.address)
    if not same(pending.committer, me):
        raise InputError(
            f"{path} holds commitments of {pending.committer}, not of {me}: only the "
            "committer can show its commitment (sign with that account)."
        )
    if pending.chain_id != suite.chain_id or not same(pending.registry, registry.address):
        raise InputError(
            f"{path} holds commitments to registry {pending.registry} on chain "
            f"{pending.chain_id}, not this deployment's."
        )
    view = require_openable(suite, asset_id)
    root = bytes(view.contentRoot)
    if same(view.owner, me):
        raise InputError(f"Asset {asset_id} is yours already: there is nothing to claim.")
    batch = next((b for b in pending.batches if root in b.roots), None)
    if batch is None:
        raise InputError(
            f"{path} commits no registration of asset {asset_id}'s content root 0x{root.hex()}."
        )
    index = batch.roots.index(root)
    salt, leaves = batch.salts[index], list(batch.leaves)
    if leaves[index] != registration_leaf(me, root, salt):
        raise InputError(f"{path} is damaged: its leaf for 0x{root.hex()} is not its salt's.")
    _beneficiary(suite, asset_id, beneficiary, owner=me)
    at = int(registry.committedAt(me, batch.commitment))
    if at == 0:
        raise ChainError(
            f"The commitment 0x{batch.commitment.hex()} in {path} never reached the chain from "
            f"{me}: it cannot show anything."
        )
    theirs = int(view.createdAt) - int(view.commitLag)
    if at >= theirs:
        raise ChainError(
            f"Your commitment ({when(at)}) is not older than asset {asset_id}'s "
            f"({when(theirs)}): the asset registered that content first."
        )
    window = int(registry.MAX_COMMIT_AGE())
    if int(view.createdAt) > at + window:
        raise ChainError(
            f"Your commitment expired at {when(at + window)}, before asset {asset_id} was "
            f"registered ({when(int(view.createdAt))}): it could not have been revealed then."
        )
    if now_of(chain) > at + 2 * window:
        raise ChainError(
            f"Too late: a prior-commitment claim had to come by {when(at + 2 * window)} "
            f"(twice MAX_COMMIT_AGE after the commitment)."
        )
    court = court_of(suite)
    receipt = send(
        suite.court, "claimPriorCommitment", asset_id, leaves, index, salt, beneficiary,
        account=account, what="the claim",
    )  # fmt: skip
    return _opened(suite, court, receipt, Evidence(batch.commitment, f"commitment in {path}"))
