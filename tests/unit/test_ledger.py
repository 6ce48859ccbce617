"""The gateway's voucher ledger: per channel it accepts only what the channel's reserve (less a
pending withdrawal) covers, within its unit limit, closesAt and signer; refused vouchers write
nothing; pending = accepted minus settled; and nothing is lost when the process is killed."""

import functools
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher, sign
from seedbed.workflows.ledger import (
    MAX_UNITS,
    Accepted,
    ChannelState,
    Rejected,
    VoucherLedger,
    remove_if_empty,
)

CHAIN_ID = 31337
METER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
FAR = 4_000_000_000  # a deadline in 2096
NOW = 1_800_000_000
ALICE = Account.from_key(keccak(b"alice"))
BOB = Account.from_key(keccak(b"bob"))
GATEWAY = Account.from_key(keccak(b"gateway")).address
ETH = "0x" + "00" * 20
TX = "0x" + "ab" * 32
PRICE = 10


@functools.cache
def signed(license_id, units, deadline=FAR, account=ALICE, payer=None, operator=GATEWAY):
    voucher = Voucher(license_id, payer or account.address, operator, units, deadline)
    return SignedVoucher(voucher, sign(voucher, CHAIN_ID, METER, account.key))


def state(license_id=1, payer=ALICE.address, **fields):
    """An open, funded channel (reserve for 1,000 units), as a sync from the chain gives."""
    base = {
        "asset_id": 7, "currency": ETH, "unit_price": PRICE, "reserve": 1_000 * PRICE,
        "units": 0, "unit_limit": MAX_UNITS, "signer": payer, "closes_at": 2**40 - 1,
    }  # fmt: skip
    return ChannelState(license_id, payer, GATEWAY, **{**base, **fields})


def channel(license_id, payer=ALICE.address):
    return (license_id, payer, GATEWAY)


@pytest.fixture
def ledger(tmp_path):
    with VoucherLedger(tmp_path / "vouchers.db", CHAIN_ID, METER) as opened:
        opened.sync_many(state(lic) for lic in (1, 2, 3))
        yield opened


def units_of(vouchers):
    return {v.voucher.license_id: v.voucher.cumulative_units for v in vouchers}


def nothing_written(ledger, license_id=1):
    return ledger.latest(channel(license_id)) is None and ledger.history(channel(license_id)) == []


# ------------------------------------------------------------------------------ accept


def test_accept_stores_the_voucher_and_reports_the_new_units_and_what_backs_them(ledger):
    first = ledger.accept(signed(1, 10), now=NOW)
    second = ledger.accept(signed(1, 25), now=NOW)
    assert (first.signer, first.previous_units, first.new_units) == (ALICE.address, 0, 10)
    assert (second.previous_units, second.new_units) == (10, 15)
    assert (second.unsettled, second.available) == (25 * PRICE, 1_000 * PRICE)
    assert ledger.latest(channel(1)) == signed(1, 25)
    assert [v.voucher.cumulative_units for v in ledger.history(channel(1))] == [10, 25]


@pytest.mark.parametrize("units", [10, 9, 1])
def test_voucher_not_above_the_highest_stored_is_refused_as_stale(ledger, units):
    ledger.accept(signed(1, 10), now=NOW)
    with pytest.raises(InputError, match="not more than the 10 already signed"):
        ledger.accept(signed(1, units), now=NOW)
    assert ledger.latest(channel(1)) == signed(1, 10)
    assert len(ledger.history(channel(1))) == 1


def test_voucher_for_zero_units_is_refused(ledger):
    with pytest.raises(InputError, match="covers 0 units"):
        ledger.accept(signed(1, 0), now=NOW)


def test_channels_are_independent_per_license_payer_and_operator(ledger):
    ledger.sync(state(1, payer=BOB.address))
    ledger.accept(signed(1, 10), now=NOW)
    ledger.accept(signed(1, 4, account=BOB), now=NOW)
    ledger.accept(signed(2, 5), now=NOW)
    assert {(v.voucher.license_id, v.voucher.payer) for v in ledger.pending()} == {
        (1, ALICE.address), (1, BOB.address), (2, ALICE.address),
    }  # fmt: skip
    with pytest.raises(InputError, match="knows nothing of license 1's channel"):
        ledger.accept(signed(1, 1, operator=BOB.address), now=NOW)


