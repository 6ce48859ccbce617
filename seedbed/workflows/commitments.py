"""Commit-reveal registration, for a registry whose MIN_COMMIT_AGE > 0 (every public chain).

Each reveal batch has its own commitment, keccak(its leaves): `openCommitment` costs ~1,000
gas a leaf (calldata and a transient store), so one commitment for a whole run would make
every batch re-open every leaf of the run (and, past a few thousand assets, outgrow a
transaction). The batches' commitments go
out together, `multicall([commit(c1), commit(c2), …])` in chunks of COMMITS_PER_TX, so they
ripen together and a run waits once.

The pending file (`<out>/commitment.json`) lists the batches: folders, content roots, salts,
leaves, commitment and commit time. It is written before the commit (the salts are needed to
reveal) and removed after the last reveal. A re-run rebuilds its batches from it (`resume`):
a batch registered already is skipped, a live one revealed as committed, and an expired one
(or one whose commit never landed) committed anew with new salts, the same folders together.

Only `send_commits` sends; the rest reads the chain or the disk.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.atomic import write_atomic
from seedbed.core.errors import ChainError, InputError
from seedbed.core.keccak import keccak
from seedbed.workflows.registration import (
    Batch,
    ParentLink,
    Prepared,
    batches,
    fee_of,
    plan_batch,
    require_balance,
    same_address,
    with_margin,
)

PENDING_FILE = "commitment.json"  # the run's batches until every reveal is in
COMMIT_POLL = 5  # seconds between looks at the chain while the commitments ripen
REVEAL_GAS_FLOOR = 100_000  # the least a reveal costs per asset, for the check before a commit
# A commit costs ~28k gas in a multicall: 250 (~7M gas, 32 KB) stay well below the 2^24 gas a
# transaction may use (EIP-7825; 500 with GAS_MARGIN would not) and the 128 KB a node relays,
# and cover 5,000 assets at the default batch size.
COMMITS_PER_TX = 250

# -- leaves, commitments and time (pure) ---------------------------------------------------


def registration_leaf(committer: str, content_root: bytes, salt: bytes) -> bytes:
    """keccak(0x02 ‖ committer ‖ contentRoot ‖ salt): AssetRegistry.registrationLeaf. The
    committer is inside, so a copy of the commitment made from another account is of a leaf
    that account cannot reveal."""
    return keccak(b"\x02" + parse_address(committer) + bytes(content_root) + bytes(salt))


def commitment_of(leaves: Sequence[bytes]) -> bytes:
    """keccak(leaf₁ ‖ … ‖ leafₙ): one leaf's commitment is keccak(leaf), the same formula."""
    return keccak(b"".join(bytes(leaf) for leaf in leaves))


def commit_ages(registry: Any) -> tuple[int, int]:
    """(MIN_COMMIT_AGE, MAX_COMMIT_AGE) in seconds; MIN 0: commitments are off."""
    return int(registry.MIN_COMMIT_AGE()), int(registry.MAX_COMMIT_AGE())


