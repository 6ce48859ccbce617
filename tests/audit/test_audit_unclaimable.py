"""The audit reports money nobody can ever claim, and funds sent to the wrong contract, as
failures with the amounts (issue 15, part 3). Every situation is built on anvil through the
contracts as they are today; a clean chain has none of these findings. A registered total
that is not the tree's sum can no longer be built: the registry derives it from the root's
preimage (integrity §2.1), and the tests below show the refusal instead."""

import os

import ape
import pytest
from testkit.registering import ZERO_SALT, top_of

from seedbed.core.constants import DATASET, ETH, MODEL
from seedbed.core.sumtree import build_packed, leaf_records, parent_records, root_of_top, unpack
from seedbed.core.treefile import MAGIC, ContributorTree, pack_tree

STRANDED = "Stranded: sent outside the protocol's functions"
SHARE_CHECKS = ("no zero-address contributor", "no duplicate contributor", "dust within bound")


def failures(result, check):
    return [f for f in result.findings.failures if f.check == check]


def failed_checks(result):
    return {f.check for f in result.findings.failures}


def register_top(registry, publisher, top, parents=()):
    """Register a contributors root's preimage as given (the registry derives root and total
    from it; it cannot see the leaves below)."""
    receipt = registry.register(
        DATASET,
        os.urandom(32),
        ZERO_SALT,
        list(top),
        "ipfs://x",
        b"\x11" * 32,
        list(parents),
        sender=publisher,
    )
    return receipt.events.filter(registry.AssetRegistered)[0].assetId


def fund(token, vault, deployer):
    token.mint(deployer, 10**21, sender=deployer)
    token.approve(vault, 10**21, sender=deployer)


# -- 1. a registered total that is not the tree's sum: no longer possible -----------------------


