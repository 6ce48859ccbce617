"""Validators' quality attestations in EAS's off-chain format, version 2, and their batches.

A validator checks an asset off chain and signs a `QualityClaim` as an Ethereum Attestation
Service off-chain attestation (EIP-712 "Attest" with a salt), so eas-sdk and easscan read it
as is. The Attestations contract never checks signatures: a validator anchors a Merkle root of
its attestations' UIDs in one transaction, and `certify` recomputes a UID from the message and
folds its proof to that root. So the UID formula here must match the contract's and the SDK's
byte for byte (eas-sdk src/offchain/offchain.ts, `getOffchainUID`, Version2):

    uid = keccak(encodePacked(uint16 2, bytes utf8("0x" + lowercase schema hex), address
          recipient, address(0), uint64 time, uint64 expirationTime, bool revocable,
          bytes32 refUID, bytes data, bytes32 salt, uint32 0))

Batch trees reuse the file tree's nodes (seedbed.core.merkle): leaf = keccak(0x00 || uid),
node = keccak(0x01 || sorted pair), so a proof needs no direction bits.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.atomic import write_atomic
from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak
from seedbed.core.merkle import build_levels, merkle_proof, verify_proof
from seedbed.core.signatures import recover_public_key

SCHEMA = (
    "bytes32 contentRoot,uint256 assetId,bool passed,uint16 labelNoiseBps,"
    "uint32 duplicateFiles,bool croissantValid,bytes32 methodHash"
)
# EAS SchemaRegistry: keccak(abi.encodePacked(schema, resolver, revocable)); no resolver.
SCHEMA_UID: bytes = keccak(SCHEMA.encode("utf-8") + bytes(20) + b"\x01")

OFFCHAIN_VERSION = 2
DOMAIN_NAME = "EAS Attestation"
# The SDK signs with the version the EAS contract reports (eas.ts `getVersion`); it has no
# fixed default. 1.4.0 is eas-contracts' EAS.sol today and the newest in the SDK's
# src/offchain/versions.ts. Use the deployed contract's own version when it differs.
DEFAULT_EAS_VERSION = "1.4.0"
PRIMARY_TYPE = "Attest"
ATTEST_TYPES: tuple[tuple[str, str], ...] = (
    ("version", "uint16"),
    ("schema", "bytes32"),
    ("recipient", "address"),
    ("time", "uint64"),
    ("expirationTime", "uint64"),
    ("revocable", "bool"),
    ("refUID", "bytes32"),
    ("data", "bytes"),
    ("salt", "bytes32"),
)
_DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_CLAIM_TYPES = ["bytes32", "uint256", "bool", "uint16", "uint32", "bool", "bytes32"]
_CLAIM_SIZE = 32 * len(_CLAIM_TYPES)
_ZERO32 = bytes(32)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_MAX_BPS = 10_000
_UINT32 = 2**32
_UINT64 = 2**64
_UINT256 = 2**256


def _attest_types() -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in ATTEST_TYPES]


@dataclass(frozen=True)
class QualityClaim:
    """What a validator found about one asset: the attestation's `data`, as SCHEMA."""

    content_root: bytes
    asset_id: int
    passed: bool
    label_noise_bps: int
    duplicate_files: int
    croissant_valid: bool
    method_hash: bytes

    def __post_init__(self) -> None:
        _check_bytes32("content root", self.content_root)
        _check_uint("asset id", self.asset_id, _UINT256)
        _check_bool("passed", self.passed)
        _check_uint("label noise", self.label_noise_bps, _MAX_BPS + 1, "basis points 0..10000")
        _check_uint("duplicate file count", self.duplicate_files, _UINT32)
        _check_bool("croissant valid", self.croissant_valid)
        _check_bytes32("method hash", self.method_hash)

    def encode(self) -> bytes:
        """abi.encode of the seven fields in SCHEMA's order (224 bytes, as the contract reads)."""
        return abi_encode(
            _CLAIM_TYPES,
            [
                bytes(self.content_root),
                self.asset_id,
                self.passed,
                self.label_noise_bps,
                self.duplicate_files,
                self.croissant_valid,
                bytes(self.method_hash),
            ],
        )

    @classmethod
    def decode(cls, data: bytes) -> QualityClaim:
        """The claim in an attestation's `data`: exactly SCHEMA's seven static words."""
        if len(data) != _CLAIM_SIZE:
            raise InputError(
                f"Quality claim data must be {_CLAIM_SIZE} bytes (SCHEMA), not {len(data)}."
            )
        try:
            fields = abi_decode(_CLAIM_TYPES, bytes(data))
        except Exception as err:  # eth_abi raises several types for non-canonical words
            raise InputError(f"Quality claim data is not SCHEMA's ABI encoding: {err}.") from None
        return cls(*fields)


