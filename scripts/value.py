"""A dataset's owners as the contributor weights a publisher registers with, by data value.

    ape run value --features FEATURES.npy --labels LABELS.npy --owners OWNERS.csv
        --val-features V.npy --val-labels VL.npy [--hashes HASHES.txt] [--k 5] --out DIR
        [--json]

Every training item (a row of FEATURES, its label in LABELS) gets its exact KNN-Shapley value
on the validation set (seedbed.core.valuation, Jia et al. 2019): how much it helps a k-nearest-
neighbour classifier label the validation items right. OWNERS is a CSV headed `owner` with
one address per training item, in item order; an owner's value is the sum of its items'.
With --hashes (one content hash per training item, hex, one a line), exact duplicates are
dropped before valuing, the first copy kept: a copy earns nothing. Owners whose value is
<= 0 (their items mislead the classifier: mislabelled or noise) are flagged and not paid;
the others are weighted by value. Writes to DIR:

    contributors.csv        address,weight: `ape run register FOLDER --contributors` takes it
    contributors.sbtree     the same weights' ContributorTree
    valuation-report.json   method hash, parameters, input hashes, per-owner values

Arrays are .npy files (numpy.save; never pickled objects). Nothing is written until every
input is read and valued, each file atomically, and a rerun writes the same bytes. No chain
is used: no --account, and --network is ignored.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option


def _path_option(name: str, help: str, required: bool = True) -> Any:
    return click.option(name, required=required, type=click.Path(path_type=Path), help=help)


@command(offline=True)
@_path_option("--features", "Training features, a .npy array: one row per item.")
@_path_option("--labels", "Training labels, a .npy array: one per item.")
@_path_option("--owners", "CSV headed `owner`: one address per training item, in order.")
@_path_option("--val-features", "Validation features, a .npy array (same columns).")
@_path_option("--val-labels", "Validation labels, a .npy array.")
@_path_option("--hashes", "One content hash per training item: duplicates dropped.", False)
@click.option(
    "--k", type=click.IntRange(min=1), default=5, show_default=True, help="Neighbours (KNN)."
)
@_path_option("--out", "Folder for contributors.csv, contributors.sbtree, valuation-report.json.")
@json_option()
def cli(
    features: Path,
    labels: Path,
    owners: Path,
    val_features: Path,
    val_labels: Path,
    hashes: Path | None,
    k: int,
    out: Path,
    as_json: bool,
) -> None:
    """Value every training item by KNN-Shapley, sum per owner, flag owners of no value and
    write the weights to --out; print the root, total and method hash, each owner's value
    and weight, and the `ape run register` line that registers these weights."""
    from seedbed.cli.output import Out
    from seedbed.workflows import lifecycle as lc

    out_ = Out(as_json)
    inputs = {
        "--features": features,
        "--labels": labels,
        "--val-features": val_features,
        "--val-labels": val_labels,
    }
    lc.check_out(out, lc.VALUATION_REPORT, [*inputs.values(), owners, hashes])
    arrays = {option: lc.load_array(path, option) for option, path in inputs.items()}
    owner_list = lc.read_owners(owners)
    hash_list = lc.read_hashes(hashes) if hashes is not None else None
    report = lc.valuation_report(
        arrays["--features"],
        arrays["--labels"],
        owner_list,
        arrays["--val-features"],
        arrays["--val-labels"],
        hashes=hash_list,
        k=k,
    )
    written = lc.write_weights(
        out, report.tree, report.weights, lc.VALUATION_REPORT, report.to_json()
    )
    _summary(out_, report, written)
    register = lc.register_line(written.contributors)
    out_.say(f"next: {register}")
    out_.result(
        {
            "root": report.tree.root,
            "total": report.tree.total,
            "contributors": report.tree.count,
            "method_hash": report.method_hash,
            "items": report.items,
            "kept": report.kept,
            "owners": report.owners,
            "flagged": [o.address for o in report.flagged],
            "files": written,
            "register": register,
        }
    )


def _summary(out_: Any, report: Any, written: Any) -> None:
    dropped = report.items - report.kept
    out_.say(
        f"valued {report.kept} training items of {len(report.owners)} owners by KNN-Shapley "
        f"(k={report.parameters['k']}; {dropped} duplicates dropped)"
    )
    for o in report.owners:
        if o.flagged:
            status = "flagged (value <= 0): not paid"
        elif o.weight:
            status = "paid"
        else:
            status = "not paid (every item a duplicate)"
        copies = f" ({o.duplicates} duplicates dropped)" if o.duplicates else ""
        out_.say(
            f"  {o.address}: {o.items} items{copies}, value {o.value:.6g}, weight {o.weight}: "
            f"{status}"
        )
    paid = sum(1 for o in report.owners if o.weight)
    out_.say(f"{paid} of {len(report.owners)} owners paid, {len(report.flagged)} flagged")
    out_.say(f"  root        0x{report.tree.root.hex()}")
    out_.say(f"  total       {report.tree.total} ({report.tree.count} contributors)")
    out_.say(f"  method hash 0x{report.method_hash.hex()}")
    out_.say(f"wrote {written.contributors}, {written.tree}, {written.report}")