def utc(timestamp: int) -> str:
    """HH:MM:SS UTC of a unix time (the chain's time)."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(timestamp))


def chain_time(provider: Any, block: str = "latest") -> int:
    """A block's timestamp: the latest one's by default (every later block is at least this
    old); "pending" asks for the block a transaction sent now would join, which a chain that
    makes blocks only for transactions (anvil) dates by its clock, and falls back to latest."""
    from seedbed.chain.rpc import Rpc, RpcError

    rpc = Rpc(provider)
    try:
        header = rpc.call("eth_getBlockByNumber", [block, False])
    except RpcError:
        header = None
    if not header or header.get("timestamp") is None:
        header = rpc.call("eth_getBlockByNumber", ["latest", False])
    return int(header["timestamp"], 16)


# -- the batches and the pending file ------------------------------------------------------


@dataclass(frozen=True)
class RevealBatch:
    """One reveal transaction's registrations, under their own commitment. `roots`, `salts`,
    `folders` and `leaves` run in committed order, the order `openCommitment` needs."""

    roots: tuple[bytes, ...]
    salts: tuple[bytes, ...]
    folders: tuple[str, ...]
    leaves: tuple[bytes, ...]
    commitment: bytes
    commit_tx: str | None = None
    committed_at: int | None = None  # the commit's block time, once on chain

    @property
    def salts_by_root(self) -> dict[bytes, bytes]:
        return dict(zip(self.roots, self.salts, strict=True))

    @property
    def names(self) -> str:
        return ", ".join(Path(folder).name for folder in self.folders)

    def to_record(self) -> dict[str, Any]:
        return {
            "commitment": "0x" + self.commitment.hex(),
            "commit_tx": self.commit_tx,
            "committed_at": self.committed_at,
            "registrations": [
                {"content_root": "0x" + root.hex(), "salt": "0x" + salt.hex(), "folder": folder}
                for root, salt, folder in zip(self.roots, self.salts, self.folders, strict=True)
            ],
            "leaves": ["0x" + leaf.hex() for leaf in self.leaves],
        }


def seal(committer: str, items: Sequence[Prepared]) -> RevealBatch:
    """A new batch of `items`, each with a fresh random salt (nothing is sent)."""
    roots = tuple(item.content_root for item in items)
    salts = tuple(secrets.token_bytes(32) for _ in items)
    leaves = tuple(registration_leaf(committer, r, s) for r, s in zip(roots, salts, strict=True))
    folders = tuple(str(item.target.folder) for item in items)
    return RevealBatch(roots, salts, folders, leaves, commitment_of(leaves))


@dataclass(frozen=True)
class Pending:
    """A run's batches, as saved in its pending file until every reveal is in."""

    path: Path
    chain_id: int
    registry: str
    committer: str
    batches: tuple[RevealBatch, ...]

    @property
    def unsent(self) -> list[RevealBatch]:
        """The batches whose commitment is not on chain yet."""
        return [batch for batch in self.batches if not batch.committed_at]

    def belongs_to(self, chain_id: int, registry: str, committer: str) -> bool:
        return (
            self.chain_id == chain_id
            and same_address(self.registry, registry)
            and same_address(self.committer, committer)
        )

    def landed(self, times: Mapping[bytes, int], tx: str) -> Pending:
        """The batches whose commitment `times` gives a block time for, marked committed then
        (in `tx`)."""
        done = [
            replace(b, commit_tx=tx, committed_at=times[b.commitment])
            if b.commitment in times
            else b
            for b in self.batches
        ]
        return replace(self, batches=tuple(done))

    def to_json(self) -> bytes:
        record = {
            "version": 2,
            "note": "Seedbed registration commitments: keep this file until the run finishes; "
            "its salts are needed to reveal.",
            "chain_id": self.chain_id,
            "registry": self.registry,
            "committer": self.committer,
            "batches": [batch.to_record() for batch in self.batches],
        }
        return (json.dumps(record, indent=2) + "\n").encode()


def save_pending(pending: Pending) -> None:
    """Write the pending file atomically (before the commits are sent, and as each lands)."""
    try:
        pending.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"Cannot create the folder {pending.path.parent}: {err}.") from err
    write_atomic(pending.path, pending.to_json())


def load_pending(path: Path) -> Pending:
    """Read a pending file back; InputError when it is not one or does not add up."""
    broken = f"The pending commitment {path} is unreadable or damaged"
    try:
        raw = json.loads(path.read_text())
        committer = to_checksum_address(parse_address(str(raw["committer"])))
        # Version 1 held the whole run under one commitment: it reads as one batch.
        records = raw["batches"] if "batches" in raw else [raw]
        pending = Pending(
            path=path,
            chain_id=int(raw["chain_id"]),
            registry=str(raw["registry"]),
            committer=committer,
            batches=tuple(_batch_of(record) for record in records),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InputError) as err:
        raise InputError(f"{broken} ({err}); delete it to start over.") from err
    roots = [root for batch in pending.batches for root in batch.roots]
    if len(set(roots)) != len(roots) or not all(_adds_up(committer, b) for b in pending.batches):
        raise InputError(f"{broken}: its salts, leaves and commitments do not match.")
    return pending


def _batch_of(record: Mapping[str, Any]) -> RevealBatch:
    rows = record["registrations"]
    if not rows:
        raise ValueError("a batch without registrations")
    at = record.get("committed_at")
    return RevealBatch(
        roots=tuple(_hex32(row["content_root"]) for row in rows),
        salts=tuple(_hex32(row["salt"]) for row in rows),
        folders=tuple(str(row.get("folder", "")) for row in rows),
        leaves=tuple(_hex32(leaf) for leaf in record["leaves"]),
        commitment=_hex32(record["commitment"]),
        commit_tx=record.get("commit_tx"),
        committed_at=None if at is None else int(at),
    )


