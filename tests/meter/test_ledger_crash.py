"""Crash safety end to end: a gateway acknowledges vouchers into its ledger and is killed
(SIGKILL) before settling; one chain settlement also landed without being recorded. After
the restart, `ape run settle` settles everything exactly once, and a rerun sends nothing."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from meterkit import as_args

from seedbed.core.constants import ETH
from seedbed.workflows.channels import channel_view
from seedbed.workflows.ledger import VoucherLedger

GATEWAY = 4
PRICE = 10**9
HERE = Path(__file__).parent


def test_vouchers_acknowledged_before_a_kill_are_settled_exactly_once(
    tmp_path, run_script, suite, meter, chain, licensed, signer, deposit, alice, bob, gateway
):
    holders = [alice, alice, bob, bob]
    licenses = [licensed(h, unit_price=PRICE) for h in holders]
    for who, lic in zip(holders, licenses, strict=True):
        deposit(who, lic, 10**15)
    now = chain.blocks.head.timestamp
    # Three rising vouchers per license, interleaved as calls arrive.
    stream = [
        (holder, license_id, step * (i + 3))
        for step in (1, 2, 3)
        for i, (holder, license_id) in enumerate(zip(holders, licenses, strict=True))
    ]
    signed = {(lic, units): signer(h, lic, units) for h, lic, units in stream}
    vouchers_file = tmp_path / "incoming.json"
    vouchers_file.write_text(
        json.dumps(
            [{"voucher": signed[(lic, units)].to_json(), "now": now} for _h, lic, units in stream]
        )
    )
    # The gateway synced each channel when it first saw it.
    ledger_path = tmp_path / "gateway.db"
    with VoucherLedger(ledger_path, suite.chain_id, meter.address) as ledger:
        for h, lic in zip(holders, licenses, strict=True):
            ledger.sync(channel_view(suite, chain, lic, h.address, gateway.address).state)
    # Before the crash the gateway had settled license 0's first voucher on chain but died
    # before recording it: the ledger does not know.
    meter.settle(*as_args(signed[(licenses[0], 3)]), sender=gateway)

    acked = run_gateway_until_killed(ledger_path, suite, meter, vouchers_file, stop_after=8)
    assert len(acked) >= 8

    owned = list(zip(licenses, holders, strict=True))
    with VoucherLedger(ledger_path, suite.chain_id, meter.address) as ledger:
        highest = {
            lic: ledger.latest((lic, h.address, gateway.address)).voucher.cumulative_units
            for lic, h in owned
        }
    for lic, units in acked:
        assert highest[lic] >= units  # every acknowledged voucher survived the kill

    reserve_before = {lic: meter.channel(lic, h, gateway).reserve for lic, h in owned}
    first_block = chain.blocks.head.number + 1
    out = run_script("settle", "--ledger", ledger_path, "--batch-size", "2", account=GATEWAY)
    assert out.returncode == 0, out.stderr
    assert "caught up 1 channel" in out.stdout
    assert "0 skipped" in out.stdout
    assert "into the vault (payAsset)" in out.stdout

    settled = list(meter.UsageSettled.range(first_block, chain.blocks.head.number + 1))
    new_units = {lic: highest[lic] - (3 if lic == licenses[0] else 0) for lic in licenses}
    for lic, h in owned:
        assert meter.channel(lic, h, gateway).units == highest[lic]
        assert sum(log.units for log in settled if log.licenseId == lic) == new_units[lic]
        spent = new_units[lic] * PRICE
        assert meter.channel(lic, h, gateway).reserve == reserve_before[lic] - spent
    assert meter.owedToAsset(meter.metered(licenses[0]).assetId, ETH) == 0

    head = chain.blocks.head.number
    again = run_script("settle", "--ledger", ledger_path, account=GATEWAY)
    assert again.returncode == 0, again.stderr
    assert "nothing to settle" in again.stdout
    assert chain.blocks.head.number == head


def run_gateway_until_killed(ledger_path, suite, meter, vouchers_file, stop_after):
    """Start the gateway, SIGKILL it once it acknowledged `stop_after` vouchers (it may ack a
    few more before the signal lands), and return every (license, units) it acknowledged."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), str(HERE)])}
    args = [str(ledger_path), str(suite.chain_id), meter.address, str(vouchers_file)]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "gateway_sim.py"), *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    acked = []
    try:
        for line in proc.stdout:
            if line.startswith("ack "):
                _, lic, units = line.split()
                acked.append((int(lic), int(units)))
            if len(acked) >= stop_after or line.startswith("waiting"):
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    acked += [
        (int(x.split()[1]), int(x.split()[2])) for x in rest.splitlines() if x.startswith("ack ")
    ]
    assert proc.returncode == -signal.SIGKILL
    return acked
