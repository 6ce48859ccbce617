"""ECIES to an Ethereum account's key: round trips, the format by hand, and every refusal."""

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak

from seedbed.core.ecies import OVERHEAD, public_key_of, unwrap, wrap
from seedbed.core.errors import InputError

ALICE = Account.from_key(keccak(b"alice"))
BOB = Account.from_key(keccak(b"bob"))
ALICE_PUB = keys.PrivateKey(bytes(ALICE.key)).public_key.to_bytes()  # 64 bytes x || y
MESSAGE = b'{"index": 3, "value": "0x..."}'


def test_a_blob_for_an_account_key_opens_with_that_account():
    blob = wrap(ALICE_PUB, MESSAGE)
    assert len(blob) == OVERHEAD + len(MESSAGE) == 49 + len(MESSAGE)
    assert unwrap(bytes(ALICE.key), blob) == MESSAGE
    assert unwrap(ALICE.key.hex(), blob) == MESSAGE  # hex, as eth-account prints keys


def test_sec1_public_keys_work_too():
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), b"\x04" + ALICE_PUB)
    for fmt in (PublicFormat.UncompressedPoint, PublicFormat.CompressedPoint):
        blob = wrap(point.public_bytes(Encoding.X962, fmt), b"k" * 32)
        assert unwrap(bytes(ALICE.key), blob) == b"k" * 32


def test_public_key_of_is_what_eth_keys_gives():
    assert public_key_of(bytes(ALICE.key)) == ALICE_PUB
    assert keys.PublicKey(public_key_of(bytes(BOB.key))).to_checksum_address() == BOB.address


def test_every_blob_has_a_fresh_ephemeral_key():
    a, b = wrap(ALICE_PUB, MESSAGE), wrap(ALICE_PUB, MESSAGE)
    assert a[:33] != b[:33] and a[33:] != b[33:]


def test_the_format_opens_by_hand():
    blob = wrap(ALICE_PUB, MESSAGE)
    eph = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), blob[:33])
    me = ec.derive_private_key(int.from_bytes(bytes(ALICE.key), "big"), ec.SECP256K1())
    shared = me.exchange(ec.ECDH(), eph)
    mine = me.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    info = b"seedbed/ecies/v1" + blob[:33] + mine
    key = HKDF(hashes.SHA256(), 32, None, info).derive(shared)
    assert AESGCM(key).decrypt(bytes(12), blob[33:], b"seedbed/ecies/v1") == MESSAGE


def test_the_wrong_key_is_refused():
    with pytest.raises(InputError, match="for another key, or it was altered"):
        unwrap(bytes(BOB.key), wrap(ALICE_PUB, MESSAGE))


@pytest.mark.parametrize("position", [1, 20, 33, 40, -1])
def test_a_tampered_blob_is_refused(position):
    blob = bytearray(wrap(ALICE_PUB, MESSAGE))
    blob[position] ^= 0x01
    with pytest.raises(InputError):
        unwrap(bytes(ALICE.key), bytes(blob))


@pytest.mark.parametrize("cut", [1, 16, len(MESSAGE) + 17])
def test_a_short_blob_is_refused(cut):
    with pytest.raises(InputError):
        unwrap(bytes(ALICE.key), wrap(ALICE_PUB, MESSAGE)[:-cut])


@pytest.mark.parametrize(
    "public",
    [b"\x04" + bytes(64), bytes(64), b"\x02" + bytes(32), ALICE_PUB[:63], "0x" + ALICE_PUB.hex()],
)
def test_a_bad_public_key_is_refused(public):
    with pytest.raises(InputError):
        wrap(public, MESSAGE)


@pytest.mark.parametrize("private", [bytes(32), b"\xff" * 32, b"\x01" * 31, "0xnothex"])
def test_a_bad_private_key_is_refused(private):
    with pytest.raises(InputError):
        unwrap(private, wrap(ALICE_PUB, MESSAGE))
