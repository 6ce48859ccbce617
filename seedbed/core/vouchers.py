"""EIP-712 usage vouchers, byte for byte what UsageMeter verifies.

UsageMeter inherits OpenZeppelin's EIP712("Seedbed UsageMeter", "2"), so its domain is
(name, version, chainId, verifyingContract = the meter) and it checks
`Voucher(uint256 licenseId,address payer,address operator,uint256 cumulativeUnits,uint256
deadline)` signed by the payer's voucher signer. The payer and the operator name the channel
(license, payer, operator) whose reserve pays: a signature for one channel never settles another.
Hashing goes through eth-account's EIP-712 encoding; `VoucherDomain` is the fast path a
gateway uses per voucher, and it proves itself against eth-account when it is built.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data, hash_domain, hash_eip712_message
from eth_keys.exceptions import ValidationError
from eth_typing import ChecksumAddress
from eth_utils import is_address, is_checksum_address, keccak, to_checksum_address

from seedbed.core.errors import InputError
from seedbed.core.signatures import recover_public_key, split_rsv

METER_NAME = "Seedbed UsageMeter"
METER_VERSION = "2"
VOUCHER_TYPE = (
    "Voucher(uint256 licenseId,address payer,address operator,"
    "uint256 cumulativeUnits,uint256 deadline)"
)
VOUCHER_TYPEHASH = keccak(text=VOUCHER_TYPE)  # UsageMeter's VOUCHER_TYPEHASH constant

UINT256_MAX = 2**256 - 1

_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Voucher": [
        {"name": "licenseId", "type": "uint256"},
        {"name": "payer", "type": "address"},
        {"name": "operator", "type": "address"},
        {"name": "cumulativeUnits", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}


@dataclass(frozen=True, slots=True)
class Voucher:
    """`payer`'s promise to pay for `cumulative_units` in total on its channel with
    `operator` (the gateway) on `license_id`."""

    license_id: int
    payer: str
    operator: str
    cumulative_units: int
    deadline: int  # unix seconds; the meter refuses it after this

    def __post_init__(self) -> None:
        for name in ("license_id", "cumulative_units", "deadline"):
            _check_uint256(name, getattr(self, name))
        # Checksummed once here, so equal vouchers compare equal whatever case they came in.
        object.__setattr__(self, "payer", checksum_address(self.payer, "payer"))
        object.__setattr__(self, "operator", checksum_address(self.operator, "operator"))

    @property
    def channel(self) -> tuple[int, str, str]:
        """(license, payer, operator): the channel whose reserve pays this voucher."""
        return (self.license_id, self.payer, self.operator)

    def as_tuple(self) -> tuple[int, str, str, int, int]:
        """The ABI tuple UsageMeter.settle takes."""
        return (self.license_id, self.payer, self.operator, self.cumulative_units, self.deadline)


@dataclass(frozen=True, slots=True)
class SignedVoucher:
    """A voucher and its signature: 65 bytes for an account, any length for ERC-1271."""

    voucher: Voucher
    signature: bytes

    def to_json(self) -> dict[str, str]:
        """JSON-ready dict; uint256 values are decimal strings so JavaScript keeps them exact."""
        return {
            "licenseId": str(self.voucher.license_id),
            "payer": self.voucher.payer,
            "operator": self.voucher.operator,
            "cumulativeUnits": str(self.voucher.cumulative_units),
            "deadline": str(self.voucher.deadline),
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignedVoucher:
        """Read what `to_json` wrote (numbers may also be JSON integers or 0x-hex strings)."""
        if not isinstance(data, Mapping):
            raise InputError("a signed voucher must be a JSON object.")
        voucher = Voucher(
            license_id=_json_uint(data, "licenseId"),
            payer=_json_address(data, "payer"),
            operator=_json_address(data, "operator"),
            cumulative_units=_json_uint(data, "cumulativeUnits"),
            deadline=_json_uint(data, "deadline"),
        )
        raw = data.get("signature")
        if not isinstance(raw, str):
            raise InputError("the voucher's 'signature' must be a hex string.")
        try:
            signature = bytes.fromhex(raw.removeprefix("0x"))
        except ValueError:
            raise InputError(f"the voucher's signature {raw!r} is not hex.") from None
        if not signature:
            raise InputError("the voucher's signature is empty.")
        return cls(voucher, signature)


def typed_data(voucher: Voucher, chain_id: int, meter_address: str) -> dict[str, Any]:
    """The full EIP-712 message: for eth-account's `encode_typed_data(full_message=...)`,
    and, as JSON, for `cast wallet sign --data` or a wallet's eth_signTypedData_v4."""
    return {
        "types": copy.deepcopy(_TYPES),
        "primaryType": "Voucher",
        "domain": _domain(chain_id, meter_address),
        "message": _message(voucher),
    }


def digest(voucher: Voucher, chain_id: int, meter_address: str) -> bytes:
    """The 32-byte EIP-712 hash the meter recovers the signer from."""
    signable = encode_typed_data(full_message=typed_data(voucher, chain_id, meter_address))
    # EIP-191 framing: 0x19 || version (0x01) || domain separator || struct hash.
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(voucher: Voucher, chain_id: int, meter_address: str, private_key: bytes | str) -> bytes:
    """Sign as the payer's voucher signer: 65 bytes r || s || v with v in {27, 28} and low s."""
    signable = encode_typed_data(full_message=typed_data(voucher, chain_id, meter_address))
    try:
        signed = Account.sign_message(signable, private_key)
    except (ValueError, TypeError, ValidationError) as exc:
        raise InputError(f"the private key is unusable: {exc}.") from None
    return bytes(signed.signature)


