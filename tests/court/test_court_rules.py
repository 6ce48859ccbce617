"""What a dispute does to an asset and to its money (docs/integrity.md §5.1, §5.2; D1, D2).

While an asset is disputed no license for it sells and nothing may name it as a parent;
licenses already sold keep working, and every credit the vault would make to it goes whole
into escrow, before the upstream split. Revenue accrued before the open stays claimable, and
pending upstream flows as usual. A dismissal or lapse releases the escrow into the asset's own
pool; an upheld claim redirects the escrow and every later credit to the beneficiary (split
there), or to the fee book, one hop only. After every step the vault's books hold to the wei
(D1), in ETH and in an ERC-20, and the court holds exactly its deposits.
"""

import pytest
from court_helpers import (
    EVIDENCE,
    HOLD_ESCROW,
    HOLD_NONE,
    HOLD_REDIRECTED,
    INFRINGEMENT,
    OPEN,
    STATUS_DISPUTED,
    STATUS_NONE,
    STATUS_UPHELD,
    SUBJECTIVE,
    UPHELD,
    logs,
    reverts,
)

from seedbed.core.constants import ACCESS, DERIVE, ETH, MODEL


def books(w, token):
    """D1 in both currencies and the court's book, after a step."""
    w.vault_books(ETH)
    w.vault_books(token)
    w.court_books()


# Every module-scoped world and session account first, so ape snapshots them before any test.
pytestmark = pytest.mark.usefixtures(
    "world", "token", "deployer", "publisher", "alice", "bob", "gateway", "stranger", "treasury"
)


def lo(account):
    return str(getattr(account, "address", account)).lower()


def sell(w, asset_id, owner, buyer, price=100):
    """An ETH offer (ACCESS | DERIVE, 2 wei a unit, 10 % service share) and one license."""
    terms = (asset_id, ETH, price, 2, 0, 0, ACCESS | DERIVE, 0, False, 0, 1_000)
    receipt = w.license.createOffer(terms, sender=owner)
    offer = receipt.events.filter(w.license.OfferCreated)[0].offerId
    receipt = w.license.buy(offer, buyer, price, value=price, sender=buyer)
    return offer, receipt.events.filter(w.license.LicenseBought)[0].licenseId


