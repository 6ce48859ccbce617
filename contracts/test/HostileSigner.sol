// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice Adversarial ERC-1271 wallet: it answers honestly (its owner's ECDSA signature) until
/// its owner arms it, after which `isValidSignature` burns every bit of gas it is given
/// (mode 1), returns a huge block of return data (mode 2), reverts with a huge block of data
/// (mode 3), or answers the magic value followed by a huge block of data (mode 4). The owner
/// drives it with `execute`, so it can hold a license and a reserve.
contract HostileSigner is IERC1271 {
    address public immutable OWNER;
    uint8 public mode;

    constructor(address owner) {
        OWNER = owner;
    }

    function arm(uint8 mode_) external {
        require(msg.sender == OWNER, "not owner");
        mode = mode_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        uint8 m = mode;
        if (m == 1) {
            while (true) {}
        }
        if (m == 2 || m == 3 || m == 4) {
            bytes4 magic = IERC1271.isValidSignature.selector;
            assembly {
                // As much as the gas allows: 120 kB of memory costs ~39,000 gas, within SIGNATURE_GAS.
                let size := 120000
                mstore(size, 0) // expand memory
                if eq(m, 4) { mstore(0, magic) }
                if eq(m, 3) { revert(0, size) }
                return(0, size)
            }
        }
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

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    receive() external payable {}
}
