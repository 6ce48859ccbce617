"""EAS off-chain attestations (version 2): SDK vectors, signing, tampering, batches."""

import copy
import json

import pytest
from eth_abi import encode as abi_encode
from eth_abi.packed import encode_packed
from eth_account import Account
from treeref import K

from seedbed.core import attestations as A
from seedbed.core.errors import InputError

# Hardhat's account 0: the signer of eas-sdk's own test vector below.
HARDHAT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_ADDR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ZERO32 = "0x" + "00" * 32

# eas-sdk test/test/offchain-utils.ts, TEST_ATTESTATIONS[0] (Version2), as JSON.
SDK_V2_PACKAGE = {
    "sig": {
        "version": 2,
        "domain": {
            "name": "EAS Attestation",
            "version": "1.3.0",
            "chainId": 31337,
            "verifyingContract": "0x6f2E42BB4176e9A7352a8bF8886255Be9F3D2d13",
        },
        "primaryType": "Attest",
        "types": {
            "Attest": [
                {"name": "version", "type": "uint16"},
                {"name": "schema", "type": "bytes32"},
                {"name": "recipient", "type": "address"},
                {"name": "time", "type": "uint64"},
                {"name": "expirationTime", "type": "uint64"},
                {"name": "revocable", "type": "bool"},
                {"name": "refUID", "type": "bytes32"},
                {"name": "data", "type": "bytes"},
                {"name": "salt", "type": "bytes32"},
            ]
        },
        "signature": {
            "v": 28,
            "r": "0x086528faabfc6eafc046c711577b603f0123e79383469abaedd9ff7ce38028fd",
            "s": "0x22c1f437874575bf74936a7d1a114c789f2a53e7d986c2c46fa60b6ed43d7351",
        },
        "uid": "0x854d8e26b2bbdc3577fc78c6d2f512258fcc9b91a60858985a216c0ef526ee82",
        "message": {
            "version": 2,
            "schema": "0x33e9094830a5cba5554d1954310e4fbed2ef5f859ec1404619adea4207f391fd",
            "recipient": HARDHAT_ADDR,
            "time": 1690299812,
            "expirationTime": 1692891810,
            "revocable": True,
            "refUID": ZERO32,
            "data": "0x",
            "salt": "0x" + "00" * 30 + "0123",
        },
    },
    "signer": HARDHAT_ADDR,
}

DOMAIN = A.Domain(chain_id=8453, verifying_contract="0x4200000000000000000000000000000000000021")
CLAIM = A.QualityClaim(
    content_root=K(b"root"),
    asset_id=7,
    passed=True,
    label_noise_bps=125,
    duplicate_files=3,
    croissant_valid=True,
    method_hash=K(b"method v1"),
)


def packed_uid(m: dict) -> bytes:
    """The v2 UID computed independently from the SDK's JSON message, with eth_abi.packed."""
    preimage = encode_packed(
        ["uint16", "bytes", "address", "address", "uint64", "uint64", "bool"]
        + ["bytes32", "bytes", "bytes32", "uint32"],
        [
            m["version"],
            m["schema"].encode("ascii"),  # the hex *string*, as EAS hashes it
            m["recipient"],
            "0x" + "00" * 20,
            m["time"],
            m["expirationTime"],
            m["revocable"],
            bytes.fromhex(m["refUID"][2:]),
            bytes.fromhex(m["data"][2:]),
            bytes.fromhex(m["salt"][2:]),
            0,
        ],
    )
    return K(preimage)


def claim_msg(salt: bytes = b"\x11" * 32, time: int = 1_700_000_000) -> A.Offchain:
    return A.make_claim_attestation(CLAIM, HARDHAT_ADDR, time, time + 86400, salt=salt)


# --- known answers ----------------------------------------------------------------------


def test_sdk_vector_uid_and_independent_packing_agree():
    message = SDK_V2_PACKAGE["sig"]["message"]
    want = bytes.fromhex(SDK_V2_PACKAGE["sig"]["uid"][2:])
    assert packed_uid(message) == want
    assert A.Offchain.from_json(message).uid() == want


