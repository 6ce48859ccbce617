"""Gateway voucher ledger throughput: verified, reserve-checked, durably committed vouchers
per second (each one checked against its channel's synced chain state).

Run: .venv/bin/python bench/ledger_throughput.py [--vouchers N] [--batch-size B]
Prints one JSON object. Signing is done up front: consumers sign, the gateway only verifies.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Literal

from eth_account import Account
from eth_keys import KeyAPI
from eth_utils import keccak

from seedbed.core.vouchers import SignedVoucher, Voucher, VoucherDomain, sign
from seedbed.workflows.ledger import ChannelState, VoucherLedger

CHAIN_ID = 31337
METER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
LICENSES = 100
CONSUMER = Account.from_key(keccak(b"bench consumer"))
GATEWAY = "0x" + "4a" * 20
ETH = "0x" + "00" * 20
MODES: tuple[Literal["FULL", "NORMAL"], ...] = ("FULL", "NORMAL")


def presigned(count: int) -> list[SignedVoucher]:
    out = []
    for k in range(count):
        voucher = Voucher(
            1 + k % LICENSES, CONSUMER.address, GATEWAY, k // LICENSES + 1, 4_000_000_000
        )
        out.append(SignedVoucher(voucher, sign(voucher, CHAIN_ID, METER, CONSUMER.key)))
    return out


def open_channels(payer: str, operator: str, licenses: int) -> list[ChannelState]:
    """Channels 1..licenses of `payer` with `operator`, open and funded for every voucher, as a
    sync from the chain gives (shared with `make bench`'s ledger scenario)."""
    return [
        ChannelState(
            lic,
            payer,
            operator,
            asset_id=1,
            currency=ETH,
            unit_price=10**12,
            reserve=10**20,
            units=0,
            unit_limit=2**64 - 1,
            signer=payer,
            closes_at=2**40 - 1,
        )  # fmt: skip
        for lic in range(1, licenses + 1)
    ]


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vouchers", type=int, default=5_000)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    vouchers = presigned(args.vouchers)
    domain = VoucherDomain(CHAIN_ID, METER)

    start = time.perf_counter()
    for signed in vouchers:
        domain.recover(signed)
    verify_only = rate(len(vouchers), time.perf_counter() - start)

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            path = Path(tmp) / f"single-{mode}.db"
            with VoucherLedger(path, CHAIN_ID, METER, synchronous=mode) as ledger:
                ledger.sync_many(open_channels(CONSUMER.address, GATEWAY, LICENSES))
                start = time.perf_counter()
                for signed in vouchers:
                    ledger.accept(signed)
                figures[f"accept_per_s_{mode}"] = rate(len(vouchers), time.perf_counter() - start)
            path = Path(tmp) / f"batch-{mode}.db"
            with VoucherLedger(path, CHAIN_ID, METER, synchronous=mode) as ledger:
                ledger.sync_many(open_channels(CONSUMER.address, GATEWAY, LICENSES))
                start = time.perf_counter()
                results = ledger.accept_many(vouchers, batch_size=args.batch_size)
                elapsed = time.perf_counter() - start
                figures[f"accept_many_per_s_{mode}"] = rate(len(vouchers), elapsed)
                assert len(ledger.pending()) == LICENSES and len(results) == len(vouchers)
                assert all(hasattr(r, "new_units") for r in results), "a voucher was refused"

    print(
        json.dumps(
            {
                "vouchers": len(vouchers),
                "ecc_backend": type(KeyAPI().backend).__name__,
                "verify_only_per_s": verify_only,
                **figures,
                "batch_size": args.batch_size,
                "sqlite": "WAL; FULL fsyncs every commit, NORMAL survives a killed process",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
