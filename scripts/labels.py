"""A labelling campaign's annotators as the contributor weights a publisher registers with.

    ape run labels commit --gold GOLD.json [--salt 0xSALT] [--json]
    ape run labels score EXPORT (--label-studio | --csv) --out DIR
        [--gold GOLD.json [--salt 0xSALT [--commitment 0xC]]] [--addresses NAMES.csv]
        [--method majority|dawid_skene] [--item-key KEY] [--from-name NAME] [--json]
    ape run labels merge --part CSV:SHARE --part CSV:SHARE... --out DIR [--json]

Before the campaign, the requester commits to its gold (known-answer) items: `commit` prints
a fresh salt (keep it secret until the reveal) and the commitment to publish,
keccak256(salt || sha256(canonical gold JSON)) (seedbed.core.labels.gold).

After it, `score` reads the export (a Label Studio JSON export, or a CSV with the header
item,annotator,label[,reviewer,verdict]; reviews come from the export itself), checks the
revealed gold and salt against --commitment first, scores every annotator by the documented
rule (seedbed.core.labels.scores: gold accuracy and agreement as Cohen's kappa, spammers get
nothing, reviewers a share) and writes to DIR:

    contributors.csv      address,weight: `ape run register FOLDER --contributors` takes it
    contributors.sbtree   the same weights' ContributorTree
    quality-report.json   method, parameters, inputs' sha256, per-annotator rows, method hash

`merge` gives groups fixed shares of one tree, by the documented rule of
seedbed.core.contributor_merge: e.g. the campaign's contributors.csv with 95% and the
validators who checked the dataset with 5%, so they too are paid on every later use.

Nothing is written until everything is read and scored, each file atomically, and a rerun of
the same inputs writes the same bytes. Annotators named by e-mail or user id are mapped to
addresses by --addresses (a CSV name,address). No chain is used: no --account, and --network
is ignored.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import OfflineCommand, SeedbedGroup
from seedbed.cli.options import json_option
from seedbed.cli.types import HEX32
from seedbed.core.errors import InputError

METHODS = ("majority", "dawid_skene")


@click.group(cls=SeedbedGroup)
def cli() -> None:
    """Labels and quality: commit to the gold items before a campaign (commit); score its
    annotators into contributor weights after it (score); give groups fixed shares of one tree
    (merge). See each one's --help."""


def _gold_option(help: str, required: bool = False) -> Any:
    return click.option(
        "--gold",
        "gold_path",
        required=required,
        type=click.Path(path_type=Path),
        help=help,
    )


@cli.command("commit", cls=OfflineCommand)
@_gold_option("The gold labels: a JSON object {item: label}.", required=True)
@click.option("--salt", type=HEX32, help="Reuse this salt (default: a fresh random one).")
@json_option()
def commit(gold_path: Path, salt: bytes | None, as_json: bool) -> None:
    """Print a salt and the commitment to the gold labels: publish the commitment before the
    campaign, keep the salt (and the gold) secret until the campaign is scored."""
    from seedbed.cli.output import Out
    from seedbed.core.labels import gold_commitment, new_salt
    from seedbed.workflows.lifecycle import read_gold

    out_ = Out(as_json)
    gold = read_gold(gold_path)
    fresh = salt is None
    salt = new_salt() if salt is None else salt
    commitment = gold_commitment(gold, salt)
    out_.say(f"gold: {len(gold)} items from {gold_path}")
    note = "fresh: keep it secret until the reveal" if fresh else "as given"
    out_.say(f"  salt       0x{salt.hex()} ({note})")
    out_.say(f"  commitment 0x{commitment.hex()} (publish it before the campaign starts)")
    out_.say(
        f"after the campaign: ape run labels score EXPORT ... --gold {gold_path} "
        f"--salt 0x{salt.hex()} --commitment 0x{commitment.hex()}"
    )
    out_.result({"items": len(gold), "salt": salt, "fresh_salt": fresh, "commitment": commitment})


