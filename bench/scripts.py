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
    params = Params(wirer=deployer.address, treasury=deployer.address)
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
    res.record(
        "register_1000_script_s",
        elapsed,
        "s",
        60.0,
        note="whole `ape run register` process: hashing, trees, 10 multicall batches",
    )
