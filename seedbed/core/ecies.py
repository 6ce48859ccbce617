"""ECIES over secp256k1: encrypt to an Ethereum account's public key (the one its signatures
recover), so a key or a share reaches only the license holder.

    blob = E || AES-256-GCM(K, nonce 0^12, plaintext, aad "seedbed/ecies/v1")
    E    = a fresh ephemeral public key, SEC1 compressed (33 bytes)
    K    = HKDF-SHA256(ikm = x of ECDH(e, recipient), salt none,
                       info "seedbed/ecies/v1" || E || recipient compressed (33), 32 bytes)

A zero nonce is safe because K is new for every blob (a fresh ephemeral key each time). The
recipient's key in the info binds the blob to it. A blob is 49 bytes plus the plaintext.
"""

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from seedbed.core.errors import InputError

__all__ = ["INFO", "OVERHEAD", "public_key_of", "unwrap", "wrap"]

INFO = b"seedbed/ecies/v1"
POINT_SIZE = 33
TAG_SIZE = 16
OVERHEAD = POINT_SIZE + TAG_SIZE  # 49: the smallest blob (an empty plaintext)
_NONCE = bytes(12)
_CURVE = ec.SECP256K1()
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def wrap(recipient_public_key: bytes, plaintext: bytes) -> bytes:
    """Encrypt `plaintext` to the holder of `recipient_public_key` (64 bytes x || y as eth-keys
    gives it, or SEC1: 65 bytes uncompressed, 33 compressed)."""
    recipient = _public_key(recipient_public_key)
    ephemeral = ec.generate_private_key(_CURVE)
    eph = _compressed(ephemeral.public_key())
    key = _derive(ephemeral.exchange(ec.ECDH(), recipient), eph, _compressed(recipient))
    return eph + AESGCM(key).encrypt(_NONCE, bytes(plaintext), INFO)


def unwrap(private_key: bytes | str, blob: bytes) -> bytes:
    """The plaintext of a blob made by `wrap` for this account's key, or InputError."""
    secret = _private_key(private_key)
    if not isinstance(blob, bytes | bytearray) or len(blob) < OVERHEAD:
        raise InputError(f"An ECIES blob is at least {OVERHEAD} bytes.")
    blob = bytes(blob)
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, blob[:POINT_SIZE])
    except ValueError:
        raise InputError("The ECIES blob does not start with a secp256k1 public key.") from None
    key = _derive(
        secret.exchange(ec.ECDH(), ephemeral), blob[:POINT_SIZE], _compressed(secret.public_key())
    )
    try:
        return AESGCM(key).decrypt(_NONCE, blob[POINT_SIZE:], INFO)
    except InvalidTag:
        raise InputError(
            "The ECIES blob does not decrypt: it is for another key, or it was altered."
        ) from None


def public_key_of(private_key: bytes | str) -> bytes:
    """The account's public key as 64 bytes x || y (what eth-keys recovers from a signature)."""
    point = (
        _private_key(private_key)
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    return point[1:]


def _derive(shared_x: bytes, eph: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO + eph + recipient)
    return hkdf.derive(shared_x)


def _compressed(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


def _public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    if not isinstance(data, bytes | bytearray):
        raise InputError(f"A public key must be bytes, not {type(data).__name__}.")
    raw = bytes(data)
    if len(raw) == 64:
        raw = b"\x04" + raw
    if len(raw) not in (33, 65):
        raise InputError(f"A public key is 64, 65 or 33 bytes, not {len(data)}.")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, raw)
    except ValueError:
        raise InputError("The public key is not a point on secp256k1.") from None


def _private_key(key: bytes | str) -> ec.EllipticCurvePrivateKey:
    if isinstance(key, str):
        try:
            key = bytes.fromhex(key.removeprefix("0x"))
        except ValueError:
            raise InputError("The private key is not hex.") from None
    if not isinstance(key, bytes | bytearray) or len(key) != 32:
        raise InputError("A private key must be 32 bytes.")
    number = int.from_bytes(key, "big")
    if not 0 < number < _N:
        raise InputError("The private key is out of range for secp256k1.")
    return ec.derive_private_key(number, _CURVE)