@cli.command("score", cls=OfflineCommand)
@click.argument("export", type=click.Path(path_type=Path))
@click.option("--label-studio", "label_studio", is_flag=True, help="EXPORT is Label Studio JSON.")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="EXPORT is a CSV (item,annotator,label[,reviewer,verdict]).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for contributors.csv, contributors.sbtree and quality-report.json.",
)
@_gold_option("The revealed gold labels: a JSON object {item: label}.")
@click.option("--salt", type=HEX32, help="The gold's salt (from `labels commit`).")
@click.option(
    "--commitment", type=HEX32, help="The published gold commitment: checked before scoring."
)
@click.option(
    "--addresses",
    "addresses_path",
    type=click.Path(path_type=Path),
    help="CSV name,address for annotators not named by a 0x address.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="majority",
    show_default=True,
    help="The aggregate labels are checked against: majority vote or Dawid-Skene.",
)
@click.option("--item-key", help="Label Studio: name items by data[KEY] instead of task id.")
@click.option("--from-name", help="Label Studio: the classification to read, if several.")
@json_option()
def score(
    export: Path,
    label_studio: bool,
    as_csv: bool,
    out: Path,
    gold_path: Path | None,
    salt: bytes | None,
    commitment: bytes | None,
    addresses_path: Path | None,
    method: str,
    item_key: str | None,
    from_name: str | None,
    as_json: bool,
) -> None:
    """Score the annotators of EXPORT and write their weights to --out (see the module notes);
    print the tree's root and total, the method hash, who is paid and who is flagged, and the
    `ape run register` line that registers these weights."""
    from seedbed.cli.output import Out
    from seedbed.core.labels import (
        Rule,
        check_gold_reveal,
        gold_commitment,
        read_addresses,
        read_csv,
        read_label_studio,
    )
    from seedbed.workflows.lifecycle import (
        QUALITY_REPORT,
        check_out,
        read_gold,
        register_line,
        write_weights,
    )

    out_ = Out(as_json)
    _check_choices(label_studio, as_csv, gold_path, salt, commitment, item_key, from_name)
    check_out(out, QUALITY_REPORT, [export, gold_path, addresses_path])
    gold = read_gold(gold_path) if gold_path is not None else None
    opened = None
    if gold is not None and salt is not None:
        opened = gold_commitment(gold, salt)
        if commitment is not None:
            check_gold_reveal(commitment, gold, salt)
    if label_studio:
        if not export.is_file():
            raise InputError(f"EXPORT {export} is not a file.")
        labels = read_label_studio(export, item_key=item_key, from_name=from_name)
    else:
        labels = read_csv(export)
    addresses = read_addresses(addresses_path) if addresses_path is not None else None
    report = _report(labels, gold, Rule(method=method), addresses)
    written = write_weights(out, report.tree, report.weights, QUALITY_REPORT, report.to_json())
    rows = _rows(report)
    _summary(out_, report, rows, gold, commitment is not None, written)
    register = register_line(written.contributors)
    out_.say(f"next: {register}")
    gold_info: dict[str, Any] | None = None
    if gold is not None:
        gold_info = {"items": len(gold), "commitment_checked": commitment is not None}
        if opened is not None:
            gold_info["commitment"] = opened
    out_.result(
        {
            "root": report.tree.root,
            "total": report.tree.total,
            "contributors": report.tree.count,
            "method": report.method,
            "method_hash": report.method_hash,
            "gold": gold_info,
            "annotators": rows,
            "files": written,
            "register": register,
        }
    )


def _check_choices(
    label_studio: bool,
    as_csv: bool,
    gold: Path | None,
    salt: bytes | None,
    commitment: bytes | None,
    item_key: str | None,
    from_name: str | None,
) -> None:
    """The options that only go together (or apart)."""
    if label_studio == as_csv:
        raise InputError("Say what EXPORT is: --label-studio (JSON export) or --csv.")
    if as_csv and (item_key is not None or from_name is not None):
        raise InputError("--item-key and --from-name are for a Label Studio export only.")
    if salt is not None and gold is None:
        raise InputError("--salt goes with --gold (the revealed gold labels).")
    if commitment is not None and (gold is None or salt is None):
        raise InputError("--commitment is checked against --gold and --salt: give both.")


