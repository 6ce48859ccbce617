"""Money invariants of the vault on a live chain, under a random lineage DAG, random
contributors, and random payments, flows and claims in ETH, a plain token and a 1%
fee-on-transfer token. Per currency, these are checked:

1. Conservation, to the wei (after every step for the currencies it touched, and at the end):
   vault balance == held == Σ over pools (accrued − Σ claimed) + Σ pending upstream + fees,
   and Σ arrived == that + Σ claimed (no wei made or lost by splitting). Nothing reaches the
   vault outside `pay` here, so there is no excess; rounding dust is inside "accrued − Σ
   claimed" and is bounded by (4).
2. The chain equals a plain integer model of pay / flowUpstream / claim written here
   independently of the contracts: every return value, accrued, pending, claimed and fees.
3. No account ever receives more than its exact rational share, Σ over its assets of
   Fraction(accrued × weight, totalWeight); after a final claim of everything it is short of
   it by less than one wei per asset it is in. Its wallet got exactly what the vault sent
   (less the fee-on-transfer token's burn).
4. Dust: after everyone has claimed, each pool keeps 0 ≤ accrued − Σ claimed < its number
   of contributors: less than one wei per contributor.
5. Claiming twice pays nothing new: a second claim of everything pays 0 and emits nothing.

Each example runs in its own chain snapshot (see vault_helpers.isolated).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from vault_helpers import ETH, balance_of, isolated, reverts

BPS = 10_000
CONTRIBUTORS = range(2, 9)  # accounts[2..8]: they never send a transaction here
FOT_BPS = 100  # the fot_token fixture burns 1% of every transfer


@dataclass
class Spec:
    parents: list[tuple[int, int]]  # (index of an earlier asset, share bps)
    weights: dict[int, int]  # account index -> weight


@st.composite
def lineages(draw):
    """3–6 assets; each may name up to 3 earlier ones as parents (total share ≤ 100%)."""
    specs = []
    for i in range(draw(st.integers(3, 6))):
        k = draw(st.integers(0, min(i, 3)))
        picked = draw(st.permutations(range(i)))[:k] if k else []
        cap = BPS // max(k, 1)
        shares = [draw(st.integers(1, cap) | st.just(cap)) for _ in picked]
        weights = draw(
            st.dictionaries(
                st.sampled_from(CONTRIBUTORS),
                st.integers(1, 10) | st.integers(1, 10**9),
                min_size=1,
                max_size=4,
            )
        )
        specs.append(Spec(list(zip(picked, shares, strict=True)), weights))
    return specs


amounts = st.integers(1, 1000) | st.integers(1, 10**21)
pick = st.integers(0, 63)  # resolved modulo the candidates at run time
currency = st.integers(0, 2)
live = st.booleans()  # prefer a pool with something in it (else: any, maybe empty)
pays = st.tuples(st.just("pay"), pick, currency, amounts, live)
others = st.one_of(
    st.tuples(st.just("flow"), pick, currency, live),
    st.tuples(st.just("claim"), pick, currency, live),
    st.tuples(st.just("batch"), st.lists(st.tuples(pick, currency, live), min_size=1, max_size=4)),
)
# Rounds of a payment then one other step, so flows and claims usually find work to do.
operations = st.lists(st.tuples(pays, others), min_size=2, max_size=9).map(
    lambda rounds: [op for pair in rounds for op in pair]
)


@dataclass
class Model:
    """The vault's books as plain integers."""

    fee_bps: int
    fot: str
    up: dict[int, int] = field(default_factory=dict)
    parents: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    accrued: dict = field(default_factory=lambda: defaultdict(int))
    pending: dict = field(default_factory=lambda: defaultdict(int))
    claimed: dict = field(default_factory=lambda: defaultdict(int))
    fees: dict = field(default_factory=lambda: defaultdict(int))
    arrived: dict = field(default_factory=lambda: defaultdict(int))

    def credit(self, asset, cur, amount):
        to_up = amount * self.up[asset] // BPS
        self.accrued[asset, cur] += amount - to_up
        self.pending[asset, cur] += to_up

    def pay(self, asset, cur, amount):
        received = amount - amount * FOT_BPS // BPS if cur == self.fot else amount
        fee = received * self.fee_bps // BPS
        self.arrived[cur] += received
        self.fees[cur] += fee
        self.credit(asset, cur, received - fee)
        return received

    def flow(self, asset, cur):
        moved, self.pending[asset, cur] = self.pending[asset, cur], 0
        edges = self.parents[asset]
        rest = moved
        for i, (parent, share) in enumerate(edges):
            part = rest if i == len(edges) - 1 else moved * share // self.up[asset]
            rest -= part
            self.credit(parent, cur, part)
        return moved

    def owed(self, asset, cur, account, weight, total):
        return self.accrued[asset, cur] * weight // total - self.claimed[asset, cur, account]


