"""seedbed.workflows.meter and channels: settling a ledger in batches (reconciled with each
channel on chain first), payAsset for every asset it touched, reasons for skipped vouchers
decoded from the contracts' ABIs, every meter error explained, signing with an ape account,
preflight, and a channel read from the chain."""

import re

import pytest
from eth_abi import encode
from eth_utils import keccak

from seedbed.core.constants import COMMERCIAL, ETH
from seedbed.core.errors import ChainError, InputError
from seedbed.core.reverts import _EXPLAIN, DecodedError, ErrorDecoder, explain
from seedbed.core.vouchers import Voucher, recover, sign
from seedbed.workflows.channels import channel_view, license_terms, reader
from seedbed.workflows.ledger import VoucherLedger
from seedbed.workflows.meter import (
    channel_id,
    preflight,
    settle_ledger,
    sign_with_account,
    suite_decoder,
)
from seedbed.workflows.usage import voucher_problem

PRICE = 10


@pytest.fixture
def ledger(tmp_path, suite, chain, meter):
    path = tmp_path / "gateway.db"
    with VoucherLedger(path, suite.chain_id, meter.address, reader(suite, chain)) as opened:
        yield opened


@pytest.fixture
def accept(ledger, chain):
    def put(signed):
        return ledger.accept(signed, now=chain.blocks.head.timestamp)

    return put


def settle(ledger, suite, chain, gateway, batch_size=100, pay=True):
    return settle_ledger(ledger, suite, chain, gateway, batch_size=batch_size, pay=pay)[1]


# ---------------------------------------------------------------------------- settling


def test_everything_pending_settles_in_batches_then_the_assets_are_paid_and_nothing_is_left(
    ledger, accept, suite, chain, meter, vault, asset_id, licensed, signer, deposit, alice,
    gateway,
):  # fmt: skip
    licenses = [licensed(alice, unit_price=PRICE, service_bps=1_000) for _ in range(5)]
    for n, lic in enumerate(licenses, start=1):
        deposit(alice, lic, 10_000)
        accept(signer(alice, lic, 10 * n))
    vault_before = vault.accrued(asset_id, ETH)

    report = settle(ledger, suite, chain, gateway, batch_size=2)
    assert len(report.transactions) == 3
    rows = sorted(
        (s.license_id, s.payer, s.units, s.amount, s.service_share) for s in report.settled
    )
    assert rows == [
        (lic, alice.address, 10 * n, 10 * n * PRICE, n * PRICE) for n, lic in enumerate(licenses, 1)
    ]
    assert report.totals() == {ETH: 150 * PRICE}
    assert report.service_totals() == {ETH: 15 * PRICE}
    assert not report.skipped
    assert ledger.pending() == []
    for n, lic in enumerate(licenses, start=1):
        channel = (lic, alice.address, gateway.address)
        assert ledger.settled_units(channel) == meter.channel(*channel).units == 10 * n
        assert ledger.channel(channel).reserve == meter.channel(*channel).reserve
    # payAsset pushed the asset's 90% into the vault; the operator's 10% waits in the meter.
    assert [(p.asset_id, p.currency, p.amount) for p in report.paid] == [
        (asset_id, ETH, 135 * PRICE)
    ]
    assert meter.owedToAsset(asset_id, ETH) == 0
    assert vault.accrued(asset_id, ETH) > vault_before
    assert meter.earningsOf(gateway, ETH) >= 15 * PRICE

    head = chain.blocks.head.number
    again = settle(ledger, suite, chain, gateway)
    assert (again.settled, again.skipped, again.transactions, again.paid) == ([], [], [], [])
    assert chain.blocks.head.number == head


