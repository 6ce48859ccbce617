"""The protocol model on its own, without a chain: its rules, refusals and money audits."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testkit.model import (
    ETH,
    MAX_DURATION,
    PAUSED,
    RETIRED,
    UINT64_MAX,
    UINT256_MAX,
    Balances,
    ClaimRequest,
    Deployment,
    Link,
    Protocol,
    Revert,
    SignedVoucher,
    Terms,
    channel_id,
)

REG, VAULT, LIC, METER, TREASURY = (f"0x{i:040x}" for i in range(1, 6))
TOKEN, FOT = "0x" + "aa" * 20, "0x" + "bb" * 20
PUB, ALICE, BOB, CAROL, GATE = (f"0x{i:040x}" for i in range(0x100, 0x105))
ZERO = "0x" + "00" * 20
DAY, WEEK = 24 * 3600, 7 * 24 * 3600


def root(n: int) -> bytes:
    return n.to_bytes(32, "big")


def fresh(fee_bps: int = 0) -> Protocol:
    balances = Balances({FOT: 100})
    for who in (PUB, ALICE, BOB, CAROL, GATE):
        balances.set(ETH, who, 10**21)
        for token in (TOKEN, FOT):
            balances.set(token, who, 10**21)
            for spender in (VAULT, LIC, METER):
                balances.approve(token, who, spender, UINT256_MAX)
    deployment = Deployment(REG, VAULT, LIC, METER, TREASURY, fee_bps=fee_bps)
    return Protocol(deployment, balances, contracts={TOKEN, FOT}, now=1_000)


def terms(asset_id: int, **kw: object) -> Terms:
    base: dict[str, object] = dict(
        asset_id=asset_id,
        currency=ETH,
        price=100,
        unit_price=3,
        duration=0,
        max_units=0,
        scopes=1 | 16,
        min_upstream_bps=0,
        soulbound=False,
        supply_cap=0,
    )
    base.update(kw)
    return Terms(**base)  # type: ignore[arg-type]


def expect(name: str, action, *args, **kwargs) -> Revert:
    with pytest.raises(Revert) as info:
        action(*args, **kwargs)
    assert info.value.name == name, info.value
    return info.value


# -- registry and lineage -------------------------------------------------------------------


def test_foreign_parent_needs_a_valid_derive_license_and_its_minimum_share():
    m = fresh()
    parent = m.register(PUB, 0, root(1), root(99), {ALICE: 1})
    offer = m.create_offer(PUB, terms(parent, min_upstream_bps=2_000))
    err = expect(
        "AssetRegistryParentNotLicensed",
        m.register,
        BOB,
        1,
        root(2),
        root(9),
        {BOB: 1},
        [Link(parent, 2_000, 0)],
    )
    assert err.values == (parent, 0, BOB)
    license_id = m.buy(BOB, offer, BOB, 100, 100)
    err = expect(
        "AssetRegistryShareBelowMinimum",
        m.register,
        BOB,
        1,
        root(2),
        root(9),
        {BOB: 1},
        [Link(parent, 1_999, license_id)],
    )
    assert err.values == (parent, 1_999, 2_000)
    child = m.register(BOB, 1, root(2), root(9), {BOB: 1}, [Link(parent, 2_000, license_id)])
    assert m.assets[child].upstream_bps == 2_000


def test_register_checks_run_in_the_contracts_order():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    # Unknown parent before zero share; duplicate before the 100% check.
    expect(
        "AssetRegistryUnknownAsset", m.register, PUB, 1, root(2), root(9), {ALICE: 1}, [Link(7, 0)]
    )
    expect("AssetRegistryZeroShare", m.register, PUB, 1, root(2), root(9), {ALICE: 1}, [Link(a, 0)])
    dup = [Link(a, 6_000), Link(a, 6_000)]
    expect("AssetRegistryDuplicateParent", m.register, PUB, 1, root(2), root(9), {ALICE: 1}, dup)
    b = m.register(PUB, 0, root(3), root(9), {ALICE: 1})
    over = [Link(a, 6_000), Link(b, 4_001)]
    err = expect(
        "AssetRegistryUpstreamOver100Percent",
        m.register,
        PUB,
        1,
        root(2),
        root(9),
        {ALICE: 1},
        over,
    )
    assert err.values == (10_001,)
    expect("AssetRegistryDuplicateContent", m.register, PUB, 0, root(1), root(9), {ALICE: 1})


def test_a_refused_action_leaves_the_model_untouched():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    before = repr(m.__dict__)
    expect("RoyaltyVaultWrongValue", m.pay, BOB, a, ETH, 10, 9)
    expect("ERC20InsufficientAllowance", m.pay, TREASURY, a, FOT, 10)  # approved nothing
    assert repr(m.__dict__) == before


# -- vault ----------------------------------------------------------------------------------


def test_pay_splits_upstream_rounding_down_and_flow_gives_the_last_parent_the_remainder():
    m = fresh()
    p1 = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    p2 = m.register(PUB, 0, root(2), root(9), {BOB: 1})
    child = m.register(PUB, 1, root(3), root(9), {CAROL: 1}, [Link(p1, 1_000), Link(p2, 2_000)])
    m.pay(ALICE, child, ETH, 1_001, 1_001)
    assert m.pool(child, ETH).pending == 1_001 * 3_000 // 10_000 == 300
    assert m.pool(child, ETH).accrued == 701
    assert m.flow_upstream(child, ETH) == 300
    assert (m.pool(p1, ETH).accrued, m.pool(p2, ETH).accrued) == (100, 200)
    m.pay(ALICE, child, ETH, 11, 11)  # pending 3: 3 × 1000/3000 = 1, the last takes 2
    m.flow_upstream(child, ETH)
    assert (m.pool(p1, ETH).accrued, m.pool(p2, ETH).accrued) == (101, 202)
    expect("RoyaltyVaultNothingToFlow", m.flow_upstream, child, ETH)
    assert m.violations() == []


def test_claims_pay_the_floor_of_the_exact_share_and_leave_bounded_dust():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1, BOB: 1, CAROL: 1})
    m.pay(PUB, a, ETH, 100, 100)
    assert [m.claim(a, ETH, who, 1) for who in (ALICE, BOB, CAROL)] == [33, 33, 33]
    assert m.dust(a, ETH) == 1 < 3  # < 1 wei per contributor
    expect("RoyaltyVaultNothingToClaim", m.claim, a, ETH, ALICE, 1)
    err = expect("RoyaltyVaultInvalidProof", m.claim, a, ETH, ALICE, 2)
    assert err.values == (a, ALICE, 2)
    expect("RoyaltyVaultInvalidProof", m.claim, a, ETH, PUB, 1, False)
    assert m.entitlement(a, ETH, ALICE) == Fraction(100, 3)


def test_claim_batch_reverts_whole_on_a_bad_proof_and_skips_nothing_owed():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 3, BOB: 1})
    m.pay(PUB, a, TOKEN, 1_000)
    good = [ClaimRequest(a, TOKEN, ALICE, 3), ClaimRequest(a, TOKEN, ALICE, 3)]
    expect("RoyaltyVaultInvalidProof", m.claim_batch, [*good, ClaimRequest(a, TOKEN, BOB, 2)])
    assert m.claim_batch(good) == [750, 0]
    assert m.balances.of(TOKEN, ALICE) == 10**21 + 750


def test_fee_on_transfer_tokens_credit_what_arrived_and_fail_with_the_fee_first():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    assert m.pay(BOB, a, FOT, 1_000) == 990
    assert m.held[FOT] == 990 == m.balances.of(FOT, VAULT)
    m.balances.set(FOT, CAROL, 50)
    err = expect("ERC20InsufficientBalance", m.pay, CAROL, a, FOT, 100)
    assert err.values == (CAROL, 49, 99)  # the fee (1) burned first, then 99 of 49 left


def test_excess_is_swept_to_the_treasury_and_fees_only_withdraw_when_charged():
    m = fresh(fee_bps=100)
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    m.pay(BOB, a, TOKEN, 1_000)
    assert m.fees[TOKEN] == 10 and m.pool(a, TOKEN).accrued == 990
    m.balances.transfer(TOKEN, BOB, VAULT, 5)  # sent directly: nobody's revenue
    assert m.excess(TOKEN) == 5
    assert m.sweep_excess(TOKEN) == 5 and m.withdraw_fees(TOKEN) == 10
    assert m.balances.of(TOKEN, TREASURY) == 15
    expect("RoyaltyVaultNoFees", m.withdraw_fees, TOKEN)
    expect("RoyaltyVaultNoExcess", m.sweep_excess, TOKEN)
    assert m.violations() == []


# -- licenses -------------------------------------------------------------------------------


def test_a_license_is_valid_until_the_second_it_expires_whatever_its_channels_used():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    offer = m.create_offer(PUB, terms(a, duration=100, max_units=2))
    lid = m.buy(BOB, offer, BOB, 100, 100)
    assert m.licenses[lid].expires_at == 1_100
    m.deposit(BOB, lid, GATE, 6, 6)
    m.meter(BOB, lid, GATE, 2)  # every unit used: units are the channel's, not the license's
    m.now = 1_099
    assert m.is_valid(lid)
    m.now = 1_100
    assert not m.is_valid(lid)


def test_offers_refuse_bad_scopes_shares_durations_and_currencies_in_order():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    expect("LicenseTokenNotAssetOwner", m.create_offer, BOB, terms(a, scopes=0))
    expect("LicenseTokenInvalidScopes", m.create_offer, PUB, terms(a, scopes=32, duration=-1))
    err = expect(
        "LicenseTokenInvalidDuration", m.create_offer, PUB, terms(a, duration=MAX_DURATION + 1)
    )
    assert err.values == (MAX_DURATION + 1, MAX_DURATION)
    expect("LicenseTokenInvalidCurrency", m.create_offer, PUB, terms(a, currency=BOB))
    err = expect(
        "LicenseTokenInvalidServiceShare", m.create_offer, PUB, terms(a, service_bps=5_001)
    )
    assert err.values == (5_001, 5_000)
    offer = m.create_offer(PUB, terms(a, duration=MAX_DURATION))
    assert m.licenses[m.buy(BOB, offer, BOB, 100, 100)].expires_at == 1_000 + MAX_DURATION


def test_buy_refusals_and_soulbound_transfers():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    offer = m.create_offer(PUB, terms(a, soulbound=True, supply_cap=1))
    expect("LicenseTokenPriceAboveMax", m.buy, BOB, offer, BOB, 99, 100)
    expect("LicenseTokenWrongValue", m.buy, BOB, offer, BOB, 100, 99)
    lid = m.buy(BOB, offer, BOB, 100, 100)
    assert expect("LicenseTokenSoldOut", m.buy, BOB, offer, BOB, 100, 100).values == (offer, 1)
    expect("LicenseTokenSoulbound", m.transfer_license, BOB, BOB, ALICE, lid)
    expect("ERC721InsufficientApproval", m.transfer_license, ALICE, BOB, ALICE, lid)
    m.set_offer_status(PUB, offer, PAUSED)
    m.set_offer_status(PUB, offer, RETIRED)
    expect("LicenseTokenOfferRetired", m.set_offer_status, PUB, offer, PAUSED)
    m.set_delisted(PUB, a, True)
    other = m.create_offer(PUB, terms(a))
    expect("LicenseTokenAssetDelisted", m.buy, BOB, other, BOB, 100, 100)
    assert m.license_view(lid)[2] == terms(a, soulbound=True, supply_cap=1).as_tuple()


# -- meter ----------------------------------------------------------------------------------


def voucher(
    lid: int, units: int, deadline: int, signer: str | None, payer: str = BOB, op: str = GATE
) -> SignedVoucher:
    return SignedVoucher(lid, payer, op, units, deadline, signer)


def test_cumulative_vouchers_settle_each_unit_once_and_only_for_the_payer():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a, max_units=10, service_bps=2_500)), BOB, 100, 100)
    cid = m.open(BOB, lid, GATE)
    assert cid == channel_id(lid, BOB, GATE)
    m.deposit(BOB, lid, GATE, 100, 100)
    assert m.settle(voucher(lid, 4, 2_000, BOB)) == 12
    expect("UsageMeterStaleVoucher", m.settle, voucher(lid, 4, 2_000, BOB))
    err = expect("UsageMeterBadSignature", m.settle, voucher(lid, 5, 2_000, ALICE))
    assert err.values == (lid, BOB, BOB)
    expect("UsageMeterBadSignature", m.settle, voucher(lid, 5, 2_000, None))
    err = expect("UsageMeterUnitsAboveCap", m.settle, voucher(lid, 11, 2_000, BOB))
    assert err.values == (cid, 11, 10)
    expect("UsageMeterUnitsAboveCap", m.settle, voucher(lid, UINT64_MAX + 1, 2_000, BOB))
    # Another operator's channel was never opened: the voucher settles nothing there.
    expect("UsageMeterNoChannel", m.settle, voucher(lid, 5, 2_000, BOB, op=CAROL))
    m.now = 2_001
    expect("UsageMeterVoucherExpired", m.settle, voucher(lid, 5, 2_000, BOB))
    # 12 charged: 3 to the operator (25%), 9 owed to the asset until payAsset pushes it.
    assert m.channel(lid, BOB, GATE).reserve == 88
    assert (m.earnings_of(GATE, ETH), m.owed_to_asset(a, ETH)) == (3, 9)
    assert m.held_by_meter(ETH) == sum(m.meter_books(ETH)) == 100
    accrued = m.pool(a, ETH).accrued
    assert m.pay_asset(a, ETH) == 9 and m.pool(a, ETH).accrued == accrued + 9
    expect("UsageMeterNothingOwed", m.pay_asset, a, ETH)
    assert m.withdraw_earnings(GATE, ETH, CAROL) == 3 and m.balances.of(ETH, CAROL) == 10**21 + 3
    expect("UsageMeterZeroAmount", m.withdraw_earnings, GATE, ETH, CAROL)
    assert m.held_by_meter(ETH) == 88 and m.violations() == []


def test_settle_batch_skips_bad_vouchers_and_moves_money_only_inside_the_meter():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a, currency=FOT, price=0, unit_price=50)), BOB, 0)
    m.deposit(BOB, lid, GATE, 10_000)
    assert m.channel(lid, BOB, GATE).reserve == 9_900  # the token burnt 1% on the way in
    batch = [voucher(lid, 1, 9_999, BOB), voucher(lid, 1, 9_999, BOB), voucher(lid, 2, 9_999, BOB)]
    settled, total, skipped = m.settle_batch(batch)
    assert (settled, total) == (2, 100)
    assert [(s[1], s[2].name) for s in skipped] == [(lid, "UsageMeterStaleVoucher")]
    assert m.pool(a, FOT).accrued == 0 and m.owed_to_asset(a, FOT) == 100
    assert m.pay_asset(a, FOT) == 100 and m.pool(a, FOT).accrued == 99  # 1% lost on the way
    expect("UsageMeterBatchMismatch", m.settle_batch, batch, 2)


def test_withdrawals_are_one_time_windows_and_pay_what_settlements_left():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a, duration=10 * DAY, max_units=8)), BOB, 100, 100)
    m.deposit(BOB, lid, GATE, 30, 30)
    cid = channel_id(lid, BOB, GATE)
    m.request_withdrawal(BOB, lid, GATE, 30)
    ready, end = 1_000 + 2 * DAY, 1_000 + 5 * DAY
    m.now = ready - 1
    err = expect("UsageMeterWithdrawalNotReady", m.complete_withdrawal, BOB, lid, GATE)
    assert err.values == (cid, ready, ready - 1)
    m.now = end + 1
    err = expect("UsageMeterWithdrawalLapsed", m.complete_withdrawal, BOB, lid, GATE)
    assert err.values == (cid, end, end + 1)
    m.now = 1_000
    m.request_withdrawal(BOB, lid, GATE, 30)  # again, and wait again
    m.meter(BOB, lid, GATE, 4)
    m.now = ready
    assert m.complete_withdrawal(BOB, lid, GATE) == 18  # the request less what was settled
    expect("UsageMeterNoWithdrawalRequested", m.complete_withdrawal, BOB, lid, GATE)
    # The emptied reserve gave its unused units back to the license.
    assert m.channel(lid, BOB, GATE).unit_limit == 4 and m.metered[lid].allotted == 4
    assert expect("UsageMeterNoUnitsLeft", m.open, BOB, lid, CAROL, ZERO, 5).values == (lid, 5, 4)
    m.open(BOB, lid, CAROL, ZERO, 4)
    assert m.violations() == []


def test_a_transfer_closes_the_previous_holders_channels_after_the_grace_period():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a)), BOB, 100, 100)
    m.deposit(BOB, lid, GATE, 30, 30)
    m.now = 2_000
    m.transfer_license(BOB, BOB, ALICE, lid)
    h = m.holder(lid, BOB)
    assert (h.held, h.closes_at) == (False, 2_000 + DAY)
    expect("UsageMeterNotHeld", m.deposit, BOB, lid, GATE, 1, 1)
    expect("UsageMeterNotHeld", m.meter, BOB, lid, GATE, 1)
    m.now = 2_000 + DAY
    assert m.settle(voucher(lid, 2, 10**9, BOB)) == 6  # BOB's voucher, within the grace
    m.now += 1
    expect("UsageMeterChannelClosed", m.settle, voucher(lid, 3, 10**9, BOB))
    # ALICE starts her own channel: she never pays for BOB's units.
    m.deposit(ALICE, lid, GATE, 9, 9)
    assert m.channel(lid, ALICE, GATE).units == 0
    assert m.settle(voucher(lid, 1, 10**9, ALICE, payer=ALICE)) == 3
    # The license comes back: BOB's window reopens to expiry + grace (perpetual: never).
    m.transfer_license(ALICE, ALICE, BOB, lid)
    assert m.holder(lid, BOB).held and m.holder(lid, ALICE).closes_at == m.now + DAY


def test_signer_changes_wait_the_withdrawal_delay():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a)), BOB, 100, 100)
    m.open(BOB, lid, GATE, CAROL)
    m.deposit(BOB, lid, GATE, 30, 30)
    expect("UsageMeterBadSignature", m.settle, voucher(lid, 1, 10**9, BOB))
    assert m.settle(voucher(lid, 1, 10**9, CAROL)) == 3
    m.change_signer(BOB, lid, ZERO)
    switch_at = 1_000 + 2 * DAY
    err = expect("UsageMeterSignerChangePending", m.change_signer, BOB, lid, ALICE)
    assert err.values == (lid, BOB, switch_at + DAY)  # until the old signer's tail ends
    assert m.settle(voucher(lid, 2, 10**9, CAROL)) == 3  # the old signer before switchAt
    m.now = switch_at
    assert m.channel_view(lid, BOB, GATE)[3] == BOB  # the new one in force
    assert m.settle(voucher(lid, 3, 10**9, CAROL)) == 3  # the old one, inside the grace tail
    m.now = switch_at + DAY + 1
    expect("UsageMeterBadSignature", m.settle, voucher(lid, 4, 10**9, CAROL))
    assert m.settle(voucher(lid, 4, 10**9, BOB)) == 3
    assert m.channel_view(lid, BOB, GATE)[-2:] == (BOB, switch_at)


# -- the audits themselves ------------------------------------------------------------------


def test_violations_name_a_claim_above_its_share_and_broken_books():
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 1, BOB: 1})
    m.pay(PUB, a, ETH, 10, 10)
    assert m.violations() == []
    m.claimed[(a, ETH, ALICE)] = 6  # more than 10 × 1/2
    problems = m.violations()
    assert any("claimed 6" in p for p in problems) and any("books" in p for p in problems)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pay", "flow", "claim"]), st.integers(0, 3), st.integers(1, 10**6)
        ),
        max_size=40,
    )
)
def test_model_money_invariants_hold_for_any_payment_flow_and_claim_sequence(ops):
    m = fresh()
    a = m.register(PUB, 0, root(1), root(9), {ALICE: 3, BOB: 4})
    b = m.register(PUB, 0, root(2), root(9), {CAROL: 5})
    c = m.register(PUB, 1, root(3), root(9), {BOB: 7, CAROL: 2}, [Link(a, 3_333), Link(b, 1_111)])
    d = m.register(PUB, 1, root(4), root(9), {ALICE: 1}, [Link(c, 9_999)])
    ids = [a, b, c, d]
    for op, i, amount in ops:
        asset = ids[i]
        try:
            if op == "pay":
                m.pay(CAROL, asset, FOT, amount)
            elif op == "flow":
                m.flow_upstream(asset, FOT)
            else:
                for who, weight in m.assets[asset].weights.items():
                    m.claim(asset, FOT, who, weight)
        except Revert as err:
            assert err.name in ("RoyaltyVaultNothingToFlow", "RoyaltyVaultNothingToClaim")
        assert m.violations() == []
        assert m.books(FOT) == m.held.get(FOT, 0) == m.balances.of(FOT, VAULT)