class Scenario:
    """One random scenario on the chain, mirrored step by step in the model."""

    def __init__(self, vault, currencies, payer, accounts, register_asset, publisher, specs):
        self.vault, self.payer = vault, payer
        self.currencies = currencies  # [ETH, token contract, fot contract]
        self.ids = [ETH if c == ETH else c.address for c in currencies]
        self.model = Model(int(vault.FEE_BPS()), self.ids[2])
        self.assets = []  # (asset id, Contributors, {account: weight})
        self.received = defaultdict(int)  # (account, currency id) -> what reached the wallet
        self.claims = self.flows = 0
        for spec in specs:
            links = [(self.assets[p][0], share) for p, share in spec.parents]
            weights = {accounts[i].address: w for i, w in spec.weights.items()}
            asset_id, people = register_asset(publisher, weights, links)
            self.model.up[asset_id] = sum(s for _, s in links)
            self.model.parents[asset_id] = links
            self.assets.append((asset_id, people, weights))
        self.members = sorted({a for _, _, ws in self.assets for a in ws})
        self.start = {(a, c): balance_of(cur, a) for a in self.members for c, cur in self.pairs}

    @property
    def pairs(self):
        return list(zip(self.ids, self.currencies, strict=True))

    def positions(self):
        """Every (asset index, account) of the scenario."""
        return [(i, a) for i, (_, _, ws) in enumerate(self.assets) for a in sorted(ws)]

    def request(self, i, account, cur):
        asset_id, people, _ = self.assets[i]
        weight, proof = people.proof(account)
        return (asset_id, cur, account, weight, proof), people.total

    def owed(self, i, account, cur):
        asset_id, people, ws = self.assets[i]
        return self.model.owed(asset_id, cur, account, ws[account], people.total)

    def choose_position(self, k, cur, live):
        """(asset index, account, currency); with `live`, one that is owed, in any currency."""
        every = [(i, a, cur) for i, a in self.positions()]
        owing = [(i, a, c) for c in self.ids for i, a in self.positions() if self.owed(i, a, c)]
        pool = owing if live and owing else every
        return pool[k % len(pool)]

    # -- steps -----------------------------------------------------------------------------

    def step(self, op):
        touched = getattr(self, op[0])(*op[1:])
        for cur, token in self.pairs:
            if cur in touched:
                assert balance_of(token, self.vault) == self.vault.held(cur)

    def pay(self, k, c, amount, to_child):
        """With `to_child`, pays one of the assets that have parents (so flows have work)."""
        ids = [a for a, _, _ in self.assets]
        children = [a for a in ids if self.model.parents[a]]
        candidates = children if to_child and children else ids
        asset_id, cur = candidates[k % len(candidates)], self.ids[c]
        value = amount if cur == ETH else 0
        receipt = self.vault.pay(asset_id, cur, amount, value=value, sender=self.payer)
        assert receipt.events.filter(self.vault.Paid)[0].amount == self.model.pay(
            asset_id, cur, amount
        )
        return {cur}

    def flow(self, k, c, live):
        """With `live`, flows one of the pools with pending upstream, in any currency."""
        cur = self.ids[c]
        pending = [key for key, amount in sorted(self.model.pending.items()) if amount > 0]
        if live and pending:
            asset_id, cur = pending[k % len(pending)]
        else:
            asset_id = self.assets[k % len(self.assets)][0]
        if self.model.pending[asset_id, cur] == 0:
            with reverts(self.vault.RoyaltyVaultNothingToFlow, assetId=asset_id, currency=cur):
                self.vault.flowUpstream(asset_id, cur, sender=self.payer)
            return set()
        receipt = self.vault.flowUpstream(asset_id, cur, sender=self.payer)
        moved = sum(e.amount for e in receipt.events.filter(self.vault.UpstreamFlowed))
        assert moved == self.model.flow(asset_id, cur)
        self.flows += 1
        return {cur}

    def claim(self, k, c, live):
        i, account, cur = self.choose_position(k, self.ids[c], live)
        (asset_id, _, _, weight, proof), _ = self.request(i, account, cur)
        owed = self.owed(i, account, cur)
        if owed == 0:
            error = self.vault.RoyaltyVaultNothingToClaim
            with reverts(error, assetId=asset_id, currency=cur, account=account):
                self.vault.claim(asset_id, cur, account, weight, proof, sender=self.payer)
            return set()
        receipt = self.vault.claim(asset_id, cur, account, weight, proof, sender=self.payer)
        assert receipt.events.filter(self.vault.Claimed)[0].amount == owed
        self.book(asset_id, cur, account, owed)
        return {cur}

    def batch(self, picks):
        chosen = [self.choose_position(k, self.ids[c], live) for k, c, live in picks]
        self.send_batch(chosen)
        return {cur for _, _, cur in chosen}

    def send_batch(self, chosen):
        """Claims (asset index, account, currency) in one claimBatch, in order."""
        expected = []
        for i, account, cur in chosen:
            owed = self.owed(i, account, cur)  # in order: a repeat then owes 0
            self.book(self.assets[i][0], cur, account, owed)
            expected.append(owed)
        requests = [self.request(i, a, cur)[0] for i, a, cur in chosen]
        receipt = self.vault.claimBatch(requests, sender=self.payer)
        # Events rather than return_value: that one needs a trace per transaction.
        events = receipt.events.filter(self.vault.Claimed)
        claimed = [(e.assetId, e.currency, e.account, e.amount) for e in events]
        assert claimed == [
            (r[0], r[1], r[2], owed) for r, owed in zip(requests, expected, strict=True) if owed
        ]
        return expected

    def book(self, asset_id, cur, account, amount):
        self.model.claimed[asset_id, cur, account] += amount
        burnt = amount * FOT_BPS // BPS if cur == self.model.fot else 0
        self.received[account, cur] += amount - burnt
        self.claims += 1 if amount else 0

    def claim_everything(self):
        chosen = [(i, a, cur) for cur in self.ids for i, a in self.positions()]
        paid = []
        for start in range(0, len(chosen), 64):
            paid += self.send_batch(chosen[start : start + 64])
        return paid

    # -- invariants ------------------------------------------------------------------------

    def check_books(self, pools=True):
        v, m = self.vault, self.model
        for cur, token in self.pairs:
            unclaimed = pending = claimed_total = 0
            for asset_id, _, ws in self.assets:
                if pools:
                    assert v.accrued(asset_id, cur) == m.accrued[asset_id, cur]
                    assert v.pendingUpstream(asset_id, cur) == m.pending[asset_id, cur]
                claimed = sum(m.claimed[asset_id, cur, a] for a in ws)
                assert 0 <= claimed <= m.accrued[asset_id, cur]
                unclaimed += m.accrued[asset_id, cur] - claimed
                pending += m.pending[asset_id, cur]
                claimed_total += claimed
            if pools:
                for (asset_id, c, account), amount in m.claimed.items():
                    if c == cur and amount:
                        assert v.claimed(asset_id, cur, account) == amount
            assert v.fees(cur) == m.fees[cur]
            held = unclaimed + pending + m.fees[cur]
            assert balance_of(token, v) == v.held(cur) == held
            assert m.arrived[cur] == held + claimed_total

    def check_shares(self, everything_claimed):
        m = self.model
        for cur, token in self.pairs:
            for account in self.members:
                exact, positions, sent = Fraction(0), 0, 0
                for asset_id, people, ws in self.assets:
                    if account in ws:
                        exact += Fraction(m.accrued[asset_id, cur] * ws[account], people.total)
                        positions += 1
                        sent += m.claimed[asset_id, cur, account]
                assert sent <= exact
                if everything_claimed:
                    assert exact - sent < positions
                    got = balance_of(token, account) - self.start[account, cur]
                    assert got == self.received[account, cur] <= sent

    def check_dust(self):
        for cur in self.ids:
            for asset_id, _, ws in self.assets:
                claimed = sum(self.model.claimed[asset_id, cur, a] for a in ws)
                assert 0 <= self.model.accrued[asset_id, cur] - claimed < len(ws)


