"""Settling a gateway's voucher ledger on the UsageMeter, in batches, crash-safely.

The chain is the source of truth: the meter stores each channel's units charged, and a
cumulative voucher only charges the units above them. So settling is

1. `reconcile`: read every pending channel from the meter and `sync` the ledger to it (a
   previous run may have settled on chain and died before recording it);
2. `plan`: drop what cannot settle for certain (deadline passed, channel closed or never
   opened) and what the chain already settled; batch the rest (at most MAX_BATCH each);
3. `settle_batches`: per batch, simulate `settleBatch`; if nothing in it would settle, send
   nothing and ask the meter why for each voucher; otherwise send it and read the outcome
   from the receipt: `UsageSettled` marks settled, `VoucherSkipped` carries the custom error
   (ABI-encoded) that `ErrorDecoder` turns back into a name and values;
4. `pay_assets`: settlement only books what an asset is owed inside the meter; `payAsset`
   pushes it into the vault, where contributors claim it. Every (asset, currency) the
   ledger's channels pay is checked, so a run that died before paying is caught up.

A crash anywhere leaves the ledger behind the chain, never ahead: rerunning settles exactly
what is left, a voucher sent twice charges nothing the second time, and payAsset pays only
what is owed (nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from seedbed.core.errors import ChainError, InputError
from seedbed.core.reverts import DecodedError, ErrorDecoder
from seedbed.core.vouchers import SignedVoucher, Voucher
from seedbed.workflows.channels import channel_view
from seedbed.workflows.ledger import Channel, ChannelState, VoucherLedger


def static_call(
    contract: Any,
    method: str,
    *args: Any,
    sender: str,
    decoder: ErrorDecoder,
    value: int = 0,
) -> tuple[bytes, DecodedError | None]:
    """Run `contract.method(*args)` as `sender` in an eth_call, sending nothing.

    Returns (return data, None), or (b"", the error it would revert with).
    """
    from web3.exceptions import ContractLogicError

    data = getattr(contract, method).encode_input(*args)
    tx: dict[str, Any] = {"from": sender, "to": contract.address, "data": _hex(bytes(data))}
    if value:
        tx["value"] = hex(value)
    try:
        return bytes(contract.provider.web3.eth.call(tx)), None
    except ContractLogicError as err:
        raw = err.data if isinstance(err.data, str) else None
        if raw is None or not raw.startswith("0x"):
            return b"", DecodedError("Error", {"message": err.message or str(err)})
        return b"", decoder.decode(bytes.fromhex(raw[2:]))


def revert_of(
    contract: Any,
    method: str,
    *args: Any,
    sender: str,
    decoder: ErrorDecoder,
    value: int = 0,
) -> DecodedError | None:
    """None if the call would succeed, else the error it would revert with."""
    return static_call(contract, method, *args, sender=sender, decoder=decoder, value=value)[1]


def preflight(
    contract: Any, method: str, *args: Any, sender: str, decoder: ErrorDecoder, value: int = 0
) -> None:
    """ChainError naming the custom error if the call would revert; nothing is sent."""
    err = revert_of(contract, method, *args, sender=sender, decoder=decoder, value=value)
    if err is not None:
        raise ChainError(f"the contract would refuse {method}: {err}; nothing was sent.")


def suite_decoder(suite: Any, *extra: Any) -> ErrorDecoder:
    """Errors that can come out of the meter: its own, the license token's and the vault's."""
    return ErrorDecoder.from_contracts(suite.meter, suite.license, suite.vault, *extra)


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SettledVoucher:
    """A `UsageSettled` log: `units` more were charged on the channel, `amount` left its
    reserve: `service_share` to the operator's earnings, the rest owed to the asset."""

    license_id: int
    payer: str
    operator: str
    units: int
    amount: int
    service_share: int
    cumulative_units: int
    asset_id: int
    currency: str
    tx_hash: str


