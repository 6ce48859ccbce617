"""`ape run dispute ...`: open, answer and settle disputes over assets (the AssetCourt).

    ape run dispute open --asset N --reason infringement|licence-breach|bad-data
                         --evidence FILE|0xHASH [--beneficiary M]
    ape run dispute duplicate --earlier A --later B --earlier-folder DIR --later-folder DIR
                              [--file PATH]
    ape run dispute prior --asset N --commitment FILE [--beneficiary M]
    ape run dispute answer --dispute ID
    ape run dispute contest --dispute ID
    ape run dispute resolve --dispute ID
    ape run dispute lapse --dispute ID
    ape run dispute rule --dispute ID --upheld|--dismissed
    ape run dispute release --asset N [--currency ADDR ...]
    ape run dispute withdraw
    ape run dispute show [--dispute ID | --asset N]

Every subcommand takes --account ALIAS (or $SEEDBED_PRIVATE_KEY), --network and --json.

While an asset is disputed, no license for it sells, it cannot become a parent, and every
credit the vault would make to it goes to escrow; what it earned before stays claimable. A
subjective claim (open) bonds the court's BOND plus the arbiter's ruling fee; its owner has
the answer period to contest (bonding BOND too), and after it the claim goes to the arbiter
either way: it is never won by default. A duplicate-content claim (duplicate) proves that a
file of an earlier asset, of at least the court's minimum size, is in a later one of another
owner; anyone dismisses it with the lineage from the later asset up to the earlier one
(answer), its owner may contest it, and unanswered, anyone resolves it: upheld, or sent to
the arbiter when the later asset has parents (whose shares are at stake). A
prior-commitment claim (prior) shows an older registration commitment of the same content,
from the pending `commitment.json` of the claimant's own registration run, and takes the
asset down at once.
The arbiter's panel members rule with `rule`; a case the arbiter does not rule on within the
ruling timeout lapses (`lapse`: everything returns). After the dispute, `release` moves the
escrow to the asset's own pool (dismissed, lapsed) or to the beneficiary (upheld), and each
party `withdraw`s its deposits (bonds back or won, unspent fees). Everything is checked
before anything is sent.
"""

from pathlib import Path

import click
from ape.cli.options import verbosity_option

from seedbed.cli.command import SeedbedCommand, SeedbedGroup
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ASSET_ID
from seedbed.core.errors import InputError
from seedbed.core.units import parse_id

REASONS = ("infringement", "licence-breach", "bad-data")


class DisputeId(click.ParamType):
    """A dispute id, read as asset ids are (ASCII digits, from 1)."""

    name = "DISPUTE"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return parse_id(value, "a dispute id")
        except InputError as err:
            self.fail(err.message, param, ctx)


DISPUTE_ID = DisputeId()


@click.group(cls=SeedbedGroup, name="dispute")
def cli():
    """Disputes over assets: open, answer, contest, resolve, rule, lapse, release, withdraw,
    show (see each one's --help)."""


def _load():
    from ape import chain, project

    from seedbed.chain.client import Suite

    return Suite.load(project, chain), chain, project


def _opened(out, opened):
    from seedbed.workflows.disputes.facts import eth, when

    if opened.upheld:
        to = f"asset {opened.beneficiary}" if opened.beneficiary else "the protocol's fee book"
        out.say(
            f"took down asset {opened.asset_id}: dispute {opened.dispute_id} ({opened.kind}) "
            f"upheld at once, no bond; its revenue goes to {to} from now on"
        )
        out.say(f"  {opened.evidence_source}: 0x{opened.evidence.hex()}")
        return
    out.say(
        f"opened dispute {opened.dispute_id} ({opened.kind}) against asset {opened.asset_id}: "
        f"bonded {eth(opened.bond)} and the ruling fee {eth(opened.fee)}"
    )
    out.say(f"  evidence, {opened.evidence_source}: 0x{opened.evidence.hex()}")
    out.say(
        f"  the owner may contest until {when(opened.answer_deadline)}; after it, "
        f"`ape run dispute resolve --dispute {opened.dispute_id}`"
    )


