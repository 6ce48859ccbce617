// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Seedbed arbiter
/// @notice What the court asks of whoever decides subjective disputes: a multisig panel, an
/// adapter to an arbitration protocol deployed on the chain, or anything else that answers.
/// The arbiter answers a case by calling `IAssetCourt(court).rule(disputeId, upheld)` exactly
/// once, where `court` is the caller of `requestRuling`.
interface IArbiter {
    /// @notice Wei the court sends with `requestRuling` (0 for a panel of signers).
    function rulingFee() external view returns (uint256);

    /// @notice Takes a case. `evidenceHash` is the claimant's evidence (for a duplicate-content
    /// claim, the shared file's sha256).
    function requestRuling(uint256 disputeId, bytes32 evidenceHash) external payable;
}
