"""Every script refuses a generated unreachable node or malformed SEEDBED_PRIVATE_KEY cleanly,
with arguments that are otherwise valid; an unfunded key sends nothing."""

from __future__ import annotations

import pytest
import script_strategies as s
from hypothesis import given, settings
from script_fuzzkit import ALL, assert_clean, assert_refused, examples

# Scripts whose signer is optional or absent: a bad key may not matter to them.
NO_SIGNER = {"offers", "usage", "verify", "proof", "assets", "audit", "custodian", "labels",
             "value"}  # fmt: skip
# Scripts that never connect (files in, files out): --network is accepted and ignored.
OFFLINE = {"labels", "value"}
OPTIONAL_SIGNER = {"claimable", "licenses", "dispute"}  # dispute show reads only
# Scripts whose valid arguments are alice's (TEST::2): the holder of the world's license.
ALICE_SIGNS = {"sign_voucher", "deposit", "open_channel", "withdraw", "change_signer", "unseal"}
# Scripts that would send a transaction with these arguments and a funded signer.
SENDERS = ["pay", "deposit", "buy", "register", "deploy", "offer", "delist", "metadata", "flow"]


def valid_args(name, w, tmp):
    """Arguments each script accepts in the world (most would succeed with TEST::1)."""
    folder = tmp / "fresh"
    if name == "register":
        folder.mkdir(exist_ok=True)
        (folder / "f.txt").write_text(str(tmp))
    if name == "settle":
        (tmp / "empty.json").write_text("[]")
    key = tmp / "dataset.key"
    if name == "custodian":  # split: serve would run until stopped
        from seedbed.core.sealed import new_key, write_key_file

        write_key_file(key, new_key())
    if name in ("seal", "grant"):  # seal: a fresh folder; grant: a real dataset key file
        from seedbed.core.sealed import new_key, write_key_file

        folder.mkdir(exist_ok=True)
        (folder / "f.txt").write_text(str(tmp))
        write_key_file(tmp / "grant.key", new_key())
    if name in OFFLINE:
        _offline_inputs(name, w, tmp)
    split = ["split", "--key", key, "--threshold", "2", "--count", "3", "--out", tmp / "shares"]
    value = ["--features", tmp / "x.npy", "--labels", tmp / "y.npy", "--owners", tmp / "owners.csv",
             "--val-features", tmp / "x.npy", "--val-labels", tmp / "y.npy",
             "--out", tmp / "weights"]  # fmt: skip
    return {
        "pay": [w.asset, "0.001"],
        "deposit": [w.license, "0.001", "--operator", w.operator],
        "open_channel": [w.license, "--operator", w.bob],
        "withdraw": [w.license, "--operator", w.operator],
        "change_signer": [w.license],
        "earnings": ["--withdraw"],
        "flow": [w.asset],
        "buy": [w.offer],
        "claim": ["--tree", w.tree],
        "claimable": [w.alice, "--tree", w.tree],
        "licenses": [w.alice],
        "offers": [],
        "usage": [w.license],
        "sign_voucher": [w.license, "5", "--operator", w.operator, "--out", tmp / "v.json"],
        "settle": ["--ledger", tmp / "l.db", "--import", tmp / "empty.json"],
        "deploy": [],
        "register": [folder, "--spdx", "MIT"],
        "verify": [w.folder, w.asset],
        "proof": [w.asset, w.alice, "--tree", w.tree, "--out", tmp / "p.json"],
        "metadata": [w.asset, "--uri", "ipfs://elsewhere"],
        "delist": [w.asset],
        "relist": [w.asset],
        "assets": [],
        "audit": ["--out", tmp / "report"],
        "offer": [w.asset, "--scopes", "train"],
        "dispute": ["show", "--asset", w.asset],
        "campaign": ["status", "1"],
        "custodian": [*split, "--asset", w.asset],
        "seal": [folder, "--out", tmp / "sealed", "--key-file", tmp / "seal.key"],
        "grant": [w.license, "--key-file", tmp / "grant.key"],
        "unseal": ["--license", w.license, "--sealed", tmp / "sealed", "--out", tmp / "plain"],
        "labels": ["score", tmp / "labels.csv", "--csv", "--out", tmp / "weights"],
        "value": value,
    }.get(name)


