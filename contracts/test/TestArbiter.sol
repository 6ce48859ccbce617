// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IArbiter} from "../../interfaces/IArbiter.sol";
import {IAssetCourt} from "../../interfaces/IAssetCourt.sol";

/// @notice A test arbiter: a fee that can change, a switch to refuse cases (a broken adapter),
/// and a switch to rule from inside `requestRuling` (an instant adapter).
contract TestArbiter is IArbiter {
    uint256 public fee;
    bool public refuse;
    bool public instant;
    bool public instantVerdict;
    bool public burn;
    uint256 public received;
    uint256[] public requested;

    function setFee(uint256 fee_) external {
        fee = fee_;
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    /// @notice Spin until out of gas in requestRuling (an adapter that cannot finish).
    function setBurn(bool burn_) external {
        burn = burn_;
    }

    function setInstant(bool instant_, bool verdict) external {
        instant = instant_;
        instantVerdict = verdict;
    }

    function rulingFee() external view returns (uint256) {
        return fee;
    }

    function requestRuling(uint256 disputeId, bytes32) external payable {
        require(!refuse, "TestArbiter: refused");
        if (burn) {
            uint256 spin;
            while (true) {
                ++spin;
            }
        }
        received += msg.value;
        requested.push(disputeId);
        if (instant) IAssetCourt(msg.sender).rule(disputeId, instantVerdict);
    }

    function ruleOn(IAssetCourt court, uint256 disputeId, bool upheld) external {
        court.rule(disputeId, upheld);
    }

    function requestedCount() external view returns (uint256) {
        return requested.length;
    }
}
