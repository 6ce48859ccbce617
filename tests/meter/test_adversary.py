"""An adversarial consumer against an honest gateway, on the real suite on anvil (issue 13).

The consumer controls two EOAs (A, A2), a contract wallet W (AdversaryWallet: ERC-1271 with a
rotatable owner, any list of calls in one transaction) and two session keys, and has every
on-chain action: deposit, open channels with a second gateway G2 (or itself), request, cancel
and complete withdrawals, meter its own licenses, transfer licenses between its addresses,
schedule signer changes, rotate the wallet's owner, run the whole cross-license escape
(register a throw-away asset, offer, buy, deposit, meter, pay the asset, claim from the vault)
from an EOA or atomically from the wallet, settle its own vouchers on any channel (G1's
included, front-running the gateway), replay G1's signatures on other channels, and sign
with the wrong key.

The honest gateway G1 keeps its own record of the vouchers it accepted and watches the
meter's events. It accepts a voucher only if, at that moment on chain, the channel is open
with G1 as operator, held and not closing within GRACE_PERIOD, the signer in force is an EOA
that signed it and no signer change takes effect within GRACE_PERIOD, the deadline is at
least GRACE_PERIOD away, the units are above what the channel charged and within its unit
limit, and reserve − pending withdrawal ≥ the whole unsettled charge. It settles
(settleBatch) when a rule says so and, as its policy, always before any bound can pass: a
voucher's deadline, the channel's closesAt, the readyAt of any pending withdrawal and the
switchAt of any scheduled signer change, modelled as reacting MARGIN seconds before the
bound, whatever the clock jump. Every settlement it sends must pay each voucher in full.

After every step:
- every voucher G1 accepted and has not settled settles in full now (on a snapshot: G1's
  settleBatch of them all charges each exactly (units − charged) × price and the share to G1,
  then the snapshot is reverted) while its bound has not passed;
- ETH balance of the meter == totalHeld == Σ reserves + Σ owed to assets + Σ earnings;
- every UsageSettled event since the last step is either a voucher signed by the channel's
  signer in force at that block or the payer's own `meter` call, and no channel's units moved
  without such an event (units never go down).

The bound is the guarantee of docs/metering.md (deadline, closesAt, WITHDRAWAL_DELAY after a
withdrawal request made after acceptance, GRACE_PERIOD after a scheduled signer switch); the
gateway settles earlier still, before any switchAt. This machine found that the first version
of the meter dropped the old signer at switchAt itself (the regression tests at the end).

Profiles (HYPOTHESIS_PROFILE): ci (default, 15 examples x 30 steps, ~1 min), dev (a smoke
run), deep (400 x 60; `make fuzz` runs it). ADVERSARY_DOC_GATEWAY=1 runs a gateway that does
not watch SignerChangeScheduled; with the first version of the meter that failed within a ci run
(UsageMeterBadSignature on a voucher whose documented bound was still ahead).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import ape
import pytest
from adversary_kit import Abi, Chain, Errors
from eth_account import Account
from eth_utils import keccak, to_checksum_address
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

from seedbed.core.constants import DATASET, ETH, INFER, TRAIN
from seedbed.core.vouchers import Voucher, recover, sign

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SIZES = {"ci": (15, 30), "dev": (3, 15), "deep": (400, 60)}
HOUR, DAY = 3_600, 86_400
FAR = 4_000_000_000
MARGIN = 600  # the gateway settles this long before a bound passes
NEVER = 2**64
P = 10**12  # wei per unit of the default honest offer
# Honest offers on the publisher's asset: (unitPrice, maxUnits, duration, serviceBps)
HONEST = [
    (P, 0, 0, 1_000),  # perpetual, uncapped, 10 % to the operator
    (3 * P, 500, 0, 0),  # capped
    (2 * P, 0, 5 * DAY, 2_500),  # expires in 5 days
    (0, 300, 0, 0),  # free units, capped
    (P, 0, 0, 5_000),  # perpetual, the wallet's
]
# ... and who holds each license when an example starts: 0 = A, 1 = A2, 2 = the wallet W.
HOLDERS = [0, 0, 2, 1, 2]

# Session keys the consumer may name as voucher signers (they never send transactions).
SESSION_KEYS = [Account.from_key(keccak(text=f"seedbed adversary session {i}")) for i in range(2)]


@dataclass
class World:
    chain: Chain
    chain_id: int
    meter: str
    license: str
    registry: str
    vault: str
    wallet: str
    abi: dict[str, Abi]
    A: str
    A2: str
    G1: str
    G2: str
    publisher: str
    keys: dict[str, bytes]  # the consumer's keys, by address
    honest_asset: int
    licenses: list[int]
    grace: int
    delay: int
    window: int
    contributors_of: Any


@pytest.fixture(scope="module")
def adversary_world(project, chain, accounts, deployer, treasury, contributors_of):
    """A fresh suite of its own (empty whatever ran before), an honest asset with the offers
    above, the wallet, and the licenses bought by the consumer."""
    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy

    params = Params(
        wirer=deployer.address,
        treasury=treasury.address,
        min_commit_age=0,  # the local chain: one-transaction registration
        salt="0x" + keccak(b"seedbed.meter.adversary").hex(),
    )
    suite = Suite.from_record(
        project, chain, deploy(project, chain, deployer, params, write_record=False)
    )
    publisher, A, A2, G1, G2 = accounts[1], accounts[2], accounts[7], accounts[4], accounts[6]
    people = contributors_of({publisher.address: 3, accounts[3].address: 1})
    receipt = suite.registry.register(
        DATASET,
        keccak(b"adversary honest asset"),
        bytes(32),  # no salt: commitments are off
        people.top,
        "ipfs://x",
        b"\x11" * 32,
        [],
        sender=publisher,
    )
    asset = receipt.events.filter(suite.registry.AssetRegistered)[0].assetId
    wallet = A.deploy(project.AdversaryWallet, A.address, value=10**21)
    who = [A, A2, wallet]
    licenses = []
    for (unit_price, cap, duration, bps), holder in zip(HONEST, HOLDERS, strict=True):
        terms = (asset, ETH, 0, unit_price, duration, cap, TRAIN | INFER, 0, False, 0, bps)
        r = suite.license.createOffer(terms, sender=publisher)
        offer = r.events.filter(suite.license.OfferCreated)[0].offerId
        r = suite.license.buy(offer, who[holder].address, 0, sender=A)
        licenses.append(r.events.filter(suite.license.LicenseBought)[0].licenseId)
    abis = {
        "meter": Abi(suite.meter.contract_type),
        "license": Abi(suite.license.contract_type),
        "registry": Abi(suite.registry.contract_type),
        "vault": Abi(suite.vault.contract_type),
        "wallet": Abi(wallet.contract_type),
    }
    return World(
        chain=Chain(chain.provider.http_uri, Errors(list(abis.values()))),
        chain_id=chain.chain_id,
        meter=suite.meter.address,
        license=suite.license.address,
        registry=suite.registry.address,
        vault=suite.vault.address,
        wallet=wallet.address,
        abi=abis,
        A=A.address,
        A2=A2.address,
        G1=G1.address,
        G2=G2.address,
        publisher=publisher.address,
        keys={
            A.address: A.private_key,
            A2.address: A2.private_key,
            **{k.address: k.key for k in SESSION_KEYS},
        },
        honest_asset=asset,
        licenses=licenses,
        grace=suite.meter.GRACE_PERIOD(),
        delay=suite.meter.WITHDRAWAL_DELAY(),
        window=suite.meter.WITHDRAWAL_WINDOW(),
        contributors_of=contributors_of,
    )


# --------------------------------------------------------------------------------- the gateway


@dataclass
class Accepted:
    """One channel's highest voucher the honest gateway accepted and has not settled."""

    license_id: int
    payer: str
    cumulative: int
    deadline: int
    signature: bytes
    price: int
    bps: int
    accepted_at: int
    accepted_block: int
    closes_seen: int  # the lowest closesAt the gateway has seen since it accepted
    requests_after: list[int] = field(default_factory=list)  # readyAt of later requests
    switches_after: list[int] = field(default_factory=list)  # switchAt of later changes


