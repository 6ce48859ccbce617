"""A stand-in gateway process: accepts signed vouchers into its ledger one at a time,
acknowledging each only after `accept` returned (committed), then waits to settle later.

    python gateway_sim.py LEDGER CHAIN_ID METER VOUCHERS.json

VOUCHERS.json: [{"voucher": SignedVoucher.to_json(), "now": chain time}]. The ledger already
holds each channel's chain state (the test synced it); the crash test kills the gateway with
SIGKILL before it ever settles.
"""

import json
import sys
import time

from seedbed.core.vouchers import SignedVoucher
from seedbed.workflows.ledger import VoucherLedger


def main(ledger_path, chain_id, meter, vouchers_path):
    with open(vouchers_path) as f:
        entries = json.load(f)
    with VoucherLedger(ledger_path, int(chain_id), meter) as ledger:
        for entry in entries:
            signed = SignedVoucher.from_json(entry["voucher"])
            ledger.accept(signed, now=int(entry["now"]))
            v = signed.voucher
            print(f"ack {v.license_id} {v.cumulative_units}", flush=True)
            time.sleep(0.02)  # serving the calls the next voucher pays for
        print("waiting to settle", flush=True)
        while True:
            time.sleep(1)


if __name__ == "__main__":
    main(*sys.argv[1:])
