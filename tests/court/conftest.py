"""Court fixtures: a World over the session suite (arbiter: a PanelArbiter of the deployer,
fee 0) and, per module that asks for it, a second full suite whose arbiter is a TestArbiter
(a ruling fee, a switch to refuse cases and one to rule from inside `requestRuling`)."""

import pytest
from court_helpers import MAX_UINT, World
from eth_utils import keccak

from seedbed.core.constants import ETH

PAID_SALT = "0x" + keccak(b"seedbed.tests.court.paid").hex()
FEE = 3 * 10**16  # the TestArbiter's ruling fee: 0.03 ETH beside the 0.1 ETH bond


@pytest.fixture(scope="module", autouse=True)
def _no_revert_traces():
    """ape prints the call trace of every revert, enriching it first: ~0.4 s for a revert
    inside a call from one contract to another. These tests check every error and its values
    exactly and never read the traces, so within tests/court they are not printed."""
    from ape_ethereum.trace import Trace

    patch = pytest.MonkeyPatch()
    patch.setattr(Trace, "show", lambda self, *args, **kwargs: None)
    yield
    patch.undo()


@pytest.fixture
def carol(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def world(chain, accounts, suite, panel, contributors_of, treasury, token, deployer):
    """The session suite, its court and its panel. The books start here."""
    token.mint(deployer, 10**30, sender=deployer)
    token.approve(suite.vault, MAX_UINT, sender=deployer)
    return World(chain, suite, contributors_of, panel, treasury, deployer, list(accounts)[:10])


@pytest.fixture(scope="module")
def paid(project, chain, accounts, deployer, treasury, contributors_of, token):
    """A second suite (same registry rules, commitments off) whose court's arbiter is a
    TestArbiter asking FEE per ruling. Deployed once per module, inside its snapshot."""
    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy

    arbiter = deployer.deploy(project.TestArbiter)
    arbiter.setFee(FEE, sender=deployer)
    params = Params(
        wirer=deployer.address,
        treasury=treasury.address,
        min_commit_age=0,
        arbiter=arbiter.address,
        salt=PAID_SALT,
    )
    record = deploy(project, chain, deployer, params, write_record=False)
    suite = Suite.from_record(project, chain, record)
    token.mint(deployer, 10**30, sender=deployer)
    token.approve(suite.vault, MAX_UINT, sender=deployer)
    return World(chain, suite, contributors_of, arbiter, treasury, deployer, list(accounts)[:10])


@pytest.fixture
def w(world, token):
    """The session suite's world, fresh for this test (books from here)."""
    return world.reset((ETH, token))


@pytest.fixture
def pw(paid, token):
    """The paid suite's world, fresh for this test."""
    return paid.reset((ETH, token))


COMMIT_SALT = "0x" + keccak(b"seedbed.tests.court.commit").hex()


@pytest.fixture(scope="module")
def committed(project, chain, accounts, deployer, treasury, contributors_of):
    """A third suite with commitments on (MIN_COMMIT_AGE 60 s, MAX 6 h), as on a public
    chain: registration is commit, then reveal, and `commitLag` is what R3 orders by."""
    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy

    params = Params(wirer=deployer.address, treasury=treasury.address, salt=COMMIT_SALT)
    record = deploy(project, chain, deployer, params, write_record=False)
    suite = Suite.from_record(project, chain, record)
    panel = project.PanelArbiter.at(suite.court.ARBITER())
    return World(chain, suite, contributors_of, panel, treasury, deployer, list(accounts)[:10])


@pytest.fixture
def cw(committed):
    return committed.reset((ETH,))
