"""Disputes in the audit (docs/integrity.md §5, §3 item 3): the court's book against its
balance, escrow in the vault's conservation (D1), disputed assets with held, released,
redirected and forfeited revenue, and warnings for escrow left unreleased and for cases at
the arbiter past RULING_TIMEOUT. Escrow rounds (an earlier dispute's escrow is the asset's
own, even while a later dispute holds it or after it was upheld), a prior-commitment claim
taking over a running dispute, and the court's refusal to rule a case its arbiter refused.

The first tests feed synthetic events to the ledger (what an honest chain never produces);
the rest build disputes on anvil with the session suite, court and panel arbiter (the
deployer alone), and run the whole audit."""

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import ape
import pytest
from rich.console import Console
from test_audit_integrity import force_eth
from test_audit_report import CHROMIUM_FLAGS, _chromium, _overlapping_texts, _Svg
from test_audit_tamper import _tamper
from test_ledger_rules import Chain, registered
from testkit.registering import commitment_of, registration_leaf

from seedbed.core.constants import ETH, MODEL
from seedbed.workflows.audit.checks import check_conservation
from seedbed.workflows.audit.court import ANSWER_LATE, ESCROW_LEFT, RULING_LATE, check_overdue
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import DISMISSED, LAPSED, STATE_NAMES, UPHELD, Ledger
from seedbed.workflows.audit.report import escrow_rows, print_summary

BOB, CAROL, ARBITER = "0x" + "bb" * 20, "0x" + "cc" * 20, "0x" + "ab" * 20
ALICE = "0x" + "aa" * 20  # the owner of every synthetic asset (test_ledger_rules.registered)
BOND = 10**17
EVIDENCE = "0x" + "e1" * 32
DAY = 86_400


def failed_checks(result):
    return {f.check for f in result.findings.failures}


def messages(result):
    return [f.message for f in result.findings.failures]


# -- synthetic events ------------------------------------------------------------------------------


def opened(dispute, asset, claimant=BOB, beneficiary=0, deposit=BOND, kind=0):
    return (
        "court",
        "DisputeOpened",
        [dispute, asset, kind, claimant, beneficiary, 1, EVIDENCE, deposit],
    )


def status(asset, value):
    return ("registry", "StatusChanged", [asset, value])


def hold(asset, state, beneficiary=0):
    return ("vault", "HoldChanged", [asset, state, beneficiary])


def credited(dispute, account, amount=BOND):
    return ("court", "DepositCredited", [dispute, account, amount])


def resolved(dispute, asset, outcome):
    return ("court", "DisputeResolved", [dispute, asset, outcome])


def escrowed(asset, amount, cur=ETH):
    return ("vault", "Escrowed", [asset, cur, amount])


def paid(asset, amount, to_c=0, to_u=0, cur=ETH):
    return ("vault", "Paid", [asset, cur, CAROL, amount, to_c, to_u, 0])


def redirected(source, to, amount, to_c=0, to_u=0, cur=ETH):
    return ("vault", "Redirected", [source, to, cur, amount, to_c, to_u])


def released(asset, amount, to_c=0, to_u=0, cur=ETH):
    return ("vault", "Released", [asset, cur, amount, to_c, to_u])


@pytest.fixture
def disputed():
    """Assets 1 (ALICE's), 2 deriving 30 % from 1, 3 (the beneficiary); BOB's dispute 1 on
    asset 1, contested by ALICE and at the arbiter; 1,000 paid to 1 and a flow of 300 from 2,
    both held in escrow."""
    c = Chain()
    c.ledger.p.court_bond = BOND
    c.tx(registered(1), registered(2, up=3_000, parents=[(1, 3_000, 0)]), registered(3))
    c.tx(opened(1, 1, beneficiary=3), status(1, 1), hold(1, 1))
    c.tx(escrowed(1, 1_000), paid(1, 1_000))
    c.tx(paid(2, 1_000, 700, 300))
    c.tx(escrowed(1, 300), ("vault", "UpstreamFlowed", [2, 1, ETH, 300, 0, 0]))
    c.tx(
        ("court", "DisputeAnswered", [1, ALICE, True, BOND]),
        ("court", "RulingRequested", [1, ARBITER, 0, True]),
    )
    return c


def test_an_upheld_dispute_escrows_releases_and_redirects_to_the_wei(disputed):
    c = disputed
    assert c.ledger.escrow[1, ETH].held == 1_300 and c.ledger.pools[1, ETH].accrued == 0
    assert c.ledger.edges[2, 1, ETH].diverted == 300
    c.tx(credited(1, BOB), credited(1, BOB), resolved(1, 1, UPHELD), status(1, 2), hold(1, 2, 3))
    c.tx(("vault", "Released", [1, ETH, 1_300, 0, 0]), redirected(1, 3, 1_300, 1_300))
    c.tx(redirected(1, 3, 500, 500), paid(1, 500))  # after the ruling: straight to 3
    c.tx(("court", "DepositsWithdrawn", [BOB, 2 * BOND]))
    assert c.findings.ok and not c.findings.items, c.failed()
    ledger = c.ledger
    assert ledger.escrow[1, ETH].held == 0 and ledger.escrow[1, ETH].redirected == 1_300
    assert ledger.pools[3, ETH].accrued == 1_800
    d = ledger.diversions[1, 3, ETH]
    assert (d.amount, d.from_escrow, d.credits) == (1_800, 1_300, 2)
    assert ledger.court_book == 0 and ledger.disputes[1].state == UPHELD
    assert ledger.bond_shares(ledger.disputes[1]) == {BOB: 2 * BOND}
    # paid in = accrued + pending + fees + escrow, with nothing lost on the way
    books = ledger.books[ETH]
    assert books.paid == 2_500 == sum(p.accrued + p.pending for p in ledger.pools.values())


