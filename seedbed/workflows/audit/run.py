"""The audit end to end: ingest, rebuild, check against the chain, write the reports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from seedbed.chain.chainread import ChainReader, selector
from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.errors import ChainError, InputError, SeedbedError
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.audit.abi import CONTRACT_NAMES, Decoders, project_specs
from seedbed.workflows.audit.campaigns import check_campaigns
from seedbed.workflows.audit.checks import (
    check_balances,
    check_conservation,
    check_trees,
    check_views,
)
from seedbed.workflows.audit.court import (
    CourtInfo,
    check_court,
    check_holds,
    check_overdue,
    court_bond,
)
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ingest import Ingestor, IngestStats, Progress
from seedbed.workflows.audit.integrity import (
    Registration,
    check_claims,
    check_commit_age,
    check_failed_claims,
    check_floors,
    check_sweeps,
)
from seedbed.workflows.audit.ledger import LEDGER_VERSION, Ledger, Params
from seedbed.workflows.audit.private import check_private
from seedbed.workflows.audit.store import EventStore
from seedbed.workflows.audit.transfers import investigate


@dataclass
class AuditResult:
    ok: bool
    findings: Findings
    ledger: Ledger
    chain_id: int
    block: int
    addresses: dict[str, str]
    tokens: dict[str, tuple[str, int]]
    ingest: IngestStats
    trees: dict[int, ContributorTree]
    assets: set[int] | None = None
    names: dict[int, str] = field(default_factory=dict)  # from croissant files beside trees
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    registration: Registration | None = None  # the registry's commitment windows
    court: CourtInfo | None = None  # the court's parameters and book (None: no court)


def audit_addresses(rpc: Rpc, suite: Any, vault: str | None = None) -> dict[str, str]:
    """Role -> lower-case address; `vault` audits another vault wired to the same registry.
    The court, PrivateData and LabelCampaigns are audited when the deployment has them."""
    known = suite.addresses
    out = {role: known[name].lower() for role, name in CONTRACT_NAMES.items() if name in known}
    if vault is not None:
        try:
            address = to_checksum_address(vault).lower()
        except ValueError as err:
            raise InputError(f"{vault!r} is not an address.") from err
        if rpc.call("eth_getCode", [address, "latest"]) in (None, "0x"):
            raise InputError(f"There is no contract at {vault}.")
        reply = rpc.call(
            "eth_call", [{"to": address, "data": "0x" + selector("REGISTRY()").hex()}, "latest"]
        )
        if not reply or len(reply) < 66 or "0x" + reply[-40:] != out["registry"]:
            raise InputError(f"{vault} is not a royalty vault of this suite's registry.")
        out["vault"] = address
    return out


def _open(
    project: Any,
    chain: Any,
    suite: Any,
    db_path: str | Path,
    from_block: int | None,
    vault: str | None,
    **ingest_options: Any,
) -> tuple[Rpc, dict[str, str], EventStore, Ingestor]:
    rpc = Rpc(chain.provider)
    addresses = audit_addresses(rpc, suite, vault)
    start = check_start(rpc, addresses, int(suite.record.get("block", 0)), from_block)
    identity = {"chain_id": int(chain.chain_id), "contracts": addresses, "start_block": start}
    store = EventStore(db_path, identity)
    decoders = Decoders(addresses, project_specs(project))
    return rpc, addresses, store, Ingestor(rpc, store, decoders, **ingest_options)


def check_start(rpc: Rpc, addresses: dict[str, str], recorded: int, from_block: int | None) -> int:
    """The first block to read: `from_block`, or the deployment block when it is None.

    Checked before anything is written. A block past the chain head is refused, and so is one
    after the deployment block: every check compares totals since deployment (pools, claims,
    balances), so a ledger that misses earlier events reports failures that are not there.
    Starting earlier is allowed (there is nothing to find before deployment)."""
    if from_block is None:
        return recorded
    if from_block < 0:
        raise InputError(f"--from-block must be 0 or more, not {from_block}.")
    head = int(rpc.call("eth_blockNumber", []), 16)
    if from_block > head:
        raise InputError(f"--from-block {from_block} is past the chain head (block {head}).")
    if from_block > recorded:
        first = recorded or deployment_block(rpc, addresses, head)
        if from_block > first:
            raise InputError(
                f"--from-block {from_block} is after the deployment block {first}, the latest "
                "block an audit can start from: every check compares totals since deployment."
            )
    return from_block


def deployment_block(rpc: Rpc, addresses: dict[str, str], head: int) -> int:
    """The first block at which any audited contract has code (bisection on eth_getCode), for
    a deployment record that does not name its block; 0 if the node keeps no old state."""
    first = head
    for address in addresses.values():
        low, high = 0, first
        try:
            if rpc.call("eth_getCode", [address, hex(high)]) in (None, "0x"):
                continue
            while low < high:
                mid = (low + high) // 2
                if rpc.call("eth_getCode", [address, hex(mid)]) in (None, "0x"):
                    low = mid + 1
                else:
                    high = mid
        except RpcError:  # a pruned node cannot answer for old blocks: assume the earliest
            return 0
        first = low
    return first


def ingest_only(
    project: Any,
    chain: Any,
    suite: Any,
    db_path: str | Path,
    from_block: int | None = None,
    vault: str | None = None,
    progress: Progress | None = None,
    initial_range: int = 16,
    max_range: int = 10_000,
    before_commit: Callable[[int], None] | None = None,
) -> IngestStats:
    """Bring the event index up to the chain head (for benchmarks and warm-up).

    `before_commit(i)` runs inside range i's transaction, before it commits (tests inject
    crashes there)."""
    _rpc, _addr, store, ingestor = _open(
        project,
        chain,
        suite,
        db_path,
        from_block,
        vault,
        initial_range=initial_range,
        max_range=max_range,
    )
    with store:
        return ingestor.run(progress=progress, before_commit=before_commit)


TreeSources = Mapping[int, str | Path | ContributorTree]


def load_trees(trees: TreeSources | None) -> dict[int, ContributorTree]:
    out = {}
    for asset_id, tree in (trees or {}).items():
        out[int(asset_id)] = (
            tree if isinstance(tree, ContributorTree) else ContributorTree.load(tree)
        )
    return out


CROISSANT_FILE = "croissant.json"  # what `ape run register` writes next to each tree


def croissant_names(trees: TreeSources | None) -> dict[int, str]:
    """Asset id -> its Croissant `name`, read from the croissant.json beside each tree file
    given (where `ape run register` puts both); assets without one are left out."""
    names = {}
    for asset_id, tree in (trees or {}).items():
        if isinstance(tree, ContributorTree):
            continue
        try:
            name = json.loads((Path(tree).parent / CROISSANT_FILE).read_text()).get("name")
        except (OSError, ValueError, AttributeError):
            continue  # no croissant (a tree saved elsewhere), or not JSON: label by id
        if isinstance(name, str) and name.strip():
            names[int(asset_id)] = " ".join(name.split())[:60]
    return names


def run_audit(
    project: Any,
    chain: Any,
    suite: Any,
    db_path: str | Path,
    out_dir: str | Path | None,
    trees: TreeSources | None = None,
    from_block: int | None = None,
    assets: list[int] | set[int] | None = None,
    vault: str | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Ingest, rebuild, check and (when `out_dir` is given) write JSON, CSV and HTML."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    loaded = load_trees(trees)  # bad files fail before any work
    rpc, addresses, store, ingestor = _open(project, chain, suite, db_path, from_block, vault)
    with store:
        stats = ingestor.run(progress=progress)
        timings["ingest"] = time.perf_counter() - clock
        tip = store.last_block
        reader = ChainReader(rpc, max(tip, 0))
        fee_bps, grace, delay, window = _params(reader, addresses)
        params = Params(
            fee_bps=fee_bps,
            grace_period=grace,
            withdrawal_delay=delay,
            withdrawal_window=window,
            license=addresses["license"],
            meter=addresses["meter"],
            vault_is_suite=addresses["vault"] == suite.addresses["RoyaltyVault"].lower(),
            court_bond=court_bond(reader, addresses["court"]) if "court" in addresses else 0,
        )
        ledger, findings = _rebuild(store, params)
        timings["rebuild"] = time.perf_counter() - clock - timings["ingest"]

        wanted = None if assets is None else {int(a) for a in assets}
        for asset_id in sorted((wanted or set()) | set(loaded)):
            if asset_id not in ledger.assets:
                raise InputError(f"Asset {asset_id} is not registered on chain {chain.chain_id}.")
        now = _block_time(rpc, tip)
        check_views(ledger, reader, addresses, findings, wanted, now)
        court = None
        if "court" in addresses:
            court = check_court(ledger, reader, addresses["court"], findings, now)
        check_holds(ledger, reader, addresses["vault"], addresses["registry"], findings, wanted)
        if "private" in addresses:
            check_private(ledger, reader, addresses["private"], findings, wanted)
        if "campaigns" in addresses:
            check_campaigns(ledger.campaign_book, reader, addresses["campaigns"], findings)
        check_overdue(ledger, court, findings, wanted)
        registration = check_commit_age(
            reader, addresses["registry"], _chain_id(rpc, chain), findings
        )
        check_floors(ledger, reader, addresses["registry"], findings, wanted)
        check_conservation(ledger, findings)
        check_trees(ledger, loaded, findings)
        failing = check_claims(ledger, loaded, rpc, max(tip, 0), addresses["vault"], findings)
        check_failed_claims(ledger, failing, findings, wanted)
        check_sweeps(ledger, reader, addresses, findings, params.vault_is_suite)
        for excess in check_balances(ledger, reader, addresses, findings):
            investigate(
                rpc,
                store.events(),
                excess.role,
                excess.holder,
                excess.currency,
                excess.amount,
                store.start_block,
                tip,
                findings,
                step=ingestor.max_range,
                channels={c.id: c.currency for c in ledger.channels.values()},
            )
        tokens = reader.token_info(
            sorted(ledger.currencies | set(ledger.books) | ledger.campaign_book.currencies())
        )
        timings["check"] = time.perf_counter() - clock - timings["ingest"] - timings["rebuild"]

    result = AuditResult(
        ok=findings.ok,
        findings=findings,
        ledger=ledger,
        chain_id=int(chain.chain_id),
        block=tip,
        addresses=addresses,
        tokens=tokens,
        ingest=stats,
        trees=loaded,
        assets=wanted,
        names=croissant_names(trees),
        seconds=timings,
        registration=registration,
        court=court,
    )
    if out_dir is not None:
        from seedbed.workflows.audit.report import write_reports

        started = time.perf_counter()
        result.paths = write_reports(result, Path(out_dir))
        timings["report"] = time.perf_counter() - started
    return result


def _rebuild(store: EventStore, params: Params) -> tuple[Ledger, Findings]:
    """The ledger at the store's last block: from the saved snapshot plus newer events when
    there is one for these parameters, else from every event; then saved again."""
    key = json.dumps({"ledger": LEDGER_VERSION, "params": asdict(params)}, sort_keys=True)
    snapshot = store.load_snapshot(key)
    findings = Findings()
    ledger = Ledger(params, findings)
    after = -1
    if snapshot is not None:
        after, data = snapshot
        state = json.loads(data)
        findings = Findings.from_state(state["findings"])
        ledger = Ledger(params, findings)
        ledger.restore(state["ledger"])
    ledger.apply_rows(store.events(after=after))
    if store.last_block != after:
        state = {"ledger": ledger.state(), "findings": findings.state()}
        store.save_snapshot(store.last_block, key, json.dumps(state, separators=(",", ":")))
    return ledger, findings


def _params(reader: ChainReader, addresses: dict[str, str]) -> tuple[int, int, int, int]:
    fee = reader.words(addresses["vault"], "FEE_BPS()", [[]])[0]
    meter = addresses["meter"]
    times = [
        reader.words(meter, f"{name}()", [[]])[0]
        for name in ("GRACE_PERIOD", "WITHDRAWAL_DELAY", "WITHDRAWAL_WINDOW")
    ]
    if fee is None or None in times:
        raise ChainError(
            "The vault or meter does not answer FEE_BPS() / GRACE_PERIOD() / "
            "WITHDRAWAL_DELAY() / WITHDRAWAL_WINDOW()."
        )
    grace, delay, window = (int(t or 0) for t in times)
    return fee, grace, delay, window


def _chain_id(rpc: Rpc, chain: Any) -> int:
    """The node's own chain id (eth_chainId), else the one the connection reported."""
    try:
        return int(rpc.call("eth_chainId", []), 16)
    except (RpcError, TypeError, ValueError):
        return int(chain.chain_id)


def _block_time(rpc: Rpc, block: int) -> int | None:
    """The audit block's timestamp (the views answer as of it), None if unreadable."""
    if block < 0:
        return None
    try:
        header = rpc.call("eth_getBlockByNumber", [hex(block), False])
    except RpcError:
        return None
    return int(header["timestamp"], 16) if isinstance(header, dict) else None


class AuditFailed(SeedbedError):
    """At least one check failed (the findings say which)."""

    exit_code = 1
