"""`ape run usage <license>`: a license's metering state, its holder's escrow, and how long
vouchers for it can still be settled. Reads only."""

import click

from seedbed.cli.command import command
from seedbed.cli.types import LICENSE_ID


@command()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
def cli(license_id):
    """Show units used and left, unit price, the holder's escrow, expiry and grace status."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.units import format_scopes
    from seedbed.workflows.meter import format_time, format_wait, license_usage
    from seedbed.workflows.royalties import currency_of

    suite = Suite.load(project, chain)
    usage = license_usage(suite, license_id)
    currency = currency_of(chain, usage.currency)
    now = int(chain.blocks.head.timestamp)
    escrow = int(suite.meter.escrowOf(usage.holder, usage.currency))

    click.echo(f"license {license_id} for asset {usage.asset_id}, held by {usage.holder}")
    cap = f"of {usage.max_units} ({usage.units_left} left)" if usage.max_units else "(no cap)"
    click.echo(f"units used: {usage.units_used} {cap}")
    click.echo(f"unit price: {currency.format(usage.unit_price)}")
    affordable = f", pays for {escrow // usage.unit_price} more units" if usage.unit_price else ""
    click.echo(f"holder's escrow: {currency.format(escrow)}{affordable}")
    pending = suite.meter.withdrawalOf(usage.holder, usage.currency)
    ready_at = int(pending.readyAt)
    if ready_at:
        click.echo(
            f"holder's withdrawal request: {currency.format(int(pending.amount))}, "
            f"ready at {format_time(ready_at)} ({format_wait(ready_at - now)})"
        )
    metered = (
        "metered use allowed" if usage.meterable else "no access/train/infer: cannot be metered"
    )
    click.echo(f"scopes: {format_scopes(usage.scopes)} ({metered})")
    click.echo(f"status: {status_line(usage, now)}")


def status_line(usage, now):
    from seedbed.workflows.meter import format_time, format_wait

    if usage.expires_at == 0:
        return "perpetual, settleable any time"
    expiry = f"{format_time(usage.expires_at)} ({format_wait(usage.expires_at - now)})"
    grace = f"{format_time(usage.grace_end)} ({format_wait(usage.grace_end - now)})"
    if now < usage.expires_at:
        return f"valid until {expiry}; vouchers settle until {grace}"
    if not usage.closed(now):
        return f"expired {expiry}; in its grace period, vouchers settle until {grace}"
    return f"closed: expired {expiry}, grace period ended {grace}"