def _offline_inputs(name, w, tmp):
    """A four-item campaign (labels) or a four-item dataset of two owners (value)."""
    if name == "labels":
        people = [w.publisher, w.alice, w.bob]
        rows = "".join(f"{i},{p},{'cat' if i % 2 else 'dog'}\n" for i in range(4) for p in people)
        (tmp / "labels.csv").write_text("item,annotator,label\n" + rows)
        return
    import numpy as np

    np.save(tmp / "x.npy", np.array([[0.0, 0.0], [0.1, 0.2], [4.0, 4.0], [4.2, 3.9]]))
    np.save(tmp / "y.npy", np.array([0, 0, 1, 1]))
    (tmp / "owners.csv").write_text(f"owner\n{w.alice}\n{w.alice}\n{w.bob}\n{w.bob}\n")


def _known(names):
    for name in names:
        marks = [] if name in KNOWN else [pytest.mark.skip(reason=f"no valid arguments for {name}")]
        yield pytest.param(name, marks=marks, id=name)


KNOWN = {"pay", "deposit", "withdraw", "flow", "buy", "claim", "claimable", "licenses", "offers",
         "usage", "sign_voucher", "settle", "deploy", "register", "verify", "proof", "metadata",
         "delist", "relist", "assets", "audit", "offer", "open_channel", "change_signer",
         "earnings", "dispute", "custodian", "seal", "grant", "unseal", "labels",
         "value", "campaign"}  # fmt: skip


@pytest.mark.parametrize("name", list(_known(ALL)))
@settings(max_examples=examples(3))
@given(network=s.unreachable_networks())
def test_an_unreachable_network_is_one_error_and_nothing_written(
    name, network, runner, world, tmp_path_factory, deployments_dir
):
    tmp = tmp_path_factory.mktemp(f"net-{name}")
    args = valid_args(name, world, tmp)
    if name in OFFLINE:  # never connects: the node does not matter
        outcome = runner(name, *args, account=None, network=network)
        assert outcome.code == 0 and "Traceback" not in outcome.stderr, outcome.explain()
        return
    account = 2 if name in ALICE_SIGNS else 0 if name == "deploy" else 1
    outcome = runner(name, *args, account=account, network=network, watch=[tmp, deployments_dir])
    assert_refused(outcome)


@pytest.mark.parametrize("name", list(_known(n for n in ALL if n not in NO_SIGNER)))
@settings(max_examples=examples(4))
@given(key=s.bad_keys())
def test_a_malformed_private_key_is_one_error_and_nothing_sent(
    name, key, runner, world, tmp_path_factory, deployments_dir
):
    tmp = tmp_path_factory.mktemp(f"key-{name}")
    outcome = runner(
        name, *valid_args(name, world, tmp), account=None, key=key, watch=[tmp, deployments_dir]
    )
    if name in OPTIONAL_SIGNER:  # ADDRESS is given: ignoring the key would be fine too
        assert_clean(outcome, valid=True)
    else:
        assert_refused(outcome)


@pytest.mark.parametrize("name", SENDERS)
@settings(max_examples=examples(3))
@given(key=s.unfunded_keys())
def test_an_unfunded_signer_is_refused_before_anything_is_sent(
    name, key, runner, world, tmp_path_factory, deployments_dir
):
    tmp = tmp_path_factory.mktemp(f"poor-{name}")
    outcome = runner(
        name, *valid_args(name, world, tmp), account=None, key=key, watch=[tmp, deployments_dir]
    )
    assert_refused(outcome)


FIXED_WS_SCHEME = (
    "--network ws://... raises ape's NetworkError while click converts the option, outside "
    "SeedbedCommand's handlers: `ape run` prints a stack excerpt and 'ERROR: (NetworkError) "
    "Scheme for 'ws://127.0.0.1:1' not yet supported.', no error: line"
)


@pytest.mark.parametrize("name", ["pay"])
def test_a_websocket_network_is_one_error(name, runner, world, tmp_path):
    args = valid_args(name, world, tmp_path)
    assert_refused(runner(name, *args, network="ws://127.0.0.1:1"))


FIXED_PORT_RANGE = (
    "--network http://127.0.0.1:99999 (a port past 65535) -> 'error: unexpected ValueError: "
    "Port out of range 0-65535'"
)


@pytest.mark.parametrize("name", ["flow", "register"])
def test_a_port_out_of_range_is_one_error(name, runner, world, tmp_path):
    args = valid_args(name, world, tmp_path)
    assert_refused(runner(name, *args, network="http://127.0.0.1:99999", watch=[tmp_path]))
