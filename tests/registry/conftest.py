"""Registry fixtures: DERIVE licenses on a parent, dataset folders on disk, script checks."""

import pytest
from registry_helpers import write_folder

from seedbed.core.constants import DERIVE, ETH

# ILicenseToken.Terms, in field order.
TERM_DEFAULTS = dict(
    currency=ETH,
    price=0,
    unitPrice=0,
    duration=0,
    maxUnits=0,
    scopes=DERIVE,
    minUpstreamBps=0,
    soulbound=False,
    supplyCap=0,
    serviceBps=0,
)


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def sell_license(license_token):
    """sell_license(parent_id, owner, buyer, **Terms fields) -> license id (DERIVE by default)."""

    def sell(parent_id, owner, buyer, **fields):
        terms = {**TERM_DEFAULTS, **fields}
        raw = (parent_id, *(terms[k] for k in TERM_DEFAULTS))
        receipt = license_token.createOffer(raw, sender=owner)
        offer_id = receipt.events.filter(license_token.OfferCreated)[0].offerId
        price = terms["price"]
        receipt = license_token.buy(offer_id, buyer, price, value=price, sender=buyer)
        return receipt.events.filter(license_token.LicenseBought)[0].licenseId

    return sell


@pytest.fixture
def make_folder(tmp_path):
    """make_folder(name, files=None) -> a dataset folder under tmp_path (unique contents)."""
    import itertools

    counter = itertools.count()

    def make(name, files=None):
        n = next(counter)
        files = files or {
            "README.md": f"# {name} {n}\n".encode(),
            "data/train.csv": f"id,label\n{n},cat\n".encode(),
            "data/test.csv": b"id,label\n9,dog\n",
        }
        return write_folder(tmp_path / name, files)

    return make


@pytest.fixture(scope="session")
def run_script(chain, deployments_dir):
    """The shared run_script (same arguments and result), hardened for diagnosis: the script
    gets no stdin (a prompt fails at once instead of waiting), and one that outlives
    `timeout` is made to dump its Python stacks (faulthandler) before it is killed, so the
    failure shows where it stood."""
    import os
    import signal
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def run(name, *args, account=1, env=None, timeout=300):
        cmd = ["ape", "run", name, *map(str, args), "--network", chain.provider.http_uri]
        if account is not None:
            cmd += ["--account", f"TEST::{account}"]
        full_env = {
            **os.environ,
            "SEEDBED_DEPLOYMENTS": str(deployments_dir),
            "PYTHONFAULTHANDLER": "1",
            **(env or {}),
        }
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            cwd=root,
            start_new_session=True,  # its own process group, so any child it left goes too
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGABRT)  # faulthandler prints every thread's stack
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
            raise AssertionError(
                f"{' '.join(cmd)} ran over {timeout} s.\nstdout:\n{out}\nstderr:\n{err[-8000:]}"
            ) from None
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    return run
