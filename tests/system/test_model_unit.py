"""The protocol model on its own, without a chain: its rules, refusals and money audits."""

from __future__ import annotations

import copy
from dataclasses import replace
from fractions import Fraction

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from testkit.campaigns import Params, gold_commitment, report
from testkit.model import (
    BPS,
    ETH,
    MAX_DURATION,
    PAUSED,
    RETIRED,
    UINT64_MAX,
    UINT256_MAX,
    ZERO32,
    Arbiter,
    Balances,
    ClaimRequest,
    Deployment,
    FileClaim,
    Link,
    Parent,
    Protocol,
    Revert,
    SignedClaim,
    SignedVoucher,
    Terms,
    channel_id,
    commitment_of,
    content_tree,
    contributor_leaf,
    registration_leaf,
    root_of_top,
    tree_top,
)
from testkit.model_campaigns import MAX_WINDOW, campaign_root, case_id

REG, VAULT, LIC, METER, TREASURY, COURT, ARB = (f"0x{i:040x}" for i in range(1, 8))
TOKEN, FOT = "0x" + "aa" * 20, "0x" + "bb" * 20
PUB, ALICE, BOB, CAROL, GATE = (f"0x{i:040x}" for i in range(0x100, 0x105))
ZERO = "0x" + "00" * 20
DAY, WEEK = 24 * 3600, 7 * 24 * 3600
BOND = 1_000


def root(n: int) -> bytes:
    return n.to_bytes(32, "big")


def reg(m: Protocol, sender: str, kind: int, n: int, weights: dict[str, int], *links, **kw):
    """Register content root(n) with the tree of `weights` (its top as the registry takes it)."""
    return m.register(sender, kind, root(n), tree_top(weights), weights, *links, **kw)


def fresh(fee_bps: int = 0) -> Protocol:
    balances = Balances({FOT: 100})
    for who in (PUB, ALICE, BOB, CAROL, GATE):
        balances.set(ETH, who, 10**21)
        for token in (TOKEN, FOT):
            balances.set(token, who, 10**21)
            for spender in (VAULT, LIC, METER):
                balances.approve(token, who, spender, UINT256_MAX)
    deployment = Deployment(
        REG, VAULT, LIC, METER, TREASURY, fee_bps=fee_bps, court=COURT, arbiter=ARB,
        dispute_bond=BOND, answer_period=WEEK, ruling_timeout=60 * DAY,
    )  # fmt: skip
    return Protocol(
        deployment, balances, contracts={TOKEN, FOT, COURT, ARB}, now=1_000, arbiter=Arbiter(ARB)
    )


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
    parent = reg(m, PUB, 0, 1, {ALICE: 1})
    offer = m.create_offer(PUB, terms(parent, min_upstream_bps=2_000))
    err = expect(
        "AssetRegistryParentNotLicensed",
        reg,
        m,
        BOB,
        1,
        2,
        {BOB: 1},
        [Link(parent, 2_000, 0)],
    )
    assert err.values == (parent, 0, BOB)
    license_id = m.buy(BOB, offer, BOB, 100, 100)
    err = expect(
        "AssetRegistryShareBelowMinimum",
        reg,
        m,
        BOB,
        1,
        2,
        {BOB: 1},
        [Link(parent, 1_999, license_id)],
    )
    assert err.values == (parent, 1_999, 2_000)
    child = reg(m, BOB, 1, 2, {BOB: 1}, [Link(parent, 2_000, license_id)])
    assert m.assets[child].upstream_bps == 2_000


def test_register_checks_run_in_the_contracts_order():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    # Unknown parent before zero share; duplicate before the 100% check.
    expect("AssetRegistryUnknownAsset", reg, m, PUB, 1, 2, {ALICE: 1}, [Link(7, 0)])
    expect("AssetRegistryZeroShare", reg, m, PUB, 1, 2, {ALICE: 1}, [Link(a, 0)])
    dup = [Link(a, 6_000), Link(a, 6_000)]
    expect("AssetRegistryDuplicateParent", reg, m, PUB, 1, 2, {ALICE: 1}, dup)
    b = reg(m, PUB, 0, 3, {ALICE: 1})
    over = [Link(a, 6_000), Link(b, 4_001)]
    err = expect(
        "AssetRegistryUpstreamOver100Percent",
        reg,
        m,
        PUB,
        1,
        2,
        {ALICE: 1},
        over,
    )
    assert err.values == (10_001,)
    expect("AssetRegistryDuplicateContent", reg, m, PUB, 0, 1, {ALICE: 1})


def test_a_refused_action_leaves_the_model_untouched():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    before = copy.deepcopy(m.__dict__)
    expect("RoyaltyVaultWrongValue", m.pay, BOB, a, ETH, 10, 9)
    expect("ERC20InsufficientAllowance", m.pay, TREASURY, a, FOT, 10)  # approved nothing
    assert m.__dict__ == before


# -- vault ----------------------------------------------------------------------------------


def test_pay_splits_upstream_rounding_down_and_flow_gives_the_last_parent_the_remainder():
    m = fresh()
    p1 = reg(m, PUB, 0, 1, {ALICE: 1})
    p2 = reg(m, PUB, 0, 2, {BOB: 1})
    child = reg(m, PUB, 1, 3, {CAROL: 1}, [Link(p1, 1_000), Link(p2, 2_000)])
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
    a = reg(m, PUB, 0, 1, {ALICE: 1, BOB: 1, CAROL: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 3, BOB: 1})
    m.pay(PUB, a, TOKEN, 1_000)
    good = [ClaimRequest(a, TOKEN, ALICE, 3), ClaimRequest(a, TOKEN, ALICE, 3)]
    expect("RoyaltyVaultInvalidProof", m.claim_batch, [*good, ClaimRequest(a, TOKEN, BOB, 2)])
    assert m.claim_batch(good) == [750, 0]
    assert m.balances.of(TOKEN, ALICE) == 10**21 + 750


def test_fee_on_transfer_tokens_credit_what_arrived_and_fail_with_the_fee_first():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    assert m.pay(BOB, a, FOT, 1_000) == 990
    assert m.held[FOT] == 990 == m.balances.of(FOT, VAULT)
    m.balances.set(FOT, CAROL, 50)
    err = expect("ERC20InsufficientBalance", m.pay, CAROL, a, FOT, 100)
    assert err.values == (CAROL, 49, 99)  # the fee (1) burned first, then 99 of 49 left


def test_excess_is_swept_to_the_treasury_and_fees_only_withdraw_when_charged():
    m = fresh(fee_bps=100)
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 1})
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


# -- integrity: derived totals, commitments, used-up licenses, floors, recipients, rescue -----


def test_the_model_builds_the_tooling_s_tree_top():
    from seedbed.core.treefile import ContributorTree

    for weights in ({ALICE: 5}, {ALICE: 1, BOB: 2}, {ALICE: 1, BOB: 2, CAROL: 3, GATE: 4, PUB: 9}):
        tree = ContributorTree.build({bytes.fromhex(a[2:]): w for a, w in weights.items()})
        assert tree_top(weights) == [(bytes(h), s) for h, s in tree.top()]
        assert root_of_top(tree_top(weights)) == (tree.root, tree.total)


