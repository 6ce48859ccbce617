"""The `seedbed-voucher` scheme for the x402 Python SDK's client (PyPI `x402`, v2).

An unmodified x402 client pays the Seedbed gateway once this scheme is registered:

    from x402 import x402Client
    from x402.http.clients import x402HttpxClient
    from seedbed.client.x402_scheme import SeedbedVoucherScheme, register

    scheme = SeedbedVoucherScheme(KEY, license_id=7, chain_id=31337)
    client = register(x402Client(), scheme)        # for eip155:31337, spend controls allowing it
    async with x402HttpxClient(client, headers=scheme.headers()) as http:
        answer = await http.post(f"{GATEWAY}/v1/assets/3/invoke", json={...})

How the SDK drives it (x402 2.25): on a 402 the httpx transport (`x402AsyncTransport`)
decodes PAYMENT-REQUIRED, picks the requirements whose (network, scheme) is registered, and
calls `create_payment_payload(requirements, context=...)`; what it returns becomes the
payment's `payload`, its `__extensions` entry is merged into the payment's `extensions`
(here: the payment-identifier `id`, when the gateway declares the extension). After the paid
request the transport calls the scheme's `on_payment_response` hook: a PAYMENT-RESPONSE
raises the channel's served count; a `stale_voucher` 402 adopts the gateway's count and asks
the transport to recover, which signs once more from the first 402's requirements and
retries once. Every payload gets a fresh payment identifier: the SDK never resends a payload.

The SDK's spend controls allow only the assets it knows (USDC and such) unless told
otherwise; `register` allows the meter's currency (ETH by default) on the scheme's network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from x402.interfaces import PaymentPayloadContext
from x402.schemas import PaymentRequirements, PaymentResponseContext, RecoveredResponseResult

from seedbed.client.errors import PaymentRefused
from seedbed.client.payments import (
    LICENSE_HEADER,
    PAYER_HEADER,
    ChannelBook,
    Requirements,
    VoucherSigner,
    new_payment_id,
    record_payment_document,
    record_payment_response,
)
from seedbed.core import x402
from seedbed.core.errors import InputError

ETH = "0x0000000000000000000000000000000000000000"


class SeedbedVoucherScheme:
    """x402's `SchemeNetworkClient` for `seedbed-voucher`: signs cumulative vouchers for one
    payer's channels and keeps their served counts from the gateway's answers."""

    scheme = x402.SCHEME

    def __init__(self, private_key: bytes | str, **options: Any) -> None:
        """`options` are VoucherSigner's: license_id, payer, chain_id, meter_address,
        validity, max_units, book."""
        self.signer = VoucherSigner(private_key, **options)
        # The hooks x402Client.register collects from a scheme (`scheme_hooks`).
        self.scheme_hooks = {"on_payment_response": self.on_payment_response}

    @property
    def network(self) -> str:
        """The CAIP-2 network to register for: the configured chain, else any EVM chain."""
        return x402.network(self.signer.chain_id) if self.signer.chain_id else "eip155:*"

    @property
    def book(self) -> ChannelBook:
        return self.signer.book

    def served(self, license_id: int, operator: str) -> int:
        """Units served on (license, this payer, operator) as far as the scheme knows."""
        return self.book.get((license_id, self.signer.payer, operator))

    def headers(self) -> dict[str, str]:
        """Seedbed-License / Seedbed-Payer, for the http client's default headers: the 402
        then carries the channel's served count and unit price (`amount`)."""
        if self.signer.license_id is None:
            return {}
        return {LICENSE_HEADER: str(self.signer.license_id), PAYER_HEADER: self.signer.payer}

    def create_payment_payload(
        self,
        requirements: PaymentRequirements,
        context: PaymentPayloadContext | None = None,
    ) -> dict[str, Any]:
        """The payment's inner payload `{voucher, signature}` (plus the SDK's `__extensions`
        carrying a fresh payment identifier when the gateway declares that extension)."""
        req = Requirements.parse(_as_json(requirements))
        cap = context.max_amount_per_payment if context is not None else None
        if cap is not None and req.amount > int(cap):
            raise PaymentRefused(
                f"the call costs up to {req.amount} base units, over the spend cap of {cap}."
            )
        payload = self.signer.inner_payload(req)
        declared = context.extensions if context is not None else None
        if isinstance(declared, Mapping) and x402.PAYMENT_IDENTIFIER in declared:
            payload["__extensions"] = {x402.PAYMENT_IDENTIFIER: {"info": {"id": new_payment_id()}}}
        return payload

    def on_payment_response(self, ctx: PaymentResponseContext) -> RecoveredResponseResult | None:
        """Learn from the paid request's answer; ask the transport to re-sign once on a
        `stale_voucher` 402 (the served count adopted first)."""
        try:
            req = Requirements.parse(_as_json(ctx.requirements))
            channel = self.signer.channel_of(req)
        except InputError:
            return None
        if ctx.settle_response is not None:
            document = ctx.settle_response.model_dump(by_alias=True, exclude_none=True)
            record_payment_document(self.book, document, channel)
            return None
        required = ctx.payment_required
        if required is None or getattr(required, "error", None) != x402.STALE_VOUCHER:
            return None
        for accepted in getattr(required, "accepts", []):
            if getattr(accepted, "scheme", None) != x402.SCHEME:
                continue
            try:
                fresh = Requirements.parse(_as_json(accepted))
                if fresh.served is None:
                    return None
                self.signer.adopt(fresh)
            except InputError:
                return None
            return RecoveredResponseResult()
        return None

    def record(self, payment_response: str, license_id: int, operator: str) -> int | None:
        """Take a PAYMENT-RESPONSE value the SDK does not see (a streamed chat's `payment`
        event); the channel's served count after, or None."""
        seen = record_payment_response(
            self.book, payment_response, (license_id, self.signer.payer, operator)
        )
        return seen[1] if seen else None


def register(
    client: Any,
    scheme: SeedbedVoucherScheme,
    *,
    network: str | None = None,
    currency: str = ETH,
    max_amount_per_payment: int | None = None,
) -> Any:
    """Register `scheme` on an x402Client (or x402ClientSync) and allow the meter's currency
    in its spend controls (this replaces the client's spend controls); the client."""
    net = network or scheme.network
    client.register(net, scheme)
    entry: dict[str, str] = {"network": net, "asset": currency}
    if max_amount_per_payment is not None:
        entry["max_amount_per_payment"] = str(max_amount_per_payment)
    client.set_spend_controls({"allowed_assets": [entry]})
    return client


def _as_json(requirements: Any) -> dict[str, Any]:
    if isinstance(requirements, Mapping):
        return dict(requirements)
    return dict(requirements.model_dump(by_alias=True, exclude_none=True))
