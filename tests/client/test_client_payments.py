"""seedbed.client.payments: from a 402's requirements to the voucher, with no HTTP at all."""

import dataclasses

import pytest
from clientkit import (
    CHAIN_ID,
    LICENSE,
    METER,
    OPERATOR,
    OTHER_KEY,
    PAYER,
    PAYER_KEY,
    challenge,
    requirements,
    signed_voucher,
)

from seedbed.client import (
    Challenge,
    GatewayError,
    PaidCall,
    PaymentRefused,
    PaymentRequiredError,
    Requirements,
    VoucherSigner,
)
from seedbed.client.payments import ChallengeCache, ChannelBook, record_payment_response
from seedbed.core import x402
from seedbed.core.vouchers import VoucherDomain

NOW = 1_700_000_000


def signer(**kw):
    kw.setdefault("license_id", LICENSE)
    return VoucherSigner(PAYER_KEY, clock=lambda: NOW + 0.9, **kw)


def req(**kw):
    return Requirements.parse(requirements(**kw))


# -- reading requirements ---------------------------------------------------------------------


def test_requirements_are_read_with_every_channel_field():
    last = signed_voucher(5)
    r = req(units=3, license_id=LICENSE, payer=PAYER, unit_price=2, served=5, last_voucher=last)
    assert (r.chain_id, r.meter_address, r.operator) == (CHAIN_ID, METER, OPERATOR)
    assert (r.units, r.amount, r.pricing, r.asset_id) == (3, 6, "call", 3)
    assert (r.license_id, r.payer, r.unit_price, r.served) == (LICENSE, PAYER, 2, 5)
    assert r.last_voucher == last


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r.update(scheme="exact"), "scheme"),
        (lambda r: r.pop("extra"), "extra"),
        (lambda r: r["extra"].pop("domain"), "domain"),
        (lambda r: r.update(network="eip155:1"), "network"),
        (lambda r: r["extra"].update(units="many"), "units"),
        (lambda r: r["extra"].update(pricing="auction"), "pricing"),
        (lambda r: r.update(payTo="nobody"), "payTo"),
        (lambda r: r["extra"].update(lastVoucher={"licenseId": "1"}), "payer"),
    ],
)
def test_malformed_requirements_are_a_gateway_error(edit, match):
    r = requirements()
    edit(r)
    with pytest.raises(GatewayError, match=match) as err:
        Requirements.parse(r)
    assert err.value.status == 402


def test_another_eip712_domain_is_refused_before_anything_is_signed():
    r = requirements()
    r["extra"]["domain"]["name"] = "Some Other Meter"
    with pytest.raises(PaymentRefused, match="Some Other Meter"):
        Requirements.parse(r)


def test_a_challenge_reads_the_header_code_and_the_body_message():
    header, body = challenge(x402.STALE_VOUCHER, served=4, license_id=LICENSE, payer=PAYER)
    c = Challenge.read(header, body)
    assert (c.version, c.code, c.message) == (2, x402.STALE_VOUCHER, "Pay for it.")
    assert c.requirements.served == 4 and c.resource["url"].endswith("/x")
    assert x402.PAYMENT_IDENTIFIER in c.extensions


def test_a_v1_challenge_is_read_from_the_body_alone():
    _, body = challenge()
    c = Challenge.read(None, body)
    assert c.version == 1 and c.requirements.units == 1 and c.resource["url"].endswith("/x")


def test_a_402_without_terms_is_a_gateway_error_with_its_own_sentence():
    with pytest.raises(GatewayError, match="no money") as err:
        Challenge.read(None, b'{"error": "license_invalid", "message": "no money"}')
    assert err.value.code == "license_invalid"


# -- signing ----------------------------------------------------------------------------------


def test_the_voucher_covers_served_plus_units_on_the_channel_the_terms_name():
    s = signer(validity=600)
    signed = s.voucher(req(units=3, served=10))
    v = signed.voucher
    assert (v.license_id, v.payer, v.operator) == (LICENSE, PAYER, OPERATOR)
    assert v.cumulative_units == 13 and v.deadline == NOW + 600
    assert VoucherDomain(CHAIN_ID, METER).recover(signed) == PAYER