@dataclass(frozen=True, kw_only=True)
class Offchain:
    """An EAS off-chain attestation message (version 2), as its attester signs it.

    Keyword-only: nine fields of similar types are too easy to pass in the wrong order.
    """

    version: int = OFFCHAIN_VERSION
    schema: bytes
    recipient: str
    time: int
    expiration_time: int
    revocable: bool
    ref_uid: bytes
    data: bytes
    salt: bytes

    def __post_init__(self) -> None:
        if self.version != OFFCHAIN_VERSION or isinstance(self.version, bool):
            raise InputError(f"Only EAS off-chain version 2 is supported, not {self.version!r}.")
        _check_bytes32("schema UID", self.schema)
        if not isinstance(self.recipient, str):
            raise InputError(f"The recipient {self.recipient!r} is not a 0x address.")
        object.__setattr__(self, "recipient", to_checksum_address(parse_address(self.recipient)))
        _check_uint("time", self.time, _UINT64)
        _check_uint("expiration time", self.expiration_time, _UINT64)
        _check_bool("revocable", self.revocable)
        _check_bytes32("refUID", self.ref_uid)
        if not isinstance(self.data, bytes | bytearray):
            raise InputError(f"The attestation data must be bytes, not {type(self.data).__name__}.")
        object.__setattr__(self, "data", bytes(self.data))
        _check_bytes32("salt", self.salt)

    def uid(self) -> bytes:
        """The off-chain UID (v2 formula in the module docstring)."""
        return keccak(
            self.version.to_bytes(2, "big")
            + _hex(self.schema).encode("ascii")  # EAS hashes the hex *string*, 66 bytes
            + parse_address(self.recipient)
            + bytes(20)  # attester slot, always zero off chain
            + self.time.to_bytes(8, "big")
            + self.expiration_time.to_bytes(8, "big")
            + (b"\x01" if self.revocable else b"\x00")
            + bytes(self.ref_uid)
            + self.data
            + bytes(self.salt)
            + bytes(4)  # uint32 0: "bump", reserved
        )

    def to_json(self) -> dict[str, Any]:
        """The SDK's `message` object, JSON-friendly (lowercase hex, integer times)."""
        return {
            "version": self.version,
            "schema": _hex(self.schema),
            "recipient": self.recipient,
            "time": self.time,
            "expirationTime": self.expiration_time,
            "revocable": self.revocable,
            "refUID": _hex(self.ref_uid),
            "data": _hex(self.data),
            "salt": _hex(self.salt),
        }

    @classmethod
    def from_json(cls, message: object) -> Offchain:
        """Parse the SDK's `message`; the schema must be lowercase hex, as the UID hashes it."""
        msg = _mapping(message, "the attestation message")
        schema_text = _field(msg, "schema", str, "message")
        schema = _parse_hex(schema_text, "message schema", 32)
        if schema_text != _hex(schema):
            raise InputError(f"The message schema {schema_text!r} must be lowercase 0x hex.")
        return cls(
            version=_field(msg, "version", int, "message"),
            schema=schema,
            recipient=_field(msg, "recipient", str, "message"),
            time=_json_int(msg, "time"),
            expiration_time=_json_int(msg, "expirationTime"),
            revocable=_field(msg, "revocable", bool, "message"),
            ref_uid=_parse_hex(_field(msg, "refUID", str, "message"), "message refUID", 32),
            data=_parse_hex(_field(msg, "data", str, "message"), "message data"),
            salt=_parse_hex(_field(msg, "salt", str, "message"), "message salt", 32),
        )