def test_expired_voucher_is_refused_and_one_at_its_deadline_is_accepted(ledger):
    with pytest.raises(InputError, match="expired at 1000"):
        ledger.accept(signed(1, 10, deadline=1000), now=1001)
    ledger.accept(signed(1, 10, deadline=1000), now=1000)  # the meter allows now == deadline
    assert ledger.latest(channel(1)) == signed(1, 10, deadline=1000)


def test_units_above_what_the_meter_counts_are_refused(ledger):
    ledger.sync(state(1, reserve=2**200))
    with pytest.raises(InputError, match="more than the meter counts"):
        ledger.accept(signed(1, MAX_UNITS + 1), now=NOW)
    ledger.accept(signed(1, MAX_UNITS), now=NOW)


# ------------------------------------------------------------------------ the backing


def test_a_voucher_the_reserve_does_not_cover_is_refused_and_nothing_is_written(ledger):
    ledger.sync(state(1, reserve=100 * PRICE))
    ledger.accept(signed(1, 100), now=NOW)  # exactly covered
    with pytest.raises(InputError, match=r"charges 1010 unsettled .* reserve of 1000 covers"):
        ledger.accept(signed(1, 101), now=NOW)
    assert ledger.latest(channel(1)) == signed(1, 100)


def test_what_is_settled_no_longer_counts_against_the_reserve(ledger):
    ledger.sync(state(1, reserve=100 * PRICE))
    ledger.accept(signed(1, 100), now=NOW)
    ledger.mark_settled(channel(1), 100, 100 * PRICE, TX)  # the reserve paid for them
    assert ledger.channel(channel(1)).reserve == 0
    with pytest.raises(InputError, match="more than the reserve of 0"):
        ledger.accept(signed(1, 101), now=NOW)
    ledger.sync(state(1, reserve=50 * PRICE, units=100))  # a deposit since
    assert ledger.accept(signed(1, 150), now=NOW).unsettled == 50 * PRICE


def test_a_pending_withdrawal_counts_against_the_reserve_until_its_window_closes(ledger):
    ledger.sync(state(1, reserve=100 * PRICE, withdrawal=60 * PRICE, window_end=NOW + 10))
    with pytest.raises(InputError, match="less a pending withdrawal of 600 covers \\(400\\)"):
        ledger.accept(signed(1, 41), now=NOW)
    ledger.accept(signed(1, 40), now=NOW)
    assert ledger.accept(signed(1, 100), now=NOW + 11).available == 100 * PRICE  # lapsed


def test_a_voucher_above_the_channels_unit_limit_is_refused(ledger):
    ledger.sync(state(1, unit_limit=50))
    with pytest.raises(InputError, match="above its limit of 50"):
        ledger.accept(signed(1, 51), now=NOW)
    ledger.accept(signed(1, 50), now=NOW)


def test_a_channel_past_its_closes_at_or_never_opened_takes_no_voucher(ledger):
    ledger.sync(state(1, closes_at=NOW - 1))
    ledger.sync(state(2, unit_limit=0))
    with pytest.raises(InputError, match="closed at"):
        ledger.accept(signed(1, 1), now=NOW)
    with pytest.raises(InputError, match="not open on chain"):
        ledger.accept(signed(2, 1), now=NOW)
    assert nothing_written(ledger, 1) and nothing_written(ledger, 2)


def test_only_the_channels_signer_signs_for_it(ledger):
    ledger.sync(state(1, signer=BOB.address))  # alice's session key is bob's
    with pytest.raises(InputError, match=f"signed by {ALICE.address}, not by its signer"):
        ledger.accept(signed(1, 10), now=NOW)
    accepted = ledger.accept(signed(1, 10, account=BOB, payer=ALICE.address), now=NOW)
    assert accepted.signer == BOB.address


def test_a_scheduled_signer_change_ends_the_old_signers_vouchers_at_its_time(ledger):
    ledger.sync(state(1, signer_until=NOW + 5))
    ledger.accept(signed(1, 10), now=NOW + 4)
    with pytest.raises(InputError, match="changed at"):
        ledger.accept(signed(1, 20), now=NOW + 5)


def test_signature_over_other_units_recovers_a_stranger_and_is_refused(ledger):
    v = Voucher(1, ALICE.address, GATEWAY, 1_000, FAR)
    forged = SignedVoucher(v, signed(1, 10).signature)
    with pytest.raises(InputError, match="not by its signer"):
        ledger.accept(forged, now=NOW)
    assert nothing_written(ledger)


