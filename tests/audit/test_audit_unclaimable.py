"""The audit reports money nobody can ever claim, and funds sent to the wrong contract, as
failures with the amounts (issue 15, part 3). Every situation is built on anvil through the
contracts as they are today; a clean chain has none of these findings."""

import os

import ape
import pytest

from seedbed.core.constants import DATASET, ETH, MODEL
from seedbed.core.sumtree import leaf_records, parent_records, unpack
from seedbed.core.treefile import MAGIC, ContributorTree

STRANDED = "Stranded: sent outside the protocol's functions"
SHARE_CHECKS = ("no zero-address contributor", "no duplicate contributor", "dust within bound")


def failures(result, check):
    return [f for f in result.findings.failures if f.check == check]


def failed_checks(result):
    return {f.check for f in result.findings.failures}


def register_raw(registry, publisher, root, total, parents=()):
    """Register a contributors commitment as given: the registry checks neither."""
    receipt = registry.register(
        DATASET,
        os.urandom(32),
        root,
        total,
        "ipfs://x",
        b"\x11" * 32,
        list(parents),
        sender=publisher,
    )
    return receipt.events.filter(registry.AssetRegistered)[0].assetId


def fund(token, vault, deployer):
    token.mint(deployer, 10**21, sender=deployer)
    token.approve(vault, 10**21, sender=deployer)


# -- 1. a registered total that is not the tree's sum -------------------------------------------


def test_total_not_the_tree_sum_locks_accrued_and_pending_upstream_revenue(
    audit,
    registry,
    vault,
    register_asset,
    contributors_of,
    publisher,
    alice,
    bob,
    stranger,
    deployer,
    token,
    tmp_path,
):
    people = contributors_of({alice.address: 1, bob.address: 3})
    parent = register_raw(registry, publisher, people.root, people.total + 1)
    child, _ = register_asset(publisher, {alice.address: 1}, parents=[(parent, 3_000)], kind=MODEL)
    fund(token, vault, deployer)
    vault.pay(parent, ETH, 10**18, value=10**18, sender=deployer)
    vault.pay(parent, token, 10**6, sender=deployer)
    vault.pay(child, ETH, 10**18, value=10**18, sender=deployer)
    vault.flowUpstream(child, ETH, sender=stranger)  # 0.3 ETH into the parent's pool
    vault.pay(child, ETH, 5 * 10**17, value=5 * 10**17, sender=deployer)  # 0.15 ETH pending
    weight, proof = people.proof(alice.address)
    for currency in (ETH, token):
        with ape.reverts(vault.RoyaltyVaultInvalidProof):
            vault.claim(parent, currency, alice, weight, proof, sender=alice)
    tree = tmp_path / "parent.sbtree"
    people.tree.save(tree)

    result = audit(trees={parent: tree})
    assert not result.ok
    assert failed_checks(result) == {"registered total = tree sum"}
    locked = {f.currency: f for f in failures(result, "registered total = tree sum")}
    assert set(locked) == {ETH, token.address.lower()}
    assert locked[ETH].found == 10**18 + 3 * 10**17 + 15 * 10**16
    assert locked[token.address.lower()].found == 10**6
    assert all(f.asset == parent for f in locked.values())
    assert "reverts InvalidProof" in locked[ETH].message
    assert "(1300000000000000000 accrued, 150000000000000000 pending upstream" in (
        locked[ETH].message
    )
    html = result.paths["html"].read_text()
    assert 'id="verdict">FAILED<' in html and "reverts InvalidProof" in html


def test_total_mismatch_with_nothing_paid_yet_still_fails(
    audit, registry, contributors_of, publisher, alice, tmp_path
):
    people = contributors_of({alice.address: 5})
    asset = register_raw(registry, publisher, people.root, 4)
    people.tree.save(tmp_path / "t.sbtree")
    (locked,) = failures(audit(trees={asset: tmp_path / "t.sbtree"}), "registered total = tree sum")
    assert locked.asset == asset and locked.currency is None and locked.found == 0
    assert "every payment to it will be locked" in locked.message


def test_a_tree_whose_root_differs_is_reported_as_the_wrong_tree_not_as_locked(
    audit, registry, contributors_of, register_asset, publisher, alice, bob, vault, deployer
):
    people = contributors_of({alice.address: 1, bob.address: 3})
    asset = register_raw(registry, publisher, people.root, people.total + 1)
    _, other_people = register_asset(publisher, {bob.address: 2})
    vault.pay(asset, ETH, 10**18, value=10**18, sender=deployer)

    result = audit(trees={asset: other_people.tree})
    (wrong,) = result.findings.failures
    assert wrong.check == "tree matches registration" and wrong.asset == asset
    assert "not this asset's tree" in wrong.message
    assert wrong.found == ["0x" + other_people.root.hex(), other_people.total]


