"""The audit of LabelCampaigns: every campaign's pool = claims + refund to the wei, bonds moving
whole, each claim exactly its share once, the contract's balance = live pools and bonds + open
credits, and state()/credit() against the events; the report's tables and Sankey."""

import csv
import json
import os
import subprocess

import pytest
from test_audit_report import CHROMIUM_FLAGS, _chromium, _overlapping_texts, _Svg
from test_ledger_rules import ALICE, BOB, Chain
from testkit.campaigns import CampaignDriver, case_of

from seedbed.core.constants import ETH

CAROL = "0x" + "cc" * 20
OPERATOR = "0x" + "0e" * 20
ROOT = "0x" + "ab" * 32


# -- the audit on chain ----------------------------------------------------------------------------


def test_an_honest_campaign_history_passes_and_is_reported(
    audit, project, suite, chain, deployer, publisher, gateway, alice, bob, stranger,
    contributors_of,
):  # fmt: skip
    c = suite.campaigns
    kit = CampaignDriver(c, chain)
    panel = project.PanelArbiter.at(c.ARBITER())
    people = contributors_of({alice.address: 3, bob.address: 1})

    lapsing = kit.create(publisher, gateway, 8_000, 100)
    kit.post(lapsing, people, gateway)
    kit.dispute(lapsing, stranger)
    chain.pending_timestamp += int(c.RULING_TIMEOUT()) + 1
    chain.mine()
    c.lapse(lapsing.id, sender=stranger)  # the result stands, the stranger's bond back

    paid = kit.create(publisher, gateway, 10_000, 100)
    kit.post(paid, people, gateway, body=b"\0" * 64)  # a report naming neither root: slashed
    c.challengeReport(paid.id, paid.params.t(), b"\0" * 64, paid.gold_root, sender=stranger)
    kit.post(paid, people, gateway)
    upheld = kit.create(publisher, gateway, 5_000, 100)
    kit.post(upheld, people, gateway)
    kit.dispute(upheld, publisher)
    panel.vote(c, case_of(upheld.id), True, sender=deployer)  # void: both bonds to the publisher
    dismissed = kit.create(publisher, gateway, 6_000, 100)
    kit.post(dismissed, people, gateway)
    kit.dispute(dismissed, stranger)
    panel.vote(
        c, case_of(dismissed.id), False, sender=deployer
    )  # stands: the stranger's bond to gateway
    chain.pending_timestamp += 3_601
    chain.mine()
    weight, proof = people.proof(alice.address)
    c.claim(paid.id, paid.params.t(), alice, weight, proof, sender=stranger)
    c.claimTo(lapsing.id, lapsing.params.t(), weight, proof, stranger, sender=alice)
    bweight, bproof = people.proof(bob.address)
    c.claimBatch(
        dismissed.id, dismissed.params.t(), [(alice, weight, proof), (bob, bweight, bproof)],
        sender=stranger,
    )  # fmt: skip
    chain.pending_timestamp += 31 * 86_400
    chain.mine()
    c.finish(paid.id, paid.params.t(), sender=stranger)  # bob's 2,500 goes back
    c.finish(upheld.id, upheld.params.t(), sender=stranger)  # nothing posted since: all back
    c.withdrawCredit(ETH, publisher, sender=publisher)
    c.withdrawCredit(ETH, gateway, sender=gateway)  # the stranger's lapsed bond stays credited

    result = audit()
    assert result.ok, [f.message for f in result.findings.failures]
    tallies = result.findings.tallies
    for check in (
        "campaign pools conserved",
        "campaign claims are each one's share, once",
        "campaign bonds move whole",
        "campaigns.state",
        "campaigns.credit",
        "campaigns balance = books",
    ):
        assert tallies[check].checked >= 1 and tallies[check].failed == 0, check
    assert tallies["campaign claims are each one's share, once"].checked == 4
    assert tallies["campaigns.state"].checked == 4

    data = json.loads(result.paths["json"].read_text())
    assert data["contracts"]["campaigns"] == c.address
    rows = {r["campaign"]: r for r in data["campaigns"]}
    assert rows[paid.id]["status"] == "finished"
    assert (rows[paid.id]["claimed"], rows[paid.id]["refund"]) == ("7500", "2500")
    assert rows[paid.id]["slashed"] == "100" and rows[paid.id]["posts"] == 2
    assert (rows[upheld.id]["refund"], rows[upheld.id]["slashed"]) == ("5000", "100")
    assert rows[dismissed.id]["claimed"] == "6000" and rows[dismissed.id]["unclaimed"] == "0"
    assert rows[lapsing.id]["status"] == "posted" and rows[lapsing.id]["unclaimed"] == "2000"
    for r in rows.values():
        assert int(r["claimed"]) + int(r["refund"]) + int(r["unclaimed"]) == int(r["pool"])
    claims = [(r["campaign"], r["account"], r["amount"], r["to"]) for r in data["campaign_claims"]]
    assert (lapsing.id, alice.address, "6000", stranger.address) in claims
    with open(result.paths["csv_campaigns"]) as fh:
        assert {int(r["campaign"]) for r in csv.DictReader(fh)} == set(rows)
    html = result.paths["html"].read_text()
    assert "<h2>Labeling campaigns</h2>" in html
    assert f"campaign #{paid.id}" in html and "Refunds" in html


@pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (apt-get install chromium)")
def test_the_campaigns_section_and_sankey_render_in_headless_chromium(
    audit, suite, chain, publisher, gateway, alice, bob, stranger, contributors_of, tmp_path
):
    """What a person sees: the campaigns table, and in the ETH chart a campaign node whose pool
    flows to the annotators and back to the requester, labels that do not collide."""
    kit = CampaignDriver(suite.campaigns, chain)
    people = contributors_of({alice.address: 3, bob.address: 1})
    launched = kit.create(publisher, gateway, 8_000, 100, claim=86_400)
    kit.post(launched, people, gateway)
    chain.pending_timestamp += 3_601
    chain.mine()
    weight, proof = people.proof(alice.address)
    suite.campaigns.claim(launched.id, launched.params.t(), alice, weight, proof, sender=stranger)
    chain.pending_timestamp += 86_401
    chain.mine()
    suite.campaigns.finish(launched.id, launched.params.t(), sender=stranger)
    result = audit()
    browser = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*browser, "--dump-dom", result.paths["html"].as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<h2>Labeling campaigns</h2>" in dom.stdout
    parsed = _Svg()
    parsed.feed(dom.stdout)
    eth = next(c for c in parsed.charts if any("ETH" in t["s"] for t in c["texts"]))
    texts = [t["s"] for t in eth["texts"]]
    for legend in ("campaign pool", "campaign bounty", "refunded to the requester"):
        assert legend in texts, legend
    labels = {t.split(" · ")[0] for t in texts if " · " in t}
    assert {f"campaign #{launched.id}", "Campaign pools"} <= labels
    assert "Refunds" in labels
    for chart in parsed.charts:
        clashes, cut = _overlapping_texts(chart)
        assert not clashes and not cut, (clashes, cut)


def test_a_token_sent_to_the_campaigns_contract_is_stranded(
    audit, suite, chain, publisher, gateway, stranger, token, deployer, contributors_of
):
    """A token campaign makes the token one the audit follows; 10 more sent by mistake are
    nobody's (LabelCampaigns has no sweep)."""
    c = suite.campaigns
    token.mint(publisher, 1_000, sender=deployer)
    token.approve(c, 1_000, sender=publisher)
    params = CampaignDriver(c, chain).create(publisher, gateway, 1, 1).params  # an ETH one
    c.create(params.but(currency=token.address, pool=1_000).t(), sender=publisher)
    token.mint(stranger, 10, sender=deployer)
    token.transfer(c, 10, sender=stranger)
    result = audit()
    failures = [f for f in result.findings.failures if f.check == "campaigns balance = books"]
    assert len(failures) == 1 and "Stranded" in failures[0].message
    assert failures[0].found == failures[0].expected + 10


# -- event-level rules on synthetic logs -----------------------------------------------------------


def created(cid, pool=1_000, bond=10, requester=ALICE, operator=OPERATOR, currency=ETH):
    params = [requester, currency, pool, ROOT, ROOT, operator, bond, 10_000, 100, 1_000]
    return ("campaigns", "CampaignCreated", [cid, requester, operator, params])


def posted(cid, total=4, bond=10):
    return ("campaigns", "ResultPosted", [cid, ROOT, total, ROOT, ROOT, ROOT, bond])


def claimed(cid, account, amount, weight):
    return ("campaigns", "Claimed", [cid, account, amount, weight])


def finished(cid, refund, bond_returned, was_posted=True):
    return ("campaigns", "Finished", [cid, refund, bond_returned, was_posted])


@pytest.fixture
def campaign():
    """Campaign 1 of ALICE: 1,000 wei, a result posted at 1,000 (claims open after 1,100 and end
    at 2,100) of total weight 4."""
    c = Chain()
    c.tx(created(1))
    c.tx(posted(1))
    return c


