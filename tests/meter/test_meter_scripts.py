"""The metering commands run for real (`ape run ...` in a subprocess): what they print, what
they change on chain, and one clear line with nothing sent when the input is bad."""

import json

import pytest
from meterkit import DAY

from seedbed.core.constants import ETH

ALICE, BOB, GATEWAY = 2, 3, 4  # account indexes behind the fixtures of the same names


def ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result, message):
    """The command failed with one `error: ...` line naming the problem, and no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.fixture
def chain_state(chain, meter):
    """What a refused command must leave untouched: the head block and the meter's books."""

    def read():
        return chain.blocks.head.number, meter.totalHeld(ETH)

    return read


def test_a_channel_opens_is_funded_and_withdraws_in_its_window(
    run_script, chain, meter, licensed, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10**12, max_units=1_000)
    op = ("--operator", gateway.address)
    out = ok(run_script("open_channel", lic, *op, "--signer", bob.address, "--units", "400",
                        account=ALICE))  # fmt: skip
    assert f"signer {bob.address}, unit limit 400" in out
    out = ok(run_script("deposit", lic, "0.5", *op, account=ALICE))
    assert "deposited 0.5 ETH into the channel" in out and "reserve now 0.5 ETH" in out
    assert "opened the channel" not in out
    assert meter.channel(lic, alice, gateway).reserve == 5 * 10**17

    out = ok(run_script("withdraw", lic, *op, "--request", "0.2", account=ALICE))
    assert "requested 0.2 ETH; completable from" in out and "(after 2d)" in out
    out = ok(run_script("withdraw", lic, *op, account=ALICE))
    assert "withdrawal:  0.2 ETH requested, waiting" in out
    assert "units:       0 settled of a limit of 400 (400 left)" in out
    assert f"signer:      {bob.address}" in out
    ok(run_script("withdraw", lic, *op, "--cancel", account=ALICE))
    assert meter.channel(lic, alice, gateway).readyAt == 0

    ok(run_script("withdraw", lic, *op, "--request", "all", account=ALICE))
    chain.pending_timestamp += 2 * DAY
    chain.mine()
    status = json.loads(ok(run_script("withdraw", lic, *op, "--json", account=ALICE)))
    assert status["state"]["withdrawal"] == 5 * 10**17 and status["held"] is True
    out = ok(run_script("withdraw", lic, *op, "--complete", account=ALICE))
    assert "withdrew 0.5 ETH; reserve left 0 ETH" in out
    # An emptied reserve gives its unused units back to the license.
    assert meter.metered(lic).unitsAllotted == 0


def test_bad_channel_commands_are_refused_before_sending(
    run_script, chain_state, chain, meter, licensed, deposit, alice, bob, gateway, stranger
):
    lic = licensed(alice, unit_price=10**12)
    deposit(alice, lic, 10**17)
    meter.requestWithdrawal(lic, gateway, 10**17, sender=alice)
    op = ("--operator", gateway.address)
    before = chain_state()
    refused(run_script("deposit", lic, "0", *op, account=ALICE), "more than zero")
    refused(run_script("deposit", lic, "1000000000", *op, account=ALICE), "less than the")
    refused(run_script("deposit", lic, "1", *op, account=BOB), f"does not hold license {lic}")
    refused(run_script("deposit", lic, "1", account=ALICE), "--operator")
    refused(run_script("open_channel", lic, *op, account=ALICE), "is open already")
    refused(run_script("withdraw", lic, *op, "--request", "1", account=ALICE), "less than the")
    refused(run_script("withdraw", lic, *op, "--complete", account=ALICE), "not ready until")
    refused(run_script("withdraw", lic, "--operator", stranger.address, account=ALICE),
            "has no channel")  # fmt: skip
    refused(run_script("withdraw", lic, *op, "--cancel", "--complete", account=ALICE), "one of")
    refused(run_script("change_signer", lic, account=BOB), "has no channel on license")
    refused(run_script("earnings", "--withdraw", account=GATEWAY), "no ETH service earnings")
    assert chain_state() == before

    chain.pending_timestamp += 5 * DAY + 1  # past the delay and the 3-day window
    chain.mine()
    refused(run_script("withdraw", lic, *op, "--complete", account=ALICE), "request it again")


