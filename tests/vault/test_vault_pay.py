"""pay: the O(1) split, exact rounding, currencies, adversarial tokens and every pay error."""

import ape
import pytest
from vault_helpers import ETH, balance_of, books_balanced, error_data, pay, reverts


@pytest.fixture
def lineage(register_asset, publisher, alice, bob):
    """parent (no parents) <- child (25% upstream)."""
    parent, _ = register_asset(publisher, {alice.address: 1})
    child, _ = register_asset(publisher, {alice.address: 3, bob.address: 1}, [(parent, 2500)])
    return parent, child


def test_eth_payment_splits_into_accrued_and_pending_upstream(vault, lineage, payer):
    parent, child = lineage
    before = balance_of(ETH, vault)
    receipt = pay(vault, child, ETH, 1000, payer)
    assert receipt.return_value == 1000
    paid = receipt.events.filter(vault.Paid)[0]
    assert (paid.assetId, paid.currency, paid.payer) == (child, ETH, payer.address)
    assert (paid.amount, paid.toContributors, paid.toUpstream, paid.fee) == (1000, 750, 250, 0)
    assert vault.accrued(child, ETH) == 750
    assert vault.pendingUpstream(child, ETH) == 250
    assert vault.accrued(parent, ETH) == 0  # lazy: nothing walks the lineage on pay
    assert balance_of(ETH, vault) - before == 1000
    assert vault.held(ETH) == 1000 and books_balanced(vault, ETH)


def test_asset_without_parents_accrues_everything(vault, lineage, payer):
    parent, _ = lineage
    pay(vault, parent, ETH, 999, payer)
    assert (vault.accrued(parent, ETH), vault.pendingUpstream(parent, ETH)) == (999, 0)


@pytest.mark.parametrize(
    "upstream_bps, amount, to_contributors, to_upstream",
    [
        (3333, 7, 5, 2),  # 7 × 0.3333 = 2.33: the upstream part rounds down
        (3333, 1, 1, 0),  # one wei cannot be split: it stays with the contributors
        (1, 9999, 9999, 0),
        (1, 10000, 9999, 1),
        (10000, 12345, 0, 12345),  # a wrapper asset passes everything upstream
    ],
)
def test_split_rounds_the_upstream_share_down_and_loses_nothing(
    vault,
    register_asset,
    publisher,
    alice,
    payer,
    upstream_bps,
    amount,
    to_contributors,
    to_upstream,
):
    parent, _ = register_asset(publisher, {alice.address: 1})
    child, _ = register_asset(publisher, {alice.address: 1}, [(parent, upstream_bps)])
    paid = pay(vault, child, ETH, amount, payer).events.filter(vault.Paid)[0]
    assert (paid.toContributors, paid.toUpstream) == (to_contributors, to_upstream)
    assert vault.accrued(child, ETH) + vault.pendingUpstream(child, ETH) == amount


def test_payments_accumulate_per_currency(vault, lineage, payer, funded_token):
    _, child = lineage
    pay(vault, child, ETH, 400, payer)
    pay(vault, child, ETH, 600, payer)
    pay(vault, child, funded_token, 2000, payer)
    assert (vault.accrued(child, ETH), vault.pendingUpstream(child, ETH)) == (750, 250)
    assert vault.accrued(child, funded_token) == 1500
    assert vault.pendingUpstream(child, funded_token) == 500
    assert books_balanced(vault, ETH) and books_balanced(vault, funded_token)


def test_erc20_payment_pulls_exactly_the_amount(vault, lineage, payer, funded_token):
    _, child = lineage
    before = funded_token.balanceOf(payer)
    receipt = pay(vault, child, funded_token, 10**18, payer)
    assert receipt.return_value == 10**18
    assert before - funded_token.balanceOf(payer) == 10**18
    assert vault.held(funded_token) == funded_token.balanceOf(vault) == 10**18


def test_fee_on_transfer_token_credits_what_arrived(vault, lineage, payer, funded_fot):
    _, child = lineage
    receipt = pay(vault, child, funded_fot, 10_000, payer)
    assert receipt.return_value == 9_900  # 1% burnt on the way in
    paid = receipt.events.filter(vault.Paid)[0]
    assert (paid.amount, paid.toContributors, paid.toUpstream) == (9_900, 7_425, 2_475)
    assert funded_fot.balanceOf(vault) == vault.held(funded_fot) == 9_900


