"""Property: for random offers and random sequences of purchases, transfers (each one told to
the suite's real usage meter), offer status changes and time jumps, every validity answer of
the license contract matches a plain Python model of the rules (and so does every refusal).
Units used are counted per channel in the meter now, so they are not part of validity."""

from __future__ import annotations

from dataclasses import dataclass

import ape
from hypothesis import given, settings
from hypothesis import strategies as st
from license_helpers import block_time, isolated, raw_terms

ACTIVE, PAUSED, RETIRED = 1, 2, 3

# ------------------------------------------------------------------------------- the model


@dataclass
class ModelOffer:
    duration: int
    max_units: int
    scopes: int
    soulbound: bool
    supply_cap: int
    status: int = ACTIVE
    sold: int = 0


@dataclass
class ModelLicense:
    offer: ModelOffer
    holder: str
    expires_at: int

    def valid(self, now: int) -> bool:
        return self.expires_at == 0 or now < self.expires_at

    def valid_for(self, now: int, account: str, scopes: int) -> bool:
        return self.valid(now) and self.holder == account and scopes & ~self.offer.scopes == 0


# ------------------------------------------------------------------------------- strategies

offers_st = st.builds(
    ModelOffer,
    duration=st.one_of(st.just(0), st.integers(1, 3_000)),
    max_units=st.one_of(st.just(0), st.integers(1, 4)),
    scopes=st.integers(1, 31),
    soulbound=st.booleans(),
    supply_cap=st.sampled_from([0, 1, 2]),
)
# After each step a gateway asks: is it valid for this account (index) and these scopes?
probe_st = st.tuples(st.integers(0, 3), st.integers(0, 31))
steps_st = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(0, 2), st.integers(0, 3), probe_st),
        st.tuples(st.just("buy"), st.integers(0, 2), st.integers(0, 3), probe_st),  # twice as often
        st.tuples(st.just("transfer"), st.integers(0, 9), st.integers(0, 3), probe_st),
        st.tuples(st.just("status"), st.integers(0, 2), st.sampled_from([1, 2, 3]), probe_st),
        st.tuples(st.just("warp"), st.integers(1, 2_000), st.just(0), probe_st),
        st.tuples(st.just("edge"), st.integers(0, 9), st.integers(-1, 0), probe_st),
    ),
    min_size=3,
    max_size=12,
)


# ------------------------------------------------------------------------------- the test


@settings(deadline=None)
@given(offers=st.lists(offers_st, min_size=1, max_size=3), steps=steps_st)
def test_license_views_always_match_a_python_model_of_the_rules(
    chain, metered, dataset, publisher, gateway, alice, bob, carol, dave, offers, steps
):
    asset_id, _ = dataset
    with isolated(chain):
        replay = Replay(chain, metered, publisher, gateway, [alice, bob, carol, dave])
        for index, offer in enumerate(offers):
            replay.publish(asset_id, offer)
            replay.buy(index, index)  # every offer starts with one license sold
        for kind, a, b, (account, scopes) in steps:
            getattr(replay, kind)(a, b)
            # Every license, not only the one touched: a step must not change the others.
            for license_id in replay.licenses:
                replay.check(license_id, account, scopes)
        # At the end, every view of every license, asked by every account.
        for license_id in replay.licenses:
            for account in range(len(replay.holders)):
                replay.check(license_id, account, scopes, every_view=account == 0)


