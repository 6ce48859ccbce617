"""Validators' quality attestations on the suite's Attestations contract: what `ape run attest`
does, from signing a verdict on an asset to the offers that require one.

A validator signs one EAS off-chain attestation per asset it checked (`sign`: the claim is
bound to the asset's registered content root), gathers any number of them into a batch file
and anchors the batch's Merkle root in one transaction (`anchor`). Anyone then `certify`s an
asset with one entry of the batch and its proof; an offer whose asset's operator `require`s a
validator set sells only while k of the set's validators hold a live certificate (`status`).
A validator withdraws a verdict with `revoke`, which stops such sales at once.

Every rule the contract applies is checked first, by simulation, so a refusal is one sentence
and nothing is sent; a step already done (a batch anchored, a certificate standing, a UID
revoked, a requirement set) is not sent again, so a re-run after a crash resumes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite, require_asset
from seedbed.core import attestations as att
from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.atomic import write_atomic
from seedbed.core.constants import ATTESTATION_MAX_BATCH, ATTESTATION_MAX_SET_SIZE
from seedbed.core.errors import ChainError, InputError
from seedbed.workflows.disputes.facts import now_of, send, would


def _domain(suite: Suite, chain: Any) -> att.Domain:
    # The domain names the contract that reads the attestations, on this chain.
    return att.Domain(int(chain.chain_id), str(suite.attestations.address))


def asset_root(suite: Suite, asset_id: int) -> bytes:
    """The asset's registered content root (an unknown id is one clear error)."""
    require_asset(suite, asset_id)
    return bytes(suite.registry.asset(asset_id).contentRoot)


def struct_of(msg: att.Offchain) -> tuple[Any, ...]:
    """The contract's Offchain calldata struct."""
    return (msg.schema, msg.recipient, msg.time, msg.expiration_time, msg.revocable,
            msg.ref_uid, msg.data, msg.salt)  # fmt: skip


# -- check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    check: dict[str, Any]  # quality_checks.Check.to_json(), as written to `out`
    out: Path


def check(
    suite: Suite,
    chain: Any,
    asset_id: int,
    folder: Path,
    *,
    out: Path,
    others: list[Path],
    labels: Path | None,
    meta: Path | None = None,
    label_studio: bool,
    method: str,
    max_noise_bps: int,
    max_duplicates: int,
) -> Checked:
    """Run the validator's checks of the asset (seedbed.core.quality_checks) against what the
    chain registered, and write the report `attest sign --check` signs."""
    from seedbed.core import quality_checks as qc
    from seedbed.core.labels import dawid_skene, majority_vote, read_csv, read_label_studio
    from seedbed.workflows.assets import current_metadata

    root = asset_root(suite, asset_id)
    meta_dir = folder / ".seedbed" if meta is None else meta  # where register wrote them
    manifest, croissant = meta_dir / "manifest.json", meta_dir / "croissant.json"
    for path in (manifest, croissant):
        if not path.is_file():
            raise InputError(
                f"{path} is missing: name the folder `ape run register` wrote them to (--meta)."
            )
    for path in others:
        if not path.is_file():
            raise InputError(f"--against {path} is not a manifest file.")
    start = int(suite.record.get("block", 0) or 0)
    current = current_metadata(suite.registry, chain, start, asset_id).get(asset_id)
    registered_hash = current.hash if current is not None else bytes(32)
    annotations = aggregate = None
    if labels is not None:
        if not labels.is_file():
            raise InputError(f"--labels {labels} is not a file.")
        read = read_label_studio(labels) if label_studio else read_csv(labels)
        annotations = read.annotations
        aggregate = (dawid_skene if method == "dawid_skene" else majority_vote)(annotations)
    result = qc.check_asset(
        asset_id, root, registered_hash, folder, manifest, croissant, others,
        annotations, aggregate, [labels] if labels else [],
        qc.Thresholds(max_noise_bps, max_duplicates),
    )  # fmt: skip
    doc = result.to_json()
    write_atomic(out, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return Checked(doc, out)


def read_check(path: Path, asset_id: int, root: bytes) -> dict[str, Any]:
    """The figures of an `attest check` report, for this asset and content root only."""
    doc = _read_object(path, "an `attest check` report")
    want = {"asset": asset_id, "content_root": "0x" + root.hex()}
    if {k: doc.get(k) for k in want} != want:
        raise InputError(f"--check {path} is a report of another asset or content.")
    try:
        return {
            "passed": bool(doc["passed"]),
            "noise_bps": int(doc["label_noise_bps"]),
            "duplicates": int(doc["duplicate_files"]),
            "croissant_valid": bool(doc["croissant_valid"]),
            "method_hash": bytes.fromhex(str(doc["method_hash"]).removeprefix("0x")),
        }
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"--check {path} is not an `attest check` report ({err}).") from None


