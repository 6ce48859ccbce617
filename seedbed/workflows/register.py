"""Registering folders as assets: what `ape run register` and `Seedbed.register` do.

Three phases, so nothing is half-done: (1) the arguments alone, (2) the chain (parents,
licenses) and the folders (hashed into manifests, contributor trees and Croissant), every
batch simulated and the gas funded, (3) the outputs written, then the batches sent, each
asset's receipt written as it lands. A re-run skips what this account already registered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.constants import KINDS
from seedbed.core.errors import InputError
from seedbed.core.spdx import canonical_license
from seedbed.core.units import parse_id
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
) -> RegisterRun:
    """Register each folder (one asset each); see the module notes for the phases."""
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
    if not todo:
        return run
    plan = reg.plan_batches(suite.registry, account, todo, links, batch_size, describe)
    reg.check_funds(suite.registry, account, plan)

    # 3. Write, then send.
    for item in todo:
        reg.write_outputs(item)
    for batch in plan:
        tx, ids = reg.send_batch(suite.registry, account, batch)
        for item in batch.items:
            asset_id = ids[item.content_root]
            reg.write_receipt(item, asset_id, tx, suite.chain_id)
            registered = _registered(item, asset_id, tx)
            run.assets.append(registered)
            sent(registered)
    return run


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
