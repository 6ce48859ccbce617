"""The client's failures: each an InputError with one sentence, as the rest of Seedbed."""

from __future__ import annotations

import json
from typing import Any

from seedbed.core.errors import InputError


class GatewayError(InputError):
    """The gateway refused a call: the HTTP `status`, its error `code` and its sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.code!r}, {self.message!r})"

    @classmethod
    def from_body(cls, status: int, body: bytes) -> GatewayError:
        """Read the gateway's `{"error": code, "message": sentence}`, or say what came instead."""
        code, message = _error_fields(body)
        if code is None:
            code = f"http_{status}"
        if message is None:
            text = body[:200].decode("utf-8", "replace").strip()
            message = f"the gateway answered HTTP {status}" + (f": {text}" if text else ".")
        return cls(status, code, message)


class PaymentRequiredError(GatewayError):
    """A call the gateway wants paid and this client would not or could not pay (HTTP 402)."""

    def __init__(self, code: str, message: str, requirements: dict[str, Any] | None = None) -> None:
        super().__init__(402, code, message)
        self.requirements = requirements


class PaymentRefused(InputError):
    """The gateway's payment terms are ones this client will not sign (a wrong chain or meter,
    another payer's channel, an inconsistent count): nothing was signed."""


class VerificationError(InputError):
    """Content the gateway sent does not match what the chain commits to."""


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    try:
        document = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    code: Any = document.get("error")
    message: Any = document.get("message")
    if isinstance(code, dict):  # {"error": {"code", "message"}} (OpenAI style)
        inner = code
        code, message = inner.get("code") or inner.get("type"), inner.get("message", message)
    return (
        code if isinstance(code, str) and code else None,
        message if isinstance(message, str) and message else None,
    )