def _report(labels: Any, gold: Any, rule: Any, addresses: Any) -> Any:
    from seedbed.core.labels import quality_report

    try:
        return quality_report(labels.annotations, gold, labels.reviews, rule, addresses)
    except ImportError as err:  # crowd-kit is only needed for Dawid-Skene
        raise InputError(
            f"--method dawid_skene needs crowd-kit, which is not installed ({err.name})."
        ) from None


def _rows(report: Any) -> list[dict[str, Any]]:
    """The report's annotator rows, each with its address's weight and a status."""
    from seedbed.core.addresses import parse_address

    rows = []
    for row in report.rows:
        weight = report.weights.get(parse_address(str(row["address"])), 0)
        flagged = bool(row["labels"]) and row["quality"] == 0
        if weight and flagged:
            status = "paid for reviews; labels flagged (quality 0)"
        elif weight:
            status = "paid"
        elif flagged:
            status = "flagged (quality 0): not paid"
        else:
            status = "not paid (no paid labels)"
        rows.append({**row, "weight": weight, "flagged": flagged, "status": status})
    return rows


def _summary(
    out_: Any, report: Any, rows: list[dict[str, Any]], gold: Any, checked: bool, written: Any
) -> None:
    labels = sum(int(r["labels"]) for r in rows)
    how = "majority vote" if report.method == "majority" else "Dawid-Skene"
    if gold is None:
        gold_note = "no gold items"
    else:
        gold_note = f"{len(gold)} gold items, " + (
            "matching the commitment" if checked else "not checked against a commitment"
        )
    out_.say(f"scored {labels} labels by {len(rows)} people ({how}; {gold_note})")
    for r in rows:
        accuracy = "-" if r["gold_accuracy"] is None else f"{r['gold_accuracy']:.0%}"
        agreement = "-" if r["agreement"] is None else f"{r['agreement']:.0%}"
        out_.say(
            f"  {r['name']} ({r['address']}): {r['labels']} labels, gold {accuracy}, "
            f"agreement {agreement}, quality {r['quality']:.2f}, {r['paid_labels']} accepted, "
            f"{r['reviews_given']} reviews, weight {r['weight']}: {r['status']}"
        )
    paid = sum(1 for r in rows if r["weight"])
    flagged = sum(1 for r in rows if r["flagged"])
    out_.say(f"{paid} of {len(rows)} paid, {flagged} flagged")
    out_.say(f"  root        0x{report.tree.root.hex()}")
    out_.say(f"  total       {report.tree.total} ({report.tree.count} contributors)")
    out_.say(f"  method hash 0x{report.method_hash.hex()}")
    out_.say(f"wrote {written.contributors}, {written.tree}, {written.report}")


@cli.command("merge", cls=OfflineCommand)
@click.option(
    "--part",
    "parts",
    multiple=True,
    required=True,
    metavar="CSV:SHARE",
    help="A contributors CSV and its share of the tree (bps or %); shares add to 100%.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for contributors.csv, contributors.sbtree and merge-report.json.",
)
@json_option()
def merge(parts: tuple[str, ...], out: Path, as_json: bool) -> None:  # fmt: skip
    """Merge contributor files by fixed shares into one tree (a validators' share)."""
    from seedbed.cli.output import Out
    from seedbed.workflows.lifecycle import merge_files, parse_part, register_line

    out_ = Out(as_json)
    parsed = [parse_part(p) for p in parts]
    written, tree = merge_files(parsed, out)
    for path, share in parsed:
        out_.say(f"  {share / 100:g}% to {path}")
    out_.say(
        f"merged {tree.count} contributors: root 0x{tree.root.hex()}, in {written.contributors}"
    )
    register = register_line(written.contributors)
    out_.say(f"next: {register}")
    out_.result({"root": tree.root, "total": tree.total, "contributors": tree.count,
                 "files": written, "register": register})  # fmt: skip
