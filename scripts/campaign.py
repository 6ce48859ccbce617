"""Labeling campaigns with escrowed rewards, on the suite's LabelCampaigns.

    ape run campaign create --operator ADDR --pool AMOUNT --bond AMOUNT --items FILE
        --gold-commitment 0xC|FILE [--item-key KEY] [--token ADDR [--approve]]
        [--post-by 30d] [--challenge 3d] [--claim 30d]
    ape run campaign reveal ID --gold GOLD.json --salt 0xSALT
    ape run campaign post ID --scored DIR [--gold GOLD.json --salt 0xSALT] [--approve]
    ape run campaign challenge ID --report FILE|URL
    ape run campaign dispute ID --evidence FILE|0xHASH [--approve]
    ape run campaign rule ID --upheld|--dismissed
    ape run campaign lapse ID
    ape run campaign claim ID --tree FILE [--for ADDR | --to ADDR]
    ape run campaign claim-all ID --tree FILE
    ape run campaign finish ID
    ape run campaign withdraw [--token ADDR ...] [--to ADDR]
    ape run campaign status ID [--tree FILE]

Every subcommand takes --account ALIAS (or $SEEDBED_PRIVATE_KEY), --network and --json.

The lifecycle: the requester commits to its gold (`ape run labels commit`) and creates the
campaign, escrowing the pool for the items of --items (a Label Studio export, or one item id a
line: their Merkle root, seedbed.core.campaigns); the annotators label; the operator scores
them (`ape run labels score --out DIR`) and posts DIR's contributors root with its bond, the
gold root (revealed before with `reveal`, or with --gold/--salt, or none) and the report to
publish, written to DIR/published-report.bin: abi.encode(resultRoot, goldRoot) followed by
quality-report.json. During the challenge window anyone may `challenge` a published report
whose header contradicts the posted result (the bond is slashed, half to the challenger), or
`dispute` the result at the suite's arbiter (bonded like the result; its panel members
`rule`). Then every annotator and reviewer claims pool × weight / total (`claim`, or
`claim-all` for the whole tree in batches), and after the claim window `finish` returns the
unclaimed rest to the requester and the bond to the operator; what could not be sent is
credited (`withdraw`).

A campaign is named by its id alone: its parameters are read from its CampaignCreated log and
checked against the hash the contract stores. Every rule is checked before anything is sent
(one `error:` line says what the campaign waits for), and a re-run resumes: a result posted
is not posted again, claim-all skips the accounts that claimed.
"""

from pathlib import Path

import click

from seedbed.cli.command import SeedbedGroup
from seedbed.cli.options import subcommand
from seedbed.cli.types import ADDRESS, CAMPAIGN_ID, DURATION, HEX32


@click.group(cls=SeedbedGroup, name="campaign")
def cli():
    """Labeling campaigns: create, reveal, post, challenge, dispute, rule, lapse, claim,
    claim-all, finish, withdraw, status (see each one's --help)."""


def _load():
    from ape import chain, project

    from seedbed.chain.client import Suite

    return Suite.load(project, chain), chain, project


def _sub(name, signer=True):
    """A subcommand with the shared options (-v, --account, --json)."""
    return subcommand(cli, name, signer)


def _id(fn):
    return click.argument("cid", metavar="ID", type=CAMPAIGN_ID)(fn)


def _tree(required=True):
    return click.option(
        "--tree",
        "tree_path",
        required=required,
        type=click.Path(path_type=Path),
        help="The result's contributors tree (DIR/contributors.sbtree of `labels score`).",
    )


_approve = click.option(
    "--approve", is_flag=True, help="ERC-20: approve exactly what is pulled, if short."
)


@_sub("create")
@click.option("--operator", required=True, type=ADDRESS, help="Who posts the result.")
@click.option("--pool", required=True, help="The reward pool, e.g. 1.5 (in the currency).")
@click.option("--bond", required=True, help="The operator's bond per post (and a dispute's).")
@click.option(
    "--items",
    required=True,
    type=click.Path(path_type=Path),
    help="The items: a Label Studio export, or one item id a line.",
)
@click.option("--item-key", help="Label Studio: name items by data[KEY] instead of task id.")
@click.option(
    "--gold-commitment",
    "commitment",
    required=True,
    metavar="0xC|FILE",
    help="The gold commitment, or the file `ape run labels commit --json` printed.",
)
@click.option("--token", metavar="ADDR", help="An ERC-20 for the pool and bond (default ETH).")
@_approve
@click.option("--post-by", default="30d", type=DURATION, show_default=True,
              help="How long the operator has to post.")  # fmt: skip
@click.option("--challenge", default="3d", type=DURATION, show_default=True,
              help="The challenge window after a post.")  # fmt: skip
@click.option("--claim", "claim_window", default="30d", type=DURATION, show_default=True,
              help="The claim window after the challenge window.")  # fmt: skip
