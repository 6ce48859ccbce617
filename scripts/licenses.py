"""`ape run licenses [ADDRESS]`: the licenses an address holds, with their status.

`ape run licenses --check ID [--for ADDRESS] [--scopes S] [--asset ID --share BPS]` checks one
license as a gateway (valid, held by ADDRESS, carries the scopes) or a derivative registration
(for that parent asset, with a share meeting the offer's minimum) would; it exits non-zero
with the reason when the license would not serve.
"""

import click

from seedbed.cli.command import command
from seedbed.cli.options import signer_option
from seedbed.cli.types import ADDRESS


@command()
@signer_option(required=False)
@click.argument("address", metavar="ADDRESS", required=False, type=ADDRESS)
@click.option("--check", "check_id", metavar="ID", help="Check license ID instead of listing.")
@click.option("--for", "for_address", metavar="ADDRESS", help="With --check: the user to check.")
@click.option("--scopes", help="With --check: the scopes needed, e.g. train,infer.")
@click.option("--asset", metavar="ID", help="With --check: the parent asset to derive from.")
@click.option("--share", metavar="BPS", help="With --check: the upstream share offered.")
def cli(account, address, check_id, for_address, scopes, asset, share):
    """List ADDRESS's licenses (default: the --account's), or check one with --check."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.addresses import parse_address, to_checksum_address
    from seedbed.core.errors import ChainError, InputError
    from seedbed.core.units import format_scopes, parse_scopes
    from seedbed.workflows.licensing import (
        LicenseState,
        check_license,
        describe_license,
        format_bps,
        parse_bps,
    )
    from seedbed.workflows.registration import parse_id

    suite = Suite.load(project, chain)
    lt = suite.license
    now = int(chain.blocks.head.timestamp)

    def who(text: str | None) -> str:
        if text is not None:
            return to_checksum_address(parse_address(text))
        if account is None:
            raise InputError("Name the ADDRESS to look up (or pass --account).")
        return str(account.address)

    if check_id is None:
        if any(v is not None for v in (for_address, scopes, asset, share)):
            raise InputError("--for, --scopes, --asset and --share only go with --check ID.")
        holder = who(address)
        ids = _held_license_ids(lt, holder, int(suite.record.get("block", 0)))
        click.echo(f"{holder} holds {len(ids)} license{'s' if len(ids) != 1 else ''}")
        for license_id in ids:
            state = LicenseState.from_chain(license_id, lt.license(license_id))
            click.echo(f"  {describe_license(state, now)}")
            for line in _channel_lines(suite, chain, license_id, holder, state.terms.currency):
                click.echo(f"    {line}")
        return

    if address is not None:
        raise InputError("With --check, name the user with --for ADDRESS, not as an argument.")
    license_id = parse_id(check_id, "a license id")
    count = int(lt.licenseCount())
    if license_id > count:
        raise ChainError(f"License {license_id} does not exist ({count} licenses sold).")
    if (asset is None) != (share is None):
        raise InputError("--asset and --share go together: the parent and the share offered.")
    state = LicenseState.from_chain(license_id, lt.license(license_id))
    account = who(for_address) if (for_address or account) else None
    needed = parse_scopes(scopes) if scopes else 0
    parent = parse_id(asset, "an asset id") if asset is not None else None
    share_bps = parse_bps(share, "--share") if share is not None else None
    if parent is not None:
        needed |= int(lt.DERIVE())
    check_license(state, now, account=account, scopes=needed, asset_id=parent, share_bps=share_bps)
    parts = [f"license {license_id} is valid", f"held by {state.holder}"]
    if needed:
        parts.append(f"carries {format_scopes(needed)}")
    if parent is not None and share_bps is not None:
        minimum = format_bps(state.terms.min_upstream_bps)
        parts.append(
            f"may be a parent link to asset {parent} at {format_bps(share_bps)} (minimum {minimum})"
        )
    click.echo(", ".join(parts))
    click.echo(f"  {describe_license(state, now)}")


def _channel_lines(suite, chain, license_id, holder, currency_address):
    """Units used are per channel: one line per channel the holder opened on the license."""
    from seedbed.workflows.channels import channel_view, channels_of, unit_limit_text
    from seedbed.workflows.royalties import currency_of

    currency = None
    lines = []
    for payer, operator in channels_of(suite, license_id):
        if payer != holder:
            continue
        currency = currency or currency_of(chain, currency_address)
        s = channel_view(suite, chain, license_id, payer, operator).state
        lines.append(
            f"channel to {operator}: {s.units} units used of {unit_limit_text(s.unit_limit)}, "
            f"reserve {currency.format(s.reserve)}"
        )
    return lines


def _held_license_ids(lt, holder: str, from_block: int) -> list[int]:
    """Ids of licenses `holder` holds now: every id ever transferred to it (mints included),
    kept if it still owns it."""
    head = int(lt.chain_manager.blocks.height)
    seen = {
        int(log.tokenId)
        for log in lt.Transfer.range(from_block, head + 1, search_topics={"to": holder})
    }
    return sorted(i for i in seen if str(lt.ownerOf(i)).lower() == holder.lower())
