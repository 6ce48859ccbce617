"""The gateway's voucher ledger: durable before acknowledging, stale vouchers refused,
pending = accepted minus settled, and nothing lost when the process is killed."""

import functools
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher, sign
from seedbed.workflows.ledger import MAX_UNITS, Accepted, Rejected, VoucherLedger

CHAIN_ID = 31337
METER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
FAR = 4_000_000_000  # a deadline in 2096
ALICE = Account.from_key(keccak(b"alice"))
BOB = Account.from_key(keccak(b"bob"))
TX = "0x" + "ab" * 32


@functools.cache
def signed(license_id, units, deadline=FAR, account=ALICE):
    voucher = Voucher(license_id, units, deadline)
    return SignedVoucher(voucher, sign(voucher, CHAIN_ID, METER, account.key))


@pytest.fixture
def ledger(tmp_path):
    with VoucherLedger(tmp_path / "vouchers.db", CHAIN_ID, METER) as opened:
        yield opened


def units_of(vouchers):
    return {v.voucher.license_id: v.voucher.cumulative_units for v in vouchers}


# ------------------------------------------------------------------------------ accept


def test_accept_stores_the_voucher_and_reports_the_new_units(ledger):
    first = ledger.accept(signed(1, 10))
    second = ledger.accept(signed(1, 25))
    assert (first.signer, first.previous_units, first.new_units) == (ALICE.address, 0, 10)
    assert (second.previous_units, second.new_units) == (10, 15)
    assert ledger.latest(1) == signed(1, 25)
    assert [v.voucher.cumulative_units for v in ledger.history(1)] == [10, 25]


@pytest.mark.parametrize("units", [10, 9, 1])
def test_voucher_not_above_the_highest_stored_is_refused_as_stale(ledger, units):
    ledger.accept(signed(1, 10))
    with pytest.raises(InputError, match="not more than the 10 already signed"):
        ledger.accept(signed(1, units))
    assert ledger.latest(1) == signed(1, 10)
    assert len(ledger.history(1)) == 1


def test_replaying_the_same_voucher_is_refused(ledger):
    voucher = signed(1, 10)
    ledger.accept(voucher)
    with pytest.raises(InputError, match="already signed"):
        ledger.accept(voucher)


def test_voucher_for_zero_units_is_refused(ledger):
    with pytest.raises(InputError, match="covers 0 units"):
        ledger.accept(signed(1, 0))


def test_licenses_are_independent(ledger):
    ledger.accept(signed(1, 10))
    ledger.accept(signed(2, 5))
    assert units_of(ledger.pending()) == {1: 10, 2: 5}


def test_expired_voucher_is_refused_and_one_at_its_deadline_is_accepted(ledger):
    with pytest.raises(InputError, match="expired at 1000"):
        ledger.accept(signed(1, 10, deadline=1000), now=1001)
    ledger.accept(signed(1, 10, deadline=1000), now=1000)  # the meter allows now == deadline
    assert ledger.latest(1) == signed(1, 10, deadline=1000)


def test_units_above_what_the_meter_counts_are_refused(ledger):
    with pytest.raises(InputError, match="more than the meter counts"):
        ledger.accept(signed(1, MAX_UNITS + 1))
    ledger.accept(signed(1, MAX_UNITS))


def test_signature_over_other_units_recovers_a_stranger_and_is_refused(ledger):
    forged = SignedVoucher(Voucher(1, 1_000_000, FAR), signed(1, 10).signature)
    with pytest.raises(InputError, match=f"not by the holder {ALICE.address}"):
        ledger.accept(forged, expected_signer=ALICE.address)
    assert ledger.latest(1) is None


@pytest.mark.parametrize(
    ("signature", "message"),
    [(b"\x01" * 64, "65 bytes"), (b"\x00" * 65, "27 or 28"), (b"\x00" * 64 + b"\x1b", "range")],
)
def test_malformed_signature_is_refused(ledger, signature, message):
    with pytest.raises(InputError, match=message):
        ledger.accept(SignedVoucher(Voucher(1, 10, FAR), signature))
    assert ledger.latest(1) is None


def test_voucher_signed_by_someone_else_is_refused(ledger):
    with pytest.raises(InputError, match=f"signed by {BOB.address}"):
        ledger.accept(signed(1, 10, account=BOB), expected_signer=ALICE.address)


def test_license_without_a_holder_is_refused_not_left_unchecked(tmp_path):
    with VoucherLedger(tmp_path / "v.db", CHAIN_ID, METER, holder_lookup=lambda _: None) as led:
        with pytest.raises(InputError, match="license 1 has no holder"):
            led.accept(signed(1, 10))


