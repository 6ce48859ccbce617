"""Deploy the whole suite deterministically (CREATE2) and record it.

    ape run deploy [--network ...] [--account ALIAS] [--treasury ADDR] [--fee-bps N]
                   [--withdrawal-delay 2d] [--grace-period 1d] [--salt HEX]
                   [--min-commit-age 60s] [--max-commit-age 6h]
                   [--dispute-bond 0.1ETH] [--answer-period 7d] [--ruling-timeout 60d]
                   [--min-duplicate-size 65536] [--arbiter ADDR | --arbiter-members A,B,C]
                   [--arbiter-threshold N]

Same salt, parameters and deploying account: same addresses on every chain. Re-running skips
what is already deployed. Writes deployments/<chain-id>.json.

Registration is commit, then reveal at least --min-commit-age later and at most
--max-commit-age later, so nobody who sees it pending can take it. --min-commit-age 0 turns
that off (one-transaction registration) and is accepted only on the local chain 31337, as
`make node` and `make demo` deploy.

Disputes go to the AssetCourt: each side bonds --dispute-bond, an owner has --answer-period to
answer, and the arbiter --ruling-timeout to rule before the case lapses. The arbiter is a
PanelArbiter of --arbiter-members (default: the deploying account alone) deciding by
--arbiter-threshold votes, or the IArbiter contract named by --arbiter.
"""

import click

from seedbed.cli.command import command
from seedbed.cli.options import signer_option
from seedbed.cli.types import SALT
from seedbed.core.errors import ChainError


@command()
@signer_option()
@click.option(
    "--treasury",
    default=None,
    help="Receives protocol fees and swept excess (default: the deployer).",
)
@click.option("--fee-bps", default=0, type=int, show_default=True, help="Protocol fee, 0..500 bps.")
@click.option(
    "--withdrawal-delay",
    default="2d",
    show_default=True,
    help="Reserve withdrawal (and signer change) delay: grace period .. 90d.",
)
@click.option(
    "--grace-period",
    default="1d",
    show_default=True,
    help="Settlement window after a license expires or moves: 1h .. 30d.",
)
@click.option(
    "--salt",
    default=None,
    type=SALT,
    help="32-byte hex CREATE2 salt (default: keccak('seedbed.v1')).",
)
@click.option(
    "--min-commit-age",
    default="60s",
    show_default=True,
    help="Least age of a registration's commitment before its reveal; 0 (commitments off, "
    "one transaction) only on the local chain 31337.",
)
@click.option(
    "--max-commit-age",
    default="6h",
    show_default=True,
    help="Age after which a commitment can no longer be revealed: above the minimum, at most "
    "65535 s (18h12m15s).",
)
@click.option(
    "--dispute-bond", default="0.1", show_default=True, help="ETH each side of a dispute bonds."
)
@click.option(
    "--answer-period", default="7d", show_default=True, help="Time an owner has to answer a claim."
)
@click.option(
    "--ruling-timeout",
    default="60d",
    show_default=True,
    help="Time the arbiter has to rule before anyone may lapse the case.",
)
@click.option(
    "--min-duplicate-size",
    default=64 * 1024,
    type=int,
    show_default=True,
    help="Bytes a shared file needs to found a duplicate-content claim.",
)
@click.option("--arbiter", default=None, help="An IArbiter contract already on the chain.")
@click.option(
    "--arbiter-members",
    default=None,
    help="Comma-separated members of the PanelArbiter deployed (default: the deployer).",
)
@click.option(
    "--arbiter-threshold", default=1, type=int, show_default=True, help="Panel votes that rule."
)
def cli(
    account,
    treasury,
    fee_bps,
    withdrawal_delay,
    grace_period,
    salt,
    min_commit_age,
    max_commit_age,
    dispute_bond,
    answer_period,
    ruling_timeout,
    min_duplicate_size,
    arbiter,
    arbiter_members,
    arbiter_threshold,
):
    from ape import chain, project

    from seedbed.chain.deploy import DEFAULT_SALT, Params, deploy, record_path
    from seedbed.core.addresses import parse_address, to_checksum_address
    from seedbed.core.errors import InputError
    from seedbed.core.units import format_amount, parse_amount, parse_duration

    def address(text: str, what: str) -> str:
        # Strict: a mixed-case address with a wrong EIP-55 checksum is a typo, and a typo in
        # the treasury would send every fee to an address nobody holds.
        try:
            return to_checksum_address(parse_address(text))
        except InputError as err:
            raise InputError(f"{what}: {err}") from None

    treasury = address(treasury, "--treasury") if treasury is not None else None
    arbiter = address(arbiter, "--arbiter") if arbiter is not None else None
    members: tuple[str, ...] = ()
    if arbiter_members:
        parts = [m.strip() for m in arbiter_members.split(",") if m.strip()]
        members = tuple(address(m, "--arbiter-members") for m in parts)
    params = Params(
        wirer=account.address,
        treasury=treasury or account.address,
        fee_bps=fee_bps,
        withdrawal_delay=parse_duration(withdrawal_delay),
        grace_period=parse_duration(grace_period),
        salt=salt or DEFAULT_SALT,
        min_commit_age=parse_duration(min_commit_age),
        max_commit_age=parse_duration(max_commit_age),
        dispute_bond=parse_amount(dispute_bond),
        answer_period=parse_duration(answer_period),
        ruling_timeout=parse_duration(ruling_timeout),
        min_duplicate_size=min_duplicate_size,
        arbiter=arbiter or "",
        arbiter_members=members,
        arbiter_threshold=arbiter_threshold,
    )
    if account.balance == 0:
        raise ChainError(f"{account.address} has no funds for gas on chain {chain.chain_id}.")
    click.echo(f"Deploying Seedbed to chain {chain.chain_id} from {account.address}")
    click.echo(f"  balance {format_amount(account.balance)}")
    record = deploy(project, chain, account, params, say=lambda m: click.echo(f"  {m}"))
    for name, entry in record["contracts"].items():
        click.echo(f"{name:14} {entry['address']}  code {entry['code_hash'][:18]}…")
    click.echo(f"Recorded in {record_path(chain.chain_id)}")
