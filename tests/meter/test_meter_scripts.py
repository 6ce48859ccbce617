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
def chain_state(chain, meter, alice):
    """What a refused command must leave untouched: the head block and alice's escrow."""

    def read():
        return chain.blocks.head.number, meter.escrowOf(alice, ETH), meter.totalEscrow(ETH)

    return read


def test_deposit_then_withdraw_in_two_steps(run_script, chain, meter, alice):
    out = ok(run_script("deposit", "0.5", account=ALICE))
    assert "deposited 0.5 ETH" in out and "escrow now 0.5 ETH" in out
    assert meter.escrowOf(alice, ETH) == 5 * 10**17

    out = ok(run_script("withdraw", "--request", "0.2", account=ALICE))
    assert "requested 0.2 ETH; ready at" in out and "(after 1d)" in out
    assert meter.withdrawalOf(alice, ETH).amount == 2 * 10**17

    chain.pending_timestamp += DAY
    chain.mine()
    out = ok(run_script("withdraw", "--complete", account=ALICE))
    assert "will pay 0.2 ETH (requested 0.2 ETH, escrow 0.5 ETH)" in out
    assert "withdrew 0.2 ETH; escrow left 0.3 ETH" in out
    assert meter.escrowOf(alice, ETH) == 3 * 10**17


def test_bad_deposits_and_withdrawals_are_refused_before_sending(
    run_script, chain_state, token, chain, meter, alice
):
    meter.deposit(ETH, 10**17, value=10**17, sender=alice)
    meter.requestWithdrawal(ETH, 10**17, sender=alice)
    token.mint(alice, 10**19, sender=alice)
    before = chain_state()
    refused(run_script("deposit", "0", account=ALICE), "more than zero")
    refused(run_script("deposit", "1000000000 ETH", account=ALICE), "less than the 1000000000 ETH")
    refused(run_script("deposit", "5", "--token", token.address, account=ALICE), "--approve")
    refused(run_script("withdraw", "--request", "1", account=ALICE), "0.1 ETH in escrow")
    refused(run_script("withdraw", "--complete", account=ALICE), "not ready until")
    assert chain_state() == before
    assert token.allowance(alice, meter) == 0


def test_token_deposit_approves_and_credits_what_arrived(run_script, fot_token, meter, alice):
    fot_token.mint(alice, 20 * 10**18, sender=alice)
    args = ("deposit", "10", "--token", fot_token.address, "--approve")
    out = ok(run_script(*args, account=ALICE))
    assert "approved the meter to spend 10 FEE" in out
    assert "10 FEE were sent but 9.9 FEE arrived" in out
    assert meter.escrowOf(alice, fot_token) == 99 * 10**17


def test_sign_vouchers_then_settle_them_once(
    run_script, tmp_path, licensed, signer, meter, license_token, chain, alice, bob
):
    """The consumer signs into a ledger and into a JSON file; the gateway settles both and
    reports the voucher it cannot settle; a second run sends nothing."""
    license_id = licensed(alice, unit_price=10**12, max_units=100, duration=30 * DAY)
    unfunded = licensed(bob, unit_price=10**12)
    meter.deposit(ETH, 10**16, value=10**16, sender=alice)
    ledger, exported = tmp_path / "gateway.db", tmp_path / "vouchers.json"

    out = ok(run_script("sign_voucher", license_id, 10, "--ledger", ledger, account=ALICE))
    assert f"signed license {license_id} at 10 units in total" in out
    args = ("sign_voucher", license_id, 25, "--deadline", "2h", "--out", exported)
    ok(run_script(*args, account=ALICE))
    entries = json.loads(exported.read_text())
    assert [entry["cumulativeUnits"] for entry in entries] == ["25"]
    exported.write_text(json.dumps([*entries, signer(bob, unfunded, 5).to_json()]))

    args = ("settle", "--ledger", ledger, "--import", exported, "--batch-size", "10")
    out = ok(run_script(*args, account=GATEWAY))
    assert "imported 2 of 2 vouchers" in out
    assert f"settled license {license_id}: 25 units, 0.000025 ETH (now 25 in total)" in out
    assert f"skipped license {unfunded}: the holder's escrow holds 0, 5000000000000 needed" in out
    assert "done: 1 settled (25 units, 0.000025 ETH) in 1 transaction, 1 skipped" in out
    assert license_token.usageTerms(license_id).unitsUsed == 25

    head = chain.blocks.head.number
    out = ok(run_script("settle", "--ledger", ledger, account=GATEWAY))
    assert f"skipped license {unfunded} (not sent)" in out
    assert "done: 0 settled (0 units) in 0 transactions, 1 skipped" in out
    assert chain.blocks.head.number == head

    out = ok(run_script("usage", license_id, account=None))
    assert f"license {license_id} for asset" in out
    assert "units used: 25 of 100 (75 left)" in out
    assert "unit price: 0.000001 ETH" in out
    assert "holder's escrow: 0.009975 ETH, pays for 9975 more units" in out
    assert "status: valid until" in out


def test_signing_and_settling_refuse_bad_input(
    run_script, tmp_path, chain_state, licensed, chain, alice
):
    license_id = licensed(alice, unit_price=1, duration=DAY)
    before = chain_state()
    ledger = tmp_path / "gateway.db"
    refused(
        run_script("sign_voucher", license_id, 5, "--ledger", ledger, account=BOB),
        f"does not hold license {license_id}",
    )
    refused(
        run_script("sign_voucher", license_id, 0, "--ledger", ledger, account=ALICE),
        "must cover more",
    )
    refused(run_script("settle", "--ledger", ledger, account=GATEWAY), "no voucher ledger at")
    refused(run_script("usage", 999, account=None), "license 999 does not exist")
    assert not ledger.exists()

    chain.pending_timestamp += DAY + 8 * DAY  # past expiry and the 7-day grace period
    chain.mine()
    out = ok(run_script("usage", license_id, account=None))
    assert "status: closed: expired" in out
    assert chain_state()[1:] == before[1:]
