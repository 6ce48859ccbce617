"""Settling a gateway's voucher ledger on the UsageMeter, in batches, crash-safely.

The chain is the source of truth: the license token stores each license's units used, and a
cumulative voucher only charges the units above it. So settling is

1. `reconcile`: read every pending license's `unitsUsed` and `sync_settled` the ledger to it
   (a previous run may have settled on chain and died before recording it);
2. `plan`: drop what cannot settle for certain (deadline passed, license unknown) and order
   the rest by (asset, currency), so the meter pays the vault once per run of equal pairs;
3. `settle_batches`: per batch, simulate `settleBatch`; if nothing in it would settle, send
   nothing and ask the meter why for each voucher; otherwise send it and read the outcome
   from the receipt: `UsageSettled` marks settled, `VoucherSkipped` carries the custom error
   (ABI-encoded) that `ErrorDecoder` turns back into a name and values.

A crash anywhere leaves the ledger behind the chain, never ahead: rerunning settles exactly
what is left, and a voucher sent twice charges nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode

from seedbed.core.constants import UINT64_MAX, USAGE_SCOPES
from seedbed.core.errors import ChainError, InputError
from seedbed.core.reverts import DecodedError, ErrorDecoder
from seedbed.core.vouchers import SignedVoucher, Voucher
from seedbed.workflows.ledger import VoucherLedger


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
    """A `UsageSettled` log: `units` more were charged, `amount` moved to the vault."""

    license_id: int
    units: int
    amount: int
    cumulative_units: int
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


@dataclass
class SettleReport:
    settled: list[SettledVoucher] = field(default_factory=list)
    skipped: list[SkippedVoucher] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)
    synced: int = 0  # licenses whose ledger record was corrected from the chain

    def totals(self) -> dict[str, int]:
        """Amount settled per currency address."""
        out: dict[str, int] = {}
        for s in self.settled:
            out[s.currency] = out.get(s.currency, 0) + s.amount
        return out


@dataclass(frozen=True)
class LicenseState:
    """What `reconcile` read from the chain for one license."""

    asset_id: int
    currency: str
    units_used: int


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


# ---------------------------------------------------------------------------- settling


def batch_args(
    vouchers: Sequence[SignedVoucher],
) -> tuple[list[tuple[int, int, int]], list[bytes]]:
    """`settleBatch(vouchers, signatures)` arguments."""
    return (
        [(s.voucher.license_id, s.voucher.cumulative_units, s.voucher.deadline) for s in vouchers],
        [s.signature for s in vouchers],
    )


def reconcile(
    ledger: VoucherLedger, license_token: Any, license_ids: Iterable[int], step: Step = _no_step
) -> tuple[dict[int, LicenseState], int]:
    """Sync the ledger's settled units to the chain's for each license.

    Returns the chain state of every license that exists, and how many ledger records moved.
    """
    from ape.exceptions import ContractLogicError

    states: dict[int, LicenseState] = {}
    changed = 0
    for license_id in license_ids:
        try:
            terms = license_token.usageTerms(license_id)
        except ContractLogicError:  # unknown license: `plan` reports it
            step(1)
            continue
        used = int(terms.unitsUsed)
        states[license_id] = LicenseState(int(terms.assetId), str(terms.currency), used)
        if ledger.settled_units(license_id) != used:
            ledger.sync_settled(license_id, used)
            changed += 1
        step(1)
    return states, changed


def plan(
    pending: Sequence[SignedVoucher],
    states: Mapping[int, LicenseState],
    now: int,
    batch_size: int,
) -> Plan:
    """Batches to send, and the vouchers that certainly cannot settle (never sent).

    `now` is the chain's latest block time: a deadline before it has passed for every
    later block too.
    """
    if batch_size < 1:
        raise InputError(f"the batch size must be at least 1, not {batch_size}.")
    sendable: list[SignedVoucher] = []
    skipped: list[SkippedVoucher] = []
    for signed in pending:
        v = signed.voucher
        state = states.get(v.license_id)
        if state is None:
            reason = DecodedError("LicenseTokenUnknownLicense", {"licenseId": v.license_id})
            skipped.append(SkippedVoucher(v, reason, sent=False))
        elif v.deadline < now:
            reason = DecodedError(
                "UsageMeterVoucherExpired",
                {"licenseId": v.license_id, "deadline": v.deadline, "nowTime": now},
            )
            skipped.append(SkippedVoucher(v, reason, sent=False))
        elif v.cumulative_units > state.units_used:
            sendable.append(signed)
    # Equal (asset, currency) side by side: the meter pays the vault once per run of them.
    sendable.sort(
        key=lambda s: (
            states[s.voucher.license_id].asset_id,
            states[s.voucher.license_id].currency,
            s.voucher.license_id,
        )
    )
    batches = [sendable[i : i + batch_size] for i in range(0, len(sendable), batch_size)]
    return Plan(batches, skipped)


def settle_batches(
    ledger: VoucherLedger,
    meter: Any,
    sender: Any,
    batches: Sequence[Sequence[SignedVoucher]],
    decoder: ErrorDecoder,
    step: Step = _no_step,
) -> SettleReport:
    """Send each batch that would settle something and record the outcome in the ledger."""
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
            _record(ledger, meter, receipt, batch, decoder, report)
        step(len(batch))
    return report


def _reasons_unsent(
    meter: Any, batch: Sequence[SignedVoucher], sender: str, decoder: ErrorDecoder
) -> list[SkippedVoucher]:
    """Why each voucher of a batch that would settle nothing fails, asked one by one."""
    out = []
    for signed in batch:
        v = signed.voucher
        args = ((v.license_id, v.cumulative_units, v.deadline), signed.signature)
        reason = revert_of(meter, "settle", *args, sender=sender, decoder=decoder)
        out.append(SkippedVoucher(v, reason or DecodedError("would settle alone"), sent=False))
    return out


def _record(
    ledger: VoucherLedger,
    meter: Any,
    receipt: Any,
    batch: Sequence[SignedVoucher],
    decoder: ErrorDecoder,
    report: SettleReport,
) -> None:
    by_license = {s.voucher.license_id: s.voucher for s in batch}
    tx = str(receipt.txn_hash)
    for log in receipt.events.filter(meter.UsageSettled):
        license_id = int(log.licenseId)
        ledger.mark_settled(license_id, int(log.cumulativeUnits), tx)
        report.settled.append(
            SettledVoucher(
                license_id,
                int(log.units),
                int(log.amount),
                int(log.cumulativeUnits),
                str(log.currency),
                tx,
            )
        )
    for log in receipt.events.filter(meter.VoucherSkipped):
        license_id = int(log.licenseId)
        reason = decoder.decode(bytes(log.reason))
        if reason.name == "UsageMeterStaleVoucher":
            # Someone settled this license further meanwhile: the chain is ahead of us.
            ledger.sync_settled(license_id, int(reason.args["unitsUsed"]))
        report.skipped.append(SkippedVoucher(by_license[license_id], reason, sent=True))


def settle_ledger(
    ledger: VoucherLedger,
    suite: Any,
    chain: Any,
    sender: Any,
    batch_size: int = 100,
    step: Step = _no_step,
) -> tuple[Plan, SettleReport]:
    """Reconcile, plan and settle everything pending (the library form of `ape run settle`)."""
    check_batch_size(batch_size, int(suite.meter.MAX_BATCH()))
    pending = ledger.pending()
    states, synced = reconcile(ledger, suite.license, {s.voucher.license_id for s in pending})
    work = plan(ledger.pending(), states, int(chain.blocks.head.timestamp), batch_size)
    report = settle_batches(ledger, suite.meter, sender, work.batches, suite_decoder(suite), step)
    report.synced = synced
    report.skipped[:0] = work.skipped
    return work, report


def check_batch_size(batch_size: int, max_batch: int) -> None:
    if not 1 <= batch_size <= max_batch:
        raise InputError(f"--batch-size must be between 1 and the meter's {max_batch}.")


# ---------------------------------------------------------------------------- licenses


@dataclass(frozen=True)
class LicenseUsage:
    """One license as the meter sees it (LicenseToken.usageTerms), plus the grace period."""

    license_id: int
    holder: str
    asset_id: int
    currency: str
    unit_price: int
    max_units: int  # 0 = unlimited
    expires_at: int  # 0 = perpetual
    units_used: int
    scopes: int
    grace_period: int

    @property
    def cap(self) -> int:
        return self.max_units or UINT64_MAX

    @property
    def units_left(self) -> int:
        return self.cap - self.units_used

    @property
    def grace_end(self) -> int | None:
        return None if self.expires_at == 0 else self.expires_at + self.grace_period

    @property
    def meterable(self) -> bool:
        return bool(self.scopes & USAGE_SCOPES)

    def closed(self, now: int) -> bool:
        """No voucher can settle any more (the meter's LicenseClosed)."""
        end = self.grace_end
        return end is not None and now > end

    def voucher_problem(self, cumulative_units: int, now: int) -> str | None:
        """Why a voucher for `cumulative_units` in total could not settle, or None."""
        lic = self.license_id
        if self.closed(now):
            ended = format_time(self.grace_end or 0)
            return f"license {lic} expired and its grace period ended at {ended}."
        if not self.meterable:
            return f"license {lic} has no access, train or infer scope, so it cannot be metered."
        if cumulative_units <= self.units_used:
            return (
                f"license {lic} has already settled {self.units_used} units; a voucher must "
                f"cover more than that in total, not {cumulative_units}."
            )
        if cumulative_units > self.cap:
            return f"{cumulative_units} units exceed license {lic}'s cap of {self.cap}."
        return None


def license_usage(suite: Any, license_id: int) -> LicenseUsage:
    """Read a license's usage terms; ChainError if it does not exist."""
    from ape.exceptions import ContractLogicError

    if license_id < 1:
        raise InputError(f"license ids start at 1, not {license_id}.")
    try:
        t = suite.license.usageTerms(license_id)
    except ContractLogicError:
        raise ChainError(
            f"license {license_id} does not exist on chain {suite.chain_id}."
        ) from None
    return LicenseUsage(
        license_id=license_id,
        holder=str(t.holder),
        asset_id=int(t.assetId),
        currency=str(t.currency),
        unit_price=int(t.unitPrice),
        max_units=int(t.maxUnits),
        expires_at=int(t.expiresAt),
        units_used=int(t.unitsUsed),
        scopes=int(t.scopes),
        grace_period=int(suite.meter.GRACE_PERIOD()),
    )


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
