"""`ape run buy <offer> [--max-price X] [--to ADDRESS] [--approve]`: buy a license."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("offer", metavar="OFFER")
@click.option("--max-price", help="Refuse to pay more than this (default: the price shown).")
@click.option("--to", "to", metavar="ADDRESS", help="Who holds the license (default: you).")
@click.option(
    "--approve",
    is_flag=True,
    help="For an ERC-20 price: if the allowance is short, first approve exactly the price.",
)
@one_line_errors
def cli(account, offer, max_price, to, approve):
    """Buy a license from OFFER: the price goes to the asset's contributors through the vault."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.addresses import parse_address, to_checksum_address
    from seedbed.core.errors import ChainError
    from seedbed.workflows.licensing import (
        OfferState,
        check_buyable,
        describe_expiry,
        describe_terms,
        require_offer_id,
    )
    from seedbed.workflows.registration import parse_id
    from seedbed.workflows.royalties import currency_of, ensure_allowance, simulate

    suite = Suite.load(project, chain)
    lt = suite.license
    offer_id = parse_id(offer, "an offer id")
    require_offer_id(offer_id, int(lt.offerCount()))
    state = OfferState.from_chain(offer_id, lt.offer(offer_id))
    terms = state.terms
    currency = currency_of(chain, terms.currency)
    holder = to_checksum_address(parse_address(to)) if to else account.address
    ceiling = currency.parse(max_price) if max_price is not None else terms.price
    click.echo(f"offer {offer_id}: {currency.format(terms.price)}")
    for line in describe_terms(terms, currency):
        click.echo(f"  {line}")
    check_buyable(state, bool(suite.registry.isListed(terms.asset_id)), ceiling, currency)

    price = terms.price
    if currency.is_eth:
        balance = int(account.balance)
    else:
        balance = int(currency.contract.balanceOf(account.address))
    if balance < price:
        raise ChainError(
            f"Insufficient balance: {account.address} has {currency.format(balance)}, "
            f"the license costs {currency.format(price)}."
        )
    ensure_allowance(currency, account, lt.address, "license contract", price, approve, click.echo)

    value = price if currency.is_eth else 0
    also = [suite.registry, suite.vault]
    simulate(lt, "buy", offer_id, holder, ceiling, sender=account.address, value=value, also=also)
    receipt = lt.buy(offer_id, holder, ceiling, value=value, sender=account)
    bought = receipt.events.filter(lt.LicenseBought)[0]
    now = int(chain.blocks[receipt.block_number].timestamp)
    click.echo(f"license {int(bought.licenseId)} bought for {currency.format(price)}")
    click.echo(f"  holder:  {holder}")
    click.echo(f"  expiry:  {describe_expiry(int(bought.expiresAt), now)}")