def test_the_served_count_is_the_larger_of_ours_and_the_gateways():
    s = signer()
    channel = (LICENSE, PAYER, OPERATOR)
    s.book.observe(channel, 20)
    assert s.voucher(req(units=1, served=10)).voucher.cumulative_units == 21  # ours is higher
    assert s.voucher(req(units=1, served=30)).voucher.cumulative_units == 31  # the gateway's
    assert s.book.get(channel) == 30  # adopted, and signing alone does not raise it


def test_a_delegated_signer_signs_for_the_payer_it_is_configured_with():
    other = VoucherSigner(OTHER_KEY, license_id=LICENSE, payer=PAYER)
    signed = other.voucher(req())
    assert signed.voucher.payer == PAYER
    assert VoucherDomain(CHAIN_ID, METER).recover(signed) == other.address != PAYER


def test_the_license_comes_from_the_terms_when_the_client_has_none():
    s = VoucherSigner(PAYER_KEY)
    assert s.voucher(req(license_id=9, payer=PAYER)).voucher.license_id == 9
    with pytest.raises(PaymentRefused, match="pass license_id"):
        s.voucher(req())


@pytest.mark.parametrize(
    ("configured", "terms", "match"),
    [
        ({"chain_id": 1}, {}, "chain 31337, but this client is configured for chain 1"),
        ({"meter_address": "0x" + "cd" * 20}, {}, "configured for the meter"),
        ({}, {"license_id": 8}, "license 8, not this client's license 7"),
        ({}, {"payer": "0x" + "99" * 20}, "not this client's"),
        ({"max_units": 2}, {"units": 3}, "over this client's limit of 2"),
    ],
)
def test_terms_the_client_was_not_configured_for_are_refused(configured, terms, match):
    with pytest.raises(PaymentRefused, match=match):
        signer(**configured).voucher(req(**terms))


def test_a_served_count_the_gateways_own_voucher_does_not_cover_is_refused():
    s = signer()
    last = signed_voucher(5)
    with pytest.raises(PaymentRefused, match="covers only 5"):
        s.adopt(req(served=50, last_voucher=last))
    assert s.book.get((LICENSE, PAYER, OPERATOR)) == 0
    assert s.adopt(req(served=5, last_voucher=last)) == 5


def test_an_unusable_key_or_validity_is_an_input_error():
    with pytest.raises(Exception, match="private key"):
        VoucherSigner("0x1234")
    with pytest.raises(Exception, match="validity"):
        VoucherSigner(PAYER_KEY, validity=0)


def test_the_payment_header_names_the_terms_the_resource_and_the_identifier():
    header, body = challenge(units=2)
    name, value = signer().payment_header(Challenge.read(header, body), "sb_" + "q" * 20, "u://r")
    assert name == x402.PAYMENT_SIGNATURE
    document = x402.decode(value, name)
    assert document["accepted"] == requirements(units=2)
    assert document["resource"]["url"] == "u://r"
    payment = x402.parse_payment(value, name, CHAIN_ID)
    assert payment.payment_id == "sb_" + "q" * 20
    assert payment.signed.voucher.cumulative_units == 2


# -- what the gateway says was served ---------------------------------------------------------


def test_a_payment_response_raises_the_channel_count_and_a_replayed_one_does_not_lower_it():
    book = ChannelBook()
    channel = (LICENSE, PAYER, OPERATOR)
    v = signed_voucher(8).voucher
    record_payment_response(book, x402.payment_response(CHAIN_ID, v, 0, 3, 8, 1), channel)
    assert book.get(channel) == 8
    record_payment_response(book, x402.payment_response(CHAIN_ID, v, 0, 3, 5, 1), channel)
    assert book.get(channel) == 8