# -- 2. a sum above 2^96 ------------------------------------------------------------------------


def test_a_tree_summing_above_uint96_cannot_even_be_loaded(tmp_path):
    """The registry's uint96 total could only be such a tree's sum wrapped; the tooling
    refuses to build one and the loader refuses a file that holds one, so the audit stops
    with an input error instead of reporting (see the part-3 report)."""
    from seedbed.core.errors import InputError

    with pytest.raises(InputError, match="does not fit in uint96"):
        ContributorTree.build({b"\x01" * 20: 2**95, b"\x02" * 20: 2**95})
    addresses = [b"\x01" * 20, b"\x02" * 20]
    leaves = leaf_records(addresses, [2**95, 2**95])
    top = parent_records(leaves)
    path = tmp_path / "wrapped.sbtree"
    path.write_bytes(_tree_bytes(addresses, [leaves, top]))
    with pytest.raises(InputError, match="total weight exceeds uint96"):
        ContributorTree.load(path)


# -- 3. the zero address as a contributor -------------------------------------------------------


def test_zero_address_share_is_lost_with_or_without_the_tree(
    audit, register_asset, vault, token, publisher, alice, stranger, deployer
):
    asset, people = register_asset(publisher, {ETH: 1, alice.address: 3})
    fund(token, vault, deployer)
    vault.pay(asset, ETH, 10**18, value=10**18, sender=deployer)
    vault.pay(asset, token, 4 * 10**6, sender=deployer)
    weight, proof = people.proof(ETH)
    vault.claim(asset, ETH, ETH, weight, proof, sender=stranger)  # anyone, into the void
    with ape.reverts():  # ERC20InvalidReceiver: the token share stays locked in the vault
        vault.claim(asset, token, ETH, weight, proof, sender=stranger)

    for trees in ({asset: people.tree}, {}):
        result = audit(trees=trees)
        assert failed_checks(result) == {"no zero-address contributor"}, trees
        lost = {f.currency: f for f in failures(result, "no zero-address contributor")}
        assert lost[ETH].found == 25 * 10**16 and lost[ETH].account == ETH
        assert lost[token.address.lower()].found == 10**6
        assert "already claimed into the void" in lost[ETH].message
        assert all(f.asset == asset for f in lost.values())


# -- 4. an address listed twice -----------------------------------------------------------------


def _tree_bytes(addresses, levels):
    root = levels[-1][0]
    header = MAGIC + len(addresses).to_bytes(8, "big") + root
    return header + b"".join(addresses) + b"".join(b"".join(level) for level in levels)


def _proof(levels, index):
    out = []
    for level in levels[:-1]:
        if index ^ 1 < len(level):
            out.append(unpack(level[index ^ 1]))
        index //= 2
    return out


def test_smaller_leaf_of_a_repeated_address_is_never_claimable(
    audit, registry, vault, publisher, alice, bob, deployer, tmp_path
):
    """The tooling merges repeated CSV rows into one leaf, but the file format (and the
    registry) accept a tree that lists an address twice: a claim pays its larger leaf only."""
    first, second = sorted([bytes.fromhex(alice.address[2:]), bytes.fromhex(bob.address[2:])])
    addresses, weights = [first, first, second], [3, 1, 2]
    levels = [leaf_records(addresses, weights)]
    while len(levels[-1]) > 1:
        levels.append(parent_records(levels[-1]))
    path = tmp_path / "twice.sbtree"
    path.write_bytes(_tree_bytes(addresses, levels))
    tree = ContributorTree.load(path)
    asset = register_raw(registry, publisher, tree.root, tree.total)
    vault.pay(asset, ETH, 6 * 10**17, value=6 * 10**17, sender=deployer)
    twice = "0x" + first.hex()
    w, proof = tree.proof(twice)
    assert w == 3
    vault.claim(asset, ETH, twice, 3, proof, sender=deployer)
    with ape.reverts(vault.RoyaltyVaultNothingToClaim):
        vault.claim(asset, ETH, twice, 1, _proof(levels, 1), sender=deployer)

    result = audit(trees={asset: path})
    assert failed_checks(result) == {"no duplicate contributor"}
    (dup,) = failures(result, "no duplicate contributor")
    assert (dup.asset, dup.account, dup.currency, dup.found) == (asset, twice, ETH, 10**17)
    assert "listed 2 times" in dup.message
    assert result.findings.tallies["claimant in tree"].failed == 0


