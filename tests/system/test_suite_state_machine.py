"""One Hypothesis state machine drives the whole deployed suite with every user action.

Each step is one action (register, offer, buy, transfer, open a channel, deposit, request,
cancel or complete a withdrawal, change a voucher signer, sign, settle, meter, pay an asset
what the meter owes it, withdraw operator earnings, release units, pay, flow, claim, delist,
jump time ...) by one of six actors. Channels are (license, payer, operator); the gateway
and the stranger operate gateways, any holder pays. Before sending it, the
plain-Python model (testkit.model) predicts its outcome: the exact custom error, or success
and every balance afterwards. After every step the invariants compare model and chain and
check the money rules on the chain's own numbers. Each example starts from a snapshot of
the freshly deployed suite and is reverted at the end.

Profiles (HYPOTHESIS_PROFILE): `ci` (make test) runs a few short examples; `deep` (make
fuzz) runs thousands of steps and prints how many ran clean.
"""

from __future__ import annotations

import functools
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import pytest
import suite_abi as abi
from eth_abi import decode
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
from testkit.model import (
    ETH,
    MAX_DURATION,
    MAX_SERVICE_BPS,
    RETIRED,
    UINT40_MAX,
    UINT256_MAX,
    ZERO_ADDRESS,
    Balances,
    ClaimRequest,
    Link,
    Protocol,
    Revert,
    SignedVoucher,
    Terms,
)

