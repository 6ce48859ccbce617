"""What issue 15 added to the audit (docs/integrity.md §3): redirected claims, sweeps of what
was sent by mistake, registrations without commitments off the local chain, claims that always
fail, lineage floors (L3), DERIVE licenses used once, and dust per contributor.

The first tests feed synthetic events to the ledger (what an honest chain never produces);
the rest build each situation on anvil with the session suite and run the whole audit."""

import io
import json

import pytest
from rich.console import Console
from test_ledger_rules import Chain  # the same feeder: fee 0, a day of grace

from seedbed.core.constants import DERIVE, ETH, MODEL
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.integrity import (
    FAILING_CLAIM,
    check_claims,
    check_commit_age,
)
from seedbed.workflows.audit.ledger import Ledger
from seedbed.workflows.audit.report import print_summary

LICENSE, METER = "0x" + "11" * 20, "0x" + "22" * 20
ALICE, BOB, CAROL = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
REGISTRY = "0x" + "33" * 20
PRICE = 10**15


def failed_checks(result):
    return {f.check for f in result.findings.failures}


def messages(result):
    return [f.message for f in result.findings.failures]


def findings_of(result, check, status=None):
    return [f for f in result.findings.items if f.check == check and status in (None, f.status)]


# -- synthetic events ------------------------------------------------------------------------------


def registered(asset, publisher=ALICE, parents=()):
    root = "0x" + "cd" * 32
    up = sum(p[1] for p in parents)
    return (
        "registry",
        "AssetRegistered",
        [
            asset,
            publisher,
            f"0x{asset:064x}",
            0,
            root,
            4,
            up,
            [list(p) for p in parents],
            "u",
            root,
        ],
    )


def offer(offer_id, asset, minimum, scopes=DERIVE):
    terms = [asset, ETH, 0, 0, 0, 0, scopes, minimum, False, 0, 0]
    return ("license", "OfferCreated", [offer_id, asset, ALICE, terms])


def bought(license_id, offer_id, asset, holder):
    return ("license", "LicenseBought", [license_id, offer_id, asset, holder, holder, ETH, 0, 0])


def derive_used(license_id, parent, registrant):
    return ("license", "DeriveUsed", [license_id, parent, registrant])


@pytest.fixture
def licensed():
    """Asset 1 of ALICE with a DERIVE offer asking 2,000 bps; BOB holds license 1 of it."""
    c = Chain()
    c.tx(registered(1))
    c.tx(offer(1, 1, 2_000), bought(1, 1, 1, BOB))
    return c


def test_floors_are_rebuilt_from_licenses_and_parents_floors(licensed):
    c = licensed
    c.tx(derive_used(1, 1, BOB), registered(2, BOB, [(1, 4_000, 0)]))
    c.tx(registered(3, BOB, [(2, 5_000, 4_000)]))  # BOB owns 2: its floor binds, no license
    assert c.findings.ok, c.failed()
    floors = {i: a.floor_bps for i, a in c.ledger.assets.items()}
    assert floors == {1: 0, 2: 5_000, 3: 10_000}  # ceil(2000·10⁴/4000), ceil(5000·10⁴/5000)
    assert c.ledger.assets[2].required == [2_000] and c.ledger.assets[2].licenses == [1]
    assert c.ledger.assets[3].required == [5_000] and c.ledger.assets[3].licenses == [0]
    assert c.findings.tallies["lineage floor (L3)"].checked == 2
    assert c.ledger.derive_uses[1].child == 2


def test_a_derive_license_used_twice_is_a_contract_bug(licensed):
    c = licensed
    c.tx(derive_used(1, 1, BOB), registered(2, BOB, [(1, 2_000, 0)]))
    c.tx(derive_used(1, 1, BOB), registered(3, BOB, [(1, 2_500, 0)]))
    assert c.failed() == [("DERIVE license used once", 1)]
    (twice,) = c.findings.failures
    assert (twice.expected, twice.found, twice.account) == (1, 2, BOB)
    assert "used a second time" in twice.message and "asset 2 already" in twice.message
    assert "contract bug" in twice.message
    assert c.ledger.derive_uses[1].uses == 2