def test_the_total_is_the_preimage_s_sum_and_bad_preimages_are_refused_in_order():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 3, BOB: 1})
    assert m.assets[a].total_weight == 4 and m.violations() == []
    padded = bytes(12) + bytes.fromhex(ALICE[2:])
    cases = [
        ([], ("AssetRegistryBadContributorsTop", (0,))),
        ([(root(1), 1)] * 3, ("AssetRegistryBadContributorsTop", (3,))),
        ([(b"\x01" + bytes(31), 1)], ("AssetRegistryBadContributorsTop", (1,))),
        ([(bytes(32), 1)], ("AssetRegistryZeroContributor", ())),
        ([(padded, 0)], ("AssetRegistryNoContributors", (contributor_leaf(ALICE, 0), 0))),
        ([(padded, 2**96)], ("AssetRegistryWeightTooLarge", (2**96,))),
        ([(root(1), 2**95), (root(2), 2**95)], ("AssetRegistryWeightTooLarge", (2**96,))),
        ([(root(1), UINT256_MAX), (root(2), 1)], ("Panic", (0x11,))),
    ]
    for top, key in cases:
        assert expect(key[0], m.register, PUB, 0, root(7), top, {}).key == key
    # The content root is checked first, then the preimage, then duplicate content.
    expect("AssetRegistryEmptyContentRoot", m.register, PUB, 0, bytes(32), [], {})
    expect("AssetRegistryBadContributorsTop", m.register, PUB, 0, root(1), [], {})
    expect("AssetRegistryDuplicateContent", reg, m, PUB, 0, 1, {ALICE: 1})


def committing(min_age: int = 60, max_age: int = 3_600) -> Protocol:
    m = fresh()
    m.deployment = replace(m.deployment, min_commit_age=min_age, max_commit_age=max_age)
    return m


def test_a_registration_is_revealed_by_its_committer_between_min_and_max():
    m = committing()
    salt = root(42)
    leaf = registration_leaf(PUB, root(1), salt)
    commitment = keccak(leaf)
    err = expect("AssetRegistryNotCommitted", reg, m, PUB, 0, 1, {ALICE: 1}, salt=salt)
    assert err.values == (PUB, commitment)
    m.commit(PUB, commitment)
    assert m.committed_at(PUB, commitment) == 1_000
    err = expect("AssetRegistryAlreadyCommitted", m.commit, PUB, commitment)
    assert err.values == (commitment, 1_000)
    m.now = 1_059
    err = expect("AssetRegistryCommitmentTooYoung", reg, m, PUB, 0, 1, {ALICE: 1}, salt=salt)
    assert err.values == (commitment, 1_060)
    m.now = 1_060
    # Someone who saw the reveal cannot send it from its own account, even having copied the
    # commitment (its leaf names BOB), or committed the same root later with its own salt.
    m.commit(BOB, commitment)
    err = expect("AssetRegistryNotCommitted", reg, m, BOB, 0, 1, {BOB: 1}, salt=salt)
    assert err.values == (BOB, keccak(registration_leaf(BOB, root(1), salt)))
    m.commit(BOB, keccak(registration_leaf(BOB, root(1), root(43))))
    asset = reg(m, PUB, 0, 1, {ALICE: 1}, salt=salt)
    assert m.assets[asset].view()[-3:] == (0, 60, 0)  # floor 0, committed 60 s before, no dispute
    m.now += 60
    err = expect("AssetRegistryDuplicateContent", reg, m, BOB, 0, 1, {BOB: 1}, salt=root(43))
    assert err.values == (root(1), asset)
    m.commit(PUB, keccak(registration_leaf(PUB, root(2), salt)))
    m.now += 3_601
    err = expect("AssetRegistryCommitmentExpired", reg, m, PUB, 0, 2, {ALICE: 1}, salt=salt)
    assert err.values == (keccak(registration_leaf(PUB, root(2), salt)), m.now - 1)


def test_a_batch_is_one_commitment_opened_in_the_multicall_that_reveals_it():
    m = committing()
    salts = [root(100 + i) for i in range(3)]
    leaves = [registration_leaf(PUB, root(i + 1), salts[i]) for i in range(3)]
    m.commit(PUB, commitment_of(leaves))
    m.now += 100

    def call(i: int, who: str = ALICE) -> tuple[str, tuple]:
        return ("register", (0, root(i + 1), tree_top({who: 1}), {who: 1}, (), salts[i]))

    opener = ("openCommitment", (leaves,))
    # A register whose leaf was not opened, or opened twice, reverts the whole batch.
    before = copy.deepcopy(m)
    err = expect("AssetRegistryNotCommitted", m.multicall, PUB, [call(0), opener])
    assert err.values == (PUB, keccak(leaves[0]))
    expect("AssetRegistryDuplicateContent", m.multicall, PUB, [opener, call(0), call(0)])
    err = expect("AssetRegistryNotCommitted", m.multicall, BOB, [opener, call(0)])
    assert err.values == (BOB, commitment_of(leaves))
    assert m == before
    assert m.multicall(PUB, [opener, call(0), call(1)]) == [None, 1, 2]
    # A copy of the commitment opens PUB's leaves for BOB, which no register of BOB's can
    # use: BOB's own leaf names BOB.
    m.commit(BOB, commitment_of(leaves))
    m.now += 60
    bobs = ("register", (0, root(3), tree_top({BOB: 1}), {BOB: 1}, (), salts[2]))
    err = expect("AssetRegistryNotCommitted", m.multicall, BOB, [opener, bobs])
    assert err.values == (BOB, keccak(registration_leaf(BOB, root(3), salts[2])))
    assert [m.assets[i].commit_lag for i in (1, 2)] == [100, 100]
    assert m.opened == {}  # transient: nothing stays open after the transaction
    expect("AssetRegistryNotCommitted", reg, m, PUB, 0, 3, {ALICE: 1}, salt=salts[2])
    m.open_commitment(PUB, leaves)  # alone in a transaction it checks, and opens nothing
    assert m.multicall(PUB, [opener, call(2)]) == [None, 3]


def test_a_derive_license_registers_one_derivative_whoever_holds_it():
    m = fresh()
    parent = reg(m, PUB, 0, 1, {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(parent, min_upstream_bps=1_000)), BOB, 100, 100)
    assert m.check_derive(lid, BOB, parent) == (True, 1_000)
    child = reg(m, BOB, 1, 2, {BOB: 1}, [Link(parent, 1_000, lid)])
    assert m.licenses[lid].derived and m.license_view(lid)[-1] is True
    assert m.check_derive(lid, BOB, parent) == (False, 0)
    assert m.is_valid_for(lid, BOB, 16)  # still valid: only its derivative is used up
    err = expect("LicenseTokenDeriveUsed", reg, m, BOB, 1, 3, {BOB: 1}, [Link(parent, 5_000, lid)])
    assert err.values == (lid,)
    m.transfer_license(BOB, BOB, CAROL, lid)  # lent or sold on: still used
    expect("LicenseTokenDeriveUsed", reg, m, CAROL, 1, 3, {CAROL: 1}, [Link(parent, 5_000, lid)])
    assert m.derivatives == {lid: [child]} and m.violations() == []


def test_floors_carry_every_ancestors_minimum_through_owned_intermediates():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a, min_upstream_bps=2_000)), BOB, 100, 100)
    i = reg(m, BOB, 1, 2, {BOB: 1}, [Link(a, 3_000, lid)])
    assert m.assets[i].floor_bps == 6_667  # ceil(2,000 × 10,000 / 3,000)
    # BOB owns I, yet its floor binds him: 1 bp would pass A 0.3 bp of every payment.
    err = expect("AssetRegistryShareBelowMinimum", reg, m, BOB, 1, 3, {BOB: 1}, [Link(i, 1)])
    assert err.values == (i, 1, 6_667)
    p = reg(m, BOB, 1, 3, {BOB: 1}, [Link(i, 6_667)])
    assert m.assets[p].floor_bps == 10_000 and m.assets[p].required == (6_667,)
    assert m.lineage(p) == {(p, i): Fraction(6_667, BPS), (i, a): Fraction(6_667 * 3, BPS * 10)}
    assert m.lineage(p)[(i, a)] >= Fraction(2_000, BPS)
    assert m.violations() == []
    # A lineage that broke the rule is reported (L3), in exact fractions.
    m.assets[p].parents = (Parent(i, 6_666, m.assets[i].upstream_bps),)
    assert any(v.startswith("L3") for v in m.violations())