from seedbed.core.constants import DATASET, MODEL
from seedbed.core.vouchers import Voucher, sign

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# (examples, steps per example) for each deployment: ci keeps `make test` short (~1 min);
# deep is `make fuzz` (~15 min, about 24,000 steps).
SIZES = {"ci": (15, 40), "dev": (2, 12), "deep": (200, 60)}
METADATA_HASH = b"\x11" * 32
NOT_AN_ID = 10**6  # an asset, offer or license id that never exists


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
        self.roots_made = 0
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
        )
        assert all(int(x, 16) == 0 for x in counts), "the machine needs the suite as deployed"
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
            for spender in (w.vault, w.license, w.meter):
                for t in (w.token, w.fot):
                    balances.approve(t, owner, spender, UINT256_MAX)
        contracts = {w.token, w.fot, w.registry, w.vault, w.license, w.meter}
        return Protocol(w.deployment, balances, contracts=contracts, now=now)

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
            probes = Probes(self.world, self.m, self.proof, self.vouchers[-12:]).build()
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

    def new_root(self) -> bytes:
        self.roots_made += 1
        return keccak(b"seedbed-content-" + self.roots_made.to_bytes(8, "big"))

    # ---- registry -------------------------------------------------------------------------

    def register(
        self, registrant: str, kind: int, content: bytes, weights: dict[str, int], links: list
    ) -> None:
        w, m = self.world, self.m
        tree = w.contributors_of(weights)
        links_abi = [(x.asset_id, x.share_bps, x.license_id) for x in links]
        data = abi.REGISTER.data(
            kind, content, tree.root, tree.total, "ipfs://seedbed", METADATA_HASH, links_abi
        )
        out, asset_id = self.act(
            registrant,
            w.registry,
            data,
            0,
            lambda: m.register(registrant, kind, content, tree.root, weights, links),
        )
        if out.ok:
            self.trees[asset_id] = tree

    def draw_weights(self, data: st.DataObject) -> dict[str, int]:
        return data.draw(
            st.dictionaries(
                st.sampled_from(self.world.contributors), st.integers(1, 9), min_size=1, max_size=4
            ),
            label="weights",
        )

    @initialize(data=st.data())
    def seed_two_datasets_offers_and_channels(self, data: st.DataObject) -> None:
        self._step()
        for name in ("publisher", "publisher2"):
            self.register(self.a[name], DATASET, self.new_root(), self.draw_weights(data), [])
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
            else self.new_root()
        )
        self.register(registrant, DATASET, content, self.draw_weights(data), [])

    @precondition(lambda self: self.m.assets)
    @rule(data=st.data())
    def register_derived_model(self, data: st.DataObject) -> None:
        """A model over 1-3 parents; foreign parents need a bought DERIVE license."""
        self._step()
        m = self.m
        names = ("publisher", "publisher2", "alice", "bob")
        able = [self.a[n] for n in names if self.may_derive_from(self.a[n])]
        registrant = mostly(data, "registrant", able, [self.a[n] for n in names])
        eligible = self.may_derive_from(registrant)
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
            license_id, minimum = 0, 0
            if pid in m.assets and m.assets[pid].owner != registrant:
                good = self.derive_licenses(registrant, pid)
                others = list(m.licenses)[-2:] + [0]  # wrong asset, holder, scope or expired
                license_id = mostly(data, "license", good, others)
                minimum = m.check_derive(license_id, registrant, pid)[1]
            share = data.draw(
                weighted(  # shares big enough that small payments send something upstream
                    (6, st.integers(max(minimum, 500), max(minimum, 500) + 3000)),
                    (2, st.sampled_from([minimum, minimum + 1]) if minimum else st.just(1)),
                    (1, st.sampled_from([minimum - 1, 0])),
                ),
                label="share",
            )
            links.append(Link(pid, max(share, 0), license_id))
        self.register(registrant, MODEL, self.new_root(), self.draw_weights(data), links)

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

    @rule(data=st.data())
    def donate_then_sweep_or_withdraw_fees(self, data: st.DataObject) -> None:
        """Tokens sent to the vault directly are excess, never anyone's revenue; plain ETH
        transfers to the vault revert; fees (0 bps in this deployment) withdraw only if any."""
        self._step()
        w = self.world
        stranger = self.a["stranger"]
        currency = self.draw_currency(data)
        what = data.draw(st.sampled_from(["donate", "sweep", "fees"]), label="what")
        if what == "donate":
            amount = data.draw(st.integers(1, 10**4), label="amount")
            if currency == ETH:
                self.act(stranger, w.vault, "0x", amount, _no_receive)
            else:
                self.act(
                    stranger,
                    currency,
                    abi.ERC20_TRANSFER.data(w.vault, amount),
                    0,
                    lambda: self.m.balances.transfer(currency, stranger, w.vault, amount),
                )
        elif what == "sweep":
            self.act(
                stranger,
                w.vault,
                abi.SWEEP_EXCESS.data(currency),
                0,
                lambda: self.m.sweep_excess(currency),
            )
        else:
            self.act(
                stranger,
                w.vault,
                abi.WITHDRAW_FEES.data(currency),
                0,
                lambda: self.m.withdraw_fees(currency),
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
        """Vault: balance = Σ(accrued − claimed) + Σ pending + fees (+ donated excess), with
        the unclaimable dust of each pool < 1 wei per contributor; meter: balance = totalHeld
        = Σ channel reserves + Σ owed to assets + Σ operator earnings, to the wei, and no
        reserve negative; the license contract holds nothing. All from the chain's own
        numbers."""
        seen, w, m = self.observations(), self.world, self.m
        actual = {label: o.actual for label, o in seen.items()}
        for c in w.currencies:
            books = actual[("vault.fees", c)]
            for a in m.assets.values():
                accrued = actual[("vault.accrued", a.id, c)]
                books += accrued + actual[("vault.pending", a.id, c)]
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
            assert actual[("balance", c, w.meter)] == total == sum(parts), f"meter {c}: {parts}"
            assert actual[("balance", c, w.license)] == 0, f"license contract holds {c}"

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
    def sold_license_terms_never_change(self) -> None:
        seen = self.observations()
        for license_id, terms in self.sold_terms.items():
            assert seen[("license.view", license_id)].actual[2] == terms, license_id

    @invariant()
    def delisting_or_pausing_never_blocks_claims_or_withdrawals(self) -> None:
        """Every claim with something owed and every ready withdrawal succeeds (eth_call),
        paying what the model says, whatever the listing and offer statuses are."""
        blocked = [o for o in self.observations().values() if o.label[0] == "live" and not o.ok]
        context = {
            "delisted": [a.id for a in self.m.assets.values() if a.delisted],
            "not active": [i for i, o in self.m.offers.items() if o.status != 1],
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
