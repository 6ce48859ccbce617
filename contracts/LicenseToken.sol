// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {IAttestations} from "../interfaces/IAttestations.sol";
import {ILicenseGate} from "../interfaces/ILicenseGate.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {ILicenseToken} from "../interfaces/ILicenseToken.sol";
import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";
import {LicenseURI} from "./libraries/LicenseURI.sol";
import {Scopes} from "./libraries/Scopes.sol";

/// @title LicenseToken
/// @notice ERC-721 licenses sold from offers that asset owners publish. A license points at
/// its offer, whose terms never change once created: that is the snapshot. Only the offer's
/// status (active, paused, retired) and sold count move, and neither touches sold licenses.
/// Soulbound licenses follow ERC-5192.
contract LicenseToken is ILicenseToken, ERC721, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseToken
    uint8 public constant ACCESS = Scopes.ACCESS;
    /// @inheritdoc ILicenseToken
    uint8 public constant TRAIN = Scopes.TRAIN;
    /// @inheritdoc ILicenseToken
    uint8 public constant INFER = Scopes.INFER;
    /// @inheritdoc ILicenseToken
    uint8 public constant COMMERCIAL = Scopes.COMMERCIAL;
    /// @inheritdoc ILicenseToken
    uint8 public constant DERIVE = Scopes.DERIVE;
    address internal constant ETH = address(0);
    bytes4 internal constant ERC5192_ID = 0xb45a3c0e;
    /// @notice The longest license: a duration whose expiry fits the uint40 clock for ever.
    uint40 public constant MAX_DURATION = 100 * 365 days;
    /// @notice The largest service share an offer may give gateway operators, in bps.
    uint16 public constant MAX_SERVICE_BPS = 5_000;

    /// @notice The registry whose assets are licensed.
    IAssetRegistry public immutable REGISTRY;
    /// @notice The vault every sale is paid into.
    IRoyaltyVault public immutable VAULT;
    /// @notice The account allowed to wire the usage meter, once.
    address public immutable WIRER;
    /// @inheritdoc ILicenseToken
    IAttestations public immutable ATTESTATIONS;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Three slots: (currency, assetId, scopes, minUpstreamBps, soulbound),
    /// (price, unitPrice), (duration, maxUnits, supplyCap, sold, status, serviceBps,
    /// validatorSet): the third is 5 + 8 + 4 + 4 + 1 + 2 + 8 = 32 bytes.
    struct Offer {
        address currency;
        uint64 assetId;
        uint8 scopes;
        uint16 minUpstreamBps;
        bool soulbound;
        uint128 price;
        uint128 unitPrice;
        uint40 duration;
        uint64 maxUnits;
        uint32 supplyCap;
        uint32 sold;
        OfferStatus status;
        uint16 serviceBps;
        uint64 validatorSet;
    }

    /// @dev One slot. Units used live in the meter, per channel. `derived`: a DERIVE license
    /// registers one derivative (a flash-lent license is spent by the borrower).
    struct License {
        uint64 offerId;
        uint40 startsAt;
        uint40 expiresAt;
        bool derived;
    }

    mapping(uint256 offerId => Offer) internal _offers;
    mapping(uint256 offerId => address) internal _creators;
    mapping(uint256 licenseId => License) internal _licenses;
    /// @inheritdoc ILicenseToken
    uint64 public offerCount;
    /// @inheritdoc ILicenseToken
    uint64 public licenseCount;
    /// @inheritdoc ILicenseToken
    address public meter;

    constructor(IAssetRegistry registry, IRoyaltyVault vault, IAttestations attestations, address wirer)
        ERC721("Seedbed License", "SEEDL")
    {
        REGISTRY = registry;
        VAULT = vault;
        ATTESTATIONS = attestations;
        WIRER = wirer;
    }

    /*//////////////////////////////////////////////////////////////
                                 OFFERS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseToken
    function createOffer(Terms calldata t) external returns (uint256 offerId) {
        _requireAssetOperator(t.assetId);
        if (t.scopes == 0 || t.scopes > Scopes.ALL) revert LicenseTokenInvalidScopes(t.scopes);
        if (t.minUpstreamBps > 10_000) revert LicenseTokenInvalidMinShare(t.minUpstreamBps);
        if (t.duration > MAX_DURATION) revert LicenseTokenInvalidDuration(t.duration, MAX_DURATION);
        if (t.currency != ETH && t.currency.code.length == 0) revert LicenseTokenInvalidCurrency(t.currency);
        if (t.serviceBps > MAX_SERVICE_BPS) revert LicenseTokenInvalidServiceShare(t.serviceBps, MAX_SERVICE_BPS);

        unchecked {
            offerId = ++offerCount; // uint64: one per transaction cannot wrap
        }
        _offers[offerId] = Offer({
            currency: t.currency,
            assetId: uint64(t.assetId), // registry ids are uint64
            scopes: t.scopes,
            minUpstreamBps: t.minUpstreamBps,
            soulbound: t.soulbound,
            price: t.price,
            unitPrice: t.unitPrice,
            duration: t.duration,
            maxUnits: t.maxUnits,
            supplyCap: t.supplyCap,
            sold: 0,
            status: OfferStatus.Active,
            serviceBps: t.serviceBps,
            validatorSet: 0
        });
        _creators[offerId] = msg.sender;
        emit OfferCreated(offerId, t.assetId, msg.sender, t);
    }

    /// @inheritdoc ILicenseToken
    function setOfferStatus(uint256 offerId, OfferStatus status) external {
        Offer storage o = _offerOrRevert(offerId);
        _requireAssetOperator(o.assetId);
        OfferStatus current = o.status;
        if (current == OfferStatus.Retired) revert LicenseTokenOfferRetired(offerId);
        if (status == current) revert LicenseTokenStatusUnchanged(offerId, status);
        if (status == OfferStatus.None) revert LicenseTokenOfferNotActive(offerId, status);
        o.status = status;
        emit OfferStatusChanged(offerId, status);
    }

    /// @inheritdoc ILicenseToken
    function requireAttestations(uint256 offerId, uint64 setId) external {
        Offer storage o = _offerOrRevert(offerId);
        _requireAssetOperator(o.assetId);
        if (o.status == OfferStatus.Retired) revert LicenseTokenOfferRetired(offerId);
        // One way and once: a buyer who relied on the requirement can rely on it staying.
        uint64 current = o.validatorSet;
        if (current != 0) revert LicenseTokenRequirementSet(offerId, current);
        // Sets are numbered from 1 and never removed.
        if (setId == 0 || setId > ATTESTATIONS.setCount()) revert IAttestations.AttestationsUnknownSet(setId);
        o.validatorSet = setId;
        emit OfferRequiresAttestations(offerId, setId);
    }

    /// @inheritdoc ILicenseToken
    function offerValidatorSet(uint256 offerId) external view returns (uint64) {
        return _offerOrRevert(offerId).validatorSet;
    }

    /*//////////////////////////////////////////////////////////////
                                 BUYING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseToken
    function buy(uint256 offerId, address to, uint256 maxPrice)
        external
        payable
        nonReentrant
        returns (uint256 licenseId)
    {
        Offer storage o = _offerOrRevert(offerId);
        if (o.status != OfferStatus.Active) revert LicenseTokenOfferNotActive(offerId, o.status);
        uint32 sold = o.sold;
        if (o.supplyCap != 0 && sold >= o.supplyCap) revert LicenseTokenSoldOut(offerId, o.supplyCap);
        uint256 price = o.price;
        if (price > maxPrice) revert LicenseTokenPriceAboveMax(offerId, price, maxPrice);
        uint256 assetId = o.assetId;
        if (!REGISTRY.isListed(assetId)) revert LicenseTokenAssetDelisted(assetId);
        uint64 setId = o.validatorSet; // same slot as `sold`: no extra read for an ungated offer
        if (setId != 0 && !ATTESTATIONS.satisfied(setId, assetId)) {
            revert LicenseTokenNotAttested(offerId, setId, assetId);
        }
        address currency = o.currency;
        if (msg.value != (currency == ETH ? price : 0)) {
            revert LicenseTokenWrongValue(msg.value, currency == ETH ? price : 0);
        }

        // Effects: count the sale and record the license with its clock started now.
        unchecked {
            o.sold = sold + 1; // below supplyCap, or a uint32 count of sales that cannot wrap in practice
            licenseId = ++licenseCount;
        }
        uint40 expiry = o.duration == 0 ? 0 : uint40(block.timestamp) + o.duration;
        _licenses[licenseId] =
            License({offerId: uint64(offerId), startsAt: uint40(block.timestamp), expiresAt: expiry, derived: false});
        emit LicenseBought(licenseId, offerId, assetId, msg.sender, to, currency, price, expiry);

        // Interactions: the price goes straight into the vault for the asset.
        if (price != 0) _payVault(assetId, currency, price);
        _safeMint(to, licenseId);
        if (o.soulbound) emit Locked(licenseId);
    }

    /*//////////////////////////////////////////////////////////////
                                 METERING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseToken
    function wireMeter(address meter_) external {
        if (msg.sender != WIRER) revert LicenseTokenNotWirer(msg.sender);
        if (meter != address(0)) revert LicenseTokenAlreadyWired(meter);
        meter = meter_;
        emit MeterWired(meter_);
    }

    /// @inheritdoc ILicenseToken
    function sweep(address currency) external nonReentrant returns (uint256 amount) {
        // Sales pass money straight to the vault; the guard keeps a sweep out of a `buy` whose
        // tokens are in flight.
        amount = currency == ETH ? address(this).balance : IERC20(currency).balanceOf(address(this));
        if (amount == 0) revert LicenseTokenNothingToSweep(currency);
        address treasury = VAULT.TREASURY();
        emit Swept(currency, treasury, amount);
        if (currency == ETH) {
            Address.sendValue(payable(treasury), amount);
        } else {
            IERC20(currency).safeTransfer(treasury, amount);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILicenseToken
    function offer(uint256 offerId) public view returns (OfferView memory v) {
        Offer storage o = _offerOrRevert(offerId);
        v = OfferView({terms: _terms(o), status: o.status, sold: o.sold, creator: _creators[offerId]});
    }

    /// @inheritdoc ILicenseToken
    function license(uint256 licenseId) public view returns (LicenseView memory v) {
        License memory l = _licenseOrRevert(licenseId);
        Offer storage o = _offers[l.offerId];
        v = LicenseView({
            offerId: l.offerId,
            holder: _ownerOf(licenseId),
            terms: _terms(o),
            startsAt: l.startsAt,
            expiresAt: l.expiresAt,
            valid: _valid(l),
            derived: l.derived
        });
    }

    /// @inheritdoc ILicenseToken
    function usageTerms(uint256 licenseId) external view returns (UsageTerms memory u) {
        License memory l = _licenseOrRevert(licenseId);
        Offer storage o = _offers[l.offerId];
        u = UsageTerms({
            holder: _ownerOf(licenseId),
            assetId: o.assetId,
            currency: o.currency,
            unitPrice: o.unitPrice,
            maxUnits: o.maxUnits,
            expiresAt: l.expiresAt,
            scopes: o.scopes,
            serviceBps: o.serviceBps
        });
    }

    /// @inheritdoc ILicenseToken
    function isValid(uint256 licenseId) public view returns (bool) {
        License memory l = _licenses[licenseId];
        return l.offerId != 0 && _valid(l);
    }

    /// @inheritdoc ILicenseToken
    function isValidFor(uint256 licenseId, address account, uint8 scopes) public view returns (bool) {
        License memory l = _licenses[licenseId];
        if (l.offerId == 0) return false;
        Offer storage o = _offers[l.offerId];
        return _valid(l) && _ownerOf(licenseId) == account && (o.scopes & scopes) == scopes;
    }

    /// @inheritdoc ILicenseGate
    function checkDerive(uint256 licenseId, address registrant, uint256 parentAssetId)
        public
        view
        returns (bool ok, uint16 minUpstreamBps)
    {
        if (!isValidFor(licenseId, registrant, DERIVE) || _licenses[licenseId].derived) return (false, 0);
        Offer storage o = _offers[_licenses[licenseId].offerId];
        if (o.assetId != parentAssetId) return (false, 0);
        return (true, o.minUpstreamBps);
    }

    /// @inheritdoc ILicenseGate
    function useDerive(uint256 licenseId, address registrant, uint256 parentAssetId)
        external
        returns (bool ok, uint16 minUpstreamBps)
    {
        if (msg.sender != address(REGISTRY)) revert LicenseTokenNotRegistry(msg.sender);
        if (_licenses[licenseId].derived) revert LicenseTokenDeriveUsed(licenseId);
        (ok, minUpstreamBps) = checkDerive(licenseId, registrant, parentAssetId);
        if (ok) {
            _licenses[licenseId].derived = true;
            emit DeriveUsed(licenseId, parentAssetId, registrant);
        }
    }

    /// @inheritdoc ILicenseToken
    function expiresAt(uint256 licenseId) external view returns (uint40) {
        return _licenseOrRevert(licenseId).expiresAt;
    }

    /// @inheritdoc ILicenseToken
    function locked(uint256 licenseId) external view returns (bool) {
        return _offers[_licenseOrRevert(licenseId).offerId].soulbound;
    }

    /// @notice On-chain JSON stating the license's terms and state (wallet-readable).
    function tokenURI(uint256 licenseId) public view override returns (string memory) {
        return LicenseURI.render(licenseId, license(licenseId));
    }

    /// @notice ERC-165: ERC-721, ERC-721 Metadata and ERC-5192 (0xb45a3c0e).
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == ERC5192_ID || super.supportsInterface(interfaceId);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Soulbound licenses can be minted but never move. A move tells the meter, so the
    /// previous holder's vouchers keep a bounded settlement window and the new holder's
    /// channels start from its own signature, never from the previous holder's.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from == address(0)) return from;
        License memory l = _licenses[tokenId];
        if (_offers[l.offerId].soulbound) revert LicenseTokenSoulbound(tokenId);
        address m = meter;
        if (m != address(0) && from != to) IUsageMeter(m).onLicenseTransfer(tokenId, from, to, l.expiresAt);
    }

    function _payVault(uint256 assetId, address currency, uint256 price) internal {
        if (currency == ETH) {
            VAULT.pay{value: price}(assetId, ETH, price);
            return;
        }
        // Pull into this contract, then let the vault pull what arrived (fee-on-transfer safe).
        IERC20 token = IERC20(currency);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), price);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received == 0) revert LicenseTokenNothingArrived(currency, price);
        token.forceApprove(address(VAULT), received);
        VAULT.pay(assetId, currency, received);
    }

    function _valid(License memory l) internal view returns (bool) {
        return l.expiresAt == 0 || block.timestamp < l.expiresAt;
    }

    function _terms(Offer storage o) internal view returns (Terms memory) {
        return Terms({
            assetId: o.assetId,
            currency: o.currency,
            price: o.price,
            unitPrice: o.unitPrice,
            duration: o.duration,
            maxUnits: o.maxUnits,
            scopes: o.scopes,
            minUpstreamBps: o.minUpstreamBps,
            soulbound: o.soulbound,
            supplyCap: o.supplyCap,
            serviceBps: o.serviceBps
        });
    }

    function _offerOrRevert(uint256 offerId) internal view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.status == OfferStatus.None) revert LicenseTokenUnknownOffer(offerId);
    }

    function _licenseOrRevert(uint256 licenseId) internal view returns (License storage l) {
        l = _licenses[licenseId];
        if (l.offerId == 0) revert LicenseTokenUnknownLicense(licenseId);
    }

    /// @dev An id that was never registered has no owner (asset NFTs are never burned): it
    /// fails with AssetRegistryUnknownAsset, the error every other call on an unknown asset
    /// gives. `ownerOf` reads one slot; decoding the whole `REGISTRY.asset` view cost ~8.7k.
    /// Only the owner or an operator for all its assets: an approval for the one NFT is meant
    /// to move it (and lapses when it moves), while an offer it published would outlive it.
    function _requireAssetOperator(uint256 assetId) internal view {
        address owner = _assetOwner(assetId);
        if (msg.sender != owner && !IERC721Like(address(REGISTRY)).isApprovedForAll(owner, msg.sender)) {
            revert LicenseTokenNotAssetOwner(assetId, msg.sender);
        }
    }

    function _assetOwner(uint256 assetId) internal view returns (address) {
        try IERC721Like(address(REGISTRY)).ownerOf(assetId) returns (address owner) {
            return owner;
        } catch {
            revert IAssetRegistry.AssetRegistryUnknownAsset(assetId);
        }
    }
}

/// @dev The registry's ERC-721 approvals, used for operator checks.
interface IERC721Like {
    function ownerOf(uint256 tokenId) external view returns (address);
    function isApprovedForAll(address owner, address operator) external view returns (bool);
}