def recover(
    voucher: Voucher, chain_id: int, meter_address: str, signature: bytes
) -> ChecksumAddress:
    """The account that signed, checked as strictly as OpenZeppelin's ECDSA.recover."""
    return recover_digest(digest(voucher, chain_id, meter_address), signature)


def recover_digest(message_hash: bytes, signature: bytes) -> ChecksumAddress:
    """Recover the signer of a 32-byte hash from a 65-byte r || s || v signature."""
    if len(signature) != 65:
        raise InputError(
            f"a voucher signature must be 65 bytes (r, s, v), not {len(signature)}; "
            "ERC-1271 wallet signatures can only be checked on chain."
        )
    public_key = recover_public_key(message_hash, *split_rsv(signature), "the meter")
    return _checksum_of(public_key.to_canonical_address())


@functools.lru_cache(maxsize=4096)
def _checksum_of(address: bytes) -> ChecksumAddress:
    # A gateway sees the same few holders again and again; EIP-55 costs a keccak each time.
    return to_checksum_address(address)


class VoucherDomain:
    """One meter on one chain, with its domain separator cached: hashing a voucher costs
    two keccaks instead of a full EIP-712 encoding (the gateway's hot path)."""

    def __init__(self, chain_id: int, meter_address: str) -> None:
        domain = _domain(chain_id, meter_address)
        self.chain_id: int = domain["chainId"]
        self.meter_address: ChecksumAddress = domain["verifyingContract"]
        self.separator: bytes = bytes(hash_domain(domain))
        self._prefix = b"\x19\x01" + self.separator
        self._self_check()

    def struct_hash(self, voucher: Voucher) -> bytes:
        return keccak(
            VOUCHER_TYPEHASH
            + voucher.license_id.to_bytes(32, "big")
            + _address_word(voucher.payer)
            + _address_word(voucher.operator)
            + voucher.cumulative_units.to_bytes(32, "big")
            + voucher.deadline.to_bytes(32, "big")
        )

    def digest(self, voucher: Voucher) -> bytes:
        return keccak(self._prefix + self.struct_hash(voucher))

    def recover(self, signed: SignedVoucher) -> ChecksumAddress:
        return recover_digest(self.digest(signed.voucher), signed.signature)

    def _self_check(self) -> None:
        # The fast path must equal eth-account's encoding; distinct fields catch a swap.
        probe = Voucher(
            license_id=1,
            payer="0x" + "11" * 20,
            operator="0x" + "22" * 20,
            cumulative_units=2,
            deadline=3,
        )
        slow_struct = bytes(hash_eip712_message(_TYPES_WITHOUT_DOMAIN, _message(probe)))
        slow = digest(probe, self.chain_id, self.meter_address)
        if self.struct_hash(probe) != slow_struct or self.digest(probe) != slow:
            raise RuntimeError("VoucherDomain's fast hashing disagrees with eth-account.")


_TYPES_WITHOUT_DOMAIN = {"Voucher": _TYPES["Voucher"]}


@functools.lru_cache(maxsize=4096)
def checksum_address(address: str, what: str = "address") -> ChecksumAddress:
    """`address` in checksum form, or InputError naming `what` it was meant to be."""
    if not isinstance(address, str) or not is_address(address):
        raise InputError(f"the {what} {address!r} is not a valid 0x address.")
    # Mixed case claims an EIP-55 checksum (eth-utils no longer enforces it): a typo shows here.
    digits = address[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(address):
        raise InputError(f"the {what} {address!r} has a bad EIP-55 checksum.")
    return to_checksum_address(address)


def _domain(chain_id: int, meter_address: str) -> dict[str, Any]:
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise InputError(f"the chain id {chain_id!r} is not a positive integer.")
    return {
        "name": METER_NAME,
        "version": METER_VERSION,
        "chainId": chain_id,
        "verifyingContract": checksum_address(meter_address, "meter address"),
    }


def _message(voucher: Voucher) -> dict[str, str]:
    # Decimal strings: JSON numbers above 2**53 (JavaScript) or 2**64 (cast) lose precision.
    return {
        "licenseId": str(voucher.license_id),
        "payer": voucher.payer,
        "operator": voucher.operator,
        "cumulativeUnits": str(voucher.cumulative_units),
        "deadline": str(voucher.deadline),
    }


@functools.lru_cache(maxsize=4096)
def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _json_address(data: Mapping[str, Any], key: str) -> str:
    if key not in data:
        raise InputError(f"the signed voucher is missing {key!r}.")
    value = data[key]
    if not isinstance(value, str):
        raise InputError(f"the voucher's {key} {value!r} is not a 0x address.")
    return checksum_address(value, key)


def _check_uint256(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
        raise InputError(f"the voucher's {name} {value!r} is not a uint256.")


def _json_uint(data: Mapping[str, Any], key: str) -> int:
    if key not in data:
        raise InputError(f"the signed voucher is missing {key!r}.")
    value = data[key]
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise InputError(f"the voucher's {key} {data[key]!r} is not a number.") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"the voucher's {key} {data[key]!r} is not an integer.")
    return value
