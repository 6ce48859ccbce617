// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice The adversarial consumer's contract wallet (tests only): an ERC-1271 signer whose
/// owner key can be rotated at any time, that runs any list of calls in one transaction (so a
/// whole escape — register, offer, buy, meter, claim — is atomic and no gateway can settle
/// in between), receives ERC-721 licenses and holds ETH.
contract AdversaryWallet is IERC1271 {
    struct Call {
        address to;
        uint256 value;
        bytes data;
    }

    address public owner;

    event OwnerChanged(address indexed previous, address indexed next);

    error AdversaryWalletNotOwner(address caller);
    error AdversaryWalletCallFailed(uint256 index, bytes reason);

    constructor(address owner_) payable {
        owner = owner_;
    }

    modifier onlyOwnerOrSelf() {
        if (msg.sender != owner && msg.sender != address(this)) revert AdversaryWalletNotOwner(msg.sender);
        _;
    }

    /// @notice Rotates the key whose signatures the wallet accepts (also callable from `execute`).
    function setOwner(address next) external onlyOwnerOrSelf {
        emit OwnerChanged(owner, next);
        owner = next;
    }

    /// @notice Runs every call in order; the first failure reverts all of them with its reason.
    function execute(Call[] calldata calls) external payable onlyOwnerOrSelf returns (bytes[] memory results) {
        results = new bytes[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory ret) = calls[i].to.call{value: calls[i].value}(calls[i].data);
            if (!ok) revert AdversaryWalletCallFailed(i, ret);
            results[i] = ret;
        }
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError e,) = ECDSA.tryRecover(hash, signature);
        return e == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    receive() external payable {}
}
