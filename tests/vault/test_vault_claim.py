"""claim and claimBatch: exact entitlements, proofs, anyone-may-trigger, and adversarial
recipients (reverting, gas-griefing, re-entrant)."""

import os

import ape
import pytest
from testkit.registering import ZERO_SALT
from vault_helpers import ETH, balance_of, books_balanced, pay, reverts

from seedbed.core.constants import DATASET
from seedbed.core.sumtree import SumNode, sum_leaf, sum_node


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
    root, so nobody can shrink the divisor (the proof's own sum) to inflate a share."""
    asset, people = pool
    pay(vault, asset, ETH, 1000, payer)
    weight, proof = people.proof(alice)
    (sibling_hash, sibling_sum), *rest = proof
    for lie in (sibling_sum - 1, sibling_sum + 1, 0):
        forged: list[SumNode] = [(sibling_hash, lie), *rest]
        with reverts(vault.RoyaltyVaultInvalidProof):
            vault.claim(asset, ETH, alice, weight, forged, sender=payer)
    assert vault.held(ETH) == 1000


# -- Merkle-sum forgeries: the divisor is the proof's own sum, so every lie must break the root --


def addr(account) -> bytes:
    return bytes.fromhex(str(getattr(account, "address", account))[2:])


def register_top(registry, publisher, top):
    receipt = registry.register(
        DATASET, os.urandom(32), ZERO_SALT, top, "ipfs://x", b"\x11" * 32, [], sender=publisher
    )
    return receipt.events.filter(registry.AssetRegistered)[0].assetId


@pytest.fixture
def four(register_asset, publisher, alice, bob, stranger, gateway):
    """Four contributors, so the tree has an inner level: {alice 3, bob 1, stranger 2,
    gateway 5}."""
    weights = {alice.address: 3, bob.address: 1, stranger.address: 2, gateway.address: 5}
    return register_asset(publisher, weights)


def test_every_lying_sibling_sum_at_every_level_is_refused(vault, four, alice, gateway, payer):
    asset, people = four
    pay(vault, asset, ETH, 11_000, payer)
    for account in (alice, gateway):
        weight, proof = people.proof(account)
        assert len(proof) == 2
        for level, (h, total) in enumerate(proof):
            for lie in (total - 1, total + 1, total * 2):
                forged = list(proof)
                forged[level] = (h, lie)
                with reverts(vault.RoyaltyVaultInvalidProof):
                    vault.claim(asset, ETH, account, weight, forged, sender=payer)
    assert vault.held(ETH) == 11_000


def test_an_inner_node_cannot_pass_for_a_leaf(vault, four, alice, payer):
    """Leaves hash 0x00 ‖ account ‖ uint96 and nodes 0x01 ‖ two (hash, sum) pairs: a claim
    from an inner node upward (its hash's last 20 bytes as the account, its sum as the
    weight, or the leaf's own account with the subtree's sum) reaches no root."""
    asset, people = four
    pay(vault, asset, ETH, 11_000, payer)
    weight, proof = people.proof(alice)
    sibling, above = proof
    node = sum_node(sum_leaf(addr(alice), weight), sibling)
    as_account = "0x" + node[0][-20:].hex()
    for account, w in ((as_account, node[1]), (alice.address, node[1])):
        with reverts(vault.RoyaltyVaultInvalidProof):
            vault.claim(asset, ETH, account, w, [above], sender=payer)
    assert vault.held(ETH) == 11_000


def test_an_over_long_proof_is_refused(vault, registry, four, publisher, alice, payer):
    asset, people = four
    pay(vault, asset, ETH, 11_000, payer)
    weight, proof = people.proof(alice)
    root = (people.root, people.total)
    for extra in ([root], [proof[0]], [(bytes(32), 0)], proof):
        with reverts(vault.RoyaltyVaultInvalidProof):
            vault.claim(asset, ETH, alice, weight, proof + extra, sender=payer)
    # A one-leaf tree's root is the leaf itself: any proof at all is too long.
    asset_solo = register_top(registry, publisher, [(bytes(12) + addr(alice), 7)])
    pay(vault, asset_solo, ETH, 70, payer)
    with reverts(vault.RoyaltyVaultInvalidProof):
        vault.claim(asset_solo, ETH, alice, 7, [(bytes(32), 0)], sender=payer)
    assert vault.claim(asset_solo, ETH, alice, 7, [], sender=payer).return_value == 70


def test_a_sum_that_wraps_reverts_and_moves_nothing(vault, four, alice, payer):
    """Sums are uint256 with checked arithmetic: a sibling sum that would wrap the total
    around 2^256 (to make the divisor tiny) reverts; one that stays below reaches no root."""
    asset, people = four
    pay(vault, asset, ETH, 11_000, payer)
    weight, proof = people.proof(alice)
    (h, total), above = proof
    for lie in (2**256 - weight, 2**256 - 1):
        with pytest.raises(ape.exceptions.VirtualMachineError, match="Panic error 0x11"):
            vault.claim(asset, ETH, alice, weight, [(h, lie), above], sender=payer)
    for lie in (2**96 - weight, 2**255):
        with reverts(vault.RoyaltyVaultInvalidProof):
            vault.claim(asset, ETH, alice, weight, [(h, lie), above], sender=payer)
    assert vault.held(ETH) == 11_000 and vault.claimed(asset, ETH, alice) == 0


def test_a_duplicated_subtree_pays_each_account_once(vault, registry, publisher, alice, bob, payer):
    """A hand-made tree may hold the same subtree twice (top = [X, X]): every proof is valid
    through either copy and the divisor is both copies' sum, but `claimed` is per account, so
    each contributor is paid its share once and the other copy's half is never claimable."""
    x = sum_node(sum_leaf(addr(alice), 3), sum_leaf(addr(bob), 1))
    asset = register_top(registry, publisher, [x, x])
    assert registry.contributors(asset)[1] == 8
    pay(vault, asset, ETH, 800, payer)
    bob_leaf = sum_leaf(addr(bob), 1)
    assert vault.claim(asset, ETH, alice, 3, [bob_leaf, x], sender=payer).return_value == 300
    with reverts(vault.RoyaltyVaultNothingToClaim, assetId=asset, currency=ETH, account=alice):
        vault.claim(asset, ETH, alice, 3, [bob_leaf, x], sender=payer)
    alice_leaf = sum_leaf(addr(alice), 3)
    assert vault.claim(asset, ETH, bob, 1, [alice_leaf, x], sender=payer).return_value == 100
    assert vault.held(ETH) == 400  # the second copy's share: the audit reports such trees


def test_a_top_that_lies_about_a_child_locks_that_child_only(
    vault, registry, publisher, alice, bob, payer
):
    """The registry cannot see below `top`: a child whose stated sum is not its leaves' makes
    its own leaves unclaimable (their honest proofs name another root), while the other side
    is paid by the registered total, never above its weight's share."""
    a, b = sum_leaf(addr(alice), 3), sum_leaf(addr(bob), 1)
    asset = register_top(registry, publisher, [(a[0], 4), b])  # alice's leaf claims 4
    assert registry.contributors(asset)[1] == 5
    pay(vault, asset, ETH, 1000, payer)
    with reverts(vault.RoyaltyVaultInvalidProof, assetId=asset, account=alice, weight=3):
        vault.claim(asset, ETH, alice, 3, [b], sender=payer)
    with reverts(vault.RoyaltyVaultInvalidProof, assetId=asset, account=alice, weight=4):
        vault.claim(asset, ETH, alice, 4, [b], sender=payer)
    assert vault.claim(asset, ETH, bob, 1, [(a[0], 4)], sender=payer).return_value == 200
    assert vault.held(ETH) == 800


def test_unknown_asset_claim_is_an_invalid_proof(vault, alice, payer):
    """The vault reads only the registry's contributors root, which is zero for an id never
    registered: no proof reaches it."""
    with reverts(vault.RoyaltyVaultInvalidProof, assetId=999, account=alice, weight=1):
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
