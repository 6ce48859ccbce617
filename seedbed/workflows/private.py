"""Private datasets from the command line's side: what `ape run seal`, `grant` and `unseal` do.

The owner seals a folder (every file encrypted under one dataset key, `seedbed.core.sealed`)
and records the seal on PrivateData: the seal root and the key's check value. The content
root stays the plaintext's, so the sealed asset is registered from the plaintext folder as
any other. A holder of an ACCESS license gets the key as a copy to keep: the owner (or a key
service it named) wraps the key for the holder's secp256k1 public key (ECIES,
`seedbed.core.ecies`) and records the wrapped key in a KeyGranted event. The holder finds
its grants in the logs, unwraps the key with its account's private key, and unseals the
folder, every file checked chunk by chunk and then the whole folder against the chain's
content root.

Everything is checked before anything is sent or written; every write is atomic, and a run
cut short resumes: sealing reuses the key file and skips finished files, unsealing skips the
files already there with the right SHA-256.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite
from seedbed.chain.reverts import simulate
from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core import ecies
from seedbed.core import sealed as sd
from seedbed.core.addresses import to_checksum_address
from seedbed.core.atomic import write_atomic
from seedbed.core.constants import ACCESS
from seedbed.core.errors import InputError
from seedbed.core.ignore import OWN_OUTPUT
from seedbed.core.keccak import keccak
from seedbed.core.manifest import Manifest, verify
from seedbed.core.units import format_scopes

Progress = Callable[[int, int], None]
ZERO32 = bytes(32)
NAMED = 5  # paths named in one error line


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealRecord:
    """An asset's seal on chain; `tx` is None when it was there already with these values."""

    asset_id: int
    seal_root: bytes
    key_check: bytes
    tx: str | None

    @property
    def already(self) -> bool:
        return self.tx is None


@dataclass(frozen=True)
class Grant:
    """A KeyGranted event: the dataset key of `asset_id` wrapped for `holder` of `license_id`."""

    license_id: int
    asset_id: int
    holder: str
    granter: str
    wrapped_key: bytes
    tx: str
    block: int


@dataclass(frozen=True)
class Unsealed:
    out: str
    asset_id: int | None
    content_root: bytes
    count: int
    bytes: int
    written: int  # files decrypted by this run
    skipped: int  # files already there, with the right SHA-256


# -- sealing -----------------------------------------------------------------------------------


def check_seal_paths(
    folder: str | os.PathLike[str], out: str | os.PathLike[str], key_file: str | os.PathLike[str]
) -> None:
    """Refuse unusable paths before anything is hashed or written."""
    src, dst, kf = Path(folder), Path(out), Path(key_file)
    if not src.is_dir():
        raise InputError(
            f"The folder {src} {'is not a folder' if src.exists() else 'does not exist'}."
        )
    if dst.exists() and not dst.is_dir():
        raise InputError(f"--out {dst} is a file, not a folder.")
    if kf.is_dir():
        raise InputError(f"--key-file {kf} is a folder: name the file that holds the key.")
    own = src.resolve() / OWN_OUTPUT.strip("/")
    if kf.resolve().is_relative_to(src.resolve()) and not kf.resolve().is_relative_to(own):
        raise InputError(
            f"The key file {kf} must not be inside the dataset folder {src}: it would be "
            "hashed (and sealed) with the data."
        )
    if kf.resolve().is_relative_to(dst.resolve()):
        raise InputError(
            f"The key file {kf} must not be inside the sealed folder {dst}, which is shared."
        )
    if not kf.exists() and not kf.parent.is_dir():
        raise InputError(f"The key file's folder {kf.parent} does not exist.")


def existing_key(key_file: str | os.PathLike[str]) -> bytes | None:
    """The key a key file holds (checked), or None when the file does not exist yet."""
    path = Path(key_file)
    if not path.exists():
        return None
    return sd.read_key_file(path)