def test_a_disputed_asset_sells_no_license_and_holds_its_revenue(
    w, token, deployer, publisher, alice, bob, gateway, stranger
):
    parent = w.register(publisher, {publisher.address: 1})
    asset = w.register(publisher, {alice.address: 1, bob.address: 1}, parents=[(parent, 2_000)])
    offer, license_id = sell(w, asset, publisher, alice)  # 100 wei: 80 accrued, 20 pending
    w.meter.deposit(license_id, gateway, 1_000, value=1_000, sender=alice)
    assert (w.vault.accrued(asset, ETH), w.vault.pendingUpstream(asset, ETH)) == (80, 20)
    books(w, token)

    dispute_id = w.open_subjective(asset, stranger)
    opened = w.last_receipt
    d = w.dispute(dispute_id)
    assert (d.assetId, d.beneficiary, d.kind, d.state, d.reason) == (
        asset, 0, SUBJECTIVE, OPEN, INFRINGEMENT,
    )  # fmt: skip
    assert (lo(d.claimant), d.fee, bytes(d.evidenceHash), d.contested) == (
        lo(stranger), 0, EVIDENCE, False,
    )  # fmt: skip
    assert d.openedAt == w.now
    assert w.court.disputeOf(asset) == dispute_id
    assert w.registry.asset(asset).status == STATUS_DISPUTED
    assert not w.registry.isListed(asset)
    assert tuple(w.vault.hold(asset)) == (HOLD_ESCROW, 0)
    assert logs(opened, w.registry, "StatusChanged") == [
        {"assetId": asset, "status": STATUS_DISPUTED}
    ]
    assert logs(opened, w.vault, "HoldChanged") == [
        {"assetId": asset, "state": HOLD_ESCROW, "beneficiary": 0}
    ]
    assert logs(opened, w.court, "DisputeOpened")[0]["deposit"] == w.bond
    books(w, token)

    # No new license sells, not even from the offer that sold one a block ago.
    with reverts(w.license.LicenseTokenAssetDelisted, assetId=asset):
        w.license.buy(offer, bob, 100, value=100, sender=bob)
    # Nothing may name it as a parent, not even its owner (who needs no license).
    with reverts(w.registry.AssetRegistryParentDisputed, parentId=asset, status=STATUS_DISPUTED):
        w.register(publisher, parents=[(asset, 1_000)], kind=MODEL)

    # The license sold before keeps working; what it pays is held, whole (no upstream split).
    w.meter.meter(license_id, gateway, 50, sender=alice)  # 100 wei: 90 to the asset
    receipt = w.meter.payAsset(asset, ETH, sender=stranger)
    assert logs(receipt, w.vault, "Escrowed") == [{"assetId": asset, "currency": ETH, "amount": 90}]
    paid = logs(receipt, w.vault, "Paid")[0]
    assert (paid["amount"], paid["toContributors"], paid["toUpstream"]) == (90, 0, 0)
    receipt = w.pay(asset, 1_000, deployer)
    assert logs(receipt, w.vault, "Escrowed") == [
        {"assetId": asset, "currency": ETH, "amount": 1_000}
    ]
    w.pay(asset, 500, deployer, token)
    assert w.vault.escrowed(asset, ETH) == 1_090
    assert w.vault.escrowed(asset, token) == 500
    assert (w.vault.accrued(asset, ETH), w.vault.pendingUpstream(asset, ETH)) == (80, 20)
    assert (w.vault.accrued(asset, token), w.vault.pendingUpstream(asset, token)) == (0, 0)
    with reverts(w.vault.RoyaltyVaultStillHeld, assetId=asset):
        w.vault.release(asset, ETH, sender=stranger)
    books(w, token)

    # The owner's own delisting is a separate flag: relisting does not lift the dispute.
    w.registry.setDelisted(asset, True, sender=publisher)
    w.registry.setDelisted(asset, False, sender=publisher)
    assert not w.registry.isListed(asset)


def test_revenue_accrued_before_a_dispute_is_claimable_during_it(
    w, token, deployer, publisher, alice, bob, stranger
):
    asset = w.register(publisher, {alice.address: 1, bob.address: 3})
    w.pay(asset, 4_000, deployer)
    w.pay(asset, 8_000, deployer, token)
    dispute_id = w.open_subjective(asset, stranger)
    books(w, token)

    # During the dispute: every claim path works, for the full pre-dispute share.
    assert w.claim(asset, alice) == 1_000
    assert w.claim(asset, alice, token.address) == 2_000
    w.pay(asset, 4_000, deployer)  # held: changes nobody's claimable
    w.pay(asset, 4_000, deployer, token)
    assert w.claimable(asset, bob) == 3_000
    assert w.claimable(asset, bob, token.address) == 6_000
    weight, proof = w.people[asset].proof(bob)
    w.vault.claimTo(asset, ETH, weight, proof, stranger, sender=bob)  # paid to another address
    assert w.vault.claimed(asset, ETH, bob) == 3_000
    books(w, token)

    # Taken down, revenue redirected to the fee book: what was accrued is still theirs.
    w.decide(dispute_id, True, stranger)
    assert w.state(dispute_id) == UPHELD
    assert tuple(w.vault.hold(asset)) == (HOLD_REDIRECTED, 0)
    assert w.claim(asset, bob, token.address) == 6_000
    w.pay(asset, 4_000, deployer)
    assert w.claimable(asset, alice) == 0  # nothing new accrued
    assert w.vault.accrued(asset, ETH) == 4_000
    books(w, token)
    fees = w.vault.fees(ETH)
    w.vault.release(asset, ETH, sender=stranger)
    assert w.vault.fees(ETH) == fees + 4_000
    books(w, token)