def test_sdk_vector_verifies():
    msg = A.verify(copy.deepcopy(SDK_V2_PACKAGE))
    assert msg.time == 1690299812 and msg.salt == (0x123).to_bytes(32, "big")


def test_signing_the_sdk_vector_reproduces_its_signature():
    sdk = SDK_V2_PACKAGE["sig"]
    domain = A.Domain.from_json(sdk["domain"])
    package = A.sign(A.Offchain.from_json(sdk["message"]), domain, HARDHAT_KEY)
    assert package == SDK_V2_PACKAGE  # RFC 6979 signatures are deterministic


def test_uid_of_a_claim_matches_independent_packing():
    msg = claim_msg()
    assert msg.uid() == packed_uid(msg.to_json())


def test_schema_uid():
    want = K(SCHEMA_TEXT.encode() + b"\x00" * 20 + b"\x01")
    assert A.SCHEMA == SCHEMA_TEXT
    assert A.SCHEMA_UID == want
    assert A.SCHEMA_UID.hex() == "f377f29f725434dea51fedc71a1765d83b822a96d596e34b25be1bb88b2ad847"


SCHEMA_TEXT = (
    "bytes32 contentRoot,uint256 assetId,bool passed,uint16 labelNoiseBps,"
    "uint32 duplicateFiles,bool croissantValid,bytes32 methodHash"
)


def test_typed_data_is_what_eth_account_signs():
    from eth_account.messages import encode_typed_data

    msg = claim_msg()
    full = A.typed_data(DOMAIN, msg)
    assert full["primaryType"] == "Attest"
    assert [f["name"] for f in full["types"]["Attest"]] == [n for n, _ in A.ATTEST_TYPES]
    signed = Account.sign_message(encode_typed_data(full_message=full), HARDHAT_KEY)
    package = A.sign(msg, DOMAIN, HARDHAT_KEY)
    assert int(package["sig"]["signature"]["r"], 16) == signed.r


# --- claims ------------------------------------------------------------------------------


def test_claim_encode_decode_round_trip():
    data = CLAIM.encode()
    assert len(data) == 224
    assert data == abi_encode(
        ["bytes32", "uint256", "bool", "uint16", "uint32", "bool", "bytes32"],
        [K(b"root"), 7, True, 125, 3, True, K(b"method v1")],
    )
    assert A.QualityClaim.decode(data) == CLAIM


@pytest.mark.parametrize(
    "change",
    [
        {"label_noise_bps": 10_001},
        {"label_noise_bps": -1},
        {"duplicate_files": 2**32},
        {"asset_id": 2**256},
        {"asset_id": True},
        {"content_root": b"\x00" * 31},
        {"method_hash": "0x" + "00" * 32},
        {"passed": 1},
    ],
)
def test_claim_range_errors(change):
    fields = {**CLAIM.__dict__, **change}
    with pytest.raises(InputError):
        A.QualityClaim(**fields)


def test_claim_decode_refuses_wrong_length_and_bad_words():
    with pytest.raises(InputError, match="224 bytes"):
        A.QualityClaim.decode(CLAIM.encode() + b"\x00")
    bad_bool = bytearray(CLAIM.encode())
    bad_bool[95] = 2  # `passed` word
    with pytest.raises(InputError):
        A.QualityClaim.decode(bytes(bad_bool))
    too_noisy = bytearray(CLAIM.encode())
    too_noisy[96 + 30 : 128] = (10_001).to_bytes(2, "big")
    with pytest.raises(InputError, match="label noise"):
        A.QualityClaim.decode(bytes(too_noisy))


def test_make_claim_attestation_defaults():
    a = A.make_claim_attestation(CLAIM, HARDHAT_ADDR.lower(), 100, 0)
    b = A.make_claim_attestation(CLAIM, HARDHAT_ADDR, 100, 0)
    assert a.schema == A.SCHEMA_UID and a.revocable and a.ref_uid == bytes(32)
    assert a.recipient == HARDHAT_ADDR and a.version == 2
    assert a.salt != b.salt and a.uid() != b.uid()  # random salts
    with pytest.raises(InputError, match="expiration"):
        A.make_claim_attestation(CLAIM, HARDHAT_ADDR, 100, 100)


