"""What a custodian reads from the chain: PrivateData's views, by eth_call over plain JSON-RPC
(no ape or web3 in the custodian process: it starts fast and holds nothing but a session)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.errors import ChainError

_RELEASABLE = keccak(text="releasable(uint256,uint8)")[:4]
_SEAL_OF = keccak(text="sealOf(uint256)")[:4]
ZERO32 = bytes(32)
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class Releasable:
    ok: bool
    asset_id: int
    holder: str  # the license's current owner (the zero address for an unknown license)
    seal_root: bytes


class PrivateDataView:
    """eth_call of PrivateData at "latest". Each thread keeps its own HTTP session (the
    server answers requests from a thread pool; a requests.Session is not thread-safe)."""

    def __init__(self, rpc_uri: str, address: str) -> None:
        self.rpc_uri = rpc_uri
        self.address = to_checksum_address(address)
        self._local = threading.local()

    def _rpc(self) -> Rpc:
        rpc = getattr(self._local, "rpc", None)
        if rpc is None:
            rpc = self._local.rpc = Rpc.from_uri(self.rpc_uri)
        return rpc

    def chain_id(self) -> int:
        return int(self._rpc().call("eth_chainId", []), 16)

    def has_code(self) -> bool:
        code = self._rpc().call("eth_getCode", [self.address, "latest"])
        return isinstance(code, str) and len(code) > 2

    def releasable(self, license_id: int, scopes: int) -> Releasable:
        out = self._call(
            _RELEASABLE + encode(["uint256", "uint8"], [license_id, scopes]),
            ["bool", "uint256", "address", "bytes32"],
            "releasable",
        )
        return Releasable(bool(out[0]), int(out[1]), to_checksum_address(out[2]), bytes(out[3]))

    def seal_of(self, asset_id: int) -> tuple[bytes, bytes]:
        """(sealRoot, keyCheck); zeros for an asset not sealed."""
        out = self._call(
            _SEAL_OF + encode(["uint256"], [asset_id]), ["bytes32", "bytes32"], "sealOf"
        )
        return bytes(out[0]), bytes(out[1])

    def _call(self, data: bytes, types: list[str], name: str) -> tuple[Any, ...]:
        try:
            raw = self._rpc().call(
                "eth_call", [{"to": self.address, "data": "0x" + data.hex()}, "latest"]
            )
        except RpcError as err:
            raise ChainError(
                f"PrivateData.{name} at {self.address} failed on the node: {err.message}."
            ) from None
        try:
            return tuple(decode(types, bytes.fromhex(str(raw).removeprefix("0x"))))
        except Exception:
            raise ChainError(
                f"PrivateData.{name} at {self.address} answered {str(raw)[:80]!r}: "
                "is it the PrivateData contract on this chain?"
            ) from None