# -- 5. funds sent to the wrong contract --------------------------------------------------------


def force_eth(chain, sender, target, amount):
    """ETH into a contract that refuses it: a contract created only to selfdestruct to it
    (PUSH20 target, SELFDESTRUCT)."""
    web3 = chain.provider.web3
    initcode = "0x73" + target[2:].lower() + "ff"
    tx = web3.eth.send_transaction({"from": sender.address, "data": initcode, "value": amount})
    web3.eth.wait_for_transaction_receipt(tx)


def test_funds_sent_to_the_wrong_contract_are_stranded_with_the_amounts(
    audit, chain, suite, economy, token, deployer
):
    vault, meter, license_token = suite.vault, suite.meter, suite.license
    token.transfer(license_token, 555, sender=deployer)
    token.transfer(meter, 666, sender=deployer)
    token.transfer(vault, 777, sender=deployer)
    force_eth(chain, deployer, license_token.address, 12_345)
    force_eth(chain, deployer, meter.address, 54_321)
    assert vault.excess(token) == 777

    result = audit(trees=economy.trees)
    tok = token.address.lower()
    stranded = {
        (f.check.split()[0], f.currency): f.found - f.expected
        for f in result.findings.failures
        if f.message.startswith(STRANDED)
    }
    assert stranded == {
        ("license", tok): 555,
        ("meter", tok): 666,
        ("vault", tok): 777,
        ("license", ETH): 12_345,
        ("meter", ETH): 54_321,
    }
    assert failed_checks(result) == {
        "license balance = books",
        "meter balance = books",
        "vault balance = books",
    }
    by_role = {f.check.split()[0]: f for f in result.findings.failures if f.currency == tok}
    assert by_role["license"].account == license_token.address.lower()
    assert "LicenseToken" in by_role["license"].message
    assert "UsageMeter" in by_role["meter"].message and "totalHeld" in by_role["meter"].message
    assert "sweepExcess" in by_role["vault"].message

    vault.sweepExcess(token, sender=deployer)
    after = audit(trees=economy.trees)
    assert {(f.check, f.currency) for f in after.findings.failures} == {
        ("license balance = books", tok),
        ("meter balance = books", tok),
        ("license balance = books", ETH),
        ("meter balance = books", ETH),
    }


# -- 6. dust above the documented bound ---------------------------------------------------------


def test_shares_that_floor_to_zero_strand_dust_beyond_one_wei_per_claim(
    audit, register_asset, vault, publisher, alice, deployer
):
    small = ["0x" + f"{i:02x}" * 20 for i in (0x11, 0x22, 0x33)]
    asset, people = register_asset(publisher, {**dict.fromkeys(small, 1), alice.address: 997})
    vault.pay(asset, ETH, 999, value=999, sender=deployer)  # each small share: 0.999 wei
    weight, proof = people.proof(alice.address)
    vault.claim(asset, ETH, alice, weight, proof, sender=alice)  # 996 wei
    weight, proof = people.proof(small[0])
    with ape.reverts(vault.RoyaltyVaultNothingToClaim):
        vault.claim(asset, ETH, small[0], weight, proof, sender=alice)

    result = audit(trees={asset: people.tree})
    assert failed_checks(result) == {"dust within bound"}
    (dust,) = failures(result, "dust within bound")
    assert (dust.asset, dust.currency, dust.found, dust.expected) == (asset, ETH, 3, 1)
    assert "3 of its 4 contributors have a share that floors to 0" in dust.message


# -- a clean chain ------------------------------------------------------------------------------


def test_clean_economy_has_none_of_these_findings(audit, economy):
    result = audit(trees=economy.trees)
    assert result.ok, [f.message for f in result.findings.failures]
    tallies = result.findings.tallies
    for check in ("registered total = tree sum", "tree matches registration", *SHARE_CHECKS):
        assert tallies[check].checked > 0 and tallies[check].failed == 0, check
    for role in ("vault", "meter", "license", "registry"):
        tally = tallies[f"{role} balance = books"]
        assert tally.checked > 0 and tally.failed == tally.warned == 0, role