# --- sign / verify -----------------------------------------------------------------------


def test_sign_verify_round_trip_through_json():
    msg = claim_msg()
    package = json.loads(json.dumps(A.sign(msg, DOMAIN, HARDHAT_KEY)))
    assert package["signer"] == HARDHAT_ADDR
    assert package["sig"]["uid"] == "0x" + msg.uid().hex()
    assert package["sig"]["message"]["time"] == msg.time
    got = A.verify(package, expect=DOMAIN)
    assert got == msg
    assert A.QualityClaim.decode(got.data) == CLAIM


def _signed() -> dict:
    return json.loads(json.dumps(A.sign(claim_msg(), DOMAIN, HARDHAT_KEY)))


def _flip_data_byte(p):
    data = bytearray.fromhex(p["sig"]["message"]["data"][2:])
    data[63] ^= 1
    p["sig"]["message"]["data"] = "0x" + data.hex()


def _retime(p):
    p["sig"]["message"]["time"] += 1


def _re_uid(p):
    p["sig"]["uid"] = "0x" + "ab" * 32


def _other_signer(p):
    p["signer"] = Account.create().address


def _uid_follows_time(p):
    # Re-derive the uid so only the signature can catch the change.
    p["sig"]["message"]["time"] += 1
    p["sig"]["uid"] = "0x" + packed_uid(p["sig"]["message"]).hex()


def _primary(p):
    p["sig"]["primaryType"] = "Attestation"


def _drop_salt_type(p):
    p["sig"]["types"]["Attest"].pop()


def _domain_version(p):
    p["sig"]["domain"]["version"] = "0.26"


def _high_s(p):
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    sig = p["sig"]["signature"]
    sig["s"] = "0x" + (n - int(sig["s"], 16)).to_bytes(32, "big").hex()
    sig["v"] = 55 - sig["v"]


def _uppercase_schema(p):
    p["sig"]["message"]["schema"] = "0x" + p["sig"]["message"]["schema"][2:].upper()


def _bad_hex(p):
    p["sig"]["message"]["salt"] = "0x" + "zz" * 32


def _missing_message(p):
    del p["sig"]["message"]


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_data_byte,
        _retime,
        _re_uid,
        _other_signer,
        _uid_follows_time,
        _primary,
        _drop_salt_type,
        _domain_version,
        _high_s,
        _uppercase_schema,
        _bad_hex,
        _missing_message,
    ],
)
def test_tampering_is_refused(tamper):
    package = _signed()
    tamper(package)
    with pytest.raises(InputError):
        A.verify(package)


def test_verify_checks_the_expected_domain():
    package = _signed()
    other = A.Domain(chain_id=1, verifying_contract=DOMAIN.verifying_contract)
    with pytest.raises(InputError, match="chain 8453"):
        A.verify(package, expect=other)


def test_offchain_refuses_bad_fields():
    base = claim_msg()
    with pytest.raises(InputError):
        A.Offchain(**{**base.__dict__, "version": 1})
    with pytest.raises(InputError):
        A.Offchain(**{**base.__dict__, "time": 2**64})
    with pytest.raises(InputError):
        A.Offchain(**{**base.__dict__, "recipient": "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"})
    with pytest.raises(InputError):
        A.Offchain(**{**base.__dict__, "salt": b"\x00"})


# --- batches -----------------------------------------------------------------------------


def uids(n: int) -> list[bytes]:
    return [K(b"uid %d" % i) for i in range(n)]


def contract_fold(uid: bytes, proof: list[bytes]) -> bytes:
    # What the contract does: h = leaf; h = h < s ? node(h, s) : node(s, h).
    h = K(b"\x00" + uid)
    for s in proof:
        h = K(b"\x01" + h + s) if h < s else K(b"\x01" + s + h)
    return h


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64])
def test_batch_proofs_verify(n):
    ids = uids(n)
    root = A.batch_root(ids)
    proofs = A.batch_proofs(ids)
    assert len(proofs) == n
    for uid, proof in zip(ids, proofs, strict=True):
        assert A.verify_in_batch(uid, proof, root)
        assert contract_fold(uid, proof) == root
    if n == 1:
        assert root == A.attestation_leaf(ids[0]) == K(b"\x00" + ids[0]) and proofs == [[]]