def create(account, operator, pool, bond, items, item_key, commitment, token, approve, post_by,
           challenge, claim_window, as_json):  # fmt: skip
    """Create a campaign: escrow the pool for labeling the items, committed to the gold
    (the account is the requester)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import commitment_of
    from seedbed.workflows.campaigns import create as send_create
    from seedbed.workflows.disputes.facts import when

    out = Out(as_json)
    gold = commitment_of(commitment)
    suite, chain, _ = _load()
    made = send_create(
        suite, chain, account, operator=operator, token=token, pool=pool, bond=bond,
        items=items, item_key=item_key, commitment=gold, post_by=post_by,
        challenge=challenge, claim=claim_window, approve=approve, say=out.say,
    )  # fmt: skip
    p, fmt = made.params, made.currency.format
    verb = "already created" if made.already else "created"
    out.say(f"{verb} campaign {made.id}: pool {fmt(p.pool)} escrowed for {made.items} items")
    out.say(f"  items root 0x{p.items_root.hex()}, gold commitment 0x{p.gold_commitment.hex()}")
    out.say(f"  operator {p.operator} posts by {when(p.post_by)} with a bond of {fmt(p.bond)}")
    out.say(f"next: the operator runs `ape run campaign post {made.id} --scored DIR`")
    out.result(made)


@_sub("reveal")
@_id
@click.option("--gold", required=True, type=click.Path(path_type=Path), help="GOLD.json.")
@click.option("--salt", required=True, type=HEX32, help="The salt of `labels commit`.")
def reveal(account, cid, gold, salt, as_json):
    """Reveal the gold root on chain (anyone holding the salt, while no result stands): every
    post must then carry it."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import reveal as send_reveal

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_reveal(suite, chain, account, cid, gold, salt)
    out.say(f"revealed campaign {cid}'s gold: root 0x{done.gold_root.hex()}")
    out.result(done)


@_sub("post")
@_id
@click.option(
    "--scored",
    required=True,
    type=click.Path(path_type=Path),
    help="The folder `ape run labels score --out` wrote.",
)
@click.option("--gold", type=click.Path(path_type=Path), help="Reveal this gold with the post.")
@click.option("--salt", type=HEX32, help="Its salt (with --gold).")
@_approve
def post(account, cid, scored, gold, salt, approve, as_json):
    """Post the scored result (the operator, with the bond) and write the report to publish
    beside it (published-report.bin)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import post as send_post
    from seedbed.workflows.disputes.facts import when

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_post(suite, chain, account, cid, scored, gold=gold, salt=salt, approve=approve,
                     say=out.say)  # fmt: skip
    verb = "already posted" if done.already else "posted"
    out.say(
        f"{verb} campaign {cid}'s result: root 0x{done.root.hex()} (total weight {done.total}, "
        f"{done.contributors} contributors)"
    )
    gold_note = f"gold root 0x{done.gold_root.hex()}" if any(done.gold_root) else "no gold"
    out.say(f"  report hash 0x{done.report_hash.hex()}, {gold_note}")
    out.say(f"  publish {done.report}: it can be challenged until {when(done.opens_at)}")
    out.result(done)


@_sub("challenge")
@_id
@click.option("--report", "source", required=True, metavar="FILE|URL", help="The posted report.")
def challenge(account, cid, source, as_json):
    """Slash a result whose published report names another root or gold root in its header
    (checked here first: a challenge that cannot win is not sent)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import campaign_of
    from seedbed.workflows.campaigns import challenge as send_challenge

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_challenge(suite, chain, account, cid, source)
    fmt = campaign_of(suite, chain, cid).currency.format
    out.say(f"slashed campaign {cid}'s result: its report names root 0x{done.header_root.hex()}")
    out.say(
        f"  bond {fmt(done.bond)}: {fmt(done.to_challenger)} to you, {fmt(done.to_requester)} "
        "credited to the requester; the operator may post again"
    )
    out.result(done)


@_sub("dispute")
@_id
@click.option(
    "--evidence", required=True, metavar="FILE|0xHASH", help="A file (its sha256), or a hash."
)
@_approve
def dispute(account, cid, evidence, approve, as_json):
    """Dispute the standing result at the arbiter (weights that do not follow from the
    labels...): bonds the campaign's bond and the arbiter's fee; claims wait for the ruling."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import case_text
    from seedbed.workflows.campaigns import dispute as send_dispute

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_dispute(suite, chain, account, cid, evidence, approve=approve, say=out.say)
    out.say(f"disputed campaign {cid}: {case_text(done.case_id)} at the arbiter {done.arbiter}")
    out.say(f"  evidence, {done.evidence_source}: 0x{done.evidence.hex()}")
    if done.ruled:
        out.say("  the arbiter ruled at once")
    out.result(done)


@_sub("rule")
@_id
@click.option("--upheld/--dismissed", "upheld", default=None, help="Your vote.")
def rule(account, cid, upheld, as_json):
    """Vote, as a member of the suite's PanelArbiter, on the campaign's dispute; the vote that
    reaches the threshold rules (upheld: the result is void; dismissed: it stands)."""
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.workflows.campaigns import rule as send_vote

    if upheld is None:
        raise InputError("Say how you vote: --upheld or --dismissed.")
    out = Out(as_json)
    suite, chain, project = _load()
    vote = send_vote(project, suite, chain, account, cid, upheld)
    tally = f"{vote.yes} for upheld, {vote.no} for dismissed, {vote.threshold} needed"
    ruled = f"ruled: campaign {cid} is {vote.status}" if vote.ruled else "not ruled yet"
    out.say(f"voted {'upheld' if upheld else 'dismissed'} on campaign {cid} ({tally}): {ruled}")
    out.result(vote)


@_sub("lapse")
@_id
def lapse(account, cid, as_json):
    """End a dispute the arbiter did not rule on in time (anyone): the result stands."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import lapse as send_lapse

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_lapse(suite, chain, account, cid)
    out.say(f"lapsed campaign {cid}'s dispute: the result stands, claims open from now")
    out.result(done)