def seal_dataset(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    key_file: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    manifest: Manifest | None = None,
) -> sd.SealIndex:
    """Encrypt `folder` into `out` (seal.json, files/) under the key in `key_file`.

    A missing key file is created first (a new key, mode 0600, atomically), so a run cut
    short finds it again; an existing one is reused, never overwritten. A sealed folder made
    with another key is refused rather than re-encrypted over."""
    check_seal_paths(folder, out, key_file)
    key = existing_key(key_file)
    index_path = Path(out) / sd.SEAL_FILE
    if index_path.is_file():
        try:
            before: sd.SealIndex | None = sd.load_seal(index_path)
        except InputError:
            before = None  # unreadable: sealing writes it anew
        if before is not None and (key is None or sd.key_check(key) != before.key_check):
            which = "no key file" if key is None else f"the key in {key_file}"
            raise InputError(
                f"{out} holds a dataset sealed with another key (key check "
                f"0x{before.key_check.hex()}) than {which}: pass that seal's key file, or "
                "choose another --out."
            )
    if key is None:
        key = sd.new_key()
        sd.write_key_file(key_file, key, sealed_folder=out)
    return sd.seal_folder(folder, out, key, manifest=manifest, progress=progress)


def check_sealable(
    suite: Suite, sender: str, asset_id: int, content_root: bytes, key_check: bytes | None
) -> SealRecord | None:
    """Whether `sender` may seal `asset_id` with content of `content_root`: the asset's own
    content, its owner, and not sealed with another key. Returns the seal already there with
    `key_check` (nothing to send), else None. `key_check` None: the key is not made yet."""
    _require_asset(suite, asset_id)
    view = suite.registry.asset(asset_id)
    chain_root = bytes(view.contentRoot)
    if chain_root != content_root:
        raise InputError(
            f"Asset {asset_id}'s content root is 0x{chain_root.hex()}, the folder's is "
            f"0x{content_root.hex()}: seal the plaintext folder registered as asset {asset_id}."
        )
    seal_root, check = _seal_of(suite, asset_id)
    if seal_root != ZERO32:
        if key_check is None or key_check != check:
            raise InputError(
                f"Asset {asset_id} is sealed already (seal root 0x{seal_root.hex()}, key check "
                f"0x{check.hex()}), with another key than this one: an asset is sealed once; "
                "pass the key file it was sealed with."
            )
        return SealRecord(asset_id, seal_root, check, None)
    owner = str(view.owner)
    if owner.lower() != sender.lower():
        raise InputError(f"Only asset {asset_id}'s owner {owner} may seal it, not {sender}.")
    return None


def seal_on_chain(suite: Suite, sender: Any, asset_id: int, index: sd.SealIndex) -> SealRecord:
    """Record `index`'s seal for `asset_id` (PrivateData.seal). Idempotent: the same seal
    already there is nothing to do; another seal is refused (an asset is sealed once)."""
    found = check_sealable(suite, sender.address, asset_id, index.content_root, index.key_check)
    if found is not None:
        if found.seal_root != index.seal_root:
            raise InputError(
                f"Asset {asset_id} is sealed already with seal root 0x{found.seal_root.hex()}, "
                f"not this folder's 0x{index.seal_root.hex()}: an asset is sealed once (seal "
                "the same files with the same key to get its sealed folder back)."
            )
        return found
    pd = suite.private
    args = (asset_id, index.seal_root, index.key_check)
    simulate(pd, "seal", *args, sender=sender.address)
    receipt = pd.seal(*args, sender=sender)
    return SealRecord(asset_id, index.seal_root, index.key_check, str(receipt.txn_hash))


# -- granting ----------------------------------------------------------------------------------


def parse_public_key(text: str) -> bytes:
    """A secp256k1 public key as 64 bytes x || y, from 0x hex of 64 bytes, 65 (04 || x || y)
    or 33 (compressed)."""
    from eth_keys import keys
    from eth_keys.exceptions import ValidationError

    raw = _hex(text, "--public-key")
    try:
        if len(raw) == 65 and raw[0] == 4:
            raw = raw[1:]
        if len(raw) == 33 and raw[0] in (2, 3):
            raw = keys.PublicKey.from_compressed_bytes(raw).to_bytes()
        if len(raw) != 64:
            raise InputError(
                f"--public-key {text!r} is not a secp256k1 public key (64 bytes x||y, 65 "
                "starting 04, or 33 compressed)."
            )
        ecies.wrap(raw, b"")  # checks the point is on the curve
    except (ValidationError, ValueError):
        raise InputError(f"--public-key {text!r} is not a point on secp256k1.") from None
    return raw