def test_a_dismissal_releases_to_the_assets_own_split_and_a_lapse_returns_both_bonds():
    c = Chain()
    c.ledger.p.court_bond = BOND
    c.tx(registered(1), registered(2, up=3_000, parents=[(1, 3_000, 0)]))
    c.tx(opened(1, 2), status(2, 1), hold(2, 1))
    c.tx(escrowed(2, 1_000), paid(2, 1_000))
    c.tx(("court", "RulingRequested", [1, ARBITER, 0, True]))  # resolve: to the arbiter
    c.tx(credited(1, ALICE), resolved(1, 2, DISMISSED), status(2, 0), hold(2, 0))
    c.tx(("vault", "Released", [2, ETH, 1_000, 700, 300]))
    c.tx(opened(2, 1, deposit=BOND), status(1, 1), hold(1, 1))
    c.tx(
        ("court", "DisputeAnswered", [2, ALICE, True, BOND]),
        ("court", "RulingRequested", [2, ARBITER, 0, True]),
    )
    c.tx(credited(2, BOB), credited(2, ALICE), resolved(2, 1, LAPSED), status(1, 0), hold(1, 0))
    assert c.findings.ok and not c.findings.items, c.failed()
    assert c.ledger.pools[2, ETH].accrued == 700 and c.ledger.pools[2, ETH].pending == 300
    assert c.ledger.pools[2, ETH].released == 1_000
    assert c.ledger.depositors[ALICE].balance == 2 * BOND and c.ledger.court_book == 3 * BOND


def test_objective_claims_refused_cases_and_rulings_from_inside_the_request_settle_bonds():
    """§5.5 for every path the session's free panel never takes: a duplicate claim upheld
    unanswered (bond and fee back) or dismissed by a lineage (the bond to the owner, the fee
    back), a prior commitment upheld in its own transaction (no bond), an arbiter that rules
    from inside requestRuling (its DisputeResolved comes first) and one that refuses the case
    (the fee back at once, then a lapse)."""
    fee = 5
    c = Chain()
    c.ledger.p.court_bond = BOND
    c.tx(*(registered(i) for i in range(1, 7)))

    def open_(dispute, asset, kind=0, deposit=BOND + fee, beneficiary=0):
        return (opened(dispute, asset, kind=kind, deposit=deposit, beneficiary=beneficiary),)

    def end(dispute, asset, outcome, beneficiary=0):
        upheld = outcome == UPHELD
        return (
            resolved(dispute, asset, outcome),
            status(asset, 2 if upheld else 0),
            hold(asset, 2 if upheld else 0, beneficiary if upheld else 0),
        )

    c.tx(*open_(1, 2, kind=1, beneficiary=1), status(2, 1), hold(2, 1))
    c.tx(credited(1, BOB, BOND + fee), *end(1, 2, UPHELD, 1))  # resolve: unanswered
    c.tx(*open_(2, 3, kind=1, beneficiary=1), status(3, 1), hold(3, 1))
    c.tx(
        ("court", "DisputeAnswered", [2, CAROL, False, 0]),  # anyone sends the lineage
        credited(2, ALICE),
        credited(2, BOB, fee),
        *end(2, 3, DISMISSED),
    )
    c.tx(
        *open_(3, 4, kind=2, deposit=0, beneficiary=5),
        status(4, 1),
        hold(4, 1),
        *end(3, 4, UPHELD, 5),
    )
    c.tx(*open_(4, 6), status(6, 1), hold(6, 1))
    c.tx(
        ("court", "DisputeAnswered", [4, ALICE, True, BOND]),
        credited(4, BOB),
        credited(4, BOB),
        *end(4, 6, UPHELD),
        ("court", "RulingRequested", [4, ARBITER, fee, True]),  # ruled from inside
    )
    c.tx(*open_(5, 5), status(5, 1), hold(5, 1))
    c.tx(credited(5, BOB, fee), ("court", "RulingRequested", [5, ARBITER, fee, False]))
    c.tx(credited(5, BOB), *end(5, 5, LAPSED))
    assert c.findings.ok and not c.findings.items, [f.message for f in c.findings.failures]
    ledger = c.ledger
    assert c.findings.tallies["bonds settled at resolution"].checked == 5
    # 1: bond and fee back; 2: the fee back; 4: both bonds; 5: the fee, then the bond.
    assert ledger.depositors[BOB].balance == (BOND + fee) + fee + 2 * BOND + (fee + BOND)
    assert ledger.depositors[ALICE].balance == BOND
    assert ledger.court_book == sum(d.balance for d in ledger.depositors.values())
    assert ledger.court_totals["fees_spent"] == fee  # the one the arbiter accepted
    assert ledger.disputes[2].defendant == ALICE  # the owner, whoever sent the lineage
    # A lineage answer sending the fee to the owner instead breaks §5.5.
    c.tx(*open_(6, 1, kind=1, beneficiary=3), status(1, 1), hold(1, 1))
    c.tx(("court", "DisputeAnswered", [6, ALICE, False, 0]), credited(6, ALICE, BOND + fee))
    c.tx(*end(6, 1, DISMISSED))
    assert c.failed() == [("bonds settled at resolution", 1)]
    assert c.findings.failures[0].expected == {ALICE: BOND, BOB: fee}


def test_what_an_honest_chain_never_does_with_a_hold_is_caught(disputed):
    c = disputed
    c.tx(escrowed(3, 5), paid(3, 5))  # asset 3 is not disputed
    c.tx(paid(1, 200, 200))  # a disputed asset's payment credited to its pool
    c.tx(hold(2, 1))  # a hold nobody's dispute called for
    # Upheld, but both bonds credited to the losing defendant; then a withdrawal of more.
    c.tx(
        credited(1, ALICE),
        credited(1, ALICE),
        resolved(1, 1, UPHELD),
        status(1, 2),
        hold(1, 2, 3),
    )
    c.tx(("court", "DepositsWithdrawn", [ALICE, 3 * BOND]))
    c.tx(("vault", "Released", [1, ETH, 1_299, 0, 0]))  # a wei short, and nothing follows
    assert c.failed() == [
        ("credits follow the hold", 3),  # escrow of an asset not held
        ("payment split", 3),  # … so its payment should have split
        ("credits follow the hold", 3),  # … and the escrow belongs to nothing
        ("credits follow the hold", 1),  # a held asset's payment, diverted to nowhere
        ("payment split", 1),
        ("holds follow the court", 2),
        ("bonds settled at resolution", 1),
        ("deposits withdrawn whole", None),
        ("escrow released whole", 1),
        ("credits follow the hold", 1),
    ]
    by_check = {}
    for f in c.findings.failures:
        by_check.setdefault(f.check, []).append(f)
    (bonds,) = by_check["bonds settled at resolution"]
    assert bonds.expected == {BOB: 2 * BOND} and bonds.found == {ALICE: 2 * BOND}
    assert "§5.5" in bonds.message
    assert "not escrow" in by_check["credits follow the hold"][0].message
    (stray,) = by_check["holds follow the court"]
    assert "no dispute of it opened or resolved" in stray.message