def test_token_that_delivers_nothing_is_refused(vault, lineage, project, deployer, payer):
    _, child = lineage
    burner = deployer.deploy(project.FeeOnTransferToken, 10_000)  # burns 100%
    burner.mint(payer, 1000, sender=payer)
    burner.approve(vault, 1000, sender=payer)
    with reverts(vault.RoyaltyVaultNothingArrived, currency=burner.address, requested=1000):
        pay(vault, child, burner, 1000, payer)
    assert vault.held(burner) == 0 and burner.balanceOf(payer) == 1000


def test_false_returning_token_failure_reverts_and_credits_nothing(
    vault, lineage, payer, false_token
):
    _, child = lineage
    false_token.mint(payer, 1000, sender=payer)  # but no allowance: transferFrom returns false
    with reverts(vault.SafeERC20FailedOperation, token=false_token.address):
        pay(vault, child, false_token, 1000, payer)
    assert vault.held(false_token) == 0 and vault.accrued(child, false_token) == 0
    assert false_token.balanceOf(payer) == 1000
    false_token.approve(vault, 1000, sender=payer)  # with the allowance it returns true
    pay(vault, child, false_token, 1000, payer)
    assert vault.accrued(child, false_token) == 750 and books_balanced(vault, false_token)


def test_usdt_shaped_token_pays_and_claims(vault, lineage, payer, usdt_token, alice):
    parent, child = lineage
    usdt_token.mint(payer, 1000, sender=payer)
    usdt_token.approve(vault, 1000, sender=payer)
    pay(vault, parent, usdt_token, 600, payer)  # returns nothing: SafeERC20 accepts it
    with ape.reverts():  # a failing transfer reverts without data: the payment reverts
        pay(vault, child, usdt_token, 401, payer)
    assert vault.accrued(child, usdt_token) == 0 and vault.held(usdt_token) == 600
    vault.claim(parent, usdt_token, alice, 1, [], sender=payer)  # a one-leaf tree: no proof
    assert usdt_token.balanceOf(alice) == 600 and vault.held(usdt_token) == 0


def test_a_currency_without_code_is_refused(vault, lineage, payer, stranger):
    _, child = lineage
    with ape.reverts():
        vault.pay(child, stranger.address, 1000, sender=payer)
    assert vault.held(stranger.address) == 0 and vault.accrued(child, stranger.address) == 0


def test_zero_amount_is_refused(vault, lineage, payer, funded_token):
    _, child = lineage
    with reverts(vault.RoyaltyVaultZeroAmount):
        pay(vault, child, ETH, 0, payer)
    with reverts(vault.RoyaltyVaultZeroAmount):
        pay(vault, child, funded_token, 0, payer)


def test_eth_value_must_match_the_amount(vault, lineage, payer, funded_token):
    _, child = lineage
    with reverts(vault.RoyaltyVaultWrongValue, sent=999, expected=1000):
        vault.pay(child, ETH, 1000, value=999, sender=payer)
    with reverts(vault.RoyaltyVaultWrongValue, sent=1001, expected=1000):
        vault.pay(child, ETH, 1000, value=1001, sender=payer)
    with reverts(vault.RoyaltyVaultWrongValue, sent=5, expected=0):  # ETH with a token payment
        vault.pay(child, funded_token, 1000, value=5, sender=payer)
    assert vault.held(ETH) == 0 and vault.held(funded_token) == 0


def test_unknown_asset_bubbles_the_registry_error(vault, registry, payer, funded_token):
    for asset_id in (0, 999):
        with reverts(registry.AssetRegistryUnknownAsset, assetId=asset_id):
            pay(vault, asset_id, ETH, 1, payer)
        with reverts(registry.AssetRegistryUnknownAsset, assetId=asset_id):
            pay(vault, asset_id, funded_token, 1, payer)