def test_a_share_below_what_the_parent_requires_is_a_contract_bug(licensed):
    c = licensed
    c.tx(derive_used(1, 1, BOB), registered(2, BOB, [(1, 1_999, 0)]))  # the license asks 2,000
    c.tx(registered(3, CAROL, [(1, 3_000, 0)]))  # a foreign parent without a license
    c.tx(derive_used(1, 1, CAROL))  # used outside any registration (and not CAROL's)
    assert c.failed() == [
        ("lineage floor (L3)", 2),
        ("DERIVE license for every foreign parent", 3),
        ("DERIVE license used once", 1),
        ("DERIVE use by a valid license's holder", 1),
        ("DERIVE use names a registration's parent", 1),
    ]
    below = c.findings.failures[0]
    assert (below.expected, below.found) == (2_000, 1_999)
    assert below.message == (
        "Asset 2 passes parent 1 1999 bps, below the 2000 bps it requires (the larger of its "
        "floor 0 bps and license 1's minimum 2000 bps): its ancestors' minimums no longer "
        "hold through this edge; the registry should have refused it (a contract bug)."
    )


def test_redirects_and_claims_for_the_zero_address_are_checked():
    c = Chain()
    c.tx(registered(1))
    c.tx(("vault", "Paid", [1, ETH, BOB, 1_000, 1_000, 0, 0]))
    c.tx(
        ("vault", "Claimed", [1, ETH, ALICE, 250, 1, 250]),
        ("vault", "ClaimRedirected", [1, ETH, ALICE, BOB, 250]),
    )
    assert c.findings.ok
    assert c.ledger.redirects[1, ETH, ALICE, BOB].amount == 250
    c.tx(("vault", "ClaimRedirected", [1, ETH, ALICE, CAROL, 5]))  # no claim before it
    c.tx(("vault", "Claimed", [1, ETH, ETH, 250, 1, 250]))  # the zero address
    assert c.failed() == [
        ("redirected claim follows its claim", 1),
        ("the zero address never claims", 1),
    ]


def test_the_new_tables_survive_the_snapshot(licensed):
    c = licensed
    c.tx(derive_used(1, 1, BOB), registered(2, BOB, [(1, 4_000, 0)]))
    c.tx(("registry", "Committed", [BOB, "0x" + "01" * 32, 900]))
    c.tx(("meter", "ExcessSwept", [ETH, CAROL, 7]), ("license", "Swept", [ETH, CAROL, 8]))
    c.tx(("vault", "ClaimFailed", [2, ETH, BOB, 9]))
    state = json.loads(json.dumps(c.ledger.state()))
    restored = Ledger(c.ledger.p, Findings())
    restored.restore(state)
    assert restored.state() == c.ledger.state()
    assert restored.assets[2].floor_bps == 5_000 and restored.assets[2].required == [2_000]
    assert restored.sweeps["meter", ETH].amount == 7 and restored.commitments[BOB] == 1
    assert restored.failed_claims[2, ETH, BOB].amount == 9


# -- MIN_COMMIT_AGE, read through a fake reader ----------------------------------------------------


class Reader:
    def __init__(self, **values):
        self.values = values

    def words(self, address, signature, arg_lists, index=0):
        return [self.values.get(signature.removesuffix("()")) for _ in arg_lists]


@pytest.mark.parametrize(
    ("chain_id", "min_age", "status"),
    [(1, 0, "fail"), (8453, 60, None), (31337, 0, None), (1, None, "warn")],
)
def test_commitments_off_are_a_failure_only_off_the_local_chain(chain_id, min_age, status):
    f = Findings()
    reg = check_commit_age(
        Reader(MIN_COMMIT_AGE=min_age, MAX_COMMIT_AGE=21_600), REGISTRY, chain_id, f
    )
    assert (reg.min_commit_age, reg.max_commit_age) == (min_age, 21_600)
    assert [x.status for x in f.items] == ([status] if status else [])
    assert f.tallies["registrations need a commitment"].checked == 1
    if status == "fail":
        assert f.items[0].message == (
            f"The registry {REGISTRY} on chain 1 has MIN_COMMIT_AGE 0: registrations can be "
            "front-run/squatted (anyone who sees one pending can register the same content "
            "first); commitments may be off only on the local chain 31337."
        )


