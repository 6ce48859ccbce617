"""Checking what the gateway serves against what the chain commits to.

A dataset's files are the leaves of a Merkle tree (`seedbed.core.merkle`) whose root is the
asset's `contentRoot` in the AssetRegistry. A file response names the file's SHA-256, size
and proof; the client folds leaf(path, sha256, size) with the proof and compares the result
with the root it trusts: read from the chain (`AssetRegistry.asset(id).contentRoot`, over
JSON-RPC) or given by the caller. The gateway's own `Seedbed-Content-Root` header is only
compared, never trusted. Then the bytes: a whole file must hash and measure as named; a
range must be exactly the bytes its Content-Range says, of a file of the named size.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.client.errors import VerificationError
from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak
from seedbed.core.merkle import as_bytes32, file_leaf, merkle_root, verify_proof
from seedbed.core.vouchers import checksum_address

ROOT_HEADER = "Seedbed-Content-Root"
SHA256_HEADER = "Seedbed-File-Sha256"
SIZE_HEADER = "Seedbed-File-Size"
PROOF_HEADER = "Seedbed-File-Proof"

ASSET_SELECTOR = keccak(b"asset(uint256)")[:4]  # AssetRegistry.asset -> AssetView
_CONTENT_ROOT_WORD = 2  # AssetView(owner, kind, contentRoot, ...): a static tuple, inline
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
MAX_PROOF = 64  # siblings: a tree of 2**64 leaves; anything longer is not a proof


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a file response says about the whole file: checked against the root, then used
    to check the bytes."""

    path: str
    sha256: bytes
    size: int
    proof: tuple[bytes, ...]
    claimed_root: bytes | None = None

    @classmethod
    def from_headers(cls, path: str, headers: Mapping[str, str]) -> FileFacts:
        """Read the Seedbed-File-* headers; VerificationError names a missing or bad one."""
        try:
            sha = headers.get(SHA256_HEADER)
            size = headers.get(SIZE_HEADER)
            if sha is None or size is None:
                missing = SHA256_HEADER if sha is None else SIZE_HEADER
                raise VerificationError(f"the gateway's answer for {path!r} has no {missing}.")
            if not size.strip().isdigit():
                raise VerificationError(f"the {SIZE_HEADER} {size!r} is not a number of bytes.")
            root = headers.get(ROOT_HEADER)
            return cls(
                path=path,
                sha256=as_bytes32(sha.strip()),
                size=int(size.strip()),
                proof=parse_proof(headers.get(PROOF_HEADER, "")),
                claimed_root=as_bytes32(root.strip()) if root else None,
            )
        except VerificationError:
            raise
        except InputError as err:
            raise VerificationError(f"the gateway's file headers for {path!r}: {err}") from None

    def leaf(self) -> bytes:
        return file_leaf(self.path, self.sha256, self.size)


def parse_proof(value: str) -> tuple[bytes, ...]:
    """The comma-separated 0x siblings of a Seedbed-File-Proof header (empty: no siblings)."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if len(items) > MAX_PROOF:
        raise VerificationError(f"the proof has {len(items)} siblings, over {MAX_PROOF}.")
    try:
        return tuple(as_bytes32(item) for item in items)
    except InputError as err:
        raise VerificationError(
            f"the {PROOF_HEADER} header is not a list of bytes32: {err}"
        ) from None


def check_proof(facts: FileFacts, root: bytes, asset_id: int | None = None) -> None:
    """Raise VerificationError unless (path, sha256, size) is a leaf of the tree of `root`."""
    what = f"asset {asset_id}" if asset_id is not None else "the dataset"
    if facts.claimed_root is not None and facts.claimed_root != root:
        raise VerificationError(
            f"the gateway serves {what} from the content root 0x{facts.claimed_root.hex()}, "
            f"but the trusted root is 0x{root.hex()}."
        )
    if not verify_proof(facts.leaf(), facts.proof, root):
        raise VerificationError(
            f"the proof for {facts.path!r} (sha256 {facts.sha256.hex()}, {facts.size} bytes) "
            f"does not lead to the content root 0x{root.hex()} of {what}."
        )


def check_whole(facts: FileFacts, body: bytes) -> None:
    """Raise VerificationError unless `body` is the whole file the facts name."""
    if len(body) != facts.size:
        raise VerificationError(
            f"the gateway sent {len(body)} bytes of {facts.path!r}, which has {facts.size}."
        )
    digest = hashlib.sha256(body).digest()
    if digest != facts.sha256:
        raise VerificationError(
            f"the bytes of {facts.path!r} hash to {digest.hex()}, not {facts.sha256.hex()}."
        )


@dataclass(frozen=True, slots=True)
class ContentRange:
    start: int
    end: int  # inclusive, as HTTP writes it
    total: int | None

    @classmethod
    def parse(cls, value: str | None) -> ContentRange:
        match = _CONTENT_RANGE.match((value or "").strip())
        if not match:
            raise VerificationError(f"the Content-Range {value!r} is not 'bytes start-end/size'.")
        start, end, total = match.groups()
        if int(end) < int(start):
            raise VerificationError(f"the Content-Range {value!r} ends before it starts.")
        return cls(int(start), int(end), None if total == "*" else int(total))


def check_range(
    facts: FileFacts, body: bytes, content_range: str | None, start: int, end: int | None
) -> ContentRange:
    """Raise VerificationError unless `body` is bytes start..end (inclusive; None: to the end)
    of the file the facts name, exactly as the Content-Range says."""
    got = ContentRange.parse(content_range)
    last = facts.size - 1 if end is None else min(end, facts.size - 1)
    if got.total is not None and got.total != facts.size:
        raise VerificationError(
            f"the Content-Range says {facts.path!r} has {got.total} bytes, the file headers "
            f"say {facts.size}."
        )
    if got.start != start or got.end != last:
        raise VerificationError(
            f"asked for bytes {start}-{last} of {facts.path!r}, the gateway sent "
            f"{got.start}-{got.end}."
        )
    if len(body) != got.end - got.start + 1:
        raise VerificationError(
            f"the Content-Range of {facts.path!r} promises {got.end - got.start + 1} bytes, "
            f"the body has {len(body)}."
        )
    return got


def manifest_root(files: Sequence[Mapping[str, Any]]) -> bytes:
    """The content root of a manifest's files (ordered by the UTF-8 bytes of their path)."""
    try:
        ordered = sorted(files, key=lambda f: str(f["path"]).encode("utf-8"))
        leaves = [file_leaf(f["path"], as_bytes32(f["sha256"]), int(f["size"])) for f in ordered]
        return merkle_root(leaves)
    except (KeyError, TypeError, ValueError, InputError) as err:
        raise VerificationError(f"the manifest's file list is unreadable: {err}.") from None