@cli.command("open", cls=SeedbedCommand)
@verbosity_option()
@signer_option()
@click.option("--asset", "asset_id", required=True, type=ASSET_ID, help="The disputed asset.")
@click.option(
    "--reason", required=True, type=click.Choice(REASONS, case_sensitive=False), help="Why."
)
@click.option(
    "--evidence",
    required=True,
    metavar="FILE|0xHASH",
    help="A file (its sha256 is sent), or a hash.",
)
@click.option("--beneficiary", type=ASSET_ID, help="The asset paid instead if upheld.")
@json_option()
def open_(account, asset_id, reason, evidence, beneficiary, as_json):
    """Open a subjective claim against an asset, for the arbiter: sends the court's bond and
    the arbiter's ruling fee. The evidence is a file (its sha256 is sent, as `sha256sum`
    prints it) or a 0x hash. If upheld, the asset's revenue goes to --beneficiary (default:
    the protocol's fee book)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import REASONS as CODES
    from seedbed.workflows.disputes import evidence_of, open_subjective

    out = Out(as_json)
    proof = evidence_of(evidence)
    suite, chain, _ = _load()
    opened = open_subjective(
        suite, chain, account, asset_id, CODES[reason.lower()], proof, beneficiary or 0
    )
    _opened(out, opened)
    out.result(opened)


@cli.command("duplicate", cls=SeedbedCommand)
@verbosity_option()
@signer_option()
@click.option("--earlier", required=True, type=ASSET_ID, help="The original asset.")
@click.option("--later", required=True, type=ASSET_ID, help="The asset that copied it.")
@click.option(
    "--earlier-folder",
    required=True,
    type=click.Path(path_type=Path),
    help="The earlier asset's registered folder (with .seedbed/manifest.json).",
)
@click.option(
    "--later-folder",
    required=True,
    type=click.Path(path_type=Path),
    help="The later asset's registered folder (with .seedbed/manifest.json).",
)
@click.option("--file", "wanted", metavar="PATH", help="The shared file (default: the largest).")
@json_option()
def duplicate(account, earlier, later, earlier_folder, later_folder, wanted, as_json):
    """Claim that a later asset copies a file of an earlier one (another owner's, not its
    ancestor): builds both file proofs from the folders' registered manifests
    (<folder>/.seedbed/manifest.json, checked against each asset's content root), picks the
    largest file both hold (same sha256 and size, at least the court's minimum size) unless
    --file names one, and opens the claim with the bond and ruling fee."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import open_duplicate

    out = Out(as_json)
    suite, chain, _ = _load()
    opened, shared = open_duplicate(
        suite, chain, account, earlier, later, earlier_folder, later_folder, wanted
    )
    same = shared.later.path == shared.earlier.path
    where = "" if same else f" (in asset {later} as {shared.later.path})"
    out.say(f"shared file: {shared.earlier.path}, {shared.size} bytes{where}")
    _opened(out, opened)
    out.result({"dispute": opened, "earlier_path": shared.earlier.path,
                "later_path": shared.later.path, "size": shared.size})  # fmt: skip


@cli.command("prior", cls=SeedbedCommand)
@verbosity_option()
@signer_option()
@click.option("--asset", "asset_id", required=True, type=ASSET_ID, help="The squatting asset.")
@click.option(
    "--commitment",
    required=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Your pending registration file (<out>/commitment.json).",
)
@click.option("--beneficiary", type=ASSET_ID, help="An asset of yours paid instead.")
@json_option()
def prior(account, asset_id, commitment, beneficiary, as_json):
    """Take down an asset that registered content you had committed first: finds the batch
    of your pending registration file that commits the asset's content root, and shows it
    to the court (no bond: such a claim is upheld at once). Its revenue goes to
    --beneficiary (an asset of yours; default: the protocol's fee book)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import claim_prior

    out = Out(as_json)
    suite, chain, _ = _load()
    opened = claim_prior(suite, chain, account, asset_id, commitment, beneficiary or 0)
    _opened(out, opened)
    out.result(opened)


def _dispute_command(name, help_text):
    def decorate(fn):
        fn.__doc__ = help_text
        fn = json_option()(fn)
        fn = click.option(
            "--dispute", "dispute_id", required=True, type=DISPUTE_ID, help="The dispute's id."
        )(fn)
        fn = signer_option()(fn)
        fn = verbosity_option()(fn)
        return cli.command(name, cls=SeedbedCommand)(fn)

    return decorate


def _arbiter_line(out, step):
    from seedbed.workflows.disputes.facts import AT_ARBITER, when

    if step.dispute.state != AT_ARBITER:  # the arbiter ruled already, from inside the request
        out.say(f"  the arbiter ruled at once: {step.dispute.state_name}")
    elif not step.accepted:
        out.say(
            f"  the arbiter {step.arbiter} refused the case (the fee went back to the "
            f"claimant): it lapses after {when(step.ruling_deadline)}"
        )
    else:
        out.say(f"  the arbiter {step.arbiter} has until {when(step.ruling_deadline)} to rule")


@_dispute_command(
    "answer",
    "Dismiss a duplicate-content claim with the lineage (parent indices, at most 8 hops) that "
    "makes the earlier asset an ancestor of the disputed one, found from the registry's "
    "parents. Anyone may send it; the claimant's bond goes to the owner.",
)
def answer(account, dispute_id, as_json):
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import answer as send_answer
    from seedbed.workflows.disputes.facts import eth

    out = Out(as_json)
    suite, chain, _ = _load()
    step = send_answer(suite, chain, account, dispute_id)
    d = step.dispute
    lineage = " -> ".join(map(str, step.assets))
    out.say(
        f"answered dispute {dispute_id}: asset {d.asset_id} descends from asset "
        f"{d.beneficiary} ({lineage}, parent indices {list(step.path)}); dismissed"
    )
    out.say(
        f"  the claimant's bond of {eth(suite.court.BOND())} goes to the owner {d.defendant} "
        "(`ape run dispute withdraw`)"
    )
    out.result(step)


@_dispute_command(
    "contest",
    "Contest a claim against your asset: posts the court's bond, and the case goes to the "
    "arbiter. Only the asset's owner, within the answer period.",
)
def contest(account, dispute_id, as_json):
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import contest as send_contest
    from seedbed.workflows.disputes.facts import eth

    out = Out(as_json)
    suite, chain, _ = _load()
    step = send_contest(suite, chain, account, dispute_id)
    out.say(f"contested dispute {dispute_id}: bonded {eth(suite.court.BOND())}")
    _arbiter_line(out, step)
    out.result(step)


@_dispute_command(
    "resolve",
    "After the answer period of an unanswered claim (anyone): a duplicate-content claim "
    "against an asset without parents is upheld; one against an asset with parents, and a "
    "subjective one, go to the arbiter (never won by default).",
)
def resolve(account, dispute_id, as_json):
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import resolve as send_resolve
    from seedbed.workflows.disputes.facts import UPHELD, eth

    out = Out(as_json)
    suite, chain, _ = _load()
    step = send_resolve(suite, chain, account, dispute_id)
    d = step.dispute
    if d.state == UPHELD and not d.at_arbiter_at:
        to = f"asset {d.beneficiary}" if d.beneficiary else "the protocol's fee book"
        out.say(
            f"resolved dispute {dispute_id}: upheld (unanswered); asset {d.asset_id} is taken "
            f"down and its revenue goes to {to}"
        )
        out.say(
            f"  the claimant's bond of {eth(suite.court.BOND())} and fee are withdrawable by "
            f"{d.claimant}; release the escrow with `ape run dispute release --asset {d.asset_id}`"
        )
    else:
        out.say(f"resolved dispute {dispute_id}: unanswered, so it went to the arbiter")
        _arbiter_line(out, step)
    out.result(step)


@_dispute_command(
    "lapse",
    "After the ruling timeout with no ruling (anyone): the case lapses, the bonds return and "
    "the asset is listed and paid again.",
)
def lapse(account, dispute_id, as_json):
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import lapse as send_lapse

    out = Out(as_json)
    suite, chain, _ = _load()
    step = send_lapse(suite, chain, account, dispute_id)
    d = step.dispute
    out.say(
        f"lapsed dispute {dispute_id}: the arbiter did not rule; asset {d.asset_id} is listed "
        "again and each bond is withdrawable by who posted it"
    )
    out.say(f"  release its escrow with `ape run dispute release --asset {d.asset_id}`")
    out.result(step)


@cli.command("rule", cls=SeedbedCommand)
@verbosity_option()
@signer_option()
@click.option("--dispute", "dispute_id", required=True, type=DISPUTE_ID, help="The dispute's id.")
@click.option("--upheld/--dismissed", "upheld", default=None, help="Your vote.")
@json_option()
def rule(account, dispute_id, upheld, as_json):
    """Vote, as a member of the court's PanelArbiter, on a case at the arbiter; the vote
    that reaches the panel's threshold rules."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import rule as send_vote

    if upheld is None:
        raise InputError("Say how you vote: --upheld or --dismissed.")
    out = Out(as_json)
    suite, chain, project = _load()
    vote = send_vote(project, suite, chain, account, dispute_id, upheld)
    side = "upheld" if upheld else "dismissed"
    tally = f"{vote.yes} for upheld, {vote.no} for dismissed, {vote.threshold} needed"
    if vote.ruled:
        out.say(f"voted {side} on dispute {dispute_id} ({tally}): ruled {vote.dispute.state_name}")
    else:
        out.say(
            f"voted {side} on dispute {dispute_id}: not ruled yet, the threshold is not "
            f"reached ({tally})"
        )
    out.result(vote)


@cli.command("release", cls=SeedbedCommand)
@verbosity_option()
@signer_option()
@click.option("--asset", "asset_id", required=True, type=ASSET_ID)
@click.option(
    "--currency",
    "currencies",
    multiple=True,
    metavar="ADDR",
    help="ETH or an ERC-20 (default: every currency ever escrowed for the asset).",
)
@json_option()
def release(account, asset_id, currencies, as_json):
    """Release an asset's escrow after its dispute ended (anyone): to its own pool after a
    dismissal or lapse, to the beneficiary after an upheld claim. Every currency the vault's
    Escrowed logs show for the asset, or those named."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import release as send_release

    out = Out(as_json)
    suite, chain, _ = _load()
    run = send_release(suite, chain, account, asset_id, currencies)
    for item in run.released:
        fmt = item.currency.format
        if item.to_asset is None:
            where = "to the protocol's fee book"
        elif item.to_asset == asset_id:
            where = "to its own pool"
        else:
            where = f"to asset {item.to_asset}"
        split = ""
        if item.to_asset is not None:
            split = (
                f" ({fmt(item.to_contributors)} to contributors, "
                f"{fmt(item.to_upstream)} pending upstream)"
            )
        out.say(f"released {fmt(item.amount)} of asset {asset_id}'s escrow {where}{split}")
    if not run.released:
        out.say(f"nothing to release: asset {asset_id} holds no escrow")
    out.result(run)


@cli.command("withdraw", cls=SeedbedCommand)
@verbosity_option()
@signer_option()
@json_option()
def withdraw(account, as_json):
    """Withdraw your deposits from the court: bonds back or won, ruling fees unspent."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import withdraw as send_withdraw
    from seedbed.workflows.disputes.facts import eth

    out = Out(as_json)
    suite, _, _ = _load()
    done = send_withdraw(suite, account)
    out.say(f"withdrew {eth(done.amount)} of deposits to {done.account}")
    out.result(done)


@cli.command("show", cls=SeedbedCommand)
@verbosity_option()
@signer_option(required=False)
@click.option("--dispute", "dispute_id", type=DISPUTE_ID, help="One dispute.")
@click.option("--asset", "asset_id", type=ASSET_ID, help="An asset's latest dispute and hold.")
@json_option()
def show(account, dispute_id, asset_id, as_json):
    """A dispute's state, kind, parties, deadlines, bonds and escrow, and the next step and
    who may take it; or an asset's (--asset); or every dispute of the court, and what the
    account may withdraw."""
    from seedbed.cli.output import Out
    from seedbed.workflows.disputes import AssetReport, DisputeReport
    from seedbed.workflows.disputes import show as read
    from seedbed.workflows.disputes.report import asset_lines, dispute_lines, overview_lines

    if dispute_id is not None and asset_id is not None:
        raise InputError("Name --dispute or --asset, not both.")
    out = Out(as_json)
    suite, chain, project = _load()
    me = account.address if account is not None else None
    found = read(
        suite, chain, dispute_id=dispute_id, asset_id=asset_id, account=me, project=project
    )
    if isinstance(found, DisputeReport):
        lines = dispute_lines(found)
    elif isinstance(found, AssetReport):
        lines = asset_lines(found)
    else:
        lines = overview_lines(found)
    for line in lines:
        out.say(line)
    out.result(found)
