// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {ILicenseToken} from "../interfaces/ILicenseToken.sol";
import {IPrivateData} from "../interfaces/IPrivateData.sol";
import {Scopes} from "./libraries/Scopes.sol";

/// @title PrivateData
/// @notice Seals of encrypted assets, the key services their owners name, and the public
/// record of every dataset key granted to a license holder. It reads the registry (owner,
/// listing) and the license token (holder, expiry, scopes) and writes nothing anywhere else.
/// @dev A sixth contract, no wiring: nothing calls it. No owner, no money, no loops. Its
/// EIP-712 domain ("Seedbed PrivateData", "1", ERC-5267 `eip712Domain`) is the one release
/// requests are signed under; they are checked off chain by the services asked.
contract PrivateData is IPrivateData, EIP712 {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPrivateData
    uint256 public constant MIN_WRAPPED_KEY = 49;
    /// @inheritdoc IPrivateData
    uint256 public constant MAX_WRAPPED_KEY = 1024;
    /// @inheritdoc IPrivateData
    bytes32 public constant RELEASE_TYPEHASH =
        keccak256("Release(uint256 licenseId,address audience,bytes32 nonce,uint64 deadline)");
    /// @dev A key grant is a copy to keep: ACCESS only (TRAIN streams, it does not keep).
    uint8 internal constant GRANT_SCOPES = Scopes.ACCESS;

    /// @inheritdoc IPrivateData
    IAssetRegistry public immutable REGISTRY;
    /// @inheritdoc IPrivateData
    ILicenseToken public immutable LICENSE;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Two slots, written once.
    struct Seal {
        bytes32 sealRoot;
        bytes32 keyCheck;
    }

    mapping(uint256 assetId => Seal) internal _seals;
    /// @dev Keyed by the owner who named the granter, so a sale of the asset NFT never hands
    /// the seller's key services to the buyer.
    mapping(uint256 assetId => mapping(address owner => mapping(address granter => bool))) internal _granters;

    constructor(IAssetRegistry registry, ILicenseToken license) EIP712("Seedbed PrivateData", "1") {
        REGISTRY = registry;
        LICENSE = license;
    }

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPrivateData
    function seal(uint256 assetId, bytes32 sealRoot, bytes32 keyCheck) external {
        _requireOwner(assetId);
        if (sealRoot == bytes32(0) || keyCheck == bytes32(0)) revert PrivateDataEmptySeal(sealRoot, keyCheck);
        Seal storage s = _seals[assetId];
        if (s.sealRoot != bytes32(0)) revert PrivateDataAlreadySealed(assetId, s.sealRoot);
        s.sealRoot = sealRoot;
        s.keyCheck = keyCheck;
        emit Sealed(assetId, sealRoot, keyCheck, msg.sender);
    }

    /// @inheritdoc IPrivateData
    function setGranter(uint256 assetId, address granter, bool allowed) external {
        address owner = _requireOwner(assetId);
        if (granter == address(0)) revert PrivateDataZeroGranter(assetId);
        mapping(address => bool) storage named = _granters[assetId][owner];
        if (named[granter] == allowed) revert PrivateDataGranterUnchanged(assetId, granter, allowed);
        named[granter] = allowed;
        emit GranterChanged(assetId, owner, granter, allowed);
    }

    /// @inheritdoc IPrivateData
    function grantKey(uint256 licenseId, bytes calldata wrappedKey) external {
        uint256 length = wrappedKey.length;
        if (length < MIN_WRAPPED_KEY || length > MAX_WRAPPED_KEY) {
            revert PrivateDataBadWrappedKey(length, MIN_WRAPPED_KEY, MAX_WRAPPED_KEY);
        }
        if (!_exists(licenseId)) revert PrivateDataUnknownLicense(licenseId);
        ILicenseToken.UsageTerms memory t = LICENSE.usageTerms(licenseId);
        uint256 assetId = t.assetId;
        // The asset of a license always exists (assets are never burned).
        address owner = IERC721(address(REGISTRY)).ownerOf(assetId);
        if (msg.sender != owner && !_granters[assetId][owner][msg.sender]) {
            revert PrivateDataNotGranter(assetId, msg.sender);
        }
        if (_seals[assetId].sealRoot == bytes32(0)) revert PrivateDataNotSealed(assetId);
        if (!_live(t.expiresAt)) revert PrivateDataLicenseExpired(licenseId, t.expiresAt);
        if (t.scopes & GRANT_SCOPES == 0) revert PrivateDataNoAccessScope(licenseId, t.scopes);
        if (!REGISTRY.isListed(assetId)) {
            // Only on this path: the whole asset view costs ~8.7k gas to decode.
            IAssetRegistry.AssetView memory a = REGISTRY.asset(assetId);
            revert PrivateDataAssetNotListed(assetId, a.delisted, a.status);
        }
        emit KeyGranted(licenseId, assetId, t.holder, msg.sender, wrappedKey);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPrivateData
    function releaseDigest(uint256 licenseId, address audience, bytes32 nonce, uint64 deadline)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(RELEASE_TYPEHASH, licenseId, audience, nonce, deadline)));
    }

    /// @inheritdoc IPrivateData
    function releasable(uint256 licenseId, uint8 anyScopes)
        external
        view
        returns (bool ok, uint256 assetId, address holder, bytes32 sealRoot)
    {
        if (!_exists(licenseId)) return (false, 0, address(0), bytes32(0));
        ILicenseToken.UsageTerms memory t = LICENSE.usageTerms(licenseId);
        assetId = t.assetId;
        holder = t.holder;
        sealRoot = _seals[assetId].sealRoot;
        ok = sealRoot != bytes32(0) && _live(t.expiresAt) && (t.scopes & anyScopes) != 0
            && REGISTRY.isListed(assetId);
    }

    /// @inheritdoc IPrivateData
    function sealOf(uint256 assetId) external view returns (bytes32 sealRoot, bytes32 keyCheck) {
        Seal storage s = _seals[assetId];
        return (s.sealRoot, s.keyCheck);
    }

    /// @inheritdoc IPrivateData
    function isGranter(uint256 assetId, address account) external view returns (bool) {
        (bool found, address owner) = _ownerOf(assetId);
        return found && (account == owner || _granters[assetId][owner][account]);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Licenses are numbered 1..licenseCount and never burned.
    function _exists(uint256 licenseId) internal view returns (bool) {
        return licenseId != 0 && licenseId <= LICENSE.licenseCount();
    }

    /// @dev The license token's own validity rule (LicenseToken._valid): 0 is perpetual.
    function _live(uint40 expiresAt) internal view returns (bool) {
        return expiresAt == 0 || block.timestamp < expiresAt;
    }

    /// @dev The caller must own the asset; an unknown asset fails as every registry call does.
    function _requireOwner(uint256 assetId) internal view returns (address owner) {
        bool found;
        (found, owner) = _ownerOf(assetId);
        if (!found) revert IAssetRegistry.AssetRegistryUnknownAsset(assetId);
        if (msg.sender != owner) revert PrivateDataNotAssetOwner(assetId, msg.sender, owner);
    }

    /// @dev `ownerOf` reads one slot; it reverts only for an id never registered.
    function _ownerOf(uint256 assetId) internal view returns (bool found, address owner) {
        try IERC721(address(REGISTRY)).ownerOf(assetId) returns (address o) {
            return (true, o);
        } catch {
            return (false, address(0));
        }
    }
}