def address_of(public_key: bytes) -> str:
    return to_checksum_address(keccak(public_key)[12:])


def holder_public_key(suite: Suite, license_id: int) -> bytes:
    """The public key of a license's holder (64 bytes), recovered from the signature of the
    purchase transaction, when the holder bought it itself; else InputError asking for it."""
    _require_license(suite, license_id)
    holder = str(suite.license.license(license_id).holder)
    lt = suite.license
    start = int(suite.record.get("block", 0))
    head = int(lt.chain_manager.blocks.height)
    logs = list(lt.LicenseBought.range(start, head + 1, search_topics={"licenseId": license_id}))
    ask = "pass the holder's public key with --public-key 0x..."
    if not logs:
        raise InputError(f"License {license_id}'s purchase is not in the logs: {ask}")
    bought = logs[0]
    if str(bought.buyer).lower() != holder.lower():
        raise InputError(
            f"License {license_id}'s holder {holder} did not buy it ({bought.buyer} did), so no "
            f"transaction shows its public key: {ask}"
        )
    try:
        public = sender_public_key(Rpc(lt.provider), str(bought.transaction_hash))
    except InputError as err:
        raise InputError(f"{err.message.rstrip('.')}: {ask}") from None
    if address_of(public).lower() != holder.lower():
        raise InputError(
            f"License {license_id} was bought by a contract or a relayer for {holder}: {ask}"
        )
    return public


def sender_public_key(rpc: Rpc, tx_hash: str) -> bytes:
    """The 64-byte public key that signed a transaction (from its raw signed bytes)."""
    from eth_account._utils.legacy_transactions import Transaction, vrs_from
    from eth_account._utils.signing import hash_of_signed_transaction, to_standard_v
    from eth_account.typed_transactions import TypedTransaction
    from eth_keys import keys
    from hexbytes import HexBytes

    try:
        raw_hex = rpc.call("eth_getRawTransactionByHash", [tx_hash])
    except RpcError as err:
        raise InputError(f"The node cannot give transaction {tx_hash}: {err.message}.") from None
    if not isinstance(raw_hex, str) or len(raw_hex) < 4:
        raise InputError(f"The node does not have transaction {tx_hash}.")
    try:
        raw = HexBytes(raw_hex)
        if raw[0] <= 0x7F:
            typed = TypedTransaction.from_bytes(raw)
            digest, (v, r, s) = typed.hash(), typed.vrs()
        else:
            legacy = Transaction.from_bytes(raw)
            digest, (v, r, s) = hash_of_signed_transaction(legacy), vrs_from(legacy)
        signature = keys.Signature(vrs=(to_standard_v(v), r, s))
        return bytes(signature.recover_public_key_from_msg_hash(digest).to_bytes())
    except Exception as err:  # an unknown transaction type, a malformed signature
        raise InputError(f"Cannot recover the signer of transaction {tx_hash}: {err}.") from None


def why_not_releasable(suite: Suite, license_id: int, asset_id: int, seal_root: bytes) -> str:
    """The sentence saying why PrivateData would not release license `license_id`'s key."""
    if asset_id == 0:
        return f"License {license_id} does not exist."
    view = suite.license.license(license_id)
    scopes = int(view.terms.scopes)
    if seal_root == ZERO32:
        return (
            f"Asset {asset_id} is not sealed: its owner seals it first with `ape run seal "
            f"FOLDER --out DIR --key-file F --asset {asset_id}`."
        )
    if not bool(view.valid):
        return f"License {license_id} expired at {_when(int(view.expiresAt))}."
    if not scopes & ACCESS:
        return (
            f"License {license_id} has the scopes {format_scopes(scopes)}, not access: a key (a "
            "copy to keep) is granted only for ACCESS licenses; its holder streams the data "
            "through a gateway instead."
        )
    if not bool(suite.registry.isListed(asset_id)):
        a = suite.registry.asset(asset_id)
        why = "delisted by its owner" if bool(a.delisted) else "disputed or taken down"
        return f"Asset {asset_id} is {why}: its key is released to no one meanwhile."
    return f"PrivateData does not release license {license_id}'s key now."


