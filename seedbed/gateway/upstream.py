"""The upstream handlers a gateway fronts: an OpenAI-compatible model and any HTTP service.

A handler returns what the upstream answered without sending it: the metering charges first
(only a successful answer), then the answer goes out. Connection failures become
HandlerFailed (502), so nothing is charged for them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from seedbed.gateway.config import AssetConfig
from seedbed.gateway.metering import HandlerFailed, Served


class Upstreams:
    def __init__(self, max_connections: int = 256) -> None:
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self.client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post(
        self, url: str, body: bytes, content_type: str, timeout: float
    ) -> httpx.Response:
        try:
            return await self.client.post(
                url, content=body, headers={"content-type": content_type}, timeout=timeout
            )
        except httpx.TimeoutException:
            raise HandlerFailed(504, "upstream_timeout", f"the upstream {url} timed out.") from None
        except httpx.HTTPError as err:
            raise HandlerFailed(
                502, "upstream_unreachable", f"the upstream {url} failed: {err}."
            ) from None

    async def chat(self, asset: AssetConfig, request: dict[str, Any]) -> Served:
        """A non-streamed chat completion; `used` is the upstream's usage.total_tokens."""
        url = f"{asset.upstream}/v1/chat/completions"
        answer = await self.post(
            url, json.dumps(request).encode(), "application/json", asset.timeout_seconds
        )
        used = None
        if answer.status_code == 200:
            try:
                used = int(answer.json()["usage"]["total_tokens"])
            except (ValueError, KeyError, TypeError):
                raise HandlerFailed(
                    502, "upstream_invalid", "the upstream's answer has no usage.total_tokens."
                ) from None
        return Served(answer.status_code, answer.content, "application/json", used=used)

    def chat_stream(self, asset: AssetConfig, request: dict[str, Any]) -> tuple[Any, Any]:
        """(a function giving the SSE byte stream without its [DONE], a function giving the
        tokens used once the stream ended)."""
        usage: dict[str, int] = {}

        async def stream() -> AsyncIterator[bytes]:
            url = f"{asset.upstream}/v1/chat/completions"
            try:
                async with self.client.stream(
                    "POST", url, json=request, timeout=asset.timeout_seconds
                ) as answer:
                    if answer.status_code != 200:
                        raise HandlerFailed(
                            502, "upstream_error", f"the upstream answered {answer.status_code}."
                        )
                    async for line in answer.aiter_lines():
                        if not line.startswith("data: "):
                            continue
                        data = line[6:].strip()
                        if data == "[DONE]":
                            return
                        try:
                            chunk = json.loads(data)
                        except ValueError:
                            raise HandlerFailed(
                                502,
                                "upstream_invalid",
                                "the upstream sent a chunk that is not JSON.",
                            ) from None
                        if isinstance(chunk, dict) and isinstance(chunk.get("usage"), dict):
                            usage["total"] = int(chunk["usage"].get("total_tokens", 0))
                        yield f"data: {data}\n\n".encode()
            except httpx.HTTPError as err:
                raise HandlerFailed(
                    502, "upstream_unreachable", f"the upstream stream failed: {err}."
                ) from None
            raise HandlerFailed(
                502, "upstream_invalid", "the upstream's stream ended without [DONE]."
            )

        return stream, lambda: usage.get("total")

    async def invoke(self, asset: AssetConfig, body: bytes, content_type: str) -> Served:
        url = f"{asset.upstream}/invoke" if asset.kind == "model" else str(asset.upstream)
        answer = await self.post(url, body, content_type, asset.timeout_seconds)
        media = answer.headers.get("content-type", "application/octet-stream")
        return Served(answer.status_code, answer.content, media)