def test_claims_to_a_recipient_and_signed_claims_up_to_a_cap():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 3, BOB: 1})
    m.pay(PUB, a, TOKEN, 1_000)
    expect("RoyaltyVaultZeroAccount", m.claim, a, TOKEN, ZERO, 1)
    expect("RoyaltyVaultZeroAccount", m.claimable, a, TOKEN, ZERO, 1)
    expect("RoyaltyVaultInvalidRecipient", m.claim_to, ALICE, a, TOKEN, 3, ZERO)
    expect("RoyaltyVaultInvalidRecipient", m.claim_to, ALICE, a, TOKEN, 3, m.deployment.vault)
    expect(
        "RoyaltyVaultZeroAccount",
        m.claim_to_signed,
        SignedClaim(a, TOKEN, ZERO, CAROL, 1, 2_000, None),
        1,
    )
    err = expect("RoyaltyVaultInvalidProof", m.claim_to, CAROL, a, TOKEN, 3, CAROL)
    assert err.values == (a, CAROL, 3)  # the sender's own leaf, or nothing
    assert m.claim_to(ALICE, a, TOKEN, 3, GATE) == 750
    assert m.claimed[(a, TOKEN, ALICE)] == 750 and m.balances.of(TOKEN, GATE) == 10**21 + 750
    expect("RoyaltyVaultNothingToClaim", m.claim_to, ALICE, a, TOKEN, 3, GATE)
    # ETH to a contract that has no receive(): the send fails, the claim reverts whole.
    m.pay(PUB, a, ETH, 400, 400)
    err = expect("RoyaltyVaultTransferFailed", m.claim_to, BOB, a, ETH, 1, TOKEN)
    assert err.values == (ETH, TOKEN, 100)
    signed = SignedClaim(a, TOKEN, BOB, CAROL, 100, 2_000, BOB)
    assert m.quote_claim_to_signed(signed, 1) == 100 and m.claimed.get((a, TOKEN, BOB)) is None
    assert m.claim_to_signed(signed, 1) == 100
    m.pay(PUB, a, TOKEN, 1_000)  # BOB is owed 250 in all now, but signed up to 100
    expect("RoyaltyVaultNothingToClaim", m.claim_to_signed, signed, 1)  # a replay: nothing
    more = SignedClaim(a, TOKEN, BOB, CAROL, 180, 2_000, BOB)
    assert m.claim_to_signed(more, 1) == 80
    for bad, name in (
        (SignedClaim(a, TOKEN, BOB, CAROL, UINT256_MAX, 2_000, ALICE), "BadClaimSignature"),
        (SignedClaim(a, TOKEN, BOB, CAROL, UINT256_MAX, 2_000, None), "BadClaimSignature"),
        (SignedClaim(a, TOKEN, BOB, CAROL, UINT256_MAX, 999, BOB), "ClaimExpired"),
        (SignedClaim(a, TOKEN, BOB, ZERO, UINT256_MAX, 2_000, BOB), "InvalidRecipient"),
    ):
        expect(f"RoyaltyVault{name}", m.claim_to_signed, bad, 1)
    # Uncapped, and due this very second (the deadline is the last valid one): the rest.
    assert m.claim_to_signed(SignedClaim(a, TOKEN, BOB, BOB, UINT256_MAX, 1_000, BOB), 1) == 320
    assert m.violations() == []


def test_sweeps_return_mistaken_transfers_and_never_touch_what_is_owed():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    lid = m.buy(BOB, m.create_offer(PUB, terms(a, currency=TOKEN, price=0)), BOB, 0)
    m.deposit(BOB, lid, GATE, 500)
    for contract, sweep, error in (
        (REG, m.registry_sweep, "AssetRegistryNothingToSweep"),
        (LIC, m.license_sweep, "LicenseTokenNothingToSweep"),
    ):
        assert expect(error, sweep, TOKEN).values == (TOKEN,)
        m.balances.transfer(TOKEN, CAROL, contract, 7)
        assert sweep(TOKEN) == 7 and m.balances.of(TOKEN, contract) == 0
    err = expect("UsageMeterNoExcess", m.meter_sweep_excess, TOKEN)
    assert err.values == (TOKEN, 500, 500)
    m.balances.transfer(FOT, CAROL, METER, 1_000)  # 990 arrive
    assert m.meter_sweep_excess(FOT) == 990
    m.balances.transfer(TOKEN, CAROL, METER, 9)
    assert m.meter_sweep_excess(TOKEN) == 9 and m.balances.of(TOKEN, METER) == 500
    assert m.balances.of(TOKEN, TREASURY) == 23 and m.balances.of(FOT, TREASURY) == 990 - 9
    assert m.violations() == []
    m.balances.set(TOKEN, METER, 499)  # less than the book: reported (C4)
    assert any("the meter holds 499" in v for v in m.violations())


# -- the audits themselves ------------------------------------------------------------------


def test_violations_name_a_claim_above_its_share_and_broken_books():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1, BOB: 1})
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
    a = reg(m, PUB, 0, 1, {ALICE: 3, BOB: 4})
    b = reg(m, PUB, 0, 2, {CAROL: 5})
    c = reg(m, PUB, 1, 3, {BOB: 7, CAROL: 2}, [Link(a, 3_333), Link(b, 1_111)])
    d = reg(m, PUB, 1, 4, {ALICE: 1}, [Link(c, 9_999)])
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


# -- the court ------------------------------------------------------------------------------

BIG = 64 * 1024  # the court's default minimum for a duplicate file
DATA = ("data/train.bin", b"\x07" * 32, BIG)
LICENSE_TXT = ("LICENSE", b"\x08" * 32, 1_067)


def with_files(
    m: Protocol, sender: str, kind: int, files: list, weights: dict[str, int], *links, **kw
) -> int:
    """Register a content tree over `files` (its root as the tooling builds it)."""
    content, _ = content_tree(files)
    return m.register(sender, kind, content, tree_top(weights), weights, *links, files=files, **kw)


def proven(m: Protocol, asset_id: int, file: tuple) -> FileClaim:
    return FileClaim(*file, m.assets[asset_id].content_root)


def duplicate_world(fee: int = 7) -> tuple[Protocol, int, int]:
    """PUB's earlier asset and BOB's later one, which holds the same data under another path."""
    m = fresh()
    m.arbiter = Arbiter(ARB, fee=fee)
    a = with_files(m, PUB, 0, [DATA, LICENSE_TXT, ("a.json", root(1), 10)], {ALICE: 1})
    b = with_files(m, BOB, 0, [("copy/train.bin", *DATA[1:]), LICENSE_TXT], {BOB: 1})
    return m, a, b


def open_duplicate(m: Protocol, a: int, b: int, claimant: str = CAROL) -> int:
    copy_ = ("copy/train.bin", *DATA[1:])
    value = BOND + m.arbiter.ruling_fee()
    return m.open_duplicate(claimant, a, b, proven(m, a, DATA), proven(m, b, copy_), value)


