"""seedbed.core.x402: the wire format of the gateway's payments, and the x402 SDK reading it."""

import base64
import json

import pytest
from clientkit import CHAIN_ID, METER, OPERATOR, PAYER, challenge, offer, signed_voucher
from x402.http.utils import decode_payment_required_header, decode_payment_response_header

from seedbed.core import x402


def test_encode_and_decode_are_inverse():
    document = {"a": [1, "2", {"b": None}], "c": "é"}
    assert x402.decode(x402.encode(document), "H") == document


@pytest.mark.parametrize(
    "value",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2]").decode(),  # JSON, but not an object
        base64.b64encode(b"\xff\xfe").decode(),  # not UTF-8
        base64.b64encode(b"[" * 12_000).decode(),  # nesting deeper than Python's recursion
        base64.b64encode(b'{"n": 1' + b"0" * 5000 + b"}").decode(),  # over int's digit limit
    ],
)
def test_decode_refuses_what_is_not_a_base64_json_object(value):
    with pytest.raises(x402.PaymentError) as err:
        x402.decode(value, "PAYMENT-SIGNATURE")
    assert err.value.code == x402.INVALID_PAYLOAD


def test_decode_refuses_an_oversized_header_unread():
    with pytest.raises(x402.PaymentError, match="over 16384 bytes"):
        x402.decode("A" * (x402.MAX_HEADER_BYTES + 1), "H")


def test_requirements_carry_the_channel_once_known():
    last = signed_voucher(4)
    req = offer(license_id=7, payer=PAYER, unit_price=5, served=4, last_voucher=last, units=3)
    r = req.requirements()
    assert r["scheme"] == x402.SCHEME and r["network"] == f"eip155:{CHAIN_ID}"
    assert r["amount"] == "15" and r["payTo"] == OPERATOR
    assert r["extra"]["domain"] == {
        "name": "Seedbed UsageMeter",
        "version": "2",
        "chainId": CHAIN_ID,
        "verifyingContract": METER,
    }
    assert r["extra"]["served"] == "4" and r["extra"]["licenseId"] == "7"
    assert r["extra"]["lastVoucher"] == last.to_json()


def test_requirements_without_a_license_cost_zero_and_name_no_channel():
    r = offer().requirements()
    assert r["amount"] == "0"
    assert not {"licenseId", "payer", "served", "unitPrice", "lastVoucher"} & set(r["extra"])


def test_the_x402_sdk_reads_the_payment_required_header():
    header, body = challenge(x402.STALE_VOUCHER, license_id=7, payer=PAYER, served=2)
    parsed = decode_payment_required_header(header)
    assert parsed.x402_version == 2 and parsed.error == x402.STALE_VOUCHER
    assert parsed.accepts[0].scheme == x402.SCHEME and parsed.accepts[0].pay_to == OPERATOR
    assert parsed.accepts[0].extra["served"] == "2"
    assert x402.PAYMENT_IDENTIFIER in parsed.extensions
    v1 = json.loads(body)
    assert v1["x402Version"] == 1 and v1["accepts"][0]["maxAmountRequired"] == "0"
    assert v1["message"] == "Pay for it."


def test_a_payment_round_trips_with_its_payment_identifier():
    signed = signed_voucher(9)
    document = x402.payment_payload(
        signed, offer().requirements(), payment_id="sb_" + "a" * 20, resource={"url": "u"}
    )
    payment = x402.parse_payment(x402.encode(document), x402.PAYMENT_SIGNATURE, CHAIN_ID)
    assert payment.signed == signed and payment.version == 2
    assert payment.payment_id == "sb_" + "a" * 20


def test_a_v1_payment_round_trips():
    signed = signed_voucher(9)
    document = x402.payment_payload(signed, offer().requirements(), version=1)
    assert "accepted" not in document and document["scheme"] == x402.SCHEME
    payment = x402.parse_payment(x402.encode(document), x402.V1_PAYMENT, CHAIN_ID)
    assert payment.signed == signed and payment.version == 1 and payment.payment_id is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"x402Version": 3}, x402.INVALID_VERSION),
        ({"accepted": None}, x402.INVALID_PAYLOAD),
        ({"accepted": {"scheme": "exact", "network": f"eip155:{CHAIN_ID}"}}, x402.INVALID_SCHEME),
        ({"accepted": {"scheme": x402.SCHEME, "network": "eip155:1"}}, x402.INVALID_NETWORK),
        ({"payload": {"signature": "0x00"}}, x402.INVALID_PAYLOAD),
        ({"extensions": []}, x402.INVALID_PAYLOAD),
    ],
)
def test_parse_payment_names_what_is_wrong(change, code):
    document = x402.payment_payload(signed_voucher(1), offer().requirements())
    document.update(change)
    with pytest.raises(x402.PaymentError) as err:
        x402.parse_payment(x402.encode(document), x402.PAYMENT_SIGNATURE, CHAIN_ID)
    assert err.value.code == code


@pytest.mark.parametrize(
    "ident",
    ["short", "a" * 129, "has space in it ok", "a" * 20 + "\n", "a" * 20 + "!", 12345678901234567],
)
def test_a_payment_identifier_outside_x402s_rule_is_refused(ident):
    document = x402.payment_payload(signed_voucher(1), offer().requirements())
    document["extensions"] = {x402.PAYMENT_IDENTIFIER: {"info": {"id": ident}}}
    with pytest.raises(x402.PaymentError, match="payment-identifier"):
        x402.parse_payment(x402.encode(document), x402.PAYMENT_SIGNATURE, CHAIN_ID)


def test_a_payment_identifier_extension_without_an_id_is_none():
    document = x402.payment_payload(signed_voucher(1), offer().requirements())
    document["extensions"] = {x402.PAYMENT_IDENTIFIER: {"info": {"required": False}}}
    payment = x402.parse_payment(x402.encode(document), x402.PAYMENT_SIGNATURE, CHAIN_ID)
    assert payment.payment_id is None


def test_payment_response_reads_back_and_through_the_sdk():
    v = signed_voucher(12).voucher
    value = x402.payment_response(CHAIN_ID, v, amount=30, units=3, served=12, unit_price=10)
    document = x402.read_payment_response(value)
    assert document["success"] is True and document["amount"] == "30"
    assert document["extensions"]["seedbed"] == {
        "licenseId": "7",
        "units": "3",
        "served": "12",
        "voucherUnits": "12",
        "unitPrice": "10",
    }
    sdk = decode_payment_response_header(value)
    assert sdk.success and sdk.payer == PAYER and sdk.extensions["seedbed"]["served"] == "12"


def test_read_payment_response_refuses_a_document_without_success():
    with pytest.raises(x402.PaymentError, match="success"):
        x402.read_payment_response(x402.encode({"transaction": ""}))
