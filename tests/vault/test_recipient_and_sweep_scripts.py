"""`ape run claim --to` and `ape run sweep` as a user runs them: what moves, and every refusal
as one `error:` line with nothing sent."""

import json

import pytest
from test_vault_scripts import refused, succeeded
from vault_helpers import ETH

MILLI = 10**15


@pytest.fixture
def paid(register_asset, publisher, alice, bob, vault, tmp_path):
    asset, people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    vault.pay(asset, ETH, 4 * MILLI, value=4 * MILLI, sender=publisher)
    tree = tmp_path / "people.sbtree"
    people.tree.save(tree)
    return asset, tree


def test_claim_to_sends_the_contributors_own_share_elsewhere(
    chain, run_script, vault, paid, alice, accounts
):
    asset, tree = paid
    recipient = accounts[7]
    before = recipient.balance
    out = succeeded(run_script("claim", "--tree", tree, "--to", recipient.address, account=2))
    assert f"claimed 0.003 ETH from asset {asset} for {alice.address} to {recipient.address}" in out
    assert recipient.balance - before == 3 * MILLI
    assert vault.claimed(asset, ETH, alice) == 3 * MILLI


def test_claim_to_refusals_send_nothing(chain, run_script, paid, alice, bob):
    _, tree = paid
    # A third party cannot choose where a contributor's money goes.
    refused(chain, run_script, "cannot be combined", "claim", "--tree", tree, "--for", bob.address,
            "--to", alice.address, account=2)  # fmt: skip
    refused(chain, run_script, "zero address", "claim", "--tree", tree, "--to", "0x" + "0" * 40,
            account=2)  # fmt: skip
    refused(chain, run_script, "not an address", "claim", "--tree", tree, "--to", "bob", account=2)


def test_sweep_returns_only_mistaken_transfers(
    chain, run_script, suite, token, publisher, treasury, paid
):
    token.mint(publisher, 10**18, sender=publisher)
    token.transfer(suite.license, 7, sender=publisher)
    token.transfer(suite.registry, 5, sender=publisher)
    token.transfer(suite.meter, 3, sender=publisher)
    held = suite.vault.held(ETH)
    before = token.balanceOf(treasury)
    out = succeeded(run_script("sweep", "--token", token.address, "--dry-run", "--json"))
    held_beyond = {i["contract"]: i["balance"] - i["owed"] for i in json.loads(out)}
    assert held_beyond == {"license": 7, "registry": 5, "meter": 3, "vault": 0}
    assert token.balanceOf(treasury) == before  # a dry run sends nothing
    out = succeeded(run_script("sweep", "--token", token.address))
    assert token.balanceOf(treasury) - before == 15
    for contract in (suite.license, suite.registry, suite.meter):
        assert token.balanceOf(contract) == 0
    assert suite.vault.held(ETH) == held  # what is owed is never touched
    out = succeeded(run_script("sweep", "--token", token.address))
    assert "nothing to sweep" in out