def test_the_dispute_tables_survive_the_snapshot(disputed):
    c = disputed
    c.tx(credited(1, BOB), credited(1, BOB), resolved(1, 1, UPHELD), status(1, 2), hold(1, 2, 3))
    c.tx(redirected(1, 3, 500, 500), paid(1, 500))
    state = json.loads(json.dumps(c.ledger.state()))
    restored = Ledger(c.ledger.p, Findings())
    restored.restore(state)
    assert restored.state() == c.ledger.state()
    assert restored.disputes[1].credited == {BOB: 2 * BOND} and restored.court_book == 2 * BOND
    assert restored.holds[1].beneficiary == 3 and restored.escrow[1, ETH].held == 1_300
    assert restored.assets[1].status == 2


# -- escrow rounds, prior-commitment takeovers and refused cases (synthetic) ----------------------

TOK, TOK2 = "0x" + "70" * 20, "0x" + "71" * 20
FEE = 5


def ruled_out(dispute, asset, outcome, to=ALICE):
    """An uncontested case at the arbiter ruled: the one bond to `to`, status and hold."""
    upheld = outcome == UPHELD
    return (
        credited(dispute, to),
        resolved(dispute, asset, outcome),
        status(asset, 2 if upheld else 0),
        hold(asset, 2 if upheld else 0, 3 if upheld else 0),
    )


@pytest.fixture
def second_round():
    """Asset 2 (30 % upstream to 1): dispute 1 dismissed with its escrow left unreleased in
    three currencies (1,000 ETH, 200 TOK, 100 TOK2: round 1); asset 3: dispute 2 dismissed
    with 400 ETH left. Then dispute 3 on 2 (beneficiary 3) and dispute 4 on 3: both assets
    held again, in round 2."""
    c = Chain()
    c.ledger.p.court_bond = BOND
    c.tx(registered(1), registered(2, up=3_000, parents=[(1, 3_000, 0)]), registered(3))
    c.tx(opened(1, 2), status(2, 1), hold(2, 1))
    for cur, amount in ((ETH, 1_000), (TOK, 200), (TOK2, 100)):
        c.tx(escrowed(2, amount, cur), paid(2, amount, cur=cur))
    c.tx(opened(2, 3), status(3, 1), hold(3, 1))
    c.tx(escrowed(3, 400), paid(3, 400))
    for dispute, asset in ((1, 2), (2, 3)):
        c.tx(("court", "RulingRequested", [dispute, ARBITER, 0, True]))
        c.tx(*ruled_out(dispute, asset, DISMISSED))
    c.tx(opened(3, 2, beneficiary=3), status(2, 1), hold(2, 1))
    c.tx(opened(4, 3), status(3, 1), hold(3, 1))
    c.tx(("court", "RulingRequested", [3, ARBITER, 0, True]))
    return c


def uphold_third(c):
    """A payment of 500 during dispute 3 (dispute 1's 1,000 ETH first to asset 2's own
    split), then dispute 3 upheld for asset 3."""
    c.tx(released(2, 1_000, 700, 300), escrowed(2, 500), paid(2, 500))
    c.tx(*ruled_out(3, 2, UPHELD, to=BOB))


def test_escrow_of_an_earlier_round_is_the_assets_own_while_held_again_or_upheld(second_round):
    c = second_round
    ledger = c.ledger
    assert ledger.holds[2].round == ledger.holds[3].round == 2
    assert ledger.escrow[2, ETH].round == 1 and ledger.disputes[3].round == 2
    # Held by dispute 3, an earlier round's escrow is its own: release() credits it to
    # asset 2's split, and so does a new payment, just before escrowing its own amount.
    c.tx(released(2, 200, 140, 60, cur=TOK))
    c.tx(released(2, 1_000, 700, 300), escrowed(2, 500), paid(2, 500))
    assert ledger.escrow[2, ETH].held == 500 and ledger.escrow[2, ETH].round == 2
    warned = Findings()
    check_overdue(ledger, None, warned, None)
    # Releasable now: 2's TOK2 and 3's ETH (rounds before the disputes holding them), not
    # 2's ETH (dispute 3's own).
    left = {(w.asset, w.currency): w for w in warned.warnings if w.check == ESCROW_LEFT}
    assert set(left) == {(2, TOK2), (3, ETH)} and left[2, TOK2].found == 100
    message = left[2, TOK2].message
    assert "its own pool" in message and "dispute 3 holds the asset now" in message
    assert "dispute 1 ended dismissed" in message and "next credit" in message
    c.tx(*ruled_out(3, 2, UPHELD, to=BOB))
    # Upheld: its own round's 500 goes to the beneficiary 3, itself held by dispute 4 with
    # dispute 2's 400 still in its escrow: that goes to 3's own pool before the 500 goes in.
    c.tx(released(2, 500), released(3, 400, 400), escrowed(3, 500), redirected(2, 3, 500))
    # And an earlier round's escrow stays asset 2's own after the upholding too.
    c.tx(released(2, 100, 70, 30, cur=TOK2))
    # A payment to 2 now goes on to 3, into 3's escrow of the current round.
    c.tx(escrowed(3, 50), redirected(2, 3, 50), paid(2, 50))
    check_conservation(ledger, c.findings)
    assert c.findings.ok and not c.findings.items, messages_of(c)
    pools = {(k, cur): (p.accrued, p.pending) for (k, cur), p in ledger.pools.items()}
    assert pools[2, ETH] == (700, 300) and pools[2, TOK] == (140, 60)
    assert pools[2, TOK2] == (70, 30) and pools[3, ETH] == (400, 0)
    assert [ledger.escrow[2, cur].held for cur in (ETH, TOK, TOK2)] == [0, 0, 0]
    assert ledger.escrow[3, ETH].held == 550 and ledger.escrow[3, ETH].round == 2
    assert ledger.escrow[2, ETH].released == 1_000 and ledger.escrow[2, ETH].redirected == 500
    assert ledger.escrow[3, ETH].released == 400
    assert ledger.diversions[2, 3, ETH].from_escrow == 500


