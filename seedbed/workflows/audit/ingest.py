"""Fetch every log of the audited contracts into the EventStore, range by range.

Raw `eth_getLogs` over block ranges (adaptive: halved when the node refuses a range or a
range is dense, doubled when sparse), decoded with the precomputed topic0 tables, one SQLite
transaction per range. Before fetching, the stored hashes of the newest ingested blocks are
checked against the chain, newest first; after a reorg the index is rewound to the newest
block that still matches and re-ingested from there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi.exceptions import DecodingError

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.errors import ChainError
from seedbed.workflows.audit.abi import Decoders
from seedbed.workflows.audit.store import REORG_WINDOW, EventStore, Row

# Messages nodes use when a getLogs range is too big (Alchemy, Infura, geth, QuickNode...).
_TOO_MANY = (
    "too many",
    "more than",
    "limit",
    "exceed",
    "range",
    "response size",
    "timeout",
    "timed out",
    "-32005",
)

Progress = Callable[[int, int, int], None]  # (last block done, head, new events so far)


@dataclass
class IngestStats:
    first_block: int = 0
    last_block: int = 0
    new_events: int = 0
    total_events: int = 0
    ranges: int = 0
    rewound_to: int | None = None
    dropped: int = 0
    reset: bool = False
    rpc_calls: int = 0
    seconds: float = 0.0


class Ingestor:
    def __init__(
        self,
        rpc: Rpc,
        store: EventStore,
        decoders: Decoders,
        initial_range: int = 16,
        max_range: int = 10_000,
        target_logs: int = 10_000,
    ) -> None:
        self.rpc, self.store, self.decoders = rpc, store, decoders
        self.size = max(1, initial_range)
        self.max_range = max(1, max_range)
        self.target_logs = target_logs
        self.addresses = sorted(decoders.role_of)

    def run(
        self,
        head: int | None = None,
        progress: Progress | None = None,
        before_commit: Callable[[int], None] | None = None,
    ) -> IngestStats:
        """Bring the index up to `head` (default: the chain's latest block)."""
        started = time.perf_counter()
        calls = self.rpc.calls
        stats = IngestStats(reset=self.store.was_reset)
        for _ in range(3):  # a reorg during the run sends us round again
            self._check_reorg(stats)
            tip = head if head is not None else int(self.rpc.call("eth_blockNumber", []), 16)
            stats.first_block = self.store.last_block + 1
            self._fetch(tip, stats, progress, before_commit)
            if self._remember_tip():
                break
        stats.last_block = self.store.last_block
        stats.total_events = self.store.count()
        stats.rpc_calls = self.rpc.calls - calls
        stats.seconds = time.perf_counter() - started
        return stats

    # -- reorgs --------------------------------------------------------------------------------

    def _check_reorg(self, stats: IngestStats) -> None:
        stored = self.store.recent_hashes()
        if not stored:
            return
        headers = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n, _ in stored])
        for (number, block_hash), header in zip(stored, headers, strict=True):
            if isinstance(header, dict) and header.get("hash") == block_hash:
                if number != self.store.last_block:
                    stats.dropped += self.store.rewind(number)
                    stats.rewound_to = number
                return
        # Deeper than the window: nothing stored can be trusted any more.
        stats.dropped += self.store.count()
        stats.rewound_to = self.store.start_block - 1
        self.store.reset()

    def _remember_tip(self) -> bool:
        """Store the hashes of the newest ingested blocks; False if the tip moved meanwhile."""
        last = self.store.last_block
        if last < self.store.start_block:
            return True
        numbers = range(max(self.store.start_block, last - REORG_WINDOW + 1), last + 1)
        headers = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        pairs = [
            (n, h["hash"]) for n, h in zip(numbers, headers, strict=True) if isinstance(h, dict)
        ]
        if not pairs or pairs[-1] != (last, self.store.last_hash):
            return False  # reorged between the last range and now: check again
        self.store.save_hashes(pairs)
        return True

    # -- ranges --------------------------------------------------------------------------------

    def _fetch(
        self,
        tip: int,
        stats: IngestStats,
        progress: Progress | None,
        before_commit: Callable[[int], None] | None,
    ) -> None:
        start = self.store.last_block + 1
        while start <= tip:
            end = min(start + self.size - 1, tip)
            header = self.rpc.call("eth_getBlockByNumber", [hex(end), False])
            if not isinstance(header, dict):
                raise ChainError(f"Block {end} vanished while auditing (a reorg?); run again.")
            try:
                logs = self.rpc.call(
                    "eth_getLogs",
                    [{"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}],
                )
            except RpcError as err:
                span = end - start + 1
                if span > 1 and any(m in str(err).lower() for m in _TOO_MANY):
                    # Never grow back to a span the node refused.
                    self.max_range = min(self.max_range, span - 1)
                    self.size = max(1, span // 2)
                    continue
                raise ChainError(f"eth_getLogs failed for blocks {start}-{end}: {err}.") from err
            rows, hashes = self._decode(logs)
            if any(n == end and h != header["hash"] for n, h in hashes):
                continue  # the range's last block changed between the two calls: fetch again
            hashes.append((end, header["hash"]))
            hook = _bind(before_commit, stats.ranges)
            self.store.commit_range(rows, end, header["hash"], hashes, hook)
            stats.ranges += 1
            stats.new_events += len(rows)
            if progress is not None:
                progress(end, tip, stats.new_events)
            # Aim at ~target_logs per call: bounded memory per range (a response is parsed
            # whole), few calls when sparse. Starting small matters: density is unknown.
            if len(logs) > self.target_logs:
                self.size = max(1, self.size * self.target_logs // len(logs))
            elif len(logs) < self.target_logs // 4:
                self.size = min(self.max_range, self.size * (4 if len(logs) < 1_000 else 2))
            start = end + 1

    def _decode(self, logs: list[dict[str, Any]]) -> tuple[list[Row], list[tuple[int, str]]]:
        table = self.decoders.table
        role_of = self.decoders.role_of
        rows: list[Row] = []
        hashes: dict[int, str] = {}
        missing_time: set[int] = set()
        for log in logs:
            if log.get("removed"):
                continue
            topics = log["topics"]
            address = log["address"].lower()
            number = int(log["blockNumber"], 16)
            hashes[number] = log["blockHash"]
            spec = table.get((address, topics[0])) if topics else None
            name, args = "?", [topics, log["data"]]  # unknown: kept raw, reported as a warning
            if spec is not None:
                try:
                    name, args = spec.name, spec.decode(topics, log["data"])
                except (ValueError, TypeError, DecodingError):
                    pass  # a log that does not fit its ABI is reported, never dropped
            stamp = log.get("blockTimestamp")
            if stamp is None:
                missing_time.add(number)
            rows.append(
                (
                    number,
                    int(log["logIndex"], 16),
                    int(stamp, 16) if stamp else 0,
                    log["transactionHash"],
                    role_of[address],
                    name,
                    json.dumps(args, separators=(",", ":")),
                )
            )
        if missing_time:  # older nodes do not put the block time in logs
            times = self._timestamps(sorted(missing_time))
            rows = [r if r[2] else (r[0], r[1], times[r[0]], *r[3:]) for r in rows]
        return rows, sorted(hashes.items())

    def _timestamps(self, numbers: list[int]) -> dict[int, int]:
        headers = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        out = {}
        for n, h in zip(numbers, headers, strict=True):
            if not isinstance(h, dict):
                raise ChainError(f"Block {n} vanished while auditing (a reorg?); run again.")
            out[n] = int(h["timestamp"], 16)
        return out


def _bind(hook: Callable[[int], None] | None, index: int) -> Callable[[], None] | None:
    return None if hook is None else lambda: hook(index)
