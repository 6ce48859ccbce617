"""Event-level rules on synthetic logs: what an honest chain can never produce is caught."""

import json

import pytest

from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Ledger, Params

ETH = "0x" + "00" * 20
LICENSE, METER = "0x" + "11" * 20, "0x" + "22" * 20
ALICE, BOB = "0x" + "aa" * 20, "0x" + "bb" * 20
GRACE = 86_400


class Chain:
    """Feeds rows to a Ledger the way the store does: one tx per call, in order."""

    def __init__(self, fee_bps=0):
        self.findings = Findings()
        params = Params(fee_bps, GRACE, LICENSE, METER, withdrawal_delay=2 * 86_400)
        self.ledger = Ledger(params, self.findings)
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


def test_revenue_that_never_reached_the_vault_fails(chain):
    terms = [2, ETH, 100, 0, 0, 0, 1, 0, False, 0, 0]
    chain.tx(("license", "OfferCreated", [1, 2, ALICE, terms]))
    chain.tx(
        ("license", "LicenseBought", [1, 1, 2, BOB, BOB, ETH, 100, 0]),
        paid(2, 99, 70, 29, payer=LICENSE),
    )
    assert chain.failed() == [("revenue reached the vault", 2)]


# -- the meter ------------------------------------------------------------------------------

OPERATOR = "0x" + "0e" * 20
DELAY, WINDOW = 2 * 86_400, 3 * 86_400
UINT40_MAX, UINT64_MAX = 2**40 - 1, 2**64 - 1
EXPIRES = 1_000 + 30 * 86_400


def channel_id(license_id, payer=BOB, operator=OPERATOR):
    from seedbed.core.keccak import keccak

    words = license_id.to_bytes(32, "big") + bytes(12) + bytes.fromhex(payer[2:])
    return "0x" + keccak(words + bytes(12) + bytes.fromhex(operator[2:])).hex()


CH = channel_id(1)


def meter(name, *args):
    return ("meter", name, list(args))


def settled(units, amount, share, cumulative, via_voucher=True, ch=CH, license_id=1):
    return meter("UsageSettled", ch, license_id, units, amount, share, cumulative, via_voucher)


@pytest.fixture
def metered(chain):
    """License 1 of asset 2 sold to BOB (unit price 5, cap 10, 10% service share, 30 days),
    and BOB's channel with OPERATOR holding a reserve of 1,000."""
    terms = [2, ETH, 100, 5, 30 * 86_400, 10, 1, 0, False, 0, 1_000]
    chain.tx(("license", "OfferCreated", [1, 2, ALICE, terms]))
    chain.tx(
        ("license", "LicenseBought", [1, 1, 2, BOB, BOB, ETH, 100, EXPIRES]),
        paid(2, 100, 70, 30, payer=LICENSE),
        ("license", "Transfer", [ETH, BOB, 1]),
    )
    chain.tx(
        meter("ChannelOpened", CH, 1, BOB, OPERATOR, BOB, 10, EXPIRES + GRACE),
        meter("Deposited", CH, 1_000, 1_000),
    )
    return chain


def test_honest_channel_lifecycle_has_no_findings(metered):
    c = metered
    c.tx(settled(2, 10, 1, 2, via_voucher=False), time=2_000)
    c.tx(settled(3, 15, 1, 5), time=3_000)
    c.tx(meter("AssetPaid", 2, ETH, 23), paid(2, 23, 17, 6, payer=METER), time=3_100)
    c.tx(meter("EarningsWithdrawn", OPERATOR, ETH, OPERATOR, 2), time=3_200)
    c.tx(meter("WithdrawalRequested", CH, 500, 3_300 + DELAY, 3_300 + DELAY + WINDOW), time=3_300)
    c.tx(settled(1, 5, 0, 6), time=3_400)  # settlements still draw on it meanwhile
    c.tx(meter("Withdrawn", CH, BOB, 500, 470), time=3_300 + DELAY)
    c.tx(meter("WithdrawalRequested", CH, 470, 3_400 + DELAY, 3_400 + DELAY + WINDOW), time=3_400)
    c.tx(meter("WithdrawalCancelled", CH), time=3_500)
    c.tx(
        ("license", "Transfer", [BOB, ALICE, 1]),
        meter("HolderLeft", 1, BOB, 3_600 + GRACE),
        time=3_600,
    )
    c.tx(settled(1, 5, 0, 7), time=3_600 + GRACE)  # the previous holder's voucher, in grace
    c.tx(meter("UnitsReleased", CH, 3), time=3_601 + GRACE)
    assert c.findings.ok and not c.findings.items, c.findings.items
    ch = c.ledger.channels[CH]
    assert (ch.reserve, ch.units, ch.unit_limit, ch.settled, ch.service) == (465, 7, 7, 35, 2)
    assert c.ledger.meter_books(ETH) == (465, 35 - 2 - 23, 0)
    assert c.ledger.licenses[1].allotted == 7


