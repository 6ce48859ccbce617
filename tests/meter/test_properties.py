"""Property: whatever an adversarial payer does — deposits, vouchers (fresh, replayed,
expired, above the limit), single and batch settlements, on-chain metering, withdrawals
(early, ready, lapsed), a license transfer back and forth, a second gateway, payAsset,
withdrawEarnings and time jumps — the chain matches a Python model of every channel at every
step, every unit is charged exactly once, the service share goes to the voucher's operator,
and the meter's books are conserved to the wei:
balance == totalHeld == Σ reserves + owed to the asset + Σ operator earnings."""

from dataclasses import dataclass, field

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meterkit import UINT40_MAX, UINT64_MAX, batch, isolated

from seedbed.core.constants import ETH
from seedbed.workflows.meter import suite_decoder

HOUR = 3_600
# (unit price, max units, duration hours or 0, service bps, first holder)
LICENSES = [(7, 40, 0, 1_000, 0), (3, 0, 0, 0, 0), (5, 0, 30, 5_000, 1)]
TRANSFERABLE = 1  # license 1 moves between the two payers
TTLS = [30 * 60, 6 * HOUR, 30 * HOUR, 10**7]  # voucher lifetimes, seconds

recent = st.integers(0, 3) | st.integers(0, 99)
lic = st.integers(0, 2)
op = st.integers(0, 1)
payer = st.sampled_from([0, 0, 0, 1])  # 0 = the license's holder now, 1 = the other payer
sign = st.tuples(st.just("sign"), lic, payer, op, st.integers(0, 30), st.integers(0, 3))
sign_settle = st.tuples(
    st.just("sign+settle"), lic, payer, op, st.integers(0, 30), st.integers(0, 3)
)
settle_batch = st.tuples(st.just("batch"), st.lists(recent, min_size=1, max_size=5))
ops = st.one_of(
    # Vouchers weigh most: signing, settling and batching them is what the meter is for.
    sign,
    sign,
    sign,
    sign_settle,
    sign_settle,
    sign_settle,
    st.tuples(st.just("settle"), recent),
    settle_batch,
    settle_batch,
    st.tuples(st.just("deposit"), lic, payer, op, st.integers(1, 2_000)),
    st.tuples(st.just("meter"), lic, op, st.integers(1, 20)),
    st.tuples(st.just("request"), lic, payer, op, st.integers(0, 5)),
    st.tuples(st.just("complete"), lic, payer, op),
    st.tuples(st.just("cancel"), lic, payer, op),
    st.tuples(st.just("transfer")),
    st.tuples(st.just("payAsset")),
    st.tuples(st.just("withdrawEarnings"), op),
    st.tuples(st.just("jump"), st.sampled_from([1, 6, 24, 49, 80])),
)


@dataclass
class Ch:
    reserve: int = 0
    units: int = 0
    limit: int = 0  # 0 = not open
    withdrawal: tuple[int, int, int] | None = None  # amount, readyAt, windowEnd


