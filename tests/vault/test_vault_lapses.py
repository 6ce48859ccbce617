"""Issue 12 lapses in the vault: a zero treasury is refused with its own error."""

import ape
import pytest
from vault_helpers import error_data

from seedbed.core.constants import ETH


def test_a_zero_treasury_is_refused_with_invalid_treasury(project, deployer, registry):
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        deployer.deploy(project.RoyaltyVault, registry, ETH, 0, deployer)
    assert str(info.value) == error_data("RoyaltyVaultInvalidTreasury(address)", ETH)
    # It no longer pretends a transfer failed.
    assert str(info.value) != error_data(
        "RoyaltyVaultTransferFailed(address,address,uint256)", ETH, ETH, 0
    )


def test_the_fee_cap_is_checked_before_the_treasury(project, deployer, registry):
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        deployer.deploy(project.RoyaltyVault, registry, ETH, 501, deployer)
    assert str(info.value) == error_data("RoyaltyVaultFeeTooHigh(uint16,uint16)", 501, 500)


def test_invalid_treasury_is_in_the_vault_abi(vault):
    errors = {e.name: [i.type for i in e.inputs] for e in vault.contract_type.errors}
    assert errors["RoyaltyVaultInvalidTreasury"] == ["address"]
