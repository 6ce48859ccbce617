"""Validators' quality attestations, on the suite's Attestations contract.

    ape run attest check FOLDER ASSET --out CHECK.json [--meta DIR] [--against MANIFEST...]
        [--labels EXPORT [--label-studio] [--method majority|dawid_skene]]
        [--max-noise-bps 2000] [--max-duplicates 0]
    ape run attest sign ASSET --out FILE (--check CHECK.json | [--failed] [--noise-bps N]
        [--duplicates N] [--croissant-invalid] [--method-hash 0xH]) [--valid-for 365d]
    ape run attest anchor FILE... --batch BATCH.json
    ape run attest certify BATCH.json [--asset ASSET ...]
    ape run attest revoke UID|FILE...
    ape run attest retire
    ape run attest set ADDR... --threshold K
    ape run attest require OFFER SET
    ape run attest status ASSET SET

Every subcommand takes --account ALIAS (or $SEEDBED_PRIVATE_KEY), --network and --json.

A validator `check`s an asset off chain (seedbed.core.quality_checks: its files re-hashed
against the registered content root, duplicates of other assets' files from their manifests,
its Croissant file's validity and registered hash, the label noise of its annotations), which
writes a reproducible report with a method hash; then `sign --check` signs that verdict as an
EAS off-chain attestation (version 2) bound to the asset's registered content root: FILE is
the package eas-sdk and easscan read. `anchor` writes a batch file of
any number of packages and anchors its Merkle root in one transaction (about 46,000 gas
whatever the count). Anyone `certify`s an asset from the batch file. An asset's operator
makes an offer `require` a validator `set` (k of up to 16 validators): the offer then sells
only while k of them hold a live certificate, read at every sale, so a `revoke` or an expiry
stops sales at once; so does a newer failing verdict (`sign --failed`, then anchor and
certify it), which replaces the validator's pass. A validator whose key is lost or leaked
`retire`s, for good: none of its certificates counts from then on. `status` shows the
certificates an asset holds from a set.

A re-run resumes: a package at --out is kept, an anchored batch is not anchored again, a
standing certificate and a revoked UID are skipped.
"""

from pathlib import Path

import click

from seedbed.cli.command import SeedbedGroup
from seedbed.cli.options import subcommand
from seedbed.cli.types import ASSET_ID, DURATION, HEX32, OFFER_ID

_U32 = click.IntRange(0, 2**32 - 1)


@click.group(cls=SeedbedGroup, name="attest")
def cli():
    """Quality attestations: check, sign, anchor, certify, revoke, retire, set, require,
    status (see each one's --help)."""


def _load():
    from ape import chain, project

    from seedbed.chain.client import Suite

    return Suite.load(project, chain), chain


def _sub(name, signer=True):
    """A subcommand with the shared options (-v, --account, --json)."""
    return subcommand(cli, name, signer)


@_sub("check", signer=False)
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.argument("asset", type=ASSET_ID)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The report file.")
@click.option("--against", "others", multiple=True, type=click.Path(path_type=Path),
              help="Another registered asset's manifest.json, to find duplicates in.")  # fmt: skip
@click.option("--meta", type=click.Path(path_type=Path, file_okay=False),
              help="Where register wrote manifest.json and croissant.json (its --out; "
              "default FOLDER/.seedbed).")  # fmt: skip
@click.option("--labels", type=click.Path(path_type=Path), help="The annotations (CSV).")
@click.option("--label-studio", is_flag=True, help="--labels is a Label Studio export.")
@click.option("--method", type=click.Choice(["majority", "dawid_skene"]), default="majority",
              show_default=True, help="The aggregate the noise is measured against.")  # fmt: skip
@click.option("--max-noise-bps", default=2_000, type=click.IntRange(0, 10_000),
              show_default=True, help="Passes with at most this label noise.")  # fmt: skip
@click.option("--max-duplicates", default=0, type=_U32, show_default=True,
              help="Passes with at most this many duplicated files.")  # fmt: skip