@dataclass
class Model:
    t: int
    grace: int
    delay: int
    window: int
    expires: list[int]
    holder: list[int] = field(default_factory=lambda: [spec[4] for spec in LICENSES])
    channels: dict = field(default_factory=dict)  # (lic, payer, op) -> Ch
    holders: dict = field(default_factory=dict)  # (lic, payer) -> [held, closesAt]
    allotted: list[int] = field(default_factory=lambda: [0, 0, 0])
    owed: int = 0
    earnings: list[int] = field(default_factory=lambda: [0, 0])
    vouchers: list = field(default_factory=list)  # (signed, (lic, payer, op))

    def payer(self, lic, rel):
        """0 = the license's holder now, 1 = the other payer."""
        return self.holder[lic] if rel == 0 else 1 - self.holder[lic]

    def ch(self, key):
        return self.channels.setdefault(key, Ch())

    def close_time(self, lic):
        return self.expires[lic] + self.grace if self.expires[lic] else UINT40_MAX

    def price(self, key, cumulative):
        """The error of the reserve check, or None, amount and share."""
        c = self.ch(key)
        amount = (cumulative - c.units) * LICENSES[key[0]][0]
        if amount > c.reserve:
            return "UsageMeterInsufficientReserve", 0, 0
        return None, amount, amount * LICENSES[key[0]][3] // 10_000

    def voucher(self, signed, key):
        c, h = self.ch(key), self.holders.get(key[:2], [False, 0])
        cumulative = signed.voucher.cumulative_units
        if self.t > signed.voucher.deadline:
            return "UsageMeterVoucherExpired", 0, 0
        if c.limit == 0:
            return "UsageMeterNoChannel", 0, 0
        if self.t > h[1]:
            return "UsageMeterChannelClosed", 0, 0
        if cumulative <= c.units:
            return "UsageMeterStaleVoucher", 0, 0
        if cumulative > c.limit:
            return "UsageMeterUnitsAboveCap", 0, 0
        return self.price(key, cumulative)

    def apply(self, key, cumulative, amount, share):
        c = self.ch(key)
        c.reserve -= amount
        c.units = cumulative
        self.earnings[key[2]] += share
        self.owed += amount - share

    def open_error(self, key):
        lic_, _, _ = key
        if self.expires[lic_] and self.t >= self.expires[lic_]:
            return "UsageMeterLicenseExpired"
        cap = LICENSES[lic_][1]
        if cap and cap - self.allotted[lic_] == 0:
            return "UsageMeterNoUnitsLeft"
        return None

    def open(self, key):
        lic_ = key[0]
        c = self.ch(key)
        cap = LICENSES[lic_][1]
        if cap:
            want = cap - self.allotted[lic_]
            self.allotted[lic_] += want
            c.limit = c.units + want
        else:
            c.limit = UINT64_MAX
        self.holders[key[:2]] = [True, self.close_time(lic_)]

    def release(self, key):
        c = self.ch(key)
        if LICENSES[key[0]][1] == 0:
            return
        self.allotted[key[0]] -= c.limit - c.units
        c.limit = c.units


@pytest.fixture
def offers(make_offer):
    return [
        make_offer(unit_price=p, max_units=cap, duration=d * HOUR, service_bps=bps)
        for p, cap, d, bps, _ in LICENSES
    ]


@pytest.fixture(scope="session")
def gateway2(accounts):
    return accounts[8]