@dataclass
class ChannelState:
    reserve: int
    units: int
    unit_limit: int
    signer: str
    closes_at: int
    held: bool
    withdrawal: int
    ready_at: int
    window_end: int
    next_signer: str
    switch_at: int


STATS: Counter[str] = Counter()


class AdversaryMachine(RuleBasedStateMachine):
    w: ClassVar[World]
    watch_signer_changes: ClassVar[bool] = (
        os.environ.get("ADVERSARY_DOC_GATEWAY") != "1"
    )  # the gateway's policy (see module docstring)

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.snapshot = w.chain.snapshot()
        self.block, self.now = w.chain.head()
        self.meter, self.lic, self.reg = w.abi["meter"], w.abi["license"], w.abi["registry"]
        self.wal, self.vabi = w.abi["wallet"], w.abi["vault"]
        self.payers = [w.A, w.A2, w.wallet]
        self.operators = [w.G1, w.G2, w.A]
        self.licenses: list[int] = []
        self.assets: list[int] = [w.honest_asset]
        self.trees: dict[int, Any] = {}
        self.roots = itertools.count()
        self.ledger: dict[tuple[int, str], Accepted] = {}
        self.switches: dict[tuple[int, str], int] = {}  # (license, payer) -> switchAt seen
        self.signed: dict[tuple[bytes, int], set[str]] = {}  # (channelId, units) -> keys
        self.channel_of: dict[bytes, tuple[int, str, str]] = {}
        self.units_seen: dict[bytes, int] = {}
        self.audited_block = self.block
        self.polled_block = self.block
        self.paid_to_g1 = 0
        for lic in w.licenses:
            self.add_license(lic)
        STATS["examples"] += 1

    def add_license(self, lic: int) -> None:
        self.licenses.append(lic)
        for payer in self.payers:
            for op in self.operators:
                self.cid(lic, payer, op)

    def teardown(self) -> None:
        self.w.chain.revert(self.snapshot)

    # ---- plumbing ----------------------------------------------------------------------

    def cid(self, license_id: int, payer: str, operator: str) -> bytes:
        from eth_abi import encode

        c = keccak(encode(["uint256", "address", "address"], [license_id, payer, operator]))
        self.channel_of[c] = (license_id, payer, operator)
        return c

    def send(self, sender: str, to: str, data: str, value: int = 0, label: str = "") -> Any:
        self.now += 1
        out = self.w.chain.send(sender, to, data, value, self.now)
        self.block = int(out.receipt["blockNumber"], 16)
        STATS[f"{label or 'tx'} {'ok' if out.ok else out.error[0]}"] += 1
        return out

    def owner(self) -> str:
        fn = self.wal.owner
        return fn.decode(self.w.chain.call(self.w.wallet, fn.data()))

    def act(self, who: str, calls: list[tuple[str, int, str]], label: str) -> Any:
        """`who` sends the calls: an EOA one by one (stopping at the first failure), the wallet
        all in one transaction through its owner."""
        if who == self.w.wallet:
            data = self.wal.execute.data(
                [(to, value, bytes.fromhex(d[2:])) for to, value, d in calls]
            )
            return self.send(self.owner(), self.w.wallet, data, 0, label)
        out = None
        for to, value, d in calls:
            out = self.send(who, to, d, value, label)
            if not out.ok:
                break
        return out

    def view(self, license_id: int, payer: str, operator: str) -> ChannelState:
        fn = self.meter.channel
        raw = self.w.chain.call(self.w.meter, fn.data(license_id, payer, operator))
        return ChannelState(*fn.decode(raw))

    def read(self, fn_name: str, *args: Any, to: str | None = None) -> Any:
        fn = getattr(self.meter, fn_name)
        return fn.decode(self.w.chain.call(to or self.w.meter, fn.data(*args)))

    def holder_of(self, license_id: int) -> str:
        fn = self.lic.ownerOf
        return fn.decode(self.w.chain.call(self.w.license, fn.data(license_id)))

    def signer_key(self, license_id: int, payer: str) -> tuple[str, bytes | None]:
        """The signer in force and the key that signs for it (the wallet's owner for W)."""
        signer = self.read("signerOf", license_id, payer)
        if signer == self.w.wallet:
            return signer, self.w.keys.get(self.owner())
        return signer, self.w.keys.get(signer)

    def sign(self, license_id: int, payer: str, operator: str, units: int, deadline: int, key):
        voucher = Voucher(license_id, payer, operator, units, deadline)
        signature = sign(voucher, self.w.chain_id, self.w.meter, key)
        address = Account.from_key(key).address
        self.signed.setdefault((self.cid(license_id, payer, operator), units), set()).add(address)
        return voucher, signature

    def has_code(self, address: str) -> bool:
        return self.w.chain.rpc.call("eth_getCode", address, "latest") not in ("0x", "0x0")

    # ---- the gateway ---------------------------------------------------------------------

    def poll(self) -> None:
        """The gateway reads the meter's new events and its channels' views."""
        w, m = self.w, self.meter
        events = {e.topic: e for e in m.events.values()}
        head, _ = w.chain.head()
        for log in w.chain.logs(w.meter, self.polled_block + 1, head):
            ev = events.get(log["topics"][0])
            if ev is None:
                continue
            d = ev.decode(log)
            if ev.name == "SignerChangeScheduled":
                self.switches[(d["licenseId"], d["payer"])] = d["switchAt"]
                entry = self.ledger.get((d["licenseId"], d["payer"]))
                if entry and d["_block"] > entry.accepted_block:
                    entry.switches_after.append(d["switchAt"])
            elif ev.name == "WithdrawalRequested":
                for entry in self.ledger.values():
                    if self.cid(entry.license_id, entry.payer, w.G1) == d["channelId"]:
                        if d["_block"] > entry.accepted_block:
                            entry.requests_after.append(d["readyAt"])
            elif ev.name == "HolderLeft":
                entry = self.ledger.get((d["licenseId"], d["payer"]))
                if entry:
                    entry.closes_seen = min(entry.closes_seen, d["closesAt"])
        self.polled_block = head
        for entry in self.ledger.values():
            v = self.view(entry.license_id, entry.payer, w.G1)
            entry.closes_seen = min(entry.closes_seen, v.closes_at)

    def settle_by(self, entry: Accepted) -> int:
        """The gateway's policy: settle before every bound it can see."""
        v = self.view(entry.license_id, entry.payer, self.w.G1)
        bounds = [entry.deadline, entry.closes_seen, *entry.requests_after]
        if v.ready_at:
            bounds.append(v.ready_at)
        if self.watch_signer_changes:
            bounds += entry.switches_after
            switch = self.switches.get((entry.license_id, entry.payer), 0)
            if switch > entry.accepted_at:
                bounds.append(switch)
        return min(bounds)

    def bound(self, entry: Accepted) -> int:
        """Until when the guarantee promises the voucher settles in full (exclusive)."""
        bounds = [entry.deadline + 1, entry.closes_seen + 1, *entry.requests_after]
        # Not in docs/metering.md's list: see the module doc.
        bounds += entry.switches_after
        switch = self.switches.get((entry.license_id, entry.payer), 0)
        if switch > entry.accepted_at:
            bounds.append(switch)
        return min(bounds)

    def offer(self, voucher: Voucher, signature: bytes) -> str:
        """The honest gateway's acceptance rule: "accepted" or why it refused."""
        w = self.w
        if voucher.operator != w.G1:
            return "not G1's"
        key = (voucher.license_id, voucher.payer)
        v = self.view(voucher.license_id, voucher.payer, w.G1)
        if v.unit_limit == 0 or not v.held or v.closes_at < self.now + w.grace:
            return "channel closed or closing"
        if self.has_code(v.signer):
            return "contract signer"  # contract signers are refused (docs/metering.md)
        try:
            if recover(voucher, w.chain_id, w.meter, signature) != v.signer:
                return "bad signature"
        except Exception:
            return "bad signature"
        switch = self.switches.get(key, 0)
        if switch > self.now and switch < self.now + w.grace:
            return "signer changes soon"
        if voucher.deadline < self.now + w.grace:
            return "deadline too close"
        prev = self.ledger.get(key)
        floor = max(v.units, prev.cumulative if prev else 0)
        if voucher.cumulative_units <= floor or voucher.cumulative_units > v.unit_limit:
            return "stale or above the unit limit"
        terms = self.read("metered", voucher.license_id)
        price, bps = terms[3], terms[2]
        charge = (voucher.cumulative_units - v.units) * price  # the whole unsettled charge
        if charge > v.reserve - v.withdrawal:
            return "not covered"
        self.ledger[key] = Accepted(
            voucher.license_id,
            voucher.payer,
            voucher.cumulative_units,
            voucher.deadline,
            signature,
            price,
            bps,
            self.now,
            self.block,
            v.closes_at,
            prev.requests_after if prev else [],
            prev.switches_after if prev else [],
        )
        return "accepted"

    def gateway_settles(self, entries: list[Accepted], really: bool) -> None:
        """G1 settles `entries` in one batch and checks each paid in full."""
        if not entries:
            return
        w, m = self.w, self.meter
        expected = {}
        for e in entries:
            v = self.view(e.license_id, e.payer, w.G1)
            expected[self.cid(e.license_id, e.payer, w.G1)] = (e, max(e.cumulative - v.units, 0))
        vouchers = [(e.license_id, e.payer, w.G1, e.cumulative, e.deadline) for e in entries]
        out = self.send(
            w.G1,
            w.meter,
            m.settleBatch.data(vouchers, [e.signature for e in entries]),
            0,
            "gateway settle" if really else "check",
        )
        assert out.ok, f"the gateway's settleBatch reverted: {out.error}"
        settled = {}
        skipped = {}
        for log in out.receipt["logs"]:
            if log["topics"][0] == m.events["UsageSettled"].topic:
                d = m.events["UsageSettled"].decode(log)
                settled[d["channelId"]] = d
            elif log["topics"][0] == m.events["VoucherSkipped"].topic:
                d = m.events["VoucherSkipped"].decode(log)
                skipped[d["channelId"]] = w.chain.errors.decode(d["reason"])
        for c, (e, units) in expected.items():
            what = (
                f"voucher accepted at t={e.accepted_at} on license {e.license_id} by "
                f"{e.payer} for {e.cumulative} units (deadline {e.deadline}), settled at "
                f"t={self.now}"
            )
            if units == 0:
                continue  # the channel already charged these units (front-run): paid
            assert c not in skipped, f"{what}: skipped {skipped[c]}"
            d = settled.get(c)
            assert d is not None, f"{what}: not settled"
            assert d["units"] == units and d["amount"] == units * e.price, (what, d)
            assert d["serviceShare"] == units * e.price * e.bps // 10_000, (what, d)
            if really:
                self.paid_to_g1 += d["serviceShare"]
        if really:
            for e in entries:
                self.ledger.pop((e.license_id, e.payer), None)

    def advance(self, seconds: int) -> None:
        """Time passes; the gateway reacts MARGIN seconds before any bound it sees."""
        target = self.now + seconds
        while True:
            self.poll()
            due = [(self.settle_by(e), e) for e in self.ledger.values()]
            due = [(t, e) for t, e in due if t - MARGIN <= target]
            if not due:
                break
            at = max(self.now, min(t for t, _ in due) - MARGIN)
            self.now = max(self.now, at - 1)
            self.gateway_settles([e for t, e in due if t - MARGIN <= at], really=True)
        if target > self.now:
            self.now = target
            self.w.chain.rpc.call("evm_mine", target)
            self.block += 1

    # ---- draws ---------------------------------------------------------------------------

    def draw_license(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from(self.licenses), label="license")

    def draw_payer(self, data: st.DataObject, lic: int | None = None) -> str:
        """Mostly the license's holder, when a license is given."""
        if lic is not None and data.draw(st.integers(0, 2), label="holder?"):
            holder = self.holder_of(lic)
            if holder in self.payers:
                return holder
        return data.draw(st.sampled_from(self.payers), label="payer")

    def draw_operator(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from([self.w.G1, self.w.G1, *self.operators]), label="op")

    def draw_channel(self, data: st.DataObject) -> tuple[int, str, str]:
        """Mostly a channel holding a reserve (G1's first), else any (license, payer, op)."""
        funded = [ch for ch in self.channel_of.values() if self.view(*ch).reserve]
        choice = data.draw(st.integers(0, 3), label="funded?")
        if funded and choice:
            g1 = [ch for ch in funded if ch[2] == self.w.G1]
            return data.draw(st.sampled_from(g1 if g1 and choice > 1 else funded), label="ch")
        lic, op = self.draw_license(data), self.draw_operator(data)
        return lic, self.draw_payer(data, lic), op

    def draw_amount(self, data: st.DataObject) -> int:
        return data.draw(st.sampled_from([1, 50, 100, 400, 2_000]), label="amount units") * P

    def draw_key(self, data: st.DataObject, license_id: int, payer: str) -> bytes | None:
        _, right = self.signer_key(license_id, payer)
        keys = list(self.w.keys.values())
        choice = data.draw(st.integers(0, 5), label="key")
        return right if choice < 4 and right is not None else keys[choice % len(keys)]

    # ---- the consumer ----------------------------------------------------------------------

    @initialize(data=st.data())
    def open_with_the_gateway(self, data: st.DataObject) -> None:
        """The consumer opens a funded channel with G1 on each license it holds (the wallet
        with a session key as signer, as docs/metering.md advises, or sometimes itself)."""
        w = self.w
        for lic, holder in zip(w.licenses, HOLDERS, strict=True):
            payer = self.payers[holder]
            signer = ETH
            if payer == w.wallet:
                signer = data.draw(st.sampled_from([SESSION_KEYS[0].address, ETH]), label="s")
            amount = data.draw(st.sampled_from([100, 1_000, 5_000]), label="deposit") * P
            units = data.draw(st.sampled_from([0, 100]), label="units")
            m = self.meter
            calls = [
                (w.meter, 0, m.open.data(lic, w.G1, signer, units)),
                (w.meter, amount, m.deposit.data(lic, w.G1, amount)),
            ]
            self.act(payer, calls, "init")

    @rule(data=st.data())
    def deposit(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, op = self.draw_license(data), self.draw_operator(data)
        payer = self.draw_payer(data, lic)
        amount = self.draw_amount(data)
        self.cid(lic, payer, op)
        self.act(
            payer, [(self.w.meter, amount, self.meter.deposit.data(lic, op, amount))], "deposit"
        )

    @rule(data=st.data())
    def open_channel(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, op = self.draw_license(data), self.draw_operator(data)
        payer = self.draw_payer(data, lic)
        signer = data.draw(
            st.sampled_from(
                [ETH, self.w.A, self.w.A2, self.w.wallet, *(k.address for k in SESSION_KEYS)]
            ),
            label="signer",
        )
        units = data.draw(st.sampled_from([0, 0, 1, 50, 200]), label="units")
        self.cid(lic, payer, op)
        self.act(payer, [(self.w.meter, 0, self.meter.open.data(lic, op, signer, units))], "open")

    @rule(data=st.data())
    def request_withdrawal(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, payer, op = self.draw_channel(data)
        quarters = data.draw(st.integers(0, 5), label="quarters")
        reserve = self.view(lic, payer, op).reserve
        amount = max(reserve * quarters // 4, 0)
        self.act(
            payer,
            [(self.w.meter, 0, self.meter.requestWithdrawal.data(lic, op, amount))],
            "request",
        )

    @rule(data=st.data())
    def withdraw_the_whole_way(self, data: st.DataObject) -> None:
        """Request, let the delay pass (the gateway reacts within it), complete at once."""
        self.serve(data, times=2)
        lic, payer, op = self.draw_channel(data)
        quarters = data.draw(st.integers(1, 4), label="quarters")
        amount = self.view(lic, payer, op).reserve * quarters // 4
        request = self.meter.requestWithdrawal.data(lic, op, amount)
        out = self.act(payer, [(self.w.meter, 0, request)], "request+wait+complete")
        if op == self.w.G1:  # vouchers offered while the request is pending
            self.serve(data, times=2, channel=(lic, payer))
        if out.ok:
            self.advance(self.w.delay + data.draw(st.sampled_from([0, 1, HOUR]), label="late"))
            complete = self.meter.completeWithdrawal.data(lic, op)
            self.act(payer, [(self.w.meter, 0, complete)], "request+wait+complete")

    @precondition(lambda self: self.ledger)
    @rule(data=st.data())
    def switch_signer_and_wait(self, data: st.DataObject) -> None:
        """Schedule a new signer on a channel G1 holds vouchers of, and let it take effect."""
        e = data.draw(st.sampled_from(list(self.ledger.values())), label="entry")
        new = data.draw(st.sampled_from([SESSION_KEYS[1].address, self.w.A2, self.w.wallet]))
        change = self.meter.changeSigner.data(e.license_id, new)
        out = self.act(e.payer, [(self.w.meter, 0, change)], "signer+wait")
        if out.ok:
            self.advance(self.w.delay + 1)

    @rule(data=st.data())
    def cancel_withdrawal(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, payer, op = self.draw_channel(data)
        self.act(payer, [(self.w.meter, 0, self.meter.cancelWithdrawal.data(lic, op))], "cancel")

    @rule(data=st.data())
    def complete_withdrawal(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, payer, op = self.draw_channel(data)
        self.act(
            payer, [(self.w.meter, 0, self.meter.completeWithdrawal.data(lic, op))], "complete"
        )

    @rule(data=st.data())
    def change_signer(self, data: st.DataObject) -> None:
        self.serve(data)
        if self.ledger and data.draw(st.booleans(), label="accepted?"):
            e = data.draw(st.sampled_from(list(self.ledger.values())), label="entry")
            lic, payer = e.license_id, e.payer
        else:
            lic = self.draw_license(data)
            payer = self.draw_payer(data, lic)
        signer = data.draw(
            st.sampled_from([ETH, self.w.A, self.w.A2, self.w.wallet, SESSION_KEYS[1].address]),
            label="signer",
        )
        self.act(payer, [(self.w.meter, 0, self.meter.changeSigner.data(lic, signer))], "signer")

    @rule(data=st.data())
    def meter_own(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, payer, op = self.draw_channel(data)
        units = data.draw(st.sampled_from([1, 5, 40, 300]), label="units")
        self.act(payer, [(self.w.meter, 0, self.meter.meter.data(lic, op, units))], "meter")

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        self.serve(data)
        lic = self.draw_license(data)
        holder = self.holder_of(lic)
        to = data.draw(st.sampled_from([p for p in self.payers if p != holder]), label="to")
        if holder not in self.payers:
            return
        call = (self.w.license, 0, self.lic.transferFrom.data(holder, to, lic))
        self.act(holder, [call], "transfer")

    @rule(data=st.data())
    def rotate_wallet_owner(self, data: st.DataObject) -> None:
        nxt = data.draw(st.sampled_from([self.w.A, self.w.A2]), label="owner")
        self.send(self.owner(), self.w.wallet, self.wal.setOwner.data(nxt), 0, "rotate")

    def escape_calls(self, who: str, unit_price: int, op: str) -> tuple[list, int, int]:
        """The calls of the cross-license escape for `who`, and the ids they will create."""
        w = self.w
        counts = w.chain.calls(
            [
                (w.registry, self.reg.assetCount.data()),
                (w.license, self.lic.offerCount.data()),
                (w.license, self.lic.licenseCount.data()),
            ]
        )
        asset, offer, lic = (int(c, 16) + 1 for c in counts)
        tree = w.contributors_of({who: 1})
        root = keccak(text=f"throw-away {next(self.roots)}")
        terms = (asset, ETH, 0, unit_price, 0, 0, TRAIN | INFER, 0, False, 0, 0)
        weight, proof = tree.proof(who)
        calls = [
            (
                w.registry,
                0,
                self.reg.register.data(DATASET, root, bytes(32), tree.top, "x", b"\x11" * 32, []),
            ),
            (w.license, 0, self.lic.createOffer.data(terms)),
            (w.license, 0, self.lic.buy.data(offer, who, 0)),
            (w.meter, unit_price, self.meter.deposit.data(lic, op, unit_price)),
            (w.meter, 0, self.meter.meter.data(lic, op, 1)),
            (w.meter, 0, self.meter.payAsset.data(asset, ETH)),
            (w.vault, 0, self.vabi.claim.data(asset, ETH, who, weight, proof)),
        ]
        return calls, asset, lic

    def note_created(self) -> None:
        """Track the assets and licenses an escape created (all of them, or none)."""
        w = self.w
        assets, licenses = (
            int(x, 16)
            for x in w.chain.calls(
                [
                    (w.registry, self.reg.assetCount.data()),
                    (w.license, self.lic.licenseCount.data()),
                ]
            )
        )
        self.assets += [a for a in range(max(self.assets) + 1, assets + 1)]
        for lic in range(max(self.licenses) + 1, licenses + 1):
            self.add_license(lic)

    @rule(data=st.data())
    def escape(self, data: st.DataObject) -> None:
        """Register a throw-away asset, offer it, buy, deposit, meter, pay, claim back."""
        self.serve(data)
        who = self.draw_payer(data)
        op = self.draw_operator(data)
        # As much as a G1 channel's reserve, when there is one: the money the escape wants.
        reserves = [
            self.view(e.license_id, e.payer, self.w.G1).reserve for e in self.ledger.values()
        ]
        price = data.draw(st.sampled_from([r for r in reserves if r] or [100 * P]), label="price")
        calls, asset, lic = self.escape_calls(who, price, op)
        self.act(who, calls, "escape")
        self.note_created()

    @rule(data=st.data())
    def wallet_combo(self, data: st.DataObject) -> None:
        """Several of the wallet's actions in one transaction (no gateway can act between)."""
        self.serve(data)
        w, m = self.w, self.meter
        calls = []
        for _ in range(data.draw(st.integers(2, 4), label="n")):
            lic, op = self.draw_license(data), self.draw_operator(data)
            self.cid(lic, w.wallet, op)
            kind = data.draw(st.integers(0, 6), label="kind")
            amount = self.draw_amount(data)
            if kind == 0:
                calls.append((w.meter, amount, m.deposit.data(lic, op, amount)))
            elif kind == 1:
                reserve = self.view(lic, w.wallet, op).reserve
                calls.append((w.meter, 0, m.requestWithdrawal.data(lic, op, reserve or 1)))
            elif kind == 2:
                calls.append((w.meter, 0, m.meter.data(lic, op, 1 + amount // P // 10)))
            elif kind == 3:
                to = data.draw(st.sampled_from([w.A, w.A2]), label="to")
                calls.append((w.license, 0, self.lic.transferFrom.data(w.wallet, to, lic)))
            elif kind == 4:
                nxt = data.draw(st.sampled_from([w.A, w.A2]), label="owner")
                calls.append((w.wallet, 0, self.wal.setOwner.data(nxt)))
            elif kind == 5:
                calls.append((w.meter, 0, m.changeSigner.data(lic, SESSION_KEYS[0].address)))
            else:
                calls.append((w.meter, 0, m.completeWithdrawal.data(lic, op)))
        self.act(w.wallet, calls, "wallet combo")

    @rule(data=st.data())
    def escape_in_one_transaction(self, data: st.DataObject) -> None:
        """The wallet withdraws what it can and runs the whole escape atomically."""
        self.serve(data)
        w = self.w
        op = self.draw_operator(data)
        calls, asset, lic = self.escape_calls(w.wallet, self.draw_amount(data), op)
        pre = [
            (w.meter, 0, self.meter.completeWithdrawal.data(lic0, w.G1))
            for lic0 in self.licenses[:5]
            if self.view(lic0, w.wallet, w.G1).ready_at
        ]
        self.act(w.wallet, pre + calls, "escape in one tx")
        self.note_created()

    @rule(data=st.data())
    def offer_voucher(self, data: st.DataObject) -> None:
        self.serve(data, times=3)

    def serve(self, data: st.DataObject, times: int = 1, channel=None) -> None:
        """The consumer hands G1 vouchers (G1 serves calls for those it accepts): mostly for
        a funded G1 channel, sized around what G1 sees as covered, sometimes not."""
        w = self.w
        funded = [
            (lic, payer)
            for lic in self.licenses
            for payer in self.payers
            if self.view(lic, payer, w.G1).unit_limit
        ]
        for _ in range(data.draw(st.integers(0, times), label="vouchers")):
            if channel is not None:
                lic, payer = channel
            elif funded and data.draw(st.integers(0, 4), label="funded?"):
                lic, payer = data.draw(st.sampled_from(funded), label="channel")
            else:
                lic = self.draw_license(data)
                payer = self.draw_payer(data, lic)
            key = self.draw_key(data, lic, payer)
            if key is None:
                continue
            v = self.view(lic, payer, w.G1)
            prev = self.ledger.get((lic, payer))
            base = max(v.units, prev.cumulative if prev else 0)
            price = self.read("metered", lic)[3]
            # Every boundary a gateway could get wrong: what is covered, one unit more, what
            # the reserve alone (ignoring the pending withdrawal) would cover, far more.
            room = (v.reserve - v.withdrawal) // price - (base - v.units) if price else 50
            gross = v.reserve // price - (base - v.units) if price else 50
            room, gross = max(room, 1), max(gross, 1)
            more = data.draw(
                st.sampled_from(
                    [1, max(room // 3, 1), room, room, room + 1, gross, gross + 1, 10**6]
                ),
                label="more",
            )
            units = base + more if data.draw(st.integers(0, 9), label="stale?") else max(base, 1)
            deadline = data.draw(
                st.sampled_from(
                    [FAR, FAR, FAR, self.now + w.grace + HOUR, self.now + 3 * DAY, self.now + HOUR]
                ),
                label="deadline",
            )
            voucher, signature = self.sign(lic, payer, w.G1, units, deadline, key)
            STATS["voucher " + self.offer(voucher, signature)] += 1

    @rule(data=st.data())
    def settle_own_voucher(self, data: st.DataObject) -> None:
        """The consumer signs and settles a voucher itself: through G2, its own channel as
        operator, or G1's channel ahead of the gateway; sometimes with the wrong key."""
        self.serve(data)
        w = self.w
        lic, op = self.draw_license(data), self.draw_operator(data)
        payer = self.draw_payer(data, lic)
        key = self.draw_key(data, lic, payer)
        if key is None:
            return
        units = self.view(lic, payer, op).units + data.draw(st.sampled_from([1, 20, 300]))
        voucher, signature = self.sign(lic, payer, op, units, FAR, key)
        sender = data.draw(st.sampled_from([w.A, w.A2, w.G2]), label="sender")
        self.send(
            sender, w.meter, self.meter.settle.data(voucher.as_tuple(), signature), 0, "own settle"
        )

    @precondition(lambda self: self.ledger)
    @rule(data=st.data())
    def replay_accepted_signature(self, data: st.DataObject) -> None:
        """An accepted voucher's signature on another channel, another license or more units."""
        w = self.w
        e = data.draw(st.sampled_from(list(self.ledger.values())), label="entry")
        change = data.draw(st.integers(0, 3), label="change")
        fields = [e.license_id, e.payer, w.G1, e.cumulative, e.deadline]
        if change == 0:
            fields[1] = data.draw(st.sampled_from([p for p in self.payers if p != e.payer]))
        elif change == 1:
            fields[2] = w.G2
        elif change == 2:
            fields[0] = data.draw(st.sampled_from([x for x in self.licenses if x != e.license_id]))
        else:
            fields[3] = e.cumulative + 1
        out = self.send(
            w.A, w.meter, self.meter.settle.data(tuple(fields), e.signature), 0, "replay"
        )
        assert not out.ok, f"a replayed signature settled: {fields}"

    @rule(data=st.data())
    def release_units(self, data: st.DataObject) -> None:
        self.serve(data)
        lic, op = self.draw_license(data), self.draw_operator(data)
        payer = self.draw_payer(data, lic)
        self.send(
            self.w.A2, self.w.meter, self.meter.releaseUnits.data(lic, payer, op), 0, "release"
        )

    @rule(data=st.data())
    def pay_asset(self, data: st.DataObject) -> None:
        self.serve(data)
        asset = data.draw(st.sampled_from(self.assets), label="asset")
        self.send(self.w.A, self.w.meter, self.meter.payAsset.data(asset, ETH), 0, "payAsset")

    @rule(who=st.integers(0, 2))
    def withdraw_earnings(self, who: int) -> None:
        op = self.operators[who]
        self.send(op, self.w.meter, self.meter.withdrawEarnings.data(ETH, op), 0, "earnings")

    # ---- the gateway and time ----------------------------------------------------------------

    @precondition(lambda self: self.ledger)
    @rule()
    def gateway_settles_now(self) -> None:
        self.poll()
        self.gateway_settles(list(self.ledger.values()), really=True)

    @rule(step=st.sampled_from([60, HOUR, 6 * HOUR, DAY + 1, 2 * DAY + 1, 5 * DAY + 1]))
    def time_passes(self, step: int) -> None:
        self.advance(step)

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def the_guarantee_holds(self) -> None:
        STATS["steps"] += 1
        self.poll()
        self._audit_units()
        self._conservation()
        self._accepted_vouchers_settle_in_full()

    def _audit_units(self) -> None:
        """Every charge since the last step was signed by the channel's signer or metered by
        the payer itself, and no units moved otherwise."""
        w, m = self.w, self.meter
        head, _ = w.chain.head()
        topic = m.events["UsageSettled"].topic
        moved: dict[bytes, int] = {}
        for log in w.chain.logs(w.meter, self.audited_block + 1, head):
            if log["topics"][0] != topic:
                continue
            d = m.events["UsageSettled"].decode(log)
            lic, payer, op = self.channel_of[d["channelId"]]
            if d["viaVoucher"]:
                block = d["_block"]
                signer = m.signerOf.decode(
                    w.chain.call(w.meter, m.signerOf.data(lic, payer), block)
                )
                allowed = {signer}
                if signer == w.wallet:
                    for b in (block - 1, block):
                        raw = w.chain.call(w.wallet, self.wal.owner.data(), b)
                        allowed.add(self.wal.owner.decode(raw))
                keys = self.signed.get((d["channelId"], d["cumulativeUnits"]), set())
                assert keys & allowed, (
                    f"units {d['cumulativeUnits']} charged on ({lic}, {payer}, {op}) without a "
                    f"voucher of its signer {signer} (signed by {keys})"
                )
            else:
                tx = w.chain.rpc.call("eth_getTransactionByHash", d["_tx"])
                by = to_checksum_address(tx["from"])
                to = to_checksum_address(tx["to"])
                assert by == payer or (payer == w.wallet and to == w.wallet), (
                    f"meter on ({lic}, {payer}, {op}) sent by {by} to {to}"
                )
            moved[d["channelId"]] = d["cumulativeUnits"]
        self.audited_block = head
        for c, (lic, payer, op) in list(self.channel_of.items()):
            units = self.view(lic, payer, op).units
            before = self.units_seen.get(c, 0)
            assert units == moved.get(c, before), (
                f"units of ({lic}, {payer}, {op}) went {before} -> {units} with charges "
                f"{moved.get(c)}"
            )
            self.units_seen[c] = units

    def _conservation(self) -> None:
        w, m = self.w, self.meter
        for lic in self.licenses:
            for payer in self.payers:
                for op in self.operators:
                    self.cid(lic, payer, op)
        items = [(w.meter, m.totalHeld.data(ETH))]
        items += [(w.meter, m.channel.data(*ch)) for ch in self.channel_of.values()]
        items += [(w.meter, m.owedToAsset.data(a, ETH)) for a in self.assets]
        items += [(w.meter, m.earningsOf.data(op, ETH)) for op in self.operators]
        raw = w.chain.calls(items)
        held = int(raw[0], 16)
        n = len(self.channel_of)
        reserves = sum(m.channel.decode(r)[0] for r in raw[1 : 1 + n])
        rest = sum(int(r, 16) for r in raw[1 + n :])
        balance = w.chain.balance(w.meter)
        assert balance == held == reserves + rest, (balance, held, reserves, rest)

    def _accepted_vouchers_settle_in_full(self) -> None:
        live = [e for e in self.ledger.values() if self.now + 1 < self.bound(e)]
        if not live:
            return
        STATS["checked vouchers"] += len(live)
        snap = self.w.chain.snapshot()
        now, block = self.now, self.block
        try:
            self.gateway_settles(live, really=False)
        finally:
            self.w.chain.revert(snap)
            self.now, self.block = now, block


def machine_settings() -> settings:
    examples, steps = SIZES.get(PROFILE, SIZES["ci"])
    return settings(
        settings.get_profile(PROFILE if PROFILE in SIZES else "ci"),
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
    )


def test_adversarial_consumer_never_stiffs_an_honest_gateway(adversary_world, chain):
    STATS.clear()
    AdversaryMachine.w = adversary_world
    try:
        run_state_machine_as_test(AdversaryMachine, settings=machine_settings())
    finally:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(STATS.items()))
        print(f"\nadversary machine ({PROFILE}): {shown}")
    assert STATS["steps"] > 0 and STATS["checked vouchers"] > 0


# ------------------------------------------------------------------ what the machine found


def test_a_signer_change_keeps_accepted_vouchers_for_the_grace_period(
    chain, meter, licensed, deposit, signer, alice, stranger, gateway
):
    from meterkit import UNIT_PRICE, as_args, isolated

    with isolated(chain):
        license_id = licensed(alice)  # perpetual, uncapped
        deposit(alice, license_id, 1_000 * UNIT_PRICE)
        voucher = signer(alice, license_id, 1_000)  # deadline in 2096
        ch = meter.channel(license_id, alice, gateway)
        # The gateway accepts: covered in full, no withdrawal, held, never closes, EOA signer.
        assert ch.reserve - ch.withdrawalAmount >= 1_000 * UNIT_PRICE and ch.held
        assert ch.signer == alice.address and ch.closesAt == 2**40 - 1
        meter.changeSigner(license_id, stranger, sender=alice)
        switch_at = meter.channel(license_id, alice, gateway).switchAt
        chain.pending_timestamp += meter.WITHDRAWAL_DELAY() + 1
        chain.mine()
        # Past the switch, inside its grace period: the old signer's voucher still settles.
        assert meter.channel(license_id, alice, gateway).signer == stranger.address
        assert meter.settle(*as_args(voucher), sender=gateway).return_value == 1_000 * UNIT_PRICE
        # After switchAt + GRACE_PERIOD the old signer is gone: a later voucher of it fails.
        later = signer(alice, license_id, 2_000)
        chain.pending_timestamp = switch_at + meter.GRACE_PERIOD() + 1
        chain.mine()
        with ape.reverts(meter.UsageMeterBadSignature, signer=stranger.address):
            meter.settle(*as_args(later), sender=gateway)


def test_a_voucher_accepted_just_before_a_signer_switch_keeps_its_window(
    chain, meter, licensed, deposit, signer, alice, stranger, gateway
):
    from meterkit import UNIT_PRICE, as_args, isolated

    with isolated(chain):
        license_id = licensed(alice)
        deposit(alice, license_id, 1_000 * UNIT_PRICE)
        meter.changeSigner(license_id, stranger, sender=alice)
        chain.pending_timestamp += meter.WITHDRAWAL_DELAY() - 10
        chain.mine()
        voucher = signer(alice, license_id, 1_000)
        ch = meter.channel(license_id, alice, gateway)
        # The view shows the coming switch, so a gateway knows the old signer's window.
        assert ch.signer == alice.address and ch.reserve >= 1_000 * UNIT_PRICE
        assert ch.nextSigner == stranger.address and ch.switchAt > chain.pending_timestamp
        assert ch.withdrawalAmount == 0 and ch.closesAt == 2**40 - 1
        chain.pending_timestamp += meter.GRACE_PERIOD() // 2  # well inside the grace period
        chain.mine()
        assert meter.settle(*as_args(voucher), sender=gateway).return_value == 1_000 * UNIT_PRICE