@pytest.mark.parametrize(
    ("signature", "message"),
    [(b"\x01" * 64, "65 bytes"), (b"\x00" * 65, "27 or 28"), (b"\x00" * 64 + b"\x1b", "range")],
)
def test_malformed_signature_is_refused(ledger, signature, message):
    voucher = Voucher(1, ALICE.address, GATEWAY, 10, FAR)
    with pytest.raises(InputError, match=message):
        ledger.accept(SignedVoucher(voucher, signature), now=NOW)
    assert nothing_written(ledger)


def test_a_contract_signer_is_refused_unless_trusted(tmp_path):
    wallet = state(1, signer=BOB.address, signer_is_contract=True)
    erc1271 = SignedVoucher(Voucher(1, ALICE.address, GATEWAY, 10, FAR), b"\x99" * 100)
    with VoucherLedger(tmp_path / "a.db", CHAIN_ID, METER) as led:
        led.sync(wallet)
        with pytest.raises(InputError, match="is a contract"):
            led.accept(erc1271, now=NOW)
    with VoucherLedger(tmp_path / "b.db", CHAIN_ID, METER, trust_contract_signers=True) as led:
        led.sync(wallet)
        assert led.accept(erc1271, now=NOW).signer == BOB.address
        too_much = Voucher(1, ALICE.address, GATEWAY, 2_000, FAR)
        with pytest.raises(InputError, match="more than the reserve"):  # still must be covered
            led.accept(SignedVoucher(too_much, b"\x99"), now=NOW)


# ------------------------------------------------------------------------ the reader


def test_the_reader_is_asked_for_unknown_channels_and_once_more_before_a_refusal(tmp_path):
    chain = {channel(1): state(1, reserve=10 * PRICE)}
    asked = []

    def read(lic, payer, operator):
        asked.append((lic, payer, operator))
        return chain[(lic, payer, operator)]

    with VoucherLedger(tmp_path / "v.db", CHAIN_ID, METER, read) as led:
        led.accept(signed(1, 10), now=NOW)  # first sight: read
        assert asked == [channel(1)]
        with pytest.raises(InputError, match="more than the reserve"):
            led.accept(signed(1, 11), now=NOW)  # refused: read again, still short
        assert asked == [channel(1)] * 2
        chain[channel(1)] = state(1, reserve=11 * PRICE)  # the payer deposited
        led.accept(signed(1, 11), now=NOW)
        assert asked == [channel(1)] * 3
        with pytest.raises(InputError, match="already signed"):  # no state could lift it
            led.accept(signed(1, 11), now=NOW)
        assert len(asked) == 3


# ------------------------------------------------------------------------- accept_many


def test_accept_many_reports_each_voucher_in_order_across_batches(ledger):
    batch = [
        signed(1, 10),
        signed(1, 10),  # replay inside the batch: stale
        SignedVoucher(Voucher(2, ALICE.address, GATEWAY, 5, FAR), b"\x00" * 65),  # bad signature
        signed(2, 5),
        signed(3, 7, deadline=10),  # expired
        signed(1, 30),
        signed(3, 2_000),  # not covered
    ]
    results = ledger.accept_many(batch, batch_size=2, now=NOW)
    kinds = [type(r) for r in results]
    assert kinds == [Accepted, Rejected, Rejected, Accepted, Rejected, Accepted, Rejected]
    assert [r.voucher for r in results] == batch
    assert "already signed" in results[1].reason and "expired" in results[4].reason
    assert "more than the reserve" in results[6].reason
    assert results[5].previous_units == 10
    assert units_of(ledger.pending()) == {1: 30, 2: 5}


def test_accept_many_rejects_a_batch_size_below_one(ledger):
    with pytest.raises(InputError, match="batch size"):
        ledger.accept_many([signed(1, 1)], batch_size=0)


# --------------------------------------------------------------------------- settling


def test_pending_is_what_the_chain_has_not_settled(ledger):
    ledger.accept(signed(1, 10), now=NOW)
    ledger.accept(signed(2, 20), now=NOW)
    ledger.mark_settled(channel(1), 10, 10 * PRICE, TX)
    ledger.mark_settled(channel(2), 15, 15 * PRICE, TX)  # an older voucher: 5 units owed
    assert units_of(ledger.pending()) == {2: 20}
    assert ledger.settled_units(channel(1)) == 10 and ledger.settled_units(channel(2)) == 15
    assert ledger.assets() == [(7, ETH)]


def test_mark_settled_never_lowers_what_was_recorded(ledger):
    ledger.accept(signed(1, 30), now=NOW)
    ledger.mark_settled(channel(1), 30, 30 * PRICE, TX)
    ledger.mark_settled(channel(1), 10, 10 * PRICE, "0x" + "cd" * 32)  # a late, older report
    assert ledger.settled_units(channel(1)) == 30
    assert ledger.channel(channel(1)).reserve == 970 * PRICE
    assert ledger.pending() == []