def test_a_total_that_is_not_the_tree_sum_cannot_be_registered(
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
    """The registry derives the total from the root's preimage: a lie about a child's sum
    names another root (with the lie as its total), never the tree's root with a wrong total,
    so what accrues to a registered tree, directly or from upstream, is claimable in full."""
    people = contributors_of({alice.address: 1, bob.address: 3})
    (h0, s0), (h1, s1) = people.top
    for top in ([(h0, s0 + 1), (h1, s1)], [(h0, s0), (h1, s1 - 1)]):
        lied = register_top(registry, publisher, top)
        root, total = registry.contributors(lied)
        assert (bytes(root), total) == root_of_top(top)
        assert bytes(root) != people.root
    parent = register_top(registry, publisher, people.top)
    assert tuple(registry.contributors(parent)) == (people.root, people.total)
    child, _ = register_asset(publisher, {alice.address: 1}, parents=[(parent, 3_000)], kind=MODEL)
    fund(token, vault, deployer)
    vault.pay(parent, ETH, 10**18, value=10**18, sender=deployer)
    vault.pay(parent, token, 10**6, sender=deployer)
    vault.pay(child, ETH, 10**18, value=10**18, sender=deployer)
    vault.flowUpstream(child, ETH, sender=stranger)  # 0.3 ETH into the parent's pool
    paid = {ETH: 0, token.address: 0}
    for currency in paid:
        for who in (alice, bob):
            weight, proof = people.proof(who.address)
            receipt = vault.claim(parent, currency, who, weight, proof, sender=stranger)
            paid[currency] += receipt.return_value
    assert paid == {ETH: 13 * 10**17, token.address: 10**6}
    tree = tmp_path / "parent.sbtree"
    people.tree.save(tree)

    result = audit(trees={parent: tree})
    assert "registered total = tree sum" not in failed_checks(result)
    assert result.findings.tallies["registered total = tree sum"].checked >= 1


def test_a_tree_whose_root_differs_is_reported_as_the_wrong_tree(
    audit, registry, contributors_of, register_asset, publisher, alice, bob, vault, deployer
):
    """Also what a preimage that lies about a child's sum looks like to the audit: the true
    tree's root is not the registered one."""
    people = contributors_of({alice.address: 1, bob.address: 3})
    asset = register_top(registry, publisher, people.top)
    (h0, s0), (h1, s1) = people.top
    lied = register_top(registry, publisher, [(h0, s0 + 1), (h1, s1)])
    _, other_people = register_asset(publisher, {bob.address: 2})
    vault.pay(asset, ETH, 10**18, value=10**18, sender=deployer)

    result = audit(trees={asset: other_people.tree, lied: people.tree})
    wrong = {f.asset: f for f in failures(result, "tree matches registration")}
    assert failed_checks(result) == {"tree matches registration"}
    assert set(wrong) == {asset, lied}
    assert "not this asset's tree" in wrong[asset].message
    assert wrong[asset].found == ["0x" + other_people.root.hex(), other_people.total]
    assert wrong[lied].found == ["0x" + people.root.hex(), people.total]
    assert wrong[lied].expected[1] == people.total + 1


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


def test_a_zero_address_leaf_inside_a_larger_tree_is_never_claimed_and_is_reported(
    audit, registry, vault, token, publisher, alice, stranger, deployer, tmp_path
):
    """The registry refuses the zero address alone and the tooling refuses it anywhere, but a
    hand-made tree can still hold it below the root, where the registry cannot see it: its
    share stays in the vault's books (no claim path pays the zero address) and the audit
    reports it with the amounts."""
    raw = {bytes(20): 1, bytes.fromhex(alice.address[2:]): 3}
    tree = ContributorTree(pack_tree(*build_packed(raw)))
    asset = register_top(registry, publisher, top_of(tree))
    fund(token, vault, deployer)
    vault.pay(asset, ETH, 10**18, value=10**18, sender=deployer)
    vault.pay(asset, token, 4 * 10**6, sender=deployer)
    weight, proof = tree.proof(ETH)
    for currency in (ETH, token):
        with ape.reverts(vault.RoyaltyVaultZeroAccount):
            vault.claim(asset, currency, ETH, weight, proof, sender=stranger)
        with ape.reverts(vault.RoyaltyVaultZeroAccount):
            vault.claimBatch([(asset, currency, ETH, weight, proof)], sender=stranger)
    assert vault.claimed(asset, ETH, ETH) == 0 and vault.held(ETH) >= 10**18
    path = tmp_path / "zero.sbtree"
    tree.save(path)

    result = audit(trees={asset: path})
    assert failed_checks(result) == {"no zero-address contributor"}
    lost = {f.currency: f for f in failures(result, "no zero-address contributor")}
    assert lost[ETH].found == 25 * 10**16 and lost[ETH].account == ETH
    assert lost[token.address.lower()].found == 10**6
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
    asset = register_top(registry, publisher, top_of(tree))
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


def test_dust_is_below_one_wei_per_contributor_not_per_claim(
    audit, register_asset, vault, publisher, alice, deployer
):
    """Three shares of 0.999 wei floor to 0: three wei stay in the pool after every claim,
    more than one per claim made (alice's is the only one) but less than one per contributor,
    the true bound. Those three cannot claim yet: a warning, with what they are owed."""
    small = ["0x" + f"{i:02x}" * 20 for i in (0x11, 0x22, 0x33)]
    asset, people = register_asset(publisher, {**dict.fromkeys(small, 1), alice.address: 997})
    vault.pay(asset, ETH, 999, value=999, sender=deployer)  # each small share: 0.999 wei
    weight, proof = people.proof(alice.address)
    assert vault.claim(asset, ETH, alice, weight, proof, sender=alice).return_value == 996
    weight, proof = people.proof(small[0])
    with ape.reverts(vault.RoyaltyVaultNothingToClaim):
        vault.claim(asset, ETH, small[0], weight, proof, sender=alice)
    assert vault.held(ETH) == 3

    result = audit(trees={asset: people.tree})
    assert "dust within bound" not in failed_checks(result)
    (floored,) = [w for w in result.findings.warnings if w.check == "no share floors to 0"]
    assert (floored.asset, floored.currency, floored.found) == (asset, ETH, 3)


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
