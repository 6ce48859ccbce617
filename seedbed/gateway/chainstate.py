"""License, asset and channel state at memory speed, kept current from the chain's events.

The hot path reads only this cache. It is filled on first use (one chain read per license,
asset or channel) and kept current by a poller that reads each new block's logs of the
LicenseToken, UsageMeter and AssetRegistry: a transfer, a deposit, a withdrawal request,
a signer change, a settlement or a delisting re-reads what it touches. With a poll interval
below the block time, a revoked, expired, delisted or moved license is refused from the next
block on; expiry itself is checked against the chain's clock on every call.

Chain reads go through ape on one worker thread (ape's objects are not shared across
threads); log polling uses plain JSON-RPC.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from seedbed.chain.client import Suite
from seedbed.chain.rpc import Rpc
from seedbed.core.constants import USAGE_SCOPES
from seedbed.core.errors import InputError
from seedbed.workflows.channels import LicenseTerms, channel_view, license_terms
from seedbed.workflows.ledger import Channel, ChannelState
from seedbed.workflows.meter import channel_id

log = logging.getLogger("seedbed.gateway")

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
LISTING_CHANGED = "0x" + keccak(text="ListingChanged(uint256,bool)").hex()
STATUS_CHANGED = "0x" + keccak(text="StatusChanged(uint256,uint8)").hex()  # a dispute opened/ended
_BY_LICENSE_AND_PAYER = {
    "0x" + keccak(text=sig).hex()
    for sig in (
        "HolderLeft(uint256,address,uint40)",
        "HolderReturned(uint256,address,uint40)",
        "SignerChangeScheduled(uint256,address,address,uint40)",
    )
}


@dataclass(frozen=True, slots=True)
class AssetState:
    asset_id: int
    content_root: bytes
    delisted: bool
    status: int = 0  # 0 none, 1 disputed, 2 upheld (AssetRegistry.Record.status)


class ChainView:
    """The gateway's cache of chain state, and its one door to the chain."""

    def __init__(self, suite: Suite, chain: Any, poll_seconds: float = 0.2) -> None:
        self.suite = suite
        self.chain = chain
        self.poll_seconds = poll_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chain")
        self._rpc = Rpc(chain.provider)
        self._licenses: dict[int, LicenseTerms] = {}
        self._assets: dict[int, AssetState] = {}
        self._channel_ids: dict[str, Channel] = {}
        self._head = 0
        self._head_time = 0
        self._seen_at = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self.on_channel: Callable[[ChannelState], Awaitable[None]] | None = None
        self.addresses = [suite.license.address, suite.meter.address, suite.registry.address]
        self.polls = 0
        self.errors = 0

    # ------------------------------------------------------------------ reads

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def now(self) -> int:
        """The chain's clock: the last block's time plus the wall time since it was seen (the
        meter sees at least this when a settlement is mined)."""
        return self._head_time + int(time.monotonic() - self._seen_at)

    async def license(self, license_id: int) -> LicenseTerms:
        terms = self._licenses.get(license_id)
        if terms is None:
            try:
                terms = await self._run(license_terms, self.suite, license_id)
            except Exception as err:  # noqa: BLE001 - any chain failure: refuse, say why
                raise InputError(getattr(err, "message", str(err))) from None
            self._licenses[license_id] = terms
        return terms

    async def asset(self, asset_id: int) -> AssetState:
        state = self._assets.get(asset_id)
        if state is None:
            state = await self._run(self._read_asset, asset_id)
            self._assets[asset_id] = state
        return state

    def _read_asset(self, asset_id: int) -> AssetState:
        try:
            view = self.suite.registry.asset(asset_id)
        except Exception:  # noqa: BLE001 - the registry reverts for an unknown asset
            raise InputError(f"asset {asset_id} is not registered on this chain.") from None
        return AssetState(asset_id, bytes(view.contentRoot), bool(view.delisted), int(view.status))

    async def seal(self, asset_id: int) -> tuple[bytes, bytes]:
        """(sealRoot, keyCheck) PrivateData records for a private asset (zeros: unsealed)."""
        private = getattr(self.suite, "private", None)
        if private is None:
            raise InputError(
                "this deployment has no PrivateData contract: it serves no private data."
            )
        root, check = await self._run(private.sealOf, asset_id)
        return bytes(root), bytes(check)

    async def channel(self, channel: Channel) -> ChannelState:
        """Read a channel's state from the chain (and remember its id for the poller)."""
        lic, payer, operator = channel
        try:
            view = await self._run(channel_view, self.suite, self.chain, lic, payer, operator)
        except Exception as err:  # noqa: BLE001 - an unknown license, or the node failed
            raise InputError(getattr(err, "message", None) or f"license {lic}: {err}") from None
        self._channel_ids["0x" + channel_id(channel).hex()] = channel
        return view.state

    def refusal(self, terms: LicenseTerms, payer: str, asset_id: int) -> str | None:
        """Why a license may not be served now (None: it may)."""
        now = self.now()
        if terms.asset_id != asset_id:
            return f"license {terms.license_id} is for asset {terms.asset_id}, not {asset_id}."
        if terms.holder != payer:
            return f"license {terms.license_id} is held by {terms.holder}, not by {payer}."
        if terms.expires_at and now >= terms.expires_at:
            return f"license {terms.license_id} expired at {terms.expires_at}."
        if not terms.scopes & USAGE_SCOPES:
            return f"license {terms.license_id} grants no metered use (ACCESS, TRAIN or INFER)."
        asset = self._assets.get(asset_id)
        if asset is not None and asset.delisted:
            return f"asset {asset_id} is delisted."
        return None

    # ------------------------------------------------------------------ events

    async def start(self) -> None:
        await self._run(self._read_head)
        self._task = asyncio.create_task(self._poll_forever(), name="chain-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read_head(self) -> None:
        block = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        self._head = int(block["number"], 16)
        self._head_time = int(block["timestamp"], 16)
        self._seen_at = time.monotonic()

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - a node hiccup: keep the cache, retry
                self.errors += 1
                log.warning("chain poll failed: %s", err)

    async def poll(self) -> None:
        """Apply every log since the last block seen."""
        self.polls += 1
        start = self._head + 1
        logs = await self._run(self._new_logs, start)
        touched: set[Channel] = set()
        for entry in logs:
            touched |= self._apply(entry)
        for channel in touched:
            state = await self.channel(channel)
            if self.on_channel is not None:
                await self.on_channel(state)

    def _new_logs(self, start: int) -> list[dict[str, Any]]:
        block = self._rpc.call("eth_getBlockByNumber", ["latest", False])
        head = int(block["number"], 16)
        logs: list[dict[str, Any]] = []
        if head >= start:
            logs = self._rpc.call(
                "eth_getLogs",
                [{"fromBlock": hex(start), "toBlock": hex(head), "address": self.addresses}],
            )
        self._head, self._head_time = head, int(block["timestamp"], 16)
        self._seen_at = time.monotonic()
        return logs

    def _apply(self, entry: dict[str, Any]) -> set[Channel]:
        """Forget what a log changed; the channels it touched, to re-read."""
        topics = [t.lower() for t in entry.get("topics", [])]
        if not topics:
            return set()
        address = entry["address"].lower()
        if address == self.suite.license.address.lower() and topics[0] == TRANSFER:
            lic = int(topics[3], 16)
            self._licenses.pop(lic, None)
            return {c for c in self._channel_ids.values() if c[0] == lic}
        if address == self.suite.registry.address.lower() and topics[0] in (
            LISTING_CHANGED,
            STATUS_CHANGED,
        ):
            self._assets.pop(int(topics[1], 16), None)
            return set()
        if address != self.suite.meter.address.lower():
            return set()
        if topics[0] in _BY_LICENSE_AND_PAYER:
            lic, payer = int(topics[1], 16), "0x" + topics[2][-40:]
            self._licenses.pop(lic, None)
            return {c for c in self._channel_ids.values() if c[0] == lic and c[1].lower() == payer}
        if len(topics) > 1 and topics[1] in self._channel_ids:
            return {self._channel_ids[topics[1]]}
        if len(topics) > 2:  # a channel this gateway has not seen: its license may be ours
            self._licenses.pop(int(topics[2], 16), None)
        return set()