def _current_round_released_while_held(c):
    c.tx(released(2, 1_000, 700, 300), escrowed(2, 500), paid(2, 500))
    c.tx(released(2, 500, 350, 150))


def _earlier_round_not_released_first(c):
    c.tx(escrowed(2, 500), paid(2, 500))


def _earlier_round_sent_to_the_beneficiary(c):
    uphold_third(c)
    c.tx(released(2, 100, cur=TOK2), escrowed(3, 100, TOK2), redirected(2, 3, 100, cur=TOK2))


def _earlier_round_credited_upstream_wrong(c):
    c.tx(released(2, 1_000, 1_000, 0), escrowed(2, 500), paid(2, 500))


@pytest.mark.parametrize(
    "tamper",
    [
        _current_round_released_while_held,
        _earlier_round_not_released_first,
        _earlier_round_sent_to_the_beneficiary,
        _earlier_round_credited_upstream_wrong,
    ],
    ids=lambda f: f.__name__.strip("_").replace("_", " "),
)
def test_escrow_rounds_the_vault_never_mixes_are_caught(second_round, tamper):
    c = second_round
    tamper(c)
    failed = c.failed()
    assert failed and set(failed) == {("credits follow the hold", 2)}, failed
    if tamper is _current_round_released_while_held:
        assert "escrow is of its round 2" in c.findings.failures[0].message
    if tamper is _earlier_round_not_released_first:
        assert "1000 of round 1" in c.findings.failures[0].message


def takeover(old, new, asset, back, defendant_back=0, beneficiary=1):
    """claimPriorCommitment on an asset whose dispute `old` is running: its deposits back
    (`back` to its claimant BOB, `defendant_back` to ALICE), DisputeResolved(Lapsed) with no
    status or hold change, then CAROL's claim opened and upheld in the same call."""
    return (
        credited(old, BOB, back),
        *([credited(old, ALICE, defendant_back)] if defendant_back else []),
        resolved(old, asset, LAPSED),
        opened(new, asset, claimant=CAROL, beneficiary=beneficiary, deposit=0, kind=2),
        status(asset, 1),
        hold(asset, 1),
        resolved(new, asset, UPHELD),
        status(asset, 2),
        hold(asset, 2, beneficiary),
    )


@pytest.fixture
def running():
    """Asset 1 (CAROL's claim's beneficiary) and four disputes, each claimant BOB paying
    BOND + FEE: 1 on asset 2 contested at the arbiter (FEE spent), 1,000 in escrow; 2 on 3
    open, 300 in escrow; 3 on 4 refused by the arbiter (FEE back at once); none on 5."""
    c = Chain()
    c.ledger.p.court_bond = BOND
    c.tx(*(registered(i) for i in range(1, 6)))
    for dispute, asset in ((1, 2), (2, 3), (3, 4)):
        c.tx(opened(dispute, asset, deposit=BOND + FEE), status(asset, 1), hold(asset, 1))
    c.tx(escrowed(2, 1_000), paid(2, 1_000))
    c.tx(escrowed(3, 300), paid(3, 300))
    c.tx(
        ("court", "DisputeAnswered", [1, ALICE, True, BOND]),
        ("court", "RulingRequested", [1, ARBITER, FEE, True]),
    )
    c.tx(credited(3, BOB, FEE), ("court", "RulingRequested", [3, ARBITER, FEE, False]))
    return c


def test_a_prior_commitment_takes_over_a_running_dispute_and_its_escrow(running):
    c = running
    c.tx(*takeover(1, 4, 2, BOND, BOND))  # at the arbiter, contested: each bond back
    c.tx(*takeover(2, 5, 3, BOND + FEE))  # open: the bond and the unspent fee back
    c.tx(*takeover(3, 6, 4, BOND))  # refused: its fee came back at the request
    # The round is the one the taken-over dispute filled: its escrow goes to the beneficiary.
    c.tx(released(2, 1_000), redirected(2, 1, 1_000, 1_000))
    c.tx(released(3, 300), redirected(3, 1, 300, 300))
    assert c.findings.ok and not c.findings.items, messages_of(c)
    ledger = c.ledger
    assert [ledger.disputes[i].state for i in range(1, 7)] == [LAPSED] * 3 + [UPHELD] * 3
    assert [ledger.disputes[i].superseded_by for i in (1, 2, 3)] == [4, 5, 6]
    assert [ledger.holds[a].round for a in (2, 3, 4)] == [1, 1, 1]
    assert ledger.disputes[4].round == ledger.disputes[1].round == 1
    assert ledger.bond_shares(ledger.disputes[2]) == {BOB: BOND + FEE}
    assert ledger.bond_shares(ledger.disputes[1]) == {BOB: BOND, ALICE: BOND}
    assert c.findings.tallies["bonds settled at resolution"].checked == 6
    assert ledger.pools[1, ETH].accrued == 1_300 and ledger.escrow[2, ETH].redirected == 1_000
    assert ledger.depositors[BOB].balance == BOND + (BOND + FEE) + (FEE + BOND)
    assert ledger.depositors[ALICE].balance == BOND
    assert ledger.court_book == 3 * BOND + 2 * FEE + BOND  # all withdrawable; FEE spent once
    assert ledger.court_book == sum(d.balance for d in ledger.depositors.values())


