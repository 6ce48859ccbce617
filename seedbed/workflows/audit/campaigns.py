"""Labeling campaigns rebuilt from LabelCampaigns' events, checked event by event and against
the chain.

Per campaign, from its events alone: the pool escrowed at creation, the standing result (root,
total weight, bond), disputes with their bonds, every claim (which must be exactly
⌊pool × weight / totalWeight⌋ of the standing result, once per account, within the claim
window), and the end: refund = pool − Σ claims to the wei, and the bond returned whole. Bonds
move whole: a slash splits one between the challenger and the requester with nothing left
over; a ruling pays the claimant both bonds (upheld) or the operator the claimant's
(dismissed); a lapse returns the claimant's. Credits (what could not be sent, or was the
requester's half) are followed to their withdrawal.

What the contract must hold, per currency: for every campaign not finished, its pool not yet
claimed, its standing bond and a running dispute's bond; plus every credit not withdrawn
(`held`, compared with the contract's balance in checks.check_balances). Against the chain:
`state(id)` of every campaign and `credit(account, currency)` of every account credited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seedbed.chain.chainread import selector
from seedbed.workflows.audit.findings import Findings

if TYPE_CHECKING:  # court.py imports the ledger, which imports this module
    from seedbed.workflows.audit.court import Reader

OPEN, POSTED, FINISHED, DISPUTED = 1, 2, 3, 4
STATUS_NAMES = {OPEN: "open", POSTED: "posted", FINISHED: "finished", DISPUTED: "disputed"}


@dataclass(slots=True)
class Campaign:
    """One campaign as its events tell it."""

    id: int
    requester: str
    operator: str
    currency: str
    pool: int
    bond: int  # the parameters' bond (what each post and each dispute deposits)
    post_by: int
    challenge_window: int
    claim_window: int
    created_at: int
    tx: str
    status: int = OPEN
    result_root: str = ""
    total_weight: int = 0
    bond_held: int = 0  # the standing result's bond, as it arrived
    dispute_bond: int = 0  # a running dispute's bond, as it arrived
    claimant: str = ""
    opens_at: int = 0  # claims open after it; they end at opens_at + claim_window
    claimed: int = 0
    claims: int = 0
    refund: int = 0
    bond_returned: int = 0
    slashed: int = 0  # bonds the operator lost (challenges, upheld disputes)
    posts: int = 0
    disputes: int = 0
    gold_root: str = ""

    @property
    def held(self) -> int:
        """What the contract holds for this campaign (credits apart)."""
        if self.status == FINISHED:
            return 0
        return self.pool - self.claimed + self.bond_held + self.dispute_bond


@dataclass(slots=True)
class CampaignClaim:
    """An account's claim of a campaign: what it was paid, for which weight, and where to."""

    campaign: int
    account: str
    amount: int
    weight: int
    to: str
    claimed_at: int
    tx: str


@dataclass(slots=True)
class CampaignCredit:
    """What LabelCampaigns credited an account in a currency, and what it withdrew."""

    credited: int = 0
    withdrawn: int = 0

    @property
    def balance(self) -> int:
        return self.credited - self.withdrawn


TABLES: dict[str, type] = {
    "campaigns": Campaign,
    "campaign_claims": CampaignClaim,
    "campaign_credits": CampaignCredit,
}


