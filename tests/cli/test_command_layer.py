"""The one command layer every script shares (seedbed/cli/command.py), run for real: the
signer from the environment with no terminal, the default network, one-line errors for the
node, the key and the values, exact JSON on a clean stdout, and settle's import rules."""

import json
import os
import subprocess

import pytest

from seedbed.core.constants import ETH

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
KEY_ENV = "SEEDBED_PRIVATE_KEY"
OPERATOR = "0x" + "44" * 20  # a gateway operator (any address parses)

# Each signing script with arguments that parse, so the signer is what is checked.
SIGNING = {
    "deploy": [],
    "register": ["examples/datasets/city-trees", "--spdx", "MIT", "--out", "{tmp}/r"],
    "metadata": ["1", "--uri", "https://example.org/m.json"],
    "delist": ["1"],
    "relist": ["1"],
    "offer": ["1", "--scopes", "train"],
    "buy": ["1"],
    "deposit": ["1", "0.1", "--operator", OPERATOR],
    "open_channel": ["1", "--operator", OPERATOR],
    "withdraw": ["1", "--operator", OPERATOR],
    "change_signer": ["1"],
    "sign_voucher": ["1", "5", "--operator", OPERATOR, "--out", "{tmp}/v.json"],
    "settle": ["--ledger", "{tmp}/l.sqlite"],
    "pay": ["1", "0.1"],
    "flow": ["1"],
    "claim": ["--tree", "{tmp}/t.sbtree"],
}


def one_error_line(result):
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture
def ape_run(chain, deployments_dir, tmp_path):
    """`ape run NAME ARGS` with no stdin and no Seedbed variables but those given."""

    def run(name, *args, env=None, network=True):
        cmd = ["ape", "run", name, *(a.replace("{tmp}", str(tmp_path)) for a in args)]
        if network:
            cmd += ["--network", chain.provider.http_uri]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBED_")}
        full = {**clean, "SEEDBED_DEPLOYMENTS": str(deployments_dir), **(env or {})}
        return subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=full, cwd=ROOT,
            timeout=300,
        )  # fmt: skip

    return run


@pytest.mark.parametrize("name", sorted(SIGNING))
def test_no_signing_script_prompts_without_a_terminal(ape_run, chain, name):
    head = chain.blocks.head.number
    line = one_error_line(ape_run(name, *SIGNING[name]))
    assert f"pass --account ALIAS or set {KEY_ENV}" in line
    assert chain.blocks.head.number == head


@pytest.mark.parametrize(
    "key, complaint",
    [("0x12", "64 hex digits"), ("zz" * 32, "64 hex digits"), ("0x" + "00" * 32, "64 hex")],
)
def test_a_malformed_key_is_one_line(ape_run, key, complaint):
    line = one_error_line(
        ape_run("deposit", "1", "0.1", "--operator", OPERATOR, env={KEY_ENV: key})
    )
    assert complaint in line


def test_the_key_in_the_environment_signs_and_json_is_exact_on_a_clean_stdout(
    ape_run, register_asset, publisher, alice, vault
):
    asset_id, _ = register_asset(publisher, {alice: 1})
    env = {KEY_ENV: alice.private_key}
    done = ape_run("pay", str(asset_id), "0.000000000000000123", "--json", env=env)
    assert done.returncode == 0, done.stderr
    paid = json.loads(done.stdout)  # nothing but the document: no ape INFO lines
    assert paid["sent"] == 123 and paid["arrived"] == 123
    assert paid["currency"]["address"] == ETH and paid["currency"]["symbol"] == "ETH"
    assert vault.accrued(asset_id, ETH) >= 123


def test_seedbed_network_is_every_scripts_default(ape_run, chain):
    env = {"SEEDBED_NETWORK": chain.provider.http_uri}
    done = ape_run("offers", env=env, network=False)
    assert done.returncode == 0, done.stderr
    assert "offer" in done.stdout and "Starting 'anvil'" not in done.stdout + done.stderr
    # An explicit --network still wins over the variable.
    done = ape_run("offers", "--network", "http://127.0.0.1:1", env=env, network=False)
    assert "Cannot reach the node" in one_error_line(done)


def test_an_unreachable_node_and_bad_values_are_one_line(ape_run):
    done = ape_run("offers", "--network", "http://127.0.0.1:1", network=False)
    assert "Cannot reach the node" in one_error_line(done)
    assert "not an asset id" in one_error_line(ape_run("pay", "²", "0.1", env={KEY_ENV: "1" * 64}))
    assert "32-byte hex salt" in one_error_line(ape_run("deploy", "--salt", "zz"))
    assert "No such option" in one_error_line(ape_run("offers", "--bogus"))


def test_settle_refuses_an_import_it_cannot_use_and_leaves_no_ledger(ape_run, tmp_path, chain):
    ledger = tmp_path / "gateway.sqlite"
    env = {KEY_ENV: "1" * 64}
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    line = one_error_line(ape_run("settle", "--ledger", str(ledger), "--import", str(garbage),
                                  env=env))  # fmt: skip
    assert "cannot read vouchers" in line and not ledger.exists()
    # Well-formed vouchers that are all refused (no such license): an error, and still no file.
    refused = tmp_path / "refused.json"
    voucher = {"licenseId": "999", "payer": OPERATOR, "operator": OPERATOR,
               "cumulativeUnits": "5", "deadline": str(2**40),
               "signature": "0x" + "11" * 65}  # fmt: skip
    refused.write_text(json.dumps([voucher]))
    line = one_error_line(ape_run("settle", "--ledger", str(ledger), "--import", str(refused),
                                  env=env))  # fmt: skip
    assert "none of the 1 vouchers" in line
    assert not any(p.name.startswith("gateway.sqlite") for p in tmp_path.iterdir())
