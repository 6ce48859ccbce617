"""Wall time of a script doing real work: 1,000 datasets registered by `ape run register`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Results

ROOT = Path(__file__).resolve().parents[1]


def _folders(base: Path, count: int) -> list[Path]:
    folders = []
    for i in range(count):
        folder = base / f"dataset-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "data.csv").write_text(f"id,value\n{i},{i * i}\n")
        (folder / "README.md").write_text(f"# Dataset {i}\n")
        folders.append(folder)
    return folders


def run(res: Results, project: Any, chain: Any, accounts: list[Any]) -> None:
    from seedbed.chain.deploy import Params, deploy

    deployer = accounts[0]
    # Commitments off: the figure is the tooling's own time, not a 60 s wait for the chain.
    params = Params(wirer=deployer.address, treasury=deployer.address, min_commit_age=0)
    record = deploy(project, chain, deployer, params, write_record=False)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "deployments").mkdir()
        (work / "deployments" / f"{record['chain_id']}.json").write_text(json.dumps(record))
        folders = _folders(work / "data", 1000)
        env = {**os.environ, "SEEDBED_DEPLOYMENTS": str(work / "deployments")}
        cmd = [
            "ape",
            "run",
            "register",
            *map(str, folders),
            "--spdx",
            "CC0-1.0",
            "--out",
            str(work / "out"),
            "--batch-size",
            "100",
            "--network",
            chain.provider.http_uri,
            "--account",
            "TEST::1",
        ]
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        elapsed = time.perf_counter() - start
        if out.returncode != 0:
            raise RuntimeError(f"register failed: {out.stderr.strip().splitlines()[-1:]}")
        registry = project.AssetRegistry.at(record["contracts"]["AssetRegistry"]["address"])
        assert registry.assetCount() >= 1000
        shutil.rmtree(work / "data", ignore_errors=True)
        startup(res, chain, work / "deployments")
    res.record(
        "register_1000_script_s",
        elapsed,
        "s",
        60.0,
        note="whole `ape run register` process: hashing, trees, 10 multicall batches",
    )


_API_READ = (
    "import sys; from seedbed import Seedbed; "
    "s = Seedbed.connect(sys.argv[1], deployment=sys.argv[2]); "
    "print(int(s.suite.license.offerCount())); s.close()"
)


def startup(res: Results, chain: Any, record_dir: Path, runs: int = 5) -> None:
    """A script's start-up: `ape run offers` (connect, load the deployment, one read) against
    the same read through the Python API, and `--help` (no connection), medians of `runs`."""
    import statistics
    import sys

    env = {**os.environ, "SEEDBED_DEPLOYMENTS": str(record_dir)}
    env.pop("SEEDBED_NETWORK", None)
    url = chain.provider.http_uri
    commands = {
        "script_startup_s": ["ape", "run", "offers", "--network", url],
        "script_help_s": ["ape", "run", "offers", "--help"],
        "api_same_read_s": [sys.executable, "-c", _API_READ, url, str(record_dir)],
    }
    medians = {}
    for name, cmd in commands.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed: {done.stderr.strip().splitlines()[-1:]}")
        medians[name] = statistics.median(times)
    res.record("script_startup_s", medians["script_startup_s"], "s", None,
               note="`ape run offers` against a running node, median of 5")  # fmt: skip
    res.record("script_help_s", medians["script_help_s"], "s", None,
               note="`ape run offers --help`: ape's own start-up, no connection")  # fmt: skip
    res.record("api_same_read_s", medians["api_same_read_s"], "s", None,
               note="the same read through Seedbed.connect in a fresh Python")  # fmt: skip
    res.record("script_vs_api_ratio", medians["script_startup_s"] / medians["api_same_read_s"],
               "x", None, note="script start-up over the API's, same run")  # fmt: skip
