"""Helpers shared by the registry tests (importable: tests/registry is on sys.path)."""

from contextlib import contextmanager

import ape
import pytest


def write_folder(folder, files):
    """Create `folder` holding `files` ({relative POSIX path: bytes}); returns the folder."""
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def assert_one_error(result, *needles):
    """The script failed with exactly one `error:` line (containing `needles`), no traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle.lower() in errors[0].lower(), errors[0]
    return errors[0]


@contextmanager
def reverts(error, **inputs):
    """ape.reverts, but strict: the revert must be exactly `error` (ape's own check lets a
    plain revert or a panic pass for a custom error class) with exactly these `inputs`
    (every input of the error must be given: a misspelled name fails instead of being
    skipped)."""
    with ape.reverts(error) as info:
        yield info
    assert type(info.value).__name__ == error.__name__, f"reverted with {info.value!r}"
    actual = {k: _plain(v) for k, v in dict(info.value.inputs or {}).items()}
    assert actual == {k: _plain(v) for k, v in inputs.items()}


def _plain(value):
    if hasattr(value, "address"):
        return str(value.address).lower()
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def view_reverts(error, method, *args, **inputs):
    """A view call reverts with exactly `error(**inputs)`, checked on the raw revert data
    (ape does not decode custom errors of plain calls)."""
    from eth_abi import encode
    from eth_utils import keccak, to_bytes
    from web3.exceptions import ContractLogicError as Web3ContractLogicError

    contract = method.contract
    data = method.encode_input(*args)
    with pytest.raises(Web3ContractLogicError) as info:
        contract.provider.web3.eth.call({"to": contract.address, "data": data.hex()})
    abi = error.abi
    assert sorted(inputs) == sorted(i.name for i in abi.inputs), "give every input"
    expected = keccak(text=abi.selector)[:4] + encode(
        [i.canonical_type for i in abi.inputs], [inputs[i.name] for i in abi.inputs]
    )
    actual = info.value.data
    assert to_bytes(hexstr=actual) == expected, f"reverted with {actual}"


@contextmanager
def isolated(chain):
    """Snapshot, run, restore. Not `chain.isolate()`: in ape 0.8.51 it swallows every
    exception raised inside it, assertion errors included, so nothing inside could fail."""
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)