def test_a_wrong_proof_fails():
    ids = uids(7)
    root = A.batch_root(ids)
    proofs = A.batch_proofs(ids)
    assert not A.verify_in_batch(ids[0], proofs[1], root)
    assert not A.verify_in_batch(K(b"stranger"), proofs[0], root)
    assert not A.verify_in_batch(ids[0], proofs[0][:-1], root)


def test_batch_refuses_duplicates_and_empty():
    ids = uids(3)
    with pytest.raises(InputError, match="twice"):
        A.batch_root([*ids, ids[1]])
    with pytest.raises(InputError, match="twice"):
        A.batch_proofs([ids[0], ids[0]])
    with pytest.raises(InputError, match="at least one"):
        A.batch_root([])


def _packages(n: int, key: str = HARDHAT_KEY) -> list[dict]:
    return [A.sign(claim_msg(salt=bytes([i + 1]) * 32), DOMAIN, key) for i in range(n)]


def test_write_read_batch_round_trip(tmp_path):
    path = tmp_path / "batch.json"
    packages = _packages(5)
    root = A.write_batch(path, HARDHAT_ADDR, packages)
    doc = json.loads(path.read_text())
    assert doc["root"] == "0x" + root.hex() and doc["count"] == 5
    batch = A.read_batch(path)
    assert batch.validator == HARDHAT_ADDR and batch.root == root
    got_uids = [e.attestation.uid() for e in batch.entries]
    assert got_uids == [bytes.fromhex(p["sig"]["uid"][2:]) for p in packages]
    assert A.batch_root(got_uids) == root
    for entry in batch.entries:
        assert contract_fold(entry.attestation.uid(), entry.proof) == root


def test_write_batch_refuses_another_signer(tmp_path):
    stranger = Account.create()
    packages = _packages(2) + _packages(1, stranger.key.hex())
    with pytest.raises(InputError, match="Attestation 2"):
        A.write_batch(tmp_path / "b.json", HARDHAT_ADDR, packages)
    with pytest.raises(InputError, match="twice"):
        A.write_batch(tmp_path / "b.json", HARDHAT_ADDR, _packages(2) + _packages(1))
    assert not (tmp_path / "b.json").exists()


def _edit(doc, how):
    if how == "data":
        _flip_data_byte(doc["attestations"][1]["package"])
    elif how == "proof":
        doc["attestations"][0]["proof"][0] = "0x" + "00" * 32
    elif how == "root":
        doc["root"] = "0x" + "11" * 32
    elif how == "validator":
        doc["validator"] = Account.create().address
    elif how == "count":
        doc["count"] = 4
    elif how == "signer":
        _other_signer(doc["attestations"][2]["package"])
    elif how == "duplicate":
        doc["attestations"][1] = copy.deepcopy(doc["attestations"][0])
    elif how == "empty":
        doc["attestations"], doc["count"] = [], 0


@pytest.mark.parametrize(
    "how", ["data", "proof", "root", "validator", "count", "signer", "duplicate", "empty"]
)
def test_a_tampered_batch_file_is_refused(tmp_path, how):
    path = tmp_path / "batch.json"
    A.write_batch(path, HARDHAT_ADDR, _packages(3))
    doc = json.loads(path.read_text())
    _edit(doc, how)
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError):
        A.read_batch(path)


def test_read_batch_refuses_garbage(tmp_path):
    path = tmp_path / "batch.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        A.read_batch(path)
    path.write_text("[]")
    with pytest.raises(InputError, match="not a JSON object"):
        A.read_batch(path)
    with pytest.raises(InputError, match="Cannot read"):
        A.read_batch(tmp_path / "missing.json")