def check(account, folder, asset, out, others, meta, labels, label_studio, method, max_noise_bps,
          max_duplicates, as_json):  # fmt: skip
    """Check ASSET (its registered FOLDER) and write the verdict `sign --check` signs."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import check as do_check

    o = Out(as_json)
    suite, chain = _load()
    done = do_check(
        suite, chain, asset, folder, out=out, others=list(others), labels=labels, meta=meta,
        label_studio=label_studio, method=method, max_noise_bps=max_noise_bps,
        max_duplicates=max_duplicates,
    )  # fmt: skip
    c = done.check
    o.say(f"asset {asset} {'passes' if c['passed'] else 'fails'}; report in {done.out}")
    rehash = "ok" if c["rehash"]["ok"] else f"{len(c['rehash']['changed'])} changed, " \
        f"{len(c['rehash']['missing'])} missing, {len(c['rehash']['extra'])} extra"  # fmt: skip
    o.say(f"  files re-hashed against the content root: {rehash}")
    o.say(f"  duplicated files: {c['duplicate_files']}; Croissant valid: {c['croissant_valid']}")
    for problem in c["croissant_problems"]:
        o.say(f"    {problem}")
    noise = f"{c['label_noise_bps']} bps" if c["labels_checked"] else "not measured"
    o.say(f"  label noise: {noise}; method hash {c['method_hash']}")
    o.say(f"next: `ape run attest sign {asset} --check {done.out} --out FILE`")
    o.result(done)


@_sub("sign")
@click.argument("asset", type=ASSET_ID)
@click.option("--check", "check_file", type=click.Path(path_type=Path),
              help="Sign the verdict of this `attest check` report.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The package file.")
@click.option(
    "--failed", is_flag=True, help="The asset failed: certified, it withdraws a standing pass."
)
@click.option("--noise-bps", default=0, type=click.IntRange(0, 10_000), show_default=True,
              help="The estimated label noise, in basis points.")  # fmt: skip
@click.option("--duplicates", default=0, type=_U32, show_default=True,
              help="Files found duplicated in other registered assets.")  # fmt: skip
@click.option("--croissant-invalid", is_flag=True, help="The Croissant metadata did not check.")
@click.option("--method-hash", type=HEX32, help="A hash of the method and its inputs.")
@click.option("--valid-for", default="365d", type=DURATION, show_default=True,
              help="How long the verdict stands (0s: until revoked).")  # fmt: skip
def sign(account, asset, check_file, out, failed, noise_bps, duplicates, croissant_invalid,
         method_hash, valid_for, as_json):  # fmt: skip
    """Sign the account's verdict on ASSET's registered content (the account is the validator)."""
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.workflows.attest import asset_root, read_check
    from seedbed.workflows.attest import sign as do_sign

    o = Out(as_json)
    figures = {
        "passed": not failed,
        "noise_bps": noise_bps,
        "duplicates": duplicates,
        "croissant_valid": not croissant_invalid,
        "method_hash": method_hash or bytes(32),
    }
    ctx = click.get_current_context()
    given = [n for n in ("failed", "noise_bps", "duplicates", "croissant_invalid", "method_hash")
             if ctx.get_parameter_source(n) != click.core.ParameterSource.DEFAULT]  # fmt: skip
    if check_file is not None and given:
        raise InputError(f"--check gives the verdict: drop --{given[0].replace('_', '-')}.")
    suite, chain = _load()
    if check_file is not None:
        root = asset_root(suite, asset)
        figures = read_check(check_file, asset, root)
    done = do_sign(suite, chain, account, asset, out=out, valid_for=valid_for, **figures)
    verb = "kept the attestation already in" if done.already else "signed, written to"
    o.say(f"{verb} {done.out}: asset {done.asset} {'passes' if done.passed else 'fails'}")
    o.say(f"  uid 0x{done.uid.hex()}, content root 0x{done.content_root.hex()}")
    o.say(f"next: `ape run attest anchor {done.out} --batch BATCH.json`")
    o.result(done)


@_sub("anchor")
@click.argument("packages", nargs=-1, type=click.Path(path_type=Path))
@click.option("--batch", required=True, type=click.Path(path_type=Path),
              help="The batch file to write (or an existing one to anchor).")  # fmt: skip
def anchor(account, packages, batch, as_json):
    """Anchor the packages' Merkle root on chain, in one transaction (the account's own)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import anchor as do_anchor

    o = Out(as_json)
    suite, chain = _load()
    done = do_anchor(suite, chain, account, list(packages), batch)
    verb = "already anchored" if done.already else f"anchored ({done.gas:,} gas)"
    o.say(f"{verb}: {done.count} attestation(s), root 0x{done.root.hex()}, in {done.batch}")
    o.say(f"next: anyone runs `ape run attest certify {done.batch}`")
    o.result(done)