def test_holder_lookup_decides_the_signer(tmp_path):
    holders = {1: ALICE.address, 2: BOB.address.lower()}
    with VoucherLedger(
        tmp_path / "v.db", CHAIN_ID, METER, holder_lookup=holders.__getitem__
    ) as led:
        led.accept(signed(1, 10))
        led.accept(signed(2, 10, account=BOB))
        with pytest.raises(InputError, match="not by the holder"):
            led.accept(signed(2, 20, account=ALICE))
        # An explicit expected signer overrides the lookup.
        led.accept(signed(1, 20, account=BOB), expected_signer=BOB.address)


# ------------------------------------------------------------------------- accept_many


def test_accept_many_reports_each_voucher_in_order_across_batches(ledger):
    batch = [
        signed(1, 10),
        signed(1, 10),  # replay inside the batch: stale
        SignedVoucher(Voucher(2, 5, FAR), b"\x00" * 65),  # bad signature
        signed(2, 5),
        signed(3, 7, deadline=10),  # expired
        signed(1, 30),
    ]
    results = ledger.accept_many(batch, batch_size=2)
    kinds = [type(r) for r in results]
    assert kinds == [Accepted, Rejected, Rejected, Accepted, Rejected, Accepted]
    assert [r.voucher for r in results] == batch
    assert "already signed" in results[1].reason and "expired" in results[4].reason
    assert results[5].previous_units == 10
    assert units_of(ledger.pending()) == {1: 30, 2: 5}


def test_accept_many_checks_signers_with_the_holder_lookup(tmp_path):
    with VoucherLedger(
        tmp_path / "v.db", CHAIN_ID, METER, holder_lookup=lambda _: ALICE.address
    ) as led:
        results = led.accept_many([signed(1, 10), signed(2, 10, account=BOB)])
        assert [type(r) for r in results] == [Accepted, Rejected]


def test_accept_many_rejects_a_batch_size_below_one(ledger):
    with pytest.raises(InputError, match="batch size"):
        ledger.accept_many([signed(1, 1)], batch_size=0)


# --------------------------------------------------------------------------- settling


def test_pending_is_what_the_chain_has_not_settled(ledger):
    ledger.accept(signed(1, 10))
    ledger.accept(signed(2, 20))
    ledger.mark_settled(1, 10, TX)
    ledger.mark_settled(2, 15, TX)  # settled by an older voucher: 5 units still owed
    assert units_of(ledger.pending()) == {2: 20}
    assert ledger.settled_units(1) == 10 and ledger.settled_units(2) == 15


def test_mark_settled_never_lowers_what_was_recorded(ledger):
    ledger.accept(signed(1, 30))
    ledger.mark_settled(1, 30, TX)
    ledger.mark_settled(1, 10, "0x" + "cd" * 32)  # a late report of an older settlement
    assert ledger.settled_units(1) == 30
    assert ledger.pending() == []


def test_voucher_at_or_below_settled_units_is_stale_even_if_never_stored(ledger):
    ledger.sync_settled(1, 50)  # e.g. settled by another gateway or the on-chain meter path
    with pytest.raises(InputError, match="not more than the 50 already signed or settled"):
        ledger.accept(signed(1, 50))
    assert ledger.accept(signed(1, 60)).new_units == 10
    assert units_of(ledger.pending()) == {1: 60}


def test_sync_settled_follows_the_chain_both_ways(ledger):
    ledger.accept(signed(1, 30))
    ledger.sync_settled(1, 30)  # crashed after the settle tx, before mark_settled
    assert ledger.pending() == []
    ledger.sync_settled(1, 0)  # the settlement was reorged out: owed again
    assert units_of(ledger.pending()) == {1: 30}


def test_pending_puts_the_soonest_deadline_first(ledger):
    ledger.accept(signed(1, 1, deadline=FAR))
    ledger.accept(signed(2, 1, deadline=FAR - 100))
    ledger.accept(signed(3, 1, deadline=FAR - 50))
    assert [v.voucher.license_id for v in ledger.pending()] == [2, 3, 1]


@pytest.mark.parametrize("tx", ["0x1234", "ab" * 32, "0x" + "zz" * 32, b"\x01" * 31])
def test_mark_settled_rejects_a_malformed_tx_hash(ledger, tx):
    with pytest.raises(InputError, match="transaction hash"):
        ledger.mark_settled(1, 1, tx)


def test_mark_settled_accepts_a_bytes_tx_hash(ledger):
    ledger.mark_settled(1, 5, bytes.fromhex("ab" * 32))
    assert ledger.settled_units(1) == 5