@dataclass(frozen=True)
class Domain:
    """The EIP-712 domain EAS tools check: the EAS contract's version, chain and address."""

    chain_id: int
    verifying_contract: str
    version: str = DEFAULT_EAS_VERSION
    name: ClassVar[str] = DOMAIN_NAME

    def __post_init__(self) -> None:
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise InputError(f"The chain id {self.chain_id!r} is not an integer.")
        if not 0 < self.chain_id < _UINT256:
            raise InputError(f"The chain id {self.chain_id} is not a positive uint256.")
        if not isinstance(self.verifying_contract, str):
            raise InputError(
                f"The verifying contract {self.verifying_contract!r} is not an address."
            )
        address = to_checksum_address(parse_address(self.verifying_contract))
        object.__setattr__(self, "verifying_contract", address)
        if not isinstance(self.version, str) or not self.version:
            raise InputError(f"The EAS domain version {self.version!r} is not a non-empty string.")

    def to_json(self) -> dict[str, Any]:
        """The SDK's `domain` object (chainId as a JSON integer)."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }

    @classmethod
    def from_json(cls, domain: object) -> Domain:
        """Parse the SDK's `domain`; its name must be EAS's off-chain name."""
        d = _mapping(domain, "the attestation domain")
        name = _field(d, "name", str, "domain")
        if name != DOMAIN_NAME:
            raise InputError(f"The domain name is {name!r}, not {DOMAIN_NAME!r}.")
        return cls(
            chain_id=_json_int(d, "chainId"),
            verifying_contract=_field(d, "verifyingContract", str, "domain"),
            version=_field(d, "version", str, "domain"),
        )


def typed_data(domain: Domain, msg: Offchain) -> dict[str, Any]:
    """The full EIP-712 message, for eth-account's `encode_typed_data(full_message=...)`."""
    return {
        "types": {"EIP712Domain": [dict(t) for t in _DOMAIN_TYPES], "Attest": _attest_types()},
        "primaryType": PRIMARY_TYPE,
        "domain": domain.to_json(),
        "message": msg.to_json(),
    }


def sign(msg: Offchain, domain: Domain, private_key: bytes | str) -> dict[str, Any]:
    """Sign `msg` as the SDK would: its shareable package {"sig": ..., "signer": ...}."""
    signable = encode_typed_data(full_message=typed_data(domain, msg))
    try:
        signed = Account.sign_message(signable, private_key)
        signer = Account.from_key(private_key).address
    except (ValueError, TypeError) as err:
        raise InputError(f"The private key is unusable: {err}.") from None
    return package(msg, domain, signer, signed.r, signed.s, signed.v)


def package(msg: Offchain, domain: Domain, signer: str, r: int, s: int, v: int) -> dict[str, Any]:
    """The SDK's shareable package of a signature made elsewhere (an ape account, a hardware
    wallet), checked: it must recover to `signer`."""
    out = {
        "sig": {
            "version": msg.version,
            "domain": domain.to_json(),
            "primaryType": PRIMARY_TYPE,
            "types": {"Attest": _attest_types()},
            "signature": {
                "r": _hex(r.to_bytes(32, "big")),
                "s": _hex(s.to_bytes(32, "big")),
                "v": v,
            },
            "uid": _hex(msg.uid()),
            "message": msg.to_json(),
        },
        "signer": to_checksum_address(parse_address(signer)),
    }
    verify(out)
    return out


def verify(package: object, expect: Domain | None = None) -> Offchain:
    """The message of a signed package, after checking it as strictly as the SDK does.

    The UID must match the message, the types must be version 2's exactly, and the EIP-712
    signature must recover to `signer`. With `expect`, the domain's chain and contract must
    match it too (like the SDK, any EAS version string is accepted).
    """
    pkg = _mapping(package, "the attestation package")
    sig = _mapping(pkg.get("sig"), "the package's sig")
    signer_text = pkg.get("signer")
    if not isinstance(signer_text, str):
        raise InputError("The attestation package has no signer address.")
    signer = to_checksum_address(parse_address(signer_text))
    if sig.get("primaryType") != PRIMARY_TYPE:
        raise InputError(f"The primary type is {sig.get('primaryType')!r}, not {PRIMARY_TYPE!r}.")
    if sig.get("types") != {"Attest": _attest_types()}:
        raise InputError("The attestation's EIP-712 types are not EAS off-chain version 2's.")
    if "version" in sig and (
        sig["version"] != OFFCHAIN_VERSION or isinstance(sig["version"], bool)
    ):
        raise InputError(f"The package is EAS off-chain version {sig['version']!r}, not 2.")
    domain = Domain.from_json(sig.get("domain"))
    if expect is not None and (domain.chain_id, domain.verifying_contract) != (
        expect.chain_id,
        expect.verifying_contract,
    ):
        raise InputError(
            f"The attestation is for EAS {domain.verifying_contract} on chain {domain.chain_id}, "
            f"not {expect.verifying_contract} on chain {expect.chain_id}."
        )
    msg = Offchain.from_json(sig.get("message"))
    uid = _parse_hex(_field(sig, "uid", str, "sig"), "uid", 32)
    if uid != msg.uid():
        raise InputError(
            f"The uid {_hex(uid)} does not match the message (it is {_hex(msg.uid())})."
        )
    recovered = _recover(typed_data(domain, msg), sig.get("signature"))
    if recovered != signer:
        raise InputError(f"The attestation is signed by {recovered}, not by its signer {signer}.")
    return msg


