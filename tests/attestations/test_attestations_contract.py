"""The Attestations contract: anchors, revocations, validator sets and certificates.

An attacker's moves are tried against each guarantee: certifying against another
validator's anchor, another asset's content root, a failing verdict, a stale, future,
expired or revoked attestation, replaying an older one over a newer, and padding sets."""

from __future__ import annotations

import os

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbed.core import attestations as att
from seedbed.workflows.attest import struct_of

ZERO = "0x" + "00" * 20


def test_the_contract_computes_the_same_uid_as_the_sdk_formula(attestations, kit, dataset, alice):
    signed = kit.sign(alice, kit.claim(dataset))
    assert bytes(attestations.offchainUID(struct_of(signed.message))) == signed.uid
    assert bytes(attestations.SCHEMA_UID()) == att.SCHEMA_UID
    assert attestations.SCHEMA() == att.SCHEMA


@settings(max_examples=10)
@given(
    recipient=st.binary(min_size=20, max_size=20),
    times=st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    revocable=st.booleans(),
    ref=st.binary(min_size=32, max_size=32),
    data=st.binary(max_size=300),
    salt=st.binary(min_size=32, max_size=32),
    schema=st.binary(min_size=32, max_size=32),
)
def test_uids_agree_for_any_message(
    attestations, recipient, times, revocable, ref, data, salt, schema
):
    msg = att.Offchain(
        schema=schema, recipient="0x" + recipient.hex(), time=times[0],
        expiration_time=times[1], revocable=revocable, ref_uid=ref, data=data, salt=salt,
    )  # fmt: skip
    assert bytes(attestations.offchainUID(struct_of(msg))) == msg.uid()


# -- anchors -----------------------------------------------------------------------------------


def test_an_anchor_is_one_write_whatever_the_count(attestations, alice, stranger, chain):
    root = os.urandom(32)
    receipt = attestations.anchor(root, 1_000_000, sender=alice)
    assert receipt.gas_used <= 50_000
    [event] = receipt.events.filter(attestations.Anchored)
    assert (event.validator, bytes(event.root), event.count) == (alice, root, 1_000_000)
    assert attestations.anchoredAt(alice, root) == chain.blocks.head.timestamp
    with ape.reverts(attestations.AttestationsAlreadyAnchored, validator=alice, root=root):
        attestations.anchor(root, 2, sender=alice)
    # The same root under another validator is another anchor: it vouches for nothing of alice's.
    attestations.anchor(root, 1, sender=stranger)
    assert attestations.anchoredAt(stranger, root) == chain.blocks.head.timestamp


@pytest.mark.parametrize("root,count", [(b"\x00" * 32, 1), (b"\x01" * 32, 0)])
def test_an_empty_anchor_is_refused(attestations, alice, root, count):
    with ape.reverts(attestations.AttestationsEmptyAnchor):
        attestations.anchor(root, count, sender=alice)


# -- certificates ------------------------------------------------------------------------------


def test_a_batch_of_attestations_certifies_each_asset_with_its_own_proof(
    attestations, kit, register_asset, publisher, alice, stranger, validators
):
    v = validators[0]
    assets = [register_asset(publisher, {alice.address: 1})[0] for _ in range(3)]
    signed = [kit.sign(v, kit.claim(a)) for a in assets]
    root, proofs = kit.anchor(v, signed)
    for asset_id, s, proof in zip(assets, signed, proofs, strict=True):
        # Anyone may certify: the proof, not the sender, is what counts.
        receipt = kit.certify(asset_id, v, s, proof, stranger)
        [event] = receipt.events.filter(attestations.Certified)
        assert (event.assetId, event.validator, bytes(event.uid)) == (asset_id, v, s.uid)
        assert bytes(event.root) == root
        cert = attestations.certificate(v, asset_id)
        assert (bytes(cert.uid), cert.time, cert.passed) == (s.uid, s.message.time, True)
        assert event.passed


def test_another_validators_anchor_certifies_nothing(
    attestations, kit, dataset, validators, stranger
):
    """The attacker signs an attestation naming the validator's address as recipient and anchors
    it under its own address: certify for the validator finds no such anchor of the validator's."""
    v = validators[0]
    forged = kit.sign(stranger, kit.claim(dataset))
    root, proofs = kit.anchor(stranger, [forged])
    with ape.reverts(attestations.AttestationsNotAnchored, validator=v, root=root):
        kit.certify(dataset, v, forged, proofs[0], stranger)


def test_a_proof_into_an_anchor_must_fold_to_it(attestations, kit, dataset, validators):
    v = validators[0]
    a, b = kit.sign(v, kit.claim(dataset)), kit.sign(v, kit.claim(dataset))
    _, proofs = kit.anchor(v, [a, b])
    with ape.reverts(attestations.AttestationsNotAnchored):
        kit.certify(dataset, v, a, proofs[1], v)  # b's proof
    with ape.reverts(attestations.AttestationsNotAnchored):
        kit.certify(dataset, v, a, [os.urandom(32)], v)