def test_a_run_that_died_before_paying_the_asset_is_caught_up_by_the_next(
    ledger, accept, suite, chain, meter, asset_id, licensed, signer, deposit, alice, gateway
):
    lic = licensed(alice, unit_price=PRICE)
    deposit(alice, lic, 1_000)
    accept(signer(alice, lic, 7))
    first = settle(ledger, suite, chain, gateway, pay=False)
    assert [s.units for s in first.settled] == [7] and first.paid == []
    assert meter.owedToAsset(asset_id, ETH) == 7 * PRICE

    again = settle(ledger, suite, chain, gateway)
    assert again.settled == [] and again.transactions == []
    assert [(p.asset_id, p.amount) for p in again.paid] == [(asset_id, 7 * PRICE)]
    assert meter.owedToAsset(asset_id, ETH) == 0


def test_the_ledger_catches_up_with_settlements_it_never_recorded(
    ledger, accept, suite, chain, meter, licensed, signer, deposit, alice, gateway
):
    done, partly = licensed(alice, unit_price=PRICE), licensed(alice, unit_price=PRICE)
    for lic in (done, partly):
        deposit(alice, lic, 10_000)
    for lic, units in ((done, 10), (partly, 30)):
        accept(signer(alice, lic, units))
    # A previous run settled these on chain and died before recording them.
    earlier = [signer(alice, done, 10), signer(alice, partly, 12)]
    meter.settleBatch(
        [s.voucher.as_tuple() for s in earlier], [s.signature for s in earlier], sender=gateway
    )

    report = settle(ledger, suite, chain, gateway)
    assert report.synced == 2
    assert [(s.license_id, s.units) for s in report.settled] == [(partly, 18)]
    assert meter.channel(partly, alice, gateway).units == 30
    assert ledger.pending() == []


@pytest.mark.parametrize("batch_size", [1, 3])
def test_vouchers_that_cannot_settle_are_reported_with_the_meters_reason(
    ledger, suite, chain, meter, license_token, licensed, signer, deposit, alice, bob,
    stranger, gateway, batch_size,
):  # fmt: skip
    good = licensed(alice, unit_price=PRICE)
    resigned = licensed(alice, unit_price=PRICE)
    drained = licensed(bob, unit_price=PRICE)
    expiring = licensed(alice, unit_price=PRICE)
    for who, lic in ((alice, good), (alice, resigned), (bob, drained), (alice, expiring)):
        deposit(who, lic, 1_000)
    now = chain.blocks.head.timestamp
    # The gateway accepted all of these while they were covered and well signed.
    for signed in (
        signer(alice, good, 5),
        signer(alice, resigned, 5),
        signer(bob, drained, 50),
        signer(alice, expiring, 1, deadline=now + 60),
    ):
        ledger.accept(signed, now=now)
    # Then the gateway sleeps through the delay and the grace after it: bob withdraws most of
    # his reserve, and alice's new signer has taken over, so her old key's voucher is void.
    meter.requestWithdrawal(drained, gateway, 900, sender=bob)
    meter.changeSigner(resigned, stranger, sender=alice)
    chain.pending_timestamp += int(meter.WITHDRAWAL_DELAY()) + int(meter.GRACE_PERIOD()) + 1
    chain.mine()
    meter.completeWithdrawal(drained, gateway, sender=bob)

    report = settle(ledger, suite, chain, gateway, batch_size=batch_size)
    assert [(s.license_id, s.units) for s in report.settled] == [(good, 5)]
    reasons = {(k.license_id, k.voucher.payer): (k.reason.name, k.sent) for k in report.skipped}
    # A bad voucher travels only in a batch where something settles: alone, it is asked
    # about with a static call and never sent.
    shares_a_batch_with_good = batch_size == 3
    assert reasons == {
        (expiring, alice.address): ("UsageMeterVoucherExpired", False),
        (resigned, alice.address): ("UsageMeterBadSignature", shares_a_batch_with_good),
        (drained, bob.address): ("UsageMeterInsufficientReserve", shares_a_batch_with_good),
    }
    bad_signature = next(k.reason for k in report.skipped if k.license_id == resigned)
    assert bad_signature.args == {
        "licenseId": resigned, "payer": alice.address, "signer": stranger.address,
    }  # fmt: skip
    assert len(report.transactions) == 1
    assert {s.voucher.license_id for s in ledger.pending()} == {expiring, resigned, drained}