def test_the_model_builds_the_tooling_s_content_tree():
    from seedbed.core.merkle import build_levels, file_leaf, merkle_proof

    files = [("b.txt", root(1), 5), ("a/x", root(2), BIG), ("c", root(3), 1), ("a/y", root(4), 0)]
    for n in range(1, len(files) + 1):
        content, proofs = content_tree(files[:n])
        ordered = sorted(files[:n], key=lambda f: f[0].encode())
        levels = build_levels([file_leaf(*f) for f in ordered])
        assert content == levels[-1][0]
        assert [proofs[f] for f in ordered] == [merkle_proof(levels, i) for i in range(n)]


def test_a_subjective_claim_holds_new_revenue_whole_and_is_never_won_by_default():
    m = fresh()
    m.arbiter = Arbiter(ARB, fee=7)
    parent = reg(m, PUB, 0, 1, {ALICE: 1})
    child = reg(m, PUB, 1, 2, {BOB: 1, CAROL: 1}, [Link(parent, 2_000)])
    m.pay(ALICE, child, ETH, 1_000, 1_000)
    offer = m.create_offer(PUB, terms(child))
    m.buy(BOB, offer, BOB, 100, 100)
    assert (m.pool(child, ETH).accrued, m.pool(child, ETH).pending) == (880, 220)
    # Refusals in the contract's order; the value must be BOND + the arbiter's fee.
    evidence = root(9)
    assert expect("AssetCourtBadReason", m.open_subjective, CAROL, child, 4, evidence, 0, 0)
    expect("AssetCourtNoEvidence", m.open_subjective, CAROL, child, 1, bytes(32), 0, 0)
    expect("AssetRegistryUnknownAsset", m.open_subjective, CAROL, 9, 1, evidence, 0, 0)
    err = expect("AssetCourtBadBeneficiary", m.open_subjective, CAROL, child, 1, evidence, child, 0)
    assert err.values == (child,)
    expect("AssetRegistryUnknownAsset", m.open_subjective, CAROL, child, 1, evidence, 9, 0)
    err = expect("AssetCourtWrongDeposit", m.open_subjective, CAROL, child, 1, evidence, 0, BOND)
    assert err.values == (BOND, BOND + 7)
    i = m.open_subjective(CAROL, child, 1, evidence, 0, BOND + 7)
    assert m.assets[child].view()[-1] == 1 and m.hold(child) == (1, 0)
    assert not m.is_listed(child) and m.balances.of(ETH, COURT) == m.total_deposits == BOND + 7
    assert expect("LicenseTokenAssetDelisted", m.buy, BOB, offer, BOB, 100, 100).values == (child,)
    err = expect("AssetRegistryParentDisputed", reg, m, PUB, 1, 3, {PUB: 1}, [Link(child, 100)])
    assert err.values == (child, 1)
    err = expect("AssetCourtAlreadyDisputed", m.open_subjective, BOB, child, 2, evidence, 0, 1_007)
    assert err.values == (child, 1)
    # D2: what comes in is held whole (no upstream split); what was accrued or pending before
    # stays claimable and flows as usual.
    m.pay(ALICE, child, ETH, 501, 501)
    assert m.escrowed[(child, ETH)] == 501
    assert (m.pool(child, ETH).accrued, m.pool(child, ETH).pending) == (880, 220)
    assert m.flow_upstream(child, ETH) == 220 and m.pool(parent, ETH).accrued == 220
    assert m.claim(child, ETH, BOB, 1) == 440
    assert m.violations() == [] and m.books(ETH) == m.held[ETH] == m.balances.of(ETH, VAULT)
    # Unanswered, it goes to the arbiter (never won by default), the fee with it.
    deadline = 1_000 + WEEK
    m.now = deadline
    assert expect("AssetCourtAnswerPeriodRunning", m.resolve, i).values == (i, deadline)
    m.now = deadline + 1
    err = expect("AssetCourtAnswerPeriodOver", m.contest, PUB, i, BOND)
    assert err.values == (i, deadline)
    m.resolve(i)
    d = m.disputes[i]
    assert (d.state, d.defendant, d.fee, d.at_arbiter_at) == (2, PUB, 0, deadline + 1)
    assert m.balances.of(ETH, ARB) == 7 and m.total_deposits == BOND
    assert expect("RoyaltyVaultStillHeld", m.release, child, ETH).values == (child,)
    assert expect("AssetCourtNotArbiter", m.court_rule, CAROL, i, True).values == (CAROL,)
    m.court_rule(ARB, i, False)  # dismissed: the claimant's bond to the owner
    assert m.deposits == {PUB: BOND} and m.hold(child) == (0, 0) and m.is_listed(child)
    err = expect("AssetCourtWrongState", m.court_rule, ARB, i, True)
    assert err.values == (i, 4)
    # Released as if just paid: the upstream split applies now.
    assert m.release(child, ETH) == 501
    assert (m.pool(child, ETH).accrued, m.pool(child, ETH).pending) == (880 + 401, 100)
    expect("RoyaltyVaultNothingToRelease", m.release, child, ETH)
    assert m.withdraw_deposits(PUB) == BOND and m.total_deposits == 0
    assert expect("AssetCourtNoDeposit", m.withdraw_deposits, CAROL).values == (CAROL,)
    assert m.violations() == [] and m.balances.of(ETH, COURT) == 0


def test_bonds_and_fees_go_where_the_outcome_says():
    bond, fee = BOND, 7
    # Duplicate, unanswered: upheld, the claimant's bond and unspent fee back.
    m, a, b = duplicate_world(fee)
    i = open_duplicate(m, a, b)
    m.now += WEEK + 1
    m.resolve(i)
    assert (m.disputes[i].state, m.deposits) == (3, {CAROL: bond + fee})
    assert m.hold(b) == (2, a) and m.assets[b].status == 2
    # Against an asset with parents (who could not answer), an unanswered claim goes to the
    # arbiter, as a subjective one does.
    m, a, b = duplicate_world(fee)
    c = with_files(m, BOB, 1, [DATA, ("c.json", root(4), 10)], {BOB: 1}, [Link(b, 100)])
    i = m.open_duplicate(CAROL, a, c, proven(m, a, DATA), proven(m, c, DATA), bond + fee)
    m.now += WEEK + 1
    m.resolve(i)
    assert (m.disputes[i].state, m.disputes[i].defendant, m.deposits) == (2, BOB, {})
    # Contested and upheld by the arbiter: both bonds to the claimant, the fee spent.
    m, a, b = duplicate_world(fee)
    i = open_duplicate(m, a, b)
    expect("AssetCourtNotDefendant", m.contest, CAROL, i, bond)
    assert expect("AssetCourtWrongDeposit", m.contest, BOB, i, bond + 1).values == (1_001, bond)
    m.contest(BOB, i, bond)
    assert m.balances.of(ETH, ARB) == fee and m.arbiter.requested == [i]
    m.rule_on(COURT, i, True)
    assert m.deposits == {CAROL: 2 * bond} and m.total_deposits == 2 * bond
    # Contested and dismissed: both bonds to the defendant.
    m, a, b = duplicate_world(fee)
    i = open_duplicate(m, a, b)
    m.contest(BOB, i, bond)
    m.rule_on(COURT, i, False)
    assert m.deposits == {BOB: 2 * bond} and m.hold(b) == (0, 0)
    # Lapsed: every bond back.
    m, a, b = duplicate_world(fee)
    i = open_duplicate(m, a, b)
    m.contest(BOB, i, bond)
    deadline = m.now + 60 * DAY
    m.now = deadline
    assert expect("AssetCourtRulingPending", m.lapse, i).values == (i, deadline)
    m.now += 1
    m.lapse(i)
    assert m.deposits == {CAROL: bond, BOB: bond} and m.disputes[i].state == 5
    assert m.violations() == []