def grant_key(
    suite: Suite, sender: Any, license_id: int, key: bytes, *, public_key: bytes | None = None
) -> Grant:
    """Wrap the dataset key for the holder of `license_id` and record the grant
    (PrivateData.grantKey), after every check the contract makes and the key's own: it must be
    the licensed asset's (its check value is the seal's), and the public key the holder's
    (default: recovered from the holder's purchase transaction)."""
    _require_license(suite, license_id)
    pd = suite.private
    ok, asset_id, holder, seal_root = pd.releasable(license_id, ACCESS)
    asset_id, holder = int(asset_id), str(holder)
    if not ok:
        raise InputError(why_not_releasable(suite, license_id, asset_id, bytes(seal_root)))
    _, check = _seal_of(suite, asset_id)
    if sd.key_check(key) != check:
        raise InputError(
            f"This key is not asset {asset_id}'s: its check value is "
            f"0x{sd.key_check(key).hex()}, the seal's 0x{check.hex()} (license {license_id} "
            f"is for asset {asset_id})."
        )
    if not bool(pd.isGranter(asset_id, sender.address)):
        raise InputError(
            f"Only asset {asset_id}'s owner or a key service it named may grant its key, "
            f"not {sender.address}."
        )
    public = public_key if public_key is not None else holder_public_key(suite, license_id)
    if address_of(public).lower() != holder.lower():
        raise InputError(
            f"The public key is {address_of(public)}'s, not that of license {license_id}'s "
            f"holder {holder}."
        )
    wrapped = ecies.wrap(public, key)
    simulate(pd, "grantKey", license_id, wrapped, sender=sender.address)
    receipt = pd.grantKey(license_id, wrapped, sender=sender)
    event = receipt.events.filter(pd.KeyGranted)[0]
    return _grant(event, str(receipt.txn_hash), int(receipt.block_number))


def release_key(suite: Suite, sender: Any, license_id: int, key: bytes, public_key: bytes) -> str:
    """The key service's fast path (what the bench times): one releasable eth_call, the wrap
    and the grantKey transaction; the tx hash. The caller knows the key is the asset's and
    the public key the holder's."""
    pd = suite.private
    ok, asset_id, _holder, seal_root = pd.releasable(license_id, ACCESS)
    if not ok:
        raise InputError(why_not_releasable(suite, license_id, int(asset_id), bytes(seal_root)))
    receipt = pd.grantKey(license_id, ecies.wrap(public_key, key), sender=sender)
    return str(receipt.txn_hash)


def granted_keys(suite: Suite, license_id: int, holder: str | None = None) -> list[Grant]:
    """Every KeyGranted event of `license_id` (for `holder` only, when given), oldest first."""
    pd = suite.private
    start = int(suite.record.get("block", 0))
    head = int(pd.chain_manager.blocks.height)
    topics: dict[str, Any] = {"licenseId": license_id}
    if holder is not None:
        topics["holder"] = holder
    logs = pd.KeyGranted.range(start, head + 1, search_topics=topics)
    return [_grant(log, str(log.transaction_hash), int(log.block_number)) for log in logs]


def key_from_grants(
    private_key: bytes | str, grants: Sequence[Grant], key_check: bytes
) -> tuple[bytes, Grant]:
    """The dataset key from the first grant that unwraps with `private_key` to a key whose
    check value is `key_check`, and that grant."""
    if not grants:
        raise InputError("No key was granted for this license.")
    for grant in grants:
        try:
            key = ecies.unwrap(private_key, grant.wrapped_key)
        except InputError:
            continue  # wrapped for another key (a former holder's), or altered
        if len(key) == sd.KEY_SIZE and sd.key_check(key) == key_check:
            return key, grant
    raise InputError(
        f"None of the {len(grants)} key grant(s) of license {grants[0].license_id} unwraps, with "
        f"this account's key, to the sealed key (check value 0x{key_check.hex()})."
    )


def _grant(event: Any, tx: str, block: int) -> Grant:
    return Grant(
        license_id=int(event.licenseId),
        asset_id=int(event.assetId),
        holder=str(event.holder),
        granter=str(event.granter),
        wrapped_key=bytes(event.wrappedKey),
        tx=tx,
        block=block,
    )