def check_manifest(document: Mapping[str, Any], root: bytes, asset_id: int) -> None:
    """Raise VerificationError unless the manifest names `root` and its files build it."""
    claimed = document.get("contentRoot")
    try:
        claimed_root = as_bytes32(claimed) if isinstance(claimed, str) else None
    except InputError:
        claimed_root = None
    if claimed_root != root:
        raise VerificationError(
            f"the manifest of asset {asset_id} names the content root {claimed!r}, but the "
            f"trusted root is 0x{root.hex()}."
        )
    files = document.get("files")
    if not isinstance(files, list) or not files:
        raise VerificationError(f"the manifest of asset {asset_id} lists no files.")
    built = manifest_root(files)
    if built != root:
        raise VerificationError(
            f"the files the manifest of asset {asset_id} lists build the root 0x{built.hex()}, "
            f"not 0x{root.hex()}."
        )


def read_content_root(rpc: Rpc, registry_address: str, asset_id: int) -> bytes:
    """AssetRegistry.asset(asset_id).contentRoot, by one eth_call."""
    data = ASSET_SELECTOR + asset_id.to_bytes(32, "big")
    try:
        result = rpc.call(
            "eth_call", [{"to": registry_address, "data": "0x" + data.hex()}, "latest"]
        )
    except RpcError as err:
        raise VerificationError(
            f"asset {asset_id} is not registered in the AssetRegistry at {registry_address} "
            f"({err.message})."
        ) from None
    raw = bytes.fromhex(str(result or "0x")[2:])
    if len(raw) < 32 * (_CONTENT_ROOT_WORD + 1):
        raise VerificationError(
            f"the AssetRegistry at {registry_address} answered asset({asset_id}) with "
            f"{len(raw)} bytes: is it the registry on this chain?"
        )
    root = raw[32 * _CONTENT_ROOT_WORD : 32 * (_CONTENT_ROOT_WORD + 1)]
    if root == bytes(32):
        raise VerificationError(f"asset {asset_id} has no content root in the AssetRegistry.")
    return root


class ContentRoots:
    """The content roots this client trusts: given ones, else read from the chain (cached:
    an asset's content root never changes)."""

    def __init__(
        self,
        *,
        rpc_url: str | None = None,
        registry_address: str | None = None,
        roots: Mapping[int, bytes | str] | None = None,
        rpc: Rpc | None = None,
    ) -> None:
        if (rpc_url is None and rpc is None) != (registry_address is None):
            raise InputError("pass both rpc_url and registry_address to read roots from the chain.")
        self._rpc = rpc if rpc is not None else (Rpc.from_uri(rpc_url) if rpc_url else None)
        self._registry = (
            checksum_address(registry_address, "registry address") if registry_address else None
        )
        self._roots: dict[int, bytes] = {int(k): as_bytes32(v) for k, v in (roots or {}).items()}
        self._chain_id: int | None = None
        self._lock = threading.Lock()

    @property
    def on_chain(self) -> bool:
        return self._rpc is not None

    @property
    def rpc(self) -> Rpc | None:
        return self._rpc

    def trusted(self, asset_id: int, override: bytes | str | None = None) -> bytes:
        """The root to check asset `asset_id` against, or VerificationError if there is none."""
        if override is not None:
            return as_bytes32(override)
        with self._lock:
            if asset_id in self._roots:
                return self._roots[asset_id]
        if self._rpc is None or self._registry is None:
            raise VerificationError(
                f"no trusted content root for asset {asset_id}: pass rpc_url and "
                "registry_address, or the root (content_root=)."
            )
        root = read_content_root(self._rpc, self._registry, asset_id)
        with self._lock:
            self._roots[asset_id] = root
        return root

    def known(self, asset_id: int) -> bool:
        with self._lock:
            return asset_id in self._roots or self._rpc is not None

    def chain_id(self) -> int | None:
        """The chain id of the node the roots come from (None without one)."""
        if self._rpc is None:
            return None
        if self._chain_id is None:
            value = self._rpc.call("eth_chainId", [])
            self._chain_id = int(str(value), 16)
        return self._chain_id