def test_a_lineage_path_dismisses_a_duplicate_claim_and_pays_the_owner_it_froze():
    m = fresh()
    a = with_files(m, PUB, 0, [DATA, ("a.json", root(1), 10)], {ALICE: 1})
    c = with_files(m, PUB, 1, [DATA, ("c.json", root(2), 10)], {ALICE: 1}, [Link(a, 1_000)])
    lid = m.buy(BOB, m.create_offer(PUB, terms(c, price=0)), BOB, 0)
    d = with_files(m, BOB, 1, [DATA, ("d.json", root(3), 10)], {BOB: 1}, [Link(c, 500, lid)])
    claim = [proven(m, a, DATA), proven(m, d, DATA)]
    # A direct parent licensed its files: no claim; the grandparent's can be opened.
    err = expect(
        "AssetCourtSameOwner", m.open_duplicate, CAROL, a, c, *claim[:1], proven(m, c, DATA), BOND
    )
    assert err.values == (a, c)
    m.transfer_asset(PUB, PUB, GATE, c)
    err = expect(
        "AssetCourtIsParent", m.open_duplicate, CAROL, a, c, claim[0], proven(m, c, DATA), BOND
    )
    assert err.values == (a, c)
    i = m.open_duplicate(CAROL, a, d, *claim, BOND)
    assert m.lineage_path(d, a) == [0, 0] and m.lineage_path(a, d) is None
    for path in ([], [0] * 9, [1], [0]):  # empty, too long, no such parent, not reaching a
        assert expect("AssetCourtBadLineage", m.answer_lineage, GATE, i, path).values == (i,)
    m.answer_lineage(GATE, i, [0, 0])
    assert m.disputes[i].state == 4 and m.disputes[i].defendant == BOB
    assert m.deposits == {BOB: BOND} and m.hold(d) == (0, 0)
    j = m.open_subjective(CAROL, d, 3, root(5), 0, BOND)
    assert expect("AssetCourtNotDuplicate", m.answer_lineage, GATE, j, [0, 0]).values == (j,)
    assert m.violations() == []


def test_duplicate_claims_check_the_file_then_the_order_the_owners_and_the_status():
    m, a, b = duplicate_world(fee=0)
    copy_ = ("copy/train.bin", *DATA[1:])
    good_a, good_b = proven(m, a, DATA), proven(m, b, copy_)

    def claim(earlier, later, fa, fb, value=BOND):
        return expect_any(m.open_duplicate, CAROL, earlier, later, fa, fb, value)

    assert claim(a, b, good_a, proven(m, b, LICENSE_TXT)) == ("AssetCourtNotTheSameFile", ())
    small = proven(m, a, LICENSE_TXT), proven(m, b, LICENSE_TXT)
    assert claim(a, b, *small) == ("AssetCourtFileTooSmall", (1_067, BIG))
    m.deployment = replace(m.deployment, min_duplicate_size=1_068)
    assert claim(a, b, *small)[0] == "AssetCourtFileTooSmall"
    m.deployment = replace(m.deployment, min_duplicate_size=1_067)  # at the minimum: a claim
    assert claim(a, b, *small) == ("ok", 1)
    m, a, b = duplicate_world(fee=0)
    tampered = FileClaim(*DATA, None)
    assert claim(a, b, tampered, good_b) == ("AssetCourtBadFileProof", (a,))
    assert claim(a, b, good_a, FileClaim(*copy_, m.assets[a].content_root)) == (
        "AssetCourtBadFileProof",
        (b,),
    )
    assert claim(a, 9, good_a, good_b) == ("AssetRegistryUnknownAsset", (9,))
    assert claim(b, a, good_b, good_a) == ("AssetCourtNotEarlier", (b, a))
    m.transfer_asset(BOB, BOB, PUB, b)
    assert claim(a, b, good_a, good_b) == ("AssetCourtSameOwner", (a, b))
    m.transfer_asset(PUB, PUB, BOB, b)
    m.open_subjective(GATE, a, 1, root(5), 0, BOND)
    assert claim(a, b, good_a, good_b) == ("AssetCourtAlreadyDisputed", (a, 1))
    assert claim(a, b, good_a, good_b, BOND - 1)[0] == "AssetCourtAlreadyDisputed"


def expect_any(action, *args) -> tuple:
    """("ok", result) or the Revert's key."""
    try:
        return ("ok", action(*args))
    except Revert as err:
        return err.key


def test_an_older_commitment_takes_down_a_squat_and_the_dispute_that_shielded_it():
    m = committing()
    salt, theirs = root(50), root(51)
    files = [DATA, ("a.json", root(1), 10)]
    content, _ = content_tree(files)
    mine = registration_leaf(PUB, content, salt)
    m.commit(PUB, keccak(mine))  # PUB commits first and holds its reveal back
    m.now += 10
    m.commit(BOB, keccak(registration_leaf(BOB, content, theirs)))
    m.now += 60
    squat = m.register(BOB, 0, content, tree_top({BOB: 1}), {BOB: 1}, salt=theirs, files=files)
    assert m.assets[squat].committed_at == 1_010
    # BOB's friend opens a dispute at once, to keep the asset out of reach; it does not.
    shield = m.open_subjective(CAROL, squat, 1, root(9), 0, BOND)
    m.contest(BOB, shield, BOND)

    def claim(sender=PUB, leaves=(mine,), index=0, s=salt, beneficiary=0):
        return expect_any(
            m.claim_prior_commitment, sender, squat, list(leaves), index, s, beneficiary
        )

    assert claim(index=1) == ("AssetCourtNotYourLeaf", (1,))
    assert claim(s=theirs) == ("AssetCourtNotYourLeaf", (0,))
    assert claim(sender=GATE) == ("AssetCourtNotYourLeaf", (0,))
    assert claim(sender=BOB, s=theirs, leaves=[registration_leaf(BOB, content, theirs)]) == (
        "AssetCourtNotOlder",
        (1_010, 1_010),
    )
    assert claim(beneficiary=squat) == ("AssetCourtBadBeneficiary", (squat,))
    m.commit(ALICE, keccak(registration_leaf(ALICE, root(3), root(70))))
    m.now += 60
    other = reg(m, ALICE, 0, 3, {ALICE: 1}, salt=root(70))
    assert claim(beneficiary=other) == ("AssetCourtBadBeneficiary", (other,))
    before = m.now
    m.now = 1_000 + 2 * 3_600 + 1
    assert claim() == ("AssetCourtClaimTooLate", (1_000 + 2 * 3_600,))
    m.now = before
    assert m.quote_prior_commitment(PUB, squat, [mine], 0, salt, 0) == shield + 1
    i = m.claim_prior_commitment(PUB, squat, [mine], 0, salt, 0)
    assert m.disputes[shield].state == 5 and m.disputes[i].state == 3
    assert m.deposits == {CAROL: BOND, BOB: BOND} and m.hold(squat) == (2, 0)
    assert claim() == ("AssetCourtAlreadyDisputed", (squat, 2))
    # Revenue of the squat now goes to the fee book (no beneficiary).
    m.pay(ALICE, squat, ETH, 300, 300)
    assert m.fees[ETH] == 300 and m.pool(squat, ETH).accrued == 0
    assert m.violations() == []


