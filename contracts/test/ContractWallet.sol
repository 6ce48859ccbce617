// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice A minimal smart wallet: its owner's ECDSA signature is the wallet's ERC-1271
/// signature, and the owner drives it with `execute`.
contract ContractWallet is IERC1271 {
    address public immutable OWNER;

    constructor(address owner) {
        OWNER = owner;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError e,) = ECDSA.tryRecover(hash, signature);
        return e == ECDSA.RecoverError.NoError && signer == OWNER ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    function execute(address to, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        require(msg.sender == OWNER, "not owner");
        (bool ok, bytes memory ret) = to.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    /// @notice One of `executeAll`'s calls and what it returned.
    event CallResult(uint256 indexed index, bool ok, bytes returned);

    /// @notice Runs every call in ONE transaction, whatever each one does (a failing call is
    /// recorded, not fatal): the shape of an attack that must happen before any gateway can
    /// react.
    function executeAll(address[] calldata to, uint256[] calldata value, bytes[] calldata data)
        external
        payable
    {
        require(msg.sender == OWNER, "not owner");
        for (uint256 i; i < to.length; ++i) {
            (bool ok, bytes memory ret) = to[i].call{value: value[i]}(data[i]);
            emit CallResult(i, ok, ret);
        }
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    receive() external payable {}
}