@dataclass(frozen=True)
class SkippedVoucher:
    """A voucher that did not settle and why; `sent` is False when it never left this
    machine (certain to fail, or a whole batch that would settle nothing)."""

    voucher: Voucher
    reason: DecodedError
    sent: bool

    @property
    def license_id(self) -> int:
        return self.voucher.license_id


@dataclass(frozen=True)
class AssetPaid:
    """`payAsset`: what settlements owed an asset went into the vault (`tx` is None and
    `error` says why when the vault refused it; it stays owed, and a rerun tries again)."""

    asset_id: int
    currency: str
    amount: int
    tx: str | None
    error: str | None = None


@dataclass
class SettleReport:
    settled: list[SettledVoucher] = field(default_factory=list)
    skipped: list[SkippedVoucher] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    synced: int = 0  # channels whose ledger record was corrected from the chain
    paid: list[AssetPaid] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Amount settled per currency address."""
        out: dict[str, int] = {}
        for s in self.settled:
            out[s.currency] = out.get(s.currency, 0) + s.amount
        return out

    def service_totals(self) -> dict[str, int]:
        """The operators' service share of it, per currency address."""
        out: dict[str, int] = {}
        for s in self.settled:
            out[s.currency] = out.get(s.currency, 0) + s.service_share
        return out


@dataclass
class Plan:
    batches: list[list[SignedVoucher]]
    skipped: list[SkippedVoucher]

    @property
    def voucher_count(self) -> int:
        return sum(len(b) for b in self.batches)


Step = Callable[[int], None]


def _no_step(_n: int) -> None:
    return None


def channel_id(channel: Channel) -> bytes:
    """UsageMeter.channelId: keccak256(abi.encode(licenseId, payer, operator))."""
    lic, payer, operator = channel
    return keccak(abi_encode(["uint256", "address", "address"], [lic, payer, operator]))


# ---------------------------------------------------------------------------- settling


def batch_args(
    vouchers: Sequence[SignedVoucher],
) -> tuple[list[tuple[int, str, str, int, int]], list[bytes]]:
    """`settleBatch(vouchers, signatures)` arguments."""
    return [s.voucher.as_tuple() for s in vouchers], [s.signature for s in vouchers]


def reconcile(
    ledger: VoucherLedger,
    suite: Any,
    chain: Any,
    channels: Iterable[Channel],
    step: Step = _no_step,
) -> tuple[dict[Channel, ChannelState], int]:
    """Sync the ledger to the meter for each channel: reserve, units settled, limits, signer.

    Returns every channel's chain state, and how many ledger records had fallen behind (or
    ahead, after a reorg) on the units settled.
    """
    states: dict[Channel, ChannelState] = {}
    changed = 0
    for channel in channels:
        try:
            state = channel_view(suite, chain, *channel).state
        except ChainError:  # an unknown license: `plan` reports it
            step(1)
            continue
        states[channel] = state
        if ledger.settled_units(channel) != state.units:
            changed += 1
        step(1)
    ledger.sync_many(states.values())
    return states, changed


def plan(
    pending: Sequence[SignedVoucher],
    states: Mapping[Channel, ChannelState],
    now: int,
    batch_size: int,
) -> Plan:
    """Batches to send, and the vouchers that certainly cannot settle (never sent).

    `now` is the chain's latest block time: a deadline or closesAt before it has passed for
    every later block too.
    """
    if batch_size < 1:
        raise InputError(f"the batch size must be at least 1, not {batch_size}.")
    sendable: list[SignedVoucher] = []
    skipped: list[SkippedVoucher] = []
    for signed in pending:
        v = signed.voucher
        state = states.get(v.channel)
        reason: DecodedError | None = None
        args: dict[str, Any]
        if state is None:
            reason = DecodedError("LicenseTokenUnknownLicense", {"licenseId": v.license_id})
        elif v.deadline < now:
            args = {"licenseId": v.license_id, "deadline": v.deadline, "nowTime": now}
            reason = DecodedError("UsageMeterVoucherExpired", args)
        elif state.unit_limit == 0:
            reason = DecodedError("UsageMeterNoChannel", {"channelId": channel_id(v.channel)})
        elif now > state.closes_at:
            args = {"licenseId": v.license_id, "payer": v.payer, "closesAt": state.closes_at}
            reason = DecodedError("UsageMeterChannelClosed", args)
        if reason is not None:
            skipped.append(SkippedVoucher(v, reason, sent=False))
        elif v.cumulative_units > state.units:  # type: ignore[union-attr]
            sendable.append(signed)
    batches = [sendable[i : i + batch_size] for i in range(0, len(sendable), batch_size)]
    return Plan(batches, skipped)


