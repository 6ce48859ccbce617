// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only ERC-20 with an open mint, used to show that a contract importing
/// OpenZeppelin compiles through the solcjs wrapper, deploys on anvil and answers.
contract ToolchainProbe is ERC20 {
    constructor() ERC20("Seedbed Probe", "PROBE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
