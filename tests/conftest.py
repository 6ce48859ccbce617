"""Shared fixtures: accounts named by role, and Hypothesis profiles for the chain."""

import os

import pytest
from hypothesis import HealthCheck, settings

# ape snapshots per test, not per example: chain tests isolate each example themselves.
_COMMON = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
settings.register_profile("ci", max_examples=15, **_COMMON)
settings.register_profile("dev", max_examples=5, **_COMMON)
settings.register_profile("deep", max_examples=400, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def publisher(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def gateway(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[5]


# -- the deployed suite ------------------------------------------------------------------------

from seedbed.core.constants import DATASET  # noqa: E402


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def suite(project, chain, deployer, treasury):
    """The four contracts, deployed through the CREATE2 proxy exactly as `ape run deploy` does."""
    from seedbed.chain.client import Suite  # noqa: I001
    from seedbed.chain.deploy import Params, deploy

    # Commitments off: one-transaction registration, as on a local chain. The 2.5 %-fee suite
    # in tests/system runs with commitments on.
    params = Params(wirer=deployer.address, treasury=treasury.address, min_commit_age=0)
    record = deploy(project, chain, deployer, params, write_record=False)
    return Suite.from_record(project, chain, record)


@pytest.fixture(scope="session", autouse=True)
def _suite_outside_every_snapshot(request):
    """Deploy the session suite before any module's snapshot is taken. Otherwise a module
    whose first test needs no chain (tests/api) takes its snapshot first, deploys the suite
    inside it for a later test, and reverting that snapshot removes the suite for every
    module after it (ContractNotFoundError across the run)."""
    if any("suite" in item.fixturenames for item in request.session.items):
        request.getfixturevalue("suite")


@pytest.fixture(scope="session")
def registry(suite):
    return suite.registry


@pytest.fixture(scope="session")
def vault(suite):
    return suite.vault


@pytest.fixture(scope="session")
def license_token(suite):
    return suite.license


@pytest.fixture(scope="session")
def meter(suite):
    return suite.meter


@pytest.fixture(scope="session")
def attestations(suite):
    return suite.attestations


@pytest.fixture(scope="session")
def court(suite):
    """The AssetCourt; its arbiter is a PanelArbiter of the deployer alone."""
    return suite.court


@pytest.fixture(scope="session")
def panel(project, court):
    return project.PanelArbiter.at(court.ARBITER())


@pytest.fixture(scope="session")
def token(project, deployer):
    """A plain 18-decimal ERC-20."""
    return deployer.deploy(project.MockERC20, "Test USD", "TUSD", 18)


@pytest.fixture(scope="session")
def fot_token(project, deployer):
    """A fee-on-transfer ERC-20 that burns 1% of every transfer."""
    return deployer.deploy(project.FeeOnTransferToken, 100)


# -- builders ------------------------------------------------------------------------------------


from testkit.registering import ZERO_SALT, top_of  # noqa: E402


class Contributors:
    """A contributors tree built in memory, with proofs shaped for the contracts."""

    def __init__(self, weights):
        from seedbed.core.sumtree import build_packed
        from seedbed.core.treefile import ContributorTree, pack_tree

        self.weights = {str(a): int(w) for a, w in weights.items()}
        raw = {bytes.fromhex(a[2:]): w for a, w in self.weights.items()}
        if bytes(20) in raw:  # the tooling refuses the zero address; attack tests hand-build it
            self.tree = ContributorTree(pack_tree(*build_packed(raw)))
        else:
            self.tree = ContributorTree.build(raw)
        self.root = self.tree.root
        self.total = self.tree.total
        self.top = top_of(self.tree)

    def proof(self, account):
        weight, nodes = self.tree.proof(str(account))
        return weight, [(h, s) for h, s in nodes]


@pytest.fixture(scope="session")
def contributors_of():
    """contributors_of({account: weight, ...}) -> Contributors."""
    return Contributors


@pytest.fixture(scope="session")
def register_asset(registry):
    """register_asset(publisher, weights, parents=(), kind=DATASET) -> (asset_id, Contributors).

    Each call uses a fresh content root. `parents` is a list of (asset_id, share_bps[, license]).
    """
    import itertools
    import os

    counter = itertools.count()

    def register(publisher, weights, parents=(), kind=DATASET, content_root=None, uri="ipfs://x"):
        people = Contributors(weights)
        root = content_root or (next(counter).to_bytes(4, "big") + os.urandom(28))
        links = [(p[0], p[1], p[2] if len(p) > 2 else 0) for p in parents]
        receipt = registry.register(
            kind, root, ZERO_SALT, people.top, uri, b"\x11" * 32, links, sender=publisher
        )
        asset_id = receipt.events.filter(registry.AssetRegistered)[0].assetId
        return asset_id, people

    return register


# -- scripts ---------------------------------------------------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def deployments_dir(tmp_path_factory, suite):
    """A deployments folder holding the test suite's record, for scripts run as subprocesses."""
    import json

    folder = tmp_path_factory.mktemp("deployments")
    (folder / f"{suite.chain_id}.json").write_text(json.dumps(suite.record))
    return folder


@pytest.fixture(scope="session")
def run_script(chain, deployments_dir):
    """run_script("pay", "1", "0.1", account=1) runs `ape run pay ...` against the test chain.

    Returns the CompletedProcess (stdout, stderr, returncode); account=None passes no --account.
    """
    import subprocess

    def run(name, *args, account=1, env=None, timeout=300):
        cmd = ["ape", "run", name, *map(str, args), "--network", chain.provider.http_uri]
        if account is not None:
            cmd += ["--account", f"TEST::{account}"]
        full_env = {**os.environ, "SEEDBED_DEPLOYMENTS": str(deployments_dir), **(env or {})}
        # No stdin: a prompt fails at once instead of waiting for the timeout.
        return subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=ROOT,
            check=False,
        )

    return run
