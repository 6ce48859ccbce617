"""`ape run open_channel LICENSE --operator ADDRESS [--signer ADDRESS] [--units N]`: open the
account's channel with a gateway operator, choosing its voucher signer and unit allotment."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, operator_option, signer_option
from seedbed.cli.types import ADDRESS, LICENSE_ID, UNITS


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@operator_option()
@click.option(
    "--signer",
    "voucher_signer",
    type=ADDRESS,
    help="The key that signs your vouchers on this license (default: your account). Fixed by "
    "your first channel on the license; change it later with `ape run change_signer`.",
)
@click.option(
    "--units",
    type=UNITS,
    default="0",
    show_default=True,
    help="For a capped license, the units this channel may charge (0 = all left).",
)
@json_option()
def cli(account, license_id, operator, voucher_signer, units, as_json):
    """Open your channel with the gateway --operator on LICENSE, with no money yet
    (`ape run deposit` funds it)."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.channels import unit_limit_text
    from seedbed.workflows.escrow import open_channel

    out = Out(as_json)
    done = open_channel(
        Suite.load(project, chain), chain, account, license_id, operator,
        signer=voucher_signer, units=units,
    )  # fmt: skip
    out.say(
        f"opened the channel of license {license_id} from {done.payer} to {done.operator}: "
        f"signer {done.signer}, unit limit {unit_limit_text(done.unit_limit)}"
    )
    out.say(f"transaction {done.tx}")
    out.result(done)