class CampaignBook:
    """The campaigns' handlers for the ledger: events in chain order, one check each."""

    def __init__(self, findings: Findings) -> None:
        self.f = findings
        self.campaigns: dict[int, Campaign] = {}
        self.campaign_claims: dict[tuple[int, str], CampaignClaim] = {}
        self.campaign_credits: dict[tuple[str, str], CampaignCredit] = defaultdict(CampaignCredit)
        # Within a transaction: credits an event announced (account, currency, amount), each to
        # be matched by its Credited event.
        self.expected_credits: list[tuple[str, str, int]] = []

    def handlers(self) -> dict[str, Any]:
        return {
            "CampaignCreated": self._created,
            "GoldRevealed": self._gold_revealed,
            "ResultPosted": self._posted,
            "ResultSlashed": self._slashed,
            "ResultDisputed": self._disputed,
            "DisputeRuled": self._ruled,
            "DisputeLapsed": self._lapsed,
            "Claimed": self._claimed,
            "ClaimedTo": self._claimed_to,
            "ClaimFailed": lambda a, stamp, tx: None,  # nothing was booked
            "Finished": self._finished,
            "Credited": self._credited,
            "CreditWithdrawn": self._credit_withdrawn,
        }

    def held(self, currency: str) -> int:
        """Σ what the contract must hold in `currency`: live campaigns and open credits."""
        live = sum(c.held for c in self.campaigns.values() if c.currency == currency)
        owed = sum(k.balance for (_, cur), k in self.campaign_credits.items() if cur == currency)
        return live + owed

    def currencies(self) -> set[str]:
        return {c.currency for c in self.campaigns.values()} | {
            cur for _, cur in self.campaign_credits
        }

    def end_tx(self, tx: str) -> None:
        """Every credit an event announced came as a Credited event in the same transaction."""
        for account, cur, amount in self.expected_credits:
            self.f.fail(
                "campaign credits announced and made",
                f"{amount} of {cur} should have been credited to {account} but no Credited "
                "event followed.",
                account=account,
                currency=cur,
                tx=tx,
            )
        self.expected_credits = []

    # -- handlers ------------------------------------------------------------------------------

    def _report(self, check: str, problems: list[str], what: str, where: dict[str, Any]) -> None:
        if problems:
            self.f.fail(check, f"{what}: " + "; ".join(problems) + ".", **where)
        else:
            self.f.passed(check)

    def _get(self, cid: int, event: str, tx: str) -> Campaign | None:
        c = self.campaigns.get(cid)
        if c is None:
            self.f.fail(
                "campaign events follow the rules",
                f"{event} names campaign {cid}, which was never created.",
                tx=tx,
            )
        return c

    def _created(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, requester, operator, params = a
        req, currency, pool, _items, _gold, op, bond, post_by, challenge, claim = params
        problems = []
        if cid in self.campaigns:
            problems.append("its id was used before")
        if cid != len(self.campaigns) + 1:
            problems.append(f"ids run 1, 2, …: {len(self.campaigns) + 1} was next")
        if str(req).lower() != requester or str(op).lower() != operator:
            problems.append("its parameters name another requester or operator than the event")
        if pool <= 0 or bond <= 0:
            problems.append(f"its pool {pool} or bond {bond} is zero")
        self._report(
            "campaign events follow the rules",
            problems,
            f"Campaign {cid} created by {requester}",
            {"account": requester, "tx": tx},
        )
        self.campaigns[cid] = Campaign(
            cid, requester, operator, str(currency).lower(), pool, bond, post_by, challenge,
            claim, stamp, tx,
        )  # fmt: skip

    def _gold_revealed(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, _by, gold_root, _salt = a
        c = self._get(cid, "GoldRevealed", tx)
        if c is not None:
            c.gold_root = gold_root

    def _posted(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, root, total, _report, gold_root, _salt, bond = a
        c = self._get(cid, "ResultPosted", tx)
        if c is None:
            return
        problems = []
        if c.status != OPEN:
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        if stamp > c.post_by:
            problems.append(f"posted at {stamp}, after postBy {c.post_by}")
        if c.gold_root and gold_root != c.gold_root:
            problems.append(f"its gold root is not the revealed {c.gold_root}")
        if total <= 0 or bond <= 0:
            problems.append(f"its total weight {total} or bond {bond} is zero")
        self._report(
            "campaign results follow the rules",
            problems,
            f"Campaign {cid}'s result {root}",
            {"account": c.operator, "tx": tx},
        )
        c.status, c.result_root, c.total_weight = POSTED, root, total
        c.bond_held, c.opens_at, c.posts = bond, stamp + c.challenge_window, c.posts + 1

    def _slashed(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, _challenger, bond, to_challenger, to_requester = a
        c = self._get(cid, "ResultSlashed", tx)
        if c is None:
            return
        problems = []
        if c.status != POSTED:
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        if bond != c.bond_held or to_challenger + to_requester != bond:
            problems.append(
                f"the bond {bond} (held {c.bond_held}) did not split whole into {to_challenger} "
                f"+ {to_requester}"
            )
        self._report(
            "campaign bonds move whole",
            problems,
            f"Campaign {cid}'s result slashed",
            {"account": c.operator, "tx": tx},
        )
        if to_requester:
            self.expected_credits.append((c.requester, c.currency, to_requester))
        c.slashed += c.bond_held
        c.status, c.bond_held, c.opens_at = OPEN, 0, 0

    def _disputed(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, claimant, _case, bond, _fee, _evidence = a
        c = self._get(cid, "ResultDisputed", tx)
        if c is None:
            return
        problems = []
        if c.status != POSTED:
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        elif stamp > c.opens_at:
            problems.append(f"disputed at {stamp}, after the challenge window ({c.opens_at})")
        self._report(
            "campaign disputes follow the rules",
            problems,
            f"Campaign {cid} disputed by {claimant}",
            {"account": claimant, "tx": tx},
        )
        c.status, c.dispute_bond, c.claimant, c.disputes = DISPUTED, bond, claimant, c.disputes + 1

    def _ruled(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, upheld, credited, amount = a
        c = self._get(cid, "DisputeRuled", tx)
        if c is None:
            return
        want_to, want = (
            (c.claimant, c.dispute_bond + c.bond_held) if upheld else (c.operator, c.dispute_bond)
        )
        problems = []
        if c.status != DISPUTED:
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        if (credited, amount) != (want_to, want):
            problems.append(f"it credited {amount} to {credited}, not {want} to {want_to}")
        self._report(
            "campaign bonds move whole",
            problems,
            f"Campaign {cid}'s dispute {'upheld' if upheld else 'dismissed'}",
            {"account": credited, "tx": tx},
        )
        self.expected_credits.append((credited, c.currency, amount))
        if upheld:
            c.slashed += c.bond_held
            c.status, c.bond_held, c.opens_at = OPEN, 0, 0
        else:
            c.status, c.opens_at = POSTED, stamp
        c.dispute_bond, c.claimant = 0, ""

    def _lapsed(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, claimant, returned = a
        c = self._get(cid, "DisputeLapsed", tx)
        if c is None:
            return
        problems = []
        if c.status != DISPUTED:
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        if (claimant, returned) != (c.claimant, c.dispute_bond):
            problems.append(f"it returned {returned} to {claimant}, not {c.dispute_bond}")
        self._report(
            "campaign bonds move whole",
            problems,
            f"Campaign {cid}'s dispute lapsed",
            {"account": claimant, "tx": tx},
        )
        self.expected_credits.append((claimant, c.currency, returned))
        c.status, c.opens_at, c.dispute_bond, c.claimant = POSTED, stamp, 0, ""

    def _claimed(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, account, amount, weight = a
        c = self._get(cid, "Claimed", tx)
        if c is None:
            return
        problems = []
        if c.status != POSTED:
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        elif not c.opens_at < stamp <= c.opens_at + c.claim_window:
            problems.append(
                f"claimed at {stamp}, outside the claim window ({c.opens_at}, "
                f"{c.opens_at + c.claim_window}]"
            )
        share = c.pool * weight // c.total_weight if c.total_weight else 0
        if amount != share:
            problems.append(
                f"paid {amount}, not ⌊{c.pool} × {weight} / {c.total_weight}⌋ = {share}"
            )
        if (cid, account) in self.campaign_claims:
            problems.append("the account had claimed already")
        if c.claimed + amount > c.pool:
            problems.append(f"the claims would exceed the pool {c.pool}")
        self._report(
            "campaign claims are each one's share, once",
            problems,
            f"{account}'s claim of campaign {cid}",
            {"account": account, "tx": tx},
        )
        self.campaign_claims[cid, account] = CampaignClaim(
            cid, account, amount, weight, account, stamp, tx
        )
        c.claimed += amount
        c.claims += 1

    def _claimed_to(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, account, to, _amount = a
        claim = self.campaign_claims.get((cid, account))
        if claim is not None:
            claim.to = to

    def _finished(self, a: list[Any], stamp: int, tx: str) -> None:
        cid, refund, bond_returned, posted = a
        c = self._get(cid, "Finished", tx)
        if c is None:
            return
        problems = []
        if c.status not in (OPEN, POSTED):
            problems.append(f"the campaign was {STATUS_NAMES.get(c.status, c.status)}")
        elif c.status == POSTED and stamp <= c.opens_at + c.claim_window:
            problems.append(f"finished at {stamp}, within the claim window")
        elif c.status == OPEN and stamp <= c.post_by:
            problems.append(f"finished at {stamp}, before postBy {c.post_by}")
        if refund != c.pool - c.claimed:
            problems.append(f"refunded {refund}, not pool {c.pool} − claims {c.claimed}")
        if bond_returned != c.bond_held:
            problems.append(f"returned a bond of {bond_returned}, not {c.bond_held}")
        self._report(
            "campaign pools conserved",
            problems,
            f"Campaign {cid} finished",
            {"account": c.requester, "tx": tx},
        )
        c.refund, c.bond_returned = refund, bond_returned
        c.status, c.bond_held = FINISHED, 0

    def _credited(self, a: list[Any], stamp: int, tx: str) -> None:
        account, currency, amount = a
        self.campaign_credits[account, currency].credited += amount
        key = (account, currency, amount)
        if key in self.expected_credits:
            self.expected_credits.remove(key)
        # Otherwise a payout of finish that could not be sent: nothing else announces it.

    def _credit_withdrawn(self, a: list[Any], stamp: int, tx: str) -> None:
        account, currency, amount, _to = a
        k = self.campaign_credits[account, currency]
        self._report(
            "campaign credits withdrawn whole",
            [] if amount == k.balance else [f"withdrew {amount} of a credit of {k.balance}"],
            f"{account}'s campaign credit in {currency}",
            {"account": account, "currency": currency, "tx": tx},
        )
        k.withdrawn += amount


def check_campaigns(book: CampaignBook, reader: Reader, address: str, f: Findings) -> None:
    """`state(id)` of every campaign and `credit(account, currency)` of every credited account,
    against what the events rebuilt."""
    ids = sorted(book.campaigns)
    sel = selector("state(uint256)")
    replies = reader.call_many([(address, sel + i.to_bytes(32, "big")) for i in ids])
    for cid, reply in zip(ids, replies, strict=True):
        c = book.campaigns[cid]
        remaining = 0 if c.status == FINISHED else c.pool - c.claimed
        want = [c.status, c.opens_at, c.bond_held, remaining]
        found = None
        if reply is not None and len(reply) >= 128:
            found = [int.from_bytes(reply[i : i + 32], "big") for i in range(0, 128, 32)]
        if found == want:
            f.passed("campaigns.state")
            continue
        f.fail(
            "campaigns.state",
            f"campaigns.state({cid}) is {found} on chain (status, opensAt, bond, remaining) but "
            f"{want} rebuilt from events.",
            expected=str(want),
            found=str(found),
        )
    keys = sorted(book.campaign_credits)
    answers = reader.words(address, "credit(address,address)", [list(k) for k in keys])
    for (account, currency), answer in zip(keys, answers, strict=True):
        want_credit = book.campaign_credits[account, currency].balance
        f.equal(
            "campaigns.credit",
            want_credit,
            answer,
            f"campaigns.credit({account}, {currency}) is {answer} on chain but {want_credit} "
            "rebuilt from Credited and CreditWithdrawn events.",
            account=account,
            currency=currency,
        )
