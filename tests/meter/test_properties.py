"""Property: whatever the order of deposits, vouchers (fresh, replayed, expired, above the
cap), single and batch settlements, on-chain metering, withdrawals and time jumps, every unit
is paid exactly once and escrow is conserved to the wei, matching a Python model at every
step."""

from dataclasses import dataclass, field

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meterkit import isolated

from seedbed.core.constants import ETH
from seedbed.workflows.meter import batch_args, suite_decoder

HOUR = 3_600
DELAY_H = 24
GRACE_H = 7 * 24
# Every time boundary sits on a half hour while jumps are whole hours, so the few seconds
# each transaction adds can never move an outcome across a boundary.
DEADLINE_H = [0.5, 6.5, 30.5, 10**6]
DURATION_H = 30.5
JUMPS_H = [1, 6, 24, 100]

# (unit price, max units, duration hours or 0, license price, holder index)
LICENSES = [(7, 0, 0, 1_000, 0), (3, 40, 0, 0, 0), (5, 0, DURATION_H, 500, 1)]

# Vouchers are picked counting back from the newest: mostly fresh ones, sometimes replays.
recent = st.integers(0, 3) | st.integers(0, 99)
# Mostly vouchers that stay valid, sometimes ones that expire within a jump or two.
ttl = st.sampled_from([3, 3, 3, 2, 1, 0])
more = st.integers(0, 30)
sign = st.tuples(st.just("sign"), st.integers(0, 2), more, ttl)
ops = st.one_of(
    sign,
    st.tuples(st.just("sign+settle"), st.integers(0, 2), more, ttl),
    st.tuples(st.just("settle"), recent),
    st.tuples(st.just("batch"), st.lists(recent, min_size=1, max_size=5)),
    st.tuples(st.just("deposit"), st.integers(0, 1), st.integers(1, 2_000)),
    st.tuples(st.just("meter"), st.integers(0, 2), st.integers(1, 20)),
    st.tuples(st.just("request"), st.integers(0, 1), st.integers(0, 5)),
    st.tuples(st.just("complete"), st.integers(0, 1)),
    st.tuples(st.just("request+wait+complete"), st.integers(0, 1), st.integers(1, 4)),
    st.tuples(st.just("jump"), st.sampled_from(JUMPS_H)),
)


@dataclass
class Model:
    """What the chain must show, kept by hand. Times are hours since the example began."""

    now_h: int = 0
    escrow: list[int] = field(default_factory=lambda: [0, 0])
    withdrawal: list[tuple[int, int] | None] = field(default_factory=lambda: [None, None])
    used: list[int] = field(default_factory=lambda: [0, 0, 0])
    vouchers: list[tuple[object, int, float, int]] = field(
        default_factory=list
    )  # signed, lic, ttl, at

    def charge(self, lic, new_total, voucher=None):
        """The error name the meter must give, or None and the amount it charges."""
        price, cap, duration_h, _, holder = LICENSES[lic]
        if voucher is not None:
            _signed, _lic, ttl_h, signed_h = voucher
            if self.now_h - signed_h > ttl_h:
                return "UsageMeterVoucherExpired", 0
            if new_total <= self.used[lic]:
                return "UsageMeterStaleVoucher", 0
        if duration_h and self.now_h > duration_h + GRACE_H:
            return "UsageMeterLicenseClosed", 0
        if cap and new_total > cap:
            return "UsageMeterUnitsAboveCap", 0
        amount = (new_total - self.used[lic]) * price
        if amount > self.escrow[holder]:
            return "UsageMeterInsufficientEscrow", 0
        return None, amount

    def apply(self, lic, new_total, amount):
        self.escrow[LICENSES[lic][4]] -= amount
        self.used[lic] = new_total


@pytest.fixture
def offers(make_offer):
    """One offer per LICENSES entry, made once per test (offers move no money)."""
    return [
        make_offer(
            unit_price=unit_price, max_units=cap, duration=int(duration_h * HOUR), price=price
        )
        for unit_price, cap, duration_h, price, _holder in LICENSES
    ]


@settings(deadline=None)
@given(
    initial=st.tuples(st.integers(0, 3_000), st.integers(0, 3_000)),
    steps=st.lists(ops, min_size=5, max_size=14),
)
def test_every_unit_is_paid_once_and_escrow_is_conserved_to_the_wei(
    initial,
    steps,
    offers,
    chain,
    suite,
    meter,
    vault,
    license_token,
    buy,
    signer,
    alice,
    bob,
    gateway,
):
    holders = [alice, bob]
    decoder = suite_decoder(suite)
    with isolated(chain):
        start_block = chain.blocks.head.number + 1
        vault_before, meter_before = vault.balance, meter.balance
        # Bought inside the example: each license's clock starts with the example's.
        licenses = [
            buy(offer, holders[spec[4]]) for offer, spec in zip(offers, LICENSES, strict=True)
        ]
        model = Model()
        for holder, amount in enumerate(initial):
            run_step(
                ("deposit", holder, amount),
                model,
                chain,
                meter,
                licenses,
                holders,
                signer,
                decoder,
                gateway,
            )

        for step in steps:
            run_step(step, model, chain, meter, licenses, holders, signer, decoder, gateway)
            escrows = [meter.escrowOf(h, ETH) for h in holders]
            assert escrows == model.escrow and min(escrows) >= 0

        assert meter.totalEscrow(ETH) == sum(model.escrow) == meter.balance - meter_before

        settled = list(meter.UsageSettled.range(start_block, chain.blocks.head.number + 1))
        for lic, license_id in enumerate(licenses):
            logs = [log for log in settled if log.licenseId == license_id]
            used = license_token.usageTerms(license_id).unitsUsed
            assert used == model.used[lic] == sum(log.units for log in logs)
            assert sum(log.amount for log in logs) == used * LICENSES[lic][0]
        sales = sum(price for _, _, _, price, _ in LICENSES)
        assert vault.balance - vault_before == sum(log.amount for log in settled) + sales


