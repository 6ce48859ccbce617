"""The suite deploys through the proxy and a dataset registers, pays and claims end to end."""

from seedbed.core.constants import ETH


def test_register_pay_claim_roundtrip(suite, register_asset, publisher, alice, bob, stranger):
    asset_id, people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    assert suite.registry.ownerOf(asset_id) == publisher.address
    suite.vault.pay(asset_id, ETH, 1000, value=1000, sender=stranger)
    weight, proof = people.proof(alice)
    before = alice.balance
    suite.vault.claim(asset_id, ETH, alice, weight, proof, sender=stranger)
    assert alice.balance - before == 750
    assert suite.vault.claimed(asset_id, ETH, alice) == 750
