"""`ape run change_signer LICENSE [SIGNER]`: schedule a new voucher signer for the account's
channels on a license (default: the account itself); it takes effect after the withdrawal
delay, so vouchers the old signer signed stay good until then."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ADDRESS, LICENSE_ID


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@click.argument("new_signer", metavar="SIGNER", type=ADDRESS, required=False)
@json_option()
def cli(account, license_id, new_signer, as_json):
    """Schedule SIGNER (default: your account) to sign your vouchers on LICENSE."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.escrow import change_signer
    from seedbed.workflows.meter import format_time

    out = Out(as_json)
    done = change_signer(Suite.load(project, chain), chain, account, license_id, new_signer)
    out.say(
        f"{done.signer} signs your vouchers on license {license_id} from "
        f"{format_time(done.switch_at)}; the current signer's vouchers settle until then"
    )
    out.result(done)
