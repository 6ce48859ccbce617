"""A few generated examples as real `ape run` processes: they must end exactly as the
in-process runs the other fuzz tests rely on (same exit code, same `error:` line)."""

from __future__ import annotations

import os
import subprocess

import script_strategies as s
from hypothesis import given, settings
from hypothesis import strategies as st
from script_fuzzkit import ROOT, Outcome, assert_refused, examples, stderr_lines


def ape_run(name, args, *, url, deployments, account=1, key=None):
    cmd = ["ape", "run", name, *map(str, args), "--network", url]
    if account is not None:
        cmd += ["--account", f"TEST::{account}"]
    env = {
        k: v for k, v in os.environ.items() if k not in ("SEEDBED_NETWORK", "SEEDBED_PRIVATE_KEY")
    }
    env["SEEDBED_DEPLOYMENTS"] = str(deployments)
    if key is not None:
        env["SEEDBED_PRIVATE_KEY"] = key
    # No stdin: a prompt fails at once instead of hanging.
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, cwd=ROOT,
        timeout=120, check=False,
    )  # fmt: skip


def same_end(runner, deployments_dir, name, args, account=1, network=None, key=None):
    before = runner.height()
    real = ape_run(
        name, args, url=network or runner.url, deployments=deployments_dir, account=account, key=key
    )
    sent = runner.height() - before
    proc = Outcome(name, list(map(str, args)), real.returncode, real.stdout, real.stderr, sent)
    inproc = runner(name, *args, account=account, network=network, key=key)
    assert_refused(proc)
    assert_refused(inproc)
    assert proc.code == inproc.code, (proc.explain(), inproc.explain())
    assert stderr_lines(proc.stderr) == stderr_lines(inproc.stderr)


@settings(max_examples=examples(2))
@given(asset=s.bad_ids(10**5).filter(lambda t: t.isprintable()), amount=s.bad_amounts())
def test_pay_ends_the_same_in_a_process(asset, amount, runner, world, deployments_dir):
    same_end(runner, deployments_dir, "pay", [asset, amount])


@settings(max_examples=examples(1))
@given(key=s.bad_keys().filter(str.isprintable))
def test_a_bad_key_ends_the_same_in_a_process(key, runner, world, deployments_dir):
    args = [world.license, "0.001", "--operator", world.operator]
    same_end(runner, deployments_dir, "deposit", args, account=None, key=key)


@settings(max_examples=examples(1))
@given(port=st.integers(1, 1023))
def test_an_unreachable_node_ends_the_same_in_a_process(port, runner, world, deployments_dir):
    same_end(
        runner, deployments_dir, "offers", [], account=None, network=f"http://127.0.0.1:{port}"
    )


@settings(max_examples=examples(1))
@given(
    salt=s.junk(70).filter(lambda t: t.isprintable() and len(t.strip().removeprefix("0x")) != 64)
)
def test_deploy_bad_salt_ends_the_same_in_a_process(salt, runner, world, deployments_dir):
    same_end(runner, deployments_dir, "deploy", [f"--salt={salt}"], account=0)


def test_a_websocket_network_is_one_error_in_a_process(runner, world, deployments_dir):
    same_end(runner, deployments_dir, "offers", [], account=None, network="ws://127.0.0.1:1")
