"""seedbed.workflows.meter: settling a ledger in batches (reconciled with the chain first),
reasons for skipped vouchers decoded from the contracts' ABIs, signing with an ape account,
preflight."""

import pytest
from eth_abi import encode
from eth_utils import keccak

from seedbed.core.constants import COMMERCIAL, ETH
from seedbed.core.errors import ChainError, InputError
from seedbed.core.reverts import DecodedError, ErrorDecoder, explain
from seedbed.core.vouchers import Voucher, recover, sign
from seedbed.workflows.ledger import VoucherLedger
from seedbed.workflows.meter import (
    license_usage,
    preflight,
    settle_ledger,
    sign_with_account,
    suite_decoder,
)

PRICE = 10


@pytest.fixture
def ledger(tmp_path, suite, meter):
    with VoucherLedger(tmp_path / "gateway.db", suite.chain_id, meter.address) as opened:
        yield opened


@pytest.fixture
def accept(ledger, chain):
    def put(signed, holder):
        return ledger.accept(
            signed, expected_signer=holder.address, now=chain.blocks.head.timestamp
        )

    return put


def settle(ledger, suite, chain, gateway, batch_size=100):
    return settle_ledger(ledger, suite, chain, gateway, batch_size=batch_size)[1]


# ---------------------------------------------------------------------------- settling


def test_everything_pending_settles_in_batches_of_the_given_size_then_nothing_is_left(
    ledger, accept, suite, chain, meter, license_token, licensed, signer, alice, gateway
):
    licenses = [licensed(alice, unit_price=PRICE) for _ in range(5)]
    meter.deposit(ETH, 10_000, value=10_000, sender=alice)
    for n, lic in enumerate(licenses, start=1):
        accept(signer(alice, lic, 10 * n), alice)

    report = settle(ledger, suite, chain, gateway, batch_size=2)
    assert len(report.transactions) == 3
    assert sorted((s.license_id, s.units, s.amount) for s in report.settled) == [
        (lic, 10 * n, 10 * n * PRICE) for n, lic in enumerate(licenses, start=1)
    ]
    assert report.totals() == {ETH: 150 * PRICE}
    assert not report.skipped
    assert ledger.pending() == []
    for n, lic in enumerate(licenses, start=1):
        assert ledger.settled_units(lic) == license_token.usageTerms(lic).unitsUsed == 10 * n

    head = chain.blocks.head.number
    again = settle(ledger, suite, chain, gateway)
    assert (again.settled, again.skipped, again.transactions) == ([], [], [])
    assert chain.blocks.head.number == head


def test_the_ledger_catches_up_with_settlements_it_never_recorded(
    ledger, accept, suite, chain, meter, license_token, licensed, signer, alice, gateway
):
    done, partly = licensed(alice, unit_price=PRICE), licensed(alice, unit_price=PRICE)
    meter.deposit(ETH, 10_000, value=10_000, sender=alice)
    for lic, units in ((done, 10), (partly, 30)):
        accept(signer(alice, lic, units), alice)
    # A previous run settled these on chain and died before recording them.
    meter.settleBatch(
        [(done, 10, signer(alice, done, 10).voucher.deadline), (partly, 12, 4_000_000_000)],
        [signer(alice, done, 10).signature, signer(alice, partly, 12).signature],
        sender=gateway,
    )

    report = settle(ledger, suite, chain, gateway)
    assert report.synced == 2
    assert [(s.license_id, s.units) for s in report.settled] == [(partly, 18)]
    assert license_token.usageTerms(partly).unitsUsed == 30
    assert ledger.pending() == []


@pytest.mark.parametrize("batch_size", [1, 3])
def test_vouchers_that_cannot_settle_are_reported_with_the_meters_reason(
    ledger,
    accept,
    suite,
    chain,
    meter,
    license_token,
    licensed,
    signer,
    alice,
    bob,
    gateway,
    batch_size,
):
    good = licensed(alice, unit_price=PRICE)
    moved = licensed(alice, unit_price=PRICE)
    broke = licensed(bob, unit_price=PRICE)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    now = chain.blocks.head.timestamp
    accept(signer(alice, good, 5), alice)
    accept(signer(alice, moved, 5), alice)
    accept(signer(bob, broke, 5), bob)
    accept(signer(alice, 999, 5), alice)
    accept(signer(alice, good + 1000, 1, deadline=now + 10), alice)  # unknown and soon expired
    expiring = licensed(alice, unit_price=PRICE)
    accept(signer(alice, expiring, 1, deadline=now + 60), alice)
    license_token.transferFrom(alice, bob, moved, sender=alice)
    chain.pending_timestamp += 120
    chain.mine()

    report = settle(ledger, suite, chain, gateway, batch_size=batch_size)
    assert [(s.license_id, s.units) for s in report.settled] == [(good, 5)]
    reasons = {k.license_id: (k.reason.name, k.sent) for k in report.skipped}
    # A bad voucher travels only in a batch where something settles: alone, it is asked
    # about with a static call and never sent.
    shares_a_batch_with_good = batch_size == 3
    assert reasons == {
        999: ("LicenseTokenUnknownLicense", False),
        good + 1000: ("LicenseTokenUnknownLicense", False),
        expiring: ("UsageMeterVoucherExpired", False),
        moved: ("UsageMeterBadSignature", shares_a_batch_with_good),
        broke: ("UsageMeterInsufficientEscrow", shares_a_batch_with_good),
    }
    bad_signature = next(k.reason for k in report.skipped if k.license_id == moved)
    assert bad_signature.args == {"licenseId": moved, "holder": bob.address}
    assert len(report.transactions) == 1
    assert {s.voucher.license_id for s in ledger.pending()} == {
        999,
        good + 1000,
        expiring,
        moved,
        broke,
    }


