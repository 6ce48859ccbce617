"""Event-level rules on synthetic logs: what an honest chain can never produce is caught."""

import json

import pytest

from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Ledger, Params

ETH = "0x" + "00" * 20
LICENSE, METER = "0x" + "11" * 20, "0x" + "22" * 20
ALICE, BOB = "0x" + "aa" * 20, "0x" + "bb" * 20
GRACE = 7 * 86_400


class Chain:
    """Feeds rows to a Ledger the way the store does: one tx per call, in order."""

    def __init__(self, fee_bps=0):
        self.findings = Findings()
        self.ledger = Ledger(Params(fee_bps, GRACE, LICENSE, METER), self.findings)
        self.block = 0

    def tx(self, *events, time=1_000):
        self.block += 1
        rows = [
            (self.block, i, time, f"0x{self.block:064x}", role, name, json.dumps(args))
            for i, (role, name, args) in enumerate(events)
        ]
        self.ledger.apply_rows(rows)

    def failed(self):
        return [(f.check, f.asset) for f in self.findings.failures]


def registered(asset, total=4, up=0, parents=()):
    root = "0x" + "cd" * 32
    return (
        "registry",
        "AssetRegistered",
        [asset, ALICE, "0x" + "ef" * 32, 0, root, total, up, [list(p) for p in parents], "u", root],
    )


def paid(asset, amount, to_c, to_u=0, fee=0, payer=BOB):
    return ("vault", "Paid", [asset, ETH, payer, amount, to_c, to_u, fee])


@pytest.fixture
def chain():
    c = Chain()
    c.tx(registered(1), registered(2, up=3_000, parents=[(1, 3_000, 0)]))
    return c


def test_honest_sequence_has_no_findings(chain):
    chain.tx(paid(2, 1_000, 700, 300))
    chain.tx(("vault", "UpstreamFlowed", [2, 1, ETH, 300, 300, 0]))
    chain.tx(("vault", "Claimed", [1, ETH, ALICE, 75, 1, 75]))
    assert chain.findings.ok and not chain.findings.items
    assert chain.ledger.pools[1, ETH].accrued == 300
    assert chain.ledger.pools[2, ETH].pending == 0


def test_split_and_flow_that_do_not_add_up_fail(chain):
    chain.tx(paid(2, 1_000, 701, 300))  # one wei out of thin air
    chain.tx(("vault", "UpstreamFlowed", [2, 1, ETH, 299, 299, 0]))  # one wei stranded
    assert chain.failed() == [("payment split", 2), ("upstream flow split", 2)]


def test_claims_beyond_entitlement_or_running_total_fail(chain):
    chain.tx(paid(1, 1_000, 1_000))
    chain.tx(("vault", "Claimed", [1, ETH, ALICE, 251, 1, 251]))  # 1/4 of 1000 is 250
    chain.tx(("vault", "Claimed", [1, ETH, BOB, 10, 3, 11]))  # says 11 in all, was 10
    assert chain.failed() == [("claim within entitlement", 1), ("claim running total", 1)]
    (over,) = [f for f in chain.findings.failures if f.check == "claim within entitlement"]
    assert (over.expected, over.found, over.account) == (250, 251, ALICE)


def test_settlements_need_a_live_license_and_the_right_charge(chain):
    terms = [2, ETH, 100, 5, 86_400, 10, 1, 0, False, 0]
    chain.tx(("license", "OfferCreated", [1, 2, ALICE, terms]))
    chain.tx(
        ("license", "LicenseBought", [1, 1, 2, BOB, BOB, ETH, 100, 1_000 + 86_400]),
        paid(2, 100, 70, 30, payer=LICENSE),
    )
    chain.tx(("meter", "Deposited", [BOB, ETH, 1_000, 1_000]))

    def settle(units, amount, cumulative, time, license_id=1):
        chain.tx(
            ("license", "UsageRecorded", [license_id, cumulative]),
            ("meter", "UsageSettled", [license_id, 2, BOB, ETH, units, amount, cumulative, True]),
            paid(2, amount, amount - amount * 3 // 10, amount * 3 // 10, payer=METER),
            time=time,
        )

    settle(2, 10, 2, time=2_000)  # fine
    assert chain.findings.ok
    settle(1, 5, 3, time=1_000 + 86_400 + GRACE + 1)  # after expiry + grace
    settle(2, 11, 5, time=3_000)  # charged 11 for 2 units of 5
    settle(1, 5, 1, time=3_000, license_id=9)  # never sold
    assert chain.failed() == [
        ("settlement covered by a live license", 2),
        ("settlement charge", 2),
        ("settlement covered by a live license", 2),
    ]
    late = chain.findings.failures[0]
    assert "after expiry" in late.message and late.account == BOB


def test_revenue_that_never_reached_the_vault_fails(chain):
    terms = [2, ETH, 100, 0, 0, 0, 1, 0, False, 0]
    chain.tx(("license", "OfferCreated", [1, 2, ALICE, terms]))
    chain.tx(
        ("license", "LicenseBought", [1, 1, 2, BOB, BOB, ETH, 100, 0]),
        paid(2, 99, 70, 29, payer=LICENSE),
    )
    assert chain.failed() == [("revenue reached the vault", 2)]


def test_escrow_events_must_agree_with_the_running_balance(chain):
    chain.tx(("meter", "Deposited", [BOB, ETH, 500, 500]))
    chain.tx(("meter", "Withdrawn", [BOB, ETH, 100, 401]))
    assert [f.check for f in chain.findings.failures] == ["escrow running balance"]


def test_unknown_events_are_warnings(chain):
    chain.tx(("vault", "?", [["0x" + "99" * 32], "0x"]))
    assert chain.findings.ok
    assert [w.check for w in chain.findings.warnings] == ["known event signatures"]
