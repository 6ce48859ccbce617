// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILicenseGate} from "./ILicenseGate.sol";

/// @title Seedbed license NFTs
/// @notice Asset owners publish offers; buying one pays the asset's contributors through the
/// vault and mints a license whose terms are those of the offer, which never change.
interface ILicenseToken is ILicenseGate {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    enum OfferStatus {
        None,
        Active,
        Paused,
        Retired
    }

    /// @notice The terms of an offer, snapshotted into every license sold from it.
    /// `duration` 0 = perpetual; `maxUnits` 0 = unlimited; `supplyCap` 0 = unlimited.
    struct Terms {
        uint256 assetId;
        address currency;
        uint128 price;
        uint128 unitPrice;
        uint40 duration;
        uint64 maxUnits;
        uint8 scopes;
        uint16 minUpstreamBps;
        bool soulbound;
        uint32 supplyCap;
    }

    struct OfferView {
        Terms terms;
        OfferStatus status;
        uint32 sold;
        address creator;
    }

    struct LicenseView {
        uint256 offerId;
        address holder;
        Terms terms;
        uint40 startsAt;
        uint40 expiresAt;
        uint64 unitsUsed;
        bool valid;
    }

    /// @notice What the usage meter needs to charge a license, in one call.
    struct UsageTerms {
        address holder;
        uint256 assetId;
        address currency;
        uint128 unitPrice;
        uint64 maxUnits;
        uint40 expiresAt;
        uint64 unitsUsed;
        uint8 scopes;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error LicenseTokenNotAssetOwner(uint256 assetId, address caller);
    error LicenseTokenInvalidScopes(uint8 scopes);
    error LicenseTokenInvalidMinShare(uint16 minUpstreamBps);
    error LicenseTokenInvalidDuration(uint40 duration, uint40 maxDuration);
    error LicenseTokenInvalidCurrency(address currency);
    error LicenseTokenUnknownOffer(uint256 offerId);
    error LicenseTokenOfferNotActive(uint256 offerId, OfferStatus status);
    error LicenseTokenStatusUnchanged(uint256 offerId, OfferStatus status);
    error LicenseTokenOfferRetired(uint256 offerId);
    error LicenseTokenSoldOut(uint256 offerId, uint32 supplyCap);
    error LicenseTokenPriceAboveMax(uint256 offerId, uint256 price, uint256 maxPrice);
    error LicenseTokenWrongValue(uint256 sent, uint256 expected);
    error LicenseTokenNothingArrived(address currency, uint256 price);
    error LicenseTokenAssetDelisted(uint256 assetId);
    error LicenseTokenSoulbound(uint256 licenseId);
    error LicenseTokenUnknownLicense(uint256 licenseId);
    error LicenseTokenNotMeter(address caller);
    error LicenseTokenUnitsExceeded(uint256 licenseId, uint256 unitsUsed, uint64 maxUnits);
    error LicenseTokenUnitsNotIncreasing(uint256 licenseId, uint256 unitsUsed, uint64 current);
    error LicenseTokenAlreadyWired(address meter);
    error LicenseTokenNotWirer(address caller);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    event OfferCreated(uint256 indexed offerId, uint256 indexed assetId, address indexed creator, Terms terms);
    event OfferStatusChanged(uint256 indexed offerId, OfferStatus status);
    event LicenseBought(
        uint256 indexed licenseId,
        uint256 indexed offerId,
        uint256 indexed assetId,
        address buyer,
        address holder,
        address currency,
        uint256 price,
        uint40 expiresAt
    );
    event UsageRecorded(uint256 indexed licenseId, uint64 unitsUsed);
    event MeterWired(address indexed meter);
    /// @notice ERC-5192: emitted when a soulbound license is minted.
    event Locked(uint256 tokenId);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    function createOffer(Terms calldata terms) external returns (uint256 offerId);
    function setOfferStatus(uint256 offerId, OfferStatus status) external;
    function buy(uint256 offerId, address to, uint256 maxPrice) external payable returns (uint256 licenseId);

    /// @notice Called by the usage meter only: the license's total units used become `unitsUsed`.
    function recordUsage(uint256 licenseId, uint64 unitsUsed) external;
    function wireMeter(address meter) external;

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    function ACCESS() external view returns (uint8);
    function TRAIN() external view returns (uint8);
    function INFER() external view returns (uint8);
    function COMMERCIAL() external view returns (uint8);
    function DERIVE() external view returns (uint8);

    function meter() external view returns (address);
    function offerCount() external view returns (uint64);
    function licenseCount() external view returns (uint64);
    function offer(uint256 offerId) external view returns (OfferView memory);
    function license(uint256 licenseId) external view returns (LicenseView memory);
    function usageTerms(uint256 licenseId) external view returns (UsageTerms memory);

    /// @notice Exists, not expired and not exhausted.
    function isValid(uint256 licenseId) external view returns (bool);
    /// @notice Valid, held by `account`, and carries every bit of `scopes`.
    function isValidFor(uint256 licenseId, address account, uint8 scopes) external view returns (bool);
    function expiresAt(uint256 licenseId) external view returns (uint40);
    /// @notice Units left before the cap; type(uint64).max when unlimited.
    function unitsLeft(uint256 licenseId) external view returns (uint64);
    /// @notice ERC-5192: soulbound licenses are locked.
    function locked(uint256 licenseId) external view returns (bool);
}