# -- on anvil --------------------------------------------------------------------------------------


def force_eth(chain, sender, target, amount):
    """ETH into a contract without receive(): a contract created only to selfdestruct to it."""
    web3 = chain.provider.web3
    initcode = "0x73" + target[2:].lower() + "ff"
    tx = web3.eth.send_transaction({"from": sender.address, "data": initcode, "value": amount})
    web3.eth.wait_for_transaction_receipt(tx)


def test_a_redirected_claim_is_reported_with_its_amount_and_the_books_balance(
    audit, vault, register_asset, publisher, alice, bob, stranger, deployer, token, tmp_path
):
    asset, people = register_asset(publisher, {alice.address: 1, bob.address: 3})
    vault.pay(asset, ETH, 10**18, value=10**18, sender=deployer)
    token.mint(deployer, 10**6, sender=deployer)
    token.approve(vault, 10**6, sender=deployer)
    vault.pay(asset, token, 10**6, sender=deployer)
    weight, proof = people.proof(alice.address)
    before = stranger.balance
    vault.claimTo(asset, ETH, weight, proof, stranger, sender=alice)
    vault.claimTo(asset, token, weight, proof, stranger, sender=alice)
    assert stranger.balance - before == 25 * 10**16
    first = audit(trees={asset: people.tree})
    assert first.ok, messages(first)

    weight, proof = people.proof(bob.address)
    vault.claim(asset, ETH, bob, weight, proof, sender=bob)
    result = audit(trees={asset: people.tree})  # warm: from the snapshot of `first`
    assert result.ok, messages(result)
    tok = token.address.lower()
    a, s = alice.address.lower(), stranger.address.lower()
    assert {k: (r.claims, r.amount) for k, r in result.ledger.redirects.items()} == {
        (asset, ETH, a, s): (1, 25 * 10**16),
        (asset, tok, a, s): (1, 25 * 10**4),
    }
    # Booked under the contributor, as `claim` books it: alice claimed, nothing is owed twice.
    assert result.ledger.claimants[asset, ETH, a].claimed == 25 * 10**16
    tallies = result.findings.tallies
    for check in ("vault balance = books", "vault.claimed", "redirected claim follows its claim"):
        assert tallies[check].checked > 0 and tallies[check].failed == 0, check
    data = json.loads(result.paths["json"].read_text())
    rows = {(r["symbol"], r["recipient"].lower(), r["amount"]) for r in data["redirects"]}
    assert rows == {("ETH", s, str(25 * 10**16)), ("TUSD", s, str(25 * 10**4))}
    assert "Claims paid to another recipient" in result.paths["html"].read_text()
    console = Console(file=io.StringIO(), width=200)
    print_summary(result, console)
    assert "Claims paid to another recipient (claimTo)" in console.file.getvalue()
    fresh = audit(trees={asset: people.tree}, db_path=tmp_path / "fresh.sqlite")
    assert fresh.ledger.state() == result.ledger.state()


