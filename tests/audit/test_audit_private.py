"""The audit of PrivateData: its events checked against the contract's rules, its views
against its events, and the report's listing of who received which dataset key.

No money moves through PrivateData: the conservation checks see nothing of it.
"""

import csv
import json

import pytest
from eth_utils import keccak
from test_ledger_rules import ALICE, BOB, Chain, registered

from seedbed.core.constants import ACCESS, ETH, TRAIN

CAROL, SERVICE = "0x" + "cc" * 20, "0x" + "5e" * 20
ROOT, CHECK = "0x" + "51" * 32, "0x" + "c4" * 32
WRAPPED = "0x" + "ab" * 81


# -- event-level rules on synthetic logs -----------------------------------------------------------


def offer(offer_id, asset, scopes, duration=0):
    terms = [asset, ETH, 0, 0, duration, 0, scopes, 0, False, 0, 0]
    return ("license", "OfferCreated", [offer_id, asset, ALICE, terms])


def bought(license_id, offer_id, asset, holder, expires=0):
    return (
        "license",
        "LicenseBought",
        [license_id, offer_id, asset, holder, holder, ETH, 0, expires],
    )


def sealed(asset, sealer=ALICE, root=ROOT):
    return ("private", "Sealed", [asset, root, CHECK, sealer])


def granted(license_id, asset, holder, granter=ALICE):
    return ("private", "KeyGranted", [license_id, asset, holder, granter, WRAPPED])


def granter(asset, who, allowed=True, owner=ALICE):
    return ("private", "GranterChanged", [asset, owner, who, allowed])


@pytest.fixture
def history():
    """Assets 1 and 2 of ALICE; license 1 (ACCESS) on 1 for BOB, 2 (TRAIN) on 1 for CAROL,
    3 (ACCESS, bought at 1,000 for 4,000 s: expiring at 5,000) on 1 for BOB, 4 (ACCESS) on 2
    for BOB."""
    c = Chain()
    c.tx(registered(1), registered(2))
    c.tx(offer(1, 1, ACCESS), offer(2, 1, TRAIN), offer(3, 2, ACCESS), offer(4, 1, ACCESS, 4_000))
    c.tx(bought(1, 1, 1, BOB), bought(2, 2, 1, CAROL), bought(3, 4, 1, BOB, 5_000))
    c.tx(bought(4, 3, 2, BOB))
    return c


def test_an_honest_private_data_history_has_no_findings(history):
    history.tx(sealed(1))
    history.tx(granter(1, SERVICE))
    history.tx(granted(1, 1, BOB), granted(3, 1, BOB, granter=SERVICE))
    history.tx(granter(1, SERVICE, allowed=False))
    assert history.findings.ok and not history.findings.items
    ledger = history.ledger
    assert ledger.seals[1].seal_root == ROOT and ledger.seals[1].seals == 1
    assert [(g.license, g.holder, g.granter) for g in ledger.key_grants.values()] == [
        (1, BOB, ALICE),
        (3, BOB, SERVICE),
    ]
    assert ledger.key_grants[1].wrapped_size == 81
    assert ledger.key_grants[1].wrapped_hash == "0x" + keccak(b"\xab" * 81).hex()
    tallies = history.findings.tallies
    assert tallies["key grants follow the rules"].checked == 2
    assert tallies["seals follow the rules"].checked == 1
    assert tallies["key services named by the owner"].checked == 2


def test_a_second_seal_and_a_sealer_who_is_not_the_owner_fail(history):
    history.tx(sealed(1))
    history.tx(sealed(1, root="0x" + "99" * 32))
    history.tx(sealed(2, sealer=BOB))
    assert history.failed() == [("seals follow the rules", 1), ("seals follow the rules", 2)]
    assert history.ledger.seals[1].seal_root == ROOT  # the contract keeps the first
    assert history.ledger.seals[1].seals == 2


@pytest.mark.parametrize(
    "events,why",
    [
        ([granted(1, 1, BOB)], "the asset was not sealed"),
        ([sealed(1), granted(1, 1, BOB, granter=CAROL)], "is neither the asset's owner"),
        ([sealed(1), granted(2, 1, CAROL)], "lack ACCESS"),
        ([sealed(1), granted(1, 1, CAROL)], "the license's holder was"),
        ([sealed(2), granted(1, 2, BOB)], "the license is for asset 1"),
        ([sealed(1), granted(9, 1, BOB)], "the license was never sold"),
        (
            [sealed(1), ("registry", "ListingChanged", [1, True]), granted(1, 1, BOB)],
            "the asset was not listed",
        ),
        (
            [sealed(1), ("registry", "StatusChanged", [1, 1]), granted(1, 1, BOB)],
            "the asset was not listed",
        ),
        (
            [
                sealed(1),
                granter(1, SERVICE),
                granter(1, SERVICE, False),
                granted(1, 1, BOB, SERVICE),
            ],
            "is neither the asset's owner",
        ),
    ],
    ids=[
        "unsealed",
        "not a granter",
        "train only",
        "not the holder",
        "another asset",
        "unknown license",
        "delisted",
        "disputed",
        "removed granter",
    ],
)
def test_a_grant_the_contract_would_refuse_fails(history, events, why):
    for event in events:
        history.tx(event)
    failures = [f for f in history.findings.failures if f.check == "key grants follow the rules"]
    assert len(failures) == 1 and why in failures[0].message, history.findings.failures