def test_a_held_childs_pre_dispute_pending_upstream_flows_to_its_parents(
    w, token, deployer, publisher, bob, stranger
):
    parent = w.register(publisher)
    child = w.register(publisher, {bob.address: 1}, parents=[(parent, 2_500)], kind=MODEL)
    w.pay(child, 1_000, deployer)  # 750 accrued, 250 pending for the parent
    w.open_subjective(child, stranger)
    w.pay(child, 1_000, deployer)  # whole into escrow: pending stays 250
    assert w.vault.pendingUpstream(child, ETH) == 250
    receipt = w.vault.flowUpstream(child, ETH, sender=stranger)
    assert logs(receipt, w.vault, "UpstreamFlowed") == [
        {"childId": child, "parentId": parent, "currency": ETH, "amount": 250,
         "toContributors": 250, "toUpstream": 0}
    ]  # fmt: skip
    assert w.vault.accrued(parent, ETH) == 250
    assert w.claim(parent, publisher) == 250
    with reverts(w.vault.RoyaltyVaultNothingToFlow, assetId=child, currency=ETH):
        w.vault.flowUpstream(child, ETH, sender=stranger)
    books(w, token)


def test_a_disputed_parents_incoming_upstream_flow_goes_into_its_escrow(
    w, token, deployer, publisher, alice, bob, stranger
):
    grand = w.register(publisher)
    parent = w.register(publisher, {alice.address: 1}, parents=[(grand, 1_000)])
    child = w.register(publisher, {bob.address: 1}, parents=[(parent, 5_000)], kind=MODEL)
    w.pay(child, 2_000, deployer, token)  # 1,000 pending for the parent
    dispute_id = w.open_subjective(parent, stranger)
    receipt = w.vault.flowUpstream(child, token, sender=stranger)
    assert logs(receipt, w.vault, "Escrowed") == [
        {"assetId": parent, "currency": lo(token), "amount": 1_000}
    ]
    assert logs(receipt, w.vault, "UpstreamFlowed")[0]["toContributors"] == 0
    # Before the parent's own split: its parent got nothing either.
    assert (w.vault.accrued(parent, token), w.vault.pendingUpstream(parent, token)) == (0, 0)
    assert w.vault.escrowed(parent, token) == 1_000
    books(w, token)

    w.decide(dispute_id, False, stranger)  # dismissed: released as if just paid
    receipt = w.vault.release(parent, token, sender=stranger)
    assert logs(receipt, w.vault, "Released") == [
        {"assetId": parent, "currency": lo(token), "amount": 1_000,
         "toContributors": 900, "toUpstream": 100}
    ]  # fmt: skip
    w.vault.flowUpstream(parent, token, sender=stranger)
    assert w.vault.accrued(grand, token) == 100
    assert w.claim(parent, alice, token.address) == 900
    books(w, token)


def test_release_after_dismissal_credits_the_assets_own_pool_with_its_upstream_split(
    w, token, deployer, publisher, alice, bob, stranger
):
    parent = w.register(publisher)
    asset = w.register(publisher, {alice.address: 1}, parents=[(parent, 2_000)])
    dispute_id = w.open_subjective(asset, stranger)
    w.pay(asset, 1_000, deployer)
    w.pay(asset, 3_000, deployer, token)
    with reverts(w.vault.RoyaltyVaultStillHeld, assetId=asset):
        w.vault.release(asset, token, sender=stranger)
    # Contested, then dismissed by the arbiter.
    w.court.contest(dispute_id, value=w.bond, sender=publisher)
    receipt = w.rule(dispute_id, False)
    assert logs(receipt, w.vault, "HoldChanged") == [
        {"assetId": asset, "state": HOLD_NONE, "beneficiary": 0}
    ]
    assert w.registry.asset(asset).status == STATUS_NONE
    assert w.registry.isListed(asset)
    books(w, token)

    receipt = w.vault.release(asset, ETH, sender=bob)  # anyone
    assert logs(receipt, w.vault, "Released") == [
        {"assetId": asset, "currency": ETH, "amount": 1_000,
         "toContributors": 800, "toUpstream": 200}
    ]  # fmt: skip
    w.vault.release(asset, token, sender=bob)
    assert (w.vault.accrued(asset, token), w.vault.pendingUpstream(asset, token)) == (2_400, 600)
    assert (w.vault.escrowed(asset, ETH), w.vault.escrowed(asset, token)) == (0, 0)
    with reverts(w.vault.RoyaltyVaultNothingToRelease, assetId=asset, currency=ETH):
        w.vault.release(asset, ETH, sender=bob)
    # Paid normally again.
    receipt = w.pay(asset, 1_000, deployer)
    assert logs(receipt, w.vault, "Escrowed") == []
    assert w.claim(asset, alice) == 1_600
    books(w, token)


