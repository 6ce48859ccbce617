"""Batched reads of the contracts' views and balances at one block, for the checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.constants import ETH
from seedbed.core.keccak import keccak

Arg = int | str  # uint or 0x address


def selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


def _word(value: Arg) -> bytes:
    if isinstance(value, str):
        return bytes(12) + bytes.fromhex(value[2:])
    return value.to_bytes(32, "big")


class ChainReader:
    def __init__(self, rpc: Rpc, block: int) -> None:
        self.rpc = rpc
        self.block = hex(block)

    def call_many(self, calls: Sequence[tuple[str, bytes]]) -> list[bytes | None]:
        """eth_call each (address, calldata) at the audit block; None where it reverted."""
        replies = self.rpc.batch(
            [
                ("eth_call", [{"to": to, "data": "0x" + data.hex()}, self.block])
                for to, data in calls
            ]
        )
        return [
            None if isinstance(r, RpcError) or r is None else bytes.fromhex(r[2:]) for r in replies
        ]

    def words(
        self, address: str, signature: str, arg_lists: Sequence[Sequence[Arg]], index: int = 0
    ) -> list[int | None]:
        """The `index`-th 32-byte word returned by `signature` for each argument list."""
        sel = selector(signature)
        out = self.call_many([(address, sel + b"".join(map(_word, a))) for a in arg_lists])
        return [
            None
            if r is None or len(r) < 32 * (index + 1)
            else int.from_bytes(r[32 * index : 32 * (index + 1)], "big")
            for r in out
        ]

    def balances(self, pairs: Sequence[tuple[str, str]]) -> list[int | None]:
        """Balance of each (holder, currency): ETH via eth_getBalance, tokens via balanceOf."""
        requests: list[tuple[str, Sequence[Any]]] = []
        sel = selector("balanceOf(address)")
        for holder, cur in pairs:
            if cur == ETH:
                requests.append(("eth_getBalance", [holder, self.block]))
            else:
                data = "0x" + (sel + _word(holder)).hex()
                requests.append(("eth_call", [{"to": cur, "data": data}, self.block]))
        out: list[int | None] = []
        for r in self.rpc.batch(requests):
            out.append(None if isinstance(r, RpcError) or r in (None, "0x") else int(r, 16))
        return out

    def token_info(self, currencies: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(symbol, decimals) per currency; ETH is ("ETH", 18); unreadable tokens get a short
        address as symbol and 18 decimals (amounts are then shown in base units / 1e18)."""
        tokens = [c for c in currencies if c != ETH]
        calls = [(t, selector("symbol()")) for t in tokens]
        calls += [(t, selector("decimals()")) for t in tokens]
        out = self.call_many(calls)
        info = {ETH: ("ETH", 18)}
        for i, t in enumerate(tokens):
            symbol, decimals = t[:8], 18
            raw_symbol, raw_decimals = out[i], out[len(tokens) + i]
            try:
                if raw_symbol:
                    symbol = str(abi_decode(["string"], raw_symbol)[0]) or symbol
            except Exception:  # bytes32 symbols (old tokens) or garbage: keep the address
                pass
            if raw_decimals and len(raw_decimals) >= 32:
                value = int.from_bytes(raw_decimals[:32], "big")
                decimals = value if value <= 77 else 18
            info[t] = (symbol, decimals)
        return info
