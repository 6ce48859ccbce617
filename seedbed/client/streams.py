"""A streamed chat completion: server-sent events, the chunks they carry, and the final
charge (`event: payment`, whose data is a base64 PAYMENT-RESPONSE) before `data: [DONE]`.

The PAYMENT-RESPONSE header that opens the stream is only the authorisation (what the voucher
covers); the served count is taken from the `payment` event."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from seedbed.client.errors import GatewayError
from seedbed.client.payments import PaidCall
from seedbed.core import x402


class Sse:
    """A server-sent-events line parser: `feed` a line, get (event, data) when one ends."""

    def __init__(self) -> None:
        self.event: str | None = None
        self.data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        if line == "":
            if not self.data:
                self.event = None
                return None
            out = (self.event or "message", "\n".join(self.data))
            self.event, self.data = None, []
            return out
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        return None

    def end(self) -> tuple[str, str] | None:
        return self.feed("")


class StreamState:
    """What a streamed chat's events mean: chunks to yield, the payment to record, the end."""

    def __init__(
        self, call: PaidCall, response: httpx.Response, on_payment: Callable[[PaidCall], None]
    ) -> None:
        self.call, self.response, self.on_payment = call, response, on_payment
        self.payment: dict[str, Any] | None = None
        header = response.headers.get(x402.PAYMENT_RESPONSE)
        self.authorization: dict[str, Any] | None = None
        if header:
            try:
                self.authorization = x402.read_payment_response(header)
            except x402.PaymentError:
                pass
        self.sse = Sse()
        self.finished = False

    def handle(self, event: tuple[str, str] | None) -> Any:
        """A chunk to yield, or None; raises StopIteration at [DONE]."""
        if event is None:
            return None
        kind, data = event
        if kind == "payment":
            self.call.on_success(data.strip())
            self.payment = x402.read_payment_response(data.strip())
            self.on_payment(self.call)
            return None
        if kind == "error":
            raise GatewayError.from_body(self.response.status_code, data.encode())
        if data.strip() == "[DONE]":
            self.finished = True
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise GatewayError(
                self.response.status_code, "invalid_response", "a chat chunk is not JSON."
            ) from None


class ChatStream:
    """The chunks of a streamed chat completion (OpenAI's `chat.completion.chunk` dicts).

    Iterate it, or use it as a context manager to close the connection early. `payment` is
    the final charge (the `payment` event) once the stream has ended; `authorization` the
    PAYMENT-RESPONSE header that opened it."""

    def __init__(self, state: StreamState) -> None:
        self._state = state
        self._lines = state.response.iter_lines()

    @property
    def payment(self) -> dict[str, Any] | None:
        return self._state.payment

    @property
    def authorization(self) -> dict[str, Any] | None:
        return self._state.authorization

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        state = self._state
        try:
            while not state.finished:
                line = next(self._lines, None)
                chunk = state.handle(state.sse.end() if line is None else state.sse.feed(line))
                if chunk is not None:
                    return chunk
                if line is None:
                    break
        except BaseException:
            self.close()
            raise
        self.close()
        raise StopIteration

    def close(self) -> None:
        self._state.response.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChatStream:
    """`ChatStream` for the async client: `async for chunk in stream`."""

    def __init__(self, state: StreamState) -> None:
        self._state = state
        self._lines = state.response.aiter_lines()

    @property
    def payment(self) -> dict[str, Any] | None:
        return self._state.payment

    @property
    def authorization(self) -> dict[str, Any] | None:
        return self._state.authorization

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        state = self._state
        try:
            while not state.finished:
                try:
                    line: str | None = await self._lines.__anext__()
                except StopAsyncIteration:
                    line = None
                chunk = state.handle(state.sse.end() if line is None else state.sse.feed(line))
                if chunk is not None:
                    return chunk
                if line is None:
                    break
        except BaseException:
            await self.aclose()
            raise
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        await self._state.response.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