# -- sign -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    asset: int
    uid: bytes
    content_root: bytes
    passed: bool
    expires: int  # 0: never
    out: Path
    already: bool  # the file held this validator's attestation of the asset: kept


def sign_with_account(account: Any, msg: att.Offchain, domain: att.Domain) -> dict[str, Any]:
    """The signed package of `msg` by an ape account (test, keyfile or hardware)."""
    from eth_account.messages import encode_typed_data

    signed = account.sign_message(encode_typed_data(full_message=att.typed_data(domain, msg)))
    if signed is None:
        raise InputError(f"The account {account.address} declined to sign the attestation.")
    r, s = (int.from_bytes(bytes(x), "big") for x in (signed.r, signed.s))
    try:
        return att.package(msg, domain, str(account.address), r, s, int(signed.v))
    except InputError as err:
        raise InputError(f"The account's signature does not check: {err}") from None


def read_package(path: Path) -> dict[str, Any]:
    return _read_object(path, "an attestation package")


def _read_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from `path`; `what` names it in the one-line error."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"Cannot read {path}: {err.strerror or err}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path} is not {what} (not JSON: {err}).") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path} is not {what} (a JSON object).")
    return doc


def sign(
    suite: Suite,
    chain: Any,
    account: Any,
    asset_id: int,
    *,
    out: Path,
    passed: bool,
    noise_bps: int,
    duplicates: int,
    croissant_valid: bool,
    method_hash: bytes,
    valid_for: int,
) -> Signed:
    """Sign the validator's verdict on an asset's registered content, written to `out`."""
    root = asset_root(suite, asset_id)
    validator = to_checksum_address(parse_address(str(account.address)))
    if out.exists():
        kept = _kept(read_package(out), validator, asset_id, root, out)
        passed_kept = att.QualityClaim.decode(kept.data).passed
        return Signed(asset_id, kept.uid(), root, passed_kept, kept.expiration_time, out, True)
    claim = att.QualityClaim(root, asset_id, passed, noise_bps, duplicates, croissant_valid,
                             method_hash)  # fmt: skip
    now = now_of(chain)
    msg = att.make_claim_attestation(claim, validator, now, now + valid_for if valid_for else 0)
    package = sign_with_account(account, msg, _domain(suite, chain))
    write_atomic(out, (json.dumps(package, indent=2) + "\n").encode("utf-8"))
    return Signed(asset_id, msg.uid(), root, passed, msg.expiration_time, out, False)


def _kept(
    package: dict[str, Any], validator: str, asset_id: int, root: bytes, out: Path
) -> att.Offchain:
    """A package already at `out` is kept only if it is this validator's, of this asset."""
    try:
        msg = att.verify(package)
        claim = att.QualityClaim.decode(msg.data)
    except InputError as err:
        raise InputError(
            f"{out} exists and is not a valid attestation ({err}); not replaced."
        ) from None
    if package["signer"] != validator or claim.asset_id != asset_id or claim.content_root != root:
        raise InputError(
            f"{out} exists and holds another attestation (by {package['signer']}, of asset "
            f"{claim.asset_id}); choose another --out."
        )
    return msg


# -- anchor -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchored:
    validator: str
    root: bytes
    count: int
    batch: Path
    anchored_at: int
    gas: int
    already: bool