# -- the holder's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class LicensedSeal:
    """A license's asset, its seal on chain, and a sealed folder's index checked against them."""

    license_id: int
    asset_id: int
    holder: str
    content_root: bytes
    seal_root: bytes
    key_check: bytes
    index: sd.SealIndex


def sealed_for_license(
    suite: Suite, license_id: int, sealed_folder: str | os.PathLike[str]
) -> LicensedSeal:
    """Read `sealed_folder`'s seal.json and check it is the sealed copy of the license's asset
    as the chain records it (content root, seal root and key check)."""
    _require_license(suite, license_id)
    folder = Path(sealed_folder)
    if not folder.is_dir():
        raise InputError(
            f"--sealed {folder} {'is not a folder' if folder.exists() else 'does not exist'}."
        )
    path = folder / sd.SEAL_FILE
    if not path.is_file():
        raise InputError(f"{folder} is not a sealed folder: it has no {sd.SEAL_FILE}.")
    index = sd.load_seal(path)
    terms = suite.license.usageTerms(license_id)
    asset_id, holder = int(terms.assetId), str(terms.holder)
    seal_root, check = _seal_of(suite, asset_id)
    if seal_root == ZERO32:
        raise InputError(f"License {license_id}'s asset {asset_id} is not sealed on chain.")
    content_root = bytes(suite.registry.asset(asset_id).contentRoot)
    try:
        index.verify_against(content_root=content_root, seal_root=seal_root, key_check=check)
    except sd.VerifyError as err:
        why = err.message[:1].lower() + err.message[1:]
        raise sd.VerifyError(
            f"{folder} is not the sealed copy of asset {asset_id} (license {license_id}): {why}"
        ) from None
    return LicensedSeal(license_id, asset_id, holder, content_root, seal_root, check, index)


def signing_key(account: Any) -> bytes:
    """The private key of an ape account, to unwrap what was wrapped for it: test accounts and
    $SEEDBED_PRIVATE_KEY signers hold it; a keyfile account is decrypted with its passphrase
    (APE_ACCOUNTS_<alias>_PASSPHRASE, else asked at a terminal)."""
    from eth_account import Account

    key = getattr(account, "private_key", None)
    if key is None and hasattr(account, "keyfile"):
        alias = str(getattr(account, "alias", ""))
        passphrase = os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE")
        if not passphrase:
            if not sys.stdin.isatty():
                raise InputError(
                    f"Account {alias!r} needs its passphrase to unwrap the key and there is no "
                    f"terminal to ask: set APE_ACCOUNTS_{alias}_PASSPHRASE."
                )
            passphrase = getpass.getpass(f"Passphrase of account {alias!r}: ")
        try:
            key = Account.decrypt(account.keyfile, passphrase)
        except ValueError:
            raise InputError(f"Wrong passphrase for account {alias!r}.") from None
    if key is None:
        raise InputError(
            f"Account {account.address} does not give its private key (a hardware wallet?): "
            "unwrapping the dataset key needs it."
        )
    raw = bytes(key) if isinstance(key, bytes | bytearray) else _hex(str(key), "the account key")
    if len(raw) != 32:
        raise InputError(f"Account {account.address}'s private key is not 32 bytes.")
    return raw