def _lapsed_open_with_its_status_and_hold_back(c):
    events = list(takeover(2, 4, 3, BOND + FEE))
    events[2:2] = [status(3, 0), hold(3, 0)]
    c.tx(*events)


def _claim_on_a_disputed_asset_without_the_lapse(c):
    c.tx(*takeover(2, 4, 3, BOND + FEE)[2:])


def _claim_not_upheld_in_its_call(c):
    c.tx(*takeover(2, 4, 3, BOND + FEE)[:5])  # up to the claim's HoldChanged(1, 0)


def _defendant_bond_kept(c):
    c.tx(*takeover(1, 4, 2, BOND))


def _takeover_hold_left_out(c):
    events = list(takeover(2, 4, 3, BOND + FEE))
    del events[4]  # the claim's HoldChanged(1, 0)
    c.tx(*events)


def _case(tamper, *caught):
    return pytest.param(tamper, list(caught), id=tamper.__name__.strip("_").replace("_", " "))


@pytest.mark.parametrize(
    ("tamper", "caught"),
    [
        _case(_lapsed_open_with_its_status_and_hold_back, ("dispute events in order", 3)),
        _case(_claim_on_a_disputed_asset_without_the_lapse, ("dispute events in order", 3)),
        _case(_claim_not_upheld_in_its_call, ("dispute events in order", 3)),
        _case(_defendant_bond_kept, ("bonds settled at resolution", 2)),
        _case(_takeover_hold_left_out, *[("holds follow the court", 3)] * 2),
    ],
)
def test_takeovers_the_court_never_makes_are_caught(running, tamper, caught):
    tamper(running)
    assert running.failed() == caught, messages_of(running)


@pytest.mark.parametrize("outcome", [LAPSED, UPHELD, DISMISSED], ids=STATE_NAMES.get)
def test_a_case_the_arbiter_refused_only_lapses(running, outcome):
    """Dispute 3's arbiter refused it (its fee came back with the refusal): the court refuses
    any ruling on it (AssetCourtCaseRefused), so only a lapse ends it."""
    c = running
    upheld = outcome == UPHELD
    to = ALICE if outcome == DISMISSED else BOB
    c.tx(credited(3, to), resolved(3, 4, outcome), status(4, 2 * upheld), hold(4, 2 * upheld))
    if outcome == LAPSED:
        assert c.findings.ok and not c.findings.items, messages_of(c)
        assert c.ledger.bond_shares(c.ledger.disputes[3]) == {BOB: FEE + BOND}
        return
    # The bonds went as a ruling sends them: only the ruling itself is impossible.
    assert c.failed() == [("dispute events in order", 4)]
    assert "AssetCourtCaseRefused" in c.findings.failures[0].message


def test_a_refusal_that_keeps_the_claimants_fee_is_caught(running):
    c = running
    c.tx(opened(4, 5, deposit=BOND + FEE), status(5, 1), hold(5, 1))
    c.tx(("court", "RulingRequested", [4, ARBITER, FEE, False]))  # no DepositCredited of FEE
    assert c.failed() == [("dispute events in order", 5)]
    assert "goes back to the claimant at once" in c.findings.failures[0].message


def messages_of(c):
    return [f.message for f in c.findings.failures]


# -- on anvil --------------------------------------------------------------------------------------


def open_dispute(court, asset, claimant, beneficiary=0):
    receipt = court.openSubjective(
        asset, 1, b"\xe1" * 32, beneficiary, value=court.BOND(), sender=claimant
    )
    return receipt.events.filter(court.DisputeOpened)[0].disputeId


@pytest.fixture(scope="module")
def disputes(
    chain, suite, court, panel, register_asset, token, publisher, alice, bob, stranger, deployer
):
    """Five assets and four disputes, all opened by `stranger`:

    1. on the dataset D (beneficiary B, alice's): D is paid in ETH and the token, and its
       model M's flow brings it its share, all into escrow; the owner contests, the panel
       upholds; the escrow is released to B, and a later payment goes to B straight away.
    2. on M (no beneficiary), paid in both currencies; resolved after the answer period and
       dismissed: its ETH escrow is released to its own split (upstream to D, then on to
       B), its token escrow is left unreleased (a warning).
    3. on C (no beneficiary), contested and upheld: a later payment is forfeited to the fee
       book.
    4. on E, paid; resolved to the arbiter, which never rules: past RULING_TIMEOUT (a
       warning, lapsable).

    Revenue accrued before a dispute stays claimable during it (D2): alice claims from D."""
    vault = suite.vault
    bond = court.BOND()
    tok = token.address
    token.mint(deployer, 10**21, sender=deployer)
    token.approve(vault, 10**21, sender=deployer)

    def pay(asset, amount, currency=ETH):
        value = amount if currency == ETH else 0
        vault.pay(asset, currency, amount, value=value, sender=deployer)

    d, d_people = register_asset(publisher, {alice.address: 1, bob.address: 3})
    m, _ = register_asset(publisher, {alice.address: 2, stranger.address: 2}, [(d, 3_000)], MODEL)
    b, _ = register_asset(alice, {bob.address: 1})
    c, _ = register_asset(publisher, {bob.address: 1})
    e, _ = register_asset(publisher, {bob.address: 1})
    pay(d, 10**17)
    pay(m, 10**17)  # 3·10¹⁶ pending for D

    first = open_dispute(court, d, stranger, beneficiary=b)
    pay(d, 2 * 10**17)
    pay(d, 10**6, tok)
    vault.flowUpstream(m, ETH, sender=stranger)  # D's share: into its escrow
    weight, proof = d_people.proof(alice.address)
    vault.claim(d, ETH, alice, weight, proof, sender=alice)  # accrued before: D2
    second = open_dispute(court, m, stranger)
    pay(m, 10**17)
    pay(m, 5 * 10**5, tok)
    third = open_dispute(court, c, stranger)
    court.contest(third, value=bond, sender=publisher)
    panel.vote(court.address, third, True, sender=deployer)
    pay(c, 10**16)  # forfeited to the fee book
    fourth = open_dispute(court, e, stranger)
    pay(e, 5 * 10**16)

    court.contest(first, value=bond, sender=publisher)
    panel.vote(court.address, first, True, sender=deployer)
    vault.release(d, ETH, sender=stranger)
    vault.release(d, tok, sender=stranger)
    pay(d, 10**16)  # after the ruling: to B straight away

    chain.pending_timestamp += court.ANSWER_PERIOD() + 1
    court.resolve(second, sender=stranger)
    court.resolve(fourth, sender=stranger)
    panel.vote(court.address, second, False, sender=deployer)
    vault.release(m, ETH, sender=stranger)  # M's own split; 30 % pending for D
    vault.flowUpstream(m, ETH, sender=stranger)  # D is taken down: its share goes to B
    chain.pending_timestamp += court.RULING_TIMEOUT() + DAY
    court.withdrawDeposits(sender=stranger)
    chain.mine()
    return type(
        "Disputes",
        (),
        dict(
            d=d,
            m=m,
            b=b,
            c=c,
            e=e,
            ids=(first, second, third, fourth),
            bond=bond,
            token=tok.lower(),
        ),
    )


