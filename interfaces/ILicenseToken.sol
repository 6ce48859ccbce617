// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAttestations} from "./IAttestations.sol";
import {ILicenseGate} from "./ILicenseGate.sol";

/// @title Seedbed license NFTs
/// @notice Asset owners publish offers; buying one pays the asset's contributors through the
/// vault and mints a license whose terms are those of the offer, which never change.
/// Amounts are in the smallest unit of the offer's currency (wei for ETH = address(0));
/// durations are seconds; times are unix seconds; scopes are a bitmask ACCESS = 1, TRAIN = 2,
/// INFER = 4, COMMERCIAL = 8, DERIVE = 16; shares are bps of 10,000.
interface ILicenseToken is ILicenseGate {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice 0 = None (no such offer), 1 = Active (on sale), 2 = Paused, 3 = Retired (final).
    enum OfferStatus {
        None,
        Active,
        Paused,
        Retired
    }

    /// @notice The terms of an offer, snapshotted into every license sold from it.
    /// `currency` address(0) = ETH, else an ERC-20; `price` (per license) and `unitPrice`
    /// (per metered unit) in the currency's smallest unit; `duration` in seconds, 0 = perpetual;
    /// `maxUnits` 0 = unlimited; `scopes` bitmask (1..31); `minUpstreamBps` the least share a
    /// derivative must pass back, in bps; `supplyCap` 0 = unlimited; `serviceBps` the share of
    /// every metered charge credited to the gateway operator the payer's voucher names, in bps
    /// (at most MAX_SERVICE_BPS).
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
        uint16 serviceBps;
    }

    /// @notice An offer as readers see it: its terms, status, licenses sold and who created it.
    struct OfferView {
        Terms terms;
        OfferStatus status;
        uint32 sold;
        address creator;
    }

    /// @notice A license as readers see it. `startsAt` and `expiresAt` are unix time
    /// (`expiresAt` 0 = perpetual); `valid` = not expired. Units used are per channel, in the
    /// usage meter.
    struct LicenseView {
        uint256 offerId;
        address holder;
        Terms terms;
        uint40 startsAt;
        uint40 expiresAt;
        bool valid;
        bool derived;
    }

    /// @notice What the usage meter needs to charge a license, in one call.
    struct UsageTerms {
        address holder;
        uint256 assetId;
        address currency;
        uint128 unitPrice;
        uint64 maxUnits;
        uint40 expiresAt;
        uint8 scopes;
        uint16 serviceBps;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is neither the asset's owner nor an operator for all its assets on
    /// the registry (an approval for the one asset NFT does not publish offers).
    /// @param assetId The asset.
    /// @param caller The caller.
    error LicenseTokenNotAssetOwner(uint256 assetId, address caller);

    /// @notice Scopes must be a non-zero bitmask of ACCESS 1, TRAIN 2, INFER 4, COMMERCIAL 8,
    /// DERIVE 16 (at most 31).
    /// @param scopes The bitmask offered.
    error LicenseTokenInvalidScopes(uint8 scopes);

    /// @notice The minimum upstream share is above 10,000 bps.
    /// @param minUpstreamBps The share offered, in bps.
    error LicenseTokenInvalidMinShare(uint16 minUpstreamBps);

    /// @notice The duration is longer than the longest license.
    /// @param duration The duration offered, in seconds.
    /// @param maxDuration MAX_DURATION, in seconds.
    error LicenseTokenInvalidDuration(uint40 duration, uint40 maxDuration);

    /// @notice The currency is neither ETH (address(0)) nor a contract.
    /// @param currency The currency offered.
    error LicenseTokenInvalidCurrency(address currency);

    /// @notice No offer has this id.
    /// @param offerId The id asked for.
    error LicenseTokenUnknownOffer(uint256 offerId);

    /// @notice The offer is not on sale (paused or retired), or status None was asked for.
    /// @param offerId The offer.
    /// @param status Its status (or the status asked for).
    error LicenseTokenOfferNotActive(uint256 offerId, OfferStatus status);

    /// @notice The offer already has the status asked for.
    /// @param offerId The offer.
    /// @param status The status asked for.
    error LicenseTokenStatusUnchanged(uint256 offerId, OfferStatus status);

    /// @notice The offer is retired, which is final.
    /// @param offerId The offer.
    error LicenseTokenOfferRetired(uint256 offerId);

    /// @notice The offer requires a validator set already; a requirement is set once, for
    /// good.
    /// @param offerId The offer.
    /// @param setId The set it requires.
    error LicenseTokenRequirementSet(uint256 offerId, uint64 setId);

    /// @notice The offer requires attestations the asset does not hold now: fewer than the
    /// set's threshold of its validators hold a live certificate (IAttestations.satisfied).
    /// @param offerId The offer.
    /// @param setId The validator set it requires.
    /// @param assetId The asset.
    error LicenseTokenNotAttested(uint256 offerId, uint64 setId, uint256 assetId);

    /// @notice Every license the offer allows has been sold.
    /// @param offerId The offer.
    /// @param supplyCap Its supply cap.
    error LicenseTokenSoldOut(uint256 offerId, uint32 supplyCap);

    /// @notice The offer's price is above the buyer's `maxPrice`.
    /// @param offerId The offer.
    /// @param price Its price, in the currency's smallest unit.
    /// @param maxPrice The buyer's limit, in the same unit.
    error LicenseTokenPriceAboveMax(uint256 offerId, uint256 price, uint256 maxPrice);

    /// @notice `msg.value` must be the price for an ETH offer and 0 for an ERC-20 offer.
    /// @param sent `msg.value`, in wei.
    /// @param expected What was due, in wei.
    error LicenseTokenWrongValue(uint256 sent, uint256 expected);

    /// @notice The ERC-20 transfer of the price delivered nothing to the license contract.
    /// @param currency The token.
    /// @param price The amount pulled, in the token's smallest unit.
    error LicenseTokenNothingArrived(address currency, uint256 price);

    /// @notice The asset is delisted: no new licenses are sold for it.
    /// @param assetId The asset.
    error LicenseTokenAssetDelisted(uint256 assetId);

    /// @notice The license is soulbound (ERC-5192) and cannot be transferred.
    /// @param licenseId The license.
    error LicenseTokenSoulbound(uint256 licenseId);

    /// @notice No license has this id.
    /// @param licenseId The id asked for.
    error LicenseTokenUnknownLicense(uint256 licenseId);

    /// @notice The service share passes MAX_SERVICE_BPS.
    /// @param serviceBps The share asked for, in bps of each metered charge.
    /// @param max MAX_SERVICE_BPS.
    error LicenseTokenInvalidServiceShare(uint16 serviceBps, uint16 max);

    /// @notice The usage meter is wired already; wiring happens once.
    /// @param meter The meter wired before.
    error LicenseTokenAlreadyWired(address meter);

    /// @notice Only the deployment's wirer may wire the usage meter.
    /// @param caller The caller.
    error LicenseTokenNotWirer(address caller);

    /// @notice Only the registry may use up a DERIVE license.
    /// @param caller The caller.
    error LicenseTokenNotRegistry(address caller);

    /// @notice This DERIVE license has registered its derivative already; a license registers
    /// one, whoever holds it.
    /// @param licenseId The license.
    error LicenseTokenDeriveUsed(uint256 licenseId);

    /// @notice The license contract holds none of this currency (nothing is held between
    /// calls, so `sweep` has nothing to return).
    /// @param currency The token (or 0 for ETH).
    error LicenseTokenNothingToSweep(address currency);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An offer was published, Active from now on.
    /// @param offerId The new offer.
    /// @param assetId The asset it licenses.
    /// @param creator Who published it.
    /// @param terms Its terms, fixed for ever.
    event OfferCreated(uint256 indexed offerId, uint256 indexed assetId, address indexed creator, Terms terms);

    /// @notice An offer was paused, resumed or retired.
    /// @param offerId The offer.
    /// @param status Its new status.
    event OfferStatusChanged(uint256 indexed offerId, OfferStatus status);

    /// @notice From now on, the offer sells only while the asset holds the validator set's
    /// attestations.
    /// @param offerId The offer.
    /// @param setId The validator set (IAttestations).
    event OfferRequiresAttestations(uint256 indexed offerId, uint64 indexed setId);

    /// @notice A license was sold and its price paid into the vault for the asset.
    /// @param licenseId The new license (ERC-721 token id).
    /// @param offerId The offer it was sold from.
    /// @param assetId The asset it licenses.
    /// @param buyer Who paid.
    /// @param holder Who received the license.
    /// @param currency address(0) for ETH, else the ERC-20.
    /// @param price What was charged, in the currency's smallest unit.
    /// @param expiresAt Unix time the license ends; 0 = perpetual.
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

    /// @notice The usage meter was wired (once).
    /// @param meter The meter.
    event MeterWired(address indexed meter);

    /// @notice A DERIVE license registered its derivative and is used up for deriving (its
    /// other scopes and its channels remain).
    /// @param licenseId The license.
    /// @param parentAssetId The licensed asset, now a parent.
    /// @param registrant Who registered the derivative.
    event DeriveUsed(uint256 indexed licenseId, uint256 indexed parentAssetId, address indexed registrant);

    /// @notice Tokens (or ETH) sent to the license contract by mistake went to the treasury.
    /// @param currency The token (or 0 for ETH).
    /// @param treasury Where they went (the vault's treasury).
    /// @param amount How much.
    event Swept(address indexed currency, address indexed treasury, uint256 amount);

    /// @notice ERC-5192: emitted when a soulbound license is minted.
    /// @param tokenId The license.
    event Locked(uint256 tokenId);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Publishes an offer for an asset (its owner, or an operator the owner approved for
    /// all its assets on the registry). The offer is Active at once.
    /// @param terms The terms every license sold from it carries.
    /// @return offerId The new offer, one above the previous one.
    function createOffer(Terms calldata terms) external returns (uint256 offerId);

    /// @notice Pauses, resumes or retires an offer (the asset's owner now, or its operator for
    /// all: offers follow the asset NFT to its new owner). Retired is
    /// final; sold licenses are unaffected.
    /// @param offerId The offer.
    /// @param status Active (1), Paused (2) or Retired (3).
    function setOfferStatus(uint256 offerId, OfferStatus status) external;

    /// @notice Makes every later sale of the offer require that the asset hold `setId`'s
    /// attestations (IAttestations.satisfied, read at each `buy`): the asset's owner now, or
    /// its operator for all; once per offer, never removed, any time before it is retired.
    /// @param offerId The offer.
    /// @param setId An existing validator set (reverts AttestationsUnknownSet otherwise).
    function requireAttestations(uint256 offerId, uint64 setId) external;

    /// @notice Buys a license from an Active offer of a listed asset (holding the attestations
    /// the offer requires, if any: LicenseTokenNotAttested otherwise). For ETH send the price
    /// as `msg.value`; for an ERC-20 approve the price to this license contract first.
    /// @param offerId The offer.
    /// @param to Who receives the license (an ERC-721 receiver if a contract).
    /// @param maxPrice The most the caller accepts to pay, in the currency's smallest unit.
    /// @return licenseId The new license.
    function buy(uint256 offerId, address to, uint256 maxPrice) external payable returns (uint256 licenseId);

    /// @notice One-time wiring of the usage meter (the deployment's wirer only).
    /// @param meter The usage meter.
    function wireMeter(address meter) external;

    /// @notice Sends the contract's whole balance of a currency to the vault's treasury: it
    /// holds nothing between calls, so anything there was sent by mistake. Anyone may call.
    /// @param currency The token (or 0 for ETH).
    /// @return amount What was sent.
    function sweep(address currency) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Scope bit: access to the asset.
    /// @return 1
    function ACCESS() external view returns (uint8);
    /// @notice Scope bit: training on the asset.
    /// @return 2
    function TRAIN() external view returns (uint8);
    /// @notice Scope bit: inference with the asset.
    /// @return 4
    function INFER() external view returns (uint8);
    /// @notice Scope bit: commercial use.
    /// @return 8
    function COMMERCIAL() external view returns (uint8);
    /// @notice Scope bit: registering derivatives of the asset.
    /// @return 16
    function DERIVE() external view returns (uint8);

    /// @notice The attestations contract whose validator sets offers may require.
    function ATTESTATIONS() external view returns (IAttestations);

    /// @notice The validator set an offer requires (0 = none).
    /// @param offerId The offer; reverts LicenseTokenUnknownOffer for an unknown one.
    function offerValidatorSet(uint256 offerId) external view returns (uint64);

    /// @notice The usage meter allowed to record usage; zero until wired.
    /// @return The meter.
    function meter() external view returns (address);
    /// @notice How many offers exist; ids run from 1 to this number.
    /// @return The number of offers.
    function offerCount() external view returns (uint64);
    /// @notice How many licenses were sold; ids run from 1 to this number.
    /// @return The number of licenses.
    function licenseCount() external view returns (uint64);

    /// @notice An offer's terms and state.
    /// @param offerId The offer.
    /// @return The offer.
    function offer(uint256 offerId) external view returns (OfferView memory);

    /// @notice A license's terms and state.
    /// @param licenseId The license.
    /// @return The license.
    function license(uint256 licenseId) external view returns (LicenseView memory);

    /// @notice What the usage meter needs to charge a license.
    /// @param licenseId The license.
    /// @return The holder, asset, currency, unit price, cap, expiry, scopes and service share.
    function usageTerms(uint256 licenseId) external view returns (UsageTerms memory);

    /// @notice Exists and has not expired.
    /// @param licenseId The license.
    /// @return Whether the license is valid now (false for an unknown id).
    function isValid(uint256 licenseId) external view returns (bool);

    /// @notice Valid, held by `account`, and carries every bit of `scopes`.
    /// @param licenseId The license.
    /// @param account The account that should hold it.
    /// @param scopes The scope bits it must carry.
    /// @return Whether all of that holds now (false for an unknown id).
    function isValidFor(uint256 licenseId, address account, uint8 scopes) external view returns (bool);

    /// @notice When the license ends.
    /// @param licenseId The license.
    /// @return Unix time; 0 = perpetual.
    function expiresAt(uint256 licenseId) external view returns (uint40);

    /// @notice ERC-5192: soulbound licenses are locked.
    /// @param licenseId The license.
    /// @return Whether the license can never be transferred.
    function locked(uint256 licenseId) external view returns (bool);
}
