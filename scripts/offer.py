"""`ape run offer <asset> --scopes train,infer [--price 0.05] ...`: publish a license offer.

Also `ape run offer --pause ID`, `--resume ID` and `--retire ID` (final) to change an offer's
status; terms never change once published, and sold licenses keep theirs.
"""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option


@command()
@signer_option()
@click.argument("asset", metavar="ASSET", required=False)
@click.option("--scopes", help="What the license allows: access,train,infer,commercial,derive.")
@click.option("--price", default="0", show_default=True, help="Upfront price, e.g. 0.05.")
@click.option("--unit-price", default="0", show_default=True, help="Price per metered unit.")
@click.option("--duration", default="perpetual", show_default=True, help="e.g. 30d, 12h, 2w.")
@click.option("--max-units", default="0", show_default=True, help="Unit cap (0 = unlimited).")
@click.option("--supply", default="0", show_default=True, help="Licenses to sell (0 = no cap).")
@click.option("--soulbound", is_flag=True, help="Licenses cannot be transferred (ERC-5192).")
@click.option("--min-share", default="0", show_default=True, help="BPS or % derivatives owe.")
@click.option(
    "--service-share",
    default="0",
    show_default=True,
    help="BPS or % of each metered charge to the gateway operator (at most 50%).",
)
@click.option("--token", metavar="ADDR", help="Price in this ERC-20 (default: ETH).")
@click.option("--pause", "pause_id", metavar="ID", help="Pause offer ID (no sales until resumed).")
@click.option("--resume", "resume_id", metavar="ID", help="Resume paused offer ID.")
@click.option("--retire", "retire_id", metavar="ID", help="Retire offer ID for good.")
@json_option()
def cli(
    account, asset, scopes, price, unit_price, duration, max_units, supply, soulbound,
    min_share, service_share, token, pause_id, resume_id, retire_id, as_json,
):  # fmt: skip
    """Publish an offer for ASSET (you must own it or be an operator the owner approved)."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.constants import OFFER_ACTIVE, OFFER_PAUSED, OFFER_RETIRED
    from seedbed.core.errors import InputError
    from seedbed.core.units import parse_id
    from seedbed.workflows.licensing import describe_terms
    from seedbed.workflows.offers import publish_offer, set_offer_status

    out = Out(as_json)
    changes = {OFFER_PAUSED: pause_id, OFFER_ACTIVE: resume_id, OFFER_RETIRED: retire_id}
    asked = {status: text for status, text in changes.items() if text is not None}
    if len(asked) > 1 or (asked and asset is not None):
        raise InputError(
            "Give either ASSET to publish an offer, or one of --pause/--resume/--retire."
        )
    if asked:
        ((status, text),) = asked.items()
        offer_id = parse_id(text, "an offer id")
        changed = set_offer_status(Suite.load(project, chain), account, offer_id, status)
        out.say(f"offer {offer_id} {changed.word} (asset {changed.asset_id})")
        out.result(changed)
        return
    if asset is None:
        raise InputError(
            "Name the ASSET to publish an offer for (or --pause/--resume/--retire ID)."
        )
    if scopes is None:
        raise InputError("Name what the license allows with --scopes, e.g. --scopes train,infer.")
    asset_id = parse_id(asset, "an asset id")
    published = publish_offer(
        Suite.load(project, chain), chain, account, asset_id, scopes=scopes, price=price,
        unit_price=unit_price, duration=duration, max_units=max_units, supply=supply,
        soulbound=soulbound, min_share=min_share, service_share=service_share, token=token,
    )  # fmt: skip
    out.say(f"offer {published.offer_id} published for asset {asset_id}")
    for line in describe_terms(published.terms, published.currency):
        out.say(f"  {line}")
    if not published.listed:
        out.say(f"note: asset {asset_id} is delisted; the offer sells nothing until relisted")
    out.result(published)