def test_batch_size_must_fit_the_meter(ledger, suite, chain, gateway):
    for size in (0, 257):
        with pytest.raises(InputError, match="between 1 and the meter's 256"):
            settle(ledger, suite, chain, gateway, batch_size=size)


# ---------------------------------------------------------------------------- reading


def test_a_channel_read_from_chain_is_what_backs_its_vouchers(
    suite, chain, meter, licensed, deposit, alice, stranger, gateway
):
    lic = licensed(alice, unit_price=PRICE, max_units=100, service_bps=500)
    fresh = channel_view(suite, chain, lic, alice.address, gateway.address)
    assert not fresh.opened and fresh.state.unit_price == PRICE
    meter.open(lic, gateway, stranger, 40, sender=alice)
    deposit(alice, lic, 300)
    meter.requestWithdrawal(lic, gateway, 100, sender=alice)
    meter.changeSigner(lic, alice, sender=alice)

    view = channel_view(suite, chain, lic, alice.address, gateway.address)
    s = view.state
    assert (s.reserve, s.units, s.unit_limit, s.signer, s.withdrawal) == (
        300, 0, 40, stranger.address, 100,
    )  # fmt: skip
    assert s.signer_until == view.now + int(meter.WITHDRAWAL_DELAY())
    assert s.available(view.now) == 200
    assert s.available(view.window_end + 1) == 300  # a lapsed withdrawal claims nothing
    assert view.withdrawal_status == "waiting"
    terms = license_terms(suite, lic)
    assert (terms.service_bps, terms.units_allotted, terms.units_unallotted) == (500, 40, 60)
    assert channel_id(s.channel) == bytes(meter.channelId(*s.channel))


def test_voucher_problem_names_why_a_channel_would_not_settle_it(
    suite, chain, licensed, deposit, alice, bob, gateway
):
    lic = licensed(alice, unit_price=PRICE, max_units=10)
    none = channel_view(suite, chain, lic, alice.address, gateway.address)
    assert "deposits into it (or opens it) first" in voucher_problem(none, alice.address, 1)
    deposit(alice, lic, 100)
    view = channel_view(suite, chain, lic, alice.address, gateway.address)
    assert voucher_problem(view, alice.address, 10) is None
    assert "unit limit" in voucher_problem(view, alice.address, 11)
    assert "already settled 0 units" in voucher_problem(view, alice.address, 0)
    assert f"its voucher signer is {alice.address}" in voucher_problem(view, bob.address, 5)
    with pytest.raises(ChainError, match="does not exist"):
        license_terms(suite, 999)
    assert not license_terms(suite, licensed(alice, scopes=COMMERCIAL)).meterable


# ---------------------------------------------------------------------------- decoding


def error_bytes(signature, types, values):
    return keccak(text=signature)[:4] + encode(types, values)