def run_step(step, model, chain, meter, licenses, holders, signer, decoder, gateway):
    kind = step[0]
    if kind == "deposit":
        _, holder, amount = step
        if amount == 0:
            return
        meter.deposit(ETH, amount, value=amount, sender=holders[holder])
        model.escrow[holder] += amount
    elif kind == "sign":
        _, lic, more, ttl = step
        signed_so_far = [v[0].voucher.cumulative_units for v in model.vouchers if v[1] == lic]
        units = max([model.used[lic], *signed_so_far]) + more
        ttl_h = DEADLINE_H[ttl]
        deadline = chain.blocks.head.timestamp + int(ttl_h * HOUR)
        voucher = signer(holders[LICENSES[lic][4]], licenses[lic], units, deadline=deadline)
        model.vouchers.append((voucher, lic, ttl_h, model.now_h))
    elif kind == "request+wait+complete":
        _, holder, quarters = step
        for sub in (("request", holder, quarters), ("jump", DELAY_H), ("complete", holder)):
            run_step(sub, model, chain, meter, licenses, holders, signer, decoder, gateway)
    elif kind == "sign+settle":
        run_step(
            ("sign", *step[1:]), model, chain, meter, licenses, holders, signer, decoder, gateway
        )
        run_step(("settle", 0), model, chain, meter, licenses, holders, signer, decoder, gateway)
    elif kind == "settle" and model.vouchers:
        entry = model.vouchers[-1 - step[1] % len(model.vouchers)]
        signed, lic = entry[0], entry[1]
        error, amount = model.charge(lic, signed.voucher.cumulative_units, entry)
        v = signed.voucher
        args = ((v.license_id, v.cumulative_units, v.deadline), signed.signature)
        if error:
            with ape.reverts(getattr(meter, error)):
                meter.settle(*args, sender=gateway)
        else:
            meter.settle(*args, sender=gateway)
            model.apply(lic, v.cumulative_units, amount)
    elif kind == "batch" and model.vouchers:
        entries = [model.vouchers[-1 - i % len(model.vouchers)] for i in step[1]]
        expected_settled, expected_skipped = [], []
        for entry in entries:
            signed, lic = entry[0], entry[1]
            error, amount = model.charge(lic, signed.voucher.cumulative_units, entry)
            if error:
                expected_skipped.append(error)
            else:
                units = signed.voucher.cumulative_units - model.used[lic]
                expected_settled.append((licenses[lic], units, amount))
                model.apply(lic, signed.voucher.cumulative_units, amount)
        receipt = meter.settleBatch(*batch_args([e[0] for e in entries]), sender=gateway)
        got = [
            (log.licenseId, log.units, log.amount)
            for log in receipt.events.filter(meter.UsageSettled)
        ]
        skipped = [
            decoder.decode(bytes(log.reason)).name
            for log in receipt.events.filter(meter.VoucherSkipped)
        ]
        assert got == expected_settled
        assert skipped == expected_skipped
    elif kind == "meter":
        _, lic, units = step
        error, amount = model.charge(lic, model.used[lic] + units)
        holder = holders[LICENSES[lic][4]]
        if error:
            with ape.reverts(getattr(meter, error)):
                meter.meter(licenses[lic], units, sender=holder)
        else:
            meter.meter(licenses[lic], units, sender=holder)
            model.apply(lic, model.used[lic] + units, amount)
    elif kind == "request":
        _, holder, quarters = step
        amount = model.escrow[holder] * quarters // 4
        if amount == 0:
            with ape.reverts(meter.UsageMeterZeroAmount):
                meter.requestWithdrawal(ETH, amount, sender=holders[holder])
        elif amount > model.escrow[holder]:
            with ape.reverts(meter.UsageMeterInsufficientEscrow):
                meter.requestWithdrawal(ETH, amount, sender=holders[holder])
        else:
            meter.requestWithdrawal(ETH, amount, sender=holders[holder])
            model.withdrawal[holder] = (amount, model.now_h)
    elif kind == "complete":
        holder = step[1]
        pending = model.withdrawal[holder]
        if pending is None:
            with ape.reverts(meter.UsageMeterNoWithdrawalRequested):
                meter.completeWithdrawal(ETH, sender=holders[holder])
        elif model.now_h - pending[1] < DELAY_H:
            with ape.reverts(meter.UsageMeterWithdrawalNotReady):
                meter.completeWithdrawal(ETH, sender=holders[holder])
        else:
            paid = min(pending[0], model.escrow[holder])
            receipt = meter.completeWithdrawal(ETH, sender=holders[holder])
            assert [log.amount for log in receipt.events.filter(meter.Withdrawn)] == [paid]
            model.escrow[holder] -= paid
            model.withdrawal[holder] = None
    elif kind == "jump":
        chain.pending_timestamp += step[1] * HOUR
        chain.mine()
        model.now_h += step[1]