def test_disputes_are_replayed_to_the_wei_and_reported(
    audit, disputes, suite, court, publisher, stranger
):
    x, vault = disputes, suite.vault
    result = audit()
    assert result.ok, messages(result)
    ledger = result.ledger
    # Every escrow, book and deposit equals the chain's.
    for (asset, cur), e in ledger.escrow.items():
        assert e.held == vault.escrowed(asset, cur), (asset, cur)
    for cur in (ETH, x.token):
        assert ledger.books[cur].held == vault.held(cur)
        assert ledger.books[cur].fees == vault.fees(cur)
    assert ledger.court_book == court.totalDeposits() == 2 * x.bond  # dispute 4's, publisher's
    for account in (stranger, publisher):
        assert ledger.depositors[account.address.lower()].balance == court.deposits(account)
    tallies = result.findings.tallies
    for check in (
        "vault.escrowed",
        "vault.hold",
        "registry.status",
        "vault books (D1)",
        "court.dispute",
        "court.deposits",
        "court balance = books",
        "credits follow the hold",
        "holds follow the court",
        "bonds settled at resolution",
        "court wired",
    ):
        assert tallies[check].checked > 0 and tallies[check].failed == 0, check
    # Two warnings: M's token escrow nobody released, dispute 4 lapsable.
    warnings = {(w.check, w.asset, w.currency) for w in result.findings.warnings}
    assert warnings == {(ESCROW_LEFT, x.m, x.token), (RULING_LATE, x.e, None)}
    left = next(w for w in result.findings.warnings if w.check == ESCROW_LEFT)
    assert left.found == vault.escrowed(x.m, x.token) == 5 * 10**5
    assert f"release({x.m}, {x.token})" in left.message and "its own pool" in left.message
    late = next(w for w in result.findings.warnings if w.check == RULING_LATE)
    assert f"lapse({x.ids[3]})" in late.message and f"{5 * 10**16} of {ETH}" in late.message
    assert ANSWER_LATE not in tallies or tallies[ANSWER_LATE].warned == 0

    data = json.loads(result.paths["json"].read_text())
    assert data["court"]["book"] == str(court.totalDeposits())
    assert data["court"]["live"] == str(x.bond) and data["court"]["withdrawable"] == str(x.bond)
    assert data["court"]["balance"] == str(court.totalDeposits()) and data["court"]["excess"] == "0"
    rows = {r["dispute"]: r for r in data["disputes"]}
    first, second, third, fourth = (rows[i] for i in x.ids)
    assert [r["state"] for r in (first, second, third, fourth)] == [
        "upheld",
        "dismissed",
        "upheld",
        "at the arbiter",
    ]
    assert (first["asset"], first["beneficiary"], first["kind"]) == (x.d, x.b, "subjective")
    assert first["claimant"] == stranger.address and first["defendant"] == publisher.address
    assert first["claimant_deposit"] == first["defendant_deposit"] == str(x.bond)
    assert first["credited"] == {stranger.address: str(2 * x.bond)}
    assert second["credited"] == {publisher.address: str(x.bond)}  # the claimant's bond
    assert fourth["live"] == str(x.bond) and fourth["overdue"] is True

    escrow = {(r["asset"], r["currency"].lower()): r for r in data["escrow"]}
    d_eth, d_tok = escrow[x.d, ETH], escrow[x.d, x.token]
    assert (d_eth["hold"], d_eth["beneficiary"], d_eth["held"]) == ("redirected", x.b, "0")
    # D's escrow: 2·10¹⁷ paid (no fee on this suite) and its 3·10¹⁶ share of M's flow.
    assert d_eth["escrowed"] == str(2 * 10**17 + 3 * 10**16)
    (to_b,) = d_eth["redirected_to"]
    assert to_b["asset"] == x.b and to_b["from_escrow"] == d_eth["escrowed"]
    # Then 10¹⁶ paid after the ruling and D's share of M's released ETH, straight to B.
    assert int(to_b["amount"]) == 2 * 10**17 + 3 * 10**16 + 10**16 + 3 * 10**16
    assert d_tok["redirected"] == d_tok["escrowed"] == str(10**6)
    assert escrow[x.b, ETH]["received"] == to_b["amount"]
    assert int(escrow[x.b, ETH]["received"]) == vault.accrued(x.b, ETH)  # B has no parents
    m_eth, m_tok = escrow[x.m, ETH], escrow[x.m, x.token]
    assert m_eth["released"] == m_eth["escrowed"] == str(10**17) and m_eth["held"] == "0"
    assert m_tok["held"] == str(vault.escrowed(x.m, x.token)) and m_tok["hold"] == "none"
    assert escrow[x.c, ETH]["forfeited"] == str(10**16)
    assert escrow[x.e, ETH]["held"] == str(vault.escrowed(x.e, ETH)) == str(5 * 10**16)
    (eth,) = [r for r in data["currencies"] if r["symbol"] == "ETH"]
    assert eth["forfeited"] == str(10**16) and eth["in_escrow"] == str(5 * 10**16)

    html = result.paths["html"].read_text()
    assert "<h2>Disputes</h2>" in html and "Disputed revenue" in html
    for kind in ("escrow", "redirect", "forfeit"):
        assert f'data-kind="{kind}"' in html, kind
    console = Console(file=io.StringIO(), width=220)
    print_summary(result, console)
    out = console.file.getvalue()
    assert "Disputes" in out and "Disputed revenue" in out and "(overdue)" in out
    csv_rows = result.paths["csv_disputes"].read_text().splitlines()
    assert len(csv_rows) == 1 + 4 and csv_rows[0].startswith("dispute,asset,kind,")


