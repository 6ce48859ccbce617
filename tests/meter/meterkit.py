"""Constants and small helpers shared by the usage-meter tests (imported as `meterkit`)."""

from contextlib import contextmanager

FAR = 4_000_000_000  # a deadline in 2096
DAY = 86_400
UNIT_PRICE = 10**12  # wei per unit in the default offer


def as_args(signed):
    """settle() arguments for a SignedVoucher: ((licenseId, cumulativeUnits, deadline), sig)."""
    v = signed.voucher
    return (v.license_id, v.cumulative_units, v.deadline), signed.signature


@contextmanager
def isolated(chain):
    """Run a block on a snapshot and roll the chain back after it, letting failures through.

    (ape's `chain.isolate()` swallows every exception raised inside it, assertion errors
    included, so a property test written with it can never fail.)
    """
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)
