"""The gateway as an ASGI app: `create_app(services)` wires the routes to the metering.

Routes (docs/gateway.md has the request and answer of each):

    POST /v1/chat/completions            paid  OpenAI-compatible, streamed or not
    POST /v1/assets/{id}/invoke          paid  any JSON (or bytes) to the asset's upstream
    GET  /v1/assets/{id}/files/{path}    paid  a dataset file, Range and Merkle proof
    GET  /v1/assets/{id}/manifest        free  the files and the content root
    POST /v1/challenge                   free  a one-time nonce to sign (private datasets)
    POST /v1/assets/{id}/access          free  a signed release request -> a session token
    GET  /v1/assets/{id}/seal            free  a private dataset's seal index (no key)
    GET  /v1/assets/{id}/sealed/{path}   free  a private file's ciphertext, Range
    GET  /v1/assets                      free  what is served, at what price
    GET  /v1/channels/{license}/{payer}  free  served, settled and the last voucher
    GET  /healthz, GET /metrics          free
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from seedbed.core import access
from seedbed.core.errors import InputError
from seedbed.core.vouchers import checksum_address
from seedbed.gateway.chainstate import ChainView
from seedbed.gateway.config import AssetConfig, GatewayConfig
from seedbed.gateway.datasets import Dataset, RangeError, byte_range
from seedbed.gateway.datasets import load as load_dataset
from seedbed.gateway.metering import Metering, Served
from seedbed.gateway.metrics import Metrics
from seedbed.gateway.private import ACCESS_HEADER, SealedDataset, Sessions, load_sealed, refusal
from seedbed.gateway.store import Store
from seedbed.gateway.upstream import Upstreams

log = logging.getLogger("seedbed.gateway")

MAX_BODY = 1024 * 1024  # request bodies above this are refused (413)


@dataclass
class Services:
    """Everything a gateway process runs, built by `seedbed.gateway.run` (or a test)."""

    config: GatewayConfig
    store: Store
    chain: ChainView
    operator: str
    metrics: Metrics = field(default_factory=Metrics)
    settler: Any = None  # seedbed.gateway.settlement.Settler, or None (not settling)
    payments: bool = True  # False: the same routes unpaid (the benchmark's baseline)
    datasets: dict[int, Dataset] = field(default_factory=dict)
    sessions: Sessions = field(default_factory=Sessions)
    challenges: access.Challenges = field(default_factory=access.Challenges)


def create_app(services: Services) -> FastAPI:
    config = services.config
    upstreams = Upstreams()
    metering = Metering(
        config,
        services.store,
        services.chain,
        services.operator,
        services.metrics,
        on_pressure=lambda: services.settler and services.settler.wake(),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.store.open()
        await services.chain.start()
        services.chain.on_channel = _on_channel
        for asset in config.assets:
            if asset.kind == "dataset":
                state = await services.chain.asset(asset.asset_id)
                dataset: Dataset
                if asset.private:
                    assert asset.sealed is not None and asset.key is not None
                    seal = await services.chain.seal(asset.asset_id)
                    dataset = load_sealed(
                        asset.asset_id, asset.sealed, asset.key, state.content_root, seal
                    )
                    if not dataset.seal_matches:
                        log.error(
                            "asset %s: the seal at %s or its key is not the one PrivateData "
                            "records; not served",
                            asset.asset_id,
                            asset.sealed,
                        )
                else:
                    assert asset.folder is not None
                    dataset = load_dataset(asset.asset_id, asset.folder, state.content_root)
                if not dataset.matches_chain:
                    log.error(
                        "asset %s: %s does not hash to the registered content root; not served",
                        asset.asset_id,
                        asset.folder or asset.sealed,
                    )
                services.datasets[asset.asset_id] = dataset
        if services.settler is not None:
            services.settler.start()
        # Everything loaded so far (ape, web3, the ABIs) lives as long as the process: out of
        # the collector's sight, a full collection no longer walks it every second under load.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if services.settler is not None:
                services.settler.stop()
            await services.chain.stop()
            await upstreams.aclose()
            await services.store.aclose()

    async def _on_channel(state: Any) -> None:
        await services.store.sync_state(state)

    app = FastAPI(
        title="Seedbed gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )

    async def paid(request: Request, asset: AssetConfig, units: int, handler: Any) -> Response:
        if not services.payments:
            served: Served = await handler()
            return Response(
                served.body, served.status, media_type=served.media_type, headers=served.headers
            )
        return await metering.paid(request, asset, units, handler)

    # ---------------------------------------------------------------- models

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, Response):
            return body
        name = body.get("model")
        asset = config.model(name) if isinstance(name, str) else None
        if asset is None:
            names = ", ".join(sorted(a.model for a in config.assets if a.model))
            return _error(
                404, "unknown_model", f"this gateway serves no model {name!r} (it serves: {names})."
            )
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return _error(400, "invalid_request", "'messages' must be a non-empty list.")
        units = asset.units
        if asset.pricing == "token":
            asked = body.get("max_tokens")
            if asked is not None and (
                not isinstance(asked, int) or isinstance(asked, bool) or asked < 1
            ):
                return _error(400, "invalid_request", "'max_tokens' must be a positive integer.")
            body["max_tokens"] = min(asked or units, units)
        if body.get("stream"):
            body["stream_options"] = {"include_usage": True}
            if not services.payments:
                stream, _ = upstreams.chat_stream(asset, body)

                async def free() -> AsyncIterator[bytes]:
                    async for chunk in stream():
                        yield chunk
                    yield b"data: [DONE]\n\n"

                return StreamingResponse(free(), media_type="text/event-stream")
            stream, used = upstreams.chat_stream(asset, body)
            return await metering.paid_stream(request, asset, units, stream, used)
        return await paid(request, asset, units, lambda: upstreams.chat(asset, body))

    @app.post("/v1/assets/{asset_id}/invoke")
    async def invoke(asset_id: int, request: Request) -> Response:
        asset = config.asset(asset_id)
        if asset is None or asset.kind == "dataset":
            return _error(
                404, "unknown_asset", f"this gateway serves no model or service {asset_id}."
            )
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, "too_large", f"the request body is over {MAX_BODY} bytes.")
        media = request.headers.get("content-type", "application/json")
        return await paid(request, asset, asset.units, lambda: upstreams.invoke(asset, body, media))

    # ---------------------------------------------------------------- datasets

    def _dataset(asset_id: int) -> Dataset | Response:
        dataset = services.datasets.get(asset_id)
        if dataset is None:
            return _error(404, "unknown_asset", f"this gateway serves no dataset {asset_id}.")
        if not dataset.matches_chain:
            return _error(
                503,
                "content_mismatch",
                f"the files of asset {asset_id} do not hash to its "
                "registered content root: the gateway does not serve them.",
            )
        if isinstance(dataset, SealedDataset) and not dataset.seal_matches:
            return _error(
                503,
                "seal_mismatch",
                f"the sealed files or key of asset {asset_id} are not the seal PrivateData "
                "records for it: the gateway does not serve them.",
            )
        return dataset

    def _sealed(asset_id: int) -> SealedDataset | Response:
        dataset = _dataset(asset_id)
        if isinstance(dataset, Response):
            return dataset
        if not isinstance(dataset, SealedDataset):
            return _error(404, "not_private", f"dataset {asset_id} is public: it has no seal.")
        return dataset

    async def _access_refusal(request: Request, asset_id: int) -> Response | None:
        """None when the request's session may read private asset `asset_id` now."""
        token = request.headers.get(ACCESS_HEADER)
        if not token:
            return _error(
                401,
                "access_required",
                f"asset {asset_id} is private: POST /v1/challenge, sign the Release with the "
                f"license holder's key, POST it to /v1/assets/{asset_id}/access and send the "
                f"token in {ACCESS_HEADER}.",
            )
        session = services.sessions.get(token)
        if session is None:
            return _error(401, "access_expired", "the access token is unknown or has expired.")
        if session.asset_id != asset_id:
            return _error(
                403,
                "access_denied",
                f"the access token is for asset {session.asset_id}, not {asset_id}.",
            )
        return await _license_refusal(session.license_id, session.holder, asset_id)

    async def _license_refusal(license_id: int, holder: str, asset_id: int) -> Response | None:
        chain = services.chain
        try:
            terms = await chain.license(license_id)
            state = await chain.asset(asset_id)
        except InputError as err:
            return _error(403, "access_denied", err.message)
        why = refusal(terms, holder, asset_id, state, chain.now())
        return None if why is None else _error(403, "access_denied", why)

    @app.get("/v1/assets/{asset_id}/manifest")
    async def manifest(asset_id: int) -> Response:
        dataset = _dataset(asset_id)
        if isinstance(dataset, Response):
            return dataset
        return JSONResponse(dataset.manifest_json())

    @app.post("/v1/challenge")
    async def challenge() -> Response:
        private = getattr(services.chain.suite, "private", None)
        if private is None:
            return _error(404, "not_private", "this gateway serves no private data.")
        nonce, deadline = services.challenges.issue()
        return JSONResponse(
            {
                "nonce": "0x" + nonce.hex(),
                "deadline": str(deadline),
                "audience": services.operator,
                "chainId": services.chain.suite.chain_id,
                "privateData": private.address,
            }
        )

    @app.post("/v1/assets/{asset_id}/access")
    async def open_access(asset_id: int, request: Request) -> Response:
        dataset = _sealed(asset_id)
        if isinstance(dataset, Response):
            return dataset
        body = await _json(request)
        if isinstance(body, Response):
            return body
        suite = services.chain.suite
        try:
            signed = access.SignedRelease.from_json(body)
            release, signature = signed.release, signed.signature
            if release.audience != services.operator:
                return _error(
                    403,
                    "wrong_audience",
                    f"the release is addressed to {release.audience}, not to this gateway "
                    f"({services.operator}).",
                )
            if release.deadline <= int(time.time()):
                return _error(401, "challenge_expired", "the release's deadline has passed.")
            holder, _ = access.recover(release, suite.chain_id, suite.private.address, signature)
        except InputError as err:
            return _error(400, "invalid_request", err.message)
        if not services.challenges.consume(release.nonce, int(time.time())):
            return _error(
                401,
                "challenge_used",
                "the challenge is unknown, used or expired: ask POST /v1/challenge for a new one.",
            )
        refused = await _license_refusal(release.license_id, holder, asset_id)
        if refused is not None:
            return refused
        token, expires = services.sessions.open(release.license_id, holder, asset_id)
        return JSONResponse(
            {
                "token": token,
                "header": ACCESS_HEADER,
                "expiresAt": expires,
                "licenseId": str(release.license_id),
                "holder": holder,
                "assetId": str(asset_id),
            }
        )

    @app.get("/v1/assets/{asset_id}/seal")
    async def seal(asset_id: int) -> Response:
        dataset = _sealed(asset_id)
        if isinstance(dataset, Response):
            return dataset
        return JSONResponse(dataset.index.to_json())

    @app.get("/v1/assets/{asset_id}/sealed/{path:path}")
    async def ciphertext(asset_id: int, path: str, request: Request) -> Response:
        dataset = _sealed(asset_id)
        if isinstance(dataset, Response):
            return dataset
        entry = dataset.cipher_entry(path)
        if entry is None:
            return _error(404, "unknown_file", f"asset {asset_id} has no file {path!r}.")
        size, sha = entry
        try:
            wanted = byte_range(request.headers.get("range"), size)
        except RangeError as err:
            return JSONResponse(
                {"error": "range_not_satisfiable", "message": err.message},
                416,
                headers={"Content-Range": f"bytes */{size}"},
            )
        start, end = wanted if wanted else (0, size - 1)
        headers = {"Seedbed-Cipher-Sha256": sha, "ETag": f'"{sha}"', "Accept-Ranges": "bytes"}
        if wanted is not None:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Response(
            dataset.read_cipher(path, start, end),
            206 if wanted else 200,
            media_type="application/octet-stream",
            headers=headers,
        )

    @app.get("/v1/assets/{asset_id}/files/{path:path}")
    async def file(asset_id: int, path: str, request: Request) -> Response:
        dataset = _dataset(asset_id)
        if isinstance(dataset, Response):
            return dataset
        if isinstance(dataset, SealedDataset):
            refused = await _access_refusal(request, asset_id)
            if refused is not None:
                return refused
        entry = dataset.entry(path)
        if entry is None:
            return _error(404, "unknown_file", f"asset {asset_id} has no file {path!r}.")
        size = entry[0]
        try:
            wanted = byte_range(request.headers.get("range"), size)
        except RangeError as err:
            return JSONResponse(
                {"error": "range_not_satisfiable", "message": err.message},
                416,
                headers={"Content-Range": f"bytes */{size}"},
            )
        asset = config.asset(asset_id)
        assert asset is not None
        headers = dataset.headers(path)

        async def handler() -> Served:
            start, end = wanted if wanted else (0, size - 1)
            try:
                data = dataset.read(path, start, end) if size else b""
            except InputError as err:  # a sealed chunk failed its tag or hash: no bytes
                log.error("asset %s %s: %s", asset_id, path, err.message)
                body = {"error": "corrupt_ciphertext", "message": err.message}
                return Served(503, json.dumps(body).encode())
            if wanted is not None:
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return Served(200, data, "application/octet-stream", headers)

        response = await paid(request, asset, asset.units, handler)
        if wanted is not None and response.status_code == 200:
            response.status_code = 206
        return response

    # ---------------------------------------------------------------- free views

    @app.get("/v1/assets")
    async def assets() -> Response:
        return JSONResponse(
            {
                "operator": services.operator,
                "chainId": services.chain.suite.chain_id,
                "meter": services.chain.suite.meter.address,
                "assets": [
                    {
                        "id": a.asset_id,
                        "kind": a.kind,
                        "model": a.model,
                        "pricing": a.pricing,
                        "units": a.units,
                        "description": a.description,
                        "private": a.private,
                    }
                    for a in config.assets
                ],
            }
        )

    @app.get("/v1/channels/{license_id}/{payer}")
    async def channel(license_id: int, payer: str) -> Response:
        try:
            key = (license_id, checksum_address(payer, "payer"), services.operator)
        except InputError as err:
            return _error(400, "invalid_request", err.message)
        try:
            record = await metering.record(key)  # a channel not seen yet is read from chain
        except InputError as err:
            return _error(404, "unknown_channel", err.message)
        if record.state.unit_limit == 0:
            return _error(
                404,
                "unknown_channel",
                f"license {license_id} has no channel from {key[1]} to {key[2]}.",
            )
        return JSONResponse(
            {
                "licenseId": str(license_id),
                "payer": key[1],
                "operator": key[2],
                "served": str(record.floor),
                "settled": str(record.state.units),
                "unitPrice": str(record.state.unit_price),
                "currency": record.state.currency,
                "lastVoucher": record.voucher.to_json() if record.voucher else None,
            }
        )

    @app.post("/v1/channels/{license_id}/{payer}/receipts")
    async def receipt(license_id: int, payer: str, request: Request) -> Response:
        try:
            key = (license_id, checksum_address(payer, "payer"), services.operator)
        except InputError as err:
            return _error(400, "invalid_request", err.message)
        return await metering.receipt(request, key)

    @app.get("/healthz")
    async def healthz() -> Response:
        chain = services.chain
        return JSONResponse(
            {
                "status": "ok",
                "chainId": chain.suite.chain_id,
                "block": chain._head,
                "operator": services.operator,
                "payments": services.payments,
                "ledger": "postgres" if config.postgres else "sqlite",
                "settling": services.settler is not None,
                "pollErrors": chain.errors,
            }
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(services.metrics.render(), media_type="text/plain; version=0.0.4")

    return app


async def _json(request: Request) -> dict[str, Any] | Response:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, "too_large", f"the request body is over {MAX_BODY} bytes.")
    try:
        body = json.loads(raw)
    except ValueError:
        return _error(400, "invalid_request", "the request body is not JSON.")
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "the request body is not a JSON object.")
    return body


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)
