"""Registering folders as assets: what `ape run register` and `Seedbed.register` do.

Three phases, so nothing is half-done: (1) the arguments alone, (2) the chain (parents,
licenses, floors) and the folders (hashed into manifests, contributor trees and Croissant),
(3) the outputs written, then the batches sent, each asset's receipt written as it lands. A
re-run skips what this account already registered.

When the registry asks for commitments (MIN_COMMIT_AGE > 0), phase 3 is: every batch's
commitment simulated and funded, the outputs and the pending file (`<out>/commitment.json`,
holding the batches and their salts) written, the commitments sent together; then one wait
until they are MIN_COMMIT_AGE old; then every batch simulated and funded, and sent as a
reveal of its own commitment; then the pending file removed. A re-run takes its batches from
the pending file: live ones are revealed (no second commit), expired ones committed anew.
With commitments off (a local chain), every batch is simulated and funded before anything
is written or sent, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.constants import KINDS
from seedbed.core.errors import InputError
from seedbed.core.spdx import canonical_license
from seedbed.core.units import parse_id
from seedbed.workflows import commitments as cm
from seedbed.workflows import registration as reg
from seedbed.workflows.registration import Prepared, Target

Progress = Callable[[int, int], None]
HashProgress = Callable[[Target], Progress]


@dataclass(frozen=True)
class Registered:
    asset_id: int
    name: str
    content_root: bytes
    croissant: str
    tree: str
    tx: str
    already: bool = False


@dataclass
class RegisterRun:
    prepared: list[Prepared] = field(default_factory=list)
    assets: list[Registered] = field(default_factory=list)

    @property
    def new(self) -> list[Registered]:
        return [a for a in self.assets if not a.already]


def register_folders(
    suite: Suite,
    account: Any,
    folders: Sequence[str | Path],
    *,
    spdx: str,
    contributors: Sequence[str | Path] = (),
    parents: Sequence[str] = (),
    shares: Sequence[str] = (),
    licenses: Sequence[str | int] = (),
    kind: str = "dataset",
    name: str | None = None,
    description: str | None = None,
    uri_base: str | None = None,
    out: str | Path | None = None,
    batch_size: int = 20,
    excludes: Sequence[str] = (),
    default_excludes: bool = True,
    symlinks: str = "refuse",
    describe: Callable[[BaseException], str] = str,
    on_prepared: Callable[[Prepared, int | None], None] = lambda _p, _done: None,
    hashing: HashProgress = lambda _t: lambda _d, _n: None,
    sent: Callable[[Registered], None] = lambda _r: None,
    warn: Callable[[str], None] = lambda _m: None,
    note: Callable[[str], None] = lambda _m: None,
    wait: Callable[[float], None] = time.sleep,
    clock: Callable[[], int] | None = None,
) -> RegisterRun:
    """Register each folder (one asset each); see the module notes for the phases.

    `note` hears progress (committed, resumed, expired); `wait(seconds)` passes time while a
    commitment ripens and `clock()` tells the chain's time (default: the latest block's), so
    a test can move a local chain's clock instead of sleeping."""
    # 1. The arguments alone.
    if not folders:
        raise InputError("Name at least one folder to register.")
    if kind not in KINDS:
        raise InputError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    spdx = canonical_license(spdx)
    if name is not None and len(folders) > 1:
        raise InputError("--name names one asset; with several folders each takes its own name.")
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, not {batch_size}.")
    lineage = reg.parse_parents(list(parents), list(shares))
    reg.check_lineage(lineage)
    license_ids = [parse_id(str(text), "a license id") for text in licenses]
    targets = reg.plan_outputs(
        [Path(f) for f in folders],
        out=Path(out) if out is not None else None,
        uri_base=uri_base,
        contributors=[Path(c) for c in contributors],
    )

    # 2. The chain, then the folders.
    links = reg.check_parents(suite.registry, suite.license, account.address, lineage, license_ids)
    reg.check_floors(suite.registry, links)
    run = RegisterRun()
    for target in targets:
        run.prepared.append(
            reg.prepare(
                target,
                kind=KINDS[kind],
                spdx=spdx,
                publisher=account.address,
                name=name,
                description=description,
                progress=hashing(target),
                excludes=excludes,
                default_excludes=default_excludes,
                symlinks=symlinks,
            )  # fmt: skip
        )
    reg.check_distinct_content(run.prepared)
    for item in run.prepared:
        refusing, unchecked = reg.refusing_receivers(
            suite.vault.provider, suite.vault.address, item.tree
        )
        for address in refusing:
            warn(
                f"{item.name}: contributor {address} is a contract that refuses ETH: its ETH "
                "claims will fail (the vault keeps its share until it can receive)."
            )
        if unchecked:
            warn(
                f"{item.name}: {unchecked} contributors beyond the first "
                f"{reg.RECEIVER_CHECK_LIMIT:,} were not checked for refusing ETH."
            )
    done = reg.find_registered(suite.registry, account.address, run.prepared)
    for item in run.prepared:
        on_prepared(item, done.get(item.target.folder))
        if item.target.folder in done:
            run.assets.append(_registered(item, done[item.target.folder], "", already=True))
    todo = [item for item in run.prepared if item.target.folder not in done]
    reg.check_license_uses(links, len(todo))
    ages = cm.commit_ages(suite.registry)
    if ages[0] == 0:  # commitments off (a local chain): one transaction per batch, as ever
        if todo:
            plan = reg.plan_batches(suite.registry, account, todo, links, batch_size, describe)
            reg.check_funds(suite.registry, account, plan)
            for item in todo:
                reg.write_outputs(item)
            _send(suite, account, plan, run, sent)
        return run

    # 3'. Commit every batch at once, wait once, reveal batch by batch; a re-run resumes the
    # batches of the pending file.
    tick = clock or (lambda: cm.chain_time(suite.registry.provider))
    paths = cm.pending_paths(run.prepared)
    if not todo:
        cm.drop_finished(suite.registry, suite.chain_id, account.address, paths)
        return run
    # Expiry by the block a reveal would join: a chain that makes blocks only for
    # transactions (anvil) shows an old latest block.
    now = max(tick(), cm.chain_time(suite.registry.provider, "pending"))
    found = cm.resume(
        suite.registry, suite.chain_id, account.address, paths, todo, batch_size,
        now=now, ages=ages,
    )  # fmt: skip
    pending = found.pending
    _note_resumed(found, ages[0], note)
    unsent = pending.unsent
    limits = cm.check_commit_funds(suite.registry, account, pending, describe) if unsent else []
    for item in todo:
        reg.write_outputs(item)
    if unsent:
        cm.save_pending(pending)  # the salts are on disk before the commitments are on chain
        cm.drop_pending(path for path in found.files if path != pending.path)
        pending = cm.send_commits(suite.registry, account, pending, limits)
        _note_committed(pending, {b.commitment for b in unsent}, ages[0], note)
    cm.wait_until_ripe(suite.registry, account.address, pending, ages[0], clock=tick, wait=wait)
    plan = cm.plan_reveals(suite.registry, account, pending, todo, links, describe)
    reg.check_funds(suite.registry, account, plan)
    _send(suite, account, plan, run, sent)
    cm.drop_pending([pending.path, *found.files])
    return run


