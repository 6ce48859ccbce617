"""`ape run claim --tree FILE [--asset ID ...] [--token ADDR ...] [--for ADDR | --to ADDR]`."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ADDRESS, ASSET_ID


@command()
@signer_option()
@click.option("--tree", "tree_paths", multiple=True, metavar="FILE", help="A saved tree (.sbtree).")
@click.option("--asset", "asset_ids", multiple=True, type=ASSET_ID)
@click.option("--token", "tokens", multiple=True, metavar="ADDR", help="ETH or an ERC-20.")
@click.option("--for", "for_address", type=ADDRESS, help="Claim for (and pay) ADDRESS.")
@click.option(
    "--to", "recipient", type=ADDRESS, help="Send the account's own claim to ADDRESS (claimTo)."
)
@json_option()
def cli(account, tree_paths, asset_ids, tokens, for_address, recipient, as_json):
    """Claim a contributor's share of every asset of the given contributor trees.

    Finds the proof in each tree, checks the tree is the asset's registered one, flows the
    pending upstream of the asset's children into it where that raises the claim, shows what
    it will claim, then claims (one claimBatch for several). Money goes to the contributor
    (--for, default: the account), whoever sends; with --to, the account claims its own share
    and sends it to ADDRESS (for a contributor contract that cannot receive the currency, or
    an address a token blocklists). Defaults: every asset
    registered with a tree's contributors; ETH and every currency ever paid to the vault.
    Flows reach one level down (the children); `ape run flow ASSET --all` cascades further.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.errors import ChainError, InputError
    from seedbed.workflows.claims import claim
    from seedbed.workflows.royalties import share_text

    out = Out(as_json)
    if recipient and for_address:
        raise InputError("--for and --to cannot be combined: --to sends your own claim.")
    who = for_address or account.address
    paid = recipient or who

    def show(run):
        for line in run.lines:
            t, fmt = line.target, line.currency.format
            note = ""
            if line.flows_help:
                note = f", {fmt(line.after_flows - line.now)} of it after flows"
            out.say(
                f"to claim from asset {t.asset_id}: {fmt(line.after_flows)} "
                f"(share {share_text(t.weight, t.total_weight)}{note})"
            )

    run = claim(
        Suite.load(project, chain), chain, account, who, tree_paths, asset_ids=asset_ids,
        tokens=tokens, before_send=show, recipient=recipient,
    )  # fmt: skip
    for flowed in run.flows:
        out.say(f"flowed asset {flowed.child} -> asset {flowed.parent}: "
                f"{flowed.currency.format(flowed.amount)}")  # fmt: skip
    for asset_id, currency, amount in run.claimed:
        to = f" to {paid}" if recipient else ""
        out.say(f"claimed {currency.format(amount)} from asset {asset_id} for {who}{to}")
    for asset_id, currency, amount in run.failed:
        out.say(
            f"FAILED to send {currency.format(amount)} from asset {asset_id} to {who}: "
            "the recipient refused it (nothing was booked)"
        )
    out.result(run)
    if run.failed:
        n, total = len(run.failed), len(run.lines)
        raise ChainError(f"{n} of {total} claims failed: {who} refused the money.")