def test_a_commitment_that_expired_before_the_registration_proves_nothing():
    m = committing(min_age=60, max_age=100)
    files = [DATA]
    content, _ = content_tree(files)
    old = registration_leaf(PUB, content, root(60))
    m.commit(PUB, keccak(old))
    m.now += 101
    m.commit(BOB, keccak(registration_leaf(BOB, content, root(61))))
    m.now += 60
    squat = m.register(BOB, 0, content, tree_top({BOB: 1}), {BOB: 1}, salt=root(61), files=files)
    err = expect(
        "AssetCourtCommitmentExpired", m.claim_prior_commitment, PUB, squat, [old], 0, root(60), 0
    )
    assert err.values == (1_100, 1_161)


def test_escrow_an_earlier_dispute_left_stays_the_asset_s():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    b = reg(m, PUB, 0, 2, {BOB: 1})
    first = m.open_subjective(CAROL, a, 1, root(9), 0, BOND)
    m.pay(ALICE, a, TOKEN, 100)
    m.now += WEEK + 1
    m.resolve(first)
    m.court_rule(ARB, first, False)  # dismissed; nobody releases the escrow
    second = m.open_subjective(CAROL, a, 2, root(8), b, BOND)
    assert m.frozen[a][TOKEN] == (0, 0, 100)
    # The earlier round's escrow is the asset's even while the next dispute holds it.
    assert m.release(a, TOKEN) == 100 and m.pool(a, TOKEN).accrued == 100
    m.pay(ALICE, a, TOKEN, 40)
    m.pay(ALICE, a, ETH, 30, 30)
    assert m.escrowed[(a, TOKEN)] == 40
    m.now += WEEK + 1
    m.resolve(second)
    m.court_rule(ARB, second, True)
    assert m.release(a, TOKEN) == 40 and m.pool(b, TOKEN).accrued == 40  # the beneficiary's
    assert m.violations() == []
    # Left unreleased, an earlier round's escrow is credited to the asset by its next credit.
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    first = m.open_subjective(CAROL, a, 1, root(9), 0, BOND)
    m.pay(ALICE, a, ETH, 70, 70)
    m.now += WEEK + 1
    m.resolve(first)
    m.court_rule(ARB, first, False)
    m.open_subjective(CAROL, a, 1, root(7), 0, BOND)
    m.pay(ALICE, a, ETH, 5, 5)
    assert m.pool(a, ETH).accrued == 70 and m.escrowed[(a, ETH)] == 5
    assert m.violations() == []


def test_upheld_revenue_is_redirected_one_hop():
    m = fresh()
    grand = reg(m, PUB, 0, 1, {ALICE: 1})
    beneficiary = reg(m, PUB, 1, 2, {BOB: 1}, [Link(grand, 5_000)])
    taken = reg(m, GATE, 0, 3, {CAROL: 1})
    i = m.open_subjective(PUB, taken, 1, root(9), beneficiary, BOND)
    m.pay(ALICE, taken, ETH, 100, 100)
    m.contest(GATE, i, BOND)
    m.court_rule(ARB, i, True)
    assert m.release(taken, ETH) == 100  # split at the beneficiary, with its upstream share
    assert (m.pool(beneficiary, ETH).accrued, m.pool(beneficiary, ETH).pending) == (50, 50)
    # A beneficiary held itself takes it into its escrow; one taken down sends it to fees.
    j = m.open_subjective(ALICE, beneficiary, 2, root(8), 0, BOND)
    m.pay(ALICE, taken, ETH, 10, 10)
    assert m.escrowed[(beneficiary, ETH)] == 10 and m.fees.get(ETH, 0) == 0
    m.contest(PUB, j, BOND)
    m.court_rule(ARB, j, True)
    m.pay(ALICE, taken, ETH, 11, 11)
    assert m.fees[ETH] == 11
    assert m.release(beneficiary, ETH) == 10 and m.fees[ETH] == 21  # its own beneficiary: none
    assert m.withdraw_fees(ETH) == 21 and m.violations() == []


def test_an_arbiter_that_refuses_the_case_returns_the_fee_and_can_never_rule():
    m = fresh()
    m.arbiter = Arbiter(ARB, fee=9, refuse=True)
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    i = m.open_subjective(CAROL, a, 1, root(9), 0, BOND + 9)
    m.contest(PUB, i, BOND)
    d = m.disputes[i]
    assert (d.state, d.refused, m.deposits, m.balances.of(ETH, ARB)) == (2, True, {CAROL: 9}, 0)
    assert expect("AssetCourtCaseRefused", m.rule_on, COURT, i, True).values == (i,)
    m.now += 60 * DAY + 1
    m.lapse(i)
    assert m.deposits == {CAROL: 9 + BOND, PUB: BOND} and m.violations() == []
    paid = dict(m.deposits)
    # One that runs out of gas reverts the call that would send it the case.
    m.set_arbiter(refuse=False, burn=True)
    k = m.open_subjective(CAROL, a, 1, root(7), 0, BOND + 9)
    assert expect_any(m.contest, PUB, k, BOND) == ("AssetCourtArbiterOutOfGas", ())
    m.set_arbiter(burn=False)
    m.contest(PUB, k, BOND)
    m.rule_on(COURT, k, False)
    # One that rules at once does so inside the request.
    m.set_arbiter(refuse=False, instant=(True, True), fee=0)
    j = m.open_subjective(CAROL, a, 1, root(8), 0, BOND)
    m.contest(PUB, j, BOND)
    assert m.disputes[j].state == 3 and m.deposits[CAROL] == paid[CAROL] + 2 * BOND
    assert m.arbiter.requested == [k, j] and m.violations() == []


def test_a_panel_rules_when_one_side_reaches_its_threshold():
    m = fresh()
    m.arbiter = Arbiter(ARB, members=(ALICE, BOB, GATE), threshold=2)
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    i = m.open_subjective(CAROL, a, 1, root(9), 0, BOND)
    assert expect("PanelArbiterNoCase", m.vote, ALICE, COURT, i, True).values == (COURT, i)
    m.contest(PUB, i, BOND)
    assert expect("PanelArbiterNotMember", m.vote, CAROL, COURT, i, True).values == (CAROL,)
    expect("PanelArbiterNoCase", m.vote, ALICE, REG, i, True)  # another court's case
    m.vote(ALICE, COURT, i, True)
    assert expect("PanelArbiterAlreadyVoted", m.vote, ALICE, COURT, i, False).values == (ALICE,)
    m.vote(BOB, COURT, i, False)
    assert m.disputes[i].state == 2 and m.arbiter.cases[(COURT, i)].view() == (True, False, 1, 1)
    m.vote(GATE, COURT, i, False)
    assert m.disputes[i].state == 4 and m.deposits == {PUB: 2 * BOND}
    assert m.arbiter.cases[(COURT, i)].view() == (True, True, 1, 2)
    # A case that lapsed first: the vote that would rule reverts with the court's error.
    j = m.open_subjective(CAROL, a, 1, root(8), 0, BOND)
    m.contest(PUB, j, BOND)
    m.vote(ALICE, COURT, j, True)
    m.now += 60 * DAY + 1
    m.lapse(j)
    err = expect("AssetCourtWrongState", m.vote, BOB, COURT, j, True)
    assert err.values == (j, 5) and m.arbiter.cases[(COURT, j)].yes == 1


def test_the_court_sweeps_only_what_is_above_its_deposits():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    m.open_subjective(CAROL, a, 1, root(9), 0, BOND)
    err = expect("AssetCourtNoExcess", m.court_sweep_excess, ETH)
    assert err.values == (ETH, BOND, BOND)
    m.balances.transfer(ETH, CAROL, COURT, 5)  # forced in
    m.balances.transfer(TOKEN, CAROL, COURT, 8)
    assert m.court_sweep_excess(ETH) == 5 and m.court_sweep_excess(TOKEN) == 8
    assert m.balances.of(ETH, COURT) == BOND and m.violations() == []