def settle_batches(
    ledger: VoucherLedger,
    suite: Any,
    chain: Any,
    sender: Any,
    batches: Sequence[Sequence[SignedVoucher]],
    states: Mapping[Channel, ChannelState],
    decoder: ErrorDecoder,
    step: Step = _no_step,
    on_mined: Callable[[Any], None] = lambda _receipt: None,
) -> SettleReport:
    """Send each batch that would settle something and record the outcome in the ledger.
    `on_mined` sees each receipt before it is recorded (a crash there is what reconcile
    repairs on the next run)."""
    meter = suite.meter
    report = SettleReport()
    for batch in batches:
        vouchers, signatures = batch_args(batch)
        returned, failure = static_call(
            meter, "settleBatch", vouchers, signatures, sender=sender.address, decoder=decoder
        )
        if failure is not None:
            raise ChainError(f"the meter would refuse the whole batch: {failure}; not sent.")
        count, _total = abi_decode(["uint256", "uint256"], returned)
        if count == 0:
            report.skipped.extend(_reasons_unsent(meter, batch, sender.address, decoder))
        else:
            receipt = meter.settleBatch(vouchers, signatures, sender=sender)
            report.transactions.append(str(receipt.txn_hash))
            on_mined(receipt)
            _record(ledger, suite, chain, receipt, batch, states, decoder, report)
        step(len(batch))
    return report


def _reasons_unsent(
    meter: Any, batch: Sequence[SignedVoucher], sender: str, decoder: ErrorDecoder
) -> list[SkippedVoucher]:
    """Why each voucher of a batch that would settle nothing fails, asked one by one."""
    out = []
    for signed in batch:
        v = signed.voucher
        args = (v.as_tuple(), signed.signature)
        reason = revert_of(meter, "settle", *args, sender=sender, decoder=decoder)
        out.append(SkippedVoucher(v, reason or DecodedError("would settle alone"), sent=False))
    return out


def _record(
    ledger: VoucherLedger,
    suite: Any,
    chain: Any,
    receipt: Any,
    batch: Sequence[SignedVoucher],
    states: Mapping[Channel, ChannelState],
    decoder: ErrorDecoder,
    report: SettleReport,
) -> None:
    meter = suite.meter
    by_id = {channel_id(s.voucher.channel): s.voucher for s in batch}
    tx = str(receipt.txn_hash)
    for log in receipt.events.filter(meter.UsageSettled):
        voucher = by_id[bytes(log.channelId)]
        state = states[voucher.channel]
        ledger.mark_settled(voucher.channel, int(log.cumulativeUnits), int(log.amount), tx)
        report.settled.append(
            SettledVoucher(
                voucher.license_id, voucher.payer, voucher.operator, int(log.units),
                int(log.amount), int(log.serviceShare), int(log.cumulativeUnits),
                state.asset_id, state.currency, tx,
            )
        )  # fmt: skip
    for log in receipt.events.filter(meter.VoucherSkipped):
        voucher = by_id[bytes(log.channelId)]
        reason = decoder.decode(bytes(log.reason))
        if reason.name == "UsageMeterStaleVoucher":
            # Someone settled this channel further meanwhile: the chain is ahead of us.
            ledger.sync(channel_view(suite, chain, *voucher.channel).state)
        report.skipped.append(SkippedVoucher(voucher, reason, sent=True))


