"""Vault fixtures: adversarial tokens and receivers, a vault with a fee, and funded payers."""

import pytest

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="session")
def payer(deployer):
    """Pays and sends claims in tests, so contributors' ETH moves only by what they receive."""
    return deployer


@pytest.fixture(scope="session")
def fee_vault(project, deployer, registry, treasury):
    """A second vault with a 2.5% protocol fee (the suite's vault has none)."""
    return deployer.deploy(project.RoyaltyVault, registry, treasury, 250, deployer)


@pytest.fixture(scope="session")
def funded_token(token, payer, vault, fee_vault):
    """The plain token, with the payer holding plenty and both vaults approved."""
    token.mint(payer, 10**30, sender=payer)
    token.approve(vault, MAX_UINT, sender=payer)
    token.approve(fee_vault, MAX_UINT, sender=payer)
    return token


@pytest.fixture(scope="session")
def funded_fot(fot_token, payer, vault, fee_vault):
    fot_token.mint(payer, 10**30, sender=payer)
    fot_token.approve(vault, MAX_UINT, sender=payer)
    fot_token.approve(fee_vault, MAX_UINT, sender=payer)
    return fot_token


@pytest.fixture(scope="session")
def false_token(project, deployer):
    """Returns false on failure (SafeERC20 must treat that as a failure)."""
    return deployer.deploy(project.FalseReturningToken, False)


@pytest.fixture(scope="session")
def usdt_token(project, deployer):
    """Returns nothing on success and reverts on failure: the USDT shape."""
    return deployer.deploy(project.FalseReturningToken, True)


@pytest.fixture(scope="session")
def reverting(project, deployer):
    return deployer.deploy(project.RevertingReceiver)


@pytest.fixture(scope="session")
def griefer(project, deployer):
    return deployer.deploy(project.GasGriefingReceiver)


@pytest.fixture
def reentrant(project, deployer):
    return deployer.deploy(project.ReentrantReceiver)