def test_a_settlement_beyond_the_reserve_fires_reserve_never_negative(metered):
    c = metered
    c.tx(settled(5, 25, 2, 5), time=2_000)
    c.tx(meter("WithdrawalRequested", CH, 975, 2_000 + DELAY, 2_000 + DELAY + WINDOW), time=2_000)
    c.tx(meter("Withdrawn", CH, BOB, 975, 0), time=2_000 + DELAY)
    assert c.findings.ok
    c.tx(settled(1, 5, 0, 6), time=2_001 + DELAY)  # from an empty reserve
    (f,) = c.findings.failures
    assert (f.check, f.expected, f.found, f.account) == ("reserve never negative", 0, 5, BOB)
    assert c.ledger.channels[CH].reserve == -5  # kept, so later checks see the hole


def test_units_that_do_not_grow_fire(metered):
    metered.tx(settled(4, 20, 2, 4), time=2_000)
    metered.tx(settled(0, 0, 0, 4), time=2_100)  # replayed voucher
    metered.tx(settled(1, 5, 0, 3), time=2_200)  # an older one
    grow = [f for f in metered.findings.failures if f.check == "channel units only grow"]
    assert [(f.expected, f.found) for f in grow] == [(5, 4), (5, 3)]


def test_settlements_after_the_channel_closed_fire(metered):
    c = metered
    c.tx(settled(1, 5, 0, 1), time=EXPIRES + GRACE)  # the last second: fine
    assert c.findings.ok
    c.tx(settled(1, 5, 0, 2), time=EXPIRES + GRACE + 1)  # after expiry + grace
    c.tx(("license", "Transfer", [BOB, ALICE, 1]), meter("HolderLeft", 1, BOB, EXPIRES + GRACE))
    late = [f for f in c.findings.failures if f.check == "settlement within the channel's window"]
    assert len(late) == 1 and "after the channel closed" in late[0].message


def test_a_voucher_settled_after_its_payer_left_and_the_grace_ran_out_fires(metered):
    c = metered
    c.tx(
        ("license", "Transfer", [BOB, ALICE, 1]),
        meter("HolderLeft", 1, BOB, 2_000 + GRACE),
        time=2_000,
    )
    c.tx(settled(1, 5, 0, 1), time=2_001 + GRACE)
    c.tx(settled(1, 5, 0, 2, via_voucher=False), time=2_100)  # on-chain metering by a non-holder
    checks = [f.check for f in c.findings.failures]
    assert checks == ["settlement within the channel's window"] * 2
    assert "no longer holds" in c.findings.failures[1].message


def test_withdrawals_outside_their_window_fire(metered):
    c = metered
    c.tx(meter("Withdrawn", CH, BOB, 100, 900), time=2_000)  # none requested
    c.tx(meter("WithdrawalRequested", CH, 100, 2_000 + DELAY, 2_000 + DELAY + WINDOW), time=2_000)
    c.tx(meter("Withdrawn", CH, BOB, 100, 800), time=2_000 + DELAY - 1)  # a second early
    c.tx(meter("WithdrawalRequested", CH, 100, 3_000 + DELAY, 3_000 + DELAY + WINDOW), time=3_000)
    c.tx(meter("Withdrawn", CH, BOB, 100, 700), time=3_001 + DELAY + WINDOW)  # lapsed
    c.tx(meter("WithdrawalRequested", CH, 100, 4_000 + DELAY, 4_000 + DELAY + WINDOW), time=4_000)
    c.tx(meter("Withdrawn", CH, BOB, 100, 600), time=4_000 + DELAY + WINDOW)  # the last second
    window = [f for f in c.findings.failures if f.check == "withdrawal within its window"]
    assert [f.found for f in window] == [2_000, 2_000 + DELAY - 1, 3_001 + DELAY + WINDOW]
    assert window[1].expected == [2_000 + DELAY, 2_000 + DELAY + WINDOW]


def test_withdrawals_beyond_the_request_or_reserve_fire(metered):
    c = metered
    c.tx(meter("WithdrawalRequested", CH, 300, 2_000 + DELAY, 2_000 + DELAY + WINDOW), time=2_000)
    c.tx(meter("Withdrawn", CH, BOB, 301, 699), time=2_000 + DELAY)  # more than requested
    c.tx(meter("WithdrawalRequested", CH, 699, 3_000 + DELAY, 3_000 + DELAY + WINDOW), time=3_000)
    c.tx(settled(10, 50, 5, 10), time=3_100)  # the reserve is now 649
    c.tx(meter("Withdrawn", CH, BOB, 699, 0), time=3_000 + DELAY)  # more than the reserve
    over = [f for f in c.findings.failures if f.check == "withdrawal within the reserve"]
    assert [(f.expected, f.found) for f in over] == [(300, 301), (649, 699)]
    assert "reserve never negative" in {f.check for f in c.findings.failures}


def test_a_bad_withdrawal_request_fires(metered):
    metered.tx(
        meter("WithdrawalRequested", CH, 100, 2_000 + DELAY - 60, 2_000 + DELAY + WINDOW),
        time=2_000,
    )
    metered.tx(
        meter("WithdrawalRequested", CH, 1_001, 2_000 + DELAY, 2_000 + DELAY + WINDOW), time=2_000
    )
    assert [f.check for f in metered.findings.failures] == ["withdrawal request"] * 2


