"""One Hypothesis state machine drives the whole deployed suite with every user action.

Each step is one action (register, alone or in a batch, offer, buy, transfer, open a channel,
deposit, request, cancel or complete a withdrawal, change a voucher signer, sign, settle,
meter, pay an asset what the meter owes it, withdraw operator earnings, release units, pay,
flow, claim, claim to a recipient or on a signature, send tokens to a contract by mistake and
sweep them, delist, jump time ...) by one of six actors. The 2.5 %-fee suite registers by
commit-reveal (MIN_COMMIT_AGE 60 s): a commitment, a wait (exactly MIN, longer, MAX, or a
second too short or too long), then the reveal, alone or in a `multicall` opened by
`openCommitment`; some commitments are held back and revealed later. There a copier watches
each reveal on its way in and tries to take the asset first: the same reveal from its own
account, a direct registration, a commitment of the same root revealed later. It never gets
one, except a registration held back whose files leak: then it commits the root itself and
reveals first (a squat), and the victim takes the asset down with its older commitment.
Derivatives use DERIVE licenses up (a second use reverts) and pass every ancestor's floor,
and hold some of their parents' files. Channels are (license, payer, operator); the gateway
and the stranger operate gateways, any holder pays.

Disputes (two rules of thirty, so they weigh little on the time of `make test`; a dispute
often runs part of its course in the step that opens it): subjective claims, duplicate-file
claims between assets that share a file (every asset holds a small file set: its own
manifest and files others hold too, boilerplate below the court's minimum, data at it and
above), prior-commitment claims by the victims of squats; contests, lineage answers,
resolutions after the answer period, rulings (the no-fee suite's arbiter is a panel of three
actors voting to two, the fee suite's the TestArbiter, with a fee and switches to refuse, to
rule at once or to run out of gas), lapses, revenue arriving while an asset is held, releases
of escrow and withdrawals of deposits.

Labeling campaigns (LabelCampaigns, two rules more, weighted as the disputes: a campaign often
runs part of its course in the step that creates it): a requester escrows a pool in ETH or
either token for an operator (now and then terms it must refuse), the gold is revealed, the
operator posts a tree of contributors with a report that matches it or names another root or
gold root, with the gold or without; within the challenge window anyone challenges with the
posted report (slashing a contradicting one: half the bond to the challenger, the rest
credited to the requester) or disputes it at the suite's arbiter (shared with the court: the
panel's votes or the TestArbiter, whose refusal undoes the dispute, whose instant ruling lands
inside it, whose burn reverts it with gas values the model leaves open); rulings on the
running case (an earlier round's is unknown), lapses; claims alone, to a recipient and in
batches once the window is over, finish after the claim window (or after postBy with no
result), credits withdrawn.

Before sending it, the plain-Python model (testkit.model, with testkit.model_campaigns)
predicts its outcome: the exact custom error, or success and every balance afterwards.
After every step the invariants compare model and chain and check the money rules on the
chain's own numbers. Each example starts from a snapshot of the freshly deployed suite and
is reverted at the end.

Profiles (HYPOTHESIS_PROFILE): `ci` (make test) runs a few short examples; `deep` (make
fuzz) runs thousands of steps and prints how many ran clean.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import pytest
import suite_abi as abi
from eth_abi import decode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from suite_draws import extra_value, mostly, rarely, recent, small_amounts, weighted
from suite_observe import Observation, Probes, observe
from suite_rpc import Outcome, eth_call, logs_of
from suite_world import FOT_BPS, World
from testkit.campaigns import Params, gold_commitment, report
from testkit.model import (
    AT_ARBITER,
    DUPLICATE,
    ETH,
    MAX_DURATION,
    MAX_SERVICE_BPS,
    OPEN,
    RETIRED,
    TAKEN_DOWN,
    UINT40_MAX,
    UINT256_MAX,
    UPHELD,
    ZERO32,
    ZERO_ADDRESS,
    Arbiter,
    Balances,
    ClaimRequest,
    File,
    FileClaim,
    Link,
    PanelCase,
    Pool,
    Protocol,
    Revert,
    SignedClaim,
    SignedVoucher,
    SumNode,
    Terms,
    commitment_of,
    content_tree,
    held_only,
    registration_leaf,
)
from testkit.model_campaigns import DISPUTED as CAMPAIGN_DISPUTED
from testkit.model_campaigns import FINISHED as CAMPAIGN_FINISHED
from testkit.model_campaigns import MAX_WINDOW, case_id
from testkit.model_campaigns import OPEN as CAMPAIGN_OPEN
from testkit.model_campaigns import POSTED as CAMPAIGN_POSTED

from seedbed.core.constants import DATASET, MODEL
from seedbed.core.vouchers import Voucher, sign

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# (examples, steps per example) for each deployment: ci keeps `make test` short (~1 min);
# deep is `make fuzz` (~15 min, about 24,000 steps).
SIZES = {"ci": (15, 40), "dev": (2, 12), "deep": (200, 60)}
METADATA_HASH = b"\x11" * 32
NOT_AN_ID = 10**6  # an asset, offer or license id that never exists
COPIER_MOVES = ["same reveal", "direct", "commit"]


def public_files(min_size: int) -> list[File]:
    """Files many assets hold: boilerplate far below the court's minimum for a duplicate
    claim, data one byte below it, at it, and far above."""

    def sha(label: bytes) -> bytes:
        return hashlib.sha256(b"seedbed.system." + label).digest()

    return [
        ("LICENSE", sha(b"license"), 1_067),
        ("README.md", sha(b"readme"), 2_301),
        ("data/dev.parquet", sha(b"dev"), max(min_size - 1, 0)),
        ("data/eval.parquet", sha(b"eval"), min_size),
        ("data/train.parquet", sha(b"train"), 3 * 2**20),
        ("weights.safetensors", sha(b"weights"), 7 * 2**20),
    ]


@dataclass
class Registration:
    """One asset to register: what the reveal sends, and the trees it names."""

    committer: str
    kind: int
    content: bytes
    salt: bytes
    top: list[SumNode]
    weights: dict[str, int]
    links: list[Link]
    tree: Any
    files: frozenset[File]

    @property
    def leaf(self) -> bytes:
        return registration_leaf(self.committer, self.content, self.salt)

    def data(self) -> str:
        links = [(x.asset_id, x.share_bps, x.license_id) for x in self.links]
        return abi.REGISTER.data(
            self.kind,
            self.content,
            self.salt,
            self.top,
            "ipfs://seedbed",
            METADATA_HASH,
            links,
        )

    def call(self) -> tuple[str, tuple[Any, ...]]:
        """The model's multicall item."""
        return (
            "register",
            (self.kind, self.content, self.top, self.weights, self.links, self.salt, self.files),
        )


@dataclass
class Pending:
    """A commitment not revealed yet: one leaf alone, or a batch's leaves packed."""

    items: list[Registration]
    batch: bool
    committed_at: int

    @property
    def committer(self) -> str:
        return self.items[0].committer

    @property
    def leaves(self) -> list[bytes]:
        return [r.leaf for r in self.items]

    @property
    def commitment(self) -> bytes:
        return commitment_of(self.leaves) if self.batch else keccak(self.items[0].leaf)


def sign_claim_to(
    key: str, chain_id: int, vault: str, asset_id: int, currency: str, account: str,
    recipient: str, up_to: int, deadline: int,
) -> bytes:  # fmt: skip
    """RoyaltyVault's EIP-712 ClaimTo, signed by `key` (any recipient, the zero address too)."""
    fields = [
        ("assetId", "uint256"),
        ("currency", "address"),
        ("account", "address"),
        ("recipient", "address"),
        ("upTo", "uint256"),
        ("deadline", "uint256"),
    ]
    domain = [("name", "string"), ("version", "string"), ("chainId", "uint256")]
    domain.append(("verifyingContract", "address"))
    message = dict(
        assetId=asset_id,
        currency=currency,
        account=account,
        recipient=recipient,
        upTo=up_to,
        deadline=deadline,
    )
    typed = {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in domain],
            "ClaimTo": [{"name": n, "type": t} for n, t in fields],
        },
        "primaryType": "ClaimTo",
        "domain": {
            "name": "Seedbed RoyaltyVault",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": vault,
        },
        "message": message,
    }
    signable = encode_typed_data(full_message=typed)
    return bytes(Account.sign_message(signable, key).signature)


@dataclass
class Launch:
    """A created campaign as the machine drives it: its parameters as stored, its gold's
    secret, every tree its operator posted (the standing one last), the latest post's report
    and gold root, and the case numbers its disputes were given (ResultDisputed)."""

    id: int
    params: Params
    salt: bytes
    gold_root: bytes
    trees: list[tuple[dict[str, int], Any]] = field(default_factory=list)
    report: bytes = b""
    gold: bytes = ZERO32
    cases: list[int] = field(default_factory=list)


@dataclass
class Stats:
    examples: int = 0
    steps: int = 0
    transactions: int = 0
    predicted_reverts: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)

    def summary(self) -> str:
        rules = sorted({r for r, _ in self.outcomes})
        lines = []
        for r in rules:
            steps, ok = self.outcomes[(r, "steps")], self.outcomes[(r, "ok")]
            errors = [(n, e) for (rr, e), n in self.outcomes.items() if rr == r]
            errors = [(n, e) for n, e in errors if e not in ("ok", "steps")]
            shown = ", ".join(f"{e} {n}" for n, e in sorted(errors, reverse=True))
            lines.append(f"  {r}: {steps} steps, {ok} tx ok" + (f"; {shown}" if shown else ""))
        return "\n".join(lines)


STATS = Stats()


def machine_settings() -> settings:
    examples, steps = SIZES.get(PROFILE, SIZES["ci"])
    return settings(
        settings.get_profile(PROFILE if PROFILE in SIZES else "ci"),
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
    )


