"""Money outside pay: plain ETH is refused, direct token transfers and forced ETH are excess,
and excess only ever goes to the treasury, never into anyone's revenue."""

from vault_helpers import ETH, pay, reverts


def test_direct_token_transfer_is_excess_swept_to_the_treasury(
    vault, register_asset, publisher, alice, payer, funded_token, stranger, treasury
):
    asset, _ = register_asset(publisher, {alice.address: 1})
    pay(vault, asset, funded_token, 1000, payer)
    funded_token.transfer(vault, 555, sender=payer)
    assert vault.held(funded_token) == 1000 and vault.excess(funded_token) == 555
    assert vault.accrued(asset, funded_token) == 1000  # nobody's revenue
    receipt = vault.sweepExcess(funded_token, sender=stranger)  # anyone; to the treasury only
    assert receipt.return_value == 555
    event = receipt.events.filter(vault.ExcessSwept)[0]
    assert (event.currency, event.to, event.amount) == (
        funded_token.address, treasury.address, 555
    )  # fmt: skip
    assert funded_token.balanceOf(treasury) == 555 and funded_token.balanceOf(stranger) == 0
    assert vault.excess(funded_token) == 0 and funded_token.balanceOf(vault) == 1000
    with reverts(
        vault.RoyaltyVaultNoExcess, currency=funded_token.address, balance=1000, held=1000
    ):
        vault.sweepExcess(funded_token, sender=stranger)
    vault.claim(asset, funded_token, alice, 1, [], sender=payer)
    assert funded_token.balanceOf(alice) == 1000  # the contributors' money was untouched


def test_forced_eth_is_excess(chain, vault, register_asset, publisher, alice, payer, treasury):
    asset, _ = register_asset(publisher, {alice.address: 1})
    pay(vault, asset, ETH, 700, payer)
    assert vault.excess(ETH) == 0
    with reverts(vault.RoyaltyVaultNoExcess, currency=ETH, balance=700, held=700):
        vault.sweepExcess(ETH, sender=payer)
    chain.provider.set_balance(vault.address, 700 + 42)  # as a selfdestruct would force it
    assert vault.excess(ETH) == 42
    before = treasury.balance
    vault.sweepExcess(ETH, sender=payer)
    assert treasury.balance - before == 42 and vault.held(ETH) == 700
    assert vault.claimable(asset, ETH, alice, 1, []) == 700


def test_nothing_to_sweep_on_an_empty_currency(vault, funded_token, payer):
    with reverts(vault.RoyaltyVaultNoExcess, currency=funded_token.address, balance=0, held=0):
        vault.sweepExcess(funded_token, sender=payer)
