"""Raw JSON-RPC plumbing for the adversarial-consumer state machine (test_adversary.py).

ape costs ~20 ms a transaction; the machine sends thousands, and after every step settles
every accepted voucher on a snapshot, so it speaks JSON-RPC to anvil directly (the dev
accounts are unlocked). Every transaction carries an explicit timestamp, the machine's clock,
and an explicit gas limit, so a reverted one is mined too and its custom error is read from
its trace. Calls are encoded from the compiled contracts' own ABIs, by function name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

GAS = 15_000_000


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    return value


class RpcError(Exception):
    def __init__(self, message: str, data: bytes | None = None) -> None:
        super().__init__(message)
        self.data = data


class Rpc:
    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.session = requests.Session()

    def call(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        reply = self.session.post(self.uri, json=body).json()
        if "error" in reply:
            data = reply["error"].get("data")
            raw = (
                bytes.fromhex(data[2:]) if isinstance(data, str) and data.startswith("0x") else None
            )
            raise RpcError(f"{method}: {reply['error']}", raw)
        return reply["result"]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        if not calls:
            return []
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        replies = {r["id"]: r for r in self.session.post(self.uri, json=body).json()}
        out = []
        for i in range(len(calls)):
            r = replies[i]
            if "error" in r:
                raise RpcError(f"{calls[i][0]}: {r['error']}")
            out.append(r["result"])
        return out


@dataclass(frozen=True)
class Fn:
    name: str
    selector: bytes
    inputs: list[str]
    outputs: list[str]

    def data(self, *args: Any) -> str:
        return "0x" + (self.selector + encode(self.inputs, list(args))).hex()

    def decode(self, raw: str) -> Any:
        values = _norm(decode(self.outputs, bytes.fromhex(raw[2:])))
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class Event:
    name: str
    topic: str
    indexed: list[tuple[str, str]]
    data: list[tuple[str, str]]

    def decode(self, log: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for (name, typ), topic in zip(self.indexed, log["topics"][1:], strict=True):
            out[name] = _norm(decode([typ], bytes.fromhex(topic[2:]))[0])
        values = decode([t for _, t in self.data], bytes.fromhex(log["data"][2:]))
        for (name, _), value in zip(self.data, values, strict=True):
            out[name] = _norm(value)
        out["_block"] = int(log["blockNumber"], 16)
        out["_tx"] = log["transactionHash"]
        return out


class Abi:
    """A contract's functions and events by name, from ape's contract type."""

    def __init__(self, contract_type: Any) -> None:
        self.fns: dict[str, Fn] = {}
        self.events: dict[str, Event] = {}
        self.errors: dict[bytes, tuple[str, list[str]]] = {}
        for item in contract_type.abi:
            if item.type == "function":
                self.fns[item.name] = Fn(
                    item.name,
                    keccak(text=item.selector)[:4],
                    [i.canonical_type for i in item.inputs],
                    [o.canonical_type for o in item.outputs],
                )
            elif item.type == "event":
                self.events[item.name] = Event(
                    item.name,
                    "0x" + keccak(text=item.selector).hex(),
                    [(i.name, i.canonical_type) for i in item.inputs if i.indexed],
                    [(i.name, i.canonical_type) for i in item.inputs if not i.indexed],
                )
            elif item.type == "error":
                types = [i.canonical_type for i in item.inputs]
                self.errors[keccak(text=item.selector)[:4]] = (item.name, types)

    def __getattr__(self, name: str) -> Fn:
        try:
            return self.fns[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


class Errors:
    def __init__(self, abis: list[Abi]) -> None:
        self.by_selector: dict[bytes, tuple[str, list[str]]] = {
            keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"]),
            keccak(text="Error(string)")[:4]: ("Error", ["string"]),
        }
        for a in abis:
            self.by_selector.update(a.errors)

    def decode(self, data: bytes) -> tuple[str, tuple[Any, ...]]:
        if len(data) < 4:
            return ("<no data>", ())
        name, types = self.by_selector.get(data[:4], ("<unknown>", []))
        if name == "<unknown>":
            return (name, (data.hex(),))
        values = _norm(decode(types, data[4:]))
        if name == "AdversaryWalletCallFailed":  # unwrap the inner call's error
            return self.decode(values[1])
        return name, values


@dataclass
class Outcome:
    ok: bool
    error: tuple[str, tuple[Any, ...]] | None
    receipt: dict[str, Any]


class Chain:
    def __init__(self, uri: str, errors: Errors) -> None:
        self.rpc = Rpc(uri)
        self.errors = errors

    def head(self) -> tuple[int, int]:
        block = self.rpc.call("eth_getBlockByNumber", "latest", False)
        return int(block["number"], 16), int(block["timestamp"], 16)

    def send(self, sender: str, to: str, data: str, value: int, timestamp: int) -> Outcome:
        self.rpc.call("evm_setNextBlockTimestamp", timestamp)
        tx = {"from": sender, "to": to, "data": data, "value": hex(value), "gas": hex(GAS)}
        tx_hash = self.rpc.call("eth_sendTransaction", tx)
        receipt = None
        for attempt in range(200):
            receipt = self.rpc.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                break
            time.sleep(0.001 * attempt)
        assert receipt is not None, tx_hash
        if int(receipt["status"], 16) == 1:
            return Outcome(True, None, receipt)
        trace = self.rpc.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
        out = bytes.fromhex(trace.get("output", "0x")[2:])
        return Outcome(False, self.errors.decode(out), receipt)

    def call(self, to: str, data: str, block: str | int = "latest") -> str:
        tag = block if isinstance(block, str) else hex(block)
        return self.rpc.call("eth_call", {"to": to, "data": data}, tag)

    def calls(self, items: list[tuple[str, str]]) -> list[str]:
        return self.rpc.batch([("eth_call", [{"to": to, "data": d}, "latest"]) for to, d in items])

    def logs(self, address: str, from_block: int, to_block: int) -> list[dict[str, Any]]:
        if to_block < from_block:
            return []
        return self.rpc.call(
            "eth_getLogs",
            {"address": address, "fromBlock": hex(from_block), "toBlock": hex(to_block)},
        )

    def balance(self, address: str) -> int:
        return int(self.rpc.call("eth_getBalance", address, "latest"), 16)

    def snapshot(self) -> str:
        return self.rpc.call("evm_snapshot")

    def revert(self, snapshot_id: str) -> None:
        assert self.rpc.call("evm_revert", snapshot_id), "evm_revert failed"