def test_an_attestation_of_another_content_root_or_asset_is_refused(
    attestations, kit, dataset, register_asset, publisher, alice, validators
):
    v = validators[0]
    other, _ = register_asset(publisher, {alice.address: 1})
    registered = bytes(kit.registry.asset(dataset).contentRoot)
    cases = [
        kit.claim(dataset, content_root=os.urandom(32)),  # same id, other content
        kit.claim(other, content_root=registered),  # other id, this content
    ]
    signed = [kit.sign(v, c) for c in cases]
    _, proofs = kit.anchor(v, signed)
    for s, proof in zip(signed, proofs, strict=True):
        with ape.reverts(
            attestations.AttestationsWrongSubject, assetId=dataset, contentRoot=registered
        ):
            kit.certify(dataset, v, s, proof, v)


def test_an_unknown_asset_is_refused(attestations, kit, dataset, validators):
    v = validators[0]
    s = kit.sign(v, kit.claim(dataset, asset_id=10**9))
    _, proofs = kit.anchor(v, [s])
    with ape.reverts(attestations.AssetRegistryUnknownAsset):
        kit.certify(10**9, v, s, proofs[0], v)


def test_another_schema_or_an_irrevocable_attestation_is_refused(
    attestations, kit, dataset, validators
):
    v = validators[0]
    claim = kit.claim(dataset)
    other = kit.sign(v, claim, schema=os.urandom(32))
    fixed = kit.sign(v, claim, revocable=False)
    short = kit.sign(v, claim, data=claim.encode()[:-32])
    _, proofs = kit.anchor(v, [other, fixed, short])
    with ape.reverts(attestations.AttestationsWrongSchema, revocable=True):
        kit.certify(dataset, v, other, proofs[0], v)
    with ape.reverts(attestations.AttestationsWrongSchema, revocable=False):
        kit.certify(dataset, v, fixed, proofs[1], v)
    with ape.reverts(attestations.AttestationsBadData, length=192):
        kit.certify(dataset, v, short, proofs[2], v)


def test_a_future_or_expired_attestation_is_refused(attestations, kit, dataset, validators, chain):
    v = validators[0]
    now = kit.now()
    future = kit.sign(v, kit.claim(dataset), time=now + 3600)
    expired = kit.sign(v, kit.claim(dataset), time=now - 7200, expiry=now - 3600)
    _, proofs = kit.anchor(v, [future, expired])
    with ape.reverts(attestations.AttestationsNotCurrent):
        kit.certify(dataset, v, future, proofs[0], v)
    with ape.reverts(attestations.AttestationsNotCurrent):
        kit.certify(dataset, v, expired, proofs[1], v)


def test_a_revoked_attestation_cannot_be_certified(
    attestations, kit, dataset, validators, stranger
):
    v = validators[0]
    s = kit.sign(v, kit.claim(dataset))
    _, proofs = kit.anchor(v, [s])
    # Someone else's revocation of the UID is theirs alone: it does not touch v's attestation.
    attestations.revokeOffchain(s.uid, sender=stranger)
    receipt = attestations.revokeOffchain(s.uid, sender=v)
    [event] = receipt.events.filter(attestations.RevokedOffchain)
    assert (event.revoker, bytes(event.data)) == (v, s.uid)
    assert attestations.getRevokeOffchain(v, s.uid) == event.timestamp
    with ape.reverts(attestations.AttestationsRevoked, validator=v, uid=s.uid):
        kit.certify(dataset, v, s, proofs[0], v)
    with ape.reverts(attestations.AttestationsAlreadyRevoked, revoker=v, uid=s.uid):
        attestations.revokeOffchain(s.uid, sender=v)


def test_an_older_attestation_cannot_replace_a_newer_one(attestations, kit, dataset, validators):
    """Front-running or replaying the validator's earlier verdict after a newer one landed."""
    v = validators[0]
    now = kit.now()
    old = kit.sign(v, kit.claim(dataset), time=now - 3000)
    same = kit.sign(v, kit.claim(dataset), time=now - 1000)
    new = kit.sign(v, kit.claim(dataset), time=now - 1000)
    _, proofs = kit.anchor(v, [old, same, new])
    kit.certify(dataset, v, new, proofs[2], v)
    with ape.reverts(attestations.AttestationsNotNewer, validator=v, assetId=dataset):
        kit.certify(dataset, v, old, proofs[0], v)
    with ape.reverts(attestations.AttestationsNotNewer):
        kit.certify(dataset, v, same, proofs[1], v)
    assert bytes(attestations.certificate(v, dataset).uid) == new.uid


def test_multi_revoke_is_bounded_and_all_or_nothing(attestations, alice):
    uids = [os.urandom(32) for _ in range(3)]
    receipt = attestations.multiRevokeOffchain(uids, sender=alice)
    assert len(receipt.events.filter(attestations.RevokedOffchain)) == 3
    with ape.reverts(attestations.AttestationsBadBatch, length=0, max=256):
        attestations.multiRevokeOffchain([], sender=alice)
    with ape.reverts(attestations.AttestationsBadBatch, length=257):
        attestations.multiRevokeOffchain([os.urandom(32) for _ in range(257)], sender=alice)
    fresh = os.urandom(32)
    with ape.reverts(attestations.AttestationsAlreadyRevoked):
        attestations.multiRevokeOffchain([fresh, uids[0]], sender=alice)
    assert attestations.getRevokeOffchain(alice, fresh) == 0