def test_an_honest_synthetic_campaign_has_no_findings(campaign):
    campaign.tx(claimed(1, BOB, 750, 3), time=1_101)
    campaign.tx(claimed(1, CAROL, 250, 1), time=2_100)
    campaign.tx(finished(1, 0, 10), time=2_101)
    assert campaign.failed() == []
    assert campaign.ledger.campaign_book.held(ETH) == 0


@pytest.mark.parametrize(
    ("events", "time", "check"),
    [
        ([claimed(1, BOB, 751, 3)], 1_101, "campaign claims are each one's share, once"),
        ([claimed(1, BOB, 750, 3)], 1_100, "campaign claims are each one's share, once"),
        ([claimed(1, BOB, 750, 3)], 2_101, "campaign claims are each one's share, once"),
        ([claimed(1, BOB, 750, 3), claimed(1, BOB, 750, 3)], 1_101, None),
        ([finished(1, 999, 10)], 2_101, "campaign pools conserved"),
        ([finished(1, 1_000, 9)], 2_101, "campaign pools conserved"),
        ([finished(1, 1_000, 10)], 2_100, "campaign pools conserved"),
        (
            [
                [
                    ("campaigns", "ResultSlashed", [1, BOB, 10, 5, 4]),
                    ("campaigns", "Credited", [ALICE, ETH, 4]),
                ]
            ],
            1_050,
            "campaign bonds move whole",
        ),
    ],
    ids=["over share", "before open", "after close", "twice", "refund", "bond", "early", "split"],
)
def test_an_event_the_contract_would_refuse_fails(campaign, events, time, check):
    for tx in events:  # an event, or a list of one transaction's events
        campaign.tx(*(tx if isinstance(tx, list) else [tx]), time=time)
    failed = {f for f, _ in campaign.failed()}
    assert failed == {check or "campaign claims are each one's share, once"}


def test_a_ruling_that_pays_the_wrong_side_fails_and_a_missing_credit_is_seen(campaign):
    campaign.tx(("campaigns", "ResultDisputed", [1, BOB, 1 << 128 | 1, 10, 0, ROOT]), time=1_050)
    campaign.tx(
        ("campaigns", "DisputeRuled", [1, True, OPERATOR, 20]),
        ("campaigns", "Credited", [OPERATOR, ETH, 20]),
        time=1_060,
    )
    assert {f for f, _ in campaign.failed()} == {"campaign bonds move whole"}
    again = Chain()
    again.tx(created(1))
    again.tx(posted(1))
    again.tx(("campaigns", "ResultDisputed", [1, BOB, 1 << 128 | 1, 10, 0, ROOT]), time=1_050)
    again.tx(("campaigns", "DisputeLapsed", [1, BOB, 10]), time=1_060)  # no Credited follows
    assert {f for f, _ in again.failed()} == {"campaign credits announced and made"}


def test_the_campaign_tables_survive_a_snapshot(campaign):
    from seedbed.workflows.audit.findings import Findings
    from seedbed.workflows.audit.ledger import Ledger

    campaign.tx(claimed(1, BOB, 750, 3), time=1_101)
    campaign.tx(("campaigns", "Credited", [CAROL, ETH, 5]))
    state = json.loads(json.dumps(campaign.ledger.state()))
    again = Ledger(campaign.ledger.p, Findings())
    again.restore(state)
    assert again.campaigns == campaign.ledger.campaigns
    assert again.campaign_claims == campaign.ledger.campaign_claims
    assert dict(again.campaign_credits) == dict(campaign.ledger.campaign_credits)
    assert again.campaign_book.held(ETH) == campaign.ledger.campaign_book.held(ETH) == 265


def test_a_view_that_differs_from_the_events_is_a_failure(campaign):
    from seedbed.workflows.audit.campaigns import check_campaigns

    campaign.tx(("campaigns", "Credited", [CAROL, ETH, 5]))

    class Reader:
        def call_many(self, calls):  # state(1): posted, opensAt 1,100, bond 10, remaining 999
            return [b"".join(v.to_bytes(32, "big") for v in (2, 1_100, 10, 999)) for _ in calls]

        def words(self, address, signature, arg_lists, index=0):
            assert signature == "credit(address,address)"
            return [4 for _ in arg_lists]

    check_campaigns(campaign.ledger.campaign_book, Reader(), "0x" + "77" * 20, campaign.findings)
    assert [f for f, _ in campaign.failed()] == ["campaigns.state", "campaigns.credit"]