def test_sign_vouchers_then_settle_them_once_and_pay_the_asset(
    run_script, tmp_path, licensed, signer, deposit, meter, vault, asset_id, chain, alice, bob,
    gateway,
):  # fmt: skip
    """The payer signs into a ledger and into a JSON file; the gateway settles both, reports
    the voucher it cannot settle, pays the asset into the vault and withdraws its share; a
    second run sends nothing."""
    lic = licensed(alice, unit_price=10**12, max_units=100, duration=30 * DAY, service_bps=2_000)
    unfunded = licensed(bob, unit_price=10**12)
    deposit(alice, lic, 10**16)
    meter.open(unfunded, gateway, bob, 0, sender=bob)
    ledger, exported = tmp_path / "gateway.db", tmp_path / "vouchers.json"
    op = ("--operator", gateway.address)

    out = ok(run_script("sign_voucher", lic, 10, *op, "--ledger", ledger, account=ALICE))
    assert f"signed license {lic} at 10 units in total" in out
    args = ("sign_voucher", lic, 25, *op, "--deadline", "2h", "--out", exported)
    ok(run_script(*args, account=ALICE))
    entries = json.loads(exported.read_text())
    assert [(e["cumulativeUnits"], e["operator"]) for e in entries] == [("25", gateway.address)]
    exported.write_text(json.dumps([*entries, signer(bob, unfunded, 5).to_json()]))

    args = ("settle", "--ledger", ledger, "--import", exported, "--batch-size", "10")
    out = ok(run_script(*args, account=GATEWAY))
    assert "imported 1 of 2 vouchers" in out
    assert "not imported: the voucher for license" in out and "more than the reserve" in out
    assert (
        f"settled license {lic} from {alice.address}: 25 units, 0.000025 ETH, "
        "0.000005 ETH to the operator (now 25 in total)" in out
    )
    assert "done: 1 settled (25 units, 0.000025 ETH) in 1 transaction, 0 skipped" in out
    assert f"paid asset {asset_id} 0.00002 ETH into the vault (payAsset)" in out
    assert meter.channel(lic, alice, gateway).units == 25
    assert meter.owedToAsset(asset_id, ETH) == 0

    head = chain.blocks.head.number
    out = ok(run_script("settle", "--ledger", ledger, account=GATEWAY))
    assert "nothing to settle" in out and "nothing to pay into the vault" in out
    assert chain.blocks.head.number == head

    out = ok(run_script("usage", lic, account=None))
    assert f"license {lic} for asset" in out
    assert "unit cap: 100 (100 allotted to channels, 0 left)" in out
    assert "service share: 20% of each charge to the operator" in out
    assert "1 channel" in out and "units:       25 settled of a limit of 100 (75 left)" in out
    assert "reserve:     0.009975 ETH, pays for 9,975 more units" in out
    assert "status: valid until" in out
    usage = json.loads(ok(run_script("usage", lic, "--payer", bob.address, "--json", account=None)))
    assert usage["channels"] == [] and usage["terms"]["service_bps"] == 2_000

    out = ok(run_script("earnings", gateway.address, account=None))
    assert "service earnings of" in out and "0.000005 ETH" in out
    out = ok(run_script("earnings", "--withdraw", "--to", bob.address, account=GATEWAY))
    assert f"withdrew 0.000005 ETH of service earnings to {bob.address}" in out
    assert meter.earningsOf(gateway, ETH) == 0


def test_a_signer_change_is_scheduled_and_the_new_key_signs_for_the_payer(
    run_script, tmp_path, chain, meter, licensed, deposit, alice, stranger, gateway
):
    lic = licensed(alice, unit_price=10**12)
    deposit(alice, lic, 10**16)
    out = ok(run_script("change_signer", lic, stranger.address, account=ALICE))
    assert f"{stranger.address} signs your vouchers on license {lic} from" in out
    op = ("--operator", gateway.address, "--payer", alice.address)
    out_file = tmp_path / "v.json"
    refused(
        run_script("sign_voucher", lic, 5, *op, "--out", out_file, account=5),
        f"its voucher signer is {alice.address}",
    )
    chain.pending_timestamp += 2 * DAY
    chain.mine()
    ok(run_script("sign_voucher", lic, 5, *op, "--out", out_file, account=5))
    [entry] = json.loads(out_file.read_text())
    assert entry["payer"] == alice.address


def test_signing_and_settling_refuse_bad_input(
    run_script, tmp_path, chain_state, licensed, deposit, chain, alice, gateway
):
    lic = licensed(alice, unit_price=1, duration=DAY)
    deposit(alice, lic, 100)
    op = ("--operator", gateway.address)
    before = chain_state()
    ledger = tmp_path / "gateway.db"
    refused(
        run_script(
            "sign_voucher", lic, 5, *op, "--payer", alice.address, "--ledger", ledger, account=BOB
        ),
        "does not sign for",
    )
    refused(
        run_script("sign_voucher", lic, 0, *op, "--ledger", ledger, account=ALICE),
        "must cover more",
    )
    refused(
        run_script("sign_voucher", lic, 500, *op, "--ledger", ledger, account=ALICE),
        "more than the reserve of 100 covers",
    )
    refused(run_script("settle", "--ledger", ledger, account=GATEWAY), "no voucher ledger at")
    refused(run_script("usage", 999, account=None), "license 999 does not exist")
    assert not ledger.exists()
    assert chain_state() == before

    chain.pending_timestamp += DAY + 2 * DAY  # past expiry and the 1-day grace period
    chain.mine()
    out = ok(run_script("usage", lic, account=None))
    assert "status: closed: expired" in out
    refused(
        run_script("sign_voucher", lic, 5, *op, "--out", tmp_path / "v.json", account=ALICE),
        "its vouchers no longer settle",
    )