def _adds_up(committer: str, batch: RevealBatch) -> bool:
    """The leaves are the batch's registrations, in order, and the commitment is theirs."""
    pairs = zip(batch.roots, batch.salts, strict=True)
    expected = tuple(registration_leaf(committer, root, salt) for root, salt in pairs)
    return batch.leaves == expected and commitment_of(expected) == batch.commitment


def _hex32(text: Any) -> bytes:
    raw = bytes.fromhex(str(text).removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"{text!r} is not 32 bytes of hex")
    return raw


def pending_paths(items: Sequence[Prepared]) -> list[Path]:
    """Where a run's pending file may be: each output folder's `commitment.json` (a new one
    goes to the first folder still to register), so a re-run finds it in any order."""
    out: list[Path] = []
    for item in items:
        path = item.target.out_dir / PENDING_FILE
        if path not in out:
            out.append(path)
    return out


def read_pending(
    chain_id: int, registry: str, committer: str, paths: Sequence[Path]
) -> list[Pending]:
    """The pending files among `paths`. One of another account, chain or registry is
    refused: its salts are someone else's, to finish that run with."""
    found: list[Pending] = []
    for path in paths:
        if not path.is_file():
            continue
        pending = load_pending(path)
        if not pending.belongs_to(chain_id, registry, committer):
            raise InputError(
                f"{path} holds a pending commitment of {pending.committer} to registry "
                f"{pending.registry} on chain {pending.chain_id}, not this run's: finish that "
                "run there, or move the file away."
            )
        found.append(pending)
    return found


# -- resuming ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resumed:
    """A run's batches (`pending`: live ones with their commit time, the rest to commit),
    the live ones found with their file, the others found (committed anew) with their file
    and why, and every pending file read (removed once the run is done)."""

    pending: Pending
    live: list[tuple[Path, RevealBatch]]
    stale: list[tuple[Path, RevealBatch, str]]
    files: list[Path]


def resume(
    registry: Any,
    chain_id: int,
    committer: str,
    paths: Sequence[Path],
    todo: Sequence[Prepared],
    size: int,
    *,
    now: int,
    ages: tuple[int, int],
) -> Resumed:
    """The batches that register `todo`: those of the pending files first, as committed,
    then new ones of `size` for the folders in none.

    A batch is live while its commitment stays revealable MIN_COMMIT_AGE after `now` (the
    chain's time), since a new commitment may have to ripen first; any other batch is
    sealed anew, with new salts, for its folders of `todo`. Folders in no batch while some
    commitment is live are refused: that run is to be finished first (or the file deleted)."""
    files = read_pending(chain_id, str(registry.address), committer, paths)
    left = {item.content_root: item for item in todo}
    found, elsewhere = _look_up(registry, committer, files, left, now, ages)
    live = [(path, batch) for path, batch, why in found if why is None]
    out, stale, claimed = _reseal(committer, found, left)
    rest = [item for item in todo if item.content_root not in claimed]
    if rest and (live or elsewhere):
        path, batch = (live or elsewhere)[0]
        raise InputError(
            f"{path} holds a live commitment (revealable until "
            f"{utc(int(batch.committed_at or 0) + ages[1])}) that does not cover "
            f"{rest[0].target.folder} (changed since, or not in that run): re-run the same "
            "folders to finish it first, or delete the file to commit anew."
        )
    out += [seal(committer, group) for group in batches(rest, size)]
    home = files[0].path if files else todo[0].target.out_dir / PENDING_FILE
    registry_address = to_checksum_address(parse_address(str(registry.address)))
    account = to_checksum_address(parse_address(committer))
    pending = Pending(home, chain_id, registry_address, account, tuple(out))
    return Resumed(pending, live, stale, [p.path for p in files])


Found = tuple[Path, RevealBatch, str | None]  # a batch of a file, and why it is not live