def test_a_payment_response_for_another_channel_teaches_nothing():
    book = ChannelBook()
    v = signed_voucher(8, key=OTHER_KEY).voucher
    value = x402.payment_response(CHAIN_ID, v, 0, 3, 8, 1)
    assert record_payment_response(book, value, (LICENSE, PAYER, OPERATOR)) is None
    assert book.items() == []


# -- one logical call -------------------------------------------------------------------------


def paid_call(cache, s=None, **kw):
    return PaidCall(
        signer=s or signer(), cache=cache, key="route", url="u://r", book=ChannelBook(), **kw
    )


def test_a_first_call_asks_then_pays_and_a_later_one_pays_up_front():
    cache = ChallengeCache()
    call = paid_call(cache)
    first = call.headers()
    assert x402.PAYMENT_SIGNATURE not in first
    assert first["Seedbed-License"] == str(LICENSE) and first["Seedbed-Payer"] == PAYER
    retry = call.on_402(*challenge())
    assert x402.PAYMENT_SIGNATURE in retry and call.attempts == 1
    later = paid_call(cache)
    assert x402.PAYMENT_SIGNATURE in later.headers() and later.attempts == 1


def test_a_stale_voucher_is_re_signed_once_from_the_gateways_count_with_the_same_identifier():
    call = paid_call(ChallengeCache())
    call.headers()
    first = x402.parse_payment(
        call.on_402(*challenge())[x402.PAYMENT_SIGNATURE], x402.PAYMENT_SIGNATURE, CHAIN_ID
    )
    assert first.signed.voucher.cumulative_units == 1
    header, body = challenge(x402.STALE_VOUCHER, served=41, license_id=LICENSE, payer=PAYER)
    second = x402.parse_payment(
        call.on_402(header, body)[x402.PAYMENT_SIGNATURE], x402.PAYMENT_SIGNATURE, CHAIN_ID
    )
    assert second.signed.voucher.cumulative_units == 42
    assert first.payment_id == second.payment_id == call.payment_id
    with pytest.raises(PaymentRequiredError, match="refused 2 vouchers") as err:
        call.on_402(header, body)
    assert err.value.code == x402.STALE_VOUCHER


@pytest.mark.parametrize("code", [x402.LICENSE_INVALID, x402.EXPOSURE_CAP, x402.INVALID_PAYLOAD])
def test_a_refusal_a_new_voucher_cannot_mend_is_raised_with_the_gateways_code(code):
    call = paid_call(ChallengeCache())
    call.headers()
    call.on_402(*challenge())
    with pytest.raises(PaymentRequiredError) as err:
        call.on_402(*challenge(code))
    assert err.value.code == code and err.value.message == "Pay for it."
    assert err.value.requirements["scheme"] == x402.SCHEME


def test_an_api_key_call_never_signs():
    call = paid_call(ChallengeCache(), api_key="k-123")
    assert call.headers()["Authorization"] == "Bearer k-123"
    assert x402.PAYMENT_SIGNATURE not in call.headers()
    with pytest.raises(PaymentRequiredError):
        call.on_402(*challenge())


def test_a_client_without_a_key_says_how_to_pay():
    call = PaidCall(signer=None, cache=ChallengeCache(), key="r", url="u", book=ChannelBook())
    with pytest.raises(PaymentRequiredError, match="pass private_key or api_key"):
        call.on_402(*challenge())


def test_cached_terms_this_client_refuses_are_not_paid_up_front():
    cache = ChallengeCache()
    cache.put("route", Challenge.read(*challenge(chain_id=5)))
    call = paid_call(cache, signer(chain_id=CHAIN_ID))
    assert x402.PAYMENT_SIGNATURE not in call.headers() and call.attempts == 0


def test_every_logical_call_draws_its_own_identifier():
    ids = {paid_call(ChallengeCache()).payment_id for _ in range(20)}
    assert len(ids) == 20
    assert all(x402._PAYMENT_ID.fullmatch(i) for i in ids)


def test_requirements_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        req().units = 5