def test_errors_decode_by_selector_with_named_values(suite):
    decoder = suite_decoder(suite)
    cid = b"\x07" * 32
    data = error_bytes(
        "UsageMeterInsufficientReserve(bytes32,uint256,uint256)",
        ["bytes32", "uint256", "uint256"],
        [cid, 5, 9],
    )
    decoded = decoder.decode(data)
    assert decoded == DecodedError(
        "UsageMeterInsufficientReserve", {"channelId": cid, "available": 5, "needed": 9}
    )
    assert (
        str(decoded)
        == f"UsageMeterInsufficientReserve(channelId=0x{cid.hex()}, available=5, needed=9)"
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


def test_every_meter_error_has_an_explanation_over_its_own_values(
    meter, license_token, court, suite
):
    """One sentence per UsageMeter, AssetCourt, PrivateData, LabelCampaigns and Attestations
    error, and none for an error the contracts no longer have; each sentence names only values
    the error carries."""
    errors = {e.name: [i.name for i in e.inputs] for e in meter.contract_type.errors}
    errors |= {e.name: [i.name for i in e.inputs] for e in license_token.contract_type.errors}
    errors |= {e.name: [i.name for i in e.inputs] for e in court.contract_type.errors}
    errors |= {e.name: [i.name for i in e.inputs] for e in suite.private.contract_type.errors}
    errors |= {e.name: [i.name for i in e.inputs] for e in suite.campaigns.contract_type.errors}
    errors |= {e.name: [i.name for i in e.inputs] for e in suite.attestations.contract_type.errors}
    prefixes = ("UsageMeter", "AssetCourt", "PrivateData", "Campaign", "Attestations")
    ours = {n for n in errors if n.startswith(prefixes)}
    assert ours <= _EXPLAIN.keys()
    assert _EXPLAIN.keys() <= errors.keys(), _EXPLAIN.keys() - errors.keys()
    for name, template in _EXPLAIN.items():
        assert set(re.findall(r"{(\w+)}", template)) <= set(errors[name]), name
        sample = DecodedError(name, {arg: 1 for arg in errors[name]})
        assert explain(sample) != str(sample)


def test_explain_gives_a_sentence_for_meter_errors_and_the_raw_error_otherwise():
    stale = DecodedError(
        "UsageMeterStaleVoucher",
        {"channelId": b"\x01" * 32, "cumulativeUnits": 5, "unitsCharged": 9},
    )
    assert (
        explain(stale)
        == "the channel already settled 9 units; the voucher covers 5 in total, not more"
    )
    other = DecodedError("Whatever", {"x": 1})
    assert explain(other) == "Whatever(x=1)"


# ---------------------------------------------------------------------------- helpers


def test_an_ape_account_signs_the_same_voucher_as_its_key(suite, meter, alice, gateway):
    voucher = Voucher(3, alice.address, gateway.address, 40, 4_000_000_000)
    signature = sign_with_account(alice, voucher, suite.chain_id, meter.address)
    assert signature == sign(voucher, suite.chain_id, meter.address, alice.private_key)
    assert recover(voucher, suite.chain_id, meter.address, signature) == alice.address


def test_preflight_names_the_error_a_call_would_revert_with(
    suite, meter, licensed, deposit, alice, gateway
):
    decoder = suite_decoder(suite)
    lic = licensed(alice, unit_price=PRICE)
    with pytest.raises(ChainError, match=r"UsageMeterInsufficientReserve\(.*needed=5\)"):
        preflight(
            meter, "requestWithdrawal", lic, gateway, 5, sender=alice.address, decoder=decoder
        )
    deposit(alice, lic, 5)
    preflight(meter, "requestWithdrawal", lic, gateway, 5, sender=alice.address, decoder=decoder)


def test_flows_and_claims_first_pay_what_the_meter_still_owes_the_asset(
    ledger, accept, suite, chain, meter, vault, asset_id, licensed, signer, deposit, alice,
    gateway,
):  # fmt: skip
    from seedbed.workflows.claims import pay_owed

    lic = licensed(alice, unit_price=PRICE)
    deposit(alice, lic, 1_000)
    accept(signer(alice, lic, 9))
    settle(ledger, suite, chain, gateway, pay=False)  # a settlement that did not pay the asset
    accrued = vault.accrued(asset_id, ETH)
    assert pay_owed(suite, gateway, [(asset_id, ETH), (asset_id, ETH)]) == [
        (asset_id, ETH, 9 * PRICE)
    ]
    assert meter.owedToAsset(asset_id, ETH) == 0
    assert vault.accrued(asset_id, ETH) == accrued + 9 * PRICE  # no fee on this suite
    assert pay_owed(suite, gateway, [(asset_id, ETH)]) == []  # nothing sent twice
