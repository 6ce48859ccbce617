"""Contributor weights from CSV files and annotation logs."""

import pytest

from seedbed.core.addresses import to_checksum_address
from seedbed.core.contributors import parse_contributors, read_contributors
from seedbed.core.errors import InputError

A = "0x" + "11" * 20
B = "0x" + "22" * 20
C = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 mixed case
RAW = {a: bytes.fromhex(a[2:]) for a in (A, B, C)}


def parse(text: str) -> dict[bytes, int]:
    return parse_contributors(text.splitlines(keepends=True), "c.csv")


def fails(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse(text)


def test_weights_without_header():
    assert parse(f"{A},5\n{B},7\n") == {RAW[A]: 5, RAW[B]: 7}


def test_weights_with_header_in_any_case_and_order():
    assert parse(f"Weight, Address\n3,{A}\n") == {RAW[A]: 3}
    assert parse(f"address,weight\n{C},2\n") == {RAW[C]: 2}


def test_an_address_listed_twice_is_refused_whatever_its_case():
    """Issue 15: the tooling merged repeated rows silently; a repeat is refused, naming both
    lines (an annotation log, where repeats are the format, still counts them)."""
    with pytest.raises(InputError, match=r"line 3: 0x\w+ is listed again \(first on line 1\)"):
        parse(f"{A},5\n{B},1\n{A},2\n")
    with pytest.raises(InputError, match="listed again"):
        parse(f"{C},1\n{C.lower()},1\n")
    assert parse(f"address,item,accepted\n{A},i1,1\n{A},i2,1\n") == {RAW[A]: 2}


@pytest.mark.parametrize("layout", ["weights", "log"])
def test_the_zero_address_is_refused_as_a_contributor(layout):
    zero = "0x" + "00" * 20
    text = f"{A},1\n{zero},3\n" if layout == "weights" else f"{A},i,1\n{zero},j,1\n"
    with pytest.raises(InputError, match="line 2: the zero address cannot be a contributor"):
        parse(text)


def test_blank_lines_spaces_and_bom_are_tolerated(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(f"\ufeffaddress,weight\n\n {A} , 4 \n,\n".encode())
    assert read_contributors(path) == {RAW[A]: 4}


def test_annotation_log_counts_accepted_rows():
    text = (
        "address,item,accepted\n"
        f"{A},img-1,1\n{A},img-2,true\n{A},img-3,no\n"
        f"{B},img-1,YES\n{B},img-4,0\n{C},img-5,False\n"
    )
    # C has no accepted row: no weight, so not in the tree.
    assert parse(text) == {RAW[A]: 2, RAW[B]: 1}


def test_annotation_log_without_header_is_told_by_its_three_columns():
    assert parse(f"{A},x,1\n{A},y,1\n") == {RAW[A]: 2}


def test_a_large_log_round_trips_checksummed(tmp_path):
    people = [bytes([i]) * 20 for i in range(1, 40)]
    lines = ["address,item,accepted"]
    for i, raw in enumerate(people):
        lines += [f"{to_checksum_address(raw)},item{j},1" for j in range(i + 1)]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines))
    assert read_contributors(path) == {raw: i + 1 for i, raw in enumerate(people)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no contributor rows"),
        ("\n\n", "no contributor rows"),
        ("address,weight\n", "no contributor rows"),
        (f"{A},5,1,2\n", "line 1: expected address,weight or address,item,accepted"),
        ("address,what\n", "line 1: the header must name"),
        ("weight,address,item\n", "line 1: the header must name"),
        (f"{A[2:]},5\n", "line 1: '1111.*' is not an address"),
        ("who,what\n", "line 1: 'who' is not an address"),
        (f"{A},5\n{B}\n", "line 2: expected 2 columns, found 1"),
        (f"{A},5\n0x1234,5\n", "line 2: '0x1234' is not an address"),
        (f"{A},5\n\n{C[:-1]}D,5\n", "line 3: .* wrong EIP-55 checksum"),
        (f"{A},0\n", "line 1: the weight is zero"),
        (f"{A},-3\n", "line 1: the weight '-3' is not a positive whole number"),
        (f"{A},1.5\n", "line 1: the weight '1.5' is not a positive whole number"),
        (f"{A},abc\n", "line 1: the weight 'abc' is not"),
        (f"{A},1_000\n", "line 1: the weight '1_000' is not"),
        (f"{A},\n", "line 1: the weight '' is not"),
        (f"{A},{2**96}\n", "line 1: the weight 79228162514264337593543950336 does not fit"),
        (f"{A},{2**95}\n{B},{2**95}\n", "total weight .* does not fit in uint96"),
        (f"{A},{2**95}\n{A},{2**95}\n", "line 2: .* is listed again"),
        (f"{A},x,0\n{B},y,no\n", "accepts no row, so every weight is zero"),
        (f"address,item,accepted\n{A},x,maybe\n", "line 2: accepted must be 1/0"),
        (f"address,item,accepted\n{A},,1\n", "line 2: the item is empty"),
        (f'{A},"5\n', "line 1: malformed CSV"),
    ],
)
def test_bad_input_names_the_line(text, message):
    fails(text, message)


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(f"{A},0\n")
    with pytest.raises(InputError, match="people.csv, line 1"):
        read_contributors(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="Cannot read .*missing.csv"):
        read_contributors(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_contributors(tmp_path)
    binary = tmp_path / "c.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        read_contributors(binary)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(f"{A},1\n{B},\x002\n".encode())
    with pytest.raises(InputError, match="line 2"):
        read_contributors(nul)