# -- sets --------------------------------------------------------------------------------------


def test_a_set_is_sorted_unique_and_bounded(attestations, validators, alice):
    addrs = [v.address for v in validators]
    receipt = attestations.createSet(addrs, 2, sender=alice)
    [event] = receipt.events.filter(attestations.ValidatorSetCreated)
    got = attestations.validatorSet(event.setId)
    assert (list(got.validators), got.threshold, got.creator) == (addrs, 2, alice)
    bad = [
        ([], 1),
        (addrs, 0),
        (addrs, 4),
        (list(reversed(addrs)), 1),
        ([addrs[0], addrs[0]], 1),
        ([ZERO, addrs[0]], 1),
        ([f"0x{i:040x}" for i in range(1, 18)], 1),
    ]
    for members, threshold in bad:
        with ape.reverts(attestations.AttestationsBadSet):
            attestations.createSet(members, threshold, sender=alice)
    with ape.reverts(attestations.AttestationsUnknownSet, setId=10**6):
        attestations.validatorSet(10**6)
    with ape.reverts(attestations.AttestationsUnknownSet):
        attestations.satisfied(0, 1)


def test_satisfied_counts_live_certificates_only(
    attestations, kit, dataset, validators, alice, chain
):
    addrs = [v.address for v in validators]
    set_id = (
        attestations.createSet(addrs, 2, sender=alice)
        .events.filter(attestations.ValidatorSetCreated)[0]
        .setId
    )
    assert attestations.liveCount(set_id, dataset) == 0
    first = kit.attest(dataset, validators[0])
    assert not attestations.satisfied(set_id, dataset)
    expiry = kit.now() + 3600
    kit.attest(dataset, validators[1], expiry=expiry)
    assert attestations.satisfied(set_id, dataset)
    # A certificate of a validator outside the set counts for nothing.
    kit.attest(dataset, alice)
    attestations.revokeOffchain(first.uid, sender=validators[0])
    assert attestations.liveCount(set_id, dataset) == 1
    kit.attest(dataset, validators[2])
    assert attestations.satisfied(set_id, dataset)
    chain.mine(timestamp=expiry)  # validators[1]'s expires: read live, never cached
    assert attestations.liveCount(set_id, dataset) == 1
    assert not attestations.satisfied(set_id, dataset)


def test_a_newer_fail_withdraws_the_validators_pass(attestations, kit, dataset, validators, alice):
    """A validator that re-checks and finds a problem signs a fail: certified (by anyone), it
    replaces the pass, and the pass cannot be put back (it is older)."""
    v = validators[0]
    set_id = (
        attestations.createSet([v.address], 1, sender=alice)
        .events.filter(attestations.ValidatorSetCreated)[0]
        .setId
    )
    now = kit.now()
    good = kit.sign(v, kit.claim(dataset), time=now - 600)
    bad = kit.sign(v, kit.claim(dataset, passed=False), time=now - 60)
    _, proofs = kit.anchor(v, [good, bad])
    kit.certify(dataset, v, good, proofs[0], alice)
    assert attestations.satisfied(set_id, dataset)
    receipt = kit.certify(dataset, v, bad, proofs[1], alice)
    [event] = receipt.events.filter(attestations.Certified)
    assert not event.passed and not attestations.certificate(v, dataset).passed
    assert not attestations.satisfied(set_id, dataset)
    with ape.reverts(attestations.AttestationsNotNewer):
        kit.certify(dataset, v, good, proofs[0], alice)


def test_a_retired_validator_counts_for_nothing_and_anchors_nothing(
    attestations, kit, dataset, validators, alice, stranger, chain
):
    """A leaked key: the validator retires; what the thief anchors or certifies after that
    counts for nothing, and nobody can retire it back in."""
    v = validators[1]
    set_id = (
        attestations.createSet([v.address], 1, sender=alice)
        .events.filter(attestations.ValidatorSetCreated)[0]
        .setId
    )
    kit.attest(dataset, v)
    assert attestations.satisfied(set_id, dataset)
    thief_signed = kit.sign(v, kit.claim(dataset))
    root, proofs = kit.anchor(v, [thief_signed])  # anchored before the retirement
    receipt = attestations.retire(sender=v)
    [event] = receipt.events.filter(attestations.ValidatorRetired)
    assert event.validator == v and attestations.retiredAt(v) == event.retiredAt > 0
    assert not attestations.satisfied(set_id, dataset)
    # An anchor after retiring costs one write and certifies nothing.
    later = kit.sign(v, kit.claim(dataset))
    _, later_proofs = kit.anchor(v, [later])
    for signed, proof in ((thief_signed, proofs[0]), (later, later_proofs[0])):
        with ape.reverts(attestations.AttestationsRetired, validator=v):
            kit.certify(dataset, v, signed, proof, stranger)
    with ape.reverts(attestations.AttestationsRetired):
        attestations.retire(sender=v)
