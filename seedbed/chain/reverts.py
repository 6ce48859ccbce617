"""The one revert decoder of the chain layer: every error any compiled Seedbed contract can
raise (its own, its libraries', OpenZeppelin's it inherits), whichever contract it bubbled
from, named with its values; and `simulate`, which turns a would-be revert into one
ChainError before anything is sent."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from seedbed.core.errors import ChainError
from seedbed.core.reverts import DecodedError, ErrorDecoder


@functools.cache
def _project_abis() -> tuple[tuple[dict[str, Any], ...], ...]:
    from ape import project

    abis = []
    for name in project.contracts:
        contract_type = project.contracts[name].contract_type
        abis.append(tuple(e.model_dump(mode="json") for e in contract_type.errors))
    return tuple(abis)


def project_decoder(*extra: Any) -> ErrorDecoder:
    """A decoder over every contract in the build, plus `extra` contracts (e.g. a token)."""
    from_extra = [[e.model_dump(mode="json") for e in c.contract_type.errors] for c in extra]
    return ErrorDecoder([*_project_abis(), *from_extra])


def revert_data(err: BaseException) -> bytes | None:
    """The raw revert data an ape/web3 exception carries, if any."""
    for attr in ("data", "revert_message", "message"):
        raw = getattr(err, attr, None)
        if isinstance(raw, bytes | bytearray) and raw:
            return bytes(raw)
        if isinstance(raw, str) and raw.startswith("0x") and len(raw) >= 10:
            try:
                return bytes.fromhex(raw[2:])
            except ValueError:
                continue
    return None


def decode_exception(err: BaseException) -> DecodedError | None:
    """The custom error behind an exception, or None when it carries no revert data."""
    data = revert_data(err)
    if data is None:
        return None
    try:
        return project_decoder().decode(data)
    except Exception:  # no build to decode with: the caller falls back to the message
        return None


def simulate(
    contract: Any,
    method: str,
    *args: Any,
    sender: str,
    value: int = 0,
    also: Sequence[Any] = (),
) -> None:
    """Run a call as `sender` would send it, without sending; a revert becomes a ChainError
    naming the custom error and its values (from every contract in the build, and `also`)."""
    from web3.exceptions import ContractCustomError, ContractLogicError

    data = getattr(contract, method).encode_input(*args)
    tx = {"from": sender, "to": contract.address, "data": "0x" + bytes(data).hex()}
    if value:
        tx["value"] = hex(value)
    try:
        contract.provider.web3.eth.call(tx)
    except ContractCustomError as err:
        raw = err.data if isinstance(err.data, str) else str(err)
        shown = project_decoder(*also).decode(bytes.fromhex(raw.removeprefix("0x")))
        raise ChainError(f"The contract would refuse: {shown}.") from None
    except ContractLogicError as err:
        raise ChainError(f"The contract would refuse: {err.message or 'reverted'}.") from None
