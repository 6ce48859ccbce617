"""A client of the Seedbed gateway: model calls and dataset files, paid per call.

    from seedbed.client import GatewayClient

    with GatewayClient("http://127.0.0.1:8000", private_key=KEY, license_id=7,
                       rpc_url="http://127.0.0.1:8545", registry_address=REGISTRY) as gw:
        answer = gw.chat([{"role": "user", "content": "hi"}], model="tiny-lm")
        data = gw.file(3, "train/part-0.csv")          # checked against the chain's root
        gw.download(3, "train/part-1.csv", "part-1.csv")

Paying: the first paid call on a route is answered 402; the client signs a voucher for its
channel (`payments.VoucherSigner`) and sends the call again. Later calls on the route pay up
front from the cached terms, in one round trip. A transport failure (no answer, 502, 503)
resends the same request with the same payment identifier, so the gateway replays the call
rather than charging it twice. With `api_key=` the gateway signs for the key's channel and
this client never signs; its calls carry `Idempotency-Key` instead, for the same replays.

Files: every file answer is checked (`verify`) against the asset's content root read from the
AssetRegistry (rpc_url + registry_address) or given by the caller, before its bytes are
returned; nothing is paid for a file whose root cannot be known.

`GatewayClient` is synchronous (httpx.Client: no event loop, fine in a notebook);
`AsyncGatewayClient` is the same over httpx.AsyncClient.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from seedbed.client.errors import GatewayError, PaymentRefused, VerificationError
from seedbed.client.files import (
    DEFAULT_CHUNK,
    Assembly,
    AtomicFile,
    ByteRange,
    fetch_dataset,
    file_headers,
    file_route,
    target_path,
    verified_file,
)
from seedbed.client.payments import (
    ChallengeCache,
    Channel,
    ChannelBook,
    PaidCall,
    VoucherSigner,
)
from seedbed.client.private import PrivateAccess, aligned, check_chunks
from seedbed.client.streams import AsyncChatStream, ChatStream, StreamState
from seedbed.client.verify import ContentRoots, check_manifest
from seedbed.core import x402
from seedbed.core.errors import InputError
from seedbed.core.sealed import SealedFile, SealIndex
from seedbed.core.vouchers import SignedVoucher

RETRY_STATUSES = frozenset({502, 503})  # no answer from behind; nothing charged


class _Base:
    """What the sync and async clients share: configuration, the payment state, and the
    pure halves of every call."""

    def __init__(
        self,
        base_url: str,
        *,
        private_key: bytes | str | None = None,
        license_id: int | None = None,
        payer: str | None = None,
        api_key: str | None = None,
        chain_id: int | None = None,
        meter_address: str | None = None,
        rpc_url: str | None = None,
        registry_address: str | None = None,
        content_roots: Mapping[int, bytes | str] | None = None,
        validity: int = 86_400,
        max_units: int | None = None,
        retries: int = 2,
        backoff: float = 0.25,
        holder_key: bytes | str | None = None,
        private_data_address: str | None = None,
    ) -> None:
        if private_key is not None and api_key is not None:
            raise InputError("pass either private_key (sign vouchers) or api_key, not both.")
        if retries < 0:
            raise InputError(f"retries must be 0 or more, not {retries}.")
        self.base_url = base_url.rstrip("/")
        self._book = ChannelBook()
        self._cache = ChallengeCache()
        self._signer = (
            VoucherSigner(
                private_key,
                license_id=license_id,
                payer=payer,
                chain_id=chain_id,
                meter_address=meter_address,
                validity=validity,
                max_units=max_units,
                book=self._book,
            )
            if private_key is not None
            else None
        )
        self._api_key = api_key
        self._license_id = license_id
        self._payer = payer
        self._roots = ContentRoots(
            rpc_url=rpc_url, registry_address=registry_address, roots=content_roots
        )
        self._chain_checked = (
            self._signer is None or chain_id is not None or not self._roots.on_chain
        )
        self._retries = retries
        self._backoff = backoff
        self._last_channel: Channel | None = None
        # private datasets: the license holder signs the release (by default the voucher key)
        holder = holder_key if holder_key is not None else private_key
        self._private = (
            PrivateAccess(
                holder,
                license_id,
                rpc=self._roots.rpc,
                private_data=private_data_address,
            )
            if holder is not None
            else None
        )

    # -- state ------------------------------------------------------------------------------

    @property
    def served(self) -> int:
        """Units served on this client's channel, as far as it knows (0 before any call)."""
        return self._book.get(self._last_channel) if self._last_channel else 0

    @property
    def signer(self) -> VoucherSigner | None:
        return self._signer

    def _new_call(self, key: Any, url: str) -> PaidCall:
        return PaidCall(
            signer=self._signer,
            cache=self._cache,
            key=key,
            url=url,
            book=self._book,
            api_key=self._api_key,
            license_id=self._license_id,
            payer=self._payer,
        )

    def _done(self, call: PaidCall) -> None:
        if call.channel is not None:
            self._last_channel = call.channel

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _pin_chain(self, chain_id: int | None) -> None:
        """Sign only for the chain the registry is on, when no chain id was configured."""
        if self._signer is not None and self._signer.chain_id is None and chain_id is not None:
            self._signer.chain_id = chain_id
        self._chain_checked = True

    def _adopt_channel(self, document: Mapping[str, Any]) -> None:
        """Take the served count of GET /v1/channels when it names this client's channel."""
        last = document.get("lastVoucher")
        served = document.get("served")
        if not isinstance(last, Mapping) or served is None:
            return
        try:
            voucher = SignedVoucher.from_json(last).voucher
            count = int(str(served))
        except (InputError, ValueError):
            return
        if self._signer is None or voucher.payer != self._signer.payer:
            return
        if self._license_id is not None and voucher.license_id != self._license_id:
            return
        if count <= voucher.cumulative_units:  # a count no voucher of ours covers is not taken
            self._book.observe(voucher.channel, count)
            self._last_channel = voucher.channel

    def _receipt_request(self) -> tuple[str, dict[str, str]]:
        """(path, headers) of the receipt for this client's channel at its served count."""
        if self._signer is None or self._last_channel is None:
            raise PaymentRefused("a receipt needs a client that signed for a channel already.")
        channel = self._last_channel
        signed = self._signer.receipt(channel, self._book.get(channel))
        accepted = {"scheme": x402.SCHEME, "network": x402.network(signed_chain(self._signer))}
        value = x402.encode(x402.payment_payload(signed, accepted))
        return f"/v1/channels/{channel[0]}/{channel[1]}/receipts", {x402.PAYMENT_SIGNATURE: value}

    def _access_headers(self, key: Any) -> dict[str, str]:
        if self._private is None or not (isinstance(key, tuple) and key[0] == "file"):
            return {}
        return self._private.headers(int(key[1]))

    def _wants_access(self, key: Any, response: httpx.Response) -> bool:
        if self._private is None or not (isinstance(key, tuple) and key[0] == "file"):
            return False
        return self._private.wants_access(response.status_code, response.content)

    def _private_range(self, asset_id: int, byte_range: ByteRange | None) -> bool:
        """Whether a read is a range of a private file (checked chunk by chunk)."""
        return (
            byte_range is not None
            and self._private is not None
            and self._private.seal_root(asset_id) is not None
        )

    def _channel_path(self, license_id: int | None, payer: str | None) -> str:
        license_id = license_id if license_id is not None else self._license_id
        if license_id is None and self._last_channel is not None:
            license_id = self._last_channel[0]
        if payer is None:
            payer = self._payer or (self._signer.payer if self._signer else None)
        if payer is None and self._last_channel is not None:
            payer = self._last_channel[1]
        if license_id is None or payer is None:
            raise InputError("name the channel: pass license_id and payer (or configure them).")
        return f"/v1/channels/{int(license_id)}/{payer}"