def test_batch_size_must_fit_the_meter(ledger, suite, chain, gateway):
    for size in (0, 257):
        with pytest.raises(InputError, match="between 1 and the meter's 256"):
            settle(ledger, suite, chain, gateway, batch_size=size)


# ---------------------------------------------------------------------------- decoding


def error_bytes(signature, types, values):
    return keccak(text=signature)[:4] + encode(types, values)


def test_errors_decode_by_selector_with_named_values(suite, meter, alice):
    decoder = suite_decoder(suite)
    data = error_bytes(
        "UsageMeterInsufficientEscrow(address,address,uint256,uint256)",
        ["address", "address", "uint256", "uint256"],
        [alice.address, ETH, 5, 9],
    )
    decoded = decoder.decode(data)
    assert decoded.name == "UsageMeterInsufficientEscrow"
    assert decoded.args == {"account": alice.address, "currency": ETH, "available": 5, "needed": 9}
    assert str(decoded) == (
        f"UsageMeterInsufficientEscrow(account={alice.address}, currency={ETH}, "
        "available=5, needed=9)"
    )
    unknown = decoder.decode(error_bytes("LicenseTokenUnknownLicense(uint256)", ["uint256"], [7]))
    assert unknown == DecodedError("LicenseTokenUnknownLicense", {"licenseId": 7})


def test_builtin_unknown_and_malformed_reverts_decode_without_raising():
    decoder = ErrorDecoder([])
    assert decoder.decode(error_bytes("Error(string)", ["string"], ["no"])) == DecodedError(
        "Error", {"message": "no"}
    )
    assert decoder.decode(error_bytes("Panic(uint256)", ["uint256"], [0x11])).args == {"code": 0x11}
    assert decoder.decode(b"\xde\xad\xbe\xef\x01").name == "unknown error"
    assert decoder.decode(keccak(text="Error(string)")[:4] + b"\x00" * 3).name == "unknown error"
    assert decoder.decode(b"").name == "reverted without a reason"


def test_tuple_arguments_use_their_canonical_signature():
    abi = [
        {
            "type": "error",
            "name": "Bad",
            "inputs": [
                {
                    "name": "v",
                    "type": "tuple[]",
                    "components": [{"name": "a", "type": "uint256"}, {"name": "b", "type": "bool"}],
                }
            ],
        }
    ]
    data = error_bytes("Bad((uint256,bool)[])", ["(uint256,bool)[]"], [[(1, True)]])
    assert ErrorDecoder([abi]).decode(data) == DecodedError("Bad", {"v": ((1, True),)})


def test_explain_gives_a_sentence_for_meter_errors_and_the_raw_error_otherwise():
    stale = DecodedError(
        "UsageMeterStaleVoucher", {"licenseId": 1, "cumulativeUnits": 5, "unitsUsed": 9}
    )
    assert explain(stale) == "already settled up to 9 units"
    other = DecodedError("Whatever", {"x": 1})
    assert explain(other) == "Whatever(x=1)"


# ---------------------------------------------------------------------------- helpers


def test_an_ape_account_signs_the_same_voucher_as_its_key(suite, meter, alice):
    voucher = Voucher(3, 40, 4_000_000_000)
    signature = sign_with_account(alice, voucher, suite.chain_id, meter.address)
    assert signature == sign(voucher, suite.chain_id, meter.address, alice.private_key)
    assert recover(voucher, suite.chain_id, meter.address, signature) == alice.address


def test_preflight_names_the_error_a_call_would_revert_with(suite, meter, alice, bob):
    decoder = suite_decoder(suite)
    with pytest.raises(ChainError, match=r"UsageMeterInsufficientEscrow\(.*needed=5\)"):
        preflight(meter, "requestWithdrawal", ETH, 5, sender=bob.address, decoder=decoder)
    meter.deposit(ETH, 5, value=5, sender=alice)
    preflight(meter, "requestWithdrawal", ETH, 5, sender=alice.address, decoder=decoder)


def test_license_usage_reads_terms_and_explains_unsettleable_vouchers(
    suite, chain, licensed, alice
):
    capped = license_usage(suite, licensed(alice, unit_price=PRICE, max_units=10))
    assert (capped.holder, capped.unit_price, capped.cap, capped.units_left) == (
        alice.address,
        PRICE,
        10,
        10,
    )
    now = chain.blocks.head.timestamp
    assert capped.voucher_problem(10, now) is None
    assert "exceed" in capped.voucher_problem(11, now)
    assert "already settled 0 units" in capped.voucher_problem(0, now)
    unusable = license_usage(suite, licensed(alice, scopes=COMMERCIAL))
    assert "cannot be metered" in unusable.voucher_problem(1, now)
    with pytest.raises(ChainError, match="does not exist"):
        license_usage(suite, 999)