def test_eth_forced_to_the_court_and_tampered_events_are_caught(
    audit, disputes, chain, court, token, deployer, stranger, tmp_path
):
    x = disputes
    clean = tmp_path / "clean.sqlite"
    assert audit(db_path=clean).ok

    def tampered(name, change):
        db = tmp_path / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{clean}{suffix}").exists():
                shutil.copy(f"{clean}{suffix}", f"{db}{suffix}")
        _tamper(db, name, change)
        return failed_checks(audit(db_path=db))

    def plus_one(index):
        def change(values):
            values[index] += 1

        return change

    # One wei more into D's escrow than the vault holds: the escrow, its release and the
    # conservation of the books all disagree.
    assert {
        "vault.escrowed",
        "credits follow the hold",
        "escrow released whole",
        "conservation",
    } <= tampered("Escrowed", plus_one(2))
    # A bond credited one wei too many: the court's deposits and §5.5 disagree.
    assert {"court.deposits", "bonds settled at resolution", "deposits withdrawn whole"} <= (
        tampered("DepositCredited", plus_one(2))
    )
    # A hold the index lost: the open called for it, and the credits it diverted follow
    # no hold.
    assert {"holds follow the court", "credits follow the hold", "payment split"} <= tampered(
        "HoldChanged", None
    )

    force_eth(chain, deployer, court.address, 12_345)
    token.mint(deployer, 777, sender=deployer)
    token.transfer(court, 777, sender=deployer)
    result = audit()
    assert failed_checks(result) == {"court balance = books"}, messages(result)
    stranded = {f.currency: f for f in result.findings.failures}
    assert stranded[ETH].found - stranded[ETH].expected == 12_345
    assert stranded[ETH].expected == court.totalDeposits() and "Stranded" in stranded[ETH].message
    assert stranded[x.token].found == 777 and stranded[x.token].expected == 0
    excess = {(w.currency, w.found) for w in result.findings.warnings if w.check == "court excess"}
    assert excess == {(ETH, 12_345), (x.token, 777)}
    data = json.loads(result.paths["json"].read_text())
    assert data["court"]["excess"] == "12345"

    court.sweepExcess(ETH, sender=stranger)
    court.sweepExcess(token, sender=stranger)
    after = audit()
    assert after.ok, messages(after)
    swept = after.ledger.sweeps
    assert swept["court", ETH].amount == 12_345 and swept["court", x.token].amount == 777
    assert after.findings.tallies["sweeps go to the treasury"].failed == 0


@pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (apt-get install chromium)")
def test_the_disputes_section_and_chart_render_in_headless_chromium(audit, disputes, tmp_path):
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
    assert "<h2>Disputes</h2>" in dom.stdout and "at the arbiter" in dom.stdout
    assert f"asset {disputes.b}" in dom.stdout
    parsed = _Svg()
    parsed.feed(dom.stdout)
    eth = next(c for c in parsed.charts if any("ETH" in t["s"] for t in c["texts"]))
    texts = [t["s"] for t in eth["texts"]]
    for legend in ("escrow (disputed)", "redirected (upheld)", "forfeited to the fee book"):
        assert legend in texts, legend
    labels = {t.split(" · ")[0] for t in texts if " · " in t}
    assert {"In escrow (disputed)", "Redirected (upheld)", "Redirected by disputes"} <= labels
    for chart in parsed.charts:  # the legend wraps rather than run off the chart
        clashes, cut = _overlapping_texts(chart)
        assert not clashes and not cut, (clashes, cut)


# -- on anvil: escrow rounds and a prior-commitment takeover --------------------------------------


def figures_equal_the_chain(result, vault, court, assets, currencies, accounts):
    """The rebuilt escrow, pools and books, and the court's book and deposits, are the
    chain's own figures."""
    ledger = result.ledger
    for asset in assets:
        for cur in currencies:
            e, p = ledger.escrow.get((asset, cur)), ledger.pools.get((asset, cur))
            assert (e.held if e else 0) == vault.escrowed(asset, cur), (asset, cur)
            assert (p.accrued if p else 0) == vault.accrued(asset, cur), (asset, cur)
            assert (p.pending if p else 0) == vault.pendingUpstream(asset, cur), (asset, cur)
    for cur in currencies:
        assert ledger.books[cur].held == vault.held(cur), cur
    assert ledger.court_book == court.totalDeposits()
    for account in accounts:
        assert ledger.depositors[account.address.lower()].balance == court.deposits(account)