@settings(deadline=None)
@given(
    # A first deposit into each (license, operator) channel of the holders; 0 = none.
    initial=st.lists(st.integers(0, 3_000), min_size=6, max_size=6),
    steps=st.lists(ops, min_size=8, max_size=20),
)
def test_channels_match_the_model_and_the_books_are_conserved_to_the_wei(
    initial,
    steps,
    offers,
    chain,
    suite,
    meter,
    vault,
    license_token,
    asset_id,
    buy,
    signer,
    alice,
    bob,
    gateway,
    gateway2,
):
    payers, operators = [alice, bob], [gateway, gateway2]
    decoder = suite_decoder(suite)
    with isolated(chain):
        licenses = [buy(o, payers[spec[4]]) for o, spec in zip(offers, LICENSES, strict=True)]
        expires = [license_token.expiresAt(lid) for lid in licenses]
        model = Model(
            t=chain.blocks.head.timestamp + 10,
            grace=meter.GRACE_PERIOD(),
            delay=meter.WITHDRAWAL_DELAY(),
            window=meter.WITHDRAWAL_WINDOW(),
            expires=expires,
        )
        base_held, base_balance = meter.totalHeld(ETH), meter.balance
        base_owed = meter.owedToAsset(asset_id, ETH)
        base_earn = [meter.earningsOf(o, ETH) for o in operators]
        base_vault = vault.balance
        paid_to_vault = 0
        world = (chain, meter, licenses, payers, operators, signer, decoder, license_token)
        for i, amount in enumerate(initial):
            if amount:
                run_step(("deposit", i // 2, 0, i % 2, amount), model, world, asset_id)
        for step in steps:
            paid_to_vault += run_step(step, model, world, asset_id)
            for (lic_, p, o), c in model.channels.items():
                view = meter.channel(licenses[lic_], payers[p], operators[o])
                assert (view.reserve, view.units, view.unitLimit) == (c.reserve, c.units, c.limit)
            reserves = sum(c.reserve for c in model.channels.values())
            held = meter.totalHeld(ETH) - base_held
            assert held == reserves + model.owed + sum(model.earnings)
            assert meter.balance - base_balance == held
            assert meter.owedToAsset(asset_id, ETH) - base_owed == model.owed
            assert [
                meter.earningsOf(o, ETH) - b for o, b in zip(operators, base_earn, strict=True)
            ] == model.earnings
        assert vault.balance - base_vault == paid_to_vault


def tx(model, chain):
    chain.pending_timestamp = model.t


def run_step(step, model, world, asset_id):
    """Runs one step; returns what it paid into the vault."""
    chain, meter, licenses, payers, operators, signer, decoder, _ = world
    kind = step[0]
    if kind in ("sign", "sign+settle"):
        _, lic_, rel, o, more, ttl = step
        p = model.payer(lic_, rel)
        key = (lic_, p, o)
        so_far = [s.voucher.cumulative_units for s, k in model.vouchers if k == key]
        units = max([model.ch(key).units, *so_far]) + more
        signed = signer(
            payers[p], licenses[lic_], units, deadline=model.t + TTLS[ttl], operator=operators[o]
        )
        model.vouchers.append((signed, key))
        if kind == "sign+settle":
            return run_step(("settle", 0), model, world, asset_id)
    elif kind == "settle" and model.vouchers:
        signed, key = model.vouchers[-1 - step[1] % len(model.vouchers)]
        err, amount, share = model.voucher(signed, key)
        tx(model, chain)
        if err:
            with ape.reverts(getattr(meter, err)):
                meter.settle(signed.voucher.as_tuple(), signed.signature, sender=operators[1])
        else:
            meter.settle(signed.voucher.as_tuple(), signed.signature, sender=operators[1])
            model.apply(key, signed.voucher.cumulative_units, amount, share)
        model.t += 1
    elif kind == "batch" and model.vouchers:
        entries = [model.vouchers[-1 - i % len(model.vouchers)] for i in step[1]]
        want_settled, want_skipped = [], []
        for signed, key in entries:
            err, amount, share = model.voucher(signed, key)
            if err:
                want_skipped.append(err)
            else:
                want_settled.append(
                    (signed.voucher.cumulative_units - model.ch(key).units, amount, share)
                )
                model.apply(key, signed.voucher.cumulative_units, amount, share)
        tx(model, chain)
        receipt = meter.settleBatch(*batch([e[0] for e in entries]), sender=operators[0])
        model.t += 1
        got = [
            (log.units, log.amount, log.serviceShare)
            for log in receipt.events.filter(meter.UsageSettled)
        ]
        skipped = [
            decoder.decode(bytes(log.reason)).name
            for log in receipt.events.filter(meter.VoucherSkipped)
        ]
        assert (got, skipped) == (want_settled, want_skipped)
    elif kind == "deposit":
        _, lic_, rel, o, amount = step
        p = model.payer(lic_, rel)
        key = (lic_, p, o)
        c, h = model.ch(key), model.holders.get((lic_, p))
        err = None
        if c.limit == 0:
            err = "UsageMeterNotHolder" if model.holder[lic_] != p else model.open_error(key)
        elif not h[0]:
            err = "UsageMeterNotHeld"
        elif model.t > h[1]:
            err = "UsageMeterChannelClosed"

        def call():
            return meter.deposit(
                licenses[lic_], operators[o], amount, value=amount, sender=payers[p]
            )

        tx(model, chain)
        if err:
            with ape.reverts(getattr(meter, err)):
                call()
        else:
            call()
            if c.limit == 0:
                model.open(key)
            c.reserve += amount
        model.t += 1
    elif kind == "meter":
        _, lic_, o, units = step
        p = model.holder[lic_]
        key = (lic_, p, o)
        c, h = model.ch(key), model.holders.get((lic_, p), [False, 0])
        err, amount, share = None, 0, 0
        if c.limit == 0:
            err = "UsageMeterNoChannel"
        elif not h[0]:
            err = "UsageMeterNotHeld"
        elif model.t > h[1]:
            err = "UsageMeterChannelClosed"
        elif units > c.limit - c.units:
            err = "UsageMeterUnitsAboveCap"
        else:
            err, amount, share = model.price(key, c.units + units)
        tx(model, chain)
        if err:
            with ape.reverts(getattr(meter, err)):
                meter.meter(licenses[lic_], operators[o], units, sender=payers[p])
        else:
            meter.meter(licenses[lic_], operators[o], units, sender=payers[p])
            model.apply(key, c.units + units, amount, share)
        model.t += 1
    elif kind == "request":
        _, lic_, rel, o, quarters = step
        p = model.payer(lic_, rel)
        c = model.ch((lic_, p, o))
        amount = c.reserve * quarters // 4
        err = (
            "UsageMeterZeroAmount"
            if amount == 0
            else ("UsageMeterInsufficientReserve" if amount > c.reserve else None)
        )
        tx(model, chain)
        if err:
            with ape.reverts(getattr(meter, err)):
                meter.requestWithdrawal(licenses[lic_], operators[o], amount, sender=payers[p])
        else:
            meter.requestWithdrawal(licenses[lic_], operators[o], amount, sender=payers[p])
            ready = model.t + model.delay
            c.withdrawal = (amount, ready, ready + model.window)
        model.t += 1
    elif kind == "complete":
        _, lic_, rel, o = step
        p = model.payer(lic_, rel)
        key = (lic_, p, o)
        c = model.ch(key)
        w = c.withdrawal
        err = None
        if w is None:
            err = "UsageMeterNoWithdrawalRequested"
        elif model.t < w[1]:
            err = "UsageMeterWithdrawalNotReady"
        elif model.t > w[2]:
            err = "UsageMeterWithdrawalLapsed"
        tx(model, chain)
        if err:
            with ape.reverts(getattr(meter, err)):
                meter.completeWithdrawal(licenses[lic_], operators[o], sender=payers[p])
        else:
            receipt = meter.completeWithdrawal(licenses[lic_], operators[o], sender=payers[p])
            paid = min(w[0], c.reserve)
            assert [log.amount for log in receipt.events.filter(meter.Withdrawn)] == [paid]
            c.reserve -= paid
            c.withdrawal = None
            if c.reserve == 0:
                model.release(key)
        model.t += 1
    elif kind == "cancel":
        _, lic_, rel, o = step
        p = model.payer(lic_, rel)
        c = model.ch((lic_, p, o))
        tx(model, chain)
        if c.withdrawal is None:
            with ape.reverts(meter.UsageMeterNoWithdrawalRequested):
                meter.cancelWithdrawal(licenses[lic_], operators[o], sender=payers[p])
        else:
            meter.cancelWithdrawal(licenses[lic_], operators[o], sender=payers[p])
            c.withdrawal = None
        model.t += 1
    elif kind == "transfer":
        lic_ = TRANSFERABLE
        src, dst = model.holder[lic_], 1 - model.holder[lic_]
        tx(model, chain)
        license_token = world[7]
        license_token.transferFrom(payers[src], payers[dst], licenses[lic_], sender=payers[src])
        f = model.holders.get((lic_, src))
        if f and f[0]:
            f[0] = False
            f[1] = min(f[1], model.t + model.grace)
        d = model.holders.get((lic_, dst))
        if d and not d[0]:
            d[0] = True
            d[1] = model.close_time(lic_)
        model.holder[lic_] = dst
        model.t += 1
    elif kind == "payAsset":
        tx(model, chain)
        owed = meter.owedToAsset(asset_id, ETH)
        if owed == 0:
            with ape.reverts(meter.UsageMeterNothingOwed):
                meter.payAsset(asset_id, ETH, sender=payers[0])
            model.t += 1
            return 0
        meter.payAsset(asset_id, ETH, sender=payers[0])
        model.owed -= owed  # includes owed from before the example (the base), paid out too
        model.t += 1
        return owed
    elif kind == "withdrawEarnings":
        o = step[1]
        mine = meter.earningsOf(operators[o], ETH)
        tx(model, chain)
        if mine == 0:
            with ape.reverts(meter.UsageMeterZeroAmount):
                meter.withdrawEarnings(ETH, operators[o], sender=operators[o])
        else:
            meter.withdrawEarnings(ETH, operators[o], sender=operators[o])
            model.earnings[o] -= mine
        model.t += 1
    elif kind == "jump":
        model.t += step[1] * HOUR
    return 0