def test_sweeps_from_the_meter_license_and_registry_are_reported_and_balances_pass(
    audit, chain, suite, economy, offer_of, token, publisher, deployer, treasury
):
    meter, license_token, registry = suite.meter, suite.license, suite.registry
    token.mint(deployer, 10**6, sender=deployer)
    # A sale in the token passes through the license token in its transaction: not stranded.
    sale = offer_of(economy.dataset, publisher, currency=token, price=1_000)
    token.approve(license_token, 1_000, sender=deployer)
    license_token.buy(sale, deployer, 1_000, sender=deployer)
    for target, amount in ((meter, 111), (license_token, 222), (registry, 333)):
        token.transfer(target, amount, sender=deployer)
    force_eth(chain, deployer, meter.address, 4_444)
    force_eth(chain, deployer, registry.address, 5_555)
    stranded = audit(trees=economy.trees)
    assert failed_checks(stranded) == {
        "meter balance = books",
        "license balance = books",
        "registry balance = books",
    }
    assert any("sweep returns it" in m for m in messages(stranded))
    excess = {
        (f.check, f.currency): f.found
        for f in stranded.findings.warnings
        if f.check.endswith(" excess")
    }
    tok = token.address.lower()
    assert excess[("license excess", tok)] == 222 and excess[("registry excess", tok)] == 333
    assert excess[("meter excess", tok)] == 111

    held = meter.totalHeld(ETH)
    assert held > 0  # the economy's open reserve: never swept
    before = token.balanceOf(treasury)
    meter.sweepExcess(token, sender=deployer)
    meter.sweepExcess(ETH, sender=deployer)
    license_token.sweep(token, sender=deployer)
    registry.sweep(token, sender=deployer)
    registry.sweep(ETH, sender=deployer)
    assert token.balanceOf(treasury) - before == 666 and meter.totalHeld(ETH) == held

    result = audit(trees=economy.trees)
    assert result.ok, messages(result)
    data = json.loads(result.paths["json"].read_text())
    rows = {
        (r["contract"], r["currency"].lower()): (r["sweeps"], r["amount"]) for r in data["sweeps"]
    }
    assert rows == {
        ("meter", tok): (1, "111"),
        ("meter", ETH): (1, "4444"),
        ("license", tok): (1, "222"),
        ("registry", tok): (1, "333"),
        ("registry", ETH): (1, "5555"),
    }
    tallies = result.findings.tallies
    for role in ("vault", "meter", "license", "registry"):
        tally = tallies[f"{role} balance = books"]
        assert tally.checked > 0 and tally.failed == tally.warned == 0, role
    assert tallies["sweeps go to the treasury"].checked == 5
    assert tallies["sweeps go to the treasury"].failed == 0
    assert "Sent by mistake, returned to the treasury" in result.paths["html"].read_text()


def test_commitments_off_on_a_public_chain_id_fail_the_audit(audit, chain, registry):
    assert registry.MIN_COMMIT_AGE() == 0
    make_request = chain.provider.web3.provider.make_request
    original = int(make_request("eth_chainId", [])["result"], 16)
    try:
        make_request("anvil_setChainId", [1])
        result = audit()
    finally:
        make_request("anvil_setChainId", [original])
    (failure,) = result.findings.failures
    assert failure.check == "registrations need a commitment"
    assert "on chain 1 has MIN_COMMIT_AGE 0: registrations can be front-run/squatted" in (
        failure.message
    )
    assert audit().ok  # back on 31337


def test_a_contributor_contract_that_refuses_eth_must_use_claim_to(
    audit, project, chain, vault, register_asset, publisher, alice, deployer
):
    refusers = [deployer.deploy(project.RevertingReceiver) for _ in range(2)]
    weights = {alice.address: 2, refusers[0].address: 1, refusers[1].address: 1}
    asset, people = register_asset(publisher, weights)
    vault.pay(asset, ETH, 10**18, value=10**18, sender=deployer)
    weight, proof = people.proof(refusers[0].address)
    vault.claimBatch([(asset, ETH, refusers[0].address, weight, proof)], sender=alice)

    result = audit(trees={asset: people.tree})
    assert result.ok, messages(result)
    warned = findings_of(result, FAILING_CLAIM, "warn")
    assert {(f.account, f.found) for f in warned} == {
        (r.address.lower(), 25 * 10**16) for r in refusers
    }
    assert all("must use claimTo" in f.message for f in warned)
    assert warned[0].message.startswith(
        f"{warned[0].account}, a contract contributor of asset {asset}, is owed "
        f"{25 * 10**16} of {ETH}, but its claim always fails: the vault's transfer to it "
        "reverts (RoyaltyVaultTransferFailed), so it must use claimTo"
    )
    assert result.findings.tallies[FAILING_CLAIM].checked == 2  # alice is no contract

    # Without the tree, the failed batch claim says the same for the one that tried.
    untreed = audit()
    (failed,) = findings_of(untreed, FAILING_CLAIM)
    assert (failed.account, failed.found) == (refusers[0].address.lower(), 25 * 10**16)
    assert "ClaimFailed" in failed.message and "must use claimTo" in failed.message

    # Bounded: one contributor read, the other two (alice and a refuser) counted as skipped.
    from seedbed.chain.rpc import Rpc

    f = Findings()
    rpc = Rpc(chain.provider)
    check_claims(result.ledger, {asset: people.tree}, rpc, result.block, vault.address, f, 1)
    skipped = [x for x in f.warnings if "were not checked" in x.message]
    assert [x.found for x in skipped] == [2]
    assert skipped[0].message.startswith("2 of the 3 contributors owed something")