def _claimed(out, run):
    fmt = run.currency.format
    for row in run.claimed:
        to = f" to {row.to}" if row.to != row.account else ""
        out.say(f"claimed {fmt(row.amount)} of campaign {run.id} for {row.account}{to}")
    for row in run.failed:
        out.say(f"FAILED to send {fmt(row.amount)} to {row.account}: it refused (not booked)")


@_sub("claim")
@_id
@_tree()
@click.option("--for", "for_address", type=ADDRESS, help="Claim for (and pay) ADDRESS.")
@click.option("--to", "recipient", type=ADDRESS, help="Send your own share to ADDRESS.")
def claim(account, cid, tree_path, for_address, recipient, as_json):
    """Claim a share of the pool (pool × weight / total): the account's, or --for ADDRESS's
    (paid to it, whoever sends), or the account's own sent to --to ADDRESS."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import claim as send_claim

    out = Out(as_json)
    suite, chain, _ = _load()
    run = send_claim(suite, chain, account, cid, tree_path, for_address=for_address,
                     recipient=recipient)  # fmt: skip
    _claimed(out, run)
    out.result(run)


@_sub("claim-all")
@_id
@_tree()
def claim_all(account, cid, tree_path, as_json):
    """Claim everyone's share in the tree, in batches (anyone may send them; each is paid to
    its account); those who claimed are skipped, so a re-run resumes."""
    from seedbed.cli.output import Out
    from seedbed.core.errors import ChainError
    from seedbed.workflows.campaigns import claim_all as send_all

    out = Out(as_json)
    suite, chain, _ = _load()
    run = send_all(suite, chain, account, cid, tree_path, say=out.say)
    _claimed(out, run)
    fmt = run.currency.format
    total = sum(r.amount for r in run.claimed)
    out.say(
        f"claimed {fmt(total)} for {len(run.claimed)} account(s); {run.skipped} skipped "
        "(claimed before, or a share of 0)"
    )
    out.result(run)
    if run.failed:
        raise ChainError(f"{len(run.failed)} claim(s) failed: the recipients refused the money.")


@_sub("finish")
@_id
def finish(account, cid, as_json):
    """End the campaign (anyone): the unclaimed pool back to the requester, the bond to the
    operator; with no result by postBy, the whole pool back."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import campaign_of
    from seedbed.workflows.campaigns import finish as send_finish

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_finish(suite, chain, account, cid)
    fmt = campaign_of(suite, chain, cid).currency.format
    out.say(
        f"finished campaign {cid}: {fmt(done.refund)} back to the requester, "
        f"{fmt(done.bond_returned)} bond back to the operator"
    )
    for who, amount in done.credited:
        out.say(f"  {who} refused {fmt(amount)}: credited (`ape run campaign withdraw`)")
    out.result(done)


@_sub("withdraw")
@click.option("--token", "tokens", multiple=True, metavar="ADDR", help="ETH or an ERC-20.")
@click.option("--to", "to", type=ADDRESS, help="Send it to ADDRESS (default: the account).")
def withdraw(account, tokens, to, as_json):
    """Withdraw your campaign credits: a slashed bond's half, dispute bonds, failed payouts
    (default: every currency you were credited in)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import withdraw as send_withdraw

    out = Out(as_json)
    suite, chain, _ = _load()
    done = send_withdraw(suite, chain, account, tokens, to)
    for w in done:
        out.say(f"withdrew {w.currency.format(w.amount)} of campaign credit to {w.to}")
    out.result(done)


@_sub("status", signer=False)
@_id
@_tree(required=False)
def status(account, cid, tree_path, as_json):
    """A campaign's state, times, result, claims (who, how much) and credits, and the next
    step; with --tree and --account, what the account may claim."""
    from seedbed.cli.output import Out
    from seedbed.workflows.campaigns import status as read_status
    from seedbed.workflows.campaigns import status_lines

    out = Out(as_json)
    suite, chain, _ = _load()
    me = account.address if account is not None else None
    st = read_status(suite, chain, cid, me, tree_path)
    for line in status_lines(st):
        out.say(line)
    out.result(st)
