"""claim and claimBatch: exact entitlements, proofs, anyone-may-trigger, and adversarial
recipients (reverting, gas-griefing, re-entrant)."""

import ape
import pytest
from vault_helpers import ETH, balance_of, books_balanced, pay, reverts

from seedbed.core.sumtree import SumNode


@pytest.fixture
def pool(register_asset, publisher, alice, bob):
    """An asset whose contributors are alice (3) and bob (1)."""
    return register_asset(publisher, {alice.address: 3, bob.address: 1})


def claim(vault, asset_id, currency, people, account, sender):
    weight, proof = people.proof(account)
    return vault.claim(asset_id, currency, account, weight, proof, sender=sender)


def request(asset_id, currency, people, account):
    weight, proof = people.proof(account)
    return (asset_id, currency, str(account.address if hasattr(account, "address") else account),
            weight, proof)  # fmt: skip


def test_claim_pays_the_exact_share_to_the_account(vault, pool, alice, payer, stranger):
    asset, people = pool
    pay(vault, asset, ETH, 1000, payer)
    weight, proof = people.proof(alice)
    assert vault.claimable(asset, ETH, alice, weight, proof) == 750
    before_alice, before_stranger = alice.balance, stranger.balance
    receipt = vault.claim(asset, ETH, alice, weight, proof, sender=stranger)  # anyone may call
    assert receipt.return_value == 750
    assert alice.balance - before_alice == 750
    assert stranger.balance <= before_stranger  # the caller only pays gas
    event = receipt.events.filter(vault.Claimed)[0]
    assert (event.assetId, event.currency, event.account) == (asset, ETH, alice.address)
    assert (event.amount, event.weight, event.totalClaimed) == (750, 3, 750)
    assert vault.claimed(asset, ETH, alice) == 750 and vault.held(ETH) == 250
    assert vault.claimable(asset, ETH, alice, weight, proof) == 0
    assert books_balanced(vault, ETH)


def test_claiming_twice_pays_nothing_new(vault, pool, alice, payer):
    asset, people = pool
    pay(vault, asset, ETH, 1000, payer)
    claim(vault, asset, ETH, people, alice, payer)
    with reverts(vault.RoyaltyVaultNothingToClaim, assetId=asset, currency=ETH, account=alice):
        claim(vault, asset, ETH, people, alice, payer)
    assert vault.claimed(asset, ETH, alice) == 750


def test_a_claim_covers_every_payment_since_the_last(vault, pool, alice, bob, payer):
    asset, people = pool
    pay(vault, asset, ETH, 1000, payer)
    claim(vault, asset, ETH, people, alice, payer)
    for amount in (333, 667, 2000):
        pay(vault, asset, ETH, amount, payer)
    receipt = claim(vault, asset, ETH, people, alice, payer)
    assert receipt.return_value == 2250
    assert receipt.events.filter(vault.Claimed)[0].totalClaimed == 3000
    assert claim(vault, asset, ETH, people, bob, payer).return_value == 1000  # all 4000 × 1/4


def test_rounding_dust_stays_in_the_pool_until_it_adds_up(
    vault, register_asset, publisher, alice, bob, stranger, payer
):
    asset, people = register_asset(
        publisher, {alice.address: 1, bob.address: 1, stranger.address: 1}
    )
    pay(vault, asset, ETH, 100, payer)
    for who in (alice, bob, stranger):
        assert claim(vault, asset, ETH, people, who, payer).return_value == 33
    assert vault.held(ETH) == 1  # one wei of dust: less than one per claim
    pay(vault, asset, ETH, 2, payer)  # accrued 102: 34 each
    for who in (alice, bob, stranger):
        assert claim(vault, asset, ETH, people, who, payer).return_value == 1
    assert vault.held(ETH) == 0 and books_balanced(vault, ETH)


def test_invalid_proofs_are_refused(vault, pool, register_asset, publisher, alice, bob, payer):
    asset, people = pool
    other, others = register_asset(publisher, {alice.address: 1, bob.address: 2})
    pay(vault, asset, ETH, 1000, payer)
    weight, proof = people.proof(alice)
    bob_weight, bob_proof = people.proof(bob)
    _, other_proof = others.proof(alice)
    for account, w, p in [
        (alice, weight + 1, proof),  # a larger weight
        (alice, bob_weight, bob_proof),  # someone else's leaf
        (alice, weight, other_proof),  # a proof from another asset's tree
        (alice, weight, []),  # no proof
        (bob, weight, proof),  # alice's proof for bob
    ]:
        with reverts(vault.RoyaltyVaultInvalidProof, assetId=asset, account=account, weight=w):
            vault.claim(asset, ETH, account, w, p, sender=payer)
        with pytest.raises(ape.exceptions.ContractLogicError) as info:  # the view, too
            vault.claimable(asset, ETH, account, w, p)
        assert _selector(INVALID_PROOF)[2:] in str(info.value)
    assert vault.claimed(asset, ETH, alice) == 0 and vault.held(ETH) == 1000