def test_the_floor_rule_is_reported_per_asset(
    audit, license_token, registry, register_asset, publisher, stranger, alice, bob
):
    parent, _ = register_asset(publisher, {alice.address: 1})
    terms = (parent, ETH, PRICE, 0, 0, 0, DERIVE, 2_000, False, 0, 0)
    receipt = license_token.createOffer(terms, sender=publisher)
    offer_id = receipt.events.filter(license_token.OfferCreated)[0].offerId
    receipt = license_token.buy(offer_id, stranger, PRICE, value=PRICE, sender=stranger)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    child, _ = register_asset(
        stranger, {bob.address: 1}, parents=[(parent, 4_000, license_id)], kind=MODEL
    )
    grandchild, _ = register_asset(stranger, {bob.address: 1}, parents=[(child, 5_000)])
    assert registry.asset(child).floorBps == 5_000
    assert registry.asset(grandchild).floorBps == 10_000
    registry.commit(b"\x01" * 32, sender=stranger)  # never revealed: counted, no finding

    result = audit()
    assert result.ok, messages(result)
    ledger = result.ledger
    assert [ledger.assets[i].floor_bps for i in (parent, child, grandchild)] == [0, 5_000, 10_000]
    tallies = result.findings.tallies
    assert tallies["registry.floorBps"].checked == len(ledger.assets)
    assert tallies["lineage floor (L3)"].checked == 2
    assert tallies["DERIVE license used once"].checked == 1
    assert tallies["DERIVE license for every foreign parent"].checked == 1
    data = json.loads(result.paths["json"].read_text())
    floors = {r["asset"]: r for r in data["floors"]}
    assert floors[child]["floor_bps"] == 5_000
    assert floors[child]["parents"] == [
        {"parent": parent, "share_bps": 4_000, "required_bps": 2_000, "license": license_id}
    ]
    assert floors[grandchild]["parents"][0]["required_bps"] == 5_000
    (use,) = data["derives"]
    assert (use["license"], use["parent"], use["derivative"], use["uses"]) == (
        license_id,
        parent,
        child,
        1,
    )
    assert data["registration"] == {
        "min_commit_age": 0,
        "max_commit_age": registry.MAX_COMMIT_AGE(),
        "commitments": 1,
        "committers": 1,
    }
    assert "Lineage floors" in result.paths["html"].read_text()


def test_dust_is_below_one_wei_per_contributor_and_zero_shares_are_warnings(
    audit, vault, register_asset, publisher, alice, deployer
):
    small = ["0x" + f"{i:02x}" * 20 for i in (0x11, 0x22, 0x33)]
    asset, people = register_asset(publisher, {**dict.fromkeys(small, 1), alice.address: 997})
    vault.pay(asset, ETH, 999, value=999, sender=deployer)  # each small share: 0.999 wei

    result = audit(trees={asset: people.tree})
    assert result.ok, messages(result)
    assert result.findings.tallies["dust within bound"].checked == 1  # 3 wei < 4 contributors
    (zero,) = findings_of(result, "no share floors to 0", "warn")
    assert (zero.asset, zero.currency, zero.found) == (asset, ETH, 3)
    assert zero.message == (
        f"3 of asset {asset}'s 4 contributors have a share of {ETH} that floors to 0 (accrued "
        "999 × weight < totalWeight 1000): they cannot claim yet; together they are owed "
        "2.997 wei (less than 1 wei each), part of the pool's dust of 3 wei, claimable once "
        "the pool grows."
    )