def test_voucher_at_or_below_settled_units_is_stale_even_if_never_stored(ledger):
    ledger.sync(state(1, units=50))  # e.g. settled by another gateway or on-chain metering
    with pytest.raises(InputError, match="not more than the 50 already signed or settled"):
        ledger.accept(signed(1, 50), now=NOW)
    assert ledger.accept(signed(1, 60), now=NOW).new_units == 10
    assert units_of(ledger.pending()) == {1: 60}


def test_a_sync_follows_the_chain_both_ways(ledger):
    ledger.accept(signed(1, 30), now=NOW)
    ledger.sync(state(1, units=30))  # crashed after the settle tx, before mark_settled
    assert ledger.pending() == []
    ledger.sync(state(1, units=0))  # the settlement was reorged out: owed again
    assert units_of(ledger.pending()) == {1: 30}
    assert ledger.latest(channel(1)) == signed(1, 30)  # a sync never touches the voucher


def test_pending_puts_the_soonest_deadline_first(ledger):
    ledger.accept(signed(1, 1, deadline=FAR), now=NOW)
    ledger.accept(signed(2, 1, deadline=FAR - 100), now=NOW)
    ledger.accept(signed(3, 1, deadline=FAR - 50), now=NOW)
    assert [v.voucher.license_id for v in ledger.pending()] == [2, 3, 1]


@pytest.mark.parametrize("tx", ["0x1234", "ab" * 32, "0x" + "zz" * 32, b"\x01" * 31])
def test_mark_settled_rejects_a_malformed_tx_hash(ledger, tx):
    with pytest.raises(InputError, match="transaction hash"):
        ledger.mark_settled(channel(1), 1, 1, tx)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 2), st.integers(0, 60), st.sampled_from(["sign", "settle", "fund"])
        ),
        max_size=25,
    )
)
def test_accepted_vouchers_are_always_covered_and_pending_is_the_best_above_settled(
    tmp_path_factory, ops
):
    """Whatever the order of signing, settling and funding, the ledger accepts a voucher
    exactly when it is above everything signed or settled and its unsettled charge fits the
    reserve; and pending is the best voucher above settled per channel."""
    path = tmp_path_factory.mktemp("prop") / "v.db"
    best: dict[int, int] = {}
    settled = {1: 0, 2: 0}
    reserve = {1: 100, 2: 100}
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        led.sync_many(state(lic, reserve=reserve[lic]) for lic in (1, 2))
        for lic, units, op in ops:
            if op == "settle":
                if best.get(lic, 0) > settled[lic]:  # the gateway settles its best voucher
                    charge = (best[lic] - settled[lic]) * PRICE
                    led.mark_settled(channel(lic), best[lic], charge, TX)
                    reserve[lic] -= charge
                    settled[lic] = best[lic]
                continue
            if op == "fund":
                reserve[lic] += units * PRICE
                led.sync(state(lic, reserve=reserve[lic], units=settled[lic]))
                continue
            floor = max(best.get(lic, 0), settled[lic])
            covered = (units - settled[lic]) * PRICE <= reserve[lic]
            try:
                led.accept(signed(lic, units), now=NOW)
                accepted = True
            except InputError:
                accepted = False
            assert accepted == (units > floor and covered)
            if accepted:
                best[lic] = units
        expected = {lic: u for lic, u in best.items() if u > settled[lic]}
        assert units_of(led.pending()) == expected
        for lic in (1, 2):
            assert led.channel(channel(lic)).reserve == reserve[lic] >= 0


# ---------------------------------------------------------------------- file handling


def test_reopening_keeps_vouchers_and_settlements(tmp_path):
    path = tmp_path / "v.db"
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        led.sync_many([state(1), state(2)])
        led.accept(signed(1, 10), now=NOW)
        led.accept(signed(2, 20), now=NOW)
        led.mark_settled(channel(1), 10, 10 * PRICE, TX)
    with VoucherLedger(path, CHAIN_ID, METER) as led:
        assert units_of(led.pending()) == {2: 20}
        assert led.settled_units(channel(1)) == 10
        assert led.channel(channel(2)) == state(2)
        with pytest.raises(InputError, match="already signed"):
            led.accept(signed(2, 20), now=NOW)


