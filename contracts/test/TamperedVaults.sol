// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "../../interfaces/IAssetRegistry.sol";
import {RoyaltyVault} from "../RoyaltyVault.sol";

/// @notice Deliberately broken vault for the audit's tamper test: every claim pays one wei
/// less than its Claimed event says, and the vault keeps the wei.
contract SkimmingVault is RoyaltyVault {
    constructor(IAssetRegistry registry, address treasury) RoyaltyVault(registry, treasury, 0, msg.sender) {}

    function _send(address currency, address to, uint256 amount, uint256 gasLimit)
        internal
        override
        returns (bool)
    {
        return super._send(currency, to, amount > 1 ? amount - 1 : amount, gasLimit);
    }
}

/// @notice Deliberately broken vault: each payment credits one wei more to the contributors
/// than the split gives, out of thin air.
contract MisSplittingVault is RoyaltyVault {
    constructor(IAssetRegistry registry, address treasury) RoyaltyVault(registry, treasury, 0, msg.sender) {}

    function _credit(uint256 assetId, address currency, uint256 amount, uint256 up)
        internal
        override
        returns (uint256 toContributors, uint256 toUpstream)
    {
        (toContributors, toUpstream) = super._credit(assetId, currency, amount + 1, up);
    }
}