def test_release_after_upheld_credits_the_beneficiary_split_there(
    w, token, deployer, publisher, alice, bob, carol, stranger
):
    upstream = w.register(carol)
    beneficiary = w.register(carol, {carol.address: 1}, parents=[(upstream, 1_000)])
    asset = w.register(publisher, {alice.address: 1})
    dispute_id = w.open_subjective(asset, carol, beneficiary)
    w.pay(asset, 1_000, deployer)
    w.decide(dispute_id, True, stranger)
    assert w.registry.asset(asset).status == STATUS_UPHELD
    assert tuple(w.vault.hold(asset)) == (HOLD_REDIRECTED, beneficiary)
    receipt = w.vault.release(asset, ETH, sender=stranger)
    assert logs(receipt, w.vault, "Released") == [
        {"assetId": asset, "currency": ETH, "amount": 1_000, "toContributors": 0, "toUpstream": 0}
    ]
    assert logs(receipt, w.vault, "Redirected") == [
        {"from": asset, "to": beneficiary, "currency": ETH, "amount": 1_000,
         "toContributors": 900, "toUpstream": 100}
    ]  # fmt: skip
    # Every later credit goes straight there.
    receipt = w.pay(asset, 500, deployer, token)
    assert logs(receipt, w.vault, "Redirected")[0]["to"] == beneficiary
    assert (w.vault.accrued(beneficiary, token), w.vault.pendingUpstream(beneficiary, token)) == (
        450, 50,
    )  # fmt: skip
    assert w.claim(beneficiary, carol) == 900
    assert w.vault.accrued(asset, ETH) == 0
    # Final: never disputed, listed or named as a parent again.
    with reverts(w.court.AssetCourtAlreadyDisputed, assetId=asset, status=STATUS_UPHELD):
        w.open_subjective(asset, stranger)
    with reverts(w.registry.AssetRegistryParentDisputed, parentId=asset, status=STATUS_UPHELD):
        w.register(publisher, parents=[(asset, 1_000)], kind=MODEL)
    assert not w.registry.isListed(asset)
    books(w, token)


def test_an_upheld_claim_without_a_beneficiary_pays_the_fee_book(
    w, token, deployer, publisher, stranger, treasury
):
    asset = w.register(publisher)
    dispute_id = w.open_subjective(asset, stranger)
    w.pay(asset, 700, deployer, token)
    w.decide(dispute_id, True, stranger)
    fees = w.vault.fees(token)
    receipt = w.vault.release(asset, token, sender=stranger)
    assert logs(receipt, w.vault, "Redirected") == [
        {"from": asset, "to": 0, "currency": lo(token), "amount": 700,
         "toContributors": 0, "toUpstream": 0}
    ]  # fmt: skip
    w.pay(asset, 300, deployer, token)
    assert w.vault.fees(token) == fees + 1_000
    books(w, token)
    before = token.balanceOf(treasury)
    w.vault.withdrawFees(token, sender=stranger)
    assert token.balanceOf(treasury) == before + fees + 1_000
    books(w, token)  # the fee book and what it held left together


