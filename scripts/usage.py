"""`ape run usage LICENSE [--payer ADDRESS] [--operator ADDRESS]`: a license's metered terms and
every channel on it (reserve, units, limit, signer, until when it settles, any withdrawal).
Reads only."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option
from seedbed.cli.types import ADDRESS, LICENSE_ID


@command()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@click.option("--payer", type=ADDRESS, help="Only this payer's channels.")
@click.option("--operator", type=ADDRESS, help="Only channels with this gateway operator.")
@json_option()
def cli(license_id, payer, operator, as_json):
    """Show the license's unit price, cap, service share, expiry and grace status, and each
    channel opened on it."""
    from dataclasses import dataclass

    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.units import format_scopes
    from seedbed.workflows.channels import channel_view, channels_of, license_terms
    from seedbed.workflows.escrow import describe_channel
    from seedbed.workflows.licensing import format_bps
    from seedbed.workflows.royalties import currency_of

    out = Out(as_json)
    suite = Suite.load(project, chain)
    terms = license_terms(suite, license_id)
    currency = currency_of(chain, terms.currency)
    now = int(chain.blocks.head.timestamp)
    pairs = [
        (p, o)
        for p, o in channels_of(suite, license_id)
        if (payer is None or p == payer) and (operator is None or o == operator)
    ]
    views = [channel_view(suite, chain, license_id, p, o) for p, o in pairs]

    out.say(f"license {license_id} for asset {terms.asset_id}, held by {terms.holder}")
    out.say(f"unit price: {currency.format(terms.unit_price)}")
    if terms.max_units:
        out.say(
            f"unit cap: {terms.max_units} ({terms.units_allotted} allotted to channels, "
            f"{terms.units_unallotted} left)"
        )
    else:
        out.say("unit cap: none")
    out.say(f"service share: {format_bps(terms.service_bps)} of each charge to the operator")
    metered = "metered use allowed" if terms.meterable else "no access/train/infer: not metered"
    out.say(f"scopes: {format_scopes(terms.scopes)} ({metered})")
    out.say(f"status: {status_line(terms, now)}")
    where = "" if payer is None and operator is None else " matching"
    out.say(f"{len(views)}{where} channel{'' if len(views) == 1 else 's'}")
    for view in views:
        for n, line in enumerate(describe_channel(view, currency)):
            out.say(("  " if n == 0 else "    ") + line)

    @dataclass
    class Usage:
        terms: object
        channels: list

    out.result(Usage(terms, views))


def status_line(terms, now):
    from seedbed.workflows.meter import format_time, format_wait

    if terms.expires_at == 0:
        return "perpetual: vouchers settle as long as the holder keeps it"
    expiry = f"{format_time(terms.expires_at)} ({format_wait(terms.expires_at - now)})"
    grace = f"{format_time(terms.grace_end)} ({format_wait(terms.grace_end - now)})"
    if now < terms.expires_at:
        return f"valid until {expiry}; vouchers settle until {grace}"
    if now <= terms.grace_end:
        return f"expired {expiry}; in its grace period, vouchers settle until {grace}"
    return f"closed: expired {expiry}, grace period ended {grace}"