def _note_resumed(found: cm.Resumed, min_age: int, note: Callable[[str], None]) -> None:
    for path, batch, why in found.stale:
        note(f"{path}: the commitment of {batch.names} {why}; committing anew with new salts")
    for path in dict.fromkeys(path for path, _ in found.live):
        live = [batch for where, batch in found.live if where == path]
        ripe = max(int(batch.committed_at or 0) for batch in live) + min_age
        count = sum(len(batch.roots) for batch in live)
        note(
            f"resuming {len(live)} commitment(s) of {count} registration(s) from {path} "
            f"(reveal after {cm.utc(ripe)})"
        )


def _note_committed(
    pending: cm.Pending, new: set[bytes], min_age: int, note: Callable[[str], None]
) -> None:
    sent = [batch for batch in pending.batches if batch.commitment in new]
    for tx in dict.fromkeys(batch.commit_tx for batch in sent):
        group = [batch for batch in sent if batch.commit_tx == tx]
        count = sum(len(batch.roots) for batch in group)
        ripe = max(int(batch.committed_at or 0) for batch in group) + min_age
        note(
            f"committed {count} registration(s) as {len(group)} commitment(s) in tx {tx} "
            f"(reveal after {cm.utc(ripe)})"
        )


def _send(
    suite: Suite,
    account: Any,
    plan: Sequence[reg.Batch],
    run: RegisterRun,
    sent: Callable[[Registered], None],
) -> None:
    for batch in plan:
        tx, ids = reg.send_batch(suite.registry, account, batch)
        for item in batch.items:
            asset_id = ids[item.content_root]
            reg.write_receipt(item, asset_id, tx, suite.chain_id)
            registered = _registered(item, asset_id, tx)
            run.assets.append(registered)
            sent(registered)


def _registered(item: Prepared, asset_id: int, tx: str, already: bool = False) -> Registered:
    target = item.target
    return Registered(
        asset_id=asset_id,
        name=item.name,
        content_root=item.content_root,
        croissant=str(target.croissant_path),
        tree=str(target.out_dir / reg.TREE_FILE),
        tx=tx,
        already=already,
    )
