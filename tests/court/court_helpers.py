"""Helpers of the court tests (importable: tests/court is on sys.path).

`World` drives one deployed suite (the session's, whose arbiter is a PanelArbiter of the
deployer, or tests/court/conftest.py's `paid`, whose arbiter is a TestArbiter with a fee):
it registers assets (with in-memory file trees when a test needs file proofs), opens
disputes, moves time, and checks the two books of docs/integrity.md §5 after every step:
the vault's D1 (`held = fees + Σ(accrued − claimed + pending) + Σ escrow`, to the wei) and
the court's (its balance is `totalDeposits`, which is what the accounts may withdraw plus the
live bonds and fees of the disputes still running).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from testkit.registering import ZERO_SALT

from seedbed.core.constants import DATASET, ETH
from seedbed.core.manifest import FileEntry, Manifest

# IAssetCourt.Kind and State, IAssetRegistry status, IRoyaltyVault hold states.
SUBJECTIVE, DUPLICATE, PRIOR = 0, 1, 2
NONE, OPEN, AT_ARBITER, UPHELD, DISMISSED, LAPSED = range(6)
STATUS_NONE, STATUS_DISPUTED, STATUS_UPHELD = 0, 1, 2
HOLD_NONE, HOLD_ESCROW, HOLD_REDIRECTED = 0, 1, 2
INFRINGEMENT, LICENCE_BREACH, BAD_DATA = 1, 2, 3
EVIDENCE = keccak(text="evidence: the infringing files and the original's manifest")
MIN_SIZE = 64 * 1024  # the session suite's MIN_DUPLICATE_SIZE
MAX_UINT = 2**256 - 1


# ----------------------------------------------------------------------------------- errors


def _plain(value: Any) -> Any:
    if hasattr(value, "address"):
        return str(value.address).lower()
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def error_data(error: Any, inputs: dict[str, Any]) -> bytes:
    """The revert data of `error` (an ape error class) with `inputs` (every one given)."""
    abi = error.abi
    assert sorted(inputs) == sorted(i.name for i in abi.inputs), "give every input"
    values = []
    for i in abi.inputs:
        v = inputs[i.name]
        if i.type == "address":
            v = to_checksum_address(str(getattr(v, "address", v)))
        values.append(v)
    types = [i.canonical_type for i in abi.inputs]
    return keccak(text=abi.selector)[:4] + encode(types, values)


@contextmanager
def reverts(error: Any, **inputs: Any):
    """The call reverts with exactly `error` and exactly these `inputs` (all of them). The
    error may be raised by another contract than the one called (a registry error inside a
    court call): ape cannot decode those, so they are compared on the raw revert data."""
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        yield info
    err = info.value
    if type(err).__name__ == error.__name__:
        actual = {k: _plain(v) for k, v in dict(err.inputs or {}).items()}
        assert actual == {k: _plain(v) for k, v in inputs.items()}
    else:
        expected = "0x" + error_data(error, inputs).hex()
        assert str(err) == expected, f"reverted with {err!r}, not {error.__name__}{inputs}"


# ------------------------------------------------------------------------------------ files


def big_file(tag: str, size: int = MIN_SIZE) -> tuple[bytes, int]:
    """A (sha256, size) standing for a file of `size` bytes (nothing is hashed on chain)."""
    return hashlib.sha256(tag.encode()).digest(), size


class Files:
    """An in-memory content tree: {path: (sha256, size)}, its root and its file proofs."""

    def __init__(self, files: dict[str, tuple[bytes, int]]):
        self.files = dict(files)
        self.manifest = Manifest.from_files(FileEntry(p, s, n) for p, (s, n) in files.items())
        self.root = self.manifest.root

    def proof(self, path: str) -> tuple[str, bytes, int, list[bytes]]:
        """IAssetCourt.FileProof of one file."""
        sha, size = self.files[path]
        return path, sha, size, self.manifest.proof(path)


def with_filler(shared: dict[str, tuple[bytes, int]]) -> Files:
    """A tree holding `shared` and a file of its own (so no two trees have the same root)."""
    own = {f"own/{os.urandom(6).hex()}.txt": (os.urandom(32), 10)}
    return Files({**shared, **own})


# ------------------------------------------------------------------------------------ books


@dataclass
class Watched:
    asset_id: int
    accounts: list[str]


@dataclass
class World:
    """One suite and the people acting on it."""

    chain: Any
    suite: Any
    contributors_of: Any
    arbiter: Any
    treasury: Any
    ruler: Any  # who makes the arbiter rule: the panel's member, or anyone for a TestArbiter
    everyone: list[Any] = field(default_factory=list)  # accounts whose deposits are counted
    counter: Any = field(default_factory=itertools.count)
    watched: list[Watched] = field(default_factory=list)
    base: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    disputes: list[int] = field(default_factory=list)
    court_base: int = 0
    people: dict[int, Any] = field(default_factory=dict)

    @property
    def registry(self) -> Any:
        return self.suite.registry

    @property
    def vault(self) -> Any:
        return self.suite.vault

    @property
    def court(self) -> Any:
        return self.suite.court

    @property
    def license(self) -> Any:
        return self.suite.license

    @property
    def meter(self) -> Any:
        return self.suite.meter

    @property
    def bond(self) -> int:
        return int(self.court.BOND())

    @property
    def fee(self) -> int:
        return int(self.arbiter.rulingFee())

    # -- time

    @property
    def now(self) -> int:
        return int(self.chain.blocks.head.timestamp)

    def at(self, timestamp: int) -> None:
        """The next transaction is mined at `timestamp` (exactly)."""
        self.chain.pending_timestamp = int(timestamp)

    def elapse(self, seconds: int) -> None:
        self.chain.mine(timestamp=self.now + int(seconds))

    # -- assets

    def register(
        self,
        owner: Any,
        weights: dict | None = None,
        parents=(),
        root=None,
        kind=DATASET,
        salt: bytes = ZERO_SALT,
    ) -> int:
        """A new asset of `owner` (contributors `weights`, default the owner alone); watched
        by the books. With commitments on, `salt` reveals the owner's ripe commitment."""
        people = self.contributors_of(weights or {owner.address: 1})
        root = root or (next(self.counter).to_bytes(4, "big") + os.urandom(28))
        links = [(p[0], p[1], p[2] if len(p) > 2 else 0) for p in parents]
        receipt = self.registry.register(
            kind, root, salt, people.top, "ipfs://x", b"\x11" * 32, links, sender=owner
        )
        asset_id = int(receipt.events.filter(self.registry.AssetRegistered)[0].assetId)
        self.people[asset_id] = people
        self.watch(asset_id, list(people.weights))
        return asset_id

    def claim(self, asset_id: int, account: Any, currency: str = ETH) -> int:
        weight, proof = self.people[asset_id].proof(account)
        receipt = self.vault.claim(asset_id, currency, account, weight, proof, sender=account)
        return int(events(receipt, self.vault, "Claimed")[0].amount)

    def claimable(self, asset_id: int, account: Any, currency: str = ETH) -> int:
        weight, proof = self.people[asset_id].proof(account)
        return int(self.vault.claimable(asset_id, currency, account, weight, proof))

    def pay(self, asset_id: int, amount: int, payer: Any, currency: Any = ETH) -> Any:
        c = ETH if currency == ETH else currency.address
        value = amount if c == ETH else 0
        return self.vault.pay(asset_id, c, amount, value=value, sender=payer)

    # -- disputes

    def open_subjective(self, asset_id: int, claimant: Any, beneficiary: int = 0, **kw) -> int:
        value = kw.pop("value", self.bond + self.fee)
        receipt = self.court.openSubjective(
            asset_id,
            kw.pop("reason", INFRINGEMENT),
            kw.pop("evidence", EVIDENCE),
            beneficiary,
            value=value,
            sender=claimant,
        )
        return self._opened(receipt)

    def open_duplicate(self, earlier: int, later: int, fa, fb, claimant: Any, **kw) -> int:
        value = kw.pop("value", self.bond + self.fee)
        receipt = self.court.openDuplicate(earlier, later, fa, fb, value=value, sender=claimant)
        return self._opened(receipt)

    def _opened(self, receipt: Any) -> int:
        dispute_id = int(receipt.events.filter(self.court.DisputeOpened)[0].disputeId)
        self.disputes.append(dispute_id)
        self.last_receipt = receipt
        return dispute_id

    def dispute(self, dispute_id: int) -> Any:
        return self.court.dispute(dispute_id)

    def state(self, dispute_id: int) -> int:
        return int(self.court.dispute(dispute_id).state)

    def after_answer_period(self, dispute_id: int) -> None:
        """Mines a block just after the answer period of `dispute_id`."""
        d = self.dispute(dispute_id)
        self.at(self._after(int(d.openedAt) + int(self.court.ANSWER_PERIOD()) + 1))
        self.chain.mine()

    def to_arbiter(self, dispute_id: int, by: Any) -> Any:
        """An uncontested claim after its answer period: `resolve` (anyone)."""
        self.after_answer_period(dispute_id)
        return self.court.resolve(dispute_id, sender=by)

    def rule(self, dispute_id: int, upheld: bool) -> Any:
        """The arbiter rules: the panel's one member votes, or the TestArbiter is told to."""
        if hasattr(self.arbiter, "vote"):
            return self.arbiter.vote(self.court, dispute_id, upheld, sender=self.ruler)
        return self.arbiter.ruleOn(self.court, dispute_id, upheld, sender=self.ruler)

    def decide(self, dispute_id: int, upheld: bool, by: Any) -> Any:
        """Takes an open claim (uncontested) to the arbiter and has it ruled."""
        if self.state(dispute_id) == OPEN:
            self.to_arbiter(dispute_id, by)
        return self.rule(dispute_id, upheld)

    def after_ruling_timeout(self, dispute_id: int) -> None:
        d = self.dispute(dispute_id)
        self.at(self._after(int(d.atArbiterAt) + int(self.court.RULING_TIMEOUT()) + 1))
        self.chain.mine()

    def _after(self, timestamp: int) -> int:
        """`timestamp`, or the next second if the chain is already past it: a second dispute
        opened a moment after the first is past its period once the first one's transactions
        were mined (on a loaded machine, wall-clock seconds go by between them)."""
        return max(timestamp, self.now + 1)

    # -- the books

    def watch(self, asset_id: int, accounts: list[str]) -> None:
        self.watched.append(Watched(asset_id, [str(a) for a in accounts]))

    def reset(self, currencies=(ETH,)) -> World:
        """A test's fresh start: the chain was reverted to the module's snapshot, so asset
        and dispute ids are reused; forget them and take the books' baselines again."""
        self.watched.clear()
        self.disputes.clear()
        self.people.clear()
        self.start_books(currencies)
        return self

    def start_books(self, currencies=(ETH,)) -> None:
        """Baselines: the books compare changes from here (the session suite may hold
        what module fixtures paid)."""
        for c in currencies:
            c = _cur(c)
            self.base[c] = (int(self.vault.held(c)), int(self.vault.fees(c)), self._balance(c))
        self.court_base = int(self.court.totalDeposits())

    def _balance(self, currency: str) -> int:
        if currency == ETH:
            return int(self.chain.provider.get_balance(self.vault.address))
        return int(ape.project.MockERC20.at(currency).balanceOf(self.vault))

    def vault_books(self, currency: Any = ETH) -> dict[str, int]:
        """D1 to the wei, in `currency`; returns the parts."""
        c = _cur(currency)
        held0, fees0, balance0 = self.base[c]
        held = int(self.vault.held(c)) - held0
        fees = int(self.vault.fees(c)) - fees0
        pools = escrow = 0
        for w in self.watched:
            accrued = int(self.vault.accrued(w.asset_id, c))
            claimed = sum(int(self.vault.claimed(w.asset_id, c, a)) for a in w.accounts)
            pools += accrued - claimed + int(self.vault.pendingUpstream(w.asset_id, c))
            escrow += int(self.vault.escrowed(w.asset_id, c))
        assert held == fees + pools + escrow, (held, fees, pools, escrow)
        # Nothing above the books came or went: the balance moves with `held`.
        assert self._balance(c) - balance0 == held
        return dict(held=held, fees=fees, pools=pools, escrow=escrow)

    def live(self, dispute_id: int) -> int:
        """What a running dispute keeps of the deposits: BOND + fee while open, and the bonds
        posted while at the arbiter (the fee is spent or was credited back by then)."""
        d = self.dispute(dispute_id)
        if int(d.state) == OPEN:
            return self.bond + int(d.fee)
        if int(d.state) == AT_ARBITER:
            return self.bond * (2 if d.contested else 1)
        return 0

    def court_books(self, extra=()) -> None:
        """The court holds exactly its deposits, which are the accounts' withdrawable ones
        (every test account, and `extra`) plus the live bonds and fees of this world's
        running disputes."""
        total = int(self.court.totalDeposits())
        assert int(self.chain.provider.get_balance(self.court.address)) == total
        owed = sum(int(self.court.deposits(a)) for a in [*self.everyone, *extra])
        live = sum(self.live(i) for i in self.disputes)
        assert total - self.court_base == owed + live, (total, self.court_base, owed, live)

    def withdraw(self, account: Any) -> int:
        """withdrawDeposits: the account receives exactly what it was owed."""
        owed = int(self.court.deposits(account))
        before = int(self.chain.provider.get_balance(account.address))
        receipt = self.court.withdrawDeposits(sender=account)
        gas = int(receipt.gas_used) * int(receipt.gas_price)
        assert int(events(receipt, self.court, "DepositsWithdrawn")[0].amount) == owed
        assert int(self.chain.provider.get_balance(account.address)) == before + owed - gas
        assert int(self.court.deposits(account)) == 0
        return owed


def _cur(currency: Any) -> str:
    return ETH if currency == ETH else str(getattr(currency, "address", currency))


def events(receipt: Any, contract: Any, name: str) -> list[Any]:
    return list(receipt.events.filter(getattr(contract, name)))


def args(log: Any) -> dict[str, Any]:
    """An event's arguments, addresses lower-cased, for comparing with a dict."""
    return {k: _plain(v) for k, v in dict(log.event_arguments).items()}


def logs(receipt: Any, contract: Any, name: str) -> list[dict[str, Any]]:
    return [args(log) for log in events(receipt, contract, name)]
