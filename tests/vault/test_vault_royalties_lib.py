"""seedbed.workflows.royalties without a chain: the split arithmetic, lineage, tree matching, claim
planning and formatting."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedbed.core.errors import InputError
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.royalties import (
    ETHER,
    AssetNode,
    ClaimLine,
    Edge,
    Lineage,
    Target,
    Trees,
    entitlement,
    fee_of,
    flow_shares,
    flows_to_send,
    format_table,
    parse_asset_id,
    share_text,
    split,
)

A, B = b"\xaa" * 20, b"\xbb" * 20


def test_split_rounds_the_upstream_part_down():
    assert split(7, 3333) == (5, 2)
    assert split(1, 3333) == (1, 0)
    assert split(12345, 0) == (12345, 0)
    assert split(12345, 10_000) == (0, 12345)
    assert fee_of(39, 250) == 0 and fee_of(40, 250) == 1


def test_flow_remainder_goes_to_the_last_listed_parent():
    edges = [Edge(9, 1000, 0), Edge(3, 1000, 5000), Edge(5, 1000, 0)]
    shares = flow_shares(12, 302, edges)
    assert [(s.parent, s.amount) for s in shares] == [(9, 100), (3, 100), (5, 102)]
    assert (shares[1].to_contributors, shares[1].to_upstream) == (50, 50)
    assert {s.child for s in shares} == {12}


@given(
    moved=st.integers(0, 10**30),
    shares=st.lists(st.integers(1, 625), min_size=1, max_size=16),
    ups=st.lists(st.integers(0, 10_000), min_size=16, max_size=16),
)
def test_flow_shares_add_up_and_only_the_last_parent_gains_from_rounding(moved, shares, ups):
    edges = [Edge(i + 1, s, u) for i, (s, u) in enumerate(zip(shares, ups, strict=False))]
    out = flow_shares(99, moved, edges)
    assert sum(s.amount for s in out) == moved
    total = sum(shares)
    for i, s in enumerate(out):
        exact = Fraction(moved * edges[i].share_bps, total)
        assert (s.amount >= exact) if i == len(out) - 1 else (exact - 1 < s.amount <= exact)
        assert s.to_contributors + s.to_upstream == s.amount


def test_entitlement_is_floored_and_never_negative():
    assert entitlement(100, 1, 3, 0) == 33
    assert entitlement(100, 1, 3, 33) == 0
    assert entitlement(100, 1, 3, 40) == 0  # more claimed than the share: nothing, not < 0


def test_parse_asset_id():
    assert parse_asset_id(" 12 ") == 12 and parse_asset_id(3) == 3
    for bad in ("0", "-1", "x", "1.5", ""):
        with pytest.raises(InputError, match="not an asset id"):
            parse_asset_id(bad)


def test_format_table_aligns_columns():
    lines = format_table(("asset", "amount"), [("1", "0.5 ETH"), ("12", "10 ETH")])
    assert lines == ["asset   amount", "1      0.5 ETH", "12      10 ETH"]
    assert format_table(("a", "b"), [("x", "y")], align="ll") == ["a  b", "x  y"]
    assert share_text(3, 4) == "3/4 (75%)"


def _node(asset_id, parents=(), root=b"r", total=1):
    return AssetNode(asset_id, root, total, sum(p.share_bps for p in parents), tuple(parents))


def test_lineage_finds_children_and_assets_of_a_tree():
    lineage = Lineage(
        [
            _node(1, root=b"x"),
            _node(2, [Edge(1, 100, 0)], root=b"x", total=2),
            _node(3, [Edge(1, 100, 0), Edge(2, 100, 0)], root=b"x"),
        ]
    )
    assert lineage.children(1) == [2, 3] and lineage.children(2) == [3]
    assert lineage.children(3) == []
    assert lineage.with_contributors(b"x", 1) == [1, 3]


def _line(asset_id, accrued, inflow, feeders, weight=1, total=2):
    target = Target(asset_id, "t", weight, total, [])
    return ClaimLine(target, ETHER, accrued, 0, inflow, tuple(feeders))


def test_claim_lines_and_the_flows_worth_sending():
    helped = _line(1, accrued=10, inflow=4, feeders=[5, 7])
    useless = _line(2, accrued=10, inflow=1, feeders=[9])  # 11 / 2 still floors to 5
    assert (helped.now, helped.after_flows, helped.flows_help) == (5, 7, True)
    assert (useless.now, useless.after_flows, useless.flows_help) == (5, 5, False)
    again = _line(3, accrued=0, inflow=4, feeders=[7])  # child 7 feeds two targets
    flows = flows_to_send([helped, useless, again])
    assert [(child, c.symbol) for child, c in flows] == [(7, "ETH"), (5, "ETH")]


def test_trees_match_by_root_and_total(tmp_path):
    tree = ContributorTree.build({A: 3, B: 1})
    path = tmp_path / "t.sbtree"
    tree.save(path)
    trees = Trees([path])
    assert trees.for_root(tree.root, 4)[0] == str(path)
    assert trees.for_root(tree.root, 5) is None  # same root, other total: not this tree
    with pytest.raises(InputError, match="--tree"):
        Trees([])
    with pytest.raises(InputError, match="Cannot read the tree"):
        Trees([tmp_path / "missing.sbtree"])


def test_the_project_decoder_names_any_contracts_error_with_its_values(project):
    from vault_helpers import error_data

    from seedbed.chain.reverts import project_decoder

    data = error_data("RoyaltyVaultNothingToFlow(uint256,address)", 7, "0x" + "00" * 20)
    shown = str(project_decoder().decode(bytes.fromhex(data[2:])))
    assert shown == f"RoyaltyVaultNothingToFlow(assetId=7, currency=0x{'00' * 20})"
    # An error raised by another contract and bubbled through the vault is named too.
    other = error_data("AssetRegistryUnknownAsset(uint256)", 9)
    assert str(project_decoder().decode(bytes.fromhex(other[2:]))) == (
        "AssetRegistryUnknownAsset(assetId=9)"
    )
    # OpenZeppelin's errors are in the inherited ABIs.
    oz = error_data("ERC721NonexistentToken(uint256)", 5)
    assert (
        str(project_decoder().decode(bytes.fromhex(oz[2:]))) == "ERC721NonexistentToken(tokenId=5)"
    )
    unknown = error_data("NoSuchError(uint256)", 1)
    assert project_decoder().decode(bytes.fromhex(unknown[2:])).name == "unknown error"
