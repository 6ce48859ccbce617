"""Contributors of an asset: weights from a CSV or an annotation log, and their tree.

Two input formats, told apart by the header or, without one, by the number of columns:

    address,weight              one row per contributor (an address listed twice is refused:
                                a repeated row is a mistake to fix, not a sum to guess)
    address,item,accepted       an annotation log; weight = number of accepted rows,
                                accepted is 1/0, true/false or yes/no (any case)

The zero address is refused in both: anyone could "claim" its share into the void.

Every problem is an InputError naming the file and line. The tree itself lives in
`seedbed.core.treefile` (ContributorTree: build, save, load, proof); it is re-exported here.
"""

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.errors import InputError
from seedbed.core.sumtree import MAX_WEIGHT, SumNode, proof_as_contract_args, verify_sum_proof
from seedbed.core.treefile import ContributorTree

__all__ = [
    "ContributorTree",
    "SumNode",
    "parse_contributors",
    "proof_as_contract_args",
    "read_contributors",
    "to_checksum_address",
    "verify_sum_proof",
]

_WEIGHTS = ("address", "weight")
_LOG = ("address", "item", "accepted")
_ZERO = bytes(20)
_ACCEPTED = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def read_contributors(path: str | os.PathLike[str]) -> dict[bytes, int]:
    """Weights by 20-byte address, from a CSV or annotation log file (see the module notes)."""
    source = Path(path)
    try:
        with open(source, encoding="utf-8-sig", newline="") as f:
            return parse_contributors(f, str(source))
    except UnicodeDecodeError as err:
        raise InputError(f"{source} is not UTF-8 text (byte {err.start}).") from err
    except IsADirectoryError as err:
        raise InputError(f"{source} is a folder, not a CSV file.") from err
    except OSError as err:
        raise InputError(f"Cannot read {source}: {err.strerror or err}.") from err


def parse_contributors(lines: Iterable[str], source: str = "input") -> dict[bytes, int]:
    """Weights by 20-byte address, from CSV text lines; `source` names them in errors."""
    reader = csv.reader(lines, strict=True)  # an unclosed quote is an error, not a field
    weights: dict[bytes, int] = {}
    first_line: dict[bytes, int] = {}  # address,weight rows: where each address was listed
    columns: dict[str, int] | None = None
    width = 0
    rows = 0
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue  # blank lines are layout, not data
            if columns is None:
                columns, width, is_header = _layout(cells, source, line)
                if is_header:
                    continue
            if len(cells) != width:
                raise InputError(
                    f"{source}, line {line}: expected {width} columns, found {len(cells)}."
                )
            try:
                address, weight = _row(cells, columns)
            except InputError as err:
                raise InputError(f"{source}, line {line}: {err.message}") from None
            rows += 1
            if address == _ZERO:
                raise InputError(
                    f"{source}, line {line}: the zero address cannot be a contributor (anyone "
                    "could claim its share into the void)."
                )
            if "weight" in columns:
                if address in first_line:
                    raise InputError(
                        f"{source}, line {line}: {to_checksum_address(address)} is listed again "
                        f"(first on line {first_line[address]}); give each contributor one row."
                    )
                first_line[address] = line
            if weight:
                weights[address] = weights.get(address, 0) + weight
    except csv.Error as err:
        raise InputError(f"{source}, line {reader.line_num}: malformed CSV ({err}).") from err
    if rows == 0:
        raise InputError(f"{source} has no contributor rows.")
    if not weights:
        raise InputError(f"{source} accepts no row, so every weight is zero.")
    total = sum(weights.values())
    if total >= MAX_WEIGHT:
        raise InputError(f"{source}: the total weight {total} does not fit in uint96.")
    return weights


def _layout(cells: list[str], source: str, line: int) -> tuple[dict[str, int], int, bool]:
    """Column positions and whether `cells` is a header; headerless, the count decides."""
    names = [cell.lower() for cell in cells]
    if names[0] in _WEIGHTS or names[0] in _LOG:
        if sorted(names) not in (sorted(_WEIGHTS), sorted(_LOG)):
            raise InputError(
                f"{source}, line {line}: the header must name the columns address,weight "
                f"or address,item,accepted, not {','.join(cells)}."
            )
        return {name: i for i, name in enumerate(names)}, len(cells), True
    for layout in (_WEIGHTS, _LOG):
        if len(cells) == len(layout):
            return {name: i for i, name in enumerate(layout)}, len(cells), False
    raise InputError(
        f"{source}, line {line}: expected address,weight or address,item,accepted, "
        f"found {len(cells)} columns."
    )


def _row(cells: list[str], columns: dict[str, int]) -> tuple[bytes, int]:
    """(address, weight) of one data row; a rejected log row weighs 0."""
    address = parse_address(cells[columns["address"]])
    if "weight" in columns:
        return address, _weight(cells[columns["weight"]])
    if not cells[columns["item"]]:
        raise InputError("the item is empty.")
    accepted = _ACCEPTED.get(cells[columns["accepted"]].lower())
    if accepted is None:
        raise InputError(
            f"accepted must be 1/0, true/false or yes/no, not {cells[columns['accepted']]!r}."
        )
    return address, int(accepted)


def _weight(text: str) -> int:
    # isdigit() alone would let int() take "1_000" or non-ASCII digits; be strict.
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"the weight {text!r} is not a positive whole number.")
    weight = int(text)
    if weight == 0:
        raise InputError("the weight is zero; leave the row out instead.")
    if weight >= MAX_WEIGHT:
        raise InputError(f"the weight {weight} does not fit in uint96.")
    return weight
