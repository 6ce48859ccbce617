"""Signed release requests (EIP-712) and one-time challenges."""

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak

from seedbed.core.access import (
    RELEASE_TYPE,
    Challenges,
    Release,
    SignedRelease,
    digest,
    recover,
    sign,
    typed_data,
)
from seedbed.core.ecies import unwrap, wrap
from seedbed.core.errors import InputError
from seedbed.core.signatures import SECP256K1_N

CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
HOLDER = Account.from_key(keccak(b"holder"))
CUSTODIAN = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
RELEASE = Release(42, CUSTODIAN, bytes(range(32)), 1_900_000_000)


def hand_digest(release: Release, chain_id: int, contract: str) -> bytes:
    """EIP-712 from the spec, sharing no code with seedbed.core.access."""
    domain_type = keccak(
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [domain_type, keccak(b"Seedbed PrivateData"), keccak(b"1"), chain_id, contract],
        )
    )
    release_type = keccak(
        b"Release(uint256 licenseId,address audience,bytes32 nonce,uint64 deadline)"
    )
    struct = keccak(
        encode(
            ["bytes32", "uint256", "address", "bytes32", "uint64"],
            [release_type, release.license_id, release.audience, release.nonce, release.deadline],
        )
    )
    return keccak(b"\x19\x01" + separator + struct)


def test_digest_is_the_eip712_formula_written_by_hand():
    assert digest(RELEASE, CHAIN_ID, CONTRACT) == hand_digest(RELEASE, CHAIN_ID, CONTRACT)


def test_digest_known_vector_is_pinned():
    # docs/private-data.md section 4: a change to the encoding shows here.
    assert digest(RELEASE, CHAIN_ID, CONTRACT).hex() == (
        "63d4e8b9fa209b2aede6f81db4a94c29d0ada0ddab4ca0d98739b76d01e75bb4"
    )
    assert keccak(text=RELEASE_TYPE).hex() == (
        "433134c561d4b2c1e770178828e54473411c109bc14ae9c0ad4526790f192be9"
    )


def test_the_signature_is_what_a_wallet_makes_and_recovers_to_the_signer():
    signature = sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key)
    wallet = Account.sign_typed_data(
        HOLDER.key, full_message=typed_data(RELEASE, CHAIN_ID, CONTRACT)
    )
    assert signature == bytes(wallet.signature)
    address, public = recover(RELEASE, CHAIN_ID, CONTRACT, signature)
    assert address == HOLDER.address
    signable = encode_typed_data(full_message=typed_data(RELEASE, CHAIN_ID, CONTRACT))
    assert Account.recover_message(signable, signature=signature) == HOLDER.address
    assert keys.PublicKey(public).to_checksum_address() == HOLDER.address


def test_the_recovered_public_key_receives_a_wrapped_key():
    _, public = recover(RELEASE, CHAIN_ID, CONTRACT, sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key))
    assert unwrap(bytes(HOLDER.key), wrap(public, b"dataset key")) == b"dataset key"


@pytest.mark.parametrize(
    "other,chain_id,contract",
    [
        (Release(43, CUSTODIAN, RELEASE.nonce, RELEASE.deadline), CHAIN_ID, CONTRACT),
        (Release(42, CONTRACT, RELEASE.nonce, RELEASE.deadline), CHAIN_ID, CONTRACT),
        (Release(42, CUSTODIAN, bytes(32), RELEASE.deadline), CHAIN_ID, CONTRACT),
        (Release(42, CUSTODIAN, RELEASE.nonce, RELEASE.deadline + 1), CHAIN_ID, CONTRACT),
        (RELEASE, 1, CONTRACT),
        (RELEASE, CHAIN_ID, CUSTODIAN),
    ],
)
def test_a_signature_does_not_carry_over_to_another_request(other, chain_id, contract):
    signature = sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key)
    address, _ = recover(other, chain_id, contract, signature)
    assert address != HOLDER.address


