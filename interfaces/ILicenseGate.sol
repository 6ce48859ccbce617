// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The seam between the registry and licenses
/// @notice The registry asks this before accepting a parent the registrant does not own.
interface ILicenseGate {
    /// @notice Whether a license lets `registrant` name `parentAssetId` as a parent.
    /// @param licenseId The license offered for the parent.
    /// @param registrant The account registering the derivative.
    /// @param parentAssetId The parent asset.
    /// @return ok True when `licenseId` is valid now, held by `registrant`, is for
    /// `parentAssetId` and carries the DERIVE scope (16).
    /// @return minUpstreamBps The least share the derivative must pass to that parent, in bps
    /// of 10,000 (0 when `ok` is false).
    function checkDerive(uint256 licenseId, address registrant, uint256 parentAssetId)
        external
        view
        returns (bool ok, uint16 minUpstreamBps);
}
