"""EIP-712 vouchers: the digest is UsageMeter's, signatures round-trip, malleability is refused."""

import json

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from seedbed.core.errors import InputError
from seedbed.core.signatures import SECP256K1_N
from seedbed.core.vouchers import (
    UINT256_MAX,
    SignedVoucher,
    Voucher,
    VoucherDomain,
    digest,
    recover,
    sign,
    typed_data,
)

CHAIN_ID = 31337
METER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = Account.from_key(keccak(b"alice"))
PAYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OPERATOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
VOUCHER = Voucher(42, PAYER, OPERATOR, 1_500, 1_900_000_000)

uint256 = st.integers(min_value=0, max_value=UINT256_MAX)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
vouchers = st.builds(Voucher, uint256, addresses, addresses, uint256, uint256)


def hand_digest(voucher: Voucher, chain_id: int, meter: str) -> bytes:
    """EIP-712 written out from the spec, sharing no code with seedbed.core.vouchers."""
    domain_typehash = keccak(
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [domain_typehash, keccak(b"Seedbed UsageMeter"), keccak(b"2"), chain_id, meter],
        )
    )
    voucher_typehash = keccak(
        b"Voucher(uint256 licenseId,address payer,address operator,uint256 cumulativeUnits,"
        b"uint256 deadline)"
    )
    struct_hash = keccak(
        encode(
            ["bytes32", "uint256", "address", "address", "uint256", "uint256"],
            [
                voucher_typehash,
                voucher.license_id,
                voucher.payer,
                voucher.operator,
                voucher.cumulative_units,
                voucher.deadline,
            ],
        )
    )
    return keccak(b"\x19\x01" + separator + struct_hash)


def test_digest_matches_the_eip712_formula_written_by_hand():
    assert digest(VOUCHER, CHAIN_ID, METER) == hand_digest(VOUCHER, CHAIN_ID, METER)


def test_digest_known_vector_is_pinned():
    # Voucher(42, anvil account 1, account 4, 1500, 1.9e9) on chain 31337, meter at anvil's
    # first CREATE address (domain version "2"): a change to the encoding shows here.
    assert digest(VOUCHER, CHAIN_ID, METER).hex() == (
        "6773156ac9f2d8166122f0aa5acdfe3d917a1ad2e4c3cdf3573fc7ad38061675"
    )
    assert VoucherDomain(CHAIN_ID, METER).separator.hex() == (
        "7c5856ea21e646528083a28f64921932a1723ac3804c641b9bf13a333feee925"
    )


@given(vouchers, st.integers(min_value=1, max_value=2**64))
def test_digest_equals_the_hand_formula_for_any_voucher_and_chain(voucher, chain_id):
    assert digest(voucher, chain_id, METER) == hand_digest(voucher, chain_id, METER)


@given(vouchers)
def test_fast_domain_digest_equals_eth_account_digest(voucher):
    assert VoucherDomain(CHAIN_ID, METER).digest(voucher) == digest(voucher, CHAIN_ID, METER)