def test_a_proof_that_lies_about_sums_is_refused(vault, pool, alice, payer):
    """The sibling's sum is part of its hash's preimage one level up: a lower sum breaks the
    root, so nobody can shrink totalWeight to inflate a share."""
    asset, people = pool
    pay(vault, asset, ETH, 1000, payer)
    weight, proof = people.proof(alice)
    (sibling_hash, sibling_sum), *rest = proof
    forged: list[SumNode] = [(sibling_hash, sibling_sum - 1), *rest]
    with reverts(vault.RoyaltyVaultInvalidProof):
        vault.claim(asset, ETH, alice, weight, forged, sender=payer)


def test_unknown_asset_claim_bubbles_the_registry_error(vault, registry, alice, payer):
    with reverts(registry.AssetRegistryUnknownAsset, assetId=999):
        vault.claim(999, ETH, alice, 1, [], sender=payer)


def test_nothing_to_claim_before_any_payment(vault, pool, bob, payer, funded_token):
    asset, people = pool
    pay(vault, asset, ETH, 3, payer)  # bob's quarter of 3 wei rounds to zero
    with reverts(vault.RoyaltyVaultNothingToClaim, assetId=asset, currency=ETH, account=bob):
        claim(vault, asset, ETH, people, bob, payer)
    with reverts(vault.RoyaltyVaultNothingToClaim):
        claim(vault, asset, funded_token.address, people, bob, payer)


def test_token_claims_pay_in_the_token(vault, pool, alice, bob, payer, funded_token, funded_fot):
    asset, people = pool
    pay(vault, asset, funded_token, 4000, payer)
    claim(vault, asset, funded_token.address, people, bob, payer)
    assert funded_token.balanceOf(bob) == 1000 and books_balanced(vault, funded_token)
    pay(vault, asset, funded_fot, 10_000, payer)  # 9900 arrive
    receipt = claim(vault, asset, funded_fot.address, people, alice, payer)
    assert receipt.return_value == 7425  # the vault sends 7425; the token burns 1% of it
    assert funded_fot.balanceOf(alice) == 7425 - 74
    assert funded_fot.balanceOf(vault) == vault.held(funded_fot) == 9900 - 7425


def test_single_claim_to_a_refusing_recipient_reverts_whole(
    vault, register_asset, publisher, alice, reverting, payer
):
    asset, people = register_asset(publisher, {alice.address: 1, reverting.address: 1})
    pay(vault, asset, ETH, 1000, payer)
    weight, proof = people.proof(reverting.address)
    with reverts(vault.RoyaltyVaultTransferFailed, currency=ETH, to=reverting.address, amount=500):
        vault.claim(asset, ETH, reverting.address, weight, proof, sender=payer)
    assert vault.claimed(asset, ETH, reverting.address) == 0 and vault.held(ETH) == 1000


# -- batches ---------------------------------------------------------------------------------


def test_batch_claims_several_accounts_assets_and_currencies(
    vault, pool, register_asset, publisher, alice, bob, payer, funded_token
):
    asset, people = pool
    solo, solo_people = register_asset(publisher, {bob.address: 1})
    pay(vault, asset, ETH, 1000, payer)
    pay(vault, asset, funded_token, 400, payer)
    pay(vault, solo, ETH, 5, payer)
    before = bob.balance
    receipt = vault.claimBatch(
        [
            request(asset, ETH, people, alice),
            request(asset, funded_token.address, people, bob),
            request(asset, ETH, people, bob),
            request(solo, ETH, solo_people, bob),
            request(solo, ETH, solo_people, bob),  # repeated: nothing more, skipped quietly
            request(solo, funded_token.address, solo_people, bob),  # nothing there: skipped
        ],
        sender=payer,
    )
    assert receipt.return_value == [750, 100, 250, 5, 0, 0]
    assert len(receipt.events.filter(vault.Claimed)) == 4
    assert bob.balance - before == 255 and funded_token.balanceOf(bob) == 100
    assert books_balanced(vault, ETH) and books_balanced(vault, funded_token)


def test_batch_with_an_invalid_proof_reverts_whole(vault, pool, alice, bob, payer):
    asset, people = pool
    pay(vault, asset, ETH, 1000, payer)
    good = request(asset, ETH, people, alice)
    bad = (asset, ETH, bob.address, 2, people.proof(bob)[1])
    with reverts(vault.RoyaltyVaultInvalidProof, assetId=asset, account=bob, weight=2):
        vault.claimBatch([good, bad], sender=payer)
    assert vault.claimed(asset, ETH, alice) == 0