def _look_up(
    registry: Any,
    committer: str,
    files: Sequence[Pending],
    left: Mapping[bytes, Prepared],
    now: int,
    ages: tuple[int, int],
) -> tuple[list[Found], list[tuple[Path, RevealBatch]]]:
    """Each batch of the files that holds a folder still to register, with its commit time
    on chain and why it cannot be revealed (None: live); and the live batches of folders not
    in this run, which it must not overwrite."""
    found: list[Found] = []
    elsewhere: list[tuple[Path, RevealBatch]] = []
    seen: set[bytes] = set()
    for path, batch in ((p.path, b) for p in files for b in p.batches):
        if batch.commitment in seen:
            continue  # a copy left by a run that stopped before removing an old file
        seen.add(batch.commitment)
        ours = any(root in left for root in batch.roots)
        if not ours and all(int(registry.assetIdOf(root)) for root in batch.roots):
            continue  # registered already
        at = int(registry.committedAt(committer, batch.commitment))
        batch, why = replace(batch, committed_at=at or None), _why_not(at, now, *ages)
        if ours:
            found.append((path, batch, why))
        elif why is None:
            elsewhere.append((path, batch))
    return found, elsewhere


def _reseal(
    committer: str, found: Sequence[Found], left: Mapping[bytes, Prepared]
) -> tuple[list[RevealBatch], list[tuple[Path, RevealBatch, str]], set[bytes]]:
    """The found batches in order: live ones as they are, the others sealed anew for their
    folders no live batch holds (the same folders together). Also the batches replaced, with
    why, and every content root now in a batch."""
    claimed = {root for _, batch, why in found if why is None for root in batch.roots}
    out: list[RevealBatch] = []
    stale: list[tuple[Path, RevealBatch, str]] = []
    for path, batch, why in found:
        if why is None:
            out.append(batch)
            continue
        items = [left[root] for root in batch.roots if root in left and root not in claimed]
        if items:
            claimed.update(item.content_root for item in items)
            out.append(seal(committer, items))
            stale.append((path, batch, why))
    return out, stale, claimed


def _why_not(at: int, now: int, min_age: int, max_age: int) -> str | None:
    """Why a commitment of time `at` (0: none) cannot be revealed by this run, or None."""
    if at == 0:
        return "never reached the chain"
    end = at + max_age
    if now > end:
        return f"(committed {utc(at)}) expired at {utc(end)}"
    if now + min_age > end:
        return f"(committed {utc(at)}) expires at {utc(end)}, before a new one would ripen"
    return None


# -- commit, wait --------------------------------------------------------------------------


def _commit_chunks(pending: Pending) -> list[list[RevealBatch]]:
    return batches(pending.unsent, COMMITS_PER_TX)


def _commit_call(registry: Any, chunk: Sequence[RevealBatch]) -> tuple[Any, tuple[Any, ...]]:
    """One commit transaction: a plain `commit` for one batch, a `multicall` for several."""
    if len(chunk) == 1:
        return registry.commit, (chunk[0].commitment,)
    return registry.multicall, ([bytes(registry.commit.encode_input(b.commitment)) for b in chunk],)


def check_commit_funds(
    registry: Any,
    account: Any,
    pending: Pending,
    describe: Callable[[BaseException], str] = str,
) -> list[int]:
    """Check a leaf as the registry computes it, simulate every commit transaction, and
    check the account can pay them and at least the cheapest reveals (simulated, and
    checked exactly, once ripe). Returns each commit transaction's gas limit."""
    from ape.exceptions import ContractLogicError

    chunks = _commit_chunks(pending)
    first = chunks[0][0]
    theirs = bytes(registry.registrationLeaf(pending.committer, first.roots[0], first.salts[0]))
    if theirs != first.leaves[0]:
        raise ChainError(
            f"The registry at {registry.address} computes registration leaves differently "
            "from this tool (is it a Seedbed registry of this version?): nothing was sent."
        )
    limits: list[int] = []
    for chunk in chunks:
        handler, args = _commit_call(registry, chunk)
        try:
            gas = handler.estimate_gas_cost(*args, sender=account, gas_price=0)
        except ContractLogicError as err:
            raise ChainError(f"The registry would refuse the commitment: {describe(err)}") from err
        limits.append(with_margin(gas))
    handler, args = _commit_call(registry, chunks[0])
    fee = fee_of(handler.as_transaction(*args, gas_limit=limits[0]))
    count = sum(len(batch.roots) for chunk in chunks for batch in chunk)
    cost = (sum(limits) + REVEAL_GAS_FLOOR * count) * fee
    require_balance(account, cost, "committing and revealing")
    return limits