def test_asset_payments_must_match_a_vault_payment_by_the_meter(metered):
    c = metered
    c.tx(settled(4, 20, 2, 4), time=2_000)
    c.tx(meter("AssetPaid", 2, ETH, 18), time=2_100)  # nothing reached the vault
    (f,) = c.findings.failures
    assert (f.check, f.expected, f.found, f.asset) == ("asset payment reached the vault", 18, 0, 2)
    c.tx(paid(2, 18, 13, 5, payer=METER), time=2_200)  # the vault says the meter paid, unasked
    g = c.findings.failures[-1]
    assert (g.check, g.expected, g.found) == ("asset payment reached the vault", 0, 18)


def test_asset_paid_other_than_owed_and_partial_earnings_fire(metered):
    c = metered
    c.tx(settled(4, 20, 2, 4), time=2_000)
    c.tx(meter("AssetPaid", 2, ETH, 19), paid(2, 19, 14, 5, payer=METER), time=2_100)
    c.tx(meter("EarningsWithdrawn", OPERATOR, ETH, ALICE, 1), time=2_200)
    checks = [(f.check, f.expected, f.found) for f in c.findings.failures]
    assert checks == [("asset paid what it was owed", 18, 19), ("earnings withdrawn whole", 2, 1)]


def test_a_wrong_charge_or_service_share_fires(metered):
    metered.tx(settled(2, 10, 2, 2), time=2_000)  # 10% of 10 is 1
    metered.tx(settled(2, 11, 1, 4), time=2_100)  # 2 units of 5 are 10
    metered.tx(settled(7, 35, 3, 11), time=2_200)  # past the channel's 10 units
    fails = [f for f in metered.findings.failures if f.check == "settlement charge"]
    assert [f.found for f in fails] == [[2, 10, 2], [2, 11, 1], [7, 35, 3]]
    assert "within the channel's limit 10" in fails[2].message


def test_channels_opened_wrongly_fire(metered):
    c = metered
    other = channel_id(1, ALICE)
    c.tx(meter("ChannelOpened", other, 1, ALICE, OPERATOR, ALICE, 1, EXPIRES + GRACE))  # not held
    c.tx(meter("ChannelOpened", "0x" + "12" * 32, 1, BOB, ALICE, BOB, 1, EXPIRES + GRACE))  # id
    c.tx(meter("ChannelOpened", CH, 1, BOB, OPERATOR, BOB, 10, EXPIRES + GRACE))  # open already
    c.tx(meter("ChannelOpened", channel_id(1, BOB, ALICE), 1, BOB, ALICE, BOB, 5, EXPIRES))
    fails = [f for f in c.findings.failures if f.check == "channel opened by the holder"]
    assert len(fails) == 4
    assert "does not hold it" in fails[0].message and "keccak" in fails[1].message
    assert "open already" in fails[2].message
    assert "allotted" in fails[3].message and "closesAt" in fails[3].message


def test_holder_events_that_break_the_window_fire(metered):
    c = metered
    c.tx(
        ("license", "Transfer", [BOB, ALICE, 1]),
        meter("HolderLeft", 1, BOB, EXPIRES + GRACE),
        time=2_000,
    )
    c.tx(meter("HolderReturned", 1, BOB, EXPIRES + GRACE), time=2_100)  # ALICE holds it
    assert [f.check for f in c.findings.failures] == [
        "holder left: settlement window shrinks to the grace period",
        "holder returned",
    ]


def test_units_released_from_an_open_channel_fire(metered):
    metered.tx(settled(2, 10, 1, 2), time=2_000)
    metered.tx(meter("UnitsReleased", CH, 8), time=2_100)  # open until expiry + grace
    metered.tx(meter("UnitsReleased", CH, 1), time=EXPIRES + GRACE + 1)  # nothing left to release
    fails = [f.message for f in metered.findings.failures]
    assert len(fails) == 2 and "open until" in fails[0] and "released 1" in fails[1]


def test_reserve_events_must_agree_with_the_running_reserve(metered):
    metered.tx(meter("Deposited", CH, 500, 1_501))
    metered.tx(meter("Deposited", "0x" + "99" * 32, 5, 5))
    assert [f.check for f in metered.findings.failures] == [
        "reserve running balance",
        "meter events name open channels",
    ]


def test_a_deposit_after_the_payer_left_and_an_early_signer_switch_fire(metered):
    c = metered
    c.tx(meter("SignerChangeScheduled", 1, BOB, ALICE, 2_000 + DELAY - 1), time=2_000)
    c.tx(
        ("license", "Transfer", [BOB, ALICE, 1]),
        meter("HolderLeft", 1, BOB, 2_100 + GRACE),
        time=2_100,
    )
    c.tx(meter("Deposited", CH, 5, 1_005), time=2_200)
    assert [f.check for f in c.findings.failures] == [
        "signer change delayed",
        "deposit into an open channel",
    ]


def test_unknown_events_are_warnings(chain):
    chain.tx(("vault", "?", [["0x" + "99" * 32], "0x"]))
    assert chain.findings.ok
    assert [w.check for w in chain.findings.warnings] == ["known event signatures"]