def test_a_high_s_signature_is_refused():
    signature = sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key)
    s = int.from_bytes(signature[32:64], "big")
    twin = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    # The twin is a valid signature by the same key, only malleated.
    pub = keys.Signature(vrs=(twin[64] - 27, int.from_bytes(twin[:32], "big"), SECP256K1_N - s))
    assert (
        pub.recover_public_key_from_msg_hash(
            digest(RELEASE, CHAIN_ID, CONTRACT)
        ).to_checksum_address()
        == HOLDER.address
    )
    with pytest.raises(InputError, match="high s"):
        recover(RELEASE, CHAIN_ID, CONTRACT, twin)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: sig[:64],
        lambda sig: sig + b"\x00",
        lambda sig: sig[:64] + b"\x01",
        lambda sig: bytes(32) + sig[32:],
        lambda sig: sig[:32] + bytes(32) + sig[64:],
    ],
)
def test_a_malformed_signature_is_refused(mangle):
    with pytest.raises(InputError):
        recover(RELEASE, CHAIN_ID, CONTRACT, mangle(sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key)))


def test_release_requests_round_trip_through_json():
    signature = sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key)
    data = RELEASE.to_json(signature)
    assert data == {
        "licenseId": "42",
        "audience": CUSTODIAN,
        "nonce": "0x" + bytes(range(32)).hex(),
        "deadline": "1900000000",
        "signature": "0x" + signature.hex(),
    }
    signed = SignedRelease.from_json(data)
    assert signed == SignedRelease(RELEASE, signature)
    assert signed.to_json() == data
    assert signed.recover(CHAIN_ID, CONTRACT)[0] == HOLDER.address
    assert Release.from_json(data) == RELEASE
    assert Release.from_json(dict(data, audience=CUSTODIAN.lower(), licenseId=42)) == RELEASE


@pytest.mark.parametrize(
    "change",
    [
        {"licenseId": "x"},
        {"licenseId": -1},
        {"audience": "0x1234"},
        {"audience": 5},
        {"nonce": "0x" + "00" * 31},
        {"nonce": "00" * 32},
        {"deadline": str(2**64)},
        {"signature": "0x" + "00" * 64},
        {"signature": None},
    ],
)
def test_bad_release_json_is_refused(change):
    data = RELEASE.to_json(sign(RELEASE, CHAIN_ID, CONTRACT, HOLDER.key)) | change
    with pytest.raises(InputError):
        SignedRelease.from_json(data)


def test_bad_chain_ids_and_contracts_are_refused():
    for chain_id in (0, -1, True, "1"):
        with pytest.raises(InputError):
            digest(RELEASE, chain_id, CONTRACT)
    with pytest.raises(InputError):
        digest(RELEASE, CHAIN_ID, "0xnope")


# -- challenges --------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_challenge_is_good_once():
    challenges = Challenges(clock=Clock())
    nonce, deadline = challenges.issue(ttl_seconds=60)
    assert len(nonce) == 32 and deadline == 1_000_060
    assert challenges.consume(nonce)
    assert not challenges.consume(nonce)
    assert not challenges.consume(bytes(32))
    assert not challenges.consume("not bytes")  # type: ignore[arg-type]


def test_a_challenge_expires_after_its_deadline():
    clock = Clock()
    challenges = Challenges(clock=clock)
    early, deadline = challenges.issue(ttl_seconds=10)
    late, _ = challenges.issue(ttl_seconds=10)
    assert challenges.consume(early, now=deadline)  # good until the deadline inclusive
    clock.now = deadline + 1
    assert not challenges.consume(late)


def test_expired_challenges_are_dropped_and_memory_is_capped():
    clock = Clock()
    challenges = Challenges(cap=3, clock=clock)
    first = [challenges.issue(ttl_seconds=5 + i)[0] for i in range(3)]
    assert len(challenges) == 3
    newer = challenges.issue(ttl_seconds=100)[0]  # at the cap: the soonest to expire goes
    assert len(challenges) == 3
    assert not challenges.consume(first[0])
    clock.now += 50
    challenges.issue(ttl_seconds=100)
    assert len(challenges) == 2  # the two left of `first` expired and were dropped
    assert challenges.consume(newer)


def test_consumed_challenges_do_not_pile_up():
    challenges = Challenges(cap=10, clock=Clock())
    for _ in range(1000):
        assert challenges.consume(challenges.issue()[0])
    assert len(challenges) == 0
    assert len(challenges._by_deadline) <= 2 * 10 + 1


def test_challenge_lifetimes_must_be_positive():
    with pytest.raises(InputError):
        Challenges().issue(ttl_seconds=0)
    with pytest.raises(InputError):
        Challenges(cap=0)
