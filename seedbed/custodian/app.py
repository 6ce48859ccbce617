"""A custodian as an ASGI app: it holds one share per dataset key and hands it, wrapped to the
requester's own public key, to the current holder of a license that may keep a copy.

    GET  /v1/identity              its address (the audience), chain, PrivateData, assets
    POST /v1/challenge             a one-time nonce and its deadline, to sign into a release
    POST /v1/assets/{id}/share     a signed access.Release -> {"index", "wrapped"}

A share request passes, in order: its shape; audience == this custodian (a request signed
for another custodian is not replayable here); its deadline; its nonce, consumed once
(a replay is refused); its signature, which names the signer and gives the public key the
share is wrapped to; PrivateData.releasable(license, ACCESS) at the latest block (valid now,
the signer is the holder, the asset listed and sealed, and it is this asset); and last,
that a share of this asset is held here. Every refusal is {"error": code, "message":
sentence} and no share; a chain that cannot be read is 503, never a share.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from seedbed.core import access, ecies
from seedbed.core.constants import ACCESS, ALL_SCOPES
from seedbed.core.errors import ChainError, InputError
from seedbed.custodian.chain import ZERO32, ZERO_ADDRESS, PrivateDataView
from seedbed.custodian.config import CustodianConfig

log = logging.getLogger("seedbed.custodian")

MAX_BODY = 16 * 1024  # a release is ~400 bytes of JSON


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Custodian:
    """Everything one custodian process serves with (built by seedbed.custodian.run)."""

    config: CustodianConfig
    view: PrivateDataView
    clock: Callable[[], float] = time.time
    challenges: Any = None  # access.Challenges (thread-safe: requests run in a thread pool)

    def __post_init__(self) -> None:
        if self.challenges is None:
            self.challenges = access.Challenges()

    # ------------------------------------------------------------------ the checks

    def challenge(self) -> dict[str, Any]:
        nonce, deadline = self.challenges.issue(ttl_seconds=self.config.challenge_ttl)
        return {
            "nonce": "0x" + bytes(nonce).hex(),
            "deadline": int(deadline),
            "audience": self.config.address,
        }

    def release(self, asset_id: int, body: Any) -> dict[str, Any]:
        """The wrapped share for a signed release request, or a Refusal saying why not."""
        release, signature = _parse(body)
        cfg = self.config
        if release.audience.lower() != cfg.address.lower():
            raise Refusal(
                401,
                "wrong_audience",
                f"the request is signed for audience {release.audience}; this custodian is "
                f"{cfg.address}.",
            )
        now = self.clock()
        if release.deadline < now:  # good until its deadline inclusive, as its nonce
            raise Refusal(
                401,
                "expired_request",
                f"the request's deadline {release.deadline} has passed (now {int(now)}): ask "
                "POST /v1/challenge for a new nonce.",
            )
        if not self.challenges.consume(release.nonce, now):
            raise Refusal(
                401,
                "unknown_challenge",
                f"the nonce 0x{bytes(release.nonce).hex()} was not issued by this custodian, "
                "was used already or has expired: ask POST /v1/challenge for a new one.",
            )
        try:
            signer, public_key = access.recover(release, cfg.chain_id, cfg.private_data, signature)
        except InputError as err:
            raise Refusal(
                401, "bad_signature", f"the signature does not verify: {err.message}"
            ) from None
        try:
            state = self.view.releasable(release.license_id, ACCESS)
        except ChainError as err:
            raise Refusal(
                503, "chain_unavailable", f"the chain cannot be read: {err.message}"
            ) from None
        lid = release.license_id
        if state.holder == ZERO_ADDRESS:
            raise Refusal(403, "unknown_license", f"there is no license {lid}.")
        if state.holder.lower() != signer.lower():
            raise Refusal(
                403,
                "not_holder",
                f"license {lid} is held by {state.holder}, not by the signer {signer}.",
            )
        if state.asset_id != asset_id:
            raise Refusal(
                403,
                "wrong_asset",
                f"license {lid} is for asset {state.asset_id}, not asset {asset_id}.",
            )
        if not state.ok:
            raise Refusal(403, "not_releasable", self._why_not(lid, asset_id))
        share = cfg.shares.get(asset_id)
        if share is None:
            raise Refusal(404, "no_share", f"this custodian holds no share of asset {asset_id}.")
        plain = json.dumps(share.share.to_json(), separators=(",", ":")).encode()
        wrapped = ecies.wrap(public_key, plain)
        log.info(
            "released share %s of asset %s to %s (license %s)", share.index, asset_id, signer, lid
        )
        return {"index": share.index, "wrapped": "0x" + bytes(wrapped).hex()}

    def _why_not(self, license_id: int, asset_id: int) -> str:
        """Which of releasable's conditions failed, read only on this refusal path."""
        try:
            if self.view.releasable(license_id, ALL_SCOPES).ok:
                return (
                    f"license {license_id} does not grant ACCESS: a key (a copy to keep) is "
                    "released only to ACCESS licenses."
                )
            if self.view.seal_of(asset_id)[0] == ZERO32:
                return f"asset {asset_id} is not sealed on chain."
        except ChainError:
            pass
        return (
            f"license {license_id} is not valid now for asset {asset_id}: it has expired, or "
            "the asset is delisted or in dispute."
        )


def _parse(body: Any) -> tuple[Any, bytes]:
    if not isinstance(body, dict):
        raise Refusal(400, "invalid_request", "the request body is not a JSON object.")
    try:
        signed = access.SignedRelease.from_json(body)
    except InputError as err:
        raise Refusal(
            400, "invalid_request", f"the release request is malformed: {err.message}"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise Refusal(400, "invalid_request", f"the release request is malformed: {err}.") from None
    return signed.release, signed.signature


def _asset_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or text.startswith("0") or len(text) > 78:
        raise Refusal(400, "invalid_request", f"{text!r} is not an asset id.")
    value = int(text)
    if value >= 2**256:
        raise Refusal(400, "invalid_request", f"{text!r} is not an asset id.")
    return value


def create_app(custodian: Custodian) -> FastAPI:
    cfg = custodian.config
    app = FastAPI(
        title="Seedbed custodian",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, err: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return _error(err.status_code, code, str(err.detail))

    @app.get("/v1/identity")
    async def identity() -> Response:
        return JSONResponse(
            {
                "address": cfg.address,
                "chainId": cfg.chain_id,
                "privateData": cfg.private_data,
                "assets": cfg.assets,
            }
        )

    @app.post("/v1/challenge")
    async def challenge() -> Response:
        return JSONResponse(custodian.challenge())

    @app.post("/v1/assets/{asset_id}/share")
    async def share(asset_id: str, request: Request) -> Response:
        try:
            wanted = _asset_id(asset_id)
            raw = await request.body()
            if len(raw) > MAX_BODY:
                raise Refusal(413, "too_large", f"the request body is over {MAX_BODY} bytes.")
            try:
                body = json.loads(raw)
            except ValueError:
                raise Refusal(400, "invalid_request", "the request body is not JSON.") from None
            # The chain read blocks: off the event loop, so one slow node stalls no other call.
            answer = await run_in_threadpool(custodian.release, wanted, body)
        except Refusal as refusal:
            log.info("refused (%s): %s", refusal.code, refusal.message)
            return _error(refusal.status, refusal.code, refusal.message)
        return JSONResponse(answer)

    @app.get("/healthz")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok", "address": cfg.address})

    return app


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)
