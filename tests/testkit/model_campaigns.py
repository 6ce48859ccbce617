"""A plain-Python model of LabelCampaigns, written from ILabelCampaigns' rules.

Like testkit.model (whose Protocol owns an instance of `Campaigns`, so that one atomic
snapshot covers the shared balances, the shared arbiter and the campaigns), each action either
raises `Revert` with the exact custom error the chain must revert with, in the contract's order
of checks, or applies it and moves every wei it moves. A campaign is a requester's escrowed
pool, an operator's bonded result (a contributors Merkle-sum root from its `top`, a report hash
and the gold root), a challenge window in which the report may be proven to contradict the
result (the bond is slashed: half to the challenger, the rest credited to the requester) or the
result disputed (a bond like the operator's, decided by the deployment's arbiter, or lapsed
after RULING_TIMEOUT), then a claim window in which each contributor claims
⌊pool × weight / total⌋ once, and `finish`, which returns the rest and the bond.

Simplifications: recipients are EOAs (every send succeeds, so `finish` never credits), proofs
are named by the root of the tree they were built from (None: a proof of no tree), and gas is
not modelled except for the TestArbiter that runs out of it inside `dispute`, whose
CampaignGasTooLow carries values the model cannot know (`ANY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from testkit.campaigns import Params
from testkit.model import (
    ETH,
    UINT96_MAX,
    UINT160_MAX,
    ZERO32,
    ZERO_ADDRESS,
    PanelCase,
    Revert,
    SumNode,
    contributor_leaf,
    sum_node,
)

NONE, OPEN, POSTED, FINISHED, DISPUTED = 0, 1, 2, 3, 4
MAX_WINDOW = 365 * 24 * 3600
MAX_BATCH = 64
UINT112_MAX = 2**112 - 1
UINT128_MAX = 2**128 - 1


class _Any:
    """Equal to anything: a value of an error the model cannot predict (gas left)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()


def case_id(campaign_id: int, round_: int) -> int:
    """The arbiter's case number of a campaign's dispute: round << 128 | id."""
    return round_ << 128 | campaign_id


def campaign_root(top: Sequence[SumNode]) -> tuple[bytes, int]:
    """(result root, total weight) from the root's preimage, as `postResult` derives them,
    or its Revert."""
    if len(top) == 1:
        word, total = top[0]
        raw = int.from_bytes(word, "big")
        if raw > UINT160_MAX:
            raise Revert("CampaignBadTop", 1)
        if raw == 0:
            raise Revert("CampaignZeroContributor")
        if total == 0 or total > UINT96_MAX:
            raise Revert("CampaignBadTotalWeight", total)
        return contributor_leaf("0x" + word[12:].hex(), total), total
    if len(top) != 2:
        raise Revert("CampaignBadTop", len(top))
    s0, s1 = top[0][1], top[1][1]
    if s0 > UINT96_MAX or s1 > UINT96_MAX:
        raise Revert("CampaignBadTotalWeight", max(s0, s1))
    root, total = sum_node(top[0], top[1])
    if total == 0 or total > UINT96_MAX:
        raise Revert("CampaignBadTotalWeight", total)
    return root, total


@dataclass(frozen=True)
class Result:
    """The standing (or last) post."""

    root: bytes
    total: int
    report_hash: bytes
    gold_root: bytes


@dataclass(frozen=True)
class Case:
    """ILabelCampaigns.DisputeCase."""

    claimant: str
    bond: int
    operator: str
    opened_at: int
    currency: str


@dataclass
class Campaign:
    params: Params  # as stored: pool is what arrived
    status: int = OPEN
    opens_at: int = 0
    bond: int = 0
    remaining: int = 0
    revealed: bytes = ZERO32  # the gold root revealed by revealGold
    result: Result | None = None
    claims: dict[str, int] = field(default_factory=dict)  # account → what was sent
    case: Case | None = None
    rounds: int = 0
    refund: int = 0  # what finish returned to the requester
    bond_returned: int = 0

    def view(self) -> tuple[int, int, int, int]:
        """ILabelCampaigns.State."""
        return (self.status, self.opens_at, self.bond, self.remaining)

    @property
    def live(self) -> bool:
        return self.status in (OPEN, POSTED, DISPUTED)