def test_amounts_beyond_the_packed_pool_are_refused(
    vault, register_asset, publisher, alice, payer, funded_token
):
    """accrued is uint128 and pending uint112: reachable only with a token of huge supply."""
    solo, _ = register_asset(publisher, {alice.address: 1})
    wrapper, _ = register_asset(publisher, {alice.address: 1}, [(solo, 10_000)])
    funded_token.mint(payer, 2**130, sender=payer)
    pay(vault, solo, funded_token, 2**128 - 1, payer)  # exactly full
    with reverts(vault.RoyaltyVaultAmountTooLarge, amount=1):
        pay(vault, solo, funded_token, 1, payer)
    pay(vault, wrapper, funded_token, 2**112 - 1, payer)
    with reverts(vault.RoyaltyVaultAmountTooLarge, amount=1):
        pay(vault, wrapper, funded_token, 1, payer)
    assert vault.held(funded_token) == 2**128 - 1 + 2**112 - 1
    assert books_balanced(vault, funded_token)


def test_plain_eth_transfer_to_the_vault_reverts(vault, stranger):
    before = balance_of(ETH, vault)
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        stranger.transfer(vault, 1)
    assert not isinstance(info.value, ape.exceptions.CustomError)  # no receive(): bare revert
    assert balance_of(ETH, vault) == before


def test_fee_vault_takes_its_fee_first_then_splits(fee_vault, lineage, payer, treasury):
    _, child = lineage
    assert fee_vault.FEE_BPS() == 250
    paid = pay(fee_vault, child, ETH, 10_000, payer).events.filter(fee_vault.Paid)[0]
    assert (paid.amount, paid.fee, paid.toContributors, paid.toUpstream) == (
        10_000,
        250,
        7313,
        2437,
    )
    assert fee_vault.fees(ETH) == 250 and fee_vault.held(ETH) == 10_000
    pay(fee_vault, child, ETH, 39, payer)  # 39 × 2.5% < 1: no fee
    pay(fee_vault, child, ETH, 40, payer)  # exactly 1
    assert fee_vault.fees(ETH) == 251
    before = treasury.balance
    receipt = fee_vault.withdrawFees(ETH, sender=payer)  # anyone may push fees to the treasury
    assert receipt.return_value == 251 and treasury.balance - before == 251
    event = receipt.events.filter(fee_vault.FeesWithdrawn)[0]
    assert (event.currency, event.to, event.amount) == (ETH, treasury.address, 251)
    assert fee_vault.fees(ETH) == 0 and books_balanced(fee_vault, ETH)
    assert fee_vault.held(ETH) == fee_vault.accrued(child, ETH) + fee_vault.pendingUpstream(
        child, ETH
    )
    with reverts(fee_vault.RoyaltyVaultNoFees, currency=ETH):
        fee_vault.withdrawFees(ETH, sender=payer)


def test_fee_vault_fee_in_tokens(fee_vault, lineage, payer, funded_token, treasury):
    _, child = lineage
    pay(fee_vault, child, funded_token, 1000, payer)
    assert fee_vault.fees(funded_token) == 25
    fee_vault.withdrawFees(funded_token, sender=payer)
    assert funded_token.balanceOf(treasury) == 25 and books_balanced(fee_vault, funded_token)


def test_no_fees_on_the_fee_free_vault(vault, lineage, payer):
    _, child = lineage
    pay(vault, child, ETH, 1000, payer)
    assert vault.fees(ETH) == 0
    with reverts(vault.RoyaltyVaultNoFees, currency=ETH):
        vault.withdrawFees(ETH, sender=payer)


def test_constructor_caps_the_fee_and_needs_a_treasury(project, deployer, registry, treasury):
    vault_type = project.RoyaltyVault
    assert deployer.deploy(vault_type, registry, treasury, 500, deployer).FEE_BPS() == 500
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        deployer.deploy(vault_type, registry, treasury, 501, deployer)
    assert str(info.value) == error_data("RoyaltyVaultFeeTooHigh(uint16,uint16)", 501, 500)
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        deployer.deploy(vault_type, registry, ETH, 0, deployer)
    expected = error_data("RoyaltyVaultInvalidTreasury(address)", ETH)
    assert str(info.value) == expected


def test_constants_and_wiring(vault, registry, treasury):
    assert vault.REGISTRY() == registry.address and vault.TREASURY() == treasury.address
    assert (vault.FEE_BPS(), vault.MAX_FEE_BPS(), vault.MAX_BATCH()) == (0, 500, 64)