def pay_assets(
    suite: Any, sender: Any, pairs: Iterable[tuple[int, str]], decoder: ErrorDecoder
) -> list[AssetPaid]:
    """`payAsset` for every (asset, currency) the meter owes something: it moves what
    settlements booked into the vault, where the asset's contributors can claim it."""
    meter = suite.meter
    paid = []
    for asset_id, currency in pairs:
        owed = int(meter.owedToAsset(asset_id, currency))
        if owed == 0:
            continue
        err = revert_of(meter, "payAsset", asset_id, currency, sender=sender.address,
                        decoder=decoder)  # fmt: skip
        if err is not None:
            paid.append(AssetPaid(asset_id, currency, owed, None, str(err)))
            continue
        receipt = meter.payAsset(asset_id, currency, sender=sender)
        log = receipt.events.filter(meter.AssetPaid)[0]
        paid.append(AssetPaid(asset_id, currency, int(log.amount), str(receipt.txn_hash)))
    return paid


def settle_ledger(
    ledger: VoucherLedger,
    suite: Any,
    chain: Any,
    sender: Any,
    batch_size: int = 100,
    step: Step = _no_step,
    *,
    reconcile_step: Step = _no_step,
    pay: bool = True,
    on_mined: Callable[[Any], None] = lambda _receipt: None,
) -> tuple[Plan, SettleReport]:
    """Reconcile, plan, settle everything pending, then pay the assets what the meter owes
    them (the library form of `ape run settle`)."""
    check_batch_size(batch_size, int(suite.meter.MAX_BATCH()))
    pending = ledger.pending()
    states, synced = reconcile(
        ledger, suite, chain, dict.fromkeys(s.voucher.channel for s in pending), reconcile_step
    )
    work = plan(ledger.pending(), states, int(chain.blocks.head.timestamp), batch_size)
    decoder = suite_decoder(suite)
    report = settle_batches(
        ledger, suite, chain, sender, work.batches, states, decoder, step, on_mined
    )
    report.synced = synced
    report.skipped[:0] = work.skipped
    if pay:
        report.paid = pay_assets(suite, sender, ledger.assets(), decoder)
    return work, report


def check_batch_size(batch_size: int, max_batch: int) -> None:
    if not 1 <= batch_size <= max_batch:
        raise InputError(f"--batch-size must be between 1 and the meter's {max_batch}.")


# ---------------------------------------------------------------------------- time


def format_time(timestamp: int) -> str:
    """A unix time as "2026-05-08 07:50:55 UTC"."""
    import datetime

    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_wait(seconds: int) -> str:
    """ "in 1d2h", "now" or "3h ago" (relative to chain time)."""
    from seedbed.core.units import format_duration

    if seconds == 0:
        return "now"
    if seconds > 0:
        return f"in {format_duration(seconds)}"
    return f"{format_duration(-seconds)} ago"


# ---------------------------------------------------------------------------- signing


def sign_with_account(account: Any, voucher: Voucher, chain_id: int, meter_address: str) -> bytes:
    """Sign a voucher with an ape account (any kind: test, keyfile, hardware): 65 bytes,
    checked to recover to the account."""
    from eth_account.messages import encode_typed_data

    from seedbed.core.vouchers import recover, typed_data

    message = encode_typed_data(full_message=typed_data(voucher, chain_id, meter_address))
    signed = account.sign_message(message)
    if signed is None:
        raise InputError(f"the account {account.address} declined to sign the voucher.")
    signature = bytes(signed.encode_rsv())
    signer = recover(voucher, chain_id, meter_address, signature)
    if signer != account.address:
        raise InputError(f"the signature recovers to {signer}, not to {account.address}.")
    return signature


def _hex(data: bytes) -> str:
    return "0x" + data.hex()