def anchor(suite: Suite, chain: Any, account: Any, packages: list[Path], batch: Path) -> Anchored:
    """Write the batch file of these packages (all the account's) and anchor its root."""
    validator = to_checksum_address(parse_address(str(account.address)))
    created = False
    if batch.exists():
        held = att.read_batch(batch)
        if held.validator != validator:
            raise InputError(f"{batch} is {held.validator}'s batch, not {validator}'s.")
        if packages:
            given = sorted(_verified(p).uid() for p in packages)
            if given != sorted(e.attestation.uid() for e in held.entries):
                raise InputError(f"{batch} exists with other attestations; choose another --out.")
        root, count = held.root, len(held.entries)
    else:
        if not packages:
            raise InputError("Name the attestation packages to anchor (`ape run attest sign`).")
        root = att.write_batch(batch, validator, [read_package(p) for p in packages])
        count, created = len(packages), True
    at = int(suite.attestations.anchoredAt(validator, root))
    if at:
        return Anchored(validator, root, count, batch, at, 0, True)
    try:
        retired = int(suite.attestations.retiredAt(validator))
        if retired:  # the contract would take the anchor, and certify none of it
            raise ChainError(f"{validator} retired as a validator at {retired}: nothing it "
                             "anchors can be certified.")  # fmt: skip
        receipt = send(suite.attestations, "anchor", root, count, account=account,
                       what="the anchor")  # fmt: skip
    except (ChainError, InputError):
        if created:  # refused before sending (a retired validator, no funds): leave nothing
            batch.unlink(missing_ok=True)
        raise
    at = int(suite.attestations.anchoredAt(validator, root))
    return Anchored(validator, root, count, batch, at, int(receipt.gas_used), False)


def _verified(path: Path) -> att.Offchain:
    try:
        return att.verify(read_package(path))
    except InputError as err:
        raise InputError(f"{path}: {err}") from None


# -- certify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certified:
    asset: int
    validator: str
    uid: bytes
    expires: int
    tx: str
    already: bool


def certify(
    suite: Suite, chain: Any, account: Any, batch: Path, assets: set[int] | None = None
) -> list[Certified]:
    """Certify each asset of the batch (or those of `assets`) with its attestation and proof.

    All are simulated before the first is sent; one already standing is skipped."""
    held = att.read_batch(batch)
    contract = suite.attestations
    chosen = []
    for entry in held.entries:
        claim = att.QualityClaim.decode(entry.attestation.data)
        if assets is not None and claim.asset_id not in assets:
            continue
        chosen.append((claim.asset_id, entry))
    missing = (assets or set()) - {a for a, _ in chosen}
    if missing:
        raise InputError(f"The batch {batch} attests no asset {min(missing)}.")
    if not chosen:
        raise InputError(f"The batch {batch} holds no attestation to certify.")
    plan, done = [], []
    for asset_id, entry in chosen:
        uid = entry.attestation.uid()
        args = (asset_id, held.validator, struct_of(entry.attestation), entry.proof)
        if bytes(contract.certificate(held.validator, asset_id).uid) == uid:
            done.append(Certified(asset_id, held.validator, uid,
                                  entry.attestation.expiration_time, "", True))  # fmt: skip
            continue
        would(contract, "certify", *args, sender=str(account.address))
        plan.append((asset_id, uid, entry.attestation.expiration_time, args))
    for asset_id, uid, expires, args in plan:
        receipt = send(contract, "certify", *args, account=account, what="the certificate")
        done.append(Certified(asset_id, held.validator, uid, expires, str(receipt.txn_hash), False))
    return done


# -- revoke -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revoked:
    revoker: str
    uids: list[bytes]  # revoked now
    already: list[bytes]  # revoked before by the same account
    txs: list[str]


def revoke(suite: Suite, chain: Any, account: Any, uids: list[bytes]) -> Revoked:
    """Revoke these UIDs as the account (batches of at most 256 a transaction)."""
    if not uids:
        raise InputError("Name at least one attestation UID (or a package file) to revoke.")
    if len(set(uids)) != len(uids):
        raise InputError("A UID is named twice.")
    revoker = to_checksum_address(parse_address(str(account.address)))
    contract = suite.attestations
    before = [u for u in uids if int(contract.getRevokeOffchain(revoker, u))]
    todo = [u for u in uids if u not in before]
    txs = []
    for i in range(0, len(todo), ATTESTATION_MAX_BATCH):
        chunk = todo[i : i + ATTESTATION_MAX_BATCH]
        receipt = send(
            contract, "multiRevokeOffchain", chunk, account=account, what="the revocation"
        )
        txs.append(str(receipt.txn_hash))
    return Revoked(revoker, todo, before, txs)


def uid_of(text: str) -> bytes:
    """A UID as 0x + 64 hex digits, or the UID of the package file named."""
    if text.startswith("0x") and len(text) == 66:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    path = Path(text)
    if path.is_file():
        return _verified(path).uid()
    raise InputError(f"{text!r} is neither a 0x UID (32 bytes) nor an attestation package file.")