def send_commits(registry: Any, account: Any, pending: Pending, limits: Sequence[int]) -> Pending:
    """Send the commit transactions (the pending file must hold their salts already),
    saving each batch's commit time to the file as its transaction lands."""
    for chunk, limit in zip(_commit_chunks(pending), limits, strict=True):
        handler, args = _commit_call(registry, chunk)
        receipt = handler(*args, sender=account, gas_limit=limit)
        times = {
            bytes(log.commitment): int(log.committedAt)
            for log in receipt.events.filter(registry.Committed)
        }
        missing = [batch for batch in chunk if batch.commitment not in times]
        if missing:
            raise ChainError(
                f"Transaction {receipt.txn_hash} recorded no commitment for {missing[0].names}."
            )
        pending = pending.landed(times, str(receipt.txn_hash))
        save_pending(pending)
    return pending


def ripe_at(pending: Pending, min_age: int) -> int:
    """When the last of the batches' commitments may be revealed (chain time)."""
    return max(int(batch.committed_at or 0) for batch in pending.batches) + min_age


def is_ripe(registry: Any, committer: str, batch: RevealBatch) -> bool:
    """Whether the node's simulation of the next block accepts the batch's reveal already
    (a chain that makes blocks only for transactions, like anvil, shows no newer block)."""
    from seedbed.chain.rpc import Rpc, RpcError

    data = bytes(registry.openCommitment.encode_input(list(batch.leaves)))
    call = {"from": committer, "to": str(registry.address), "data": "0x" + data.hex()}
    try:
        Rpc(registry.provider).call("eth_call", [call, "pending"])
    except RpcError:
        return False
    return True


def wait_until_ripe(
    registry: Any,
    committer: str,
    pending: Pending,
    min_age: int,
    *,
    clock: Callable[[], int],
    wait: Callable[[float], None],
) -> None:
    """Return once every batch may be revealed, looking every COMMIT_POLL seconds at most:
    the newest commitment ripens last. `wait(seconds)` passes the time (a sleep by default)."""
    ready_at = ripe_at(pending, min_age)
    newest = max(pending.batches, key=lambda batch: int(batch.committed_at or 0))
    while True:
        now = clock()
        if now >= ready_at or is_ripe(registry, committer, newest):
            return
        wait(max(1, min(COMMIT_POLL, ready_at - now)))


# -- reveal, clean up ------------------------------------------------------------------------


def plan_reveals(
    registry: Any,
    account: Any,
    pending: Pending,
    todo: Sequence[Prepared],
    links: Sequence[ParentLink],
    describe: Callable[[BaseException], str],
) -> list[Batch]:
    """One simulated reveal per batch, registering its folders of `todo`: a multicall that
    opens only this batch's leaves first, or a plain `register` for a batch of one leaf
    (its commitment is keccak(leaf), which `register` checks itself)."""
    left = {item.content_root: item for item in todo}
    plan: list[Batch] = []
    for batch in pending.batches:
        items = [left.pop(root) for root in batch.roots if root in left]
        if not items:
            continue
        opening = []
        if len(batch.leaves) > 1:
            opening = [bytes(registry.openCommitment.encode_input(list(batch.leaves)))]
        plan.append(
            plan_batch(
                registry,
                account,
                items,
                links,
                describe,
                salts=batch.salts_by_root,
                opening=opening,
            )
        )
    if left:
        raise ChainError(f"No commitment covers {next(iter(left.values())).target.folder}.")
    return plan


def drop_finished(registry: Any, chain_id: int, committer: str, paths: Sequence[Path]) -> None:
    """Remove each pending file of `committer` whose roots are all registered by it (a run
    that stopped between its last reveal and removing the file)."""
    for path in paths:
        if not path.is_file():
            continue
        pending = load_pending(path)
        if not pending.belongs_to(chain_id, str(registry.address), committer):
            continue
        ids = [int(registry.assetIdOf(root)) for batch in pending.batches for root in batch.roots]
        if all(i and same_address(registry.ownerOf(i), committer) for i in ids):
            drop_pending([path])


def drop_pending(paths: Iterable[Path]) -> None:
    """Remove pending files that are finished or replaced."""
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            raise InputError(f"Cannot remove {path}: {err.strerror or err}.") from err