def run(scenario, ops):
    for op in ops:
        scenario.step(op)
    scenario.check_books()
    scenario.check_shares(everything_claimed=False)
    claims, flows = scenario.claims, scenario.flows
    scenario.claim_everything()
    scenario.check_books(pools=False)
    scenario.check_shares(everything_claimed=True)
    scenario.check_dust()
    assert not any(scenario.claim_everything())  # claiming twice pays nothing new
    scenario.check_books(pools=False)
    return claims, flows


def record(claims, flows):
    """Hypothesis statistics (--hypothesis-show-statistics): is the search doing work?"""
    event(f"claims before the final sweep: {min(claims, 3)}+")
    event(f"flows: {min(flows, 3)}+")


@pytest.fixture
def make_scenario(accounts, register_asset, publisher, payer, funded_token, funded_fot):
    def make(vault, specs):
        currencies = [ETH, funded_token, funded_fot]
        return Scenario(vault, currencies, payer, accounts, register_asset, publisher, specs)

    return make


FIXED_SPECS = [
    Spec([], {2: 3, 3: 1}),
    Spec([(0, 2500)], {2: 1, 4: 7}),
    Spec([(0, 1000), (1, 3000)], {3: 5, 5: 2, 6: 9}),
]
FIXED_OPS = [
    ("pay", 2, 0, 10**18 + 7, True),
    ("pay", 1, 1, 999, True),
    ("flow", 0, 0, True),
    ("flow", 0, 0, True),
    ("claim", 0, 0, True),
    ("batch", [(1, 1, True), (2, 0, True)]),
]