# -- retire -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retired:
    validator: str
    retired_at: int
    tx: str
    already: bool


def retire(suite: Suite, chain: Any, account: Any) -> Retired:
    """Retire the account as a validator, for good (a lost or leaked key)."""
    who = to_checksum_address(parse_address(str(account.address)))
    at = int(suite.attestations.retiredAt(who))
    if at:
        return Retired(who, at, "", True)
    receipt = send(suite.attestations, "retire", account=account, what="the retirement")
    return Retired(who, int(suite.attestations.retiredAt(who)), str(receipt.txn_hash), False)


# -- sets, requirements, status --------------------------------------------------------------


@dataclass(frozen=True)
class SetCreated:
    id: int
    validators: list[str]
    threshold: int
    tx: str


def create_set(
    suite: Suite, chain: Any, account: Any, members: list[str], threshold: int
) -> SetCreated:
    """A new validator set (members in any order; the contract keeps them sorted)."""
    parsed = [to_checksum_address(parse_address(m)) for m in members]
    ordered = sorted(set(parsed), key=lambda a: int(a, 16))
    if len(ordered) != len(parsed):
        raise InputError("A validator is named twice.")
    if not 1 <= len(ordered) <= ATTESTATION_MAX_SET_SIZE:
        raise InputError(
            f"A set holds 1 to {ATTESTATION_MAX_SET_SIZE} validators, not {len(ordered)}."
        )
    if int(ordered[0], 16) == 0:
        raise InputError("The zero address cannot be a validator.")
    if not 1 <= threshold <= len(ordered):
        raise InputError(f"--threshold must be 1 to {len(ordered)}, not {threshold}.")
    contract = suite.attestations
    receipt = send(contract, "createSet", ordered, threshold, account=account, what="the set")
    set_id = int(receipt.events.filter(contract.ValidatorSetCreated)[0].setId)
    return SetCreated(set_id, ordered, threshold, str(receipt.txn_hash))


@dataclass(frozen=True)
class Required:
    offer: int
    set_id: int
    tx: str
    already: bool


def require(suite: Suite, chain: Any, account: Any, offer_id: int, set_id: int) -> Required:
    """Make an offer sell only while its asset holds the set's threshold of certificates."""
    lic = suite.license
    if not 0 < offer_id <= int(lic.offerCount()):
        raise InputError(f"Offer {offer_id} does not exist.")
    current = int(lic.offerValidatorSet(offer_id))
    if current == set_id:
        return Required(offer_id, set_id, "", True)
    if current:
        raise ChainError(f"Offer {offer_id} requires validator set {current} already, for good.")
    receipt = send(lic, "requireAttestations", offer_id, set_id, account=account,
                   what="the requirement")  # fmt: skip
    return Required(offer_id, set_id, str(receipt.txn_hash), False)


@dataclass(frozen=True)
class Standing:
    validator: str
    uid: bytes
    time: int
    expires: int
    passed: bool
    revoked: bool
    retired: bool
    live: bool


@dataclass(frozen=True)
class Status:
    asset: int
    content_root: bytes
    set_id: int
    threshold: int
    live: int
    satisfied: bool
    certificates: list[Standing]


def status(suite: Suite, chain: Any, asset_id: int, set_id: int) -> Status:
    """The certificates the set's validators hold for the asset, and whether it passes now."""
    root = asset_root(suite, asset_id)
    contract = suite.attestations
    if not 0 < set_id <= int(contract.setCount()):
        raise InputError(f"Validator set {set_id} does not exist.")
    vs = contract.validatorSet(set_id)
    now = now_of(chain)
    rows = []
    for v in vs.validators:
        c = contract.certificate(v, asset_id)
        uid = bytes(c.uid)
        revoked = bool(any(uid) and int(contract.getRevokeOffchain(v, uid)))
        fresh = int(c.expirationTime) == 0 or int(c.expirationTime) > now
        who = to_checksum_address(parse_address(str(v)))
        retired = bool(int(contract.retiredAt(v)))
        passed = bool(c.passed)
        standing = any(uid) and passed and fresh and not revoked and not retired
        rows.append(Standing(who, uid, int(c.time), int(c.expirationTime), passed, revoked,
                             retired, standing))  # fmt: skip
    live = int(contract.liveCount(set_id, asset_id))
    ok = bool(contract.satisfied(set_id, asset_id))
    return Status(asset_id, root, set_id, int(vs.threshold), live, ok, rows)