# -- the pure halves of the calls -------------------------------------------------------------


def signed_chain(signer: VoucherSigner) -> int:
    assert signer.chain_id is not None  # receipt() refused otherwise
    return signer.chain_id


def _chat_body(
    messages: Iterable[Mapping[str, Any]],
    model: str,
    max_tokens: int | None,
    stream: bool,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    body: dict[str, Any] = {**params, "model": model, "messages": [dict(m) for m in messages]}
    body["stream"] = stream
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    return body


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise GatewayError(
            response.status_code, "invalid_response", "the gateway's answer is not JSON."
        ) from None


def _seal_entry(index: SealIndex, path: str) -> SealedFile:
    try:
        return index.file(path)
    except InputError:
        raise VerificationError(f"the seal names no file {path!r}.") from None


def _error(response: httpx.Response) -> GatewayError:
    return GatewayError.from_body(response.status_code, response.content)


def _unreachable(url: str, err: Exception) -> GatewayError:
    return GatewayError(0, "unreachable", f"the gateway at {url} did not answer: {err}.")


# -- the synchronous client -------------------------------------------------------------------


class GatewayClient(_Base):
    """The Seedbed gateway over a synchronous httpx.Client (see the module docstring).

    Pay with `private_key` (and `license_id`; `payer` defaults to the key's address) or with
    `api_key`. `chain_id` / `meter_address` are the only EIP-712 domain it will sign for
    (the chain id defaults to the rpc_url node's). `rpc_url` + `registry_address` (or
    `content_roots`) give the content roots files are checked against. `validity` is each
    voucher's lifetime in seconds; `max_units` refuses calls that would charge more units.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | httpx.Timeout = 60.0,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, **options)  # the payment options: see _Base
        self._http = httpx.Client(timeout=timeout, transport=transport, headers=headers)

    # -- the calls --------------------------------------------------------------------------

    def chat(
        self,
        messages: Iterable[Mapping[str, Any]],
        model: str,
        *,
        max_tokens: int | None = None,
        stream: bool = False,
        **params: Any,
    ) -> Any:
        """POST /v1/chat/completions: the OpenAI completion JSON, or a ChatStream of chunks."""
        body = _chat_body(messages, model, max_tokens, stream, params)
        headers = {"Accept": "text/event-stream"} if stream else {}
        response, call = self._paid(
            "POST",
            "/v1/chat/completions",
            ("chat", model),
            json_body=body,
            headers=headers,
            stream=stream,
        )
        if stream:
            return ChatStream(StreamState(call, response, self._done))
        return _json(response)

    def invoke(self, asset_id: int, body: Any) -> Any:
        """POST /v1/assets/{id}/invoke with any JSON; the gateway's JSON answer."""
        response, _ = self._paid(
            "POST", f"/v1/assets/{int(asset_id)}/invoke", ("invoke", asset_id), json_body=body
        )
        return _json(response)

    def manifest(self, asset_id: int, *, content_root: bytes | str | None = None) -> Any:
        """GET /v1/assets/{id}/manifest (free), checked against the trusted root if known."""
        response = self._free("GET", f"/v1/assets/{int(asset_id)}/manifest")
        document = _json(response)
        if content_root is not None or self._roots.known(asset_id):
            check_manifest(document, self._roots.trusted(asset_id, content_root), asset_id)
        return document

    def file(
        self,
        asset_id: int,
        path: str,
        *,
        range: ByteRange | None = None,
        content_root: bytes | str | None = None,
    ) -> bytes:
        """GET one dataset file, or bytes range[0]..range[1] (inclusive) of it, verified
        against the asset's content root (VerificationError if anything disagrees). A range
        of a private file is checked chunk by chunk against the seal PrivateData records."""
        root = self._roots.trusted(asset_id, content_root)
        if range is not None and self._private_range(asset_id, range):
            return self._private_file(asset_id, path, range, root)
        response, _ = self._paid(
            "GET", file_route(asset_id, path), ("file", asset_id), headers=file_headers(range)
        )
        return verified_file(asset_id, path, root, response, range)[1]

    def seal(self, asset_id: int, *, content_root: bytes | str | None = None) -> SealIndex:
        """GET /v1/assets/{id}/seal (free): a private dataset's seal index, checked against
        the seal root PrivateData records and the registered content root."""
        assert self._private is not None, "a private dataset needs holder_key or private_key"
        cached = self._private.cached_seal(asset_id)
        if cached is not None:
            return cached
        root = self._roots.trusted(asset_id, content_root)
        document = _json(self._free("GET", f"/v1/assets/{int(asset_id)}/seal"))
        return self._private.adopt_seal(asset_id, document, root)

    def _private_file(self, asset_id: int, path: str, want: ByteRange, root: bytes) -> bytes:
        index = self.seal(asset_id, content_root=root)
        entry = _seal_entry(index, path)
        first, last = aligned(want[0], want[1], entry.size, index.chunk_size)
        response, _ = self._paid(
            "GET",
            file_route(asset_id, path),
            ("file", asset_id),
            headers=file_headers((first, last)),
        )
        body = verified_file(asset_id, path, root, response, (first, last))[1]
        check_chunks(entry, index.chunk_size, first, body)
        end = entry.size - 1 if want[1] is None else min(want[1], entry.size - 1)
        return body[want[0] - first : end - first + 1]

    def download_dataset(
        self,
        asset_id: int,
        dest: str | os.PathLike[str],
        *,
        content_root: bytes | str | None = None,
    ) -> Path:
        """Every file of the dataset into the folder `dest`, each checked as it arrives, and
        then the whole folder re-hashed to the content root: a verified local copy. Files
        already there with the right hash are kept (a re-run resumes)."""
        root = self._roots.trusted(asset_id, content_root)
        document = self.manifest(asset_id, content_root=root)
        return fetch_dataset(
            document,
            Path(dest),
            root,
            lambda f, t: self.download(asset_id, f, t, content_root=root),
        )

    def download(
        self,
        asset_id: int,
        path: str,
        dest: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK,
        content_root: bytes | str | None = None,
    ) -> Path:
        """Fetch a dataset file in ranges of `chunk_size`, check every range and the whole
        file's SHA-256, and only then put it at `dest` (a file, or a folder to put it in)."""
        root = self._roots.trusted(asset_id, content_root)
        target = target_path(dest, path)
        assembly = Assembly(asset_id, path, root, chunk_size)
        with AtomicFile(target) as out:
            while not assembly.complete:
                byte_range: ByteRange | None = assembly.next_range()
                try:
                    response, _ = self._paid(
                        "GET",
                        file_route(asset_id, path),
                        ("file", asset_id),
                        headers=file_headers(byte_range),
                    )
                except GatewayError as err:
                    if err.status != 416 or assembly.offset:
                        raise
                    byte_range = None  # an empty file has no byte 0: ask for all of it
                    response, _ = self._paid(
                        "GET",
                        file_route(asset_id, path),
                        ("file", asset_id),
                        headers=file_headers(None),
                    )
                assembly.take(response, byte_range, out)
            assembly.finish()
        return target

    def channel(self, license_id: int | None = None, payer: str | None = None) -> Any:
        """GET /v1/channels/{license}/{payer} (free): served, settled and the last voucher."""
        document = _json(self._free("GET", self._channel_path(license_id, payer)))
        if isinstance(document, Mapping):
            self._adopt_channel(document)
        return document

    def healthz(self) -> Any:
        return _json(self._free("GET", "/healthz"))

    def receipt(self) -> Any:
        """Hand the gateway a voucher for exactly what this client's channel was served, so
        its settlement can take all of it (per-token pricing: the last calls' vouchers
        authorised their maximum). Charges nothing."""
        path, header = self._receipt_request()
        return _json(self._free("POST", path, header))

    # -- transport --------------------------------------------------------------------------

    def _free(
        self, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        response = self._send(method, self._url(path), dict(headers or {}), None, stream=False)
        if response.status_code >= 400:
            raise _error(response)
        return response

    def _paid(
        self,
        method: str,
        path: str,
        key: Any,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> tuple[httpx.Response, PaidCall]:
        if not self._chain_checked:
            self._pin_chain(self._roots.chain_id())
        url = self._url(path)
        call = self._new_call(key, url)
        attempt = call.headers()
        released = False
        while True:
            sent = {**(headers or {}), **attempt, **self._access_headers(key)}
            response = self._send(method, url, sent, json_body, stream)
            if not released and self._wants_access(key, response):
                self._release(int(key[1]))  # one signed release per refusal, then retry
                released = True
                continue
            if response.status_code != 402:
                break
            attempt = call.on_402(response.headers.get(x402.PAYMENT_REQUIRED), response.content)
        if response.status_code >= 400:
            raise _error(response)
        if not stream:
            call.on_success(
                response.headers.get(x402.PAYMENT_RESPONSE)
                or response.headers.get(x402.V1_PAYMENT_RESPONSE)
            )
        self._done(call)
        return response, call

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json_body: Any,
        stream: bool,
    ) -> httpx.Response:
        """One attempt's request, resent unchanged on a transport failure or a 502/503/504."""
        for attempt in range(self._retries + 1):
            request = self._http.build_request(method, url, headers=dict(headers), json=json_body)
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as err:
                if attempt == self._retries:
                    raise _unreachable(self.base_url, err) from err
                time.sleep(self._backoff * 2**attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self._retries:
                response.close()
                time.sleep(self._backoff * 2**attempt)
                continue
            if not stream or response.status_code >= 300:
                try:
                    response.read()
                finally:
                    response.close()
            return response
        raise AssertionError("unreachable")  # the loop returns or raises

    def _release(self, asset_id: int) -> None:
        """Answer a private dataset's challenge with a signed release; keep the token."""
        assert self._private is not None
        challenge = _json(self._free("POST", "/v1/challenge"))
        body = self._private.release_body(challenge)
        response = self._send(
            "POST", self._url(f"/v1/assets/{int(asset_id)}/access"), {}, body, stream=False
        )
        if response.status_code >= 400:
            raise _error(response)
        self._private.take_token(asset_id, _json(response))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the asynchronous client ------------------------------------------------------------------


class AsyncGatewayClient(_Base):
    """`GatewayClient` over httpx.AsyncClient: the same arguments, `await` every call, and
    `chat(stream=True)` gives an AsyncChatStream."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | httpx.Timeout = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, **options)  # the payment options: see _Base
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, headers=headers)

    async def chat(
        self,
        messages: Iterable[Mapping[str, Any]],
        model: str,
        *,
        max_tokens: int | None = None,
        stream: bool = False,
        **params: Any,
    ) -> Any:
        body = _chat_body(messages, model, max_tokens, stream, params)
        headers = {"Accept": "text/event-stream"} if stream else {}
        response, call = await self._paid(
            "POST",
            "/v1/chat/completions",
            ("chat", model),
            json_body=body,
            headers=headers,
            stream=stream,
        )
        if stream:
            return AsyncChatStream(StreamState(call, response, self._done))
        return _json(response)

    async def invoke(self, asset_id: int, body: Any) -> Any:
        response, _ = await self._paid(
            "POST", f"/v1/assets/{int(asset_id)}/invoke", ("invoke", asset_id), json_body=body
        )
        return _json(response)

    async def manifest(self, asset_id: int, *, content_root: bytes | str | None = None) -> Any:
        document = _json(await self._free("GET", f"/v1/assets/{int(asset_id)}/manifest"))
        if content_root is not None or self._roots.known(asset_id):
            root = await self._trusted(asset_id, content_root)
            check_manifest(document, root, asset_id)
        return document

    async def file(
        self,
        asset_id: int,
        path: str,
        *,
        range: ByteRange | None = None,
        content_root: bytes | str | None = None,
    ) -> bytes:
        root = await self._trusted(asset_id, content_root)
        if range is not None and await asyncio.to_thread(self._private_range, asset_id, range):
            return await self._private_file(asset_id, path, range, root)
        response, _ = await self._paid(
            "GET", file_route(asset_id, path), ("file", asset_id), headers=file_headers(range)
        )
        return verified_file(asset_id, path, root, response, range)[1]

    async def seal(self, asset_id: int, *, content_root: bytes | str | None = None) -> SealIndex:
        """GatewayClient.seal, awaited."""
        assert self._private is not None, "a private dataset needs holder_key or private_key"
        cached = self._private.cached_seal(asset_id)
        if cached is not None:
            return cached
        root = await self._trusted(asset_id, content_root)
        document = _json(await self._free("GET", f"/v1/assets/{int(asset_id)}/seal"))
        return await asyncio.to_thread(self._private.adopt_seal, asset_id, document, root)

    async def _private_file(self, asset_id: int, path: str, want: ByteRange, root: bytes) -> bytes:
        index = await self.seal(asset_id, content_root=root)
        entry = _seal_entry(index, path)
        first, last = aligned(want[0], want[1], entry.size, index.chunk_size)
        response, _ = await self._paid(
            "GET",
            file_route(asset_id, path),
            ("file", asset_id),
            headers=file_headers((first, last)),
        )
        body = verified_file(asset_id, path, root, response, (first, last))[1]
        check_chunks(entry, index.chunk_size, first, body)
        end = entry.size - 1 if want[1] is None else min(want[1], entry.size - 1)
        return body[want[0] - first : end - first + 1]

    async def download(
        self,
        asset_id: int,
        path: str,
        dest: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK,
        content_root: bytes | str | None = None,
    ) -> Path:
        root = await self._trusted(asset_id, content_root)
        target = target_path(dest, path)
        assembly = Assembly(asset_id, path, root, chunk_size)
        with AtomicFile(target) as out:
            while not assembly.complete:
                byte_range: ByteRange | None = assembly.next_range()
                try:
                    response, _ = await self._paid(
                        "GET",
                        file_route(asset_id, path),
                        ("file", asset_id),
                        headers=file_headers(byte_range),
                    )
                except GatewayError as err:
                    if err.status != 416 or assembly.offset:
                        raise
                    byte_range = None
                    response, _ = await self._paid(
                        "GET",
                        file_route(asset_id, path),
                        ("file", asset_id),
                        headers=file_headers(None),
                    )
                assembly.take(response, byte_range, out)
            assembly.finish()
        return target

    async def channel(self, license_id: int | None = None, payer: str | None = None) -> Any:
        document = _json(await self._free("GET", self._channel_path(license_id, payer)))
        if isinstance(document, Mapping):
            self._adopt_channel(document)
        return document

    async def healthz(self) -> Any:
        return _json(await self._free("GET", "/healthz"))

    async def receipt(self) -> Any:
        """GatewayClient.receipt, awaited."""
        path, header = self._receipt_request()
        return _json(await self._free("POST", path, header))

    async def _trusted(self, asset_id: int, content_root: bytes | str | None) -> bytes:
        if content_root is not None:
            return self._roots.trusted(asset_id, content_root)
        return await asyncio.to_thread(self._roots.trusted, asset_id)

    async def _free(
        self, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        response = await self._send(
            method, self._url(path), dict(headers or {}), None, stream=False
        )
        if response.status_code >= 400:
            raise _error(response)
        return response

    async def _paid(
        self,
        method: str,
        path: str,
        key: Any,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> tuple[httpx.Response, PaidCall]:
        if not self._chain_checked:
            self._pin_chain(await asyncio.to_thread(self._roots.chain_id))
        url = self._url(path)
        call = self._new_call(key, url)
        attempt = call.headers()
        released = False
        while True:
            sent = {**(headers or {}), **attempt, **self._access_headers(key)}
            response = await self._send(method, url, sent, json_body, stream)
            if not released and self._wants_access(key, response):
                await self._release(int(key[1]))
                released = True
                continue
            if response.status_code != 402:
                break
            attempt = call.on_402(response.headers.get(x402.PAYMENT_REQUIRED), response.content)
        if response.status_code >= 400:
            raise _error(response)
        if not stream:
            call.on_success(
                response.headers.get(x402.PAYMENT_RESPONSE)
                or response.headers.get(x402.V1_PAYMENT_RESPONSE)
            )
        self._done(call)
        return response, call

    async def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json_body: Any,
        stream: bool,
    ) -> httpx.Response:
        for attempt in range(self._retries + 1):
            request = self._http.build_request(method, url, headers=dict(headers), json=json_body)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as err:
                if attempt == self._retries:
                    raise _unreachable(self.base_url, err) from err
                await asyncio.sleep(self._backoff * 2**attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self._retries:
                await response.aclose()
                await asyncio.sleep(self._backoff * 2**attempt)
                continue
            if not stream or response.status_code >= 300:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            return response
        raise AssertionError("unreachable")

    async def _release(self, asset_id: int) -> None:
        assert self._private is not None
        challenge = _json(await self._free("POST", "/v1/challenge"))
        body = self._private.release_body(challenge)
        response = await self._send(
            "POST", self._url(f"/v1/assets/{int(asset_id)}/access"), {}, body, stream=False
        )
        if response.status_code >= 400:
            raise _error(response)
        self._private.take_token(asset_id, _json(response))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