def test_batch_is_capped(vault, pool, alice, payer):
    asset, people = pool
    with reverts(vault.RoyaltyVaultBatchTooLarge, count=65, max=64):
        vault.claimBatch([request(asset, ETH, people, alice)] * 65, sender=payer)
    assert vault.claimBatch([request(asset, ETH, people, alice)] * 64, sender=payer)


def test_a_refusing_recipient_only_fails_its_own_batch_claim(
    vault, register_asset, publisher, alice, bob, reverting, payer
):
    weights = {alice.address: 1, bob.address: 1, reverting.address: 2}
    asset, people = register_asset(publisher, weights)
    pay(vault, asset, ETH, 4000, payer)
    before = (alice.balance, bob.balance)
    receipt = vault.claimBatch(
        [request(asset, ETH, people, a) for a in (alice, reverting.address, bob)], sender=payer
    )
    assert receipt.return_value == [1000, 0, 1000]
    assert (alice.balance - before[0], bob.balance - before[1]) == (1000, 1000)
    (failed,) = receipt.events.filter(vault.ClaimFailed)
    assert (failed.assetId, failed.account, failed.amount) == (asset, reverting.address, 2000)
    # Rolled back: as if never tried, and still claimable.
    assert vault.claimed(asset, ETH, reverting.address) == 0
    assert vault.held(ETH) == 2000 and books_balanced(vault, ETH)
    weight, proof = people.proof(reverting.address)
    assert vault.claimable(asset, ETH, reverting.address, weight, proof) == 2000


def test_a_gas_griefing_recipient_cannot_starve_the_batch(
    vault, register_asset, publisher, alice, bob, griefer, payer
):
    asset, people = register_asset(
        publisher, {alice.address: 1, griefer.address: 1, bob.address: 1}
    )
    pay(vault, asset, ETH, 3000, payer)
    requests = [request(asset, ETH, people, a) for a in (alice, griefer.address, bob)]
    receipt = vault.claimBatch(requests, sender=payer, gas=1_000_000)
    assert receipt.return_value == [1000, 0, 1000]
    assert [e.account for e in receipt.events.filter(vault.ClaimFailed)] == [griefer.address]
    assert receipt.gas_used < 400_000  # the griefer burnt its 100k cap, not 63/64 of the rest
    assert vault.claimed(asset, ETH, griefer.address) == 0 and books_balanced(vault, ETH)


# -- re-entrancy -------------------------------------------------------------------------------

REENTRANCY = "ReentrancyGuardReentrantCall()"
INVALID_PROOF = "RoyaltyVaultInvalidProof(uint256,address,uint96)"


@pytest.mark.parametrize("entry", ["claim", "claimBatch", "pay", "flowUpstream"])
@pytest.mark.parametrize("how", ["claim", "batch"])
def test_reentry_during_an_eth_claim_fails_and_books_stay_exact(
    vault, register_asset, publisher, alice, reentrant, payer, entry, how
):
    parent, _ = register_asset(publisher, {alice.address: 1})
    asset, people = register_asset(
        publisher, {alice.address: 1, reentrant.address: 1}, [(parent, 1000)]
    )
    pay(vault, asset, ETH, 2000, payer)  # 200 pending, 900 each
    weight, proof = people.proof(reentrant.address)
    alice_w, alice_proof = people.proof(alice)
    payloads = {
        "claim": vault.claim.encode_input(asset, ETH, reentrant.address, weight, proof),
        "claimBatch": vault.claimBatch.encode_input(
            [(asset, ETH, alice.address, alice_w, alice_proof)]
        ),
        "pay": vault.pay.encode_input(asset, ETH, 0),
        "flowUpstream": vault.flowUpstream.encode_input(asset, ETH),
    }
    reentrant.arm(vault, payloads[entry], sender=payer)
    before = reentrant.balance
    if how == "claim":
        vault.claim(asset, ETH, reentrant.address, weight, proof, sender=payer)
    else:
        vault.claimBatch([(asset, ETH, reentrant.address, weight, proof)], sender=payer)
    assert reentrant.attempted() and not reentrant.reentered()
    assert "0x" + bytes(reentrant.lastError()).hex() == _selector(REENTRANCY)
    assert reentrant.balance - before == 900
    assert vault.claimed(asset, ETH, reentrant.address) == 900
    assert vault.claimed(asset, ETH, alice) == 0 and vault.pendingUpstream(asset, ETH) == 200
    assert vault.held(ETH) == 1100 and balance_of(ETH, vault) == 1100


def _selector(signature):
    from eth_utils import keccak

    return "0x" + keccak(text=signature)[:4].hex()
