"""Exactly-once charging of a paid HTTP call, verified locally against the chain's state.

For one call on a channel (license, payer, operator), in this order:

1. the payment is read (PAYMENT-SIGNATURE, its v1 alias X-PAYMENT, or an API key for which
   the gateway signs with the channel's session signer); none gives a 402 challenge;
2. with an idempotency key (x402's payment-identifier) already answered, the stored answer is
   replayed and nothing is charged;
3. the channel is locked (per process, and across replicas on PostgreSQL), so its calls are
   served one at a time;
4. the license must be held by the payer, unexpired, metered, its asset listed; the voucher
   must cover what was served plus this call (else a corrective 402 with `served` and the
   last voucher), be signed by the channel's signer (EIP-712, recovered here: no facilitator),
   leave time to settle before its deadline and the channel's close, stay within the unit
   limit, and its whole unsettled charge must fit in the reserve less any pending withdrawal;
5. the handler runs; if it fails or times out, nothing is charged;
6. the charge (served units, voucher, the answer under its key) is committed durably, and only
   then is the answer sent with PAYMENT-RESPONSE.

A crash before 6 commits leaves no charge and no answer; after, a retry with the same key
gets the stored answer. The client never gets a fresh 402 for a call whose outcome is unknown
to it: the same key replays, and without a key the stale-voucher 402 names what was served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from seedbed.core import x402
from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher, VoucherDomain, sign
from seedbed.gateway import faults
from seedbed.gateway.chainstate import ChainView
from seedbed.gateway.config import ApiKey, AssetConfig, GatewayConfig
from seedbed.gateway.metrics import Metrics
from seedbed.gateway.store import ChannelRecord, Charge, Conflict, Store, StoredAnswer

log = logging.getLogger("seedbed.gateway")

SETTLE_ROOM = 120  # seconds a voucher must stay settleable after it is accepted
MAX_STORED_BODY = 4 * 1024 * 1024  # answers above this are not stored for replay
API_KEY_VALIDITY = 86_400
# The 402's `asset` before the gateway knows the channel (and so its currency); `amount` is "0".
UNKNOWN_CURRENCY = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True, slots=True)
class Served:
    """What a handler produced: sent only once it is charged. `used` is the units the call
    consumed (per-token pricing); None charges the call's units."""

    status: int
    body: bytes
    media_type: str = "application/json"
    headers: dict[str, str] | None = None
    used: int | None = None


class HandlerFailed(Exception):
    """The upstream failed or timed out: answered with `status`, charged nothing."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class _Ready:
    """A call that passed every check, inside its channel's lock."""

    signed: SignedVoucher
    signer: str
    record: ChannelRecord
    payment_id: str | None
    units: int


Handler = Callable[[], Awaitable[Served]]