def test_a_grant_at_or_after_expiry_fails_one_second_before_passes(history):
    history.tx(sealed(1))
    history.tx(granted(3, 1, BOB), time=4_999)
    assert history.findings.ok
    history.tx(granted(3, 1, BOB), time=5_000)
    (failure,) = history.findings.failures
    assert "had expired at 5000" in failure.message


def test_granters_follow_the_owner_a_sale_lapses_them(history):
    history.tx(sealed(1), granter(1, SERVICE))
    history.tx(("registry", "Transfer", [ALICE, CAROL, 1]))
    history.tx(granted(1, 1, BOB, granter=SERVICE))
    history.tx(granter(1, SERVICE, owner=ALICE))  # the old owner can no longer name anyone
    assert history.failed() == [
        ("key grants follow the rules", 1),
        ("key services named by the owner", 1),
    ]


def test_the_private_tables_survive_a_snapshot(history):
    from seedbed.workflows.audit.findings import Findings
    from seedbed.workflows.audit.ledger import Ledger

    history.tx(sealed(1), granter(1, SERVICE))
    history.tx(granted(1, 1, BOB))
    state = json.loads(json.dumps(history.ledger.state()))
    again = Ledger(history.ledger.p, Findings())
    again.restore(state)
    assert again.seals == history.ledger.seals
    assert again.granters == history.ledger.granters
    assert again.key_grants == history.ledger.key_grants


# -- the audit on chain ----------------------------------------------------------------------------


def test_the_audit_lists_who_received_which_key_and_checks_the_views(
    audit, suite, register_asset, publisher, alice, bob, gateway, stranger
):
    p, lic = suite.private, suite.license
    asset, _ = register_asset(publisher, {publisher.address: 1})
    terms = (asset, ETH, 0, 0, 0, 0, ACCESS, 0, False, 0, 0)
    receipt = lic.createOffer(terms, sender=publisher)
    offer_id = receipt.events.filter(lic.OfferCreated)[0].offerId
    receipt = lic.buy(offer_id, alice, 0, sender=alice)
    license_id = receipt.events.filter(lic.LicenseBought)[0].licenseId
    p.seal(asset, keccak(text="seal root"), keccak(text="key check"), sender=publisher)
    p.setGranter(asset, gateway, True, sender=publisher)
    p.grantKey(license_id, b"\x01" * 81, sender=publisher)
    lic.transferFrom(alice, bob, license_id, sender=alice)
    p.grantKey(license_id, b"\x02" * 90, sender=gateway)
    suite.registry.transferFrom(publisher, stranger, asset, sender=publisher)  # gateway lapses

    result = audit()
    assert result.ok, [f.message for f in result.findings.failures]
    tallies = result.findings.tallies
    assert tallies["key grants follow the rules"].failed == 0
    assert tallies["private.sealOf"].checked >= 1 and tallies["private.sealOf"].failed == 0
    assert tallies["private.isGranter"].checked >= 1 and tallies["private.isGranter"].failed == 0

    data = json.loads(result.paths["json"].read_text())
    assert data["contracts"]["private"] == p.address
    (seal,) = [s for s in data["seals"] if s["asset"] == asset]
    assert seal["seal_root"] == "0x" + keccak(text="seal root").hex()
    assert (seal["sealer"], seal["grants"], seal["holders"]) == (publisher.address, 2, 2)
    assert seal["key_services"] == []  # the gateway was the seller's key service
    grants = [g for g in data["key_grants"] if g["asset"] == asset]
    assert [(g["license"], g["holder"], g["granter"], g["by_owner"]) for g in grants] == [
        (license_id, alice.address, publisher.address, True),
        (license_id, bob.address, gateway.address, False),
    ]
    assert [g["still_holds"] for g in grants] == [False, True]
    assert [g["wrapped_size"] for g in grants] == [81, 90]
    with open(result.paths["csv_key_grants"]) as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["asset"]) == asset]
    assert [r["holder"] for r in rows] == [alice.address, bob.address]
    html = result.paths["html"].read_text()
    assert "<h2>Private data</h2>" in html and bob.address in html


def test_a_view_that_differs_from_the_events_is_a_failure(history):
    """check_private against a reader that answers what the chain would after a seal no event
    recorded, and a key service the events never named."""
    from seedbed.workflows.audit.private import check_private

    history.tx(sealed(1), granter(1, SERVICE))

    class Reader:
        def call_many(self, calls):  # sealOf: asset 1's seal, for every asset
            return [bytes.fromhex(ROOT[2:] + CHECK[2:]) for _ in calls]

        def words(self, address, signature, arg_lists, index=0):
            assert signature == "isGranter(uint256,address)"
            return [0 for _ in arg_lists]  # false for everyone

    check_private(history.ledger, Reader(), "0x" + "77" * 20, history.findings, None)
    assert history.failed() == [("private.sealOf", 2), ("private.isGranter", 1)]