class Replay:
    """Runs each step on chain and in the model; a refusal the model predicts must happen.

    Refusals are checked with a static call of the same transaction (a third of the time of
    a reverted transaction through ape); the checks after the step prove nothing changed.
    """

    def __init__(self, chain, lt, publisher, meter, holders):
        self.chain, self.lt, self.publisher, self.meter = chain, lt, publisher, meter
        self.holders = holders
        self.offers: list[tuple[int, ModelOffer]] = []
        self.licenses: dict[int, ModelLicense] = {}

    def publish(self, asset_id, o: ModelOffer):
        terms = raw_terms(
            asset_id,
            duration=o.duration,
            maxUnits=o.max_units,
            scopes=o.scopes,
            soulbound=o.soulbound,
            supplyCap=o.supply_cap,
        )
        receipt = self.lt.createOffer(terms, sender=self.publisher)
        self.offers.append((receipt.events.filter(self.lt.OfferCreated)[0].offerId, o))

    def warp(self, seconds, _):
        self.chain.mine(timestamp=self.chain.blocks.head.timestamp + seconds)

    def edge(self, index, offset):
        """Jump to just before (-1) or exactly at (0) a license's expiry, if still ahead."""
        if not self.licenses:
            return
        _, model = self._pick(index)
        target = model.expires_at + offset
        if model.expires_at and target > self.chain.blocks.head.timestamp:
            self.chain.mine(timestamp=target)

    def status(self, index, new_status):
        lt, (offer_id, offer) = self.lt, self.offers[index % len(self.offers)]
        if offer.status == RETIRED:
            with ape.reverts(lt.LicenseTokenOfferRetired, offerId=offer_id):
                lt.setOfferStatus.call(offer_id, new_status, sender=self.publisher)
        elif offer.status == new_status:
            with ape.reverts(lt.LicenseTokenStatusUnchanged, offerId=offer_id, status=new_status):
                lt.setOfferStatus.call(offer_id, new_status, sender=self.publisher)
        else:
            lt.setOfferStatus(offer_id, new_status, sender=self.publisher)
            offer.status = new_status

    def buy(self, index, holder):
        lt, (offer_id, offer) = self.lt, self.offers[index % len(self.offers)]
        buyer = self.holders[holder]
        if offer.status != ACTIVE:
            with ape.reverts(lt.LicenseTokenOfferNotActive, offerId=offer_id, status=offer.status):
                lt.buy.call(offer_id, buyer, 0, sender=buyer)
        elif offer.supply_cap and offer.sold >= offer.supply_cap:
            with ape.reverts(lt.LicenseTokenSoldOut, offerId=offer_id, supplyCap=offer.supply_cap):
                lt.buy.call(offer_id, buyer, 0, sender=buyer)
        else:
            receipt = lt.buy(offer_id, buyer, 0, sender=buyer)
            license_id = receipt.events.filter(lt.LicenseBought)[0].licenseId
            start = block_time(self.chain, receipt)
            expires = 0 if offer.duration == 0 else start + offer.duration
            offer.sold += 1
            self.licenses[license_id] = ModelLicense(offer, buyer.address, expires)

    def _pick(self, index):
        license_id = sorted(self.licenses)[index % len(self.licenses)]
        return license_id, self.licenses[license_id]

    def transfer(self, index, to):
        if not self.licenses:
            return
        license_id, model = self._pick(index)
        holder = next(h for h in self.holders if h.address == model.holder)
        receiver = self.holders[to].address
        if model.offer.soulbound:
            with ape.reverts(self.lt.LicenseTokenSoulbound, licenseId=license_id):
                self.lt.transferFrom.call(holder, receiver, license_id, sender=holder)
        else:
            self.lt.transferFrom(holder, receiver, license_id, sender=holder)
            model.holder = receiver

    def check(self, license_id, account_index, scopes, every_view=False):
        """The validity answers after every step; every other view when asked."""
        lt, model = self.lt, self.licenses[license_id]
        now = self.chain.blocks.head.timestamp
        assert lt.isValid(license_id) == model.valid(now)
        account = self.holders[account_index].address
        assert lt.isValidFor(license_id, account, scopes) == model.valid_for(now, account, scopes)
        # The holder asking for scopes the license has: the answer is validity alone.
        held = scopes & model.offer.scopes
        assert lt.isValidFor(license_id, model.holder, held) == model.valid(now)
        if not every_view:
            return
        view = lt.license(license_id)  # a struct: slower to decode, so once per example
        assert (view.valid, view.holder, view.expiresAt) == (
            model.valid(now),
            model.holder,
            model.expires_at,
        )
        assert lt.ownerOf(license_id) == model.holder
        assert lt.expiresAt(license_id) == model.expires_at
        assert lt.locked(license_id) == model.offer.soulbound