@given(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 40), st.booleans()), max_size=25))
def test_pending_is_exactly_the_best_voucher_above_settled_per_license(tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("prop") / "v.db"
    best: dict[int, int] = {}
    settled: dict[int, int] = {}
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        for license_id, units, settle in ops:
            if settle:
                led.mark_settled(license_id, units, TX)
                settled[license_id] = max(settled.get(license_id, 0), units)
                continue
            floor = max(best.get(license_id, 0), settled.get(license_id, 0))
            try:
                led.accept(signed(license_id, units))
                accepted = True
            except InputError:
                accepted = False
            assert accepted == (units > floor)
            if accepted:
                best[license_id] = units
        expected = {lic: u for lic, u in best.items() if u > settled.get(lic, 0)}
        assert units_of(led.pending()) == expected


# ---------------------------------------------------------------------- file handling


def test_reopening_keeps_vouchers_and_settlements(tmp_path):
    path = tmp_path / "v.db"
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        led.accept(signed(1, 10))
        led.accept(signed(2, 20))
        led.mark_settled(1, 10, TX)
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        assert units_of(led.pending()) == {2: 20}
        assert led.settled_units(1) == 10
        with pytest.raises(InputError, match="already signed"):
            led.accept(signed(2, 20))


@pytest.mark.parametrize(
    ("chain_id", "meter"),
    [(CHAIN_ID + 1, METER), (CHAIN_ID, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")],
)
def test_a_ledger_belongs_to_one_chain_and_meter(tmp_path, chain_id, meter):
    VoucherLedger(tmp_path / "v.db", CHAIN_ID, METER).close()
    with pytest.raises(InputError, match=f"belongs to chain {CHAIN_ID}"):
        VoucherLedger(tmp_path / "v.db", chain_id, meter)


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path):
    path = tmp_path / "v.db"
    path.write_bytes(b"not a database, just some bytes" * 100)
    with pytest.raises(InputError, match="cannot be opened"):
        VoucherLedger(path, CHAIN_ID, METER)


def test_ledger_uses_wal_with_full_sync_unless_told_otherwise(ledger, tmp_path):
    assert ledger._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert ledger._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    with VoucherLedger(tmp_path / "n.db", CHAIN_ID, METER, synchronous="NORMAL") as led:
        assert led._db.execute("PRAGMA synchronous").fetchone() == (1,)
    with pytest.raises(InputError, match="FULL or NORMAL"):
        VoucherLedger(tmp_path / "o.db", CHAIN_ID, METER, synchronous="OFF")


# ---------------------------------------------------------------------------- crashes

_CHILD = textwrap.dedent(
    """
    import sys, time
    from eth_account import Account
    from eth_utils import keccak
    from seedbed.workflows.ledger import VoucherLedger
    from seedbed.core.vouchers import SignedVoucher, Voucher, sign

    path, chain_id, meter = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    key = Account.from_key(keccak(b"alice")).key
    ledger = VoucherLedger(path, chain_id, meter)
    for k in range(1_000_000):
        voucher = Voucher(k % 7, k + 1, 4_000_000_000)
        ledger.accept(SignedVoucher(voucher, sign(voucher, chain_id, meter, key)))
        print(f"accepted {k}", flush=True)
        if k % 10 == 9:
            ledger.mark_settled(k % 7, k + 1, "0x" + "ab" * 32)
            print(f"settled {k}", flush=True)
    time.sleep(60)
    """
)


def test_killed_mid_stream_every_acknowledged_voucher_survives_and_none_settles_twice(tmp_path):
    path = tmp_path / "v.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(CHAIN_ID), METER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    settled: list[int] = []
    try:
        for line in child.stdout:
            verb, k = line.split()
            (acknowledged if verb == "accepted" else settled).append(int(k))
            if len(acknowledged) == 150:
                child.send_signal(signal.SIGKILL)  # mid-stream: the child is still accepting
                break
        else:
            pytest.fail(f"the child stopped before being killed: {child.stderr.read()}")
        rest, _ = child.communicate(timeout=30)  # lines it printed before it died count too
    finally:
        child.kill()
        child.wait()
    for line in rest.splitlines():
        verb, k = line.split()
        (acknowledged if verb == "accepted" else settled).append(int(k))
    assert child.returncode == -signal.SIGKILL

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        stored = {
            (v.voucher.license_id, v.voucher.cumulative_units)
            for lic in range(7)
            for v in led.history(lic)
        }
        for k in acknowledged:
            assert (k % 7, k + 1) in stored, f"acknowledged voucher {k} was lost"
            assert led.latest(k % 7).voucher.cumulative_units >= k + 1
        for k in settled:
            assert led.settled_units(k % 7) >= k + 1, f"settlement {k} was lost"
        # Pending after the restart: exactly the licenses whose best voucher exceeds settled.
        expected = {
            lic: led.latest(lic).voucher.cumulative_units
            for lic in range(7)
            if led.latest(lic) is not None
            and led.latest(lic).voucher.cumulative_units > led.settled_units(lic)
        }
        assert units_of(led.pending()) == expected
        # Re-submitting an acknowledged voucher after the restart is refused as stale.
        k = settled[-1]
        with pytest.raises(InputError, match="already signed or settled"):
            led.accept(signed(k % 7, k + 1))
