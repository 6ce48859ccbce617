"""The gateway's payments over HTTP in x402's shape, with Seedbed's cumulative-voucher scheme.

Wire format (docs/gateway.md has the full specification):

- A `402 Payment Required` answer carries `PAYMENT-REQUIRED`: base64 of the JSON
  `{x402Version: 2, error, resource: {url, description, mimeType}, accepts: [requirements],
  extensions}`; its JSON body repeats the requirements in x402 v1 form (`maxAmountRequired`)
  for v1 clients, with `error` and a one-sentence `message`.
- The requirements of the scheme `seedbed-voucher`: `network` "eip155:<chain id>", `asset` the
  currency (0x0…0 for ETH), `payTo` the operator, `amount` the most this call charges in base
  units (units × the license's unit price, "0" while the gateway does not know the license),
  and `extra` = {`domain`: the meter's EIP-712 domain, `assetId`, `units` (the most units this
  call charges), `pricing` ("call" or "token"), and, once the channel is known, `licenseId`,
  `payer`, `unitPrice`, `served` (units served on the channel so far: the next voucher
  covers `served + units`), `lastVoucher` (the highest voucher accepted)}.
- The retry carries `PAYMENT-SIGNATURE` (v1: `X-PAYMENT`): base64 of `{x402Version, resource,
  accepted, payload: {voucher: {licenseId, payer, operator, cumulativeUnits, deadline},
  signature}, extensions: {"payment-identifier": {info: {id}}}}`.
- A served call answers `PAYMENT-RESPONSE` (v1: `X-PAYMENT-RESPONSE`): base64 of `{success,
  transaction: "" (accepted off chain, settled later in bulk), network, payer, amount (what
  this call charged), extensions: {seedbed: {licenseId, units, served, unitPrice}}}`.

Everything here is pure: it encodes and decodes, and raises PaymentError with an x402 error
code and one sentence; the gateway decides what is valid against the chain.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seedbed.core.errors import InputError
from seedbed.core.vouchers import METER_NAME, METER_VERSION, SignedVoucher, Voucher

SCHEME = "seedbed-voucher"
X402_VERSION = 2

PAYMENT_REQUIRED = "PAYMENT-REQUIRED"
PAYMENT_SIGNATURE = "PAYMENT-SIGNATURE"
PAYMENT_RESPONSE = "PAYMENT-RESPONSE"
V1_PAYMENT = "X-PAYMENT"
V1_PAYMENT_RESPONSE = "X-PAYMENT-RESPONSE"

PAYMENT_IDENTIFIER = "payment-identifier"
_PAYMENT_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")  # x402's payment-identifier rule (fullmatch)

MAX_HEADER_BYTES = 16_384  # a voucher payload is ~1 kB; anything larger is refused unread

# x402's error codes where one fits, and Seedbed's own for what x402 has no word for.
INVALID_PAYLOAD = "invalid_payload"
INVALID_SCHEME = "invalid_scheme"
INVALID_NETWORK = "invalid_network"
INVALID_VERSION = "invalid_x402_version"
INSUFFICIENT_FUNDS = "insufficient_funds"
PAYMENT_REQUIRED_CODE = "payment_required"
STALE_VOUCHER = "stale_voucher"  # the corrective 402: re-sign from `served`
LICENSE_INVALID = "license_invalid"
EXPOSURE_CAP = "exposure_cap"
UNEXPECTED = "unexpected_settle_error"


class PaymentError(InputError):
    """A payment the gateway refuses: `code` is the x402-style error code for clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def network(chain_id: int) -> str:
    return f"eip155:{chain_id}"


def encode(document: Mapping[str, Any]) -> str:
    """base64 of compact JSON: the value of every x402 header."""
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def decode(value: str, header: str) -> dict[str, Any]:
    """The JSON object inside an x402 header, or PaymentError(invalid_payload)."""
    if len(value) > MAX_HEADER_BYTES:
        raise PaymentError(
            INVALID_PAYLOAD, f"the {header} header is over {MAX_HEADER_BYTES} bytes."
        )
    try:
        document = json.loads(base64.b64decode(value.strip(), validate=True))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: "[[[[..." nesting
        raise PaymentError(INVALID_PAYLOAD, f"the {header} header is not base64 of JSON.") from None
    if not isinstance(document, dict):
        raise PaymentError(INVALID_PAYLOAD, f"the {header} header is not a JSON object.")
    return document