class Metering:
    def __init__(
        self,
        config: GatewayConfig,
        store: Store,
        chain: ChainView,
        operator: str,
        metrics: Metrics,
        on_pressure: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.store = store
        self.chain = chain
        self.operator = operator
        self.metrics = metrics
        self.chain_id = chain.suite.chain_id
        self.domain = VoucherDomain(self.chain_id, chain.suite.meter.address)
        self.on_pressure = on_pressure  # the exposure cap was hit: settle soon

    # ------------------------------------------------------------------ entry points

    async def paid(
        self, request: Request, asset: AssetConfig, units: int, handler: Handler
    ) -> Response:
        """Serve `handler` as one paid call of at most `units` units."""
        started = time.perf_counter()
        async with contextlib.AsyncExitStack() as stack:
            ready = await self._admit(request, asset, units, stack)
            if isinstance(ready, Response):
                return ready
            try:
                served = await asyncio.wait_for(handler(), asset.timeout_seconds)
            except TimeoutError:
                return self._failed(
                    HandlerFailed(
                        504,
                        "upstream_timeout",
                        f"the upstream did not answer within {asset.timeout_seconds} s.",
                    )
                )
            except HandlerFailed as err:
                return self._failed(err)
            if served.status >= 400:  # the upstream's own error: passed on, not charged
                self.metrics.failed.inc()
                return Response(served.body, served.status, media_type=served.media_type)
            response = await self._charge(ready, asset, served, started)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def paid_stream(
        self,
        request: Request,
        asset: AssetConfig,
        units: int,
        stream: Callable[[], AsyncIterator[bytes]],
        used: Callable[[], int | None],
    ) -> Response:
        """A streamed call (SSE): headers go first, so the charge is sent as a last event
        `event: payment` before `data: [DONE]`, once the stream completed. A stream that
        breaks off is not charged."""
        started = time.perf_counter()
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            ready = await self._admit(request, asset, units, stack)
        except BaseException:
            await stack.aclose()
            raise
        if isinstance(ready, Response):
            await stack.aclose()
            return ready

        async def body() -> AsyncIterator[bytes]:
            parts: list[bytes] = []
            try:
                try:
                    async for chunk in stream():
                        parts.append(chunk)
                        yield chunk
                except HandlerFailed as err:  # headers are gone: say it in the stream
                    self.metrics.failed.inc()
                    failure = json.dumps(
                        {"error": err.code, "message": err.message + " Nothing was charged."}
                    )
                    yield f"event: error\ndata: {failure}\n\n".encode()
                    return
                served = Served(200, b"".join(parts), "text/event-stream", used=used())
                response = await self._charge(ready, asset, served, started, streamed=True)
                charged = response.headers.get(x402.PAYMENT_RESPONSE)
                yield stream_tail(charged) if charged else b"data: [DONE]\n\n"
            finally:
                await stack.aclose()

        headers = {"Seedbed-Authorized-Units": str(units), "Cache-Control": "no-cache"}
        return StreamingResponse(body(), media_type="text/event-stream", headers=headers)

    async def receipt(self, request: Request, channel: tuple[int, str, str]) -> Response:
        """A voucher at or below what this channel was served, signed after the calls (a
        per-token channel's last calls were authorised above what they used): kept so the
        settlement can take everything served. Charges nothing; nothing is refused silently."""
        value = request.headers.get(x402.PAYMENT_SIGNATURE) or request.headers.get(x402.V1_PAYMENT)
        if value is None:
            return self._refuse(
                400, x402.INVALID_PAYLOAD, "the receipt carries no PAYMENT-SIGNATURE."
            )
        try:
            signed = x402.parse_payment(value, x402.PAYMENT_SIGNATURE, self.chain_id).signed
        except x402.PaymentError as err:
            return self._refuse(400, err.code, err.message)
        if signed.voucher.channel != channel:
            return self._refuse(
                400, x402.INVALID_PAYLOAD, "the voucher is for another channel than the URL's."
            )
        async with self.store.lock(channel):
            try:
                record = await self.record(channel)
            except InputError as err:
                return self._refuse(404, "unknown_channel", err.message)
            units = signed.voucher.cumulative_units
            if not record.state.units < units <= record.served:
                return self._refuse(
                    400,
                    x402.INVALID_PAYLOAD,
                    f"a receipt covers more than the {record.state.units} units "
                    f"settled and at most the {record.served} served, not {units}.",
                )
            problem = self._voucher_problem(signed, record, self.chain.now())
            if problem is not None:
                return self._refuse(400, problem[0], problem[1])
            await self.store.add_receipt(signed, record.state.signer)
        return JSONResponse(
            {"accepted": True, "cumulativeUnits": str(units), "served": str(record.served)}
        )

    # ------------------------------------------------------------------ admission

    async def _admit(
        self, request: Request, asset: AssetConfig, units: int, stack: contextlib.AsyncExitStack
    ) -> _Ready | Response:
        key = self._api_key(request)
        if isinstance(key, Response):
            return key
        if key is None:
            header_name = x402.PAYMENT_SIGNATURE
            value = request.headers.get(header_name)
            if value is None:
                header_name = x402.V1_PAYMENT
                value = request.headers.get(header_name)
            if value is None:
                return await self._challenge(
                    request,
                    asset,
                    units,
                    x402.PAYMENT_REQUIRED_CODE,
                    "this call is paid: sign a voucher and retry.",
                )
            try:
                payment = x402.parse_payment(value, header_name, self.chain_id)
            except x402.PaymentError as err:
                self.metrics.refused.labels(err.code).inc()
                return await self._challenge(request, asset, units, err.code, err.message)
            signed, payment_id = payment.signed, payment.payment_id
            channel = signed.voucher.channel
        else:
            signed, payment_id = None, request.headers.get("Idempotency-Key")
            channel = (key.license_id, key.payer, self.operator)
        if channel[2] != self.operator:
            return await self._challenge(
                request,
                asset,
                units,
                x402.INVALID_PAYLOAD,
                f"the voucher names operator {channel[2]}, not this gateway's {self.operator}.",
            )
        if payment_id is not None:
            stored = await self.store.replay(channel[1], payment_id)
            if stored is not None:
                return self._replay(stored)
        try:
            await stack.enter_async_context(self.store.lock(channel))
        except Exception as err:  # noqa: BLE001 - a replica's pool or lock wait ran out
            log.warning("channel lock unavailable: %s", err)
            response = self._refuse(
                503,
                "channel_busy",
                "the gateway could not lock this channel now; nothing was charged: retry.",
            )
            response.headers["Retry-After"] = "1"
            return response
        if payment_id is not None:  # a retry may have been served while we waited
            stored = await self.store.replay(channel[1], payment_id)
            if stored is not None:
                return self._replay(stored)
        try:
            record = await self.record(channel)
            terms = await self.chain.license(channel[0])
            await self.chain.asset(asset.asset_id)
        except InputError as err:
            return self._refuse(403, x402.LICENSE_INVALID, err.message)
        reason = self.chain.refusal(terms, channel[1], asset.asset_id)
        if reason is not None:
            return self._refuse(403, x402.LICENSE_INVALID, reason)
        if key is not None:
            signed = self._sign_for_key(key, record, units)
        assert signed is not None
        return await self._check(request, asset, units, signed, record, payment_id)

    async def record(self, channel: tuple[int, str, str]) -> ChannelRecord:
        """The channel's record, read from the chain the first time (or while unopened)."""
        record = await self.store.load(channel)
        if record is None or record.state.unit_limit == 0:
            record = await self.store.sync_state(await self.chain.channel(channel))
        return record

    async def _check(
        self,
        request: Request,
        asset: AssetConfig,
        units: int,
        signed: SignedVoucher,
        record: ChannelRecord,
        payment_id: str | None,
    ) -> _Ready | Response:
        voucher, state = signed.voucher, record.state
        now = self.chain.now()
        name = f"license {voucher.license_id}'s channel from {voucher.payer}"
        if state.unit_limit == 0:
            return await self._challenge(
                request,
                asset,
                units,
                x402.INSUFFICIENT_FUNDS,
                f"{name} is not open: deposit to it first.",
                record,
            )
        needed = record.floor + units
        if voucher.cumulative_units < needed:
            self.metrics.refused.labels(x402.STALE_VOUCHER).inc()
            return await self._challenge(
                request,
                asset,
                units,
                x402.STALE_VOUCHER,
                f"the voucher covers {voucher.cumulative_units} units; "
                f"{record.floor} are served, so this call needs "
                f"{needed}.",
                record,
            )
        problem = self._voucher_problem(signed, record, now)
        if problem is not None:
            code, message = problem
            self.metrics.refused.labels(code).inc()
            return await self._challenge(request, asset, units, code, message, record)
        cap = self.config.settlement.max_unsettled
        if cap and await self.store.exposure(voucher.payer) + units * state.unit_price > cap:
            self.on_pressure()
            self.metrics.refused.labels(x402.EXPOSURE_CAP).inc()
            response = self._refuse(
                429,
                x402.EXPOSURE_CAP,
                f"{voucher.payer} has {cap} (base units) served and not yet "
                "settled, this gateway's cap: retry after the settlement.",
            )
            response.headers["Retry-After"] = "5"
            return response
        return _Ready(signed, state.signer, record, payment_id, units)

    def _voucher_problem(
        self, signed: SignedVoucher, record: ChannelRecord, now: int
    ) -> tuple[str, str] | None:
        voucher, state = signed.voucher, record.state
        if voucher.deadline < now + SETTLE_ROOM:
            return x402.INVALID_PAYLOAD, (
                f"the voucher's deadline {voucher.deadline} leaves less "
                f"than {SETTLE_ROOM} s to settle it."
            )
        if state.closes_at < now + SETTLE_ROOM:
            return (
                x402.LICENSE_INVALID,
                f"the channel closes at {state.closes_at}: too soon to settle.",
            )
        if voucher.cumulative_units > state.unit_limit:
            return x402.INSUFFICIENT_FUNDS, (
                f"the voucher covers {voucher.cumulative_units} units, "
                f"above the channel's limit of {state.unit_limit}."
            )
        if state.signer_until and now + SETTLE_ROOM >= state.signer_until:
            return x402.INVALID_PAYLOAD, f"the channel's signer changes at {state.signer_until}."
        if state.signer_is_contract:
            return x402.INVALID_PAYLOAD, (
                f"the channel's signer {state.signer} is a contract: "
                "this gateway accepts vouchers of an account signer."
            )
        try:
            recovered = self.domain.recover(signed)
        except InputError as err:
            return x402.INVALID_PAYLOAD, err.message
        if recovered != state.signer:
            return x402.INVALID_PAYLOAD, (
                f"the voucher is signed by {recovered}, not by the channel's signer {state.signer}."
            )
        charge = (voucher.cumulative_units - state.units) * state.unit_price
        available = state.available(now)
        if charge > available:
            return x402.INSUFFICIENT_FUNDS, (
                f"the voucher charges {charge} (base units) unsettled, "
                f"more than the reserve covers ({available})."
            )
        return None

    def _api_key(self, request: Request) -> ApiKey | Response | None:
        auth = request.headers.get("authorization")
        if auth is None:
            return None
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return self._refuse(
                401, "invalid_api_key", "the Authorization header is not 'Bearer <key>'."
            )
        for key in self.config.api_keys:
            if key.matches(token.strip()):
                return key
        return self._refuse(401, "invalid_api_key", "this API key is not known to the gateway.")

    def _sign_for_key(self, key: ApiKey, record: ChannelRecord, units: int) -> SignedVoucher:
        voucher = Voucher(
            key.license_id,
            key.payer,
            self.operator,
            record.floor + units,
            self.chain.now() + API_KEY_VALIDITY,
        )
        return SignedVoucher(
            voucher, sign(voucher, self.chain_id, self.domain.meter_address, key.signer_key)
        )

    # ------------------------------------------------------------------ charging

    async def _charge(
        self,
        ready: _Ready,
        asset: AssetConfig,
        served: Served,
        started: float,
        *,
        streamed: bool = False,
    ) -> Response:
        record, voucher = ready.record, ready.signed.voucher
        used = (
            ready.units
            if asset.pricing == "call" or served.used is None
            else min(served.used, ready.units)
        )
        after = record.floor + used
        amount = used * record.state.unit_price
        header = x402.payment_response(
            self.chain_id, voucher, amount, used, after, record.state.unit_price
        )
        headers = dict(served.headers or {})
        headers[x402.PAYMENT_RESPONSE] = header
        headers[x402.V1_PAYMENT_RESPONSE] = header
        answer = None
        if ready.payment_id is not None and len(served.body) <= MAX_STORED_BODY:
            # A stream is replayed whole: its chunks, then the payment event and [DONE].
            body = served.body + stream_tail(header) if streamed else served.body
            answer = StoredAnswer(
                200, {**headers, "content-type": served.media_type}, body, used, amount
            )
        charge = Charge(
            ready.signed, ready.signer, record.served, after, amount, ready.payment_id, answer
        )
        faults.hit("before_commit")
        try:
            await self.store.commit(charge)
        except Conflict as err:
            return self._refuse(409, "channel_busy", err.message)
        except Exception as err:  # noqa: BLE001 - the ledger could not record it: not charged
            log.error("ledger commit failed: %s", err)
            return self._refuse(
                503,
                x402.UNEXPECTED,
                "the gateway could not record the charge; nothing was charged: retry.",
            )
        faults.hit("after_commit")
        self.metrics.charged(used, amount, time.perf_counter() - started)
        if self.config.log_requests:
            log.info(
                json.dumps(
                    {
                        "event": "charged",
                        "license": voucher.license_id,
                        "payer": voucher.payer,
                        "units": used,
                        "served": after,
                        "amount": amount,
                    }
                )
            )
        if streamed:
            return Response(b"", headers=headers)
        return Response(served.body, 200, headers=headers, media_type=served.media_type)

    # ------------------------------------------------------------------ answers

    async def _challenge(
        self,
        request: Request,
        asset: AssetConfig,
        units: int,
        code: str,
        message: str,
        record: ChannelRecord | None = None,
    ) -> Response:
        if record is None:
            record = await self._named_channel(request)
        offer = x402.Offer(
            chain_id=self.chain_id,
            meter_address=self.domain.meter_address,
            operator=self.operator,
            currency=record.state.currency if record else UNKNOWN_CURRENCY,
            asset_id=asset.asset_id,
            units=units,
            pricing=asset.pricing,
            license_id=record.state.license_id if record else None,
            payer=record.state.payer if record else None,
            unit_price=record.state.unit_price if record else None,
            served=record.floor if record else None,
            last_voucher=record.voucher if record else None,
        )
        header, body = x402.payment_required(
            offer,
            str(request.url),
            asset.description or f"asset {asset.asset_id}",
            "application/json",
            code,
            message,
        )
        self.metrics.challenges.inc()
        return JSONResponse(body, 402, headers={x402.PAYMENT_REQUIRED: header})

    async def _named_channel(self, request: Request) -> ChannelRecord | None:
        """The channel a client named with Seedbed-License and Seedbed-Payer, if known."""
        lic, payer = request.headers.get("seedbed-license"), request.headers.get("seedbed-payer")
        if not lic or not payer:
            return None
        try:
            from seedbed.core.vouchers import checksum_address

            channel = (int(lic), checksum_address(payer, "payer"), self.operator)
            return await self.record(channel)
        except (ValueError, InputError):
            return None

    def _replay(self, stored: StoredAnswer) -> Response:
        self.metrics.replays.inc()
        headers = {k: v for k, v in stored.headers.items() if k.lower() != "content-type"}
        headers["Seedbed-Replayed"] = "true"
        return Response(
            stored.body,
            stored.status,
            headers=headers,
            media_type=stored.headers.get("content-type", "application/json"),
        )

    def _failed(self, err: HandlerFailed) -> Response:
        self.metrics.failed.inc()
        return self._refuse(err.status, err.code, err.message + " Nothing was charged.")

    def _refuse(self, status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": code, "message": message}, status)


def stream_tail(payment_response: str) -> bytes:
    """The end of a charged stream: the charge as an SSE event, then OpenAI's [DONE]."""
    return f"event: payment\ndata: {payment_response}\n\ndata: [DONE]\n\n".encode()
