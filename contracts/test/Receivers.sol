// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Adversarial recipient: refuses every ETH transfer.
contract RevertingReceiver {
    receive() external payable {
        revert("no thanks");
    }
}

/// @notice Adversarial recipient: burns all the gas it is given.
contract GasGriefingReceiver {
    receive() external payable {
        while (true) {}
    }
}

/// @notice Adversarial recipient: when paid, calls back into `target` with `payload` and
/// records whether the re-entry succeeded and what it reverted with.
contract ReentrantReceiver {
    address public target;
    bytes public payload;
    bool public attempted;
    bool public reentered;
    bytes public lastError;

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        attempted = false;
    }

    receive() external payable {
        if (attempted || target == address(0)) return;
        attempted = true;
        (bool ok, bytes memory err) = target.call(payload);
        reentered = ok;
        lastError = err;
    }

    /// @notice Acts as an ERC-721 receiver too, so re-entry can be tried during a mint.
    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        if (!attempted && target != address(0)) {
            attempted = true;
            (bool ok, bytes memory err) = target.call(payload);
            reentered = ok;
            lastError = err;
        }
        return this.onERC721Received.selector;
    }

    function call(address to, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }
}