@pytest.mark.parametrize("broken", ["SkimmingVault", "MisSplittingVault"])
def test_the_invariant_checks_catch_a_broken_vault(
    project, deployer, registry, treasury, make_scenario, payer, funded_token, funded_fot, broken
):
    """The checks have teeth: a vault that pays a wei less than it books, or credits a wei
    more than arrived, fails them on a fixed scenario (the real vault passes it)."""
    vault = deployer.deploy(getattr(project, broken), registry, treasury)
    for token in (funded_token, funded_fot):
        token.approve(vault, 2**256 - 1, sender=payer)
    with pytest.raises(AssertionError):
        run(make_scenario(vault, FIXED_SPECS), FIXED_OPS)


def test_the_fixed_scenario_passes_on_the_real_vault(vault, make_scenario):
    assert run(make_scenario(vault, FIXED_SPECS), FIXED_OPS) >= (2, 2)


@settings(deadline=None)
@given(specs=lineages(), ops=operations)
def test_balance_equals_unclaimed_plus_pending_and_nobody_gets_beyond_their_exact_share(
    chain, vault, make_scenario, specs, ops
):
    with isolated(chain):
        record(*run(make_scenario(vault, specs), ops))


@settings(deadline=None)
@given(specs=lineages(), ops=operations)
def test_with_a_protocol_fee_balance_equals_unclaimed_plus_pending_plus_fees(
    chain, fee_vault, make_scenario, specs, ops
):
    with isolated(chain):
        record(*run(make_scenario(fee_vault, specs), ops))
