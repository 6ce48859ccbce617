"""A small JSON-RPC client for the audit's bulk reads: raw HTTP with batching.

web3's middleware and ape's log objects cost more than the node does when reading tens of
thousands of logs or views; a raw POST with a JSON batch is what the node is fast at.
Providers without an HTTP endpoint fall back to web3's `make_request` (no batching).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from seedbed.core.errors import ChainError

BATCH = 500  # requests per HTTP batch: nodes cap batches (geth 1000); keep well under


class RpcError(Exception):
    """A JSON-RPC error response (a revert, a node limit...)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class Rpc:
    def __init__(self, provider: Any) -> None:
        uri = getattr(provider, "http_uri", None)
        self._uri = uri if isinstance(uri, str) and uri.startswith("http") else None
        self._session = requests.Session() if self._uri else None
        self._web3 = getattr(provider, "web3", None)
        self.calls = 0  # HTTP round trips, for the stats

    @classmethod
    def from_uri(cls, uri: str) -> Rpc:
        rpc = cls(None)
        rpc._uri, rpc._session = uri, requests.Session()
        return rpc

    def call(self, method: str, params: Sequence[Any]) -> Any:
        result = self.batch([(method, params)])[0]
        if isinstance(result, RpcError):
            raise result
        return result

    def batch(self, requests_: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Results in order; an error response is returned as an RpcError in its place."""
        out: list[Any] = []
        for start in range(0, len(requests_), BATCH):
            out.extend(self._post(requests_[start : start + BATCH]))
        return out

    def _post(self, chunk: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        self.calls += 1
        if self._session is None or self._uri is None:
            return [self._one_via_web3(m, p) for m, p in chunk]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in enumerate(chunk)
        ]
        try:
            response = self._session.post(self._uri, json=body, timeout=120)
            response.raise_for_status()
            replies = response.json()
        except (requests.RequestException, ValueError) as err:
            raise ChainError(f"The node at {self._uri} did not answer: {err}.") from err
        if not isinstance(replies, list):  # some nodes answer a whole batch with one error
            error = replies.get("error", {}) if isinstance(replies, dict) else {}
            return [RpcError(error.get("code", 0), error.get("message", str(replies)))] * len(chunk)
        by_id = {r.get("id"): r for r in replies}
        return [_unwrap(by_id.get(i)) for i in range(len(chunk))]

    def _one_via_web3(self, method: str, params: Sequence[Any]) -> Any:
        if self._web3 is None:
            raise ChainError("No connection to a node.")
        return _unwrap(dict(self._web3.provider.make_request(method, list(params))))


def _unwrap(reply: dict[str, Any] | None) -> Any:
    if reply is None:
        return RpcError(0, "the node sent no reply for this request")
    if reply.get("error"):
        e = reply["error"]
        return RpcError(int(e.get("code", 0)), str(e.get("message", "")), e.get("data"))
    return reply.get("result")
