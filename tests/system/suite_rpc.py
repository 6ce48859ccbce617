"""Raw JSON-RPC to the test anvil, for the state machine's hot loop.

ape costs ~20 ms per transaction and ~8 ms per call; the machine sends hundreds of
transactions and reads hundreds of values per example, so it speaks JSON-RPC directly:
anvil's dev accounts are unlocked, a transaction costs ~2 ms and a batch of reads one round
trip. Every transaction gets an explicit timestamp (the model's clock) and an explicit gas
limit, so a failing one is mined too and its custom error is read from the trace.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

GAS = 12_000_000
PANIC = "Panic"


def split_types(inner: str) -> list[str]:
    """'uint256,(bytes32,uint256)[],address' -> its top-level types."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(inner[start:i])
            start = i + 1
    if inner[start:]:
        out.append(inner[start:])
    return out


def normalize(value: Any) -> Any:
    """ABI-decoded values in the model's shapes: checksum addresses, tuples, ints, bytes."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, list | tuple):
        return tuple(normalize(v) for v in value)
    return value


class Fn:
    """One contract function: `Fn("claimed(uint256,address,address)", "uint256")`."""

    def __init__(self, signature: str, outputs: str = "") -> None:
        self.signature = signature
        self.selector = keccak(text=signature)[:4]
        self.inputs = split_types(signature[signature.index("(") + 1 : -1])
        self.outputs = split_types(outputs)

    def data(self, *args: Any) -> str:
        return "0x" + (self.selector + encode(self.inputs, list(args))).hex()

    def decode(self, raw: str) -> Any:
        values = normalize(decode(self.outputs, bytes.fromhex(raw[2:])))
        return values[0] if len(values) == 1 else values


class Errors:
    """Custom errors of the project's contracts by selector, to decode revert data."""

    def __init__(self, contract_types: Iterable[Any]) -> None:
        self.by_selector: dict[bytes, tuple[str, list[str]]] = {
            keccak(text="Panic(uint256)")[:4]: (PANIC, ["uint256"]),
            keccak(text="Error(string)")[:4]: ("Error", ["string"]),
        }
        for ct in contract_types:
            for abi in ct.abi:
                if abi.type == "error":
                    types = [i.canonical_type for i in abi.inputs]
                    self.by_selector[keccak(text=abi.selector)[:4]] = (abi.name, types)

    def decode(self, data: bytes) -> tuple[str, tuple[Any, ...]]:
        if len(data) < 4:
            return ("<no data>", (data,))
        name, types = self.by_selector.get(data[:4], ("<unknown>", []))
        if name == "<unknown>":
            return (name, (data,))
        return name, normalize(decode(types, data[4:]))


class RpcError(Exception):
    """A failed request; `data` is the revert data of a reverted call."""

    def __init__(self, message: str, data: bytes | None = None) -> None:
        super().__init__(message)
        self.data = data


class Rpc:
    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.session = requests.Session()

    def call(self, method: str, *params: Any) -> Any:
        reply = self.session.post(
            self.uri, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        ).json()
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in order; an item that failed is returned as its RpcError."""
        if not calls:
            return []
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        replies = {r["id"]: r for r in self.session.post(self.uri, json=body).json()}
        out: list[Any] = []
        for i in range(len(calls)):
            r = replies[i]
            if "error" in r:
                data = r["error"].get("data")
                raw = bytes.fromhex(data[2:]) if isinstance(data, str) else None
                out.append(RpcError(str(r["error"]), raw))
            else:
                out.append(r["result"])
        return out


@dataclass
class Outcome:
    ok: bool
    error: tuple[str, tuple[Any, ...]] | None
    gas_wei: int
    receipt: dict[str, Any]


class Chain:
    """Transactions at chosen timestamps, and batched reads."""

    def __init__(self, uri: str, errors: Errors) -> None:
        self.rpc = Rpc(uri)
        self.errors = errors

    def head(self) -> tuple[int, int]:
        block = self.rpc.call("eth_getBlockByNumber", "latest", False)
        return int(block["number"], 16), int(block["timestamp"], 16)

    def mine(self, timestamp: int) -> None:
        self.rpc.call("evm_mine", timestamp)

    def send(self, sender: str, to: str | None, data: str, value: int, timestamp: int) -> Outcome:
        """`to` None creates a contract from `data` (its init code)."""
        self.rpc.call("evm_setNextBlockTimestamp", timestamp)
        tx = {"from": sender, "data": data, "value": hex(value), "gas": hex(GAS)}
        if to is not None:
            tx["to"] = to
        tx_hash = self.rpc.call("eth_sendTransaction", tx)
        receipt = self.receipt(tx_hash)
        gas = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        if int(receipt["status"], 16) == 1:
            return Outcome(True, None, gas, receipt)
        trace = self.rpc.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
        data_out = bytes.fromhex(trace.get("output", "0x")[2:])
        return Outcome(False, self.errors.decode(data_out), gas, receipt)

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        # anvil answers eth_sendTransaction once the block is mined, but may index the
        # receipt a moment later.
        for attempt in range(200):
            receipt = self.rpc.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return receipt
            time.sleep(0.001 * attempt)
        raise RpcError(f"transaction {tx_hash} has no receipt")

    def read(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        return self.rpc.batch(calls)


def eth_call(
    to: str, data: str, sender: str | None = None, at: int | None = None
) -> tuple[str, list[Any]]:
    """A call on the latest state; `at` overrides the block timestamp it sees."""
    tx: dict[str, Any] = {"to": to, "data": data}
    if sender:
        tx["from"] = sender
    if at is None:
        return ("eth_call", [tx, "latest"])
    return ("eth_call", [tx, "latest", None, {"time": hex(at)}])


def get_balance(address: str) -> tuple[str, list[Any]]:
    return ("eth_getBalance", [address, "latest"])


def logs_of(receipt: dict[str, Any], topic0: bytes) -> list[dict[str, Any]]:
    want = "0x" + topic0.hex()
    return [log for log in receipt["logs"] if log["topics"] and log["topics"][0] == want]
