"""The license holder's side of private datasets: release requests, and the seal checks.

A private dataset's files are served only with a session token, which the gateway hands out
for a `Release` (EIP-712, `seedbed.core.access`) signed by the license holder over a one-time
challenge. `PrivateAccess` holds the holder's key and the tokens, and checks what a private
answer claims against the chain:

- a whole file, like any file, against the content root (AssetRegistry);
- a byte range against the file's chunk hashes, from the seal index whose root is the one
  PrivateData records for the asset (`sealOf`). The client asks for whole chunks, checks
  each chunk's SHA-256, and hands back only the bytes asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

from eth_account import Account

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.client.errors import VerificationError
from seedbed.core import access
from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak
from seedbed.core.manifest import FileEntry, Manifest
from seedbed.core.sealed import SealedFile, SealIndex
from seedbed.core.vouchers import checksum_address

ACCESS_HEADER = "Seedbed-Access"
SEAL_HEADER = "Seedbed-Seal-Root"
ACCESS_ERRORS = frozenset({"access_required", "access_expired"})
SEAL_OF_SELECTOR = keccak(b"sealOf(uint256)")[:4]


def read_seal_root(rpc: Rpc, private_data: str, asset_id: int) -> bytes | None:
    """PrivateData.sealOf(asset_id).sealRoot by one eth_call; None for an unsealed asset."""
    data = SEAL_OF_SELECTOR + asset_id.to_bytes(32, "big")
    try:
        result = rpc.call("eth_call", [{"to": private_data, "data": "0x" + data.hex()}, "latest"])
    except RpcError as err:
        raise VerificationError(
            f"PrivateData at {private_data} cannot answer sealOf({asset_id}): {err.message}."
        ) from None
    raw = bytes.fromhex(str(result or "0x")[2:])
    if len(raw) < 64:
        raise VerificationError(
            f"the contract at {private_data} answered sealOf({asset_id}) with {len(raw)} bytes: "
            "is it PrivateData on this chain?"
        )
    root = raw[:32]
    return None if root == bytes(32) else root


def aligned(start: int, end: int | None, size: int, chunk: int) -> tuple[int, int]:
    """The whole chunks covering bytes start..end (inclusive; None: to the end)."""
    last = size - 1 if end is None else min(end, size - 1)
    if start < 0 or start > last:
        raise InputError(f"the range {start}-{end} is outside the file's {size} bytes.")
    return (start // chunk) * chunk, min((last // chunk + 1) * chunk, size) - 1


def check_chunks(entry: SealedFile, chunk: int, first: int, body: bytes) -> None:
    """Raise VerificationError unless `body` is whole chunks of `entry` from byte `first`,
    each hashing to its chunk hash in the seal."""
    if first % chunk:
        raise VerificationError(f"{entry.path!r}: a checked range starts on a chunk boundary.")
    index = first // chunk
    for offset in range(0, len(body), chunk):
        piece = body[offset : offset + chunk]
        if index >= len(entry.chunk_hashes):
            raise VerificationError(f"{entry.path!r}: the gateway sent bytes past the last chunk.")
        if hashlib.sha256(piece).digest() != entry.chunk_hashes[index]:
            raise VerificationError(
                f"chunk {index} of {entry.path!r} does not hash to its chunk hash in the seal."
            )
        index += 1


class PrivateAccess:
    """Tokens and trusted seals of the private datasets a license holder reads."""

    def __init__(
        self,
        holder_key: bytes | str,
        license_id: int | None,
        *,
        rpc: Rpc | None = None,
        private_data: str | None = None,
    ) -> None:
        try:
            account = Account.from_key(holder_key)
        except (ValueError, TypeError) as err:
            raise InputError(f"holder_key is not a private key: {err}.") from None
        self._key = account.key
        self.holder = account.address
        self.license_id = license_id
        self._rpc = rpc
        self._private_data = (
            checksum_address(private_data, "private data address") if private_data else None
        )
        self._tokens: dict[int, str] = {}
        self._roots: dict[int, bytes | None] = {}
        self._seals: dict[int, SealIndex] = {}
        self._lock = threading.Lock()

    # -- the session --------------------------------------------------------------------------

    def headers(self, asset_id: int) -> dict[str, str]:
        token = self._tokens.get(asset_id)
        return {ACCESS_HEADER: token} if token else {}

    @staticmethod
    def wants_access(status: int, body: bytes) -> bool:
        """Whether an answer asks for (a new) release: a 401 naming access."""
        if status != 401:
            return False
        try:
            import json

            return json.loads(body).get("error") in ACCESS_ERRORS
        except (ValueError, AttributeError):
            return False

    def release_body(self, challenge: Mapping[str, Any]) -> dict[str, Any]:
        """The signed release answering a gateway's challenge (POST /v1/challenge)."""
        if self.license_id is None:
            raise InputError("a private dataset needs the license to read it under (license_id).")
        try:
            chain_id = int(challenge["chainId"])
            contract = checksum_address(str(challenge["privateData"]), "privateData")
            release = access.Release(
                license_id=int(self.license_id),
                audience=checksum_address(str(challenge["audience"]), "audience"),
                nonce=bytes.fromhex(str(challenge["nonce"]).removeprefix("0x")),
                deadline=int(str(challenge["deadline"])),
            )
        except (KeyError, ValueError, TypeError) as err:
            raise VerificationError(f"the gateway's challenge is unreadable: {err}.") from None
        if self._private_data is not None and contract != self._private_data:
            raise VerificationError(
                f"the challenge names PrivateData {contract}, not the trusted {self._private_data}."
            )
        signature = access.sign(release, chain_id, contract, self._key)
        return release.to_json(signature)

    def take_token(self, asset_id: int, document: Mapping[str, Any]) -> None:
        token = document.get("token")
        if not isinstance(token, str) or not token:
            raise VerificationError("the gateway's access answer holds no token.")
        self._tokens[asset_id] = token

    # -- the checks ---------------------------------------------------------------------------

    def seal_root(self, asset_id: int) -> bytes | None:
        """The seal root the chain records for the asset (None: not private, or no chain)."""
        if self._rpc is None or self._private_data is None:
            return None
        with self._lock:
            if asset_id in self._roots:
                return self._roots[asset_id]
        root = read_seal_root(self._rpc, self._private_data, asset_id)
        with self._lock:
            self._roots[asset_id] = root
        return root

    def need_seal(self, asset_id: int) -> bytes:
        root = self.seal_root(asset_id)
        if root is None:
            raise VerificationError(
                f"asset {asset_id} is private: a range is checked against its seal root, so "
                "pass rpc_url and private_data_address (PrivateData's address)."
            )
        return root

    def cached_seal(self, asset_id: int) -> SealIndex | None:
        return self._seals.get(asset_id)

    def adopt_seal(self, asset_id: int, document: Any, content_root: bytes) -> SealIndex:
        """The seal index a gateway served, once it proves to the chain's seal and content
        roots (VerificationError otherwise)."""
        try:
            index = SealIndex.from_json(document, f"the seal of asset {asset_id}")
        except InputError as err:
            raise VerificationError(err.message) from None
        seal_root = self.need_seal(asset_id)
        if index.seal_root != seal_root:
            raise VerificationError(
                f"the seal of asset {asset_id} has the root 0x{index.seal_root.hex()}, but "
                f"PrivateData records 0x{seal_root.hex()}."
            )
        files = [FileEntry(f.path, f.sha256, f.size) for f in index.files]
        if index.content_root != content_root or Manifest.from_files(files).root != content_root:
            raise VerificationError(
                f"the seal of asset {asset_id} is of the content root "
                f"0x{index.content_root.hex()}, not the registered 0x{content_root.hex()}."
            )
        self._seals[asset_id] = index
        return index