def unseal(
    index: sd.SealIndex,
    key: bytes,
    sealed_source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    asset_id: int | None = None,
) -> Unsealed:
    """Decrypt every file of the sealed folder `sealed_source` into `out`, then re-hash `out`
    against the index's content root.

    Every ciphertext still to decrypt is first checked (size and SHA-256, no key needed), so a
    damaged or missing file is refused before anything is written. Each file is decrypted
    chunk by chunk, every chunk checked (AEAD tag and chunk hash), into a temporary file
    renamed into place only once the whole file's SHA-256 is right. A re-run skips the files
    already there with the right SHA-256."""
    if sd.key_check(key) != index.key_check:
        raise InputError(
            f"The key is not this sealed dataset's: its check value is "
            f"0x{sd.key_check(key).hex()}, the seal's 0x{index.key_check.hex()}."
        )
    src, dst = Path(sealed_source), Path(out)
    if dst.exists() and not dst.is_dir():
        raise InputError(f"--out {dst} is a file, not a folder.")
    s, d = src.resolve(), dst.resolve()
    if d.is_relative_to(s) or s.is_relative_to(d):
        raise InputError(
            f"--out {dst} and the sealed folder {src} must be apart (neither inside the other)."
        )
    todo, skipped, done = [], 0, 0
    for f in index.files:
        cipher, target = sd.cipher_path(src, f.path), dst / f.path
        if target.is_symlink() or target.is_dir():
            raise InputError(f"{target} is in the way of the file {f.path}: move it away.")
        if _has(target, f):
            skipped += 1
            done += f.size
        else:
            todo.append((f, cipher, target))
    bad = [f.path for f, cipher, _ in todo if not sd.check_ciphertext(f, cipher)]
    if bad:
        named = ", ".join(bad[:NAMED]) + (
            f" and {len(bad) - NAMED} more" if len(bad) > NAMED else ""
        )
        raise sd.VerifyError(
            f"{len(bad)} sealed file(s) in {src} are missing or damaged (size or SHA-256 not "
            f"the seal's): {named}. Nothing was decrypted.",
            bad[0],
        )
    total = index.total_bytes
    if progress is not None:
        progress(done, total)
    for f, cipher, target in todo:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(cipher, "rb") as reader:

            def fill(w: Any, f: sd.SealedFile = f, reader: Any = reader) -> None:
                for plain in sd.iter_plain(key, f, reader):
                    w.write(plain)

            write_atomic(target, fill)
        done += f.size
        if progress is not None:
            progress(done, total)
    _drop_stale_temporaries(dst, index)
    report = verify(dst, index.manifest(), rules=[OWN_OUTPUT])
    if not report.ok:
        parts = [
            f"{what}: {', '.join(paths[:NAMED])}"
            for what, paths in (
                ("changed", report.changed),
                ("missing", report.missing),
                ("extra", report.extra),
            )
            if paths
        ]
        raise sd.VerifyError(
            f"{dst} does not hash to the content root 0x{index.content_root.hex()} after "
            f"unsealing ({'; '.join(parts) or 'another root'}): it must hold the dataset alone."
        )
    return Unsealed(
        out=str(dst),
        asset_id=asset_id,
        content_root=index.content_root,
        count=index.count,
        bytes=total,
        written=len(todo),
        skipped=skipped,
    )


def _drop_stale_temporaries(dst: Path, index: sd.SealIndex) -> None:
    """Remove the temporary files a killed run left beside the files it was writing
    (write_atomic's `.<name>.<random>.tmp`): they are no part of the dataset."""
    names: dict[Path, set[str]] = {}
    for f in index.files:
        target = dst / f.path
        names.setdefault(target.parent, set()).add(target.name)
    for parent, mine in names.items():
        try:
            entries = list(os.scandir(parent))
        except FileNotFoundError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") and name.endswith(".tmp") and entry.is_file():
                if name[1:].rsplit(".", 2)[0] in mine:
                    Path(entry.path).unlink(missing_ok=True)


def _has(target: Path, f: sd.SealedFile) -> bool:
    """The plaintext is there already: same size and SHA-256 (what a resumed run skips)."""
    import hashlib

    try:
        if not target.is_file() or target.stat().st_size != f.size:
            return False
        digest = hashlib.sha256()
        with open(target, "rb") as r:
            while block := r.read(1 << 20):
                digest.update(block)
    except OSError as err:
        raise InputError(f"Cannot read {target}: {err.strerror or err}.") from err
    return digest.digest() == f.sha256


# -- reads -------------------------------------------------------------------------------------


def _require_asset(suite: Suite, asset_id: int) -> None:
    count = int(suite.registry.assetCount())
    if not 0 < asset_id <= count:
        raise InputError(f"Asset {asset_id} does not exist on chain {suite.chain_id}.")


def _require_license(suite: Suite, license_id: int) -> None:
    count = int(suite.license.licenseCount())
    if not 0 < license_id <= count:
        raise InputError(f"License {license_id} does not exist on chain {suite.chain_id}.")


def _seal_of(suite: Suite, asset_id: int) -> tuple[bytes, bytes]:
    seal_root, check = suite.private.sealOf(asset_id)
    return bytes(seal_root), bytes(check)


def _hex(text: str, what: str) -> bytes:
    digits = text.strip().removeprefix("0x")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise InputError(f"{what} {text!r} is not hex.") from None


def _when(timestamp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
