// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Never deployed: its init code is run with eth_call. It creates `payload`
/// (salt ‖ init code) through the CREATE2 proxy inside the simulation and returns the runtime
/// code that lands at the predicted address, immutables (address(this), EIP-712 domain)
/// included, so a deployment can be checked byte for byte.
contract Create2Probe {
    error Create2ProbeFailed(bytes reason);

    constructor(address proxy, bytes memory payload) {
        (bool ok, bytes memory ret) = proxy.call(payload);
        if (!ok || ret.length != 20) revert Create2ProbeFailed(ret);
        bytes memory code = address(bytes20(ret)).code;
        assembly ("memory-safe") {
            return(add(code, 0x20), mload(code))
        }
    }
}