@_sub("certify")
@click.argument("batch", type=click.Path(path_type=Path))
@click.option("--asset", "assets", multiple=True, type=ASSET_ID, help="Only this asset.")
def certify(account, batch, assets, as_json):
    """Certify the batch's assets with their attestations and proofs (anyone may)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import certify as do_certify

    o = Out(as_json)
    suite, chain = _load()
    done = do_certify(suite, chain, account, batch, set(assets) if assets else None)
    for c in done:
        verb = "already certified" if c.already else "certified"
        o.say(f"{verb}: asset {c.asset} by {c.validator} (uid 0x{c.uid.hex()[:16]}…)")
    o.result(done)


@_sub("revoke")
@click.argument("uids", nargs=-1, metavar="UID|FILE...")
def revoke(account, uids, as_json):
    """Revoke attestations (the account's own verdicts): offers needing them stop selling."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import revoke as do_revoke
    from seedbed.workflows.attest import uid_of

    o = Out(as_json)
    parsed = [uid_of(u) for u in uids]
    suite, chain = _load()
    done = do_revoke(suite, chain, account, parsed)
    o.say(f"revoked {len(done.uids)} attestation(s); {len(done.already)} revoked before")
    o.result(done)


@_sub("retire")
def retire(account, as_json):
    """Retire the account as a validator, for good: none of its certificates counts any more."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import retire as do_retire
    from seedbed.workflows.disputes.facts import when

    o = Out(as_json)
    suite, chain = _load()
    done = do_retire(suite, chain, account)
    verb = "had retired" if done.already else "retired"
    o.say(f"{done.validator} {verb} as a validator at {when(done.retired_at)}")
    o.result(done)


@_sub("set")
@click.argument("validators", nargs=-1, metavar="ADDR...")
@click.option("--threshold", required=True, type=click.IntRange(1, 16), help="k of the set.")
def make_set(account, validators, threshold, as_json):
    """Create a validator set (immutable): k of its validators must certify an asset."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import create_set

    o = Out(as_json)
    suite, chain = _load()
    done = create_set(suite, chain, account, list(validators), threshold)
    o.say(f"created validator set {done.id}: {done.threshold} of {len(done.validators)}")
    o.result(done)


@_sub("require")
@click.argument("offer", type=OFFER_ID)
@click.argument("set_id", metavar="SET", type=click.IntRange(1, 2**64 - 1))
def require(account, offer, set_id, as_json):
    """Make OFFER sell only while its asset holds SET's certificates (once, for good)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import require as do_require

    o = Out(as_json)
    suite, chain = _load()
    done = do_require(suite, chain, account, offer, set_id)
    verb = "already requires" if done.already else "now requires"
    o.say(f"offer {done.offer} {verb} validator set {done.set_id}'s attestations")
    o.result(done)


@_sub("status", signer=False)
@click.argument("asset", type=ASSET_ID)
@click.argument("set_id", metavar="SET", type=click.IntRange(1, 2**64 - 1))
def status(account, asset, set_id, as_json):
    """ASSET's certificates from SET's validators, and whether it satisfies the set now."""
    from seedbed.cli.output import Out
    from seedbed.workflows.attest import status as read_status
    from seedbed.workflows.disputes.facts import when

    o = Out(as_json)
    suite, chain = _load()
    st = read_status(suite, chain, asset, set_id)
    verdict = "satisfies" if st.satisfied else "does not satisfy"
    o.say(f"asset {st.asset} {verdict} set {st.set_id}: {st.live} live of {st.threshold} needed")
    for c in st.certificates:
        if not any(c.uid):
            o.say(f"  {c.validator}: no certificate")
            continue
        state = ("live" if c.live else "retired" if c.retired else "revoked" if c.revoked
                 else "failed" if not c.passed else "expired")  # fmt: skip
        ends = f", expires {when(c.expires)}" if c.expires else ""
        o.say(f"  {c.validator}: {state}, dated {when(c.time)}{ends}")
    o.result(st)