def test_violations_name_broken_court_books_and_credits_to_a_held_asset():
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 1})
    m.pay(ALICE, a, ETH, 10, 10)
    m.open_subjective(CAROL, a, 1, root(9), 0, BOND)
    assert m.violations() == []
    broken = copy.deepcopy(m)
    broken._credit(a, ETH, 3, 0)  # a credit that should have gone to escrow
    broken.held[ETH] += 3
    assert any("D2" in v for v in broken.violations())
    broken = copy.deepcopy(m)
    broken.total_deposits += 1
    assert any("totalDeposits" in v for v in broken.violations())
    broken = copy.deepcopy(m)
    broken.balances.set(ETH, COURT, BOND - 1)
    assert any("the court holds" in v for v in broken.violations())
    broken = copy.deepcopy(m)
    broken.escrowed[(a, ETH)] = 1  # escrow the books do not hold (D1)
    assert any("books" in v for v in broken.violations())
    broken = copy.deepcopy(m)
    broken.holds[a] = (0, 0)
    assert any("status 1, hold 0" in v for v in broken.violations())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pay", "flow", "claim", "open", "end", "release"]),
            st.integers(0, 3),
            st.integers(1, 10**6),
        ),
        max_size=40,
    )
)
def test_model_books_hold_for_any_payments_and_disputes(ops):
    m = fresh()
    a = reg(m, PUB, 0, 1, {ALICE: 3, BOB: 4})
    b = reg(m, PUB, 0, 2, {CAROL: 5})
    c = reg(m, PUB, 1, 3, {BOB: 7, CAROL: 2}, [Link(a, 3_333), Link(b, 1_111)])
    d = reg(m, PUB, 1, 4, {ALICE: 1}, [Link(c, 9_999)])
    m.transfer_asset(PUB, PUB, GATE, d)
    ids = [a, b, c, d]
    allowed = {
        "RoyaltyVaultNothingToFlow",
        "RoyaltyVaultNothingToClaim",
        "RoyaltyVaultStillHeld",
        "RoyaltyVaultNothingToRelease",
        "AssetCourtAlreadyDisputed",
        "AssetCourtWrongState",
        "AssetCourtUnknownDispute",
    }
    for op, i, amount in ops:
        asset = ids[i]
        try:
            if op == "pay":
                m.pay(CAROL, asset, FOT, amount)
            elif op == "flow":
                m.flow_upstream(asset, FOT)
            elif op == "claim":
                for who, weight in m.assets[asset].weights.items():
                    m.claim(asset, FOT, who, weight)
            elif op == "open":
                m.open_subjective(ALICE, asset, 1, root(amount), ids[(i + 1) % 4], BOND)
            elif op == "end":  # the asset's latest dispute goes to the arbiter and is ruled
                dispute = m.dispute_of.get(asset, 0)
                m.contest(m.assets[asset].owner, dispute, BOND)
                m.court_rule(ARB, dispute, amount % 2 == 0)
            else:
                m.release(asset, FOT)
        except Revert as err:
            assert err.name in allowed, err
        assert m.violations() == []
        assert m.books(FOT) == m.held.get(FOT, 0) == m.balances.of(FOT, VAULT)


# -- labeling campaigns -------------------------------------------------------------------------

CAMPAIGNS = "0x" + "cc" * 20
SALT, GOLD = keccak(b"salt"), keccak(b"gold")


def campaign_world(arbiter: Arbiter | None = None) -> Protocol:
    m = fresh()
    m.deployment = replace(m.deployment, campaigns=CAMPAIGNS)
    for who in (PUB, ALICE, BOB, CAROL, GATE):
        for token in (TOKEN, FOT):
            m.balances.approve(token, who, CAMPAIGNS, UINT256_MAX)
    if arbiter is not None:
        m.arbiter = arbiter
    return m


def campaign_terms(m: Protocol, currency: str = ETH, **kw: object) -> Params:
    base: dict[str, object] = dict(
        requester=PUB,
        currency=currency,
        pool=1_000,
        itemsRoot=root(1),
        goldCommitment=gold_commitment(SALT, GOLD),
        operator=GATE,
        bond=100,
        postBy=m.now + 3_600,
        challengeWindow=600,
        claimWindow=DAY,
    )
    base.update(kw)
    return Params(**base)  # type: ignore[arg-type]


def launched(m: Protocol, currency: str = ETH, **kw: object) -> tuple[int, Params]:
    params = campaign_terms(m, currency, **kw)
    value = params.pool if currency == ETH else 0
    i = m.campaign("create", PUB, params, value)
    return i, m.campaigns.campaigns[i].params


def posted(m: Protocol, i: int, p: Params, weights: dict[str, int], lie: bool = False) -> bytes:
    top = tree_top(weights)
    result_root, _ = campaign_root(top)
    body = report(keccak(b"another") if lie else result_root, GOLD)
    value = p.bond if p.currency == ETH else 0
    m.campaign("post_result", GATE, i, p, top, keccak(body), SALT, GOLD, value)
    return body


def test_campaign_terms_are_checked_in_the_contract_s_order_and_fot_pools_are_what_arrived():
    m = campaign_world()
    p = campaign_terms(m)
    assert expect("CampaignNotRequester", m.campaign, "create", ALICE, p, 1_000).values == (
        ALICE,
        PUB,
    )
    bad = p.but(operator=ZERO, pool=0)
    assert expect("CampaignBadParams", m.campaign, "create", PUB, bad, 0).values == (1, 0)
    bad = p.but(pool=0, postBy=m.now)
    assert expect("CampaignBadParams", m.campaign, "create", PUB, bad, 0).values == (4, 0)
    bad = p.but(postBy=m.now + MAX_WINDOW + 1)
    assert expect("CampaignBadParams", m.campaign, "create", PUB, bad, 0).values[0] == 6
    err = expect("CampaignWrongValue", m.campaign, "create", PUB, p, 999)
    assert err.values == (999, 1_000) and m.campaigns.campaigns == {}
    i, stored = launched(m, FOT, pool=10_000)
    assert stored.pool == 9_900 and m.campaigns.state(i) == (1, 0, 0, 9_900)
    assert m.balances.of(FOT, CAMPAIGNS) == 9_900 and m.violations() == []


