"""Constants and small helpers shared by the usage-meter tests (imported as `meterkit`)."""

from contextlib import contextmanager

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from seedbed.workflows.meter import batch_args

FAR = 4_000_000_000  # a deadline in 2096
DAY = 86_400
HOUR = 3_600
UNIT_PRICE = 10**12  # wei per unit in the default offer
UINT64_MAX = 2**64 - 1
UINT40_MAX = 2**40 - 1
ZERO = "0x0000000000000000000000000000000000000000"


def as_args(signed):
    """settle() arguments for a SignedVoucher:
    ((licenseId, payer, operator, cumulativeUnits, deadline), signature)."""
    return signed.voucher.as_tuple(), signed.signature


def batch(signed):
    """settleBatch() arguments for SignedVouchers: ([voucher tuples], [signatures]), built by
    the settle workflow's own helper."""
    return batch_args(signed)


def channel_id(license_id, payer, operator):
    """UsageMeter.channelId: keccak256(abi.encode(licenseId, payer, operator))."""
    return keccak(
        encode(
            ["uint256", "address", "address"],
            [license_id, to_checksum_address(str(payer)), to_checksum_address(str(operator))],
        )
    )


def error(signature, *values):
    """The ABI encoding of a custom error, as VoucherSkipped carries it."""
    inner = signature[signature.index("(") + 1 : -1]
    types = inner.split(",") if inner else []
    return keccak(text=signature)[:4] + encode(types, list(values))


U = "uint256"
ERR = {  # the meter's errors as VoucherSkipped encodes them
    "expired": f"UsageMeterVoucherExpired({U},{U},{U})",
    "no_channel": "UsageMeterNoChannel(bytes32)",
    "closed": f"UsageMeterChannelClosed({U},address,uint40)",
    "stale": f"UsageMeterStaleVoucher(bytes32,{U},{U})",
    "cap": f"UsageMeterUnitsAboveCap(bytes32,{U},{U})",
    "signature": f"UsageMeterBadSignature({U},address,address)",
    "reserve": f"UsageMeterInsufficientReserve(bytes32,{U},{U})",
    "gas": f"UsageMeterGasTooLow({U},{U})",
}


def skips(meter, receipt):
    """[(channelId, licenseId, reason bytes)] of the receipt's VoucherSkipped logs."""
    return [
        (bytes(log.channelId), log.licenseId, bytes(log.reason))
        for log in receipt.events.filter(meter.VoucherSkipped)
    ]


def settled(meter, receipt):
    """[(channelId, units, amount, serviceShare, cumulativeUnits, viaVoucher)] of a receipt."""
    return [
        (
            bytes(log.channelId),
            log.units,
            log.amount,
            log.serviceShare,
            log.cumulativeUnits,
            log.viaVoucher,
        )
        for log in receipt.events.filter(meter.UsageSettled)
    ]


def held_books(meter, currency, channels=(), assets=(), operators=()):
    """Σ reserves of `channels` [(license, payer, operator)] + Σ owed to `assets` + Σ earnings
    of `operators`, for comparing with totalHeld(currency)."""
    reserves = sum(meter.channel(*c).reserve for c in channels)
    owed = sum(meter.owedToAsset(a, currency) for a in assets)
    earnings = sum(meter.earningsOf(o, currency) for o in operators)
    return reserves + owed + earnings


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