class SuiteMachine(RuleBasedStateMachine):
    world: ClassVar[World]
    ape_chain: ClassVar[Any]

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        self.snapshot = self.ape_chain.snapshot()
        self.m = self._fresh_model()
        self.a = w.actors
        self.trees: dict[int, Any] = {}
        self.proofs: dict[tuple[int, str], tuple[int, list[tuple[bytes, int]]]] = {}
        self.vouchers: list[tuple[SignedVoucher, bytes]] = []
        self.sold_terms: dict[int, tuple[Any, ...]] = {}
        self.pending: list[Pending] = []  # commitments not revealed yet
        self.signed: list[tuple[SignedClaim, bytes]] = []  # signed claims to recipients
        self.roots_made = 0
        # Each content root's files and their proofs; every commitment sent, by whom.
        self.content: dict[bytes, tuple[frozenset[File], dict[File, list[bytes]]]] = {}
        self.committed: list[tuple[str, Pending]] = []
        self.squats: dict[int, tuple[str, Pending, int]] = {}  # the copier's → the victim's
        self.launches: dict[int, Launch] = {}  # labeling campaigns
        self.public = public_files(w.deployment.min_duplicate_size)
        self._seen: dict[tuple[Any, ...], Observation] | None = None
        self._rule = "init"
        STATS.examples += 1

    def teardown(self) -> None:
        self.ape_chain.restore(self.snapshot)
        if PROFILE == "deep" and STATS.examples % 20 == 0:  # a long run shows it is alive
            print(f"  ... {STATS.examples} examples, {STATS.steps} steps clean", flush=True)

    # ---- plumbing -------------------------------------------------------------------------

    def _fresh_model(self) -> Protocol:
        w = self.world
        counts = w.chain.read(
            [eth_call(w.registry, abi.ASSET_COUNT.data())]
            + [eth_call(w.license, f.data()) for f in (abi.OFFER_COUNT, abi.LICENSE_COUNT)]
            + [eth_call(w.vault, abi.HELD.data(c)) for c in w.currencies]
            + [eth_call(w.court, abi.DISPUTE_COUNT.data())]
            + [eth_call(w.campaigns, abi.CAMPAIGN_COUNT.data())]
        )
        assert all(int(x, 16) == 0 for x in counts), "the machine needs the suite as deployed"
        if w.panel:
            arbiter = Arbiter(w.arbiter, members=w.panel, threshold=w.panel_threshold)
        else:
            fns = (abi.ARBITER_FEE, abi.ARBITER_REFUSE, abi.ARBITER_INSTANT, abi.ARBITER_VERDICT)
            fns += (abi.ARBITER_BURN,)
            raw = w.chain.read([eth_call(w.arbiter, f.data()) for f in fns])
            fee, refuse, instant, verdict, burn = (
                f.decode(r) for f, r in zip(fns, raw, strict=True)
            )
            arbiter = Arbiter(w.arbiter, fee=fee, refuse=refuse, instant=instant)
            arbiter.verdict, arbiter.burn = verdict, burn
        _, now = w.chain.head()
        balances = Balances({w.fot: FOT_BPS})
        holders = w.tracked
        reads = w.chain.read(
            [("eth_getBalance", [h, "latest"]) for h in holders]
            + [eth_call(t, abi.BALANCE_OF.data(h)) for t in (w.token, w.fot) for h in holders]
        )
        for i, h in enumerate(holders):
            balances.set(ETH, h, int(reads[i], 16))
            balances.set(w.token, h, int(reads[len(holders) + i], 16))
            balances.set(w.fot, h, int(reads[2 * len(holders) + i], 16))
        for owner in w.actors.values():  # the world fixture approved every spender
            for spender in (w.vault, w.license, w.meter, w.campaigns):
                for t in (w.token, w.fot):
                    balances.approve(t, owner, spender, UINT256_MAX)
        contracts = {w.token, w.fot, w.registry, w.vault, w.license, w.meter, w.court, w.arbiter}
        contracts.add(w.campaigns)
        return Protocol(w.deployment, balances, contracts=contracts, now=now, arbiter=arbiter)

    def _step(self) -> None:
        STATS.steps += 1
        self._seen = None
        self._rule = sys._getframe(1).f_code.co_name  # for the outcome tally only
        STATS.outcomes[(self._rule, "steps")] += 1

    def act(
        self, sender: str, to: str, data: str, value: int, predict: Callable[[], Any]
    ) -> tuple[Outcome, Any]:
        """Predict with the model at the next block's timestamp, send, compare outcomes."""
        ts = self.m.now + 1
        self.m.now = ts
        expected: Revert | None = None
        result = None
        try:
            result = predict()
        except Revert as err:
            expected = err
        out = self.world.chain.send(sender, to, data, value, ts)
        self.m.balances.burn(sender, out.gas_wei)
        STATS.transactions += 1
        STATS.outcomes[(self._rule, expected.name if expected else "ok")] += 1
        if expected is not None:
            STATS.predicted_reverts += 1
            assert not out.ok, f"the model predicted {expected.key}, the chain succeeded"
            assert out.error == expected.key, f"chain reverted {out.error}, model {expected.key}"
        else:
            assert out.ok, f"the model predicted success, the chain reverted {out.error}"
        return out, result

    def proof(self, asset_id: int, account: str) -> tuple[int, list[tuple[bytes, int]]]:
        key = (asset_id, account)
        if key not in self.proofs:
            self.proofs[key] = self.trees[asset_id].proof(account)
        return self.proofs[key]

    def observations(self) -> dict[tuple[Any, ...], Observation]:
        if self._seen is None:
            priors = [
                (victim, asset_id, p.leaves, i, p.items[i].salt)
                for asset_id, (victim, p, i) in self.squats.items()
                if self.m.assets[asset_id].status != TAKEN_DOWN
            ]
            probes = Probes(
                self.world,
                self.m,
                self.proof,
                self.vouchers[-12:],
                self.signed[-6:],
                priors,
                self.campaign_claims(),
            ).build()
            self._seen = {o.label: o for o in observe(self.world, probes)}
        return self._seen

    def draw_asset(self, data: st.DataObject, unknown: bool = True) -> int:
        """An asset id, now and then one that does not exist."""
        return mostly(data, "asset", list(self.m.assets), [NOT_AN_ID] if unknown else [])

    def draw_payee(self, data: st.DataObject) -> int:
        """Half the time an asset with parents, so revenue keeps flowing upstream."""
        derived = [i for i, a in self.m.assets.items() if a.parents]
        if derived and data.draw(st.booleans(), label="derived"):
            return data.draw(st.sampled_from(derived), label="asset")
        return self.draw_asset(data)

    def derive_licenses(self, registrant: str, parent_id: int) -> list[int]:
        """Licenses that let `registrant` name `parent_id` as a parent now."""
        m = self.m
        return [lid for lid in m.licenses if m.check_derive(lid, registrant, parent_id)[0]]

    def may_derive_from(self, registrant: str) -> list[int]:
        m = self.m
        return [
            pid
            for pid, asset in m.assets.items()
            if asset.owner == registrant or self.derive_licenses(registrant, pid)
        ]

    def draw_currency(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.world.currencies), label="currency")

    def draw_actor(self, data: st.DataObject, *names: str) -> str:
        pool = [self.a[n] for n in names] if names else list(self.a.values())
        return data.draw(st.sampled_from(pool), label="actor")

    def new_content(self, data: st.DataObject, inherit: Iterable[int] = ()) -> bytes:
        """A fresh content root over a small file set: a manifest of its own (so the root is
        new), up to three files others hold too (public ones, and the `inherit` assets' files:
        a derivative holds its parents'), now and then under another path."""
        self.roots_made += 1
        n = self.roots_made
        manifest = (f"manifest-{n}.json", hashlib.sha256(n.to_bytes(8, "big")).digest(), 200 + n)
        shared = list(self.public)
        files: dict[str, File] = {manifest[0]: manifest}
        for asset_id in inherit:
            if asset_id in self.m.assets:
                theirs = sorted(self.m.assets[asset_id].files - set(shared))
                shared += theirs
                big = [f for f in sorted(self.m.assets[asset_id].files) if f[2] >= 2**20]
                if big:  # a derivative holds its parent's data
                    files[big[0][0]] = big[0]
        # Two draws, whatever the count (each draw shortens the examples Hypothesis can run):
        # how many shared files (0-3) and which run of them, now and then the last under
        # another path.
        n, start = data.draw(
            st.tuples(st.integers(0, 3), st.integers(0, len(shared) - 1)), label="files"
        )
        for k in range(n):
            path, sha, size = shared[(start + k) % len(shared)]
            if k == n - 1 and (start + n) % 5 == 0:
                path = "mirror/" + path
            files[path] = (path, sha, size)
        root, proofs = content_tree(list(files.values()))
        self.content[root] = (frozenset(files.values()), proofs)
        return root

    def file_claim(self, asset_id: int, file: File, genuine: bool = True) -> FileClaim:
        root = self.m.assets[asset_id].content_root
        return FileClaim(*file, root if genuine else None)

    def file_proof(self, claim: FileClaim) -> tuple[str, bytes, int, list[bytes]]:
        """The FileProof the court takes: a proof from the tree named, or a tampered one."""
        root = claim.proof_of
        if root is None:  # one level too many: no tree's proof
            return (*claim.file, [keccak(b"not a proof")])
        return (*claim.file, self.content[root][1][claim.file])

    def new_salt(self) -> bytes:
        self.roots_made += 1
        return keccak(b"seedbed-salt-" + self.roots_made.to_bytes(8, "big"))

    # ---- registry -------------------------------------------------------------------------

    def commits(self) -> bool:
        """Whether this deployment registers by commit-reveal (MIN_COMMIT_AGE > 0)."""
        return self.m.deployment.min_commit_age > 0

    def registration(
        self,
        registrant: str,
        kind: int,
        content: bytes,
        weights: dict[str, int],
        links: list[Link],
        top: list[SumNode] | None = None,
    ) -> Registration:
        tree = self.world.contributors_of(weights)
        top = tree.top if top is None else top
        files = self.content[content][0]
        return Registration(
            registrant, kind, content, self.new_salt(), top, weights, links, tree, files
        )

    def commit(self, committer: str, commitment: bytes) -> bool:
        w, m = self.world, self.m
        out, _ = self.act(
            committer,
            w.registry,
            abi.COMMIT.data(commitment),
            0,
            lambda: m.commit(committer, commitment),
        )
        return out.ok

    def draw_wait(self, data: st.DataObject) -> int:
        """Seconds from commitment to reveal: MIN, longer, MAX, or one second off either."""
        d = self.m.deployment
        low, high = d.min_commit_age, d.max_commit_age
        return data.draw(
            weighted(
                (8, st.just(low)),
                (3, st.integers(low, low + 300)),
                (1, st.just(high)),
                (1, st.sampled_from([low - 1, high + 1])),
            ),
            label="reveal after",
        )

    def wait_until(self, at: int) -> None:
        """The next transaction is mined at `at` (later than now)."""
        self.m.now = max(self.m.now, at - 1)

    def register(
        self,
        data: st.DataObject,
        registrant: str,
        kind: int,
        content: bytes,
        weights: dict[str, int],
        links: list,
        top: list[SumNode] | None = None,
        hold_back: bool = True,
    ) -> None:
        """One registration: a transaction, or (commitments on) a commitment and its reveal
        after a drawn wait; now and then the reveal is held back for later."""
        reg = self.registration(registrant, kind, content, weights, links, top)
        if not self.commits():
            self.reveal(Pending([reg], False, self.m.now))
            return
        pending = Pending([reg], False, self.m.now + 1)
        if not self.commit(registrant, pending.commitment):
            return
        self.committed.append((registrant, pending))
        self.copier_copies(data, pending)
        if hold_back and rarely(data, "hold back", 10):
            self.pending.append(pending)
            self.copier_squats(data, pending)
            return
        wait = self.draw_wait(data) if hold_back else self.m.deployment.min_commit_age
        self.wait_until(pending.committed_at + wait)
        self.reveal(pending, data)

    def reveal(self, pending: Pending, data: st.DataObject | None = None) -> bool:
        """Sends the registrations (alone, or a batch in a multicall opened by its
        commitment), the copier front-running a reveal that would succeed now and then;
        keeps a commitment revealed too early pending."""
        w, m = self.world, self.m
        committer = pending.committer
        items = pending.items
        multi = pending.batch or len(items) > 1
        if multi:
            calls = [r.data() for r in items]
            model_calls = [r.call() for r in items]
            if pending.batch:
                calls.insert(0, abi.OPEN_COMMITMENT.data(pending.leaves))
                model_calls.insert(0, ("openCommitment", (pending.leaves,)))
            tx = abi.MULTICALL.data([bytes.fromhex(c[2:]) for c in calls])
        else:
            tx = items[0].data()

        def run(model: Protocol) -> Any:
            if multi:
                return model.multicall(committer, model_calls)
            r = items[0]
            return model.register(
                committer, r.kind, r.content, r.top, r.weights, r.links, r.salt, r.files
            )

        watched = False
        if data is not None and self.commits() and committer != w.copier:
            how = data.draw(
                weighted(
                    (2, st.just([])),  # nobody watching
                    (3, st.lists(st.sampled_from(COPIER_MOVES), min_size=1, unique=True)),
                ),
                label="copier",
            )
            watched = bool(how) and self.succeeds_after(
                run, len(how) + ("commit" in how) * (len(items) - 1)
            )
            if watched:
                with self.as_copier():
                    self.copier_front_runs(how, pending)
        out, result = self.act(committer, w.registry, tx, 0, lambda: run(m))
        assert out.ok or not watched, f"the reveal the copier watched failed: {out.error}"
        if out.ok:
            ids = [x for x in result if x is not None] if multi else [result]
            for asset_id, r in zip(ids, items, strict=True):
                self.trees[asset_id] = r.tree
        if pending in self.pending:
            self.pending.remove(pending)
        # A reveal that came too early may come again; anything else is done with.
        if out.error and out.error[0] == "AssetRegistryCommitmentTooYoung":
            self.pending.append(pending)
        return out.ok

    def succeeds_after(self, run: Callable[[Protocol], Any], transactions: int) -> bool:
        """Whether `run` would succeed if sent after `transactions` others (a second each)."""
        trial = copy.deepcopy(self.m)
        trial.now = self.m.now + transactions + 1
        try:
            run(trial)
        except Revert:
            return False
        return True

    def copier_copies(self, data: st.DataObject, pending: Pending) -> None:
        """Now and then the copier commits the very value it saw committed, under its own
        key: it holds the same commitment (a second younger), but to leaves that name the
        victim, which no registration of its own can reveal."""
        if self.commits() and rarely(data, "copy the commitment", 3):
            with self.as_copier():
                if self.commit(self.world.copier, pending.commitment):
                    self.committed.append((self.world.copier, pending))

    def copier_squats(self, data: st.DataObject, pending: Pending) -> None:
        """Now and then the files of a registration held back leak: the copier commits their
        roots under its own salts, waits MIN_COMMIT_AGE and reveals first. It takes the
        assets (R2: a reveal held back that long is not protected), and the victim's older
        commitment can take them down (claimPriorCommitment)."""
        if not rarely(data, "the files leak", 3):
            return
        m, copier = self.m, self.world.copier
        with self.tallied("copier squats"):
            for r in pending.items:
                mine = Pending(
                    [self.registration(copier, r.kind, r.content, {copier: 1}, [])],
                    False,
                    m.now + 1,
                )
                if not self.commit(copier, mine.commitment):
                    continue
                self.committed.append((copier, mine))
                self.wait_until(mine.committed_at + m.deployment.min_commit_age)
                if self.reveal(mine):
                    squat = m.next_asset_id - 1
                    self.squats[squat] = (pending.committer, pending, pending.items.index(r))
                    if data.draw(st.booleans(), label="the victim claims at once"):
                        self.claim_squat(data, squat)

    def claim_squat(self, data: st.DataObject, squat: int) -> None:
        """The victim of a squat shows its older commitment: the asset is taken down, its
        revenue redirected to an asset of the victim's, or to the fee book."""
        m = self.m
        victim, pending, index = self.squats[squat]
        leaves, salt = pending.leaves, pending.items[index].salt
        beneficiary = self.draw_beneficiary(data, squat, victim)
        with self.tallied("dispute: open prior"):
            self.court_act(
                victim,
                abi.CLAIM_PRIOR,
                (squat, leaves, index, salt, beneficiary),
                0,
                lambda: m.claim_prior_commitment(victim, squat, leaves, index, salt, beneficiary),
            )

    @contextmanager
    def as_copier(self) -> Iterator[None]:
        """Tallies the copier's transactions apart from the rule that let it act."""
        with self.tallied("copier"):
            yield

    @contextmanager
    def tallied(self, name: str) -> Iterator[None]:
        """Tallies transactions under `name` instead of the rule that sends them."""
        rule, self._rule = self._rule, name
        STATS.outcomes[(name, "steps")] += 1
        try:
            yield
        finally:
            self._rule = rule

    def copier_front_runs(self, how: list[str], pending: Pending) -> None:
        """The copier has seen the reveal on its way in (roots, salts, everything) and sends
        first: the same reveal with its own contributors, a direct registration of the
        first root, commitments of every root under its own salt (to reveal later). None
        can take an asset: each reveal must come from the committer's own commitment, and a
        commitment made now ripens after the victim's reveal is in."""
        w, m = self.world, self.m
        copier = w.copier

        def own(their_salts: bool = False) -> list[Registration]:
            out = []
            for r in pending.items:
                mine = self.registration(copier, r.kind, r.content, {copier: 1}, [])
                if their_salts:
                    mine.salt = r.salt
                out.append(mine)
            return out

        def send(regs: list[Registration], opened: list[bytes] | None) -> None:
            calls = [r.data() for r in regs]
            model_calls = [r.call() for r in regs]
            if opened is not None:
                calls.insert(0, abi.OPEN_COMMITMENT.data(opened))
                model_calls.insert(0, ("openCommitment", (opened,)))
            if len(calls) == 1:
                r = regs[0]
                self.act(
                    copier,
                    w.registry,
                    calls[0],
                    0,
                    lambda: m.register(
                        copier, r.kind, r.content, r.top, r.weights, (), r.salt, r.files
                    ),
                )
            else:
                tx = abi.MULTICALL.data([bytes.fromhex(c[2:]) for c in calls])
                self.act(copier, w.registry, tx, 0, lambda: m.multicall(copier, model_calls))

        if "same reveal" in how:  # a batch opens the leaves seen in the victim's calldata
            send(own(their_salts=True), pending.leaves if pending.batch else None)
        if "direct" in how:
            send(own()[:1], None)
        if "commit" in how:
            for r in own():
                later = Pending([r], False, m.now + 1)
                if self.commit(copier, later.commitment):
                    self.committed.append((copier, later))
                    self.pending.append(later)

    def draw_weights(self, data: st.DataObject) -> dict[str, int]:
        return data.draw(
            st.dictionaries(
                st.sampled_from(self.world.contributors), st.integers(1, 9), min_size=1, max_size=4
            ),
            label="weights",
        )

    def draw_top(self, data: st.DataObject, weights: dict[str, int]) -> list[SumNode] | None:
        """Now and then a preimage the registry must refuse (None: the tree's own)."""
        if not rarely(data, "odd top", 12):
            return None
        account = bytes(12) + bytes.fromhex(next(iter(weights))[2:])
        return data.draw(
            st.sampled_from(
                [
                    [],
                    [(account, 1)] * 3,
                    [(bytes(32), 5)],  # the zero address alone
                    [(account, 0)],
                    [(b"\x01" + bytes(31), 1)],  # a word above 2^160 is no address
                    [(account, 2**96)],
                    [(keccak(b"a"), 2**95), (keccak(b"b"), 2**95)],
                    [(keccak(b"a"), 0), (keccak(b"b"), 0)],
                ]
            ),
            label="top",
        )

    @initialize(data=st.data())
    def seed_two_datasets_offers_and_channels(self, data: st.DataObject) -> None:
        self._step()
        for name in ("publisher", "publisher2"):
            weights = self.draw_weights(data)
            self.register(
                data, self.a[name], DATASET, self.new_content(data), weights, [], hold_back=False
            )
        assert len(self.m.assets) == 2, "the seed registrations must succeed"
        for asset_id in list(self.m.assets):
            self._create_offer(data, asset_id, self.m.assets[asset_id].owner, scopes=1 | 16)
        # alice and bob each buy a license and fund a channel with the gateway.
        for name, offer_id in (("alice", 1), ("bob", 2)):
            buyer, terms = self.a[name], self.m.offers[offer_id].terms
            value = terms.price if terms.currency == ETH else 0
            out, license_id = self.act(
                buyer,
                self.world.license,
                abi.BUY.data(offer_id, buyer, terms.price),
                value,
                functools.partial(self.m.buy, buyer, offer_id, buyer, terms.price, value),
            )
            assert out.ok
            amount = data.draw(st.integers(1, 10**6), label="reserve")
            value = amount if terms.currency == ETH else 0
            operator = self.a["gateway"]
            self.act(
                buyer,
                self.world.meter,
                abi.DEPOSIT.data(license_id, operator, amount),
                value,
                functools.partial(self.m.deposit, buyer, license_id, operator, amount, value),
            )

    @rule(data=st.data())
    def register_dataset(self, data: st.DataObject) -> None:
        self._step()
        registrant = self.draw_actor(data, "publisher", "publisher2", "alice")
        duplicate = self.m.by_root and rarely(data, "duplicate content")
        content = (
            data.draw(st.sampled_from(sorted(self.m.by_root)), label="root")
            if duplicate
            else self.new_content(data)
        )
        weights = self.draw_weights(data)
        top = self.draw_top(data, weights)
        self.register(data, registrant, DATASET, content, weights, [], top)

    @rule(data=st.data())
    def register_batch(self, data: st.DataObject) -> None:
        """1-3 datasets in one multicall, opened by one commitment (always, with commitments
        on; now and then without one, or with commitments off, as plain registers)."""
        self._step()
        m = self.m
        registrant = self.draw_actor(data, "publisher", "publisher2", "alice")
        n = data.draw(st.integers(1, 3), label="batch size")
        roots = [self.new_content(data) for _ in range(n)]
        if rarely(data, "a root twice", 10):
            roots.append(roots[0])  # one failing register reverts the whole batch
        items = [
            self.registration(registrant, DATASET, r, self.draw_weights(data), []) for r in roots
        ]
        opened = self.commits() or rarely(data, "commit anyway", 4)
        pending = Pending(items, opened, m.now + 1)
        if opened:
            if not self.commit(registrant, pending.commitment):
                return
            self.committed.append((registrant, pending))
            self.copier_copies(data, pending)
            if self.commits() and rarely(data, "hold back", 6):
                self.pending.append(pending)
                self.copier_squats(data, pending)
                return
            wait = self.draw_wait(data) if self.commits() else 1
            self.wait_until(pending.committed_at + wait)
            if rarely(data, "forget to open", 12):
                pending = Pending(items, False, pending.committed_at)
        self.reveal(pending, data)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def reveal_pending(self, data: st.DataObject) -> None:
        """A commitment held back (or revealed too early) is revealed now: by its committer,
        the copier front-running it, or the copier's own commitment of a root it saw."""
        self._step()
        pending = data.draw(st.sampled_from(self.pending[-4:]), label="pending")
        if pending.committer == self.world.copier:
            with self.as_copier():
                self.reveal(pending, data)
        else:
            self.reveal(pending, data)

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def register_derived_model(self, data: st.DataObject) -> None:
        """A model over 1-3 parents; foreign parents need a DERIVE license, used up by the
        registration; each parent gets at least max(its license minimum, its floor)."""
        self._step()
        m = self.m
        names = ("publisher", "publisher2", "alice", "bob")
        able = [self.a[n] for n in names if self.may_derive_from(self.a[n])]
        registrant = mostly(data, "registrant", able, [self.a[n] for n in names])
        eligible = self.may_derive_from(registrant)
        # Now and then a model over models only: lineages more than one hop deep (a lineage
        # path answers a duplicate claim of an ancestor's file).
        deep = [i for i in eligible if m.assets[i].parents]
        if deep and rarely(data, "over models", 3):
            eligible = deep
        chosen = data.draw(
            st.lists(
                st.sampled_from(eligible or list(m.assets)), min_size=1, max_size=3, unique=True
            ),
            label="parents",
        )
        odd = data.draw(
            weighted((8, st.just("none")), (1, st.sampled_from(["dup", "any", "unknown"]))),
            label="odd parent",
        )
        if odd != "none":  # a repeated, unlicensed or unknown parent
            chosen.append({"dup": chosen[0], "unknown": NOT_AN_ID}.get(odd, max(m.assets)))
        links = []
        for pid in chosen:
            license_id, need = 0, 0
            if pid in m.assets:
                need = m.assets[pid].floor_bps
                if m.assets[pid].owner != registrant:
                    good = self.derive_licenses(registrant, pid)
                    used = [  # a second use of a license that registered its derivative
                        lid
                        for lid, lic in m.licenses.items()
                        if lic.derived and lic.holder == registrant
                        and m.terms_of(lid).asset_id == pid
                    ]  # fmt: skip
                    others = used + list(m.licenses)[-2:] + [0]  # wrong asset, holder, scope...
                    license_id = mostly(data, "license", good, others)
                    need = max(need, m.check_derive(license_id, registrant, pid)[1])
            share = data.draw(
                weighted(  # shares big enough that small payments send something upstream
                    (6, st.integers(max(need, 500), max(need, 500) + 3000)),
                    (2, st.sampled_from([need, need + 1]) if need else st.just(1)),
                    (1, st.sampled_from([need - 1, 0])),
                ),
                label="share",
            )
            links.append(Link(pid, max(share, 0), license_id))
        weights = self.draw_weights(data)
        count = len(m.assets)
        self.register(data, registrant, MODEL, self.new_content(data, chosen), weights, links)
        newest = m.next_asset_id - 1
        used = [x for x in links if m.derivatives.get(x.license_id, [0])[-1] == newest]
        if len(m.assets) > count and used and rarely(data, "a license used twice", 3):
            # The same licenses again, for another model: each registered its derivative.
            content = self.new_content(data, chosen)
            self.register(data, registrant, MODEL, content, weights, links)

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def transfer_asset(self, data: st.DataObject) -> None:
        self._step()
        asset_id = self.draw_asset(data, unknown=False)
        owner = self.m.assets[asset_id].owner
        sender = data.draw(st.sampled_from([owner, owner, self.a["stranger"]]), label="sender")
        to = self.draw_actor(data, "publisher", "publisher2", "alice")
        self.act(
            sender,
            self.world.registry,
            abi.TRANSFER_FROM.data(owner, to, asset_id),
            0,
            lambda: self.m.transfer_asset(sender, owner, to, asset_id),
        )

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def delist_or_relist(self, data: st.DataObject) -> None:
        self._step()
        asset_id = self.draw_asset(data)
        owner = self.m.assets[asset_id].owner if asset_id in self.m.assets else self.a["stranger"]
        sender = data.draw(st.sampled_from([owner, owner, self.a["stranger"]]), label="sender")
        flag = data.draw(st.booleans(), label="delisted")
        self.act(
            sender,
            self.world.registry,
            abi.SET_DELISTED.data(asset_id, flag),
            0,
            lambda: self.m.set_delisted(sender, asset_id, flag),
        )

    # ---- offers and licenses --------------------------------------------------------------

    def _create_offer(
        self, data: st.DataObject, asset_id: int, sender: str, scopes: int | None = None
    ) -> None:
        """Random terms; with `scopes` given, terms the contract must accept."""
        w = self.world
        valid = scopes is not None
        currencies = w.currencies * 2 + ([self.a["stranger"]] if scopes is None else [])
        currency = data.draw(st.sampled_from(currencies), label="currency")
        bad_min = [10_001] if scopes is None else []
        if scopes is None:
            scopes = data.draw(
                weighted(
                    (8, st.integers(1, 31)),
                    (3, st.sampled_from([16 | 1, 16 | 2, 16 | 4, 31])),
                    (1, st.sampled_from([0, 32])),
                ),
                label="scopes",
            )
        terms = Terms(
            asset_id=asset_id,
            currency=currency,
            price=data.draw(
                weighted((5, st.integers(1, 1000)), (3, st.integers(1, 10**6)), (2, st.just(0))),
                label="price",
            ),
            unit_price=data.draw(weighted((4, st.integers(1, 50)), (1, st.just(0))), label="unit"),
            duration=data.draw(
                weighted(
                    (4, st.integers(30, 3000)),
                    (4, st.just(0)),  # perpetual
                    (1, st.sampled_from([MAX_DURATION, MAX_DURATION + (not valid)])),
                ),
                label="duration",
            ),
            max_units=data.draw(st.one_of(st.just(0), st.integers(1, 8)), label="max_units"),
            scopes=scopes,
            min_upstream_bps=data.draw(
                weighted(
                    (3, st.just(0)),
                    (4, st.integers(1, 3000)),
                    (1, st.sampled_from([0, *bad_min])),
                ),
                label="min_bps",
            ),
            soulbound=data.draw(st.booleans(), label="soulbound"),
            supply_cap=data.draw(weighted((3, st.just(0)), (1, st.integers(1, 3))), label="cap"),
            service_bps=data.draw(
                weighted(
                    (3, st.just(0)),
                    (4, st.integers(1, MAX_SERVICE_BPS)),
                    (1, st.just(MAX_SERVICE_BPS + (not valid))),
                ),
                label="service",
            ),
        )
        self.act(
            sender,
            w.license,
            abi.CREATE_OFFER.data(terms.as_tuple()),
            0,
            lambda: self.m.create_offer(sender, terms),
        )

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def create_offer(self, data: st.DataObject) -> None:
        self._step()
        asset_id = self.draw_payee(data)
        owner = self.m.assets[asset_id].owner if asset_id in self.m.assets else self.a["stranger"]
        sender = mostly(data, "sender", [owner], [self.a["stranger"]])
        self._create_offer(data, asset_id, sender)

    @precondition(lambda self: self.m.offers)
    @rule(data=st.data())
    def pause_resume_or_retire_offer(self, data: st.DataObject) -> None:
        self._step()
        offer_id = mostly(data, "offer", recent(self.m.offers), [*self.m.offers, NOT_AN_ID])
        offer = self.m.offers.get(offer_id)
        owner = self.m.assets[offer.terms.asset_id].owner if offer else self.a["stranger"]
        sender = mostly(data, "sender", [owner], [self.a["stranger"]])
        status = data.draw(st.integers(0, RETIRED), label="status")
        self.act(
            sender,
            self.world.license,
            abi.SET_OFFER_STATUS.data(offer_id, status),
            0,
            lambda: self.m.set_offer_status(sender, offer_id, status),
        )

    @precondition(lambda self: self.m.offers)
    @rule(data=st.data())
    def buy_license(self, data: st.DataObject) -> None:
        self._step()
        w, m = self.world, self.m
        offer_id = mostly(data, "offer", recent(m.offers), [*m.offers, NOT_AN_ID])
        buyer = self.draw_actor(data, "alice", "bob", "gateway", "publisher2", "stranger")
        to = mostly(data, "to", [buyer], list(self.a.values()))
        terms = m.offers[offer_id].terms if offer_id in m.offers else None
        price = terms.price if terms else 0
        max_price = data.draw(st.sampled_from([price, price + 7, max(price - 1, 0)]), label="max")
        value = price if terms and terms.currency == ETH else 0
        value += data.draw(extra_value, label="extra value")
        out, license_id = self.act(
            buyer,
            w.license,
            abi.BUY.data(offer_id, to, max_price),
            value,
            lambda: m.buy(buyer, offer_id, to, max_price, value),
        )
        if out.ok:  # snapshot the terms the chain reports at purchase
            raw = w.chain.read([eth_call(w.license, abi.LICENSE.data(license_id))])[0]
            self.sold_terms[license_id] = abi.LICENSE.decode(raw)[2]
            assert self.sold_terms[license_id] == terms.as_tuple()

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def transfer_license(self, data: st.DataObject) -> None:
        """Transferable licenses move; soulbound ones revert LicenseTokenSoulbound."""
        self._step()
        license_id = mostly(data, "license", recent(self.m.licenses), list(self.m.licenses))
        holder = self.m.licenses[license_id].holder
        sender = mostly(data, "sender", [holder], [self.a["stranger"]])
        to = self.draw_actor(data, "alice", "bob", "gateway", "publisher", "publisher2")
        self.act(
            sender,
            self.world.license,
            abi.TRANSFER_FROM.data(holder, to, license_id),
            0,
            lambda: self.m.transfer_license(sender, holder, to, license_id),
        )

    # ---- channels -------------------------------------------------------------------------

    def operators(self) -> list[str]:
        return [self.a["gateway"], self.a["stranger"]]

    def draw_channel(self, data: st.DataObject) -> tuple[int, str, str]:
        """(license, payer, operator): mostly an open channel, else a holder's new one, now
        and then anyone's (refusals: not the holder, no operator, unknown license)."""
        m = self.m
        known = sorted(m.channels)
        fresh = [
            (lid, lic.holder, op) for lid, lic in m.licenses.items() for op in self.operators()
        ]
        key = mostly(data, "channel", known or fresh, fresh or known)
        if rarely(data, "odd channel", 10):
            odd = data.draw(st.sampled_from(["payer", "operator", "license"]), label="odd")
            lid, payer, op = key
            if odd == "payer":
                payer = self.draw_actor(data)
            elif odd == "operator":
                op = data.draw(st.sampled_from([ZERO_ADDRESS, self.a["alice"]]), label="op")
            else:
                lid = NOT_AN_ID
            key = (lid, payer, op)
        return key

    def currency_of(self, license_id: int) -> str:
        m = self.m
        if license_id in m.metered:
            return m.metered[license_id].currency
        return m.terms_of(license_id).currency if license_id in m.licenses else ETH

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def open_channel(self, data: st.DataObject) -> None:
        """The holder opens a channel with a chosen signer and units (capped licenses)."""
        self._step()
        lid, payer, operator = self.draw_channel(data)
        signer = data.draw(
            st.sampled_from([ZERO_ADDRESS, payer, self.a["stranger"]]), label="signer"
        )
        units = data.draw(
            weighted((4, st.just(0)), (2, st.integers(1, 4)), (1, st.just(9))), label="units"
        )
        self.act(
            payer,
            self.world.meter,
            abi.OPEN.data(lid, operator, signer, units),
            0,
            lambda: self.m.open(payer, lid, operator, signer, units),
        )

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def deposit(self, data: st.DataObject) -> None:
        """Into the payer's channel (opened with defaults when new), in the license's currency."""
        self._step()
        lid, payer, operator = self.draw_channel(data)
        amount = data.draw(small_amounts, label="amount")
        value = amount if self.currency_of(lid) == ETH else 0
        value += data.draw(extra_value, label="extra value")
        self.act(
            payer,
            self.world.meter,
            abi.DEPOSIT.data(lid, operator, amount),
            value,
            lambda: self.m.deposit(payer, lid, operator, amount, value),
        )

    @precondition(lambda self: self.m.channels)
    @rule(data=st.data())
    def request_withdrawal(self, data: st.DataObject) -> None:
        self._step()
        funded = sorted(k for k, ch in self.m.channels.items() if ch.reserve) or sorted(
            self.m.channels
        )
        lid, payer, operator = data.draw(st.sampled_from(funded), label="channel")
        reserve = self.m.channel(lid, payer, operator).reserve
        amount = data.draw(
            weighted(
                (4, st.just(reserve)),
                (4, st.integers(1, max(reserve, 1))),
                (1, st.sampled_from([reserve + 1, 0])),
            ),
            label="amount",
        )
        self.act(
            payer,
            self.world.meter,
            abi.REQUEST_WITHDRAWAL.data(lid, operator, amount),
            0,
            lambda: self.m.request_withdrawal(payer, lid, operator, amount),
        )

    @precondition(lambda self: self.m.channels)
    @rule(data=st.data())
    def complete_or_cancel_withdrawal(self, data: st.DataObject) -> None:
        self._step()
        waiting = sorted(self.m.withdrawals)
        lid, payer, operator = mostly(data, "withdrawal", waiting, sorted(self.m.channels))
        if rarely(data, "cancel", 5):
            fn, predict = abi.CANCEL_WITHDRAWAL, self.m.cancel_withdrawal
        else:
            fn, predict = abi.COMPLETE_WITHDRAWAL, self.m.complete_withdrawal
        self.act(
            payer,
            self.world.meter,
            fn.data(lid, operator),
            0,
            lambda: predict(payer, lid, operator),
        )

    @precondition(lambda self: self.m.holders)
    @rule(data=st.data())
    def change_signer(self, data: st.DataObject) -> None:
        """Delayed by WITHDRAWAL_DELAY: vouchers of the old signer settle until then."""
        self._step()
        lid, payer = mostly(data, "payer", sorted(self.m.holders), [(NOT_AN_ID, self.a["bob"])])
        signer = data.draw(
            st.sampled_from([ZERO_ADDRESS, self.a["stranger"], self.a["alice"]]), label="signer"
        )
        self.act(
            payer,
            self.world.meter,
            abi.CHANGE_SIGNER.data(lid, signer),
            0,
            lambda: self.m.change_signer(payer, lid, signer),
        )

    @precondition(lambda self: self.m.channels)
    @rule(data=st.data())
    def release_units(self, data: st.DataObject) -> None:
        self._step()
        closed = sorted(
            k for k in self.m.channels if self.m.holder(k[0], k[1]).closes_at < self.m.now
        )
        lid, payer, operator = mostly(data, "channel", closed, sorted(self.m.channels))
        self.act(
            self.a["stranger"],
            self.world.meter,
            abi.RELEASE_UNITS.data(lid, payer, operator),
            0,
            lambda: self.m.release_units(lid, payer, operator),
        )

    # ---- vouchers and metering ------------------------------------------------------------

    def new_voucher(self, data: st.DataObject) -> tuple[SignedVoucher, bytes]:
        """Signed off-chain by the payer's signer (or someone else, or for another chain)."""
        w, m = self.world, self.m
        lid, payer, operator = self.draw_channel(data)
        units_now = m.channel(lid, payer, operator).units
        signer = m.signer_of(lid, payer) if lid in m.licenses else ZERO_ADDRESS
        who = mostly(data, "signer", ["signer"], ["other", "other chain", "old"])
        if who == "other" or signer == ZERO_ADDRESS:
            signer = self.draw_actor(data, "bob", "stranger", "alice")
        elif who == "old":  # the signer before a change (valid until switchAt + grace)
            signer = m.holder(lid, payer).signer or signer
        units = data.draw(
            weighted(
                (10, st.integers(1, 6).map(lambda d: units_now + d)),
                (2, st.sampled_from([units_now, max(units_now - 1, 0)])),  # stale
                (1, st.just(2**64)),
            ),
            label="cumulative",
        )
        deadline_in = weighted((8, st.integers(1, 4000)), (1, st.integers(-3, 0)))
        deadline = max(m.now + data.draw(deadline_in, label="deadline in"), 0)
        chain_id = w.chain_id + (1 if who == "other chain" else 0)
        message = Voucher(lid, payer, operator, units, deadline)
        signature = sign(message, chain_id, w.meter, w.keys[signer])
        model_signer = None if who == "other chain" else signer
        voucher = (SignedVoucher(lid, payer, operator, units, deadline, model_signer), signature)
        self.vouchers.append(voucher)
        return voucher

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def sign_voucher(self, data: st.DataObject) -> None:
        """Off-chain only: the voucher joins the pool that settlements draw from."""
        self._step()
        self.new_voucher(data)

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def settle_voucher(self, data: st.DataObject) -> None:
        """A freshly signed voucher, or any signed before: replays, stale and expired ones."""
        self._step()
        if not self.vouchers or data.draw(st.booleans(), label="fresh"):
            voucher, signature = self.new_voucher(data)
        else:
            voucher, signature = data.draw(st.sampled_from(self.vouchers), label="voucher")
        sender = self.draw_actor(data, "gateway", "gateway", "stranger")
        self.act(
            sender,
            self.world.meter,
            abi.SETTLE.data(voucher.as_tuple(), signature),
            0,
            lambda: self.m.settle(voucher),
        )

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def settle_batch(self, data: st.DataObject) -> None:
        self._step()
        least = 0 if self.vouchers else 1
        fresh = [
            self.new_voucher(data) for _ in range(data.draw(st.integers(least, 2), label="new"))
        ]
        batch = fresh + data.draw(
            st.lists(st.sampled_from(self.vouchers), min_size=1 - len(fresh[:1]), max_size=3),
            label="batch",
        )
        vouchers = [v for v, _ in batch]
        signatures = [s for _, s in batch]
        if rarely(data, "drop a signature", 20):
            signatures = signatures[:-1]
        out, result = self.act(
            self.a["gateway"],
            self.world.meter,
            abi.SETTLE_BATCH.data([v.as_tuple() for v in vouchers], signatures),
            0,
            lambda: self.m.settle_batch(vouchers, len(signatures)),
        )
        if out.ok:  # every skipped voucher is reported with the error the model names
            skipped = []
            for log in logs_of(out.receipt, abi.VOUCHER_SKIPPED):
                (reason,) = decode(["bytes"], bytes.fromhex(log["data"][2:]))
                channel = bytes.fromhex(log["topics"][1][2:])
                lid = int(log["topics"][2], 16)
                skipped.append((channel, lid, self.world.chain.errors.decode(reason)))
            assert skipped == [(cid, lid, err.key) for cid, lid, err in result[2]]

    @precondition(lambda self: self.m.licenses)
    @rule(data=st.data())
    def meter_on_chain(self, data: st.DataObject) -> None:
        self._step()
        lid, payer, operator = self.draw_channel(data)
        units = data.draw(weighted((6, st.integers(1, 5)), (1, st.just(0))), label="units")
        self.act(
            payer,
            self.world.meter,
            abi.METER.data(lid, operator, units),
            0,
            lambda: self.m.meter(payer, lid, operator, units),
        )

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def pay_asset(self, data: st.DataObject) -> None:
        """Anyone pushes what settlements owe an asset into the vault (the meter pays)."""
        self._step()
        owed = sorted(k for k, o in self.m.owed.items() if o[0] > o[1])
        asset_id, currency = mostly(
            data, "owed", owed, [(self.draw_asset(data), self.draw_currency(data))]
        )
        sender = self.draw_actor(data)
        self.act(
            sender,
            self.world.meter,
            abi.PAY_ASSET.data(asset_id, currency),
            0,
            lambda: self.m.pay_asset(asset_id, currency),
        )

    @rule(data=st.data())
    def withdraw_earnings(self, data: st.DataObject) -> None:
        self._step()
        earning = sorted(k for k, v in self.m.earnings.items() if v)
        operator, currency = mostly(
            data, "earnings", earning, [(self.draw_actor(data), self.draw_currency(data))]
        )
        to = self.draw_actor(data)
        self.act(
            operator,
            self.world.meter,
            abi.WITHDRAW_EARNINGS.data(currency, to),
            0,
            lambda: self.m.withdraw_earnings(operator, currency, to),
        )

    # ---- revenue --------------------------------------------------------------------------

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def pay_directly(self, data: st.DataObject) -> None:
        self._step()
        asset_id = self.draw_payee(data)
        currency = self.draw_currency(data)
        amount = data.draw(small_amounts, label="amount")
        payer = self.draw_actor(data, "alice", "bob", "gateway", "stranger", "publisher")
        value = amount if currency == ETH else 0
        value += data.draw(extra_value, label="extra value")
        self.act(
            payer,
            self.world.vault,
            abi.PAY.data(asset_id, currency, amount),
            value,
            lambda: self.m.pay(payer, asset_id, currency, amount, value),
        )

    @precondition(lambda self: any(p.pending for p in self.m.pools.values()))
    @rule(data=st.data())
    def flow_upstream(self, data: st.DataObject) -> None:
        self._step()
        pending = sorted(k for k, p in self.m.pools.items() if p.pending and k[0] in self.m.assets)
        if pending and not rarely(data, "any pool", 4):
            asset_id, currency = data.draw(st.sampled_from(pending), label="pool")
        else:
            asset_id, currency = self.draw_asset(data), self.draw_currency(data)
        sender = self.draw_actor(data)
        self.act(
            sender,
            self.world.vault,
            abi.FLOW_UPSTREAM.data(asset_id, currency),
            0,
            lambda: self.m.flow_upstream(asset_id, currency),
        )

    def owed(self) -> list[tuple[int, str, str]]:
        """(asset, currency, member) with something to claim now."""
        m = self.m
        return [
            (a.id, c, member)
            for (asset_id, c), pool in sorted(m.pools.items())
            if pool.accrued and (a := m.assets.get(asset_id))
            for member, weight in sorted(a.weights.items())
            if m.claimable(a.id, c, member, weight)
        ]

    def draw_claim(self, data: st.DataObject) -> tuple[int, str, str, int, list, bool]:
        """(asset, currency, account, weight, proof, genuine): mostly something owed."""
        anything = [
            (a, c, member)
            for a in sorted(self.m.assets)
            for c in self.world.currencies
            for member in sorted(self.m.assets[a].weights)
        ]
        asset_id, currency, member = mostly(data, "claim", self.owed(), anything)
        weight, nodes = self.proof(asset_id, member)
        kind = mostly(data, "claimant", ["member"], ["outsider", "wrong weight"])
        if kind == "outsider":  # a member's proof under another account's name
            return asset_id, currency, self.a["gateway"], weight, nodes, False
        if kind == "wrong weight":
            return asset_id, currency, member, weight + 1, nodes, True
        return asset_id, currency, member, weight, nodes, True

    @precondition(lambda self: any(p.accrued for p in self.m.pools.values()))
    @rule(data=st.data())
    def claim(self, data: st.DataObject) -> None:
        self._step()
        asset_id, currency, account, weight, nodes, genuine = self.draw_claim(data)
        caller = self.draw_actor(data)
        self.act(
            caller,
            self.world.vault,
            abi.CLAIM.data(asset_id, currency, account, weight, nodes),
            0,
            lambda: self.m.claim(asset_id, currency, account, weight, genuine),
        )

    @precondition(lambda self: any(p.accrued for p in self.m.pools.values()))
    @rule(data=st.data())
    def claim_batch(self, data: st.DataObject) -> None:
        self._step()
        picks = [self.draw_claim(data) for _ in range(data.draw(st.integers(1, 4), label="n"))]
        requests = [ClaimRequest(a, c, acct, wt, g) for a, c, acct, wt, _, g in picks]
        tuples = [(a, c, acct, wt, nodes) for a, c, acct, wt, nodes, _ in picks]
        caller = self.draw_actor(data)
        self.act(
            caller,
            self.world.vault,
            abi.CLAIM_BATCH.data(tuples),
            0,
            lambda: self.m.claim_batch(requests),
        )

    def draw_recipient(self, data: st.DataObject) -> str:
        """Mostly an actor; now and then the zero address, or a contract of the suite (ETH
        to it fails; tokens land there by mistake, for a sweep to return)."""
        w = self.world
        odd = [ZERO_ADDRESS, w.registry, w.license, w.meter, w.vault, w.court]
        return mostly(data, "recipient", list(self.a.values()), odd)

    @precondition(lambda self: any(p.accrued for p in self.m.pools.values()))
    @rule(data=st.data())
    def claim_to(self, data: st.DataObject) -> None:
        """A contributor has its own share paid to a recipient of its choice."""
        self._step()
        asset_id, currency, account, weight, nodes, genuine = self.draw_claim(data)
        recipient = self.draw_recipient(data)
        self.act(
            account,
            self.world.vault,
            abi.CLAIM_TO.data(asset_id, currency, weight, nodes, recipient),
            0,
            lambda: self.m.claim_to(account, asset_id, currency, weight, recipient, genuine),
        )

    def new_signed_claim(self, data: st.DataObject) -> tuple[SignedClaim, bytes]:
        """A member's ClaimTo, signed by it (or by someone else, or for another chain or
        vault), up to a cap (above, at or below what it claimed), until a deadline."""
        w, m = self.world, self.m
        anything = [
            (a, c, member)
            for a in sorted(m.assets)
            for c in w.currencies
            for member in sorted(m.assets[a].weights)
        ]
        asset_id, currency, account = mostly(data, "claim", self.owed(), anything)
        recipient = self.draw_recipient(data)
        done = m.claimed.get((asset_id, currency, account), 0)
        up_to = data.draw(
            weighted(
                (4, st.just(UINT256_MAX)),
                (4, st.integers(done + 1, done + 10**6)),
                (1, st.sampled_from([done, max(done - 1, 0)])),
            ),
            label="up to",
        )
        deadline = m.now + data.draw(
            weighted((8, st.integers(1, 4000)), (1, st.integers(-3, 0))), label="deadline in"
        )
        who = mostly(data, "signer", ["account"], ["other", "other chain", "other vault"])
        key = w.keys[account if who != "other" else self.a["stranger"]]
        chain_id = w.chain_id + (who == "other chain")
        vault = w.meter if who == "other vault" else w.vault
        signature = sign_claim_to(
            key, chain_id, vault, asset_id, currency, account, recipient, up_to, deadline
        )
        signer = {"account": account, "other": self.a["stranger"]}.get(who)
        signed = (
            SignedClaim(asset_id, currency, account, recipient, up_to, deadline, signer),
            signature,
        )
        self.signed.append(signed)
        return signed

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def claim_to_signed(self, data: st.DataObject) -> None:
        """Anyone sends a contributor's signed claim: a fresh one, or a replay."""
        self._step()
        if not self.signed or data.draw(st.booleans(), label="fresh"):
            signed, signature = self.new_signed_claim(data)
        else:
            signed, signature = data.draw(st.sampled_from(self.signed[-8:]), label="replay")
        weight, nodes = self.proof(signed.asset_id, signed.account)
        args = (signed.asset_id, signed.currency, signed.account, weight, nodes)
        args += (signed.recipient, signed.up_to, signed.deadline, signature)
        self.act(
            self.draw_actor(data),
            self.world.vault,
            abi.CLAIM_TO_SIGNED.data(*args),
            0,
            lambda: self.m.claim_to_signed(signed, weight),
        )

    @rule(data=st.data())
    def mistaken_transfer_sweep_or_fees(self, data: st.DataObject) -> None:
        """Tokens sent to any of the six contracts directly are nobody's revenue: the vault,
        the meter and the court sweep what they hold above their books (the court's: its ETH
        deposits), the registry and the license contract (which hold nothing) all of it, to
        the treasury; LabelCampaigns has no sweep (they stay, beside its books). Plain ETH
        transfers revert (no contract has receive()); ETH forced in by a self-destructing
        contract is swept the same way. Fees withdraw only if any were
        charged (or redirected there by an upheld dispute)."""
        self._step()
        w, m = self.world, self.m
        stranger = self.a["stranger"]
        currency = self.draw_currency(data)
        target = data.draw(
            st.sampled_from(["vault", "registry", "license", "meter", "court", "campaigns"]),
            label="contract",
        )
        to = getattr(w, target)
        what = data.draw(
            weighted((4, st.just("send")), (4, st.just("sweep")), (1, st.just("fees"))),
            label="what",
        )
        if target == "campaigns" and what == "sweep":  # LabelCampaigns has no sweep
            what = "send"
        if what == "send":
            amount = data.draw(st.integers(1, 10**4), label="amount")
            if currency != ETH:
                self.act(
                    stranger,
                    currency,
                    abi.ERC20_TRANSFER.data(to, amount),
                    0,
                    lambda: m.balances.transfer(currency, stranger, to, amount),
                )
            elif rarely(data, "force it in", 3):  # PUSH20 target; SELFDESTRUCT
                self.act(
                    stranger,
                    None,
                    "0x73" + to[2:].lower() + "ff",
                    amount,
                    lambda: m.balances.transfer(ETH, stranger, to, amount),
                )
            else:
                self.act(stranger, to, "0x", amount, _no_receive)
        elif what == "sweep":
            fn, predict = {
                "vault": (abi.SWEEP_EXCESS, m.sweep_excess),
                "meter": (abi.SWEEP_EXCESS, m.meter_sweep_excess),
                "registry": (abi.SWEEP, m.registry_sweep),
                "license": (abi.SWEEP, m.license_sweep),
                "court": (abi.SWEEP_EXCESS, m.court_sweep_excess),
            }[target]
            self.act(self.draw_actor(data), to, fn.data(currency), 0, lambda: predict(currency))
        else:
            self.act(
                stranger,
                w.vault,
                abi.WITHDRAW_FEES.data(currency),
                0,
                lambda: m.withdraw_fees(currency),
            )

    # ---- disputes -------------------------------------------------------------------------

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def open_dispute(self, data: st.DataObject) -> None:
        """Anyone files a claim against an asset: subjective (reason, evidence, a beneficiary;
        BOND + the arbiter's fee), a duplicate file proven in an earlier asset and a later one
        (BOND + fee), or an older commitment of the asset's root (no bond: upheld at once).
        The asset stops selling and deriving, and its revenue is held from now on. Often the
        dispute then runs part of its course in the same step (the dispute rules are two of
        thirty, so a dispute would otherwise rarely end within an example)."""
        self._step()
        before = len(self.m.disputes)
        kinds = ["subjective", "duplicate"] + (["prior"] if self.claimable_priors() else [])
        kind = data.draw(st.sampled_from(kinds), label="claim")
        if kind == "duplicate" and not self.shared_files():
            kind = "subjective"
        with self.tallied(f"dispute: open {kind}"):
            if kind == "prior":
                self.claim_prior(data)
            elif kind == "duplicate":
                self.open_duplicate(data)
            else:
                self.open_subjective(data)
        if len(self.m.disputes) > before:
            moves = data.draw(weighted((2, st.just(0)), (3, st.integers(1, 4))), label="moves")
            self.run_dispute(data, len(self.m.disputes), moves)

    @precondition(lambda self: self.moving_disputes())
    @rule(data=st.data())
    def move_dispute(self, data: st.DataObject) -> None:
        """One to three moves in a dispute's life: the owner contests (BOND), anyone answers a
        duplicate claim with a lineage path, resolves it after the answer period, lapses a
        case the arbiter left past RULING_TIMEOUT; the arbiter rules (the panel's members vote,
        or anyone drives the TestArbiter, whose fee and switches anyone sets); anyone releases
        an escrow, and each party withdraws its deposits. Now and then a move that must fail:
        a dispute in another state, or none."""
        self._step()
        m = self.m
        focus = mostly(data, "dispute", self.moving_disputes(), [*m.disputes, NOT_AN_ID])
        self.run_dispute(data, focus, data.draw(st.integers(1, 3), label="moves"))

    def moving_disputes(self) -> list[int]:
        """The newest disputes not ended, or ended with money still to collect."""
        m = self.m
        live = [i for i, d in m.disputes.items() if d.state in (OPEN, AT_ARBITER)]
        ended = [i for i, d in m.disputes.items() if self.collectable(d)]
        return live[-3:] + ended[-2:]

    def collectable(self, d: Any) -> bool:
        """An ended dispute with escrow to release or deposits to withdraw."""
        m = self.m
        escrow = any(v for (a, _), v in m.escrowed.items() if a == d.asset_id)
        owed = any(m.deposits.get(x, 0) for x in (d.claimant, d.defendant))
        return d.state not in (OPEN, AT_ARBITER) and (escrow or owed)

    def run_dispute(self, data: st.DataObject, focus: int, moves: int) -> None:
        """Up to `moves` moves on dispute `focus`, each one its state allows (mostly)."""
        m, w = self.m, self.world
        for n in range(moves):
            d = m.disputes.get(focus)
            done = d is None or (d.state not in (OPEN, AT_ARBITER) and not self.collectable(d))
            if n and done:
                return
            options: list[tuple[int, str]] = []
            if d is None:
                options.append((1, "resolve"))
            elif d.state == OPEN:
                options += [(3, "contest"), (3, "resolve"), (2, "revenue")]
                if d.kind == DUPLICATE:
                    answers = m.lineage_path(d.asset_id, d.beneficiary) is not None
                    options.append((8 if answers else 1, "lineage"))
            elif d.state == AT_ARBITER:
                options += [(5, "rule"), (2, "lapse"), (2, "revenue")]
            else:
                options.append((2 if d.state == UPHELD else 1, "revenue"))
                if any(v for (a, _), v in m.escrowed.items() if a == d.asset_id):
                    options.append((3, "release"))
                if any(v for v in m.deposits.values()):
                    options.append((2, "withdraw"))
            if not w.panel:
                options.append((3 if m.arbiter.burn else 1, "arbiter"))
            options.append((1, "odd"))
            move = data.draw(weighted(*((n, st.just(x)) for n, x in options)), label="move")
            if move == "odd":  # any move, whatever the state
                move = data.draw(
                    st.sampled_from(["contest", "resolve", "lineage", "rule", "lapse", "release"]),
                    label="odd move",
                )
            with self.tallied(f"dispute: {move}"):
                self.dispute_move(data, move, focus)

    def dispute_move(self, data: st.DataObject, move: str, i: int) -> None:
        m, w = self.m, self.world
        d = m.disputes.get(i)
        sender = self.draw_actor(data)
        if move == "contest":
            owner = m.assets[d.asset_id].owner if d else sender
            sender = mostly(data, "contester", [owner], [sender])
            value = self.draw_deposit(data, m.deployment.dispute_bond)
            self.court_act(sender, abi.CONTEST, (i,), value, lambda: m.contest(sender, i, value))
        elif move == "resolve":
            if d and not rarely(data, "too soon", 6):
                self.wait_until(d.opened_at + m.deployment.answer_period + 1)
            self.court_act(sender, abi.RESOLVE, (i,), 0, lambda: m.resolve(i))
        elif move == "lineage":
            path = m.lineage_path(d.asset_id, d.beneficiary) if d else None
            if path is None or rarely(data, "bad path", 8):
                path = data.draw(st.sampled_from([[], [0], [1, 0], [0] * 9]), label="path")
            self.court_act(
                sender, abi.ANSWER_LINEAGE, (i, path), 0, lambda: m.answer_lineage(sender, i, path)
            )
        elif move == "rule":
            self.rule_dispute(data, i, sender)
        elif move == "lapse":
            if d and d.state == AT_ARBITER and not rarely(data, "too soon", 6):
                self.wait_until(d.at_arbiter_at + m.deployment.ruling_timeout + 1)
            self.court_act(sender, abi.LAPSE, (i,), 0, lambda: m.lapse(i))
        elif move == "revenue":
            self.revenue_for(data, d.asset_id if d else self.draw_asset(data), sender)
        elif move == "release":
            mine = sorted(k for k, v in m.escrowed.items() if v and d and k[0] == d.asset_id)
            escrow = mine or sorted(k for k, v in m.escrowed.items() if v)
            asset_id, currency = mostly(
                data, "escrow", escrow, [(self.draw_asset(data), self.draw_currency(data))]
            )
            self.act(
                sender,
                w.vault,
                abi.RELEASE.data(asset_id, currency),
                0,
                lambda: m.release(asset_id, currency),
            )
        elif move == "withdraw":
            owed = sorted(a for a, v in m.deposits.items() if v)
            sender = mostly(data, "depositor", owed, [sender])
            self.court_act(
                sender, abi.WITHDRAW_DEPOSITS, (), 0, lambda: m.withdraw_deposits(sender)
            )
        else:
            self.set_test_arbiter(data, sender)

    def court_act(self, sender: str, fn: Any, args: tuple, value: int, predict) -> Outcome:
        out, _ = self.act(sender, self.world.court, fn.data(*args), value, predict)
        return out

    def draw_deposit(self, data: st.DataObject, amount: int) -> int:
        """What a bonded call sends: mostly the amount due, now and then a wei off."""
        off = data.draw(weighted((12, st.just(0)), (1, st.sampled_from([1, -1]))), label="off")
        return max(amount + off, 0)

    def openable(self) -> list[int]:
        return [i for i, a in self.m.assets.items() if not a.status]

    def shared_files(self) -> list[tuple[int, int, File, File]]:
        """(earlier, later, its file, the same file in the later) for every two assets that
        hold a file with the same sha256 and size, the lower id first."""
        assets = sorted(self.m.assets.values(), key=lambda a: a.id)
        out = []
        for i, a in enumerate(assets):
            by_content = {(sha, size): (path, sha, size) for path, sha, size in a.files}
            for b in assets[i + 1 :]:
                for path, sha, size in sorted(b.files):
                    if (sha, size) in by_content:
                        out.append((a.id, b.id, by_content[(sha, size)], (path, sha, size)))
        return out

    def draw_beneficiary(self, data: st.DataObject, asset_id: int, owned_by: str | None) -> int:
        """0 (the fee book) or another asset (one `owned_by` owns, when given); now and then
        the asset itself or one that does not exist."""
        m = self.m
        others = [i for i, a in m.assets.items() if i != asset_id]
        if owned_by is not None:
            others = [i for i in others if m.assets[i].owner == owned_by]
        choice = data.draw(
            weighted((3, st.just("none")), (4, st.just("asset")), (1, st.just("odd"))),
            label="beneficiary",
        )
        if choice == "asset" and others:
            return data.draw(st.sampled_from(others), label="beneficiary asset")
        if choice == "odd":
            odd = [asset_id, NOT_AN_ID, *[i for i in m.assets if i != asset_id][:2]]
            return data.draw(st.sampled_from(odd), label="odd beneficiary")
        return 0

    def open_subjective(self, data: st.DataObject) -> None:
        m = self.m
        asset_id = mostly(data, "disputed", self.openable(), [*m.assets, NOT_AN_ID])
        claimant = self.draw_actor(data)
        reason = data.draw(
            weighted((8, st.integers(1, 3)), (1, st.sampled_from([0, 4]))), label="reason"
        )
        evidence = ZERO32 if rarely(data, "no evidence", 12) else self.new_salt()
        beneficiary = self.draw_beneficiary(data, asset_id, None)
        value = self.draw_deposit(data, m.deployment.dispute_bond + m.arbiter.ruling_fee())
        self.court_act(
            claimant,
            abi.OPEN_SUBJECTIVE,
            (asset_id, reason, evidence, beneficiary),
            value,
            lambda: m.open_subjective(claimant, asset_id, reason, evidence, beneficiary, value),
        )

    def open_duplicate(self, data: st.DataObject) -> None:
        """A duplicate-content claim over a file two assets share."""
        m = self.m
        pairs = self.shared_files()
        big = m.deployment.min_duplicate_size
        good = [
            (a, b, fa, fb)
            for a, b, fa, fb in pairs
            if fa[2] >= big
            and not m.assets[a].status
            and not m.assets[b].status
            and m.assets[a].owner != m.assets[b].owner
            and all(p.asset_id != a for p in m.assets[b].parents)
        ]
        # An ancestor beyond the parents holds the file: a lineage path answers the claim.
        answerable = [x for x in good if m.lineage_path(x[1], x[0])]
        if data.draw(st.booleans(), label="an ancestor's file"):
            deep = [
                x
                for x in pairs
                if x[2][2] >= big
                and not m.assets[x[0]].status
                and not m.assets[x[1]].status
                and len(m.lineage_path(x[1], x[0]) or ()) > 1  # an ancestor, not a parent
            ]
            if not answerable and deep:  # the derivative changes hands first
                later = data.draw(st.sampled_from(deep), label="deep")[1]
                owner = m.assets[later].owner
                buyer = self.draw_actor(data, "publisher", "publisher2", "alice", "bob")
                with self.tallied("dispute: a derivative changes hands"):
                    self.act(
                        owner,
                        self.world.registry,
                        abi.TRANSFER_FROM.data(owner, buyer, later),
                        0,
                        lambda: m.transfer_asset(owner, owner, buyer, later),
                    )
                answerable = [x for x in deep if m.assets[x[0]].owner != m.assets[x[1]].owner]
            good = answerable or good
        big_enough = [x for x in pairs if x[2][2] >= big]
        earlier, later, file_a, file_b = mostly(data, "shared", good or big_enough, pairs)
        claim_a, claim_b = self.file_claim(earlier, file_a), self.file_claim(later, file_b)
        odd = data.draw(
            weighted(
                (10, st.just("none")),
                (1, st.sampled_from(["swapped", "tampered", "other file", "unknown"])),
            ),
            label="odd duplicate",
        )
        if odd == "swapped":  # the later asset named as the earlier one
            earlier, later, claim_a, claim_b = later, earlier, claim_b, claim_a
        elif odd == "tampered":
            claim_a = FileClaim(*file_a, None)
        elif odd == "other file":  # a file of the later asset that differs
            other = sorted(m.assets[later].files - {file_b})
            if other:
                claim_b = self.file_claim(later, other[0])
        elif odd == "unknown":
            later = NOT_AN_ID
        claimant = self.draw_actor(data)
        value = self.draw_deposit(data, m.deployment.dispute_bond + m.arbiter.ruling_fee())
        self.court_act(
            claimant,
            abi.OPEN_DUPLICATE,
            (earlier, later, self.file_proof(claim_a), self.file_proof(claim_b)),
            value,
            lambda: m.open_duplicate(claimant, earlier, later, claim_a, claim_b, value),
        )

    def claimable_priors(self) -> list[tuple[str, Pending, int]]:
        """(committer, commitment, leaf index) for each committed leaf whose root is an
        asset's: the victims of squats, and everyone else (whose claims fail)."""
        roots = {a.content_root for a in self.m.assets.values()}
        return [
            (who, p, i)
            for who, p in self.committed
            for i, r in enumerate(p.items)
            if r.content in roots
        ]

    def claim_prior(self, data: st.DataObject) -> None:
        """A committer shows one of its commitments holding a registered asset's root: the
        victim of a squat (upheld), or anyone else (refused: its own asset, another's leaves,
        a commitment not older, expired, too late; with commitments off, a registrant's own
        earlier commitment takes its asset down)."""
        m = self.m
        by_root = {a.content_root: a.id for a in m.assets.values()}
        window = m.deployment.max_commit_age
        records = self.claimable_priors()
        older = [  # an older commitment of the root, still in time (a squat's victim's)
            (who, p, i)
            for who, p, i in records
            if p.committed_at < m.assets[by_root[p.items[i].content]].committed_at
            and m.now <= p.committed_at + 2 * window
            and m.assets[by_root[p.items[i].content]].status != TAKEN_DOWN
        ]
        claimant, pending, index = mostly(data, "prior", older, records)
        item = pending.items[index]
        asset_id = by_root[item.content]
        leaves, salt = pending.leaves, item.salt
        odd = data.draw(
            weighted((10, st.just("none")), (1, st.sampled_from(["other asset", "index", "salt"]))),
            label="odd prior",
        )
        if odd == "other asset":
            asset_id = self.draw_asset(data)
        elif odd == "index":
            index = len(leaves)
        elif odd == "salt":
            salt = self.new_salt()
        beneficiary = self.draw_beneficiary(data, asset_id, claimant)
        self.court_act(
            claimant,
            abi.CLAIM_PRIOR,
            (asset_id, leaves, index, salt, beneficiary),
            0,
            lambda: m.claim_prior_commitment(claimant, asset_id, leaves, index, salt, beneficiary),
        )

    def revenue_for(self, data: st.DataObject, asset_id: int, sender: str) -> None:
        """Revenue on its way to a disputed asset: a payment, or a child's pending flowing up
        (diverted whole to escrow, or to the beneficiary once upheld)."""
        m, w = self.m, self.world
        children = sorted(
            (i, c)
            for (i, c), pool in m.pools.items()
            if pool.pending
            and i in m.assets
            and any(p.asset_id == asset_id for p in m.assets[i].parents)
        )
        if children and data.draw(st.booleans(), label="flow"):
            child, currency = data.draw(st.sampled_from(children), label="child")
            self.act(
                sender,
                w.vault,
                abi.FLOW_UPSTREAM.data(child, currency),
                0,
                lambda: m.flow_upstream(child, currency),
            )
            return
        currency = self.draw_currency(data)
        amount = data.draw(st.integers(1, 10**6), label="amount")
        value = amount if currency == ETH else 0
        self.act(
            sender,
            w.vault,
            abi.PAY.data(asset_id, currency, amount),
            value,
            lambda: m.pay(sender, asset_id, currency, amount, value),
        )

    def rule_dispute(self, data: st.DataObject, dispute_id: int, sender: str) -> None:
        """The arbiter rules: a panel member votes (the vote reaching the threshold rules), or
        anyone has the TestArbiter rule; now and then someone else calls the court's rule."""
        m, w = self.m, self.world
        upheld = data.draw(st.booleans(), label="upheld")
        if rarely(data, "not the arbiter", 10):
            self.court_act(
                sender,
                abi.RULE,
                (dispute_id, upheld),
                0,
                lambda: m.court_rule(sender, dispute_id, upheld),
            )
            return
        if not w.panel:
            self.act(
                sender,
                w.arbiter,
                abi.RULE_ON.data(w.court, dispute_id, upheld),
                0,
                lambda: m.rule_on(w.court, dispute_id, upheld),
            )
            return
        case = m.arbiter.cases.get((w.court, dispute_id), PanelCase())
        voters = [a for a in w.panel if a not in case.voted]
        member = mostly(data, "member", voters, [*w.panel, self.a["alice"]])
        self.act(
            member,
            w.arbiter,
            abi.VOTE.data(w.court, dispute_id, upheld),
            0,
            lambda: m.vote(member, w.court, dispute_id, upheld),
        )

    def set_test_arbiter(self, data: st.DataObject, sender: str) -> None:
        """Anyone changes the TestArbiter: its fee, whether it refuses cases, whether it rules
        at once (and how), whether it runs out of gas (then no case can reach it: the court
        reverts rather than take it as a refusal)."""
        m, w = self.m, self.world
        what = data.draw(
            weighted(
                (1 if m.arbiter.burn else 7, st.sampled_from(["fee", "refuse", "instant"])),
                (3 if m.arbiter.burn else 1, st.just("burn")),
            ),
            label="setting",
        )
        if what == "fee":
            fee = data.draw(weighted((2, st.just(0)), (3, st.integers(1, 10**4))), label="fee")
            call, predict = abi.SET_FEE.data(fee), functools.partial(m.set_arbiter, fee=fee)
        elif what == "refuse":
            refuse = data.draw(st.booleans(), label="refuse")
            call = abi.SET_REFUSE.data(refuse)
            predict = functools.partial(m.set_arbiter, refuse=refuse)
        elif what == "instant":
            instant = data.draw(st.tuples(st.booleans(), st.booleans()), label="instant")
            call = abi.SET_INSTANT.data(*instant)
            predict = functools.partial(m.set_arbiter, instant=instant)
        else:
            burn = not m.arbiter.burn
            call, predict = abi.SET_BURN.data(burn), functools.partial(m.set_arbiter, burn=burn)
        self.act(sender, w.arbiter, call, 0, predict)

    # ---- labeling campaigns ---------------------------------------------------------------

    @rule(data=st.data())
    def launch_campaign(self, data: st.DataObject) -> None:
        """A requester escrows a pool (ETH or either token) for an operator it names, with a
        bond, a post deadline and two windows; now and then terms the contract must refuse.
        Often the campaign then runs part of its course in the same step (the campaign rules
        are two of thirty-two, as the disputes', so they weigh little on `make test`)."""
        self._step()
        with self.tallied("campaign: create"):
            campaign_id = self.create_campaign(data)
        if campaign_id is not None:
            moves = data.draw(weighted((1, st.just(0)), (4, st.integers(2, 6))), label="moves")
            self.run_campaign(data, campaign_id, moves)

    @precondition(lambda self: self.launches)
    @rule(data=st.data())
    def move_campaign(self, data: st.DataObject) -> None:
        """One to four moves in a campaign's life: the gold revealed, a result posted (its
        report matching it or not, with gold or without), challenged with its report, disputed
        and ruled on by the arbiter (the panel votes, or anyone drives the TestArbiter) or
        lapsed, claims alone, to a recipient or in a batch, finish, credits withdrawn; now and
        then a move that must fail (another status, the wrong parameters, proof or time)."""
        self._step()
        book = self.m.campaigns
        live = [i for i, c in book.campaigns.items() if c.live][-3:]
        focus = mostly(data, "campaign", live or list(self.launches), [*book.campaigns, NOT_AN_ID])
        self.run_campaign(data, focus, data.draw(st.integers(1, 4), label="moves"))

    def campaign_claims(self) -> list[tuple[int, str, int, list, Any]]:
        """(campaign, account, weight, proof, its tree's root) for every share of the standing
        result of each campaign posted or disputed: what the probes ask `claimable`."""
        if self.m.campaign_book is None:
            return []
        out = []
        for i, c in self.m.campaigns.campaigns.items():
            launch = self.launches.get(i)
            if c.status not in (CAMPAIGN_POSTED, CAMPAIGN_DISPUTED) or not launch.trees:
                continue
            weights, tree = launch.trees[-1]
            for account in sorted(weights):
                weight, nodes = tree.proof(account)
                out.append((i, account, weight, nodes, tree.root))
        return out

    def create_campaign(self, data: st.DataObject) -> int | None:
        m, w = self.m, self.world
        requester = self.draw_actor(data)
        operator = self.draw_actor(data)
        currency = self.draw_currency(data)
        salt, gold_root = self.new_salt(), self.new_salt()
        start = m.now + 1  # the block the create is mined in
        params = Params(
            requester=requester,
            currency=currency,
            pool=data.draw(
                weighted((3, st.integers(1, 10**6)), (1, st.integers(1, 9))), label="pool"
            ),
            itemsRoot=keccak(b"items" + salt),
            goldCommitment=gold_commitment(salt, gold_root),
            operator=operator,
            bond=data.draw(st.integers(1, 10**4), label="bond"),
            postBy=start + data.draw(st.integers(60, 3600), label="post within"),
            challengeWindow=data.draw(st.integers(30, 600), label="challenge window"),
            claimWindow=data.draw(st.integers(60, 1800), label="claim window"),
        )
        sender = requester
        odd = data.draw(
            weighted(
                (14, st.just("none")),
                (1, st.sampled_from(["requester", "operator", "items", "gold", "pool", "bond"])),
                (1, st.sampled_from(["postBy", "late", "challenge", "claim"])),
            ),
            label="odd terms",
        )
        if odd == "requester":
            sender = self.draw_actor(data)
        elif odd in ("operator", "items", "gold"):
            name = {"operator": "operator", "items": "itemsRoot", "gold": "goldCommitment"}[odd]
            params = params.but(**{name: ZERO_ADDRESS if odd == "operator" else ZERO32})
        elif odd == "pool":
            params = params.but(pool=data.draw(st.sampled_from([0, 2**112]), label="bad pool"))
        elif odd == "bond":
            params = params.but(bond=data.draw(st.sampled_from([0, 2**96]), label="bad bond"))
        elif odd == "postBy":
            params = params.but(postBy=start)
        elif odd == "late":
            params = params.but(postBy=start + MAX_WINDOW + 1)
        elif odd == "challenge":
            params = params.but(challengeWindow=0)
        elif odd == "claim":
            params = params.but(claimWindow=MAX_WINDOW + 1)
        # An ETH pool above its bound is refused before msg.value is read: send none of it.
        due = params.pool if currency == ETH and params.pool < 2**112 else 0
        value = self.draw_deposit(data, due)
        out, campaign_id = self.act(
            sender,
            w.campaigns,
            abi.CAMPAIGN_CREATE.data(params.t()),
            value,
            lambda: m.campaign("create", sender, params, value),
        )
        if not out.ok:
            return None
        stored = m.campaigns.campaigns[campaign_id].params
        self.launches[campaign_id] = Launch(campaign_id, stored, salt, gold_root)
        return campaign_id

    def run_campaign(self, data: st.DataObject, focus: int, moves: int) -> None:
        """Up to `moves` moves on campaign `focus`, each one its status allows (mostly)."""
        m, w = self.m, self.world
        book = m.campaigns
        for n in range(moves):
            c = book.campaigns.get(focus)
            credits = any(book.credits.values())
            if n and (c is None or not c.live) and not credits:
                return
            options: list[tuple[int, str]] = []
            if c is None:
                options.append((1, "finish"))
            elif c.status == CAMPAIGN_OPEN:
                options += [(6, "post"), (1, "finish")]
                if c.revealed == ZERO32:
                    options.append((2, "reveal"))
            elif c.status == CAMPAIGN_POSTED and m.now < c.opens_at:
                options += [(2, "challenge"), (2, "dispute"), (3, "claim")]
            elif c.status == CAMPAIGN_POSTED:
                options += [(5, "claim"), (2, "claim to"), (2, "batch"), (2, "finish")]
            elif c.status == CAMPAIGN_DISPUTED:
                options += [(5, "rule"), (2, "lapse")]
            if credits:
                options.append((3, "withdraw"))
            if not w.panel:
                options.append((3 if m.arbiter.burn else 1, "arbiter"))
            options.append((1, "odd"))
            move = data.draw(weighted(*((k, st.just(x)) for k, x in options)), label="move")
            if move == "odd":
                move = data.draw(
                    st.sampled_from(
                        ["reveal", "post", "challenge", "dispute", "rule", "lapse", "claim"]
                        + ["claim to", "batch", "finish", "withdraw"]
                    ),
                    label="odd move",
                )
            with self.tallied(f"campaign: {move}"):
                self.campaign_move(data, move, focus)

    def campaign_params(self, data: st.DataObject, launch: Launch | None) -> Params:
        """The campaign's parameters; now and then ones that do not hash to them."""
        if launch is None:  # an unknown id: any campaign's parameters
            return data.draw(st.sampled_from([x.params for x in self.launches.values()]))
        if rarely(data, "odd params", 16):
            return launch.params.but(pool=launch.params.pool + 1)
        return launch.params

    def campaign_move(self, data: st.DataObject, move: str, i: int) -> None:
        m, w = self.m, self.world
        book = m.campaigns
        c = book.campaigns.get(i)
        launch = self.launches.get(i)
        params = self.campaign_params(data, launch)
        sender = self.draw_actor(data)

        def send(fn: Any, args: tuple, action: str, *model_args: Any, value: int = 0) -> Any:
            return self.act(
                sender,
                w.campaigns,
                fn.data(*args),
                value,
                lambda: m.campaign(action, sender, *model_args),
            )

        if move == "reveal":
            salt = launch.salt if launch else self.new_salt()
            gold = launch.gold_root if launch else self.new_salt()
            odd = data.draw(
                weighted((10, st.just("none")), (1, st.sampled_from(["salt", "zero"]))),
                label="odd reveal",
            )
            if odd == "salt":
                salt = self.new_salt()
            elif odd == "zero":
                gold = ZERO32
            send(
                abi.CAMPAIGN_REVEAL_GOLD,
                (i, params.t(), salt, gold),
                "reveal_gold",
                i,
                params,
                salt,
                gold,
            )
        elif move == "post":
            self.post_campaign_result(data, i, c, launch, params)
        elif move == "challenge":
            body = launch.report if launch else b""
            gold = launch.gold if launch else ZERO32
            odd = data.draw(
                weighted((10, st.just("none")), (1, st.sampled_from(["other", "short", "gold"]))),
                label="odd challenge",
            )
            if odd == "other":
                body += b" "
            elif odd == "short":
                body = body[:63]
            elif odd == "gold":
                gold = self.new_salt()
            send(
                abi.CAMPAIGN_CHALLENGE,
                (i, params.t(), body, gold),
                "challenge_report",
                i,
                params,
                body,
                gold,
            )
        elif move == "dispute":
            fee = m.arbiter.ruling_fee()
            value = self.draw_deposit(data, fee + (params.bond if params.currency == ETH else 0))
            evidence = self.new_salt()
            out, case = send(
                abi.CAMPAIGN_DISPUTE,
                (i, params.t(), evidence),
                "dispute",
                i,
                params,
                evidence,
                value,
                value=value,
            )
            if out.ok:
                (log,) = logs_of(out.receipt, abi.RESULT_DISPUTED)
                sent = int(log["data"][2:66], 16)
                assert sent == case, f"caseId {sent:#x}, the model's {case:#x}"
                launch.cases.append(sent)
        elif move == "rule":
            self.rule_campaign(data, i, launch, sender)
        elif move == "lapse":
            if c and c.case and not rarely(data, "too soon", 6):
                self.wait_until(c.case.opened_at + book.ruling_timeout + 1)
            send(abi.CAMPAIGN_LAPSE, (i,), "lapse", i)
        elif move in ("claim", "claim to", "batch"):
            if c and c.status == CAMPAIGN_POSTED and not rarely(data, "too soon", 6):
                self.wait_until(c.opens_at + 1)
            self.claim_campaign(data, move, i, launch, params, sender)
        elif move == "finish":
            if c and not rarely(data, "too soon", 6):
                if c.status == CAMPAIGN_POSTED:
                    self.wait_until(c.opens_at + params.claimWindow + 1)
                elif c.status == CAMPAIGN_OPEN:
                    self.wait_until(params.postBy + 1)
            send(abi.CAMPAIGN_FINISH, (i, params.t()), "finish", i, params)
        elif move == "withdraw":
            owed = sorted(k for k, v in book.credits.items() if v)
            account, currency = mostly(data, "credit", owed, [(sender, self.draw_currency(data))])
            sender = account
            to = mostly(data, "to", [account, *self.a.values()], [ZERO_ADDRESS])
            send(abi.CAMPAIGN_WITHDRAW_CREDIT, (currency, to), "withdraw_credit", currency, to)
        else:
            self.set_test_arbiter(data, sender)

    def post_campaign_result(
        self, data: st.DataObject, i: int, c: Any, launch: Launch | None, params: Params
    ) -> None:
        """The operator posts a tree of contributors with its report: matching it (mostly) or
        naming another root or gold root; with the gold (revealed before, or now with its
        salt) or without."""
        m, w = self.m, self.world
        operator = params.operator
        sender = mostly(data, "poster", [operator], list(self.a.values()))
        weights = self.draw_weights(data)
        tree = w.contributors_of(weights)
        top = self.draw_top(data, weights) or tree.top
        salt = launch.salt if launch else ZERO32
        gold = launch.gold_root if launch else ZERO32
        revealed = c is not None and c.revealed != ZERO32
        with_gold = weighted((2, st.just(True)), (1, st.just(False)))
        if not revealed and data.draw(with_gold, label="gold"):
            pass
        elif not revealed:
            salt, gold = ZERO32, ZERO32  # scored without gold
        else:
            salt = ZERO32 if data.draw(st.booleans(), label="salt again") else salt
        if rarely(data, "odd gold", 10):
            gold = self.new_salt()
        header_root, header_gold = tree.root, gold
        lie = data.draw(
            weighted((3, st.just("none")), (1, st.sampled_from(["root", "gold"]))), label="lie"
        )
        if lie == "root":
            header_root = self.new_salt()
        elif lie == "gold":
            header_gold = self.new_salt()
        body = report(header_root, header_gold)
        value = self.draw_deposit(data, params.bond if params.currency == ETH else 0)
        out, _ = self.act(
            sender,
            w.campaigns,
            abi.CAMPAIGN_POST.data(i, params.t(), top, keccak(body), salt, gold),
            value,
            lambda: m.campaign(
                "post_result", sender, i, params, top, keccak(body), salt, gold, value
            ),
        )
        if out.ok:
            launch.trees.append((weights, tree))
            launch.report, launch.gold = body, gold

    def rule_campaign(
        self, data: st.DataObject, i: int, launch: Launch | None, sender: str
    ) -> None:
        """The arbiter rules on the running case: a panel member votes, or anyone has the
        TestArbiter rule; now and then an earlier round's case, or someone else calls rule."""
        m, w = self.m, self.world
        upheld = data.draw(st.booleans(), label="upheld")
        cases = launch.cases if launch and launch.cases else [case_id(i, 1)]
        case = mostly(data, "case", cases[-1:], [*cases[:-1], cases[-1] + (1 << 128)])
        if rarely(data, "not the arbiter", 10):
            self.act(
                sender,
                w.campaigns,
                abi.CAMPAIGN_RULE.data(case, upheld),
                0,
                lambda: m.campaign("rule", sender, case, upheld),
            )
            return
        if not w.panel:
            self.act(
                sender,
                w.arbiter,
                abi.RULE_ON.data(w.campaigns, case, upheld),
                0,
                lambda: m.rule_on(w.campaigns, case, upheld),
            )
            return
        panel_case = m.arbiter.cases.get((w.campaigns, case), PanelCase())
        voters = [a for a in w.panel if a not in panel_case.voted]
        member = mostly(data, "member", voters, [*w.panel, self.a["alice"]])
        self.act(
            member,
            w.arbiter,
            abi.VOTE.data(w.campaigns, case, upheld),
            0,
            lambda: m.vote(member, w.campaigns, case, upheld),
        )

    def campaign_share(
        self, data: st.DataObject, launch: Launch | None, account: str | None = None
    ) -> tuple[str, int, list, Any]:
        """(account, weight, proof, the root the proof is of) of the standing tree, mostly an
        account that has not claimed; now and then a wrong weight or an earlier tree's."""
        if launch is None or not launch.trees:
            return (account or self.a["alice"], 1, [], None)
        weights, tree = launch.trees[-1]
        if account is None:
            c = self.m.campaigns.campaigns[launch.id]
            fresh = [a for a in sorted(weights) if a not in c.claims]
            account = mostly(data, "claimant", fresh, sorted(weights))
        if account not in weights:
            return (account, 1, [], None)
        weight, nodes = tree.proof(account)
        odd = data.draw(
            weighted((12, st.just("none")), (1, st.sampled_from(["weight", "old", "zero"]))),
            label="odd share",
        )
        if odd == "weight":
            return (account, weight + 1, nodes, None)
        if odd == "old" and len(launch.trees) > 1:
            old_weights, old = launch.trees[-2]
            if account in old_weights:
                return (account, *old.proof(account), old.root)
        if odd == "zero":
            return (ZERO_ADDRESS, weight, nodes, None)
        return (account, weight, nodes, tree.root)

    def claim_campaign(
        self,
        data: st.DataObject,
        move: str,
        i: int,
        launch: Launch | None,
        params: Params,
        sender: str,
    ) -> None:
        m, w = self.m, self.world
        if move == "claim":
            account, weight, nodes, proof_of = self.campaign_share(data, launch)
            args = (i, params.t(), account, weight, nodes)
            self.act(
                sender,
                w.campaigns,
                abi.CAMPAIGN_CLAIM.data(*args),
                0,
                lambda: m.campaign("claim", sender, i, params, account, weight, proof_of),
            )
        elif move == "claim to":
            actors = list(self.a.values())
            in_tree = [a for a in actors if launch and launch.trees and a in launch.trees[-1][0]]
            claimant = mostly(data, "claimant", in_tree, actors)
            account, weight, nodes, proof_of = self.campaign_share(data, launch, claimant)
            if account != claimant and launch is not None:
                # The "zero" odd share names another account, but claimTo claims the sender's
                # own share: its proof is the claimant's, of the standing tree.
                proof_of = launch.trees[-1][1].root
            to = mostly(data, "to", actors, [ZERO_ADDRESS])
            args = (i, params.t(), weight, nodes, to)
            self.act(
                claimant,
                w.campaigns,
                abi.CAMPAIGN_CLAIM_TO.data(*args),
                0,
                lambda: m.campaign("claim_to", claimant, i, params, weight, proof_of, to),
            )
        else:
            n = data.draw(weighted((8, st.integers(1, 4)), (1, st.just(0))), label="batch size")
            shares = [self.campaign_share(data, launch) for _ in range(n)]
            calls = [(a, wt, nodes) for a, wt, nodes, _ in shares]
            requests = [(a, wt, of) for a, wt, _, of in shares]
            self.act(
                sender,
                w.campaigns,
                abi.CAMPAIGN_CLAIM_BATCH.data(i, params.t(), calls),
                0,
                lambda: m.campaign("claim_batch", sender, i, params, requests),
            )

    # ---- time -----------------------------------------------------------------------------

    @rule(data=st.data())
    def jump_time(self, data: st.DataObject) -> None:
        """To just before, at and after every deadline the model knows of."""
        self._step()
        m = self.m
        expiries = [lic.expires_at for lic in m.licenses.values() if lic.expires_at]
        closes = [h.closes_at for h in m.holders.values() if h.closes_at < UINT40_MAX]
        windows = [(w.ready_at, w.window_end) for w in m.withdrawals.values()]
        edges = {  # each kind of deadline equally likely, whatever their numbers
            "expiry": {t + d for t in expiries for d in (-2, -1, 0)},
            "channel closes": {t + d for t in closes for d in (0, 1)},
            "withdrawal ready": {r + d for r, _ in windows for d in (-2, -1, 0)},
            "withdrawal lapses": {e + d for _, e in windows for d in (0, 1)},
            "signer switch": {
                h.switch_at + e + d
                for h in m.holders.values()
                if h.switch_at
                for e in (0, m.deployment.grace_period)
                for d in (-1, 0, 1)
            },
            "voucher": {v.deadline + d for v, _ in self.vouchers[-6:] for d in (-1, 0)},
            "signed claim": {c.deadline + d for c, _ in self.signed[-6:] for d in (0, 1)},
            "commitment": {
                p.committed_at + age + d
                for p in self.pending
                for age in (m.deployment.min_commit_age, m.deployment.max_commit_age)
                for d in (-1, 0, 1)
            },
            "answer period": {
                x.opened_at + m.deployment.answer_period + d
                for x in m.disputes.values()
                if x.state == OPEN
                for d in (0, 1)
            },
            "ruling timeout": {
                x.at_arbiter_at + m.deployment.ruling_timeout + d
                for x in m.disputes.values()
                if x.state == AT_ARBITER
                for d in (0, 1)
            },
            "prior claims close": {
                p.committed_at + 2 * m.deployment.max_commit_age + d
                for _, p, _ in self.squats.values()
                for d in (0, 1)
            },
            "campaign": {
                t + d
                for c in (m.campaign_book.campaigns.values() if m.campaign_book else ())
                if c.live
                for t in (
                    c.params.postBy,
                    c.opens_at,
                    c.opens_at + c.params.claimWindow,
                    c.case.opened_at + m.campaign_book.ruling_timeout if c.case else 0,
                )
                if t
                for d in (0, 1)
            },
        }
        kinds = [k for k, ts in edges.items() if any(t > m.now for t in ts)]
        kind = data.draw(st.sampled_from(["forward", *kinds]), label="kind")
        if kind == "forward":
            target = m.now + data.draw(st.integers(1, 3000), label="seconds")
        else:
            future = sorted(t for t in edges[kind] if t > m.now)
            target = data.draw(st.sampled_from(future), label="to")
        self.world.chain.mine(target)
        m.now = target

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def conservation_per_contract_and_currency(self) -> None:
        """Vault (D1): held = fees + Σ(accrued − claimed + pending) + Σ escrowed, balance =
        held (+ donated excess), with the unclaimable dust of each pool < 1 wei per
        contributor; meter: totalHeld = Σ channel reserves + Σ owed to assets + Σ operator
        earnings, to the wei, no reserve negative, and balance = totalHeld + what was sent to
        it by mistake (never less: a sweep cannot touch the book); court: totalDeposits = Σ
        withdrawable deposits + the bonds and fees of disputes not ended, its ETH balance =
        totalDeposits + what was forced in; the license contract and the registry (and the
        court, in tokens) hold only what was sent to them by mistake. All from the chain's own
        numbers."""
        seen, w, m = self.observations(), self.world, self.m
        actual = {label: o.actual for label, o in seen.items()}
        for c in w.currencies:
            books = actual[("vault.fees", c)]
            for a in m.assets.values():
                accrued = actual[("vault.accrued", a.id, c)]
                books += accrued + actual[("vault.pending", a.id, c)]
                books += actual[("vault.escrowed", a.id, c)]
                paid_or_owed = 0
                for account in a.weights:
                    done = actual[("vault.claimed", a.id, c, account)]
                    books -= done
                    paid_or_owed += done + actual[("vault.claimable", a.id, c, account)]
                dust = accrued - paid_or_owed
                assert 0 <= dust < len(a.weights), f"asset {a.id} dust {dust} in {c}"
            held = actual[("vault.held", c)]
            assert books == held, f"vault books {books} != held {held} in {c}"
            balance = actual[("balance", c, w.vault)]
            assert balance == held + m.excess(c), f"vault holds {balance}, owes {held} in {c}"
            reserves = sum(
                actual[("meter.channel", *k)][0] for k in m.channels if self.currency_of(k[0]) == c
            )
            owed = sum(actual[("meter.owed", a, c)] for a in m.assets)
            earned = sum(actual[("meter.earnings", x, c)] for x in w.actors.values())
            total = actual[("meter.total", c)]
            parts = (reserves, owed, earned)
            assert total == sum(parts), f"meter {c}: {parts} do not add up to {total}"
            mistaken = m.balances.of(c, w.meter) - m.held_by_meter(c)  # sent by mistake
            balance = actual[("balance", c, w.meter)]
            assert balance == total + mistaken >= total, f"meter holds {balance}, owes {total}"
            for holds_nothing in (w.license, w.registry):  # only what was sent by mistake
                expected = m.balances.of(c, holds_nothing)
                assert actual[("balance", c, holds_nothing)] == expected, (holds_nothing, c)
            if c != ETH:
                expected = m.balances.of(c, w.court)
                assert actual[("balance", c, w.court)] == expected, ("court", c)
        bond = m.deployment.dispute_bond
        live = 0
        for i in m.disputes:
            view = actual[("court.dispute", i)]
            state, contested, fee = view[3], view[5], view[10]
            if state == OPEN:  # the claimant's bond and fee
                live += bond + fee
            elif state == AT_ARBITER:  # the bonds posted (the fee went with the case)
                live += bond * (1 + contested)
        accounts = dict.fromkeys([*w.actors.values(), w.copier])
        deposits = sum(actual[("court.deposits", x)] for x in accounts)
        total = actual[("court.total",)]
        assert total == deposits + live, f"court owes {total}, deposits {deposits} + live {live}"
        forced = m.balances.of(ETH, w.court) - m.total_deposits  # sent by mistake
        balance = actual[("balance", ETH, w.court)]
        assert balance == total + forced >= total, f"court holds {balance}, owes {total}"

    @invariant()
    def campaign_pools_bonds_and_credits_add_up(self) -> None:
        """LabelCampaigns, on the chain's numbers: per campaign, pool = Σ claims + refund
        (+ remaining while live) to the wei, each claim ⌊pool × weight / total⌋ of the standing
        tree (the tooling's), a finished campaign holding nothing; per currency, its balance =
        Σ live (remaining + bond + dispute bond) + Σ credits + what was sent to it by mistake
        (never less)."""
        m, w = self.m, self.world
        if m.campaign_book is None:
            return
        actual = {label: o.actual for label, o in self.observations().items()}
        book = m.campaigns
        owed = dict.fromkeys(w.currencies, 0)
        for i, c in book.campaigns.items():
            status, _, bond, remaining = actual[("campaign.state", i)]
            pool = c.params.pool
            paid = sum(c.claims.values())
            if c.claims:
                weights, tree = self.launches[i].trees[-1]
                for account, amount in c.claims.items():
                    assert amount == pool * weights[account] // tree.total, (i, account, amount)
            if status in (CAMPAIGN_OPEN, CAMPAIGN_POSTED, CAMPAIGN_DISPUTED):
                assert pool == paid + remaining, f"campaign {i}: {pool} != {paid} + {remaining}"
                owed[c.params.currency] += remaining + bond + book.bond_of_case(i)
            else:
                assert status == CAMPAIGN_FINISHED and bond == remaining == 0, (i, status)
                assert pool == paid + c.refund, f"campaign {i}: {pool} != {paid} + {c.refund}"
        for cur in w.currencies:
            credits = sum(actual[("campaign.credit", a, cur)] for a in w.actors.values())
            mistaken = m.balances.of(cur, w.campaigns) - book.books(cur)
            balance = actual[("balance", cur, w.campaigns)]
            assert mistaken >= 0 and balance == owed[cur] + credits + mistaken, (
                f"campaigns hold {balance} {cur}, owe {owed[cur]} + credits {credits}"
            )

    @invariant()
    def model_and_chain_agree_on_every_balance_and_answer(self) -> None:
        wrong = [o for o in self.observations().values() if o.label[0] != "live" and not o.ok]
        shown = "\n".join(f"{o.label}: chain {o.actual!r}, model {o.expected!r}" for o in wrong[:8])
        assert not wrong, f"{len(wrong)} disagreements:\n{shown}"

    @invariant()
    def no_account_receives_more_than_its_exact_share(self) -> None:
        """claimed ≤ accrued × weight / totalWeight exactly (chain numbers), every accrual is
        the terms' exact split rounded for the contributors by < 1 wei per inflow, and no
        claim was ever negative."""
        seen = self.observations()
        for a in self.m.assets.values():
            for c in self.world.currencies:
                accrued = seen[("vault.accrued", a.id, c)].actual
                for account, weight in a.weights.items():
                    got = seen[("vault.claimed", a.id, c, account)].actual
                    assert 0 <= got <= Fraction(accrued * weight, a.total_weight), (a.id, account)
        problems = self.m.violations()
        assert not problems, problems

    @invariant()
    def the_copier_takes_only_squats_and_totals_are_the_trees(self) -> None:
        """Whatever the copier sent, it owns (chain) only assets it squatted: revealed from a
        commitment of its own while an older commitment of the same root, by someone else,
        was held back; the victim can take each of them down (claimPriorCommitment succeeds,
        eth_call) until 2 × MAX_COMMIT_AGE after it committed. Each registered total (chain)
        is the sum of the tree its contributors root names."""
        seen = self.observations()
        copier = self.world.copier
        for a in self.m.assets.values():
            view = seen[("registry.asset", a.id)].actual
            if view[0] == copier:
                assert a.id in self.squats, f"the copier owns asset {a.id}"
                victim, pending, index = self.squats[a.id]
                assert pending.items[index].content == view[2] and victim != copier
                assert pending.committed_at < view[7] - view[10], f"asset {a.id} is no squat"
            assert view[4] == sum(a.weights.values()), f"asset {a.id} total {view[4]}"
            assert view[3] == self.trees[a.id].root

    @invariant()
    def disputes_hold_only_what_comes_after_their_open(self) -> None:
        """D2, on the chain's numbers: while an asset is disputed or taken down its pools get
        nothing but an earlier dispute's unreleased escrow, the asset's own (accrued stays what
        it was when the hold began, or that plus the escrow's split; pending only flows up),
        every other credit going to escrow or the beneficiary; accrued never falls below what
        it was at an open; and claims, which never read the hold, keep paying what was
        accrued (the live probes: a claim with something owed goes through whatever the
        status)."""
        seen, m = self.observations(), self.m
        for asset_id, frozen in m.frozen.items():
            asset = m.assets[asset_id]
            status = seen[("registry.asset", asset_id)].actual[11]
            for c in self.world.currencies:
                accrued, pending, left = frozen.get(c, (0, 0, 0))
                pool = Pool(
                    seen[("vault.accrued", asset_id, c)].actual,
                    seen[("vault.pending", asset_id, c)].actual,
                )
                assert pool.accrued >= accrued, f"D2: asset {asset_id} lost accrued {c}"
                if status:
                    assert held_only(asset, accrued, pending, left, pool), (
                        f"D2: disputed asset {asset_id} was credited in {c}: {pool}"
                    )

    @invariant()
    def sold_license_terms_never_change(self) -> None:
        seen = self.observations()
        for license_id, terms in self.sold_terms.items():
            assert seen[("license.view", license_id)].actual[2] == terms, license_id

    @invariant()
    def delisting_pausing_or_disputes_never_block_claims_or_withdrawals(self) -> None:
        """Every claim with something owed, every ready withdrawal, every escrow of an ended
        dispute, every court deposit and every squatted asset's takedown by its victim
        succeeds (eth_call), for what the model says, whatever the listing, offer and
        dispute statuses are."""
        blocked = [o for o in self.observations().values() if o.label[0] == "live" and not o.ok]
        context = {
            "delisted": [a.id for a in self.m.assets.values() if a.delisted],
            "not active": [i for i, o in self.m.offers.items() if o.status != 1],
            "disputed": [a.id for a in self.m.assets.values() if a.status],
        }
        assert not blocked, (
            f"blocked: {[(o.label, o.actual, o.expected) for o in blocked]} {context}"
        )


def _no_receive() -> None:
    raise Revert("<no data>", b"")


@pytest.mark.parametrize("charges_fee", [False, True], ids=["no fee", "2.5% fee"])
def test_whole_suite_state_machine_keeps_money_and_license_invariants(
    charges_fee, world, fee_world, chain
):
    # Both worlds are requested up front so that ape builds them outside the test's snapshot.
    global STATS
    STATS = Stats()  # per deployment
    world = fee_world if charges_fee else world
    SuiteMachine.world = world
    SuiteMachine.ape_chain = chain
    run_state_machine_as_test(SuiteMachine, settings=machine_settings())
    fee = world.deployment.fee_bps
    print(
        f"\nsuite state machine ({PROFILE}, fee {fee} bps): {STATS.examples} examples, "
        f"{STATS.steps} steps, {STATS.transactions} transactions "
        f"({STATS.predicted_reverts} reverted as predicted); every invariant held after every step"
    )
    print(STATS.summary())
    assert STATS.steps > 0 and STATS.transactions > 0