def test_a_redirect_is_one_hop(w, token, deployer, publisher, alice, bob, carol, stranger):
    """A's revenue goes to B; while B is disputed it lands in B's escrow, and once B is
    itself taken down (to C) A's revenue goes to the fee book, never on to C."""
    a = w.register(publisher, {alice.address: 1})
    b = w.register(carol, {carol.address: 1})
    c = w.register(bob, {bob.address: 1})
    first = w.open_subjective(a, carol, b)
    w.decide(first, True, stranger)
    second = w.open_subjective(b, bob, c)
    receipt = w.pay(a, 1_000, deployer)
    assert logs(receipt, w.vault, "Redirected")[0]["to"] == b
    assert logs(receipt, w.vault, "Escrowed") == [{"assetId": b, "currency": ETH, "amount": 1_000}]
    books(w, token)

    w.decide(second, True, stranger)
    fees = w.vault.fees(ETH)
    receipt = w.pay(a, 600, deployer)
    assert logs(receipt, w.vault, "Redirected") == [
        {"from": a, "to": 0, "currency": ETH, "amount": 600, "toContributors": 0, "toUpstream": 0}
    ]
    assert w.vault.fees(ETH) == fees + 600
    assert (w.vault.accrued(c, ETH), w.vault.escrowed(b, ETH)) == (0, 1_000)
    # B's escrow (A's revenue redirected while B was held) now goes on to C: one hop from B.
    w.vault.release(b, ETH, sender=stranger)
    assert w.vault.accrued(c, ETH) == 1_000
    books(w, token)


def test_the_escrow_of_a_dismissed_dispute_is_not_taken_by_the_next_one(
    w, token, deployer, publisher, alice, carol, stranger
):
    """Revenue held during a dismissed dispute is the asset's, released or not: a second
    dispute opened before anyone released it neither blocks it nor redirects it (§8: the
    arbiter redirects revenue from the open on, never earlier revenue)."""
    parent = w.register(publisher)
    asset = w.register(publisher, {alice.address: 1}, parents=[(parent, 2_000)])
    other = w.register(publisher, {alice.address: 1})
    theirs = w.register(carol)
    first = [w.open_subjective(a, stranger) for a in (asset, other)]
    w.pay(asset, 1_000, deployer)
    w.pay(asset, 2_000, deployer, token)
    w.pay(other, 700, deployer, token)
    for dispute_id in first:
        w.decide(dispute_id, False, stranger)  # dismissed; nobody releases
    # At once, before any release: a second claim on each, for carol's asset.
    second = [w.open_subjective(a, carol, theirs) for a in (asset, other)]
    assert w.vault.escrowed(asset, ETH) == 1_000
    books(w, token)

    # The first dispute's escrow is released into the asset's own pool while the second runs.
    receipt = w.vault.release(asset, ETH, sender=alice)
    assert logs(receipt, w.vault, "Released") == [
        {"assetId": asset, "currency": ETH, "amount": 1_000,
         "toContributors": 800, "toUpstream": 200}
    ]  # fmt: skip
    with reverts(w.vault.RoyaltyVaultStillHeld, assetId=asset):
        w.vault.release(asset, ETH, sender=alice)  # nothing of the second's to release yet
    w.pay(asset, 300, deployer)  # the second dispute's own
    # Or by the second dispute's first credit, which then holds only its own.
    receipt = w.pay(other, 100, deployer, token)
    assert logs(receipt, w.vault, "Released") == [
        {"assetId": other, "currency": lo(token), "amount": 700,
         "toContributors": 700, "toUpstream": 0}
    ]  # fmt: skip
    assert logs(receipt, w.vault, "Escrowed") == [
        {"assetId": other, "currency": lo(token), "amount": 100}
    ]
    assert w.vault.escrowed(other, token) == 100
    books(w, token)

    for dispute_id in second:
        w.decide(dispute_id, True, stranger)  # upheld: only the second disputes' revenue moves
    # Released after the takedown, the first dispute's escrow is still the asset's...
    receipt = w.vault.release(asset, token, sender=stranger)
    assert logs(receipt, w.vault, "Released") == [
        {"assetId": asset, "currency": lo(token), "amount": 2_000,
         "toContributors": 1_600, "toUpstream": 400}
    ]  # fmt: skip
    assert logs(receipt, w.vault, "Redirected") == []
    # ... and the second's goes to the beneficiary.
    w.vault.release(asset, ETH, sender=stranger)
    w.vault.release(other, token, sender=stranger)
    assert (w.vault.accrued(theirs, ETH), w.vault.accrued(theirs, token)) == (300, 100)
    assert w.claim(asset, alice) == 800
    assert w.claim(asset, alice, token.address) == 1_600
    assert w.claim(other, alice, token.address) == 700
    books(w, token)