def domain(chain_id: int, meter_address: str) -> dict[str, Any]:
    """The meter's EIP-712 domain, as a wallet's eth_signTypedData_v4 takes it."""
    return {
        "name": METER_NAME,
        "version": METER_VERSION,
        "chainId": chain_id,
        "verifyingContract": meter_address,
    }


@dataclass(frozen=True, slots=True)
class Offer:
    """What one call on a resource costs, and on which channel when the gateway knows it."""

    chain_id: int
    meter_address: str
    operator: str
    currency: str
    asset_id: int
    units: int  # the most units this call charges
    pricing: str = "call"  # "call": exactly `units`; "token": up to `units`, charged as used
    timeout_seconds: int = 60
    license_id: int | None = None
    payer: str | None = None
    unit_price: int | None = None
    served: int | None = None
    last_voucher: SignedVoucher | None = None

    def requirements(self) -> dict[str, Any]:
        """x402 v2 PaymentRequirements of the `seedbed-voucher` scheme."""
        extra: dict[str, Any] = {
            "domain": domain(self.chain_id, self.meter_address),
            "assetId": str(self.asset_id),
            "units": str(self.units),
            "pricing": self.pricing,
        }
        if self.license_id is not None:
            extra["licenseId"] = str(self.license_id)
        if self.payer is not None:
            extra["payer"] = self.payer
        if self.unit_price is not None:
            extra["unitPrice"] = str(self.unit_price)
        if self.served is not None:
            extra["served"] = str(self.served)
        if self.last_voucher is not None:
            extra["lastVoucher"] = self.last_voucher.to_json()
        return {
            "scheme": SCHEME,
            "network": network(self.chain_id),
            "amount": str(self.units * self.unit_price) if self.unit_price is not None else "0",
            "asset": self.currency,
            "payTo": self.operator,
            "maxTimeoutSeconds": self.timeout_seconds,
            "extra": extra,
        }

    def requirements_v1(self, resource: str, description: str, mime_type: str) -> dict[str, Any]:
        v2 = self.requirements()
        return {
            "scheme": SCHEME,
            "network": v2["network"],
            "maxAmountRequired": v2["amount"],
            "resource": resource,
            "description": description,
            "mimeType": mime_type,
            "payTo": v2["payTo"],
            "maxTimeoutSeconds": v2["maxTimeoutSeconds"],
            "asset": v2["asset"],
            "extra": v2["extra"],
        }


def payment_required(
    offer: Offer, url: str, description: str, mime_type: str, code: str, message: str
) -> tuple[str, dict[str, Any]]:
    """(the PAYMENT-REQUIRED header value, the 402's JSON body)."""
    header = {
        "x402Version": X402_VERSION,
        "error": code,
        "resource": {"url": url, "description": description, "mimeType": mime_type},
        "accepts": [offer.requirements()],
        "extensions": {
            PAYMENT_IDENTIFIER: {
                "info": {"required": False},
                "schema": {
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "object",
                    "properties": {
                        "required": {"type": "boolean"},
                        "id": {
                            "type": "string",
                            "minLength": 16,
                            "maxLength": 128,
                            "pattern": "^[a-zA-Z0-9_-]+$",
                        },
                    },
                    "required": ["required"],
                },
            }
        },
    }
    body = {
        "x402Version": 1,
        "error": code,
        "message": message,
        "accepts": [offer.requirements_v1(url, description, mime_type)],
    }
    return encode(header), body


@dataclass(frozen=True, slots=True)
class Payment:
    """A client's payment, parsed: the voucher and the idempotency key it came with."""

    signed: SignedVoucher
    payment_id: str | None
    version: int


