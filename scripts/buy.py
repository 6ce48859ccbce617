"""`ape run buy <offer> [--max-price X] [--to ADDRESS] [--approve]`: buy a license."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ADDRESS, OFFER_ID


@command()
@signer_option()
@click.argument("offer_id", metavar="OFFER", type=OFFER_ID)
@click.option("--max-price", help="Refuse to pay more than this (default: the price shown).")
@click.option("--to", "to", type=ADDRESS, help="Who holds the license (default: you).")
@click.option(
    "--approve",
    is_flag=True,
    help="For an ERC-20 price: if the allowance is short, first approve exactly the price.",
)
@json_option()
def cli(account, offer_id, max_price, to, approve, as_json):
    """Buy a license from OFFER: the price goes to the asset's contributors through the vault."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.licenses import buy_license, offer_state
    from seedbed.workflows.licensing import describe_expiry, describe_terms
    from seedbed.workflows.royalties import currency_of

    out = Out(as_json)
    suite = Suite.load(project, chain)
    terms = offer_state(suite, offer_id).terms
    currency = currency_of(chain, terms.currency)
    out.say(f"offer {offer_id}: {currency.format(terms.price)}")
    for line in describe_terms(terms, currency):
        out.say(f"  {line}")
    bought = buy_license(
        suite, chain, account, offer_id, to=to, max_price=max_price, approve=approve, say=out.say
    )
    out.say(f"license {bought.license_id} bought for {currency.format(bought.price)}")
    out.say(f"  holder:  {bought.holder}")
    out.say(f"  expiry:  {describe_expiry(bought.expires_at, bought.bought_at)}")
    out.result(bought)