def make_claim_attestation(
    claim: QualityClaim,
    recipient: str,
    time: int,
    expiration_time: int,
    salt: bytes | None = None,
) -> Offchain:
    """A revocable SCHEMA attestation of `claim` (refUID zero, random salt by default).

    The salt keeps two attestations with equal fields and times from sharing a UID.
    """
    _check_uint("time", time, _UINT64)
    _check_uint("expiration time", expiration_time, _UINT64)
    if expiration_time != 0 and expiration_time <= time:
        raise InputError(
            f"The expiration time {expiration_time} must be 0 (never) or after the time {time}."
        )
    return Offchain(
        schema=SCHEMA_UID,
        recipient=recipient,
        time=time,
        expiration_time=expiration_time,
        revocable=True,
        ref_uid=_ZERO32,
        data=claim.encode(),
        salt=secrets.token_bytes(32) if salt is None else salt,
    )


def attestation_leaf(uid: bytes) -> bytes:
    """The batch-tree leaf of a UID: keccak(0x00 || uid), never mistaken for a node."""
    _check_bytes32("attestation uid", uid)
    return keccak(b"\x00" + bytes(uid))


def _leaves(uids: Sequence[bytes]) -> list[bytes]:
    if not uids:
        raise InputError("A batch needs at least one attestation.")
    leaves = [attestation_leaf(uid) for uid in uids]
    if len(set(leaves)) != len(leaves):
        seen: set[bytes] = set()
        for uid in uids:
            if bytes(uid) in seen:
                raise InputError(f"The attestation {_hex(uid)} appears twice in the batch.")
            seen.add(bytes(uid))
    return leaves


def batch_root(uids: Sequence[bytes]) -> bytes:
    """The root a validator anchors for these UIDs, in the order given."""
    return build_levels(_leaves(uids))[-1][0]


def batch_proofs(uids: Sequence[bytes]) -> list[list[bytes]]:
    """Each UID's proof (siblings, bottom-up), in the order of `uids`."""
    levels = build_levels(_leaves(uids))
    return [merkle_proof(levels, i) for i in range(len(uids))]


