"""Import a campaign: Label Studio JSON exports, CSV logs, and the names -> addresses map.

Label Studio: a list of tasks {"id", "data", "annotations": [...]}; each annotation has
"completed_by" (a user id, or {"id", "email"}), "result" (one classification:
{"value": {"choices": [label]}}) and "was_cancelled" (skipped: cancelled work is not a
label). Reviews (Label Studio Enterprise) are read from an annotation's "reviews" list or
the task's "reviews" list (with "annotation": its id), each {"created_by", "accepted"}.
A user is named by e-mail when the export gives one, else by id; either can be mapped to
an address through `read_addresses`.

CSV: a header `item,annotator,label[,reviewer,verdict]`; a label reviewed by several
reviewers is repeated once per reviewer. Verdicts: accept/reject, 1/0, true/false, yes/no.
"""

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from seedbed.core.addresses import parse_address
from seedbed.core.errors import InputError
from seedbed.core.labels.model import Annotation, Labels, Review, check_labels

_VERDICTS = {
    "accept": True, "accepted": True, "1": True, "true": True, "yes": True,
    "reject": False, "rejected": False, "0": False, "false": False, "no": False,
}  # fmt: skip
_CSV_COLUMNS = ("item", "annotator", "label", "reviewer", "verdict")


def read_label_studio(
    path_or_json: str | os.PathLike[str] | bytes | list[Any],
    *,
    item_key: str | None = None,
    from_name: str | None = None,
) -> Labels:
    """The labels and reviews of a Label Studio JSON export.

    `path_or_json` is a file path, JSON text (str starting with "[" or bytes) or the parsed
    list. Items are named by task id, or by `data[item_key]` (a file name or hash) if given;
    `from_name` picks one classification when the labelling config has several."""
    tasks, source = _load_json(path_or_json)
    if not isinstance(tasks, list):
        raise InputError(f"{source} is not a Label Studio export (a JSON list of tasks).")
    annotations: list[Annotation] = []
    reviews: list[Review] = []
    for n, task in enumerate(tasks):
        item = _task_item(task, item_key, f"{source}, task #{n}")
        where = f"{source}, task {item!r}"
        by_id: dict[Any, str] = {}
        for entry in _list(task, "annotations", where):
            if not isinstance(entry, dict):
                raise InputError(f"{where}: an annotation is not a JSON object.")
            if entry.get("was_cancelled"):
                continue
            who = _user(entry.get("completed_by"), f"{where}, annotation {entry.get('id')}")
            annotations.append(Annotation(item, who, _choice(entry, from_name, where, who)))
            by_id[entry.get("id")] = who
            reviews.extend(_reviews(entry.get("reviews", []), item, who, where))
        for review in _list(task, "reviews", where):
            if not isinstance(review, dict) or review.get("annotation") not in by_id:
                raise InputError(f"{where}: a review names no annotation of this task.")
            reviews.extend(_reviews([review], item, by_id[review["annotation"]], where))
    check_labels(annotations, reviews)
    return Labels(annotations, reviews)


def read_task_items(
    path_or_json: str | os.PathLike[str] | bytes | list[Any], *, item_key: str | None = None
) -> list[str]:
    """The item names of a Label Studio export's tasks (labelled or not), named as
    `read_label_studio` names them: by task id, or by data[item_key]."""
    tasks, source = _load_json(path_or_json)
    if not isinstance(tasks, list):
        raise InputError(f"{source} is not a Label Studio export (a JSON list of tasks).")
    return [_task_item(task, item_key, f"{source}, task #{n}") for n, task in enumerate(tasks)]


def read_csv(path: str | os.PathLike[str]) -> Labels:
    """The labels and reviews of a CSV log (see the module notes)."""
    annotations: dict[tuple[str, str], Annotation] = {}
    reviews: list[Review] = []
    rows = _csv_rows(path)
    header, line = next(rows, ([], 0))
    columns = [c.lower() for c in header]
    if columns not in (list(_CSV_COLUMNS[:3]), list(_CSV_COLUMNS)):
        raise InputError(
            f"{path}, line {line or 1}: the header must be item,annotator,label"
            f"[,reviewer,verdict], not {','.join(header) or 'empty'}."
        )
    for cells, line in rows:
        if len(cells) != len(columns):
            raise InputError(
                f"{path}, line {line}: expected {len(columns)} columns, found {len(cells)}."
            )
        where = f"{path}, line {line}"
        item, annotator, label = cells[:3]
        if not (item and annotator and label):
            raise InputError(f"{where}: item, annotator and label must not be empty.")
        key = (item, annotator)
        reviewer, verdict = (cells[3], cells[4]) if len(cells) == 5 else ("", "")
        known = annotations.get(key)
        if known is not None and (known.label != label or not reviewer):
            raise InputError(f"{where}: {annotator} already labelled item {item!r}.")
        annotations[key] = Annotation(item, annotator, label)
        if reviewer or verdict:
            if not reviewer:
                raise InputError(f"{where}: a verdict without a reviewer.")
            reviews.append(Review(item, annotator, reviewer, _verdict(verdict, where)))
    labels = Labels(list(annotations.values()), reviews)
    check_labels(*labels)
    return labels


