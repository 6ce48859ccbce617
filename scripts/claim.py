"""`ape run claim --tree FILE [--asset ID ...] [--token ADDR ...] [--for ADDRESS]`."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--tree", "tree_paths", multiple=True, metavar="FILE", help="A saved tree (.sbtree).")
@click.option("--asset", "asset_ids", multiple=True, metavar="ID")
@click.option("--token", "tokens", multiple=True, metavar="ADDR", help="ETH or an ERC-20.")
@click.option("--for", "for_address", metavar="ADDRESS", help="Claim for (and pay) ADDRESS.")
@one_line_errors
def cli(account, tree_paths, asset_ids, tokens, for_address):
    """Claim a contributor's share of every asset of the given contributor trees.

    Finds the proof in each tree, checks the tree is the asset's registered one, flows the
    pending upstream of the asset's children into it where that raises the claim, shows what
    it will claim, then claims (one claimBatch for several). Money always goes to the
    contributor (--for, default: the account), whoever sends. Defaults: every asset
    registered with a tree's contributors; ETH and every currency ever paid to the vault.
    Flows reach one level down (the children); `ape run flow ASSET --all` cascades further.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.addresses import parse_address, to_checksum_address
    from seedbed.core.errors import ChainError
    from seedbed.workflows.royalties import (
        cascade,
        claim_request,
        flow_text,
        flows_to_send,
        parse_asset_id,
        positions,
        proof_args,
        send_claims,
        share_text,
        simulate,
    )

    suite = Suite.load(project, chain)
    vault = suite.vault
    who = to_checksum_address(parse_address(for_address)) if for_address else account.address
    ids = [parse_asset_id(a) for a in asset_ids]
    _, lines = positions(suite, chain, who, tree_paths, ids, tokens)
    todo = [line for line in lines if line.after_flows > 0]
    if not todo:
        assets = ", ".join(sorted({str(line.target.asset_id) for line in lines}))
        raise ChainError(f"Nothing to claim: {who} is owed nothing yet on asset {assets}.")

    flows = flows_to_send(todo)
    for line in todo:
        t = line.target
        note = ""
        if line.flows_help:
            note = f", {line.currency.format(line.after_flows - line.now)} of it after flows"
        click.echo(
            f"to claim from asset {t.asset_id}: {line.currency.format(line.after_flows)} "
            f"(share {share_text(t.weight, t.total_weight)}{note})"
        )
    if not flows:  # with flows to send first, the claim can only be simulated after them
        if len(todo) == 1:
            t, line = todo[0].target, todo[0]
            args = (t.asset_id, line.currency.address, who, t.weight, proof_args(t.proof))
            simulate(vault, "claim", *args, sender=account.address, also=[suite.registry])
        else:
            batch = [claim_request(x, who) for x in todo[: int(vault.MAX_BATCH())]]
            simulate(vault, "claimBatch", batch, sender=account.address, also=[suite.registry])

    for child, currency in flows:
        cascade(
            vault, child, currency.address, account,
            lambda log, c=currency: click.echo("flowed " + flow_text(log, c)),
            all_levels=False,
        )  # fmt: skip

    done, failed = send_claims(vault, todo, who, account)
    for line, amount in done:
        click.echo(
            f"claimed {line.currency.format(amount)} from asset {line.target.asset_id} for {who}"
        )
    for line, amount in failed:
        click.echo(
            f"FAILED to send {line.currency.format(amount)} from asset "
            f"{line.target.asset_id} to {who}: the recipient refused it (nothing was booked)"
        )
    if failed:
        raise ChainError(f"{len(failed)} of {len(todo)} claims failed: {who} refused the money.")
