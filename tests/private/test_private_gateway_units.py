"""The gateway's private-data pieces without a server: which sealed folder is served, why a
license is refused, and the session tokens' bounds."""

from __future__ import annotations

import dataclasses
import os

import pytest

from seedbed.core.constants import ACCESS, INFER, TRAIN
from seedbed.core.sealed import new_key, seal_folder
from seedbed.gateway import private
from seedbed.gateway.chainstate import AssetState
from seedbed.workflows.channels import LicenseTerms

HOLDER = "0x" + "11" * 20


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    root = tmp_path_factory.mktemp("sealed-units")
    (root / "data").mkdir()
    (root / "data" / "a.bin").write_bytes(os.urandom(5000))
    key = new_key()
    index = seal_folder(root / "data", root / "out", key)
    return root / "out", key, index


def test_a_seal_is_served_only_with_the_chains_roots_and_the_right_key(sealed):
    out, key, index = sealed
    chain_seal = (index.seal_root, index.key_check)
    good = private.load_sealed(1, out, key, index.content_root, chain_seal)
    assert good.matches_chain and good.seal_matches
    assert good.read("a.bin", 10, 19) == (out.parent / "data" / "a.bin").read_bytes()[10:20]
    assert not private.load_sealed(1, out, new_key(), index.content_root, chain_seal).seal_matches
    other = (b"\x01" * 32, index.key_check)
    assert not private.load_sealed(1, out, key, index.content_root, other).seal_matches
    assert not private.load_sealed(1, out, key, b"\x02" * 32, chain_seal).matches_chain
    assert key.hex() not in repr(good)  # a log line never carries the key


def _terms(**changes):
    base = LicenseTerms(
        license_id=7,
        holder=HOLDER,
        asset_id=3,
        currency="0x" + "00" * 20,
        unit_price=0,
        max_units=0,
        expires_at=0,
        scopes=ACCESS,
        service_bps=0,
        units_allotted=0,
        grace_period=0,
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("terms", "asset", "why"),
    [
        (_terms(asset_id=4), None, "is for asset 4"),
        (_terms(holder="0x" + "22" * 20), None, "is held by"),
        (_terms(expires_at=100), None, "expired at 100"),
        (_terms(scopes=INFER), None, "neither ACCESS nor TRAIN"),
        (_terms(), AssetState(3, b"\0" * 32, True), "delisted"),
        (_terms(), AssetState(3, b"\0" * 32, False, 1), "under dispute"),
    ],
)
def test_every_reason_to_refuse_is_named(terms, asset, why):
    assert why in private.refusal(terms, HOLDER, 3, asset, now=1000)


def test_access_or_train_and_the_holder_in_any_case_may_read():
    for scopes in (ACCESS, TRAIN, ACCESS | TRAIN | INFER):
        assert (
            private.refusal(_terms(scopes=scopes), HOLDER.upper().replace("0X", "0x"), 3, None, 5)
            is None
        )


def test_sessions_expire_and_stay_bounded(monkeypatch):
    sessions = private.Sessions(lifetime=10, cap=3)
    tokens = [sessions.open(1, HOLDER, 3)[0] for _ in range(5)]
    assert len(sessions) == 3
    assert sessions.get(tokens[0]) is None and sessions.get(tokens[-1]) is not None
    now = private.time.monotonic()
    monkeypatch.setattr(private.time, "monotonic", lambda: now + 11)
    assert sessions.get(tokens[-1]) is None
