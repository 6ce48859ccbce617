"""Assertions shared by the vault tests (importable: tests/vault is on sys.path)."""

from contextlib import contextmanager

import ape
from eth_abi import encode
from eth_utils import keccak

ETH = "0x0000000000000000000000000000000000000000"


@contextmanager
def reverts(error, **inputs):
    """Like ape.reverts, but the error must be exactly `error` (by name) and, when given,
    its inputs exactly `inputs` (ape.reverts alone accepts any revert for a custom error
    class and skips misspelled input names)."""
    with ape.reverts(error) as info:
        yield info
    assert type(info.value).__name__ == error.__name__, f"reverted with {info.value!r}"
    if inputs:
        actual = {k: _plain(v) for k, v in dict(info.value.inputs).items()}
        assert actual == {k: _plain(v) for k, v in inputs.items()}


def _plain(value):
    if hasattr(value, "address"):
        return str(value.address)
    return str(value) if isinstance(value, str) else value


@contextmanager
def isolated(chain):
    """Snapshot, run, restore: one Hypothesis example's chain. Not `chain.isolate()`, which
    swallows every exception raised inside it (failed assertions included, ape 0.8.51)."""
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)


def error_data(signature: str, *values) -> str:
    """The revert data of a custom error, as hex: for reverts ape cannot decode (a
    constructor's, which has no deployed address to look the ABI up by)."""
    types = signature[signature.index("(") + 1 : -1].split(",") if "()" not in signature else []
    return "0x" + (keccak(text=signature)[:4] + encode(types, list(values))).hex()


def balance_of(currency, who):
    """ETH or token balance of an account or contract."""
    address = who if isinstance(who, str) else who.address
    if currency == ETH:
        return ape.chain.provider.get_balance(address)
    return currency.balanceOf(address)


def cur(currency):
    """The vault's currency id: the zero address for ETH, else the token's address."""
    return ETH if currency == ETH else currency.address


def pay(vault, asset_id, currency, amount, sender):
    value = amount if currency == ETH else 0
    return vault.pay(asset_id, cur(currency), amount, value=value, sender=sender)


def books_balanced(vault, currency):
    """The vault holds exactly what its books owe (no excess in these tests)."""
    return balance_of(currency, vault) == vault.held(cur(currency))
