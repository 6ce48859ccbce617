"""Event decoding tables built once from the contracts' ABIs: topic0 -> decoder.

Values come out JSON-ready: integers as ints, addresses as lower-case hex, bytes as 0x-hex,
tuples and arrays as lists. Logs whose data is one 32-byte word per field (almost all of
ours) are decoded by slicing the hex text; the rest go through eth_abi.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode

from seedbed.core.keccak import keccak

ROLES = ("registry", "vault", "license", "meter", "court", "private", "campaigns")
CONTRACT_NAMES = {
    "registry": "AssetRegistry",
    "vault": "RoyaltyVault",
    "license": "LicenseToken",
    "meter": "UsageMeter",
    "court": "AssetCourt",
    "private": "PrivateData",
    "campaigns": "LabelCampaigns",
}

_WORD = 64  # hex digits in a 32-byte word
_STATIC = re.compile(r"^(u?int\d*|address|bool|bytes([1-9]|[12]\d|3[0-2]))$")


def _word_decoder(typ: str) -> Callable[[str], Any]:
    """Decoder of one 64-hex-digit word holding a value of static type `typ`."""
    if typ.startswith("uint"):
        return lambda w: int(w, 16)
    if typ.startswith("int"):
        bits = int(typ[3:] or 256)

        def signed(w: str) -> int:
            v = int(w, 16) & ((1 << bits) - 1)
            return v - (1 << bits) if v >> (bits - 1) else v

        return signed
    if typ == "address":
        return lambda w: "0x" + w[24:].lower()
    if typ == "bool":
        return lambda w: int(w, 16) != 0
    size = int(typ[5:])  # bytesN
    return lambda w: "0x" + w[: 2 * size].lower()


def jsonable(value: Any) -> Any:
    """eth_abi output to JSON-ready values."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


@dataclass(frozen=True)
class EventSpec:
    role: str
    name: str
    signature: str
    topic0: str
    fields: tuple[str, ...]
    types: tuple[str, ...]
    indexed: tuple[bool, ...]

    def __post_init__(self) -> None:
        data_types = [t for t, i in zip(self.types, self.indexed, strict=True) if not i]
        fast = all(_STATIC.match(t) for t in data_types)
        topic_decoders = [
            _word_decoder(t) if _STATIC.match(t) else (lambda w: "0x" + w)
            for t, i in zip(self.types, self.indexed, strict=True)
            if i
        ]
        object.__setattr__(self, "_topic_decoders", topic_decoders)
        object.__setattr__(self, "_data_types", data_types)
        object.__setattr__(
            self, "_data_decoders", [_word_decoder(t) for t in data_types] if fast else None
        )

    def decode(self, topics: list[str], data: str) -> list[Any]:
        """Field values in ABI order, from a log's hex topics and data."""
        tdec: list[Callable[[str], Any]] = self._topic_decoders  # type: ignore[attr-defined]
        ddec: list[Callable[[str], Any]] | None = self._data_decoders  # type: ignore[attr-defined]
        if len(topics) != len(tdec) + 1:
            raise ValueError(f"{self.name}: {len(topics) - 1} indexed topics, not {len(tdec)}")
        indexed_values = [d(t[2:]) for d, t in zip(tdec, topics[1:], strict=True)]
        if ddec is not None:
            hexdata = data[2:]
            if len(hexdata) < _WORD * len(ddec):
                raise ValueError(f"{self.name}: data too short")
            data_values = [d(hexdata[i * _WORD : (i + 1) * _WORD]) for i, d in enumerate(ddec)]
        else:
            raw = abi_decode(self._data_types, bytes.fromhex(data[2:]))  # type: ignore[attr-defined]
            data_values = [jsonable(v) for v in raw]
        out: list[Any] = []
        ti = iter(indexed_values)
        di = iter(data_values)
        for is_indexed in self.indexed:
            out.append(next(ti) if is_indexed else next(di))
        return out


def specs_from_abi(role: str, events: Iterable[Any]) -> list[EventSpec]:
    """EventSpecs from ethpm_types EventABI objects (`project.X.contract_type.events`)."""
    out = []
    for e in events:
        if getattr(e, "anonymous", False):
            continue  # no topic0 to recognise it by; none of ours are anonymous
        signature = e.selector
        out.append(
            EventSpec(
                role=role,
                name=e.name,
                signature=signature,
                topic0="0x" + keccak(signature.encode()).hex(),
                fields=tuple(i.name or f"arg{n}" for n, i in enumerate(e.inputs)),
                types=tuple(i.canonical_type for i in e.inputs),
                indexed=tuple(bool(i.indexed) for i in e.inputs),
            )
        )
    return out


def project_specs(project: Any) -> dict[str, list[EventSpec]]:
    """Every event of the seven contracts, by role, read from the ape project's ABIs."""
    return {
        role: specs_from_abi(role, getattr(project, name).contract_type.events)
        for role, name in CONTRACT_NAMES.items()
    }


class Decoders:
    """(contract address, topic0) -> EventSpec for the audited contracts."""

    def __init__(self, addresses: dict[str, str], specs: dict[str, list[EventSpec]]) -> None:
        self.addresses = {role: a.lower() for role, a in addresses.items()}
        self.role_of = {a: role for role, a in self.addresses.items()}
        self.table: dict[tuple[str, str], EventSpec] = {}
        for role, address in self.addresses.items():
            for spec in specs[role]:
                self.table[(address, spec.topic0)] = spec
        self.fields: dict[tuple[str, str], tuple[str, ...]] = {
            (s.role, s.name): s.fields for s in self.table.values()
        }
