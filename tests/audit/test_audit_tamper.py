"""The audit catches tampered vaults and wrong trees, and tells warnings from failures."""

import pytest

from seedbed.core.constants import ETH


def failed_checks(result):
    return {f.check for f in result.findings.failures}


def pay_and_claim(vault, token, asset, people, payer, claimants, caller):
    token.mint(payer, 10**20, sender=payer)
    token.approve(vault, 10**20, sender=payer)
    vault.pay(asset, ETH, 10**18, value=10**18, sender=payer)
    vault.pay(asset, token, 3 * 10**18, sender=payer)
    for who in claimants:
        weight, proof = people.proof(who.address)
        for currency in (ETH, token):
            vault.claim(asset, currency, who, weight, proof, sender=caller)


@pytest.fixture
def asset(register_asset, publisher, alice, bob):
    return register_asset(publisher, {alice.address: 1, bob.address: 2})


def test_skimming_vault_is_caught_per_claim(
    audit, project, registry, treasury, deployer, token, asset, alice, bob, stranger
):
    skimmer = deployer.deploy(project.SkimmingVault, registry, treasury)
    asset_id, people = asset
    pay_and_claim(skimmer, token, asset_id, people, deployer, [alice, bob], stranger)

    result = audit(vault=skimmer.address, trees={asset_id: people.tree})
    assert not result.ok
    skims = [f for f in result.findings.failures if f.check == "vault payouts match transfers"]
    # Two claimants x two currencies: each claim sent one wei less than its Claimed event.
    assert len(skims) == 4
    assert {(f.account, f.currency) for f in skims} == {
        (who.address.lower(), cur) for who in (alice, bob) for cur in (ETH, token.address.lower())
    }
    assert all(f.expected - f.found == 1 and f.asset == asset_id and f.tx for f in skims)
    # The books alone look fine: only the transfers give the skim away.
    assert failed_checks(result) == {"vault payouts match transfers"}
    html = result.paths["html"].read_text()
    assert 'id="verdict">FAILED<' in html and html.count('<tr class="fail">') == 4 + 1


def test_mis_splitting_vault_is_caught(
    audit, project, registry, treasury, deployer, token, asset, alice, stranger
):
    bad = deployer.deploy(project.MisSplittingVault, registry, treasury)
    asset_id, people = asset
    token.mint(deployer, 10**20, sender=deployer)
    token.approve(bad, 10**20, sender=deployer)
    bad.pay(asset_id, ETH, 10**18, value=10**18, sender=deployer)
    bad.pay(asset_id, token, 10**18, sender=deployer)
    bad.pay(asset_id, token, 5, sender=deployer)

    result = audit(vault=bad.address)
    assert {"payment split", "conservation"} <= failed_checks(result)
    splits = [f for f in result.findings.failures if f.check == "payment split"]
    assert len(splits) == 3
    assert all(sum(f.found) == sum(f.expected) + 1 for f in splits)
    conservation = {f.currency: f for f in result.findings.failures if f.check == "conservation"}
    assert (
        conservation[token.address.lower()].found - conservation[token.address.lower()].expected
        == 2
    )
    assert conservation[ETH].found - conservation[ETH].expected == 1


def test_honest_vault_with_fees_and_a_fee_on_transfer_token_passes(
    audit, project, registry, treasury, deployer, fot_token, asset, alice, bob, stranger
):
    vault = deployer.deploy(project.RoyaltyVault, registry, treasury, 250)
    asset_id, people = asset
    pay_and_claim(vault, fot_token, asset_id, people, deployer, [alice], stranger)
    vault.withdrawFees(ETH, sender=stranger)
    result = audit(vault=vault.address, trees={asset_id: people.tree})
    assert result.ok, [f.message for f in result.findings.failures]
    books = result.ledger.books[ETH]
    assert books.fees_earned == books.fees_withdrawn == 10**18 * 250 // 10_000
    assert result.ledger.books[fot_token.address.lower()].fees == vault.fees(fot_token)


def test_tokens_sent_directly_are_a_warning_not_a_failure(
    audit, suite, token, deployer, economy, vault
):
    token.transfer(vault, 777, sender=deployer)
    result = audit()
    assert result.ok
    (excess,) = [f for f in result.findings.warnings if f.check == "vault excess"]
    assert excess.found == 777 and excess.currency == token.address.lower()
    vault.sweepExcess(token, sender=deployer)
    assert not audit().findings.warnings


def test_wrong_tree_fails_naming_the_asset(audit, economy):
    swapped = {economy.dataset: economy.trees[economy.model]}
    result = audit(trees=swapped)
    (wrong,) = result.findings.failures
    assert wrong.check == "tree matches registration" and wrong.asset == economy.dataset
    assert wrong.expected == ["0x" + economy.d_people.root.hex(), economy.d_people.total]
    assert wrong.found == ["0x" + economy.m_people.root.hex(), economy.m_people.total]


def test_unknown_asset_for_a_tree_is_an_input_error(audit, economy):
    from seedbed.core.errors import InputError

    with pytest.raises(InputError, match="Asset 99 is not registered"):
        audit(trees={99: economy.trees[economy.model]})
