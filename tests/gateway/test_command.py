"""`ape run gateway` refuses a bad configuration, or a port it cannot take, with one `error:`
line and a non-zero exit, before serving anything."""

import socket
import subprocess

import pytest

from seedbed.workflows.services import ROOT

LEDGER = '[ledger]\nsqlite = "x.db"\n'
ASSET = '[[assets]]\nid = 1\nkind = "{kind}"\n'
PAYER = "0x0000000000000000000000000000000000000001"
BAD = {
    "not-toml": "nope = [",
    "unknown-key": "[gateway]\nfoo = 1\n" + LEDGER,
    "two-ledgers": LEDGER + 'postgres = "postgresql://x"\n',
    "no-assets": LEDGER,
    "bad-pricing": LEDGER + ASSET.format(kind="dataset") + 'pricing = "token"\nfolder = "."\n',
    "missing-folder": LEDGER + ASSET.format(kind="dataset") + 'folder = "nowhere"\n',
    "model-without-upstream": LEDGER + ASSET.format(kind="model"),
    "bad-key-hash": LEDGER + ASSET.format(kind="dataset") + 'folder = "."\n[[api_keys]]\n'
    f'key_sha256 = "abc"\nlicense = 1\npayer = "{PAYER}"\nsigner_key_env = "K"\n',
}


def run(args, env=None):
    return subprocess.run(
        ["ape", "run", "gateway", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_configuration_is_one_error_line(world, tmp_path, case):
    path = tmp_path / "gateway.toml"
    path.write_text(BAD[case])
    out = run(["--config", str(path), "--network", world.rpc, "--account", "TEST::5"])
    assert out.returncode == 2, (out.stdout, out.stderr)
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in out.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_port_in_use_is_one_error_line(world, model):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = world.config("busy", model_url=model.url)
        out = run(
            [
                "--config",
                str(config),
                "--network",
                world.rpc,
                "--account",
                "TEST::5",
                "--port",
                str(port),
            ]
        )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert [line for line in out.stderr.splitlines() if line.startswith("error:")] == [
        f"error: the gateway cannot listen on 127.0.0.1:{port}: the address is in use."
    ]
