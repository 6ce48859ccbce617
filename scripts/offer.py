"""`ape run offer <asset> --scopes train,infer [--price 0.05] ...`: publish a license offer.

Also `ape run offer --pause ID`, `--resume ID` and `--retire ID` (final) to change an offer's
status; terms never change once published, and sold licenses keep theirs.
"""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("asset", metavar="ASSET", required=False)
@click.option("--scopes", help="What the license allows: access,train,infer,commercial,derive.")
@click.option("--price", default="0", show_default=True, help="Upfront price, e.g. 0.05.")
@click.option("--unit-price", default="0", show_default=True, help="Price per metered unit.")
@click.option("--duration", default="perpetual", show_default=True, help="e.g. 30d, 12h, 2w.")
@click.option("--max-units", default="0", show_default=True, help="Unit cap (0 = unlimited).")
@click.option("--supply", default="0", show_default=True, help="Licenses to sell (0 = no cap).")
@click.option("--soulbound", is_flag=True, help="Licenses cannot be transferred (ERC-5192).")
@click.option("--min-share", default="0", show_default=True, help="BPS or %% derivatives owe.")
@click.option("--token", metavar="ADDR", help="Price in this ERC-20 (default: ETH).")
@click.option("--pause", "pause_id", metavar="ID", help="Pause offer ID (no sales until resumed).")
@click.option("--resume", "resume_id", metavar="ID", help="Resume paused offer ID.")
@click.option("--retire", "retire_id", metavar="ID", help="Retire offer ID for good.")
@one_line_errors
def cli(
    account, asset, scopes, price, unit_price, duration, max_units, supply, soulbound,
    min_share, token, pause_id, resume_id, retire_id,
):  # fmt: skip
    """Publish an offer for ASSET (you must own it or be an operator the owner approved)."""
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.core.constants import OFFER_ACTIVE, OFFER_PAUSED, OFFER_RETIRED
    from seedbed.core.errors import InputError
    from seedbed.workflows.licensing import (
        OfferState,
        build_terms,
        check_status_change,
        describe_terms,
        require_offer_id,
    )
    from seedbed.workflows.registration import parse_id
    from seedbed.workflows.royalties import currency_of, simulate

    changes = {
        OFFER_PAUSED: pause_id,
        OFFER_ACTIVE: resume_id,
        OFFER_RETIRED: retire_id,
    }
    asked = {status: text for status, text in changes.items() if text is not None}
    if len(asked) > 1 or (asked and asset is not None):
        raise InputError(
            "Give either ASSET to publish an offer, or one of --pause/--resume/--retire."
        )
    suite = Suite.load(project, chain)
    lt = suite.license

    if asked:
        ((status, text),) = asked.items()
        offer_id = parse_id(text, "an offer id")
        require_offer_id(offer_id, int(lt.offerCount()))
        offer = OfferState.from_chain(offer_id, lt.offer(offer_id))
        _require_operator(suite.registry, offer.terms.asset_id, account.address)
        check_status_change(offer, status)
        simulate(
            lt, "setOfferStatus", offer_id, status, sender=account.address, also=[suite.registry]
        )
        lt.setOfferStatus(offer_id, status, sender=account)
        word = {OFFER_PAUSED: "paused", OFFER_ACTIVE: "resumed", OFFER_RETIRED: "retired"}[status]
        click.echo(f"offer {offer_id} {word} (asset {offer.terms.asset_id})")
        return

    if asset is None:
        raise InputError(
            "Name the ASSET to publish an offer for (or --pause/--resume/--retire ID)."
        )
    if scopes is None:
        raise InputError("Name what the license allows with --scopes, e.g. --scopes train,infer.")
    asset_id = parse_id(asset, "an asset id")
    require_asset(suite, asset_id)
    _require_operator(suite.registry, asset_id, account.address)
    currency = currency_of(chain, token)
    terms = build_terms(
        asset_id, currency, price=price, unit_price=unit_price, duration=duration,
        scopes=scopes, max_units=max_units, supply=supply, soulbound=soulbound,
        min_share=min_share,
    )  # fmt: skip
    simulate(lt, "createOffer", terms.as_tuple(), sender=account.address, also=[suite.registry])
    receipt = lt.createOffer(terms.as_tuple(), sender=account)
    offer_id = int(receipt.events.filter(lt.OfferCreated)[0].offerId)
    click.echo(f"offer {offer_id} published for asset {asset_id}")
    for line in describe_terms(terms, currency):
        click.echo(f"  {line}")
    if not suite.registry.isListed(asset_id):
        click.echo(f"note: asset {asset_id} is delisted; the offer sells nothing until relisted")


def _require_operator(registry, asset_id: int, address: str) -> None:
    """The asset's owner, or an operator the owner approved (for all, or for this asset)."""
    from seedbed.core.errors import ChainError

    owner = str(registry.ownerOf(asset_id))
    if address.lower() == owner.lower() or registry.isApprovedForAll(owner, address):
        return
    if str(registry.getApproved(asset_id)).lower() == address.lower():
        return
    raise ChainError(
        f"{address} is not the owner of asset {asset_id} ({owner}) nor an operator it approved."
    )
