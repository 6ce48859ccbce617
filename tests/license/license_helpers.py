"""Helpers shared by the license tests."""

from contextlib import contextmanager

from seedbed.core.constants import ACCESS, ETH

# ILicenseToken.Terms field order; tests build raw tuples so they can also send terms the
# Python Terms class would refuse (scopes 0, a share above 100%...).
TERM_FIELDS = (
    "assetId",
    "currency",
    "price",
    "unitPrice",
    "duration",
    "maxUnits",
    "scopes",
    "minUpstreamBps",
    "soulbound",
    "supplyCap",
    "serviceBps",
)
DEFAULTS = dict(
    currency=ETH,
    price=0,
    unitPrice=0,
    duration=0,
    maxUnits=0,
    scopes=ACCESS,
    minUpstreamBps=0,
    soulbound=False,
    supplyCap=0,
    serviceBps=0,
)


def raw_terms(asset_id, **fields):
    unknown = set(fields) - set(TERM_FIELDS)
    assert not unknown, f"unknown Terms fields {unknown}"
    values = {**DEFAULTS, **fields, "assetId": asset_id}
    return tuple(values[name] for name in TERM_FIELDS)


def terms_dict(view_terms):
    """A Terms struct returned by the contract, as a plain dict for comparisons."""
    return {name: getattr(view_terms, name) for name in TERM_FIELDS}


def block_time(chain, receipt):
    return chain.blocks[receipt.block_number].timestamp


def warp_to(chain, timestamp):
    """Mine one block at exactly `timestamp`: views then see that block time."""
    chain.mine(timestamp=timestamp)


@contextmanager
def isolated(chain):
    """Undo everything the block does to the chain, and let its exceptions out.

    Not `chain.isolate()`: in ape 0.8 it swallows every exception raised inside it, so a
    failing assertion in the block would pass.
    """
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)