@dataclass
class Campaigns:
    """LabelCampaigns at `address`: its campaigns and credits. Every mutation takes the
    Protocol `p` (its balances, clock and arbiter); call them through `Protocol.campaign`,
    which makes them atomic."""

    address: str
    ruling_timeout: int
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    credits: dict[tuple[str, str], int] = field(default_factory=dict)  # (account, currency)

    # ---- views ----

    def state(self, campaign_id: int) -> tuple[int, int, int, int]:
        c = self.campaigns.get(campaign_id)
        return c.view() if c else (0, 0, 0, 0)

    def params_hash(self, campaign_id: int) -> bytes:
        c = self.campaigns.get(campaign_id)
        return c.params.hash() if c else ZERO32

    def credit(self, account: str, currency: str) -> int:
        return self.credits.get((account, currency), 0)

    def claimed(self, campaign_id: int, account: str) -> bool:
        c = self.campaigns.get(campaign_id)
        return bool(c and account in c.claims)

    def claimable(
        self, p: Any, campaign_id: int, params: Params, account: str, weight: int, proof_of: Any
    ) -> int:
        """What `claim` would pay now (0 once claimed or when it rounds to 0), or its Revert."""
        amount = self._share(p, campaign_id, params, account, weight, proof_of)
        return 0 if self.claimed(campaign_id, account) else amount

    def bond_of_case(self, campaign_id: int) -> int:
        c = self.campaigns.get(campaign_id)
        return c.case.bond if c and c.case else 0

    def books(self, currency: str) -> int:
        """Σ live (remaining + bond + dispute bond) + Σ credits: what the contract owes."""
        owed = sum(v for (_, cur), v in self.credits.items() if cur == currency)
        for c in self.campaigns.values():
            if c.live and c.params.currency == currency:
                owed += c.remaining + c.bond + (c.case.bond if c.case else 0)
        return owed

    def violations(self) -> list[str]:
        """Per campaign: pool = Σ claims + refund (+ remaining while live), each claim the
        floor of its exact share, a finished campaign holding nothing; no credit negative."""
        out: list[str] = []
        for i, c in self.campaigns.items():
            paid = sum(c.claims.values())
            rest = c.remaining if c.live else c.refund
            if c.params.pool != paid + rest:
                out.append(f"campaign {i}: pool {c.params.pool} != {paid} + {rest}")
            if c.claims and c.result is None:
                out.append(f"campaign {i}: claims without a result")
            if c.status == FINISHED and (c.remaining or c.bond or c.case):
                out.append(f"campaign {i} is finished but holds {c.view()}")
        if any(v < 0 for v in self.credits.values()):
            out.append("a campaign credit is negative")
        return out

    # ---- mutations (through Protocol.campaign) ----

    def create(self, p: Any, sender: str, params: Params, value: int) -> int:
        if params.requester != sender:
            raise Revert("CampaignNotRequester", sender, params.requester)
        self._check_terms(p, params)
        pool = self._pull(p, sender, params.currency, params.pool, UINT112_MAX, 0, value)
        campaign_id = len(self.campaigns) + 1
        stored = params.but(pool=pool)
        self.campaigns[campaign_id] = Campaign(stored, remaining=pool)
        return campaign_id

    def reveal_gold(
        self, p: Any, sender: str, campaign_id: int, params: Params, salt: bytes, gold_root: bytes
    ) -> None:
        c = self._check_params(campaign_id, params)
        self._require(campaign_id, c.status, OPEN)
        if c.revealed != ZERO32:
            raise Revert("CampaignGoldAlreadyRevealed", campaign_id, c.revealed, gold_root)
        if gold_root == ZERO32:
            raise Revert("CampaignBadParams", 3, 0)
        self._check_gold(campaign_id, params, salt, gold_root)
        c.revealed = gold_root

    def post_result(
        self,
        p: Any,
        sender: str,
        campaign_id: int,
        params: Params,
        top: Sequence[SumNode],
        report_hash: bytes,
        salt: bytes,
        gold_root: bytes,
        value: int,
    ) -> None:
        c = self._check_params(campaign_id, params)
        if sender != params.operator:
            raise Revert("CampaignNotOperator", campaign_id, sender, params.operator)
        self._require(campaign_id, c.status, OPEN)
        if p.now > params.postBy:
            raise Revert("CampaignPostDeadlinePassed", campaign_id, params.postBy, p.now)
        if c.revealed != ZERO32:
            if gold_root != c.revealed:
                raise Revert("CampaignGoldAlreadyRevealed", campaign_id, c.revealed, gold_root)
        elif gold_root != ZERO32:
            self._check_gold(campaign_id, params, salt, gold_root)
        root, total = campaign_root(top)
        bond = self._pull(p, sender, params.currency, params.bond, UINT96_MAX, 0, value)
        c.status, c.opens_at, c.bond = POSTED, p.now + params.challengeWindow, bond
        c.result = Result(root, total, report_hash, gold_root)

    def challenge_report(
        self, p: Any, sender: str, campaign_id: int, params: Params, report: bytes, gold_root: bytes
    ) -> None:
        c = self._check_params(campaign_id, params)
        self._require(campaign_id, c.status, POSTED)
        if p.now > c.opens_at:
            raise Revert("CampaignChallengeWindowOver", campaign_id, c.opens_at)
        if len(report) < 64:
            raise Revert("CampaignReportTooShort", len(report))
        report_hash = keccak(report)
        r = c.result
        assert r is not None
        if (report_hash, gold_root) != (r.report_hash, r.gold_root):
            raise Revert("CampaignNotPostedReport", campaign_id, report_hash, gold_root)
        if report[32:64] == gold_root and report[:32] == r.root:
            raise Revert("CampaignReportMatches", campaign_id, report_hash)
        half = c.bond // 2
        rest = c.bond - half
        c.status, c.opens_at, c.bond = OPEN, 0, 0
        self._credit(params.requester, params.currency, rest)
        if half:
            p.balances.transfer(params.currency, self.address, sender, half)

    def dispute(
        self, p: Any, sender: str, campaign_id: int, params: Params, evidence: bytes, value: int
    ) -> int:
        """Returns the case number sent to the arbiter."""
        c = self._check_params(campaign_id, params)
        self._require(campaign_id, c.status, POSTED)
        if p.now > c.opens_at:
            raise Revert("CampaignChallengeWindowOver", campaign_id, c.opens_at)
        arb = p.arbiter
        fee = arb.ruling_fee()
        bond = self._pull(p, sender, params.currency, params.bond, UINT96_MAX, fee, value)
        c.rounds += 1
        case = case_id(campaign_id, c.rounds)
        c.status = DISPUTED
        c.case = Case(sender, bond, params.operator, p.now, params.currency)
        # requestRuling{value: fee}: a refusal or running out of gas undoes the dispute.
        if arb.panel:
            arb.cases.setdefault((self.address, case), PanelCase()).open = True
            return case
        if arb.refuse:
            raise Revert("CampaignArbiterRefused", campaign_id)
        if arb.burn:
            raise Revert("CampaignGasTooLow", ANY, ANY)
        p.balances.transfer(ETH, self.address, arb.address, fee)
        arb.received += fee
        arb.requested.append(case)
        if arb.instant:  # it rules from inside requestRuling
            self.rule(p, arb.address, case, arb.verdict)
        return case

    def rule(self, p: Any, sender: str, case: int, upheld: bool) -> None:
        arbiter = p.arbiter.address
        if sender != arbiter:
            raise Revert("CampaignNotArbiter", sender, arbiter)
        campaign_id = case & UINT128_MAX
        c = self.campaigns.get(campaign_id)
        if c is None or c.status != DISPUTED or case >> 128 != c.rounds:
            raise Revert("CampaignUnknownCase", case)
        d = c.case
        assert d is not None
        c.case = None
        if upheld:  # the result is void: the claimant takes both bonds
            amount = d.bond + c.bond
            c.status, c.opens_at, c.bond = OPEN, 0, 0
            self._credit(d.claimant, d.currency, amount)
        else:  # the result stands, claims open from now
            c.status, c.opens_at = POSTED, p.now
            self._credit(d.operator, d.currency, d.bond)

    def lapse(self, p: Any, sender: str, campaign_id: int) -> None:
        c = self.campaigns.get(campaign_id)
        self._require(campaign_id, c.status if c else NONE, DISPUTED)
        assert c is not None and c.case is not None
        at = c.case.opened_at + self.ruling_timeout
        if p.now <= at:
            raise Revert("CampaignRulingPending", campaign_id, at + 1)
        d, c.case = c.case, None
        c.status, c.opens_at = POSTED, p.now
        self._credit(d.claimant, d.currency, d.bond)

    def claim(
        self,
        p: Any,
        sender: str,
        campaign_id: int,
        params: Params,
        account: str,
        weight: int,
        proof_of: Any,
    ) -> int:
        amount = self._claim(p, campaign_id, params, account, weight, proof_of)
        p.balances.transfer(params.currency, self.address, account, amount)
        return amount

    def claim_to(
        self,
        p: Any,
        sender: str,
        campaign_id: int,
        params: Params,
        weight: int,
        proof_of: Any,
        to: str,
    ) -> int:
        if to == ZERO_ADDRESS:
            raise Revert("CampaignZeroRecipient")
        amount = self._claim(p, campaign_id, params, sender, weight, proof_of)
        p.balances.transfer(params.currency, self.address, to, amount)
        return amount

    def claim_batch(
        self,
        p: Any,
        sender: str,
        campaign_id: int,
        params: Params,
        requests: Sequence[tuple[str, int, Any]],
    ) -> list[int]:
        """`requests`: (account, weight, proof_of) each. Skips the claimed and the zero shares."""
        if len(requests) > MAX_BATCH:
            raise Revert("CampaignBatchTooLarge", len(requests), MAX_BATCH)
        c = self._check_params(campaign_id, params)
        self._require(campaign_id, c.status, POSTED)
        amounts = []
        for account, weight, proof_of in requests:
            amount = self._share(p, campaign_id, params, account, weight, proof_of)
            if amount == 0 or account in c.claims:
                amounts.append(0)
                continue
            c.claims[account] = amount
            c.remaining -= amount
            p.balances.transfer(params.currency, self.address, account, amount)
            amounts.append(amount)
        return amounts

    def finish(self, p: Any, sender: str, campaign_id: int, params: Params) -> tuple[int, int]:
        c = self._check_params(campaign_id, params)
        if c.status == POSTED:
            end = c.opens_at + params.claimWindow
            if p.now <= end:
                raise Revert("CampaignNotOver", campaign_id, end + 1)
        elif c.status == OPEN:
            if p.now <= params.postBy:
                raise Revert("CampaignNotOver", campaign_id, params.postBy + 1)
        else:
            raise Revert("CampaignWrongStatus", campaign_id, c.status, POSTED)
        refund, bond = c.remaining, c.bond
        c.status, c.bond, c.remaining = FINISHED, 0, 0  # opensAt stays
        c.refund, c.bond_returned = refund, bond
        for to, amount in ((params.requester, refund), (params.operator, bond)):
            if amount:  # EOAs: every capped payout goes through
                p.balances.transfer(params.currency, self.address, to, amount)
        return refund, bond

    def withdraw_credit(self, p: Any, sender: str, currency: str, to: str) -> int:
        if to == ZERO_ADDRESS:
            raise Revert("CampaignZeroRecipient")
        amount = self.credit(sender, currency)
        if amount == 0:
            raise Revert("CampaignNoCredit", sender, currency)
        self.credits[(sender, currency)] = 0
        p.balances.transfer(currency, self.address, to, amount)
        return amount

    # ---- internals ----

    def _check_params(self, campaign_id: int, params: Params) -> Campaign:
        c = self.campaigns.get(campaign_id)
        if c is None:
            raise Revert("CampaignUnknown", campaign_id)
        if params != c.params:
            raise Revert("CampaignParamsMismatch", campaign_id, c.params.hash(), params.hash())
        return c

    @staticmethod
    def _require(campaign_id: int, status: int, want: int) -> None:
        if status != want:
            raise Revert("CampaignWrongStatus", campaign_id, status, want)

    @staticmethod
    def _check_gold(campaign_id: int, params: Params, salt: bytes, gold_root: bytes) -> None:
        revealed = keccak(bytes(salt) + bytes(gold_root))
        if revealed != params.goldCommitment:
            raise Revert("CampaignGoldRevealMismatch", campaign_id, params.goldCommitment, revealed)

    @staticmethod
    def _check_terms(p: Any, q: Params) -> None:
        if q.operator == ZERO_ADDRESS:
            raise Revert("CampaignBadParams", 1, 0)
        if q.itemsRoot == ZERO32:
            raise Revert("CampaignBadParams", 2, 0)
        if q.goldCommitment == ZERO32:
            raise Revert("CampaignBadParams", 3, 0)
        if q.pool == 0 or q.pool > UINT112_MAX:
            raise Revert("CampaignBadParams", 4, q.pool)
        if q.bond == 0 or q.bond > UINT96_MAX:
            raise Revert("CampaignBadParams", 5, q.bond)
        if q.postBy <= p.now or q.postBy > p.now + MAX_WINDOW:
            raise Revert("CampaignBadParams", 6, q.postBy)
        if q.challengeWindow == 0 or q.challengeWindow > MAX_WINDOW:
            raise Revert("CampaignBadParams", 7, q.challengeWindow)
        if q.claimWindow == 0 or q.claimWindow > MAX_WINDOW:
            raise Revert("CampaignBadParams", 8, q.claimWindow)

    def _pull(
        self, p: Any, sender: str, currency: str, amount: int, most: int, fee: int, value: int
    ) -> int:
        """`amount` of the currency (ETH: with `fee` as msg.value) from `sender`: what arrived.
        The fee in ETH stays with the contract (the caller forwards it)."""
        if currency == ETH:
            if value != amount + fee:
                raise Revert("CampaignWrongValue", value, amount + fee)
            p.balances.transfer(ETH, sender, self.address, value)
            return amount
        if value != fee:
            raise Revert("CampaignWrongValue", value, fee)
        p.balances.transfer(ETH, sender, self.address, value)
        received = p.balances.transfer_from(currency, self.address, sender, self.address, amount)
        if received == 0 or received > most:
            raise Revert("CampaignBadArrival", currency, amount, received)
        return received

    def _share(
        self, p: Any, campaign_id: int, params: Params, account: str, weight: int, proof_of: Any
    ) -> int:
        c = self.campaigns.get(campaign_id)
        self._require(campaign_id, c.status if c else NONE, POSTED)
        assert c is not None and c.result is not None
        if account == ZERO_ADDRESS:
            raise Revert("CampaignZeroAccount")
        if params != c.params or proof_of != c.result.root:
            self._check_params(campaign_id, params)
            raise Revert("CampaignInvalidProof", campaign_id, account, weight)
        if p.now <= c.opens_at:
            raise Revert("CampaignClaimsNotOpen", campaign_id, c.opens_at + 1)
        ends = c.opens_at + params.claimWindow
        if p.now > ends:
            raise Revert("CampaignClaimsClosed", campaign_id, ends)
        return params.pool * weight // c.result.total

    def _claim(
        self, p: Any, campaign_id: int, params: Params, account: str, weight: int, proof_of: Any
    ) -> int:
        amount = self._share(p, campaign_id, params, account, weight, proof_of)
        c = self.campaigns[campaign_id]
        if account in c.claims:
            raise Revert("CampaignAlreadyClaimed", campaign_id, account)
        if amount == 0:
            raise Revert("CampaignNothingToClaim", campaign_id, account, weight)
        c.claims[account] = amount
        c.remaining -= amount
        return amount

    def _credit(self, account: str, currency: str, amount: int) -> None:
        if amount:
            self.credits[(account, currency)] = self.credit(account, currency) + amount