@pytest.mark.parametrize(
    ("chain_id", "meter"),
    [(CHAIN_ID + 1, METER), (CHAIN_ID, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")],
)
def test_a_ledger_belongs_to_one_chain_and_meter(tmp_path, chain_id, meter):
    VoucherLedger(tmp_path / "v.db", CHAIN_ID, METER).close()
    with pytest.raises(InputError, match=f"belongs to chain {CHAIN_ID}"):
        VoucherLedger(tmp_path / "v.db", chain_id, meter)


def test_a_version_one_ledger_is_refused_not_migrated(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE vouchers (license_id TEXT PRIMARY KEY)")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="version-1 meter"):
        VoucherLedger(path, CHAIN_ID, METER)


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path):
    path = tmp_path / "v.db"
    path.write_bytes(b"not a database, just some bytes" * 100)
    with pytest.raises(InputError, match="cannot be opened"):
        VoucherLedger(path, CHAIN_ID, METER)


def test_remove_if_empty_keeps_a_ledger_with_vouchers(tmp_path, ledger):
    empty = tmp_path / "empty.db"
    with VoucherLedger(empty, CHAIN_ID, METER) as led:
        led.sync(state(1))  # chain state only: a cache
    remove_if_empty(empty)
    assert not empty.exists()
    ledger.accept(signed(1, 1), now=NOW)
    remove_if_empty(ledger.path)
    assert ledger.latest(channel(1)) is not None


def test_ledger_uses_wal_with_full_sync_unless_told_otherwise(ledger, tmp_path):
    assert ledger._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert ledger._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    with VoucherLedger(tmp_path / "n.db", CHAIN_ID, METER, synchronous="NORMAL") as led:
        assert led._db.execute("PRAGMA synchronous").fetchone() == (1,)
    with pytest.raises(InputError, match="FULL or NORMAL"):
        VoucherLedger(tmp_path / "o.db", CHAIN_ID, METER, synchronous="OFF")


def test_channel_state_pending_withdrawal_lapses_after_its_window():
    s = state(1, reserve=100, withdrawal=30, window_end=NOW)
    assert (s.available(NOW), s.available(NOW + 1)) == (70, 100)
    assert replace(s, withdrawal=200).available(NOW) == 0


# ---------------------------------------------------------------------------- crashes

_CHILD = textwrap.dedent(
    """
    import sys, time
    from eth_account import Account
    from eth_utils import keccak
    from seedbed.workflows.ledger import ChannelState, VoucherLedger
    from seedbed.core.vouchers import SignedVoucher, Voucher, sign

    path, chain_id, meter, gateway = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    alice = Account.from_key(keccak(b"alice"))
    ledger = VoucherLedger(path, chain_id, meter)
    ledger.sync_many(
        ChannelState(lic, alice.address, gateway, 7, "0x" + "00" * 20, 1, 2**100, 0, 2**64 - 1,
                     alice.address, 2**40 - 1)
        for lic in range(7)
    )
    for k in range(1_000_000):
        voucher = Voucher(k % 7, alice.address, gateway, k + 1, 4_000_000_000)
        ledger.accept(SignedVoucher(voucher, sign(voucher, chain_id, meter, alice.key)), now=1)
        print(f"accepted {k}", flush=True)
        if k % 10 == 9:
            ledger.mark_settled((k % 7, alice.address, gateway), k + 1, 1, "0x" + "ab" * 32)
            print(f"settled {k}", flush=True)
    time.sleep(60)
    """
)


def test_killed_mid_stream_every_acknowledged_voucher_survives_and_none_settles_twice(tmp_path):
    path = tmp_path / "v.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(CHAIN_ID), METER, GATEWAY],
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
            for v in led.history(channel(lic))
        }
        for k in acknowledged:
            assert (k % 7, k + 1) in stored, f"acknowledged voucher {k} was lost"
            assert led.latest(channel(k % 7)).voucher.cumulative_units >= k + 1
        for k in settled:
            assert led.settled_units(channel(k % 7)) >= k + 1, f"settlement {k} was lost"
        # Pending after the restart: exactly the channels whose best voucher exceeds settled.
        expected = {}
        for lic in range(7):
            best = led.latest(channel(lic))
            if best is not None and best.voucher.cumulative_units > led.settled_units(channel(lic)):
                expected[lic] = best.voucher.cumulative_units
        assert units_of(led.pending()) == expected
        # Re-submitting an acknowledged voucher after the restart is refused as stale.
        k = settled[-1]
        with pytest.raises(InputError, match="already signed or settled"):
            led.accept(signed(k % 7, k + 1), now=NOW)