def verify_in_batch(uid: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True when `proof` folds the UID's leaf to `root`, as the contract's `certify` does."""
    return verify_proof(attestation_leaf(uid), proof, root)


@dataclass(frozen=True)
class BatchEntry:
    """One attestation of a batch file: its signed package, message and proof."""

    package: dict[str, Any]
    attestation: Offchain
    proof: list[bytes]


@dataclass(frozen=True)
class Batch:
    """A validated batch file: the validator, the root it anchors and the attestations."""

    validator: str
    root: bytes
    entries: tuple[BatchEntry, ...]


def write_batch(
    path: str | os.PathLike[str], validator: str, packages: Sequence[Mapping[str, Any]]
) -> bytes:
    """Check the packages are `validator`'s, then write the batch file atomically.

    Returns the root to anchor. The file holds each package with its proof, so anyone can
    certify any of its attestations later without the others.
    """
    who = to_checksum_address(parse_address(validator))
    uids = [_validator_message(package, who, i).uid() for i, package in enumerate(packages)]
    root = batch_root(uids)
    doc = {
        "validator": who,
        "root": _hex(root),
        "count": len(uids),
        "attestations": [
            {"package": package, "proof": [_hex(p) for p in proof]}
            for package, proof in zip(packages, batch_proofs(uids), strict=True)
        ],
    }
    try:
        text = json.dumps(doc, indent=2) + "\n"
    except (TypeError, ValueError) as err:
        raise InputError(f"The batch cannot be written as JSON: {err}.") from None
    write_atomic(path, text.encode("utf-8"))
    return root


def read_batch(path: str | os.PathLike[str]) -> Batch:
    """Read a batch file and check all of it: signatures, signer, proofs, count, no repeats."""
    target = Path(path)
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"Cannot read the batch {target}: {err.strerror or err}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"The batch {target} is not JSON: {err}.") from None
    top = _mapping(doc, f"the batch {target}")
    validator = to_checksum_address(parse_address(_field(top, "validator", str, "batch")))
    root = _parse_hex(_field(top, "root", str, "batch"), "batch root", 32)
    count = _field(top, "count", int, "batch")
    items = _field(top, "attestations", list, "batch")
    if count != len(items):
        raise InputError(f"The batch says it holds {count} attestations but lists {len(items)}.")
    entries = []
    seen: set[bytes] = set()
    for i, raw in enumerate(items):
        item = _mapping(raw, f"attestation {i} of the batch")
        package = _mapping(item.get("package"), f"attestation {i}'s package")
        msg = _validator_message(package, validator, i)
        uid = msg.uid()
        if uid in seen:
            raise InputError(f"The attestation {_hex(uid)} appears twice in the batch.")
        seen.add(uid)
        proof_raw = _field(item, "proof", list, f"attestation {i}")
        proof = [_parse_hex(p, f"attestation {i}'s proof", 32) for p in proof_raw]
        if not verify_in_batch(uid, proof, root):
            raise InputError(f"Attestation {i}'s proof does not fold to the root {_hex(root)}.")
        entries.append(BatchEntry(dict(package), msg, proof))
    if not entries:
        raise InputError(f"The batch {target} holds no attestations.")
    return Batch(validator, root, tuple(entries))


def _validator_message(package: Mapping[str, Any], validator: str, index: int) -> Offchain:
    """The message of a batch's `index`th package, verified and signed by `validator`."""
    try:
        msg = verify(package)
    except InputError as err:
        raise InputError(f"Attestation {index} of the batch is invalid: {err}") from None
    signer = to_checksum_address(parse_address(package["signer"]))
    if signer != validator:
        raise InputError(f"Attestation {index} is signed by {signer}, not by {validator}.")
    return msg


def _recover(full_message: dict[str, Any], signature: object) -> str:
    sig = _mapping(signature, "the signature")
    r = int.from_bytes(_parse_hex(_field(sig, "r", str, "signature"), "signature r", 32), "big")
    s = int.from_bytes(_parse_hex(_field(sig, "s", str, "signature"), "signature s", 32), "big")
    v = _field(sig, "v", int, "signature")
    signable = encode_typed_data(full_message=full_message)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)  # EIP-191
    try:
        public = recover_public_key(digest, r, s, v, "EAS")
    except InputError as err:
        raise InputError(f"{str(err)[:1].upper()}{str(err)[1:]}") from None
    return to_checksum_address(public.to_canonical_address())


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _parse_hex(value: object, what: str, size: int | None = None) -> bytes:
    digits = value[2:] if isinstance(value, str) and value[:2] in ("0x", "0X") else None
    if digits is None or len(digits) % 2 or not all(c in _HEX_DIGITS for c in digits):
        raise InputError(f"The {what} {value!r} is not 0x-prefixed hex.")
    raw = bytes.fromhex(digits)
    if size is not None and len(raw) != size:
        raise InputError(f"The {what} must be {size} bytes, not {len(raw)}.")
    return raw


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{what[0].upper()}{what[1:]} is not a JSON object.")
    return value


def _field(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise InputError(f"The {where} has no {key!r}.")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"The {where}'s {key} {value!r} is not a {kind.__name__}.")
    return value


def _json_int(obj: Mapping[str, Any], key: str) -> int:
    # The SDK holds times and chain ids as bigint; JSON writers emit numbers or decimal strings.
    value = obj.get(key)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"The {key} {value!r} is not an integer.")
    return value


def _check_bytes32(what: str, value: object) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        shown = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise InputError(f"The {what} must be 32 bytes, not {shown}.")


def _check_uint(what: str, value: object, bound: int, name: str | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise InputError(f"The {what} {value!r} is out of range ({name or f'0..{bound - 1}'}).")


def _check_bool(what: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InputError(f"The {what} flag must be a bool, not {value!r}.")