def test_an_earlier_disputes_escrow_goes_to_the_pool_on_chain(
    audit, suite, court, panel, register_asset, token, publisher, alice, bob, stranger, deployer
):
    """Dispute 1 on A (30 % upstream to P) dismissed with its ETH and token escrow left;
    dispute 2 for B: a payment during it first credits dispute 1's ETH to A's own split; its
    own escrow cannot be released while it runs; upheld, its escrow goes to B and dispute 1's
    token escrow, released after, to A's own split."""
    vault, bond, tok = suite.vault, court.BOND(), token.address.lower()
    token.mint(deployer, 10**9, sender=deployer)
    token.approve(vault, 10**9, sender=deployer)
    p, _ = register_asset(publisher, {alice.address: 1})
    a, _ = register_asset(publisher, {alice.address: 1, bob.address: 1}, [(p, 3_000)], MODEL)
    b, _ = register_asset(alice, {bob.address: 1})

    first = open_dispute(court, a, stranger)
    vault.pay(a, ETH, 10**17, value=10**17, sender=deployer)
    vault.pay(a, token, 10**6, sender=deployer)
    court.contest(first, value=bond, sender=publisher)
    panel.vote(court.address, first, False, sender=deployer)
    second = open_dispute(court, a, stranger, beneficiary=b)
    receipt = vault.pay(a, ETH, 5 * 10**16, value=5 * 10**16, sender=deployer)
    (old,) = receipt.events.filter(vault.Released)
    assert (old.amount, old.toContributors, old.toUpstream) == (10**17, 7 * 10**16, 3 * 10**16)
    assert vault.escrowed(a, ETH) == 5 * 10**16 and vault.accrued(a, ETH) == 7 * 10**16
    with ape.reverts(vault.RoyaltyVaultStillHeld):
        vault.release(a, ETH, sender=stranger)  # dispute 2's own escrow
    court.contest(second, value=bond, sender=publisher)
    panel.vote(court.address, second, True, sender=deployer)
    vault.release(a, ETH, sender=stranger)  # to B
    assert vault.accrued(b, ETH) == 5 * 10**16

    result = audit()
    assert result.ok, messages(result)
    mine = [w for w in result.findings.warnings if w.asset in (a, b, p)]
    assert [(w.check, w.asset, w.currency) for w in mine] == [(ESCROW_LEFT, a, tok)]
    message = mine[0].message
    assert "its own pool" in message and f"dispute {second} took the asset down" in message
    assert f"dispute {first} ended dismissed" in message and f"asset {b}" not in message
    rows = {(r["asset"], r["currency"].lower()): r for r in escrow_rows(result)}
    assert rows[a, tok]["earlier_round"] and rows[a, tok]["round"] == 1
    assert rows[a, ETH]["round"] == rows[a, ETH]["hold_round"] == 2
    assert result.ledger.holds[a].round == 2

    vault.release(a, token, sender=stranger)  # upheld, but dispute 1's: A's own split
    assert vault.accrued(a, token) == 7 * 10**5 and vault.pendingUpstream(a, token) == 3 * 10**5
    result = audit()
    assert result.ok, messages(result)
    assert not [w for w in result.findings.warnings if w.asset in (a, b, p)]
    figures_equal_the_chain(result, vault, court, (a, b, p), (ETH, tok), (stranger, publisher))
    pool = result.ledger.pools[a, ETH]
    assert pool.released == 10**17 and result.ledger.escrow[a, ETH].redirected == 5 * 10**16


def test_a_prior_commitment_takes_over_a_contested_dispute_on_chain(
    audit, chain, suite, registry, court, register_asset, publisher, bob, stranger
):
    """bob committed first; publisher registered the same root directly (a squat), stranger
    disputed it and publisher contested; bob's prior claim ends that dispute as lapsed (each
    bond back) and is upheld in the same call, and the escrow paid during the dispute goes to
    bob's asset."""
    vault, bond = suite.vault, court.BOND()
    own, _ = register_asset(bob, {bob.address: 1})
    root, salt = os.urandom(32), b"\x5e" * 32
    leaf = registration_leaf(bob, root, salt)
    registry.commit(commitment_of([leaf]), sender=bob)
    chain.pending_timestamp += 2
    squat, _ = register_asset(publisher, {publisher.address: 1}, content_root=root)
    old = open_dispute(court, squat, stranger)
    vault.pay(squat, ETH, 10**16, value=10**16, sender=stranger)
    court.contest(old, value=bond, sender=publisher)  # at the panel
    before = {who: court.deposits(who) for who in (stranger, publisher)}
    receipt = court.claimPriorCommitment(squat, [leaf], 0, salt, own, sender=bob)
    new = receipt.events.filter(court.DisputeOpened)[0].disputeId
    assert [court.dispute(i).state for i in (old, new)] == [LAPSED, UPHELD]
    assert {w: court.deposits(w) - before[w] for w in before} == {stranger: bond, publisher: bond}
    assert vault.hold(squat) == (2, own) and vault.escrowed(squat, ETH) == 10**16
    vault.release(squat, ETH, sender=stranger)  # the takeover kept the round: to bob's asset
    assert vault.accrued(own, ETH) == 10**16

    result = audit()
    assert result.ok, messages(result)
    ledger = result.ledger
    assert ledger.disputes[old].superseded_by == new and ledger.disputes[old].state == LAPSED
    assert ledger.holds[squat].round == ledger.disputes[new].round == 1
    figures_equal_the_chain(result, vault, court, (squat, own), (ETH,), (stranger, publisher, bob))
    rows = {r["dispute"]: r for r in json.loads(result.paths["json"].read_text())["disputes"]}
    assert rows[old]["superseded_by"] == new and rows[old]["state"] == "lapsed"
    tallies = result.findings.tallies
    for check in (
        "holds follow the court",
        "bonds settled at resolution",
        "dispute events in order",
    ):
        assert tallies[check].checked > 0 and tallies[check].failed == 0, check


def test_an_unanswered_duplicate_claim_sent_to_the_arbiter_settles_like_a_subjective_one():
    """A duplicate claim against an asset with parents is not upheld by default: `resolve`
    sends it to the arbiter (no DisputeAnswered), and a dismissal gives the owner the
    claimant's bond."""
    c = Chain()
    c.ledger.p.court_bond = BOND
    c.tx(registered(1), registered(2), registered(3, up=2_000, parents=[(2, 2_000, 0)]))
    c.tx(opened(1, 3, kind=1, beneficiary=1), status(3, 1), hold(3, 1))
    c.tx(("court", "RulingRequested", [1, ARBITER, 0, True]))
    c.tx(credited(1, ALICE), resolved(1, 3, DISMISSED), status(3, 0), hold(3, 0))
    assert c.findings.ok and not c.findings.items, [f.message for f in c.findings.failures]
    assert c.ledger.depositors[ALICE].balance == BOND