def read_addresses(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """{name: 20-byte address} from a CSV with the header `name,address`."""
    rows = _csv_rows(path)
    header, _ = next(rows, ([], 0))
    if [c.lower() for c in header] != ["name", "address"]:
        raise InputError(f"{path}: the header must be name,address.")
    names: dict[str, bytes] = {}
    for cells, line in rows:
        if len(cells) != 2 or not cells[0]:
            raise InputError(f"{path}, line {line}: expected a name and an address.")
        if cells[0] in names:
            raise InputError(f"{path}, line {line}: {cells[0]!r} is listed twice.")
        try:
            names[cells[0]] = parse_address(cells[1])
        except InputError as err:
            raise InputError(f"{path}, line {line}: {err}") from err
    return names


def resolve_names(names: Iterable[str], addresses: Mapping[str, bytes] | None) -> dict[str, bytes]:
    """{name: address}: a 0x name is its own address, any other is looked up in `addresses`."""
    resolved: dict[str, bytes] = {}
    missing: list[str] = []
    for name in sorted(set(names)):
        if name.startswith("0x"):
            resolved[name] = parse_address(name)
        elif addresses is not None and name in addresses:
            resolved[name] = addresses[name]
        else:
            missing.append(name)
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(
            f"{len(missing)} annotator(s) or reviewer(s) have no address: {shown} "
            "(name them by 0x address or list them in the addresses CSV)."
        )
    return resolved


def _load_json(source: str | os.PathLike[str] | bytes | list[Any]) -> tuple[Any, str]:
    if isinstance(source, list):
        return source, "the export"
    if isinstance(source, bytes) or (isinstance(source, str) and source.lstrip()[:1] in "[{"):
        text, name = source, "the export"
    else:
        name = str(source)
        try:
            text = Path(source).read_bytes()
        except OSError as err:
            raise InputError(f"Cannot read {name}: {err.strerror or err}.") from err
    try:
        return json.loads(text), name
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{name} is not valid JSON: {err}.") from err


def _task_item(task: Any, item_key: str | None, where: str) -> str:
    if not isinstance(task, dict) or "id" not in task:
        raise InputError(f"{where}: a task must be a JSON object with an id.")
    if item_key is None:
        return str(task["id"])
    value = (task.get("data") or {}).get(item_key)
    if not isinstance(value, str | int) or value == "":
        raise InputError(f"{where}: data[{item_key!r}] is missing or not text.")
    return str(value)


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{where}: {key!r} must be a list.")
    return value


def _user(user: Any, where: str) -> str:
    # Label Studio writes a user id, or an object with the id and (often) the e-mail.
    if isinstance(user, dict):
        user = user.get("email") or user.get("id")
    if isinstance(user, bool) or not isinstance(user, str | int) or user == "":
        raise InputError(f"{where}: no user (completed_by / created_by) is given.")
    return str(user)


def _choice(entry: dict[str, Any], from_name: str | None, where: str, who: str) -> str:
    results = entry.get("result")
    if not isinstance(results, list):
        raise InputError(f"{where}: the annotation by {who} has no result list.")
    choices = [
        r["value"]["choices"]
        for r in results
        if isinstance(r, dict)
        and isinstance(r.get("value"), dict)
        and "choices" in r["value"]
        and (from_name is None or r.get("from_name") == from_name)
    ]
    if len(choices) != 1 or not isinstance(choices[0], list) or len(choices[0]) != 1:
        raise InputError(
            f"{where}: the annotation by {who} must hold exactly one choice "
            f"(found {choices}); pass from_name= if the config has several."
        )
    label = choices[0][0]
    if not isinstance(label, str) or not label:
        raise InputError(f"{where}: the choice of {who} is not text: {label!r}.")
    return label


def _reviews(entries: Any, item: str, annotator: str, where: str) -> Iterator[Review]:
    if not isinstance(entries, list):
        raise InputError(f"{where}: 'reviews' must be a list.")
    for r in entries:
        accepted = r.get("accepted") if isinstance(r, dict) else None
        if not isinstance(accepted, bool):
            raise InputError(f"{where}: a review of {annotator}'s label has no accepted flag.")
        yield Review(item, annotator, _user(r.get("created_by"), where), accepted)


def _verdict(text: str, where: str) -> bool:
    try:
        return _VERDICTS[text.lower()]
    except KeyError:
        raise InputError(f"{where}: verdict {text!r} is not accept or reject.") from None


def _csv_rows(path: str | os.PathLike[str]) -> Iterator[tuple[list[str], int]]:
    """(stripped cells, line number) of the non-blank rows."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            for row in reader:
                cells = [c.strip() for c in row]
                if any(cells):
                    yield cells, reader.line_num
    except csv.Error as err:
        raise InputError(f"{path}: malformed CSV: {err}.") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path} is not UTF-8 text (byte {err.start}).") from err
    except OSError as err:
        raise InputError(f"Cannot read {path}: {err.strerror or err}.") from err