@pytest.mark.parametrize(
    "changed",
    [
        (Voucher(43, PAYER, OPERATOR, 1_500, 1_900_000_000), CHAIN_ID, METER),
        (Voucher(42, OPERATOR, OPERATOR, 1_500, 1_900_000_000), CHAIN_ID, METER),
        (Voucher(42, PAYER, PAYER, 1_500, 1_900_000_000), CHAIN_ID, METER),
        (Voucher(42, PAYER, OPERATOR, 1_501, 1_900_000_000), CHAIN_ID, METER),
        (Voucher(42, PAYER, OPERATOR, 1_500, 1_900_000_001), CHAIN_ID, METER),
        (VOUCHER, CHAIN_ID + 1, METER),
        (VOUCHER, CHAIN_ID, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"),
    ],
    ids=["license", "payer", "operator", "units", "deadline", "chain", "meter"],
)
def test_digest_changes_with_every_field_chain_and_meter(changed):
    assert digest(*changed) != digest(VOUCHER, CHAIN_ID, METER)


def test_meter_address_case_does_not_change_the_digest():
    assert digest(VOUCHER, CHAIN_ID, METER.lower()) == digest(VOUCHER, CHAIN_ID, METER)


@given(vouchers)
def test_sign_then_recover_returns_the_signer(voucher):
    signature = sign(voucher, CHAIN_ID, METER, ALICE.key)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert recover(voucher, CHAIN_ID, METER, signature) == ALICE.address


def test_signature_for_another_chain_recovers_someone_else():
    signature = sign(VOUCHER, CHAIN_ID, METER, ALICE.key)
    assert recover(VOUCHER, CHAIN_ID + 1, METER, signature) != ALICE.address


def test_typed_data_survives_json_and_eth_account_recovers_the_signer():
    signature = sign(VOUCHER, CHAIN_ID, METER, ALICE.key)
    as_json = json.loads(json.dumps(typed_data(VOUCHER, CHAIN_ID, METER)))
    assert as_json["primaryType"] == "Voucher"
    assert as_json["domain"]["verifyingContract"] == METER
    signable = encode_typed_data(full_message=as_json)
    assert Account.recover_message(signable, signature=signature) == ALICE.address


def test_typed_data_keeps_large_values_exact_as_strings():
    big = Voucher(UINT256_MAX, PAYER, OPERATOR, 2**200, 2**64 + 1)
    message = json.loads(json.dumps(typed_data(big, CHAIN_ID, METER)))["message"]
    assert message == {
        "licenseId": str(UINT256_MAX),
        "payer": PAYER,
        "operator": OPERATOR,
        "cumulativeUnits": str(2**200),
        "deadline": str(2**64 + 1),
    }


def test_high_s_twin_of_a_valid_signature_is_rejected():
    signature = sign(VOUCHER, CHAIN_ID, METER, ALICE.key)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    # The twin is a valid ECDSA signature by Alice: only the low-s rule refuses it.
    raw = keys.Signature(vrs=(twin[64] - 27, int.from_bytes(r, "big"), SECP256K1_N - s))
    recovered = raw.recover_public_key_from_msg_hash(digest(VOUCHER, CHAIN_ID, METER))
    assert recovered.to_checksum_address() == ALICE.address
    with pytest.raises(InputError, match="high s"):
        recover(VOUCHER, CHAIN_ID, METER, twin)


@pytest.mark.parametrize("length", [0, 64, 66, 130])
def test_signature_of_wrong_length_is_rejected(length):
    with pytest.raises(InputError, match="65 bytes"):
        recover(VOUCHER, CHAIN_ID, METER, b"\x01" * length)


@pytest.mark.parametrize("v", [0, 1, 26, 29])
def test_v_other_than_27_or_28_is_rejected(v):
    signature = sign(VOUCHER, CHAIN_ID, METER, ALICE.key)
    with pytest.raises(InputError, match="27 or 28"):
        recover(VOUCHER, CHAIN_ID, METER, signature[:64] + bytes([v]))


def test_zero_r_is_rejected():
    signature = sign(VOUCHER, CHAIN_ID, METER, ALICE.key)
    with pytest.raises(InputError, match="out of range"):
        recover(VOUCHER, CHAIN_ID, METER, bytes(32) + signature[32:])


@pytest.mark.parametrize("value", [-1, UINT256_MAX + 1, True, 1.5, "7"])
def test_voucher_fields_must_be_uint256(value):
    with pytest.raises(InputError, match="not a uint256"):
        Voucher(license_id=value, payer=PAYER, operator=OPERATOR, cumulative_units=1, deadline=1)


@pytest.mark.parametrize("chain_id", [0, -1, True, "1"])
def test_bad_chain_id_is_rejected(chain_id):
    with pytest.raises(InputError, match="chain id"):
        digest(VOUCHER, chain_id, METER)


@pytest.mark.parametrize("meter", ["0x1234", "meter", "0x5fbdb2315678afecb367f032d93F642f64180aa3"])
def test_bad_meter_address_is_rejected(meter):
    with pytest.raises(InputError, match="meter address"):
        digest(VOUCHER, CHAIN_ID, meter)


def test_sign_with_an_unusable_key_is_an_input_error():
    with pytest.raises(InputError, match="private key"):
        sign(VOUCHER, CHAIN_ID, METER, b"\x00" * 31)


@given(vouchers, st.binary(min_size=1, max_size=200))
def test_signed_voucher_json_round_trips(voucher, signature):
    signed = SignedVoucher(voucher, signature)
    assert SignedVoucher.from_json(json.loads(json.dumps(signed.to_json()))) == signed


def test_signed_voucher_json_accepts_integers_and_hex():
    data = {
        "licenseId": 42,
        "payer": PAYER.lower(),
        "operator": OPERATOR,
        "cumulativeUnits": "0x5dc",
        "deadline": "1900000000",
    }
    signed = SignedVoucher.from_json({**data, "signature": "ab" * 65})
    assert signed == SignedVoucher(VOUCHER, b"\xab" * 65)


P = PAYER


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"payer": P, "operator": P, "cumulativeUnits": 1, "deadline": 1, "signature": "0x01"},
            "missing 'licenseId'",
        ),
        (
            {
                "licenseId": 1,
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0x01",
            },
            "missing 'payer'",
        ),
        (
            {
                "licenseId": 1,
                "payer": "0x12",
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0x01",
            },
            "not a valid",
        ),
        (
            {
                "licenseId": "x",
                "payer": P,
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0x01",
            },
            "number",
        ),
        (
            {
                "licenseId": 1.0,
                "payer": P,
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0x01",
            },
            "integer",
        ),
        (
            {
                "licenseId": -1,
                "payer": P,
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0x01",
            },
            "uint256",
        ),
        (
            {
                "licenseId": 1,
                "payer": P,
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0xzz",
            },
            "not hex",
        ),
        (
            {
                "licenseId": 1,
                "payer": P,
                "operator": P,
                "cumulativeUnits": 1,
                "deadline": 1,
                "signature": "0x",
            },
            "empty",
        ),
        (
            {"licenseId": 1, "payer": P, "operator": P, "cumulativeUnits": 1, "deadline": 1},
            "signature",
        ),
    ],
)
def test_malformed_signed_voucher_json_is_rejected(data, message):
    with pytest.raises(InputError, match=message):
        SignedVoucher.from_json(data)