def parse_payment(value: str, header: str, chain_id: int) -> Payment:
    """Read a PAYMENT-SIGNATURE (or X-PAYMENT) header; PaymentError names what is wrong."""
    document = decode(value, header)
    version = document.get("x402Version")
    if version not in (1, 2):
        raise PaymentError(INVALID_VERSION, f"x402Version {version!r} is not 1 or 2.")
    if version == 2:
        accepted = document.get("accepted")
        if not isinstance(accepted, dict):
            raise PaymentError(INVALID_PAYLOAD, "the payment names no 'accepted' requirements.")
        scheme, net = accepted.get("scheme"), accepted.get("network")
    else:
        scheme, net = document.get("scheme"), document.get("network")
    if scheme != SCHEME:
        raise PaymentError(INVALID_SCHEME, f"the scheme {scheme!r} is not {SCHEME!r}.")
    if net != network(chain_id):
        raise PaymentError(
            INVALID_NETWORK, f"the network {net!r} is not this gateway's {network(chain_id)!r}."
        )
    payload = document.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("voucher"), dict):
        raise PaymentError(INVALID_PAYLOAD, "the payment's payload holds no 'voucher' object.")
    try:
        signed = SignedVoucher.from_json(
            {**payload["voucher"], "signature": payload.get("signature")}
        )
    except InputError as err:
        raise PaymentError(INVALID_PAYLOAD, err.message) from None
    return Payment(signed, _payment_id(document.get("extensions")), version)


def _payment_id(extensions: object) -> str | None:
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise PaymentError(INVALID_PAYLOAD, "the payment's 'extensions' is not an object.")
    extension = extensions.get(PAYMENT_IDENTIFIER)
    if extension is None:
        return None
    info = extension.get("info") if isinstance(extension, dict) else None
    ident = info.get("id") if isinstance(info, dict) else None
    if ident is None:
        return None
    if not isinstance(ident, str) or not _PAYMENT_ID.fullmatch(ident):
        raise PaymentError(
            INVALID_PAYLOAD,
            "the payment-identifier must be 16 to 128 letters, digits, '-' or '_'.",
        )
    return ident


def payment_payload(
    signed: SignedVoucher,
    accepted: Mapping[str, Any],
    *,
    payment_id: str | None = None,
    resource: Mapping[str, Any] | None = None,
    version: int = X402_VERSION,
) -> dict[str, Any]:
    """What a client puts, base64-encoded, in PAYMENT-SIGNATURE (version 2) or X-PAYMENT (1)."""
    voucher = signed.to_json()
    signature = voucher.pop("signature")
    payload = {"voucher": voucher, "signature": signature}
    document: dict[str, Any] = {"x402Version": version}
    if version == 2:
        document.update(accepted=dict(accepted), payload=payload)
        if resource is not None:
            document["resource"] = dict(resource)
    else:
        document.update(scheme=accepted["scheme"], network=accepted["network"], payload=payload)
    if payment_id is not None:
        document["extensions"] = {
            PAYMENT_IDENTIFIER: {"info": {"required": False, "id": payment_id}}
        }
    return document


def payment_response(
    chain_id: int, voucher: Voucher, amount: int, units: int, served: int, unit_price: int
) -> str:
    """The PAYMENT-RESPONSE header of a served call: what it charged, accepted off chain."""
    return encode(
        {
            "success": True,
            "transaction": "",
            "network": network(chain_id),
            "payer": voucher.payer,
            "amount": str(amount),
            "extensions": {
                "seedbed": {
                    "licenseId": str(voucher.license_id),
                    "units": str(units),
                    "served": str(served),
                    "voucherUnits": str(voucher.cumulative_units),
                    "unitPrice": str(unit_price),
                }
            },
        }
    )


def read_payment_response(value: str) -> dict[str, Any]:
    """A client's view of PAYMENT-RESPONSE; PaymentError if it is not one."""
    document = decode(value, PAYMENT_RESPONSE)
    if not isinstance(document.get("success"), bool):
        raise PaymentError(INVALID_PAYLOAD, "the PAYMENT-RESPONSE names no 'success'.")
    return document
