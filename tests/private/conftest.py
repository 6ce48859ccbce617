"""Private-data fixtures: `world`, once per module, over the session suite (see
private_helpers.PrivateWorld), and `sealed`, the same world with its dataset sealed on chain
(per test: ape reverts it after each one)."""

import os

import pytest
from private_helpers import ACCESS_ONLY, EXPIRY, TRAIN_ONLY, Licensed, PrivateWorld, terms

from seedbed.core.sealed import new_key, seal_folder


@pytest.fixture(scope="module", autouse=True)
def _no_revert_traces():
    """ape prints (and first enriches) the call trace of every revert; these tests check
    every error and its values and never read the traces."""
    from ape_ethereum.trace import Trace

    patch = pytest.MonkeyPatch()
    patch.setattr(Trace, "show", lambda self, *args, **kwargs: None)
    yield
    patch.undo()


def _write_dataset(folder):
    """A small real dataset: a README, a CSV of two chunks (65,536-byte chunks), an empty file.
    Random bytes, so every module's content root is new to the session's registry."""
    (folder / "data").mkdir(parents=True)
    (folder / "README.md").write_text("# A small private dataset\n\nFor the private-data tests.\n")
    (folder / "data" / "train.csv").write_bytes(os.urandom(70_000))
    (folder / "data" / "notes.txt").write_bytes(b"")


@pytest.fixture(scope="module")
def world(tmp_path_factory, chain, suite, register_asset, accounts, panel):
    """The suite, a sealed folder (not sealed on chain yet) and the licenses of every rule.
    (`panel`, session-scoped, is asked for here so that it exists before this module's
    snapshot: the dispute tests rule with it.)"""
    owner, alice, bob, granter, stranger, carol, dave = (accounts[i] for i in (1, 2, 3, 4, 5, 6, 7))
    root = tmp_path_factory.mktemp("private")
    folder, out = root / "dataset", root / "sealed"
    _write_dataset(folder)
    key = new_key()
    index = seal_folder(folder, out, key)
    asset, _ = register_asset(owner, {owner.address: 1}, content_root=index.content_root)
    other_asset, _ = register_asset(owner, {owner.address: 1})
    lic = suite.license

    def sold(asset_id, scopes, holder, duration=0):
        receipt = lic.createOffer(terms(asset_id, scopes, duration), sender=owner)
        offer = int(receipt.events.filter(lic.OfferCreated)[0].offerId)
        receipt = lic.buy(offer, holder, 0, sender=holder)
        bought = receipt.events.filter(lic.LicenseBought)[0]
        return Licensed(int(bought.licenseId), offer, holder, holder.private_key), bought

    access, _ = sold(asset, ACCESS_ONLY, alice)
    train, _ = sold(asset, TRAIN_ONLY, bob)
    expiring, bought = sold(asset, ACCESS_ONLY, carol, EXPIRY)
    other, _ = sold(other_asset, ACCESS_ONLY, dave)
    return PrivateWorld(
        chain=chain,
        suite=suite,
        folder=folder,
        out=out,
        index=index,
        key=key,
        asset=int(asset),
        owner=owner,
        granter=granter,
        stranger=stranger,
        other_asset=int(other_asset),
        access=access,
        train=train,
        expiring=expiring,
        other=other,
        expires_at=int(bought.expiresAt),
    )


@pytest.fixture
def sealed(world):
    """The world with its dataset sealed by its owner (undone after the test)."""
    world.seal()
    return world