def test_claims_pay_the_floor_of_the_share_once_in_their_window_and_finish_refunds_the_rest():
    m = campaign_world()
    i, p = launched(m)
    # Claim checks the status before the parameters; finish the parameters first.
    assert expect("CampaignWrongStatus", m.campaign, "claim", BOB, 9, p, ALICE, 1, None).values == (
        9,
        0,
        2,
    )
    assert expect("CampaignUnknown", m.campaign, "finish", BOB, 9, p).values == (9,)
    expect("CampaignNotOperator", m.campaign, "post_result", BOB, i, p, [], ZERO32, SALT, GOLD, 0)
    posted(m, i, p, {ALICE: 2, BOB: 1})
    result = m.campaigns.campaigns[i].result
    opens = m.now + 600
    assert m.campaigns.state(i) == (2, opens, 100, 1_000)
    err = expect("CampaignClaimsNotOpen", m.campaign, "claim", BOB, i, p, ALICE, 2, result.root)
    assert err.values == (i, opens + 1)
    m.now = opens + 1
    err = expect("CampaignInvalidProof", m.campaign, "claim", BOB, i, p, ALICE, 3, None)
    assert err.values == (i, ALICE, 3)
    bad = p.but(pool=1)
    expect("CampaignParamsMismatch", m.campaign, "claim", BOB, i, bad, ALICE, 2, result.root)
    assert m.campaign("claim", BOB, i, p, ALICE, 2, result.root) == 666
    expect("CampaignAlreadyClaimed", m.campaign, "claim", BOB, i, p, ALICE, 2, result.root)
    # A batch skips the claimed (0) and pays the rest.
    out = m.campaign("claim_batch", CAROL, i, p, [(ALICE, 2, result.root), (BOB, 1, result.root)])
    assert out == [0, 333] and m.campaigns.state(i)[3] == 1
    err = expect("CampaignNotOver", m.campaign, "finish", CAROL, i, p)
    assert err.values == (i, opens + DAY + 1)
    m.now = opens + DAY + 1
    expect("CampaignClaimsClosed", m.campaign, "claim_to", BOB, i, p, 1, result.root, CAROL)
    before = m.balances.of(ETH, PUB), m.balances.of(ETH, GATE)
    assert m.campaign("finish", CAROL, i, p) == (1, 100)
    assert (m.balances.of(ETH, PUB), m.balances.of(ETH, GATE)) == (before[0] + 1, before[1] + 100)
    # finish keeps opensAt; the books are empty and add up.
    assert m.campaigns.state(i) == (3, opens, 0, 0) and m.balances.of(ETH, CAMPAIGNS) == 0
    assert m.violations() == []


def test_a_contradicting_report_is_slashed_and_a_matching_one_is_not():
    m = campaign_world()
    i, p = launched(m, bond=101)
    body = posted(m, i, p, {ALICE: 1})
    err = expect("CampaignReportMatches", m.campaign, "challenge_report", BOB, i, p, body, GOLD)
    assert err.values == (i, keccak(body))
    expect("CampaignNotPostedReport", m.campaign, "challenge_report", BOB, i, p, body + b" ", GOLD)
    expect("CampaignReportTooShort", m.campaign, "challenge_report", BOB, i, p, body[:63], GOLD)
    m.now += 601
    expect("CampaignChallengeWindowOver", m.campaign, "dispute", BOB, i, p, root(5), 100)
    j, q = launched(m, bond=101)
    lie = posted(m, j, q, {ALICE: 1}, lie=True)
    before = m.balances.of(ETH, BOB)
    m.campaign("challenge_report", BOB, j, q, lie, GOLD)
    assert m.balances.of(ETH, BOB) == before + 50 and m.campaigns.credit(PUB, ETH) == 51
    assert m.campaigns.state(j) == (1, 0, 0, 1_000) and m.violations() == []
    assert m.campaign("withdraw_credit", PUB, ETH, ALICE) == 51
    expect("CampaignNoCredit", m.campaign, "withdraw_credit", PUB, ETH, ALICE)


def test_each_dispute_is_a_new_case_for_the_panel_and_a_stale_case_is_refused():
    m = campaign_world(Arbiter(ARB, members=(ALICE, BOB, GATE), threshold=2))
    i, p = launched(m)
    posted(m, i, p, {ALICE: 1})
    case = m.campaign("dispute", CAROL, i, p, root(5), 100)
    assert case == case_id(i, 1) == 1 << 128 | i and m.campaigns.state(i)[0] == 4
    assert m.arbiter.cases[(CAMPAIGNS, case)].open and (COURT, case) not in m.arbiter.cases
    m.vote(ALICE, CAMPAIGNS, case, True)
    m.vote(BOB, CAMPAIGNS, case, True)  # upheld: the claimant takes both bonds
    assert m.campaigns.credit(CAROL, ETH) == 200 and m.campaigns.state(i) == (1, 0, 0, 1_000)
    posted(m, i, p, {BOB: 1})
    again = m.campaign("dispute", CAROL, i, p, root(6), 100)
    assert again == case_id(i, 2)
    err = expect("CampaignUnknownCase", m.campaign, "rule", ARB, case, False)
    assert err.values == (case,)
    assert expect("CampaignNotArbiter", m.campaign, "rule", BOB, again, False).values == (BOB, ARB)
    m.vote(ALICE, CAMPAIGNS, again, False)
    timeout = m.campaigns.ruling_timeout
    err = expect("CampaignRulingPending", m.campaign, "lapse", BOB, i)
    assert err.values == (i, m.now + timeout + 1)
    m.now += timeout + 1
    m.campaign("lapse", BOB, i)  # the claimant's bond back, the result stands from now
    assert m.campaigns.credit(CAROL, ETH) == 300 and m.campaigns.state(i) == (2, m.now, 100, 1_000)
    # The vote that would rule on the lapsed case reverts with the campaign's error.
    err = expect("CampaignUnknownCase", m.vote, BOB, CAMPAIGNS, again, False)
    assert err.values == (again,) and m.arbiter.cases[(CAMPAIGNS, again)].no == 1
    assert m.campaigns.books(ETH) == m.balances.of(ETH, CAMPAIGNS) and m.violations() == []


def test_the_test_arbiter_refuses_undoing_the_dispute_burns_with_any_gas_or_rules_inside():
    m = campaign_world(Arbiter(ARB, fee=7))
    i, p = launched(m, TOKEN)
    posted(m, i, p, {ALICE: 1})
    expect("CampaignWrongValue", m.campaign, "dispute", CAROL, i, p, root(5), 0)
    m.set_arbiter(refuse=True, burn=True)
    snapshot = copy.deepcopy(m.__dict__)
    assert expect("CampaignArbiterRefused", m.campaign, "dispute", CAROL, i, p, root(5), 7).values
    assert m.__dict__ == snapshot  # nothing changed, the round included
    m.set_arbiter(refuse=False)
    err = expect("CampaignGasTooLow", m.campaign, "dispute", CAROL, i, p, root(5), 7)
    assert err.key == ("CampaignGasTooLow", (123_456, 789))  # ANY: whatever gas was left
    m.set_arbiter(burn=False, instant=(True, False))
    case = m.campaign("dispute", CAROL, i, p, root(5), 7)
    # Dismissed inside the request: the operator is credited the claimant's bond.
    assert case == case_id(i, 1) and m.arbiter.requested == [case] and m.arbiter.received == 7
    assert m.campaigns.credit(GATE, TOKEN) == 100 and m.campaigns.state(i) == (2, m.now, 100, 1_000)
    assert m.balances.of(ETH, ARB) == 7 and m.balances.of(TOKEN, CAMPAIGNS) == 1_200
    assert m.campaigns.books(TOKEN) == 1_200 and m.violations() == []
    # ruleOn reaches the campaigns too: this case is over, the next one is ruled.
    assert expect("CampaignUnknownCase", m.rule_on, CAMPAIGNS, case, True).values == (case,)
    # (A dismissed result's window closed at the ruling: no second dispute of it.)
    m.now += 1
    expect("CampaignChallengeWindowOver", m.campaign, "dispute", CAROL, i, p, root(6), 7)
    m.set_arbiter(instant=(False, False))
    j, q = launched(m, TOKEN)
    posted(m, j, q, {ALICE: 1})
    nxt = m.campaign("dispute", CAROL, j, q, root(6), 7)
    m.rule_on(CAMPAIGNS, nxt, True)
    assert m.campaigns.credit(CAROL, TOKEN) == 200 and m.campaigns.state(j)[0] == 1
    assert m.violations() == []


def test_campaign_violations_name_a_broken_pool():
    m = campaign_world()
    i, _ = launched(m)
    m.campaigns.campaigns[i].remaining -= 1
    assert m.violations() == [f"campaign {i}: pool 1000 != 0 + 999"]
