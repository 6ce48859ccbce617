"""Paying the gateway: from a 402's requirements to a signed voucher, with no I/O.

The gateway answers an unpaid call with 402 and `seedbed-voucher` requirements (see
`seedbed.core.x402`). Paying is signing a cumulative voucher for the channel (license, payer,
operator = `payTo`) that covers `served + units`, where `served` is the larger of this
client's own count and the gateway's `extra.served`. The classes here are shared by the sync
and async clients and by the x402 SDK scheme:

- `Requirements` / `Challenge`: a 402 read and checked (a bad 402 is a GatewayError).
- `ChannelBook`: the served count of each channel, only ever raised (a replayed answer
  carries an older count than one already seen).
- `VoucherSigner`: one payer's key; refuses terms it was not configured for (another chain or
  meter, another license or payer) and signs the voucher the requirements ask for.
- `PaidCall`: one logical call's state machine: its headers, what to do on a 402 (re-sign
  once on `payment_required` or `stale_voucher`), and what a success says was served. Its
  payment identifier is drawn once, so every transport retry of the call carries it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account

from seedbed.client.errors import GatewayError, PaymentRefused, PaymentRequiredError
from seedbed.core import x402
from seedbed.core.errors import InputError
from seedbed.core.vouchers import (
    METER_NAME,
    METER_VERSION,
    SignedVoucher,
    Voucher,
    checksum_address,
    sign,
)

LICENSE_HEADER = "Seedbed-License"
PAYER_HEADER = "Seedbed-Payer"
IDEMPOTENCY_HEADER = "Idempotency-Key"  # API-key calls: the payment identifier's stand-in

CALL = "call"
TOKEN = "token"
RESIGN_CODES = frozenset({x402.PAYMENT_REQUIRED_CODE, x402.STALE_VOUCHER})
MAX_SIGNED_ATTEMPTS = 2  # a first voucher, and one re-signed after a corrective 402

Channel = tuple[int, str, str]  # (license id, payer, operator)


def new_payment_id() -> str:
    """A fresh idempotency key for one logical call (x402's payment-identifier rule)."""
    return "sb_" + secrets.token_urlsafe(24)


# -- what the gateway asks for ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requirements:
    """One `seedbed-voucher` entry of a 402's `accepts`, read and checked."""

    accepted: dict[str, Any]  # exactly as the gateway sent it: echoed back in the payment
    chain_id: int
    meter_address: str
    operator: str
    currency: str
    amount: int  # the most this call charges in base units (0 while the license is unknown)
    units: int  # the most units this call charges
    pricing: str  # "call": exactly `units`; "token": up to `units`, charged as used
    asset_id: int | None = None
    license_id: int | None = None
    payer: str | None = None
    unit_price: int | None = None
    served: int | None = None
    last_voucher: SignedVoucher | None = None

    @classmethod
    def parse(cls, accepted: Mapping[str, Any]) -> Requirements:
        """Read x402 v2 requirements (or v1's, with `maxAmountRequired`); GatewayError if they
        are not well-formed `seedbed-voucher` requirements."""
        if not isinstance(accepted, Mapping):
            raise _bad("the payment requirements are not a JSON object")
        if accepted.get("scheme") != x402.SCHEME:
            raise _bad(f"the payment scheme {accepted.get('scheme')!r} is not {x402.SCHEME!r}")
        extra = accepted.get("extra")
        if not isinstance(extra, Mapping):
            raise _bad("the payment requirements carry no 'extra' object")
        domain = extra.get("domain")
        if not isinstance(domain, Mapping):
            raise _bad("the payment requirements carry no EIP-712 'domain'")
        if domain.get("name") != METER_NAME or str(domain.get("version")) != METER_VERSION:
            raise PaymentRefused(
                f"the gateway asks for vouchers of the EIP-712 domain {domain.get('name')!r} "
                f"version {domain.get('version')!r}, not {METER_NAME!r} version {METER_VERSION!r}."
            )
        chain_id = _uint(domain.get("chainId"), "domain's chainId")
        net = accepted.get("network")
        if net != x402.network(chain_id):
            raise _bad(f"the network {net!r} is not the domain's chain {x402.network(chain_id)!r}")
        pricing = extra.get("pricing", CALL)
        if pricing not in (CALL, TOKEN):
            raise _bad(f"the pricing {pricing!r} is neither {CALL!r} nor {TOKEN!r}")
        amount = accepted.get("amount", accepted.get("maxAmountRequired", "0"))
        last = extra.get("lastVoucher")
        try:
            last_voucher = SignedVoucher.from_json(last) if last is not None else None
            return cls(
                accepted=dict(accepted),
                chain_id=chain_id,
                meter_address=checksum_address(_text(domain.get("verifyingContract")), "meter"),
                operator=checksum_address(_text(accepted.get("payTo")), "payTo operator"),
                currency=_text(accepted.get("asset")),
                amount=_uint(amount, "amount"),
                units=_uint(extra.get("units"), "units"),
                pricing=pricing,
                asset_id=_opt_uint(extra.get("assetId"), "assetId"),
                license_id=_opt_uint(extra.get("licenseId"), "licenseId"),
                payer=(
                    checksum_address(_text(extra["payer"]), "payer")
                    if extra.get("payer") is not None
                    else None
                ),
                unit_price=_opt_uint(extra.get("unitPrice"), "unitPrice"),
                served=_opt_uint(extra.get("served"), "served"),
                last_voucher=last_voucher,
            )
        except PaymentRefused:
            raise
        except InputError as err:
            raise _bad(err.message.rstrip(".")) from None


@dataclass(frozen=True, slots=True)
class Challenge:
    """A 402 answer: its error code and sentence, and the requirements to pay it."""

    version: int  # 2 (PAYMENT-REQUIRED header) or 1 (the JSON body only)
    code: str
    message: str
    requirements: Requirements
    resource: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None

    @classmethod
    def read(cls, header: str | None, body: bytes) -> Challenge:
        """Read a 402 from its PAYMENT-REQUIRED header, or from its x402 v1 JSON body."""
        document = _json_object(body)
        message = document.get("message") if isinstance(document.get("message"), str) else None
        if header:
            try:
                head = x402.decode(header, x402.PAYMENT_REQUIRED)
            except x402.PaymentError as err:
                raise GatewayError(402, err.code, err.message) from None
            version, accepts = 2, head.get("accepts")
            code = head.get("error") or document.get("error")
            resource = head.get("resource") if isinstance(head.get("resource"), dict) else None
            extensions = (
                head.get("extensions") if isinstance(head.get("extensions"), dict) else None
            )
        elif document.get("x402Version") == 1:
            version, accepts, code = 1, document.get("accepts"), document.get("error")
            resource = extensions = None
        else:
            raise GatewayError.from_body(402, body)
        code = code if isinstance(code, str) and code else x402.PAYMENT_REQUIRED_CODE
        if not isinstance(accepts, list):
            raise _bad("the 402 lists no 'accepts'")
        ours = [a for a in accepts if isinstance(a, Mapping) and a.get("scheme") == x402.SCHEME]
        if not ours:
            schemes = sorted({str(a.get("scheme")) for a in accepts if isinstance(a, Mapping)})
            raise PaymentRequiredError(
                x402.INVALID_SCHEME,
                f"the gateway offers only the payment schemes {schemes}, not {x402.SCHEME!r}.",
            )
        requirements = Requirements.parse(ours[0])
        if version == 1 and isinstance(ours[0].get("resource"), str):
            resource = {"url": ours[0]["resource"]}
        return cls(
            version=version,
            code=code,
            message=message or f"the gateway asks for payment ({code}).",
            requirements=requirements,
            resource=resource,
            extensions=extensions,
        )


# -- what the client has seen served ----------------------------------------------------------


class ChannelBook:
    """The units served on each channel, as far as this client knows: only ever raised."""

    def __init__(self) -> None:
        self._served: dict[Channel, int] = {}
        self._lock = threading.Lock()

    def get(self, channel: Channel) -> int:
        with self._lock:
            return self._served.get(channel, 0)

    def observe(self, channel: Channel, served: int) -> int:
        """Raise the channel's count to `served` if that is higher; the count after."""
        with self._lock:
            now = max(self._served.get(channel, 0), served)
            self._served[channel] = now
            return now

    def items(self) -> list[tuple[Channel, int]]:
        with self._lock:
            return list(self._served.items())


# -- signing ----------------------------------------------------------------------------------


class VoucherSigner:
    """Signs vouchers for one payer and keeps count of what its channels have been served.

    `chain_id` and `meter_address`, when given, are the only domain it will sign for; a
    gateway asking for another is refused (PaymentRefused) before anything is signed.
    """

    def __init__(
        self,
        private_key: bytes | str,
        *,
        license_id: int | None = None,
        payer: str | None = None,
        chain_id: int | None = None,
        meter_address: str | None = None,
        validity: int = 86_400,
        max_units: int | None = None,
        book: ChannelBook | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self.address: str = Account.from_key(private_key).address
        except (ValueError, TypeError) as err:
            raise InputError(f"the private key is unusable: {err}.") from None
        self._key = private_key
        self.payer: str = checksum_address(payer, "payer") if payer is not None else self.address
        self.license_id = _opt_uint(license_id, "license id") if license_id is not None else None
        self.chain_id = chain_id
        self.meter_address = (
            checksum_address(meter_address, "meter address") if meter_address else None
        )
        if isinstance(validity, bool) or not isinstance(validity, int) or validity <= 0:
            raise InputError(
                f"the voucher validity {validity!r} is not a positive number of seconds."
            )
        self.validity = validity
        self.max_units = max_units
        self.book = book if book is not None else ChannelBook()
        self._clock = clock

    # The channel a requirement names, or why this signer will not pay it.
    def channel_of(self, req: Requirements) -> Channel:
        if self.chain_id is not None and req.chain_id != self.chain_id:
            raise PaymentRefused(
                f"the gateway asks for vouchers on chain {req.chain_id}, but this client is "
                f"configured for chain {self.chain_id}."
            )
        if self.meter_address is not None and req.meter_address != self.meter_address:
            raise PaymentRefused(
                f"the gateway asks for vouchers for the meter {req.meter_address}, but this "
                f"client is configured for the meter {self.meter_address}."
            )
        if req.payer is not None and req.payer != self.payer:
            raise PaymentRefused(
                f"the gateway's terms are for the payer {req.payer}, not this client's "
                f"{self.payer}."
            )
        license_id = self.license_id if self.license_id is not None else req.license_id
        if license_id is None:
            raise PaymentRefused(
                "the gateway's terms name no license and this client has none: pass license_id."
            )
        if req.license_id is not None and req.license_id != license_id:
            raise PaymentRefused(
                f"the gateway's terms are for license {req.license_id}, not this client's "
                f"license {license_id}."
            )
        if self.max_units is not None and req.units > self.max_units:
            raise PaymentRefused(
                f"the call would charge up to {req.units} units, over this client's limit of "
                f"{self.max_units} per call."
            )
        return (license_id, self.payer, req.operator)

    def adopt(self, req: Requirements) -> int:
        """Take the gateway's served count if it is higher than ours; the count after.

        A count the gateway's own highest voucher does not cover is refused: it would have
        this client authorise units it never asked for."""
        channel = self.channel_of(req)
        if req.served is None:
            return self.book.get(channel)
        last = req.last_voucher
        if last is not None and last.voucher.channel == channel:
            if req.served > last.voucher.cumulative_units:
                raise PaymentRefused(
                    f"the gateway says {req.served} units were served on license "
                    f"{channel[0]}, but the highest voucher it holds covers only "
                    f"{last.voucher.cumulative_units}."
                )
        return self.book.observe(channel, req.served)

    def voucher(self, req: Requirements) -> SignedVoucher:
        """The voucher for one call: cumulative units = served + the call's units."""
        channel = self.channel_of(req)
        served = self.adopt(req)
        voucher = Voucher(
            license_id=channel[0],
            payer=channel[1],
            operator=channel[2],
            cumulative_units=served + req.units,
            deadline=int(self._clock()) + self.validity,
        )
        return SignedVoucher(voucher, sign(voucher, req.chain_id, req.meter_address, self._key))

    def receipt(self, channel: Channel, units: int) -> SignedVoucher:
        """A voucher for exactly `units` served on `channel`, signed after the calls (a
        per-token channel's last calls were authorised above what they used). Needs the
        configured chain id and meter: nothing here was asked for by a gateway."""
        if self.chain_id is None or self.meter_address is None:
            raise PaymentRefused(
                "a receipt needs the client's chain_id and meter_address configured."
            )
        voucher = Voucher(
            channel[0], channel[1], channel[2], units, int(self._clock()) + self.validity
        )
        return SignedVoucher(voucher, sign(voucher, self.chain_id, self.meter_address, self._key))

    def inner_payload(self, req: Requirements) -> dict[str, Any]:
        """The x402 `payload` object: {voucher, signature}."""
        document = x402.payment_payload(self.voucher(req), req.accepted)
        return dict(document["payload"])

    def payment_header(
        self, challenge: Challenge, payment_id: str | None, resource_url: str | None = None
    ) -> tuple[str, str]:
        """(header name, value) paying `challenge`: PAYMENT-SIGNATURE, or X-PAYMENT for v1."""
        req = challenge.requirements
        resource = challenge.resource
        if resource is not None and resource_url is not None:
            resource = {**resource, "url": resource_url}
        document = x402.payment_payload(
            self.voucher(req),
            req.accepted,
            payment_id=payment_id,
            resource=resource,
            version=challenge.version,
        )
        name = x402.PAYMENT_SIGNATURE if challenge.version == 2 else x402.V1_PAYMENT
        return name, x402.encode(document)


def record_payment_response(
    book: ChannelBook, value: str, channel: Channel | None
) -> tuple[Channel, int] | None:
    """Raise the book's count from a PAYMENT-RESPONSE header (or SSE payment event); the
    channel and its count after, or None if the response names no served count for it.

    `channel` is the one the call paid on; None (API-key mode) takes the license and payer
    the response names, at no known operator ("")."""
    try:
        document = x402.read_payment_response(value)
    except x402.PaymentError as err:
        raise GatewayError(200, err.code, err.message) from None
    return record_payment_document(book, document, channel)


def record_payment_document(
    book: ChannelBook, document: Mapping[str, Any], channel: Channel | None
) -> tuple[Channel, int] | None:
    """`record_payment_response` for the decoded document."""
    extensions = document.get("extensions")
    seedbed = extensions.get("seedbed") if isinstance(extensions, dict) else None
    if not isinstance(seedbed, dict) or seedbed.get("served") is None:
        return None
    try:
        served = _uint(seedbed["served"], "served")
        license_id = _opt_uint(seedbed.get("licenseId"), "licenseId")
        payer = document.get("payer")
        payer = checksum_address(payer, "payer") if isinstance(payer, str) and payer else None
    except InputError as err:
        raise GatewayError(
            200, x402.INVALID_PAYLOAD, f"the PAYMENT-RESPONSE is unreadable: {err}"
        ) from None
    if channel is None:
        if license_id is None or payer is None:
            return None
        channel = (license_id, payer, "")
    elif (license_id is not None and license_id != channel[0]) or (
        payer is not None and payer != channel[1]
    ):
        return None  # not the channel this call paid on: nothing to learn about ours
    return channel, book.observe(channel, served)


# -- one logical call -------------------------------------------------------------------------


@dataclass
class ChallengeCache:
    """The last requirements seen per route, so later calls pay up front in one round trip."""

    _entries: dict[Any, Challenge] = field(default_factory=dict)

    def get(self, key: Any) -> Challenge | None:
        return self._entries.get(key)

    def put(self, key: Any, challenge: Challenge) -> None:
        self._entries[key] = challenge

    def clear(self) -> None:
        self._entries.clear()


class PaidCall:
    """The payment side of one logical call, whatever carries it (sync, async, retries).

    `headers()` are the first attempt's (paid up front when the route's requirements are
    cached); `on_402(...)` gives the next attempt's headers or raises; `on_success(...)`
    records what the gateway says was served. The payment identifier is drawn once, here, so
    a transport retry resending these headers is a replay to the gateway, never a new charge.
    """

    def __init__(
        self,
        *,
        signer: VoucherSigner | None,
        cache: ChallengeCache,
        key: Any,
        url: str,
        book: ChannelBook,
        api_key: str | None = None,
        license_id: int | None = None,
        payer: str | None = None,
        payment_id: str | None = None,
    ) -> None:
        self.signer = signer
        self.cache = cache
        self.key = key
        self.url = url
        self.book = book
        self.api_key = api_key
        self.payment_id = payment_id or new_payment_id()
        self.attempts = 0  # vouchers signed for this call
        self.channel: Channel | None = None
        self.last_challenge: Challenge | None = None
        self._base: dict[str, str] = {}
        if signer is not None:
            license_id = license_id if license_id is not None else signer.license_id
            payer = payer if payer is not None else signer.payer
        if license_id is not None:
            self._base[LICENSE_HEADER] = str(license_id)
            if payer is not None:
                self._base[PAYER_HEADER] = payer
        if api_key is not None:  # the gateway signs; this call's key makes a retry a replay
            self._base["Authorization"] = f"Bearer {api_key}"
            self._base[IDEMPOTENCY_HEADER] = self.payment_id
        self._headers = dict(self._base)

    def headers(self) -> dict[str, str]:
        """The first attempt's headers: paid up front from the cached requirements, if any."""
        cached = self.cache.get(self.key)
        if cached is not None and self.signer is not None and self.api_key is None:
            try:
                self._pay(cached)
            except PaymentRefused:
                self._headers = dict(self._base)  # the terms changed: ask afresh
                self.attempts = 0
        return dict(self._headers)

    def on_402(self, header: str | None, body: bytes) -> dict[str, str]:
        """The headers of the next attempt after a 402, or PaymentRequiredError/PaymentRefused."""
        challenge = Challenge.read(header, body)
        self.last_challenge = challenge
        accepted = challenge.requirements.accepted
        if self.api_key is not None:
            raise PaymentRequiredError(challenge.code, challenge.message, accepted)
        if self.signer is None:
            raise PaymentRequiredError(
                challenge.code,
                f"{challenge.message.rstrip('.')}; this client has no key to pay with "
                "(pass private_key or api_key).",
                accepted,
            )
        if challenge.code not in RESIGN_CODES:  # a refusal a new voucher cannot mend
            raise PaymentRequiredError(challenge.code, challenge.message, accepted)
        if self.attempts >= MAX_SIGNED_ATTEMPTS:
            raise PaymentRequiredError(
                challenge.code,
                f"{challenge.message.rstrip('.')}; the gateway refused {self.attempts} vouchers "
                "for this call.",
                accepted,
            )
        self.cache.put(self.key, challenge)
        self._pay(challenge)
        return dict(self._headers)

    def _pay(self, challenge: Challenge) -> None:
        assert self.signer is not None
        self.channel = self.signer.channel_of(challenge.requirements)
        name, value = self.signer.payment_header(challenge, self.payment_id, self.url)
        self._headers = {**self._base, name: value}
        self.attempts += 1

    def on_success(self, header: str | None) -> int | None:
        """Record a PAYMENT-RESPONSE (header or SSE event); the channel's served count after."""
        if not header:
            return None
        if self.api_key is None and self.channel is None:
            return None  # a free answer: nothing was charged
        seen = record_payment_response(
            self.book, header, None if self.api_key is not None else self.channel
        )
        if seen is None:
            return None
        self.channel = seen[0]
        return seen[1]


# -- helpers ----------------------------------------------------------------------------------


def _bad(what: str) -> GatewayError:
    return GatewayError(402, x402.INVALID_PAYLOAD, f"the gateway's 402 is unreadable: {what}.")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise InputError(f"{value!r} is not a string.")
    return value


def _uint(value: object, what: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise InputError(f"the {what} {text!r} is not a number.") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"the {what} {value!r} is not a non-negative integer.")
    return value


def _opt_uint(value: object, what: str) -> int | None:
    return None if value is None else _uint(value, what)
