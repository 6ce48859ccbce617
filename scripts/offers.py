"""`ape run offers [ASSET]`: the license offers published (for one asset, or all)."""

import click

from seedbed.cli.command import command


@command()
@click.argument("asset", metavar="ASSET", required=False)
def cli(asset):
    """List offers with their status, price, scopes, duration and sales."""
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.workflows.licensing import OfferState, describe_offer
    from seedbed.workflows.registration import parse_id
    from seedbed.workflows.royalties import Currency, currency_of

    suite = Suite.load(project, chain)
    lt = suite.license
    if asset is not None:
        asset_id = parse_id(asset, "an asset id")
        require_asset(suite, asset_id)
        head = int(chain.blocks.height)
        logs = lt.OfferCreated.range(
            int(suite.record.get("block", 0)), head + 1, search_topics={"assetId": asset_id}
        )
        ids = sorted(int(log.offerId) for log in logs)
    else:
        ids = list(range(1, int(lt.offerCount()) + 1))
    where = f" for asset {asset}" if asset is not None else ""
    click.echo(f"{len(ids)} offer{'s' if len(ids) != 1 else ''}{where}")
    currencies: dict[str, Currency] = {}
    for offer_id in ids:
        state = OfferState.from_chain(offer_id, lt.offer(offer_id))
        address = state.terms.currency
        if address not in currencies:
            currencies[address] = currency_of(chain, address)
        line = describe_offer(state, currencies[address])
        gate = int(lt.offerValidatorSet(offer_id))  # a buyer sees what the sale waits for
        if gate:
            line += f", sold only with validator set {gate}'s attestations"
        click.echo(f"  {line}")
