// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The seam between the registry and licenses
/// @notice The registry asks this before accepting a parent the registrant does not own.
interface ILicenseGate {
    /// @notice Uses up a DERIVE license for one derivative: the registry calls it (and only the
    /// registry may) when `registrant` names `parentAssetId` as a parent it does not own. A
    /// license registers one derivative, whoever holds it later; its other scopes remain.
    /// @param licenseId The license offered for the parent.
    /// @param registrant The account registering the derivative.
    /// @param parentAssetId The parent asset.
    /// @return ok True when `licenseId` is valid now, held by `registrant`, is for
    /// `parentAssetId`, carries the DERIVE scope (16) and has not registered a derivative yet.
    /// @return minUpstreamBps The least share the derivative must pass to that parent, in bps
    /// of 10,000 (0 when `ok` is false).
    function useDerive(uint256 licenseId, address registrant, uint256 parentAssetId)
        external
        returns (bool ok, uint16 minUpstreamBps);

    /// @notice Whether a license would let `registrant` name `parentAssetId` as a parent now.
    /// @param licenseId The license offered for the parent.
    /// @param registrant The account registering the derivative.
    /// @param parentAssetId The parent asset.
    /// @return ok True when `useDerive` would accept it now (valid, held by `registrant`, for
    /// `parentAssetId`, DERIVE scope, not used yet).
    /// @return minUpstreamBps The least share the derivative must pass to that parent, in bps
    /// of 10,000 (0 when `ok` is false).
    function checkDerive(uint256 licenseId, address registrant, uint256 parentAssetId)
        external
        view
        returns (bool ok, uint16 minUpstreamBps);
}
