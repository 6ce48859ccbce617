"""A stand-in gateway for the client's tests, built from `seedbed.core.x402` alone.

`Desk` is the payment half: it offers `seedbed-voucher` terms, checks a voucher's signature
with VoucherDomain.recover, keeps each channel's served count, answers `stale_voucher` with
the count and the last voucher, and replays a served call whose payment identifier it has
seen. `FakeGateway` puts routes in front of it (chat, invoke, files with Range, manifest,
channels) for httpx.MockTransport, with faults to inject (a lost answer, a 503).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_account import Account

from seedbed.core import x402
from seedbed.core.merkle import build_levels, file_leaf, merkle_proof
from seedbed.core.vouchers import SignedVoucher, Voucher, VoucherDomain, checksum_address, sign

CHAIN_ID = 31337
METER = checksum_address("0x" + "ab" * 20)
OPERATOR = checksum_address("0x" + "0e" * 20)
PAYER_KEY = "0x" + "11" * 32
PAYER = Account.from_key(PAYER_KEY).address
OTHER_KEY = "0x" + "22" * 32
LICENSE = 7
UNIT_PRICE = 10**12
ASSET = 3
MODEL_ASSET = 4
BASE = "http://gateway.test"

FILES = {
    "a.txt": b"hello, seedbed\n",
    "data/b.bin": bytes(range(256)) * 40,  # 10240 bytes
    "empty": b"",
}


def dataset(files: dict[str, bytes]) -> tuple[bytes, dict[str, tuple[str, int, list[bytes]]]]:
    """(content root, {path: (sha256 hex, size, proof)}) of `files`, as the registry commits."""
    ordered = sorted(files, key=lambda p: p.encode())
    leaves = [file_leaf(p, hashlib.sha256(files[p]).digest(), len(files[p])) for p in ordered]
    levels = build_levels(leaves)
    facts = {
        p: (hashlib.sha256(files[p]).hexdigest(), len(files[p]), merkle_proof(levels, i))
        for i, p in enumerate(ordered)
    }
    return levels[-1][0], facts


ROOT, FACTS = dataset(FILES)


def offer(**extra: Any) -> x402.Offer:
    """An Offer of the stand-in gateway; keyword arguments override or add its fields."""
    fields: dict[str, Any] = {
        "chain_id": CHAIN_ID,
        "meter_address": METER,
        "operator": OPERATOR,
        "currency": "0x" + "00" * 20,
        "asset_id": ASSET,
        "units": 1,
    }
    return x402.Offer(**{**fields, **extra})


def requirements(**extra: Any) -> dict[str, Any]:
    """v2 requirements as the gateway sends them."""
    return offer(**extra).requirements()


def challenge(code: str = x402.PAYMENT_REQUIRED_CODE, **extra: Any) -> tuple[str, bytes]:
    """(PAYMENT-REQUIRED value, JSON body) of a 402 offering `offer(**extra)`."""
    header, body = x402.payment_required(
        offer(**extra), BASE + "/x", "a call", "application/json", code, "Pay for it."
    )
    return header, json.dumps(body).encode()


def signed_voucher(
    cumulative: int, *, key: str = PAYER_KEY, license_id: int = LICENSE
) -> SignedVoucher:
    payer = Account.from_key(key).address
    voucher = Voucher(license_id, payer, OPERATOR, cumulative, int(time.time()) + 3600)
    return SignedVoucher(voucher, sign(voucher, CHAIN_ID, METER, key))


class StubRpc:
    """An Rpc that answers eth_call with `answer` (or raises it) and eth_chainId with `chain_id`."""

    def __init__(self, answer, chain_id=CHAIN_ID):
        self.answer = answer
        self.chain_id = chain_id
        self.calls = []

    def call(self, method, params):
        self.calls.append((method, params))
        if method == "eth_chainId":
            return hex(self.chain_id)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def asset_view(root: bytes) -> str:
    words = [bytes(12) + b"\x01" * 20, (1).to_bytes(32, "big"), root] + [bytes(32)] * 6
    return "0x" + b"".join(words).hex()


@dataclass
class Receipt:
    headers: dict[str, str]
    payment_id: str | None
    replay: bool
    units: int  # charged


@dataclass
class Refusal:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Desk:
    """The payment half of a gateway: terms, voucher checks, channel counts, replays."""

    served: dict[tuple[int, str], int] = field(default_factory=dict)
    last: dict[tuple[int, str], SignedVoucher] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    payments: list[x402.Payment] = field(default_factory=list)  # every voucher received
    refuse_with: str | None = None  # answer every payment with this 402 code
    domain: VoucherDomain = field(default_factory=lambda: VoucherDomain(CHAIN_ID, METER))

    def offer(
        self, headers: httpx.Headers | dict[str, str], units: int, pricing: str
    ) -> x402.Offer:
        license_id = headers.get("Seedbed-License")
        payer = headers.get("Seedbed-Payer")
        if license_id is None or payer is None:
            return x402.Offer(CHAIN_ID, METER, OPERATOR, "0x" + "00" * 20, ASSET, units, pricing)
        channel = (int(license_id), checksum_address(payer))
        return x402.Offer(
            CHAIN_ID,
            METER,
            OPERATOR,
            "0x" + "00" * 20,
            ASSET,
            units,
            pricing,
            license_id=channel[0],
            payer=channel[1],
            unit_price=UNIT_PRICE,
            served=self.served.get(channel, 0),
            last_voucher=self.last.get(channel),
        )

    def refuse(self, url: str, offer: x402.Offer, code: str, message: str) -> Refusal:
        header, body = x402.payment_required(
            offer, url, "a call", "application/json", code, message
        )
        return Refusal(
            402,
            {x402.PAYMENT_REQUIRED: header, "content-type": "application/json"},
            json.dumps(body).encode(),
        )

    def pay(
        self,
        url: str,
        headers: httpx.Headers | dict[str, str],
        units: int,
        *,
        pricing: str = "call",
        used: int | None = None,
    ) -> Receipt | Refusal:
        offer = self.offer(headers, units, pricing)
        value = headers.get(x402.PAYMENT_SIGNATURE)
        if value is None:
            return self.refuse(url, offer, x402.PAYMENT_REQUIRED_CODE, "This call costs units.")
        try:
            payment = x402.parse_payment(value, x402.PAYMENT_SIGNATURE, CHAIN_ID)
        except x402.PaymentError as err:
            return self.refuse(url, offer, err.code, err.message)
        self.payments.append(payment)
        if payment.payment_id is not None and payment.payment_id in self.receipts:
            old = self.receipts[payment.payment_id]
            return Receipt(old.headers, old.payment_id, True, 0)
        if self.refuse_with is not None:
            return self.refuse(url, offer, self.refuse_with, f"Refused: {self.refuse_with}.")
        signed = payment.signed
        v = signed.voucher
        channel = (v.license_id, v.payer)
        if self.domain.recover(signed) != v.payer or v.operator != OPERATOR:
            return self.refuse(url, offer, x402.INVALID_PAYLOAD, "The voucher is not signed.")
        served = self.served.get(channel, 0)
        stale = x402.Offer(
            CHAIN_ID, METER, OPERATOR, "0x" + "00" * 20, ASSET, units, pricing,
            license_id=v.license_id, payer=v.payer, unit_price=UNIT_PRICE,
            served=served, last_voucher=self.last.get(channel),
        )  # fmt: skip
        if v.cumulative_units < served + units:
            return self.refuse(url, stale, x402.STALE_VOUCHER, f"{served} units are served.")
        if v.cumulative_units > served + units:
            return self.refuse(url, stale, x402.INVALID_PAYLOAD, "The voucher covers too much.")
        charged = units if used is None else used
        self.served[channel] = served + charged
        self.last[channel] = signed
        receipt = Receipt(
            {
                x402.PAYMENT_RESPONSE: x402.payment_response(
                    CHAIN_ID, v, charged * UNIT_PRICE, charged, served + charged, UNIT_PRICE
                )
            },
            payment.payment_id,
            False,
            charged,
        )
        if payment.payment_id is not None:
            self.receipts[payment.payment_id] = receipt
        return receipt


def _range(header: str | None, size: int) -> tuple[int, int] | None | str:
    if header is None:
        return None
    match = re.fullmatch(r"bytes=(\d+)-(\d*)", header)
    assert match, header
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else size - 1
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


@dataclass
class FakeGateway:
    """Routes over a Desk, for httpx.MockTransport; `faults` are consumed one per request."""

    desk: Desk = field(default_factory=Desk)
    files: dict[str, bytes] = field(default_factory=lambda: dict(FILES))
    facts: dict[str, tuple[str, int, list[bytes]]] = field(default_factory=lambda: dict(FACTS))
    root: bytes = ROOT
    faults: list[str] = field(default_factory=list)  # "lost" (served, answer lost), "503"
    requests: list[httpx.Request] = field(default_factory=list)
    ignore_range: bool = False
    tamper: dict[str, Any] = field(default_factory=dict)  # header overrides for file answers
    api_keys: dict[str, tuple[int, str]] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self.faults.pop(0) if self.faults else None
        if fault == "503":
            return httpx.Response(503, json={"error": "busy", "message": "Try again."})
        response = self.route(request)
        if fault == "lost":
            raise httpx.ReadError("the connection dropped", request=request)
        return response

    def _paid(self, request: httpx.Request, units: int, **kw: Any) -> Receipt | Refusal:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if key:
            if key not in self.api_keys:
                return Refusal(401, {}, b'{"error":"unauthorized","message":"Unknown key."}')
            ident = request.headers.get("Idempotency-Key")
            if ident in self.desk.receipts:
                old = self.desk.receipts[ident]
                return Receipt(old.headers, ident, True, 0)
            license_id, payer = self.api_keys[key]
            channel = (license_id, payer)
            served = self.desk.served.get(channel, 0) + units
            self.desk.served[channel] = served
            v = Voucher(license_id, payer, OPERATOR, served, int(time.time()) + 60)
            receipt = Receipt(
                {x402.PAYMENT_RESPONSE: x402.payment_response(CHAIN_ID, v, 0, units, served, 1)},
                ident,
                False,
                units,
            )
            if ident:
                self.desk.receipts[ident] = receipt
            return receipt
        return self.desk.pay(str(request.url), request.headers, units, **kw)

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/healthz":
            return httpx.Response(200, json={"ok": True})
        if path == "/v1/chat/completions":
            return self._chat(request)
        m = re.fullmatch(r"/v1/assets/(\d+)/invoke", path)
        if m:
            paid = self._paid(request, 2)
            if isinstance(paid, Refusal):
                return httpx.Response(paid.status, headers=paid.headers, content=paid.body)
            return httpx.Response(
                200, headers=paid.headers, json={"echo": json.loads(request.content)}
            )
        m = re.fullmatch(r"/v1/assets/(\d+)/manifest", path)
        if m:
            files = [{"path": p, "sha256": s, "size": n} for p, (s, n, _) in self.facts.items()]
            return httpx.Response(
                200,
                json={"assetId": m.group(1), "contentRoot": "0x" + self.root.hex(), "files": files},
            )
        m = re.fullmatch(r"/v1/channels/(\d+)/(0x[0-9a-fA-F]{40})", path)
        if m:
            channel = (int(m.group(1)), checksum_address(m.group(2)))
            last = self.desk.last.get(channel)
            return httpx.Response(
                200,
                json={
                    "served": str(self.desk.served.get(channel, 0)),
                    "settled": "0",
                    "lastVoucher": last.to_json() if last else None,
                },
            )
        m = re.fullmatch(r"/v1/assets/(\d+)/files/(.+)", path)
        if m:
            return self._file(request, m.group(2))
        return httpx.Response(404, json={"error": "not_found", "message": "No such route."})

    def _file(self, request: httpx.Request, name: str) -> httpx.Response:
        if name not in self.files:
            return httpx.Response(404, json={"error": "not_found", "message": "No such file."})
        data = self.files[name]
        sha, size, proof = self.facts[name]
        wanted = None if self.ignore_range else _range(request.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            return httpx.Response(
                416, json={"error": "range_not_satisfiable", "message": "No such bytes."}
            )
        paid = self._paid(request, 1)
        if isinstance(paid, Refusal):
            return httpx.Response(paid.status, headers=paid.headers, content=paid.body)
        headers = {
            **paid.headers,
            "Seedbed-Content-Root": "0x" + self.root.hex(),
            "Seedbed-File-Sha256": sha,
            "Seedbed-File-Size": str(size),
            "Seedbed-File-Proof": ",".join("0x" + p.hex() for p in proof),
            "Accept-Ranges": "bytes",
        }
        headers.update(self.tamper.get("headers", {}))
        if isinstance(wanted, tuple):
            start, end = wanted
            body = data[start : end + 1]
            headers["Content-Range"] = self.tamper.get(
                "content_range", f"bytes {start}-{end}/{size}"
            )
            return httpx.Response(206, headers=headers, content=self.tamper.get("body", body))
        return httpx.Response(200, headers=headers, content=self.tamper.get("body", data))

    def _chat(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        units = int(body.get("max_tokens") or 16)
        used = min(units, 3)
        paid = self._paid(request, units, pricing="token", used=used)
        if isinstance(paid, Refusal):
            return httpx.Response(paid.status, headers=paid.headers, content=paid.body)
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi there"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": used, "total_tokens": used + 1},
        }
        if not body.get("stream"):
            return httpx.Response(200, headers=paid.headers, json=answer)
        # Streamed: the header authorises (served + max), the `payment` event charges.
        final = paid.headers[x402.PAYMENT_RESPONSE]
        doc = json.loads(base64.b64decode(final))
        doc["extensions"]["seedbed"]["served"] = doc["extensions"]["seedbed"]["voucherUnits"]
        authorisation = x402.encode(doc)
        events = [
            "data: "
            + json.dumps(
                {"object": "chat.completion.chunk", "choices": [{"delta": {"content": w}}]}
            )
            + "\n\n"
            for w in ("hi", " there")
        ]
        events.append(f"event: payment\ndata: {final}\n\n")
        events.append("data: [DONE]\n\n")
        return httpx.Response(
            200,
            headers={x402.PAYMENT_RESPONSE: authorisation, "content-type": "text/event-stream"},
            content="".join(events).encode(),
        )
