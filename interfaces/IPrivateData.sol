// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "./IAssetRegistry.sol";
import {ILicenseToken} from "./ILicenseToken.sol";

/// @title Seedbed private data
/// @notice Encrypted datasets. An asset's owner seals it once: the root of its encrypted files
/// (`sealRoot`) and a check value of its dataset key (`keyCheck`), both published here. Who
/// may have the key is read from the suite: a valid license held now, with a scope asked
/// for, on a listed (not delisted, not disputed) sealed asset (`releasable`). The owner, or a
/// key service the owner named (a granter), records each key handed over as a copy to keep
/// (`grantKey`, ACCESS licenses only): the key wrapped for the holder, in the event, so who
/// received which asset's key, under which license, is public and final. No money; no
/// loops; nothing here can take a key back (a key once released stays released).
interface IPrivateData {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Only the asset's owner seals it and names its granters.
    /// @param assetId The asset.
    /// @param caller The caller.
    /// @param owner The asset's owner.
    error PrivateDataNotAssetOwner(uint256 assetId, address caller, address owner);

    /// @notice The asset is sealed already; an asset is sealed once (its ciphertext, key and
    /// every grant stay tied to that seal).
    /// @param assetId The asset.
    /// @param sealRoot Its seal root.
    error PrivateDataAlreadySealed(uint256 assetId, bytes32 sealRoot);

    /// @notice A seal needs a non-zero seal root and a non-zero key check.
    /// @param sealRoot The seal root given.
    /// @param keyCheck The key check given.
    error PrivateDataEmptySeal(bytes32 sealRoot, bytes32 keyCheck);

    /// @notice The zero address cannot be a granter.
    /// @param assetId The asset.
    error PrivateDataZeroGranter(uint256 assetId);

    /// @notice The granter already has the state asked for (under the asset's current owner).
    /// @param assetId The asset.
    /// @param granter The granter.
    /// @param allowed The state asked for.
    error PrivateDataGranterUnchanged(uint256 assetId, address granter, bool allowed);

    /// @notice The wrapped key's length is outside the bounds: an ECIES blob is a 33-byte
    /// ephemeral key, the ciphertext and a 16-byte tag.
    /// @param length Its length, in bytes.
    /// @param min MIN_WRAPPED_KEY.
    /// @param max MAX_WRAPPED_KEY.
    error PrivateDataBadWrappedKey(uint256 length, uint256 min, uint256 max);

    /// @notice No license has this id.
    /// @param licenseId The id given.
    error PrivateDataUnknownLicense(uint256 licenseId);

    /// @notice The caller is neither the asset's owner nor a granter its owner named.
    /// @param assetId The licensed asset.
    /// @param caller The caller.
    error PrivateDataNotGranter(uint256 assetId, address caller);

    /// @notice The asset has no seal: there is no key to grant.
    /// @param assetId The asset.
    error PrivateDataNotSealed(uint256 assetId);

    /// @notice The license expired.
    /// @param licenseId The license.
    /// @param expiresAt When it expired, unix time.
    error PrivateDataLicenseExpired(uint256 licenseId, uint40 expiresAt);

    /// @notice A key grant (a copy to keep) needs the ACCESS scope; the license has other ones.
    /// @param licenseId The license.
    /// @param scopes Its scopes bitmask.
    error PrivateDataNoAccessScope(uint256 licenseId, uint8 scopes);

    /// @notice The asset is not listed: delisted by its owner, or disputed or taken down by
    /// the court. Its key is released to no one meanwhile.
    /// @param assetId The asset.
    /// @param delisted Whether its owner delisted it.
    /// @param status Its dispute status: 0 none, 1 disputed, 2 upheld (taken down).
    error PrivateDataAssetNotListed(uint256 assetId, bool delisted, uint8 status);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The asset was sealed, for good.
    /// @param assetId The asset.
    /// @param sealRoot Merkle root of the seal leaves of its encrypted files.
    /// @param keyCheck keccak("seedbed/key-check/v1" ‖ dataset key): proves a key is the one.
    /// @param sealer Who sealed it (its owner then).
    event Sealed(uint256 indexed assetId, bytes32 sealRoot, bytes32 keyCheck, address sealer);

    /// @notice The asset's owner named (or removed) a granter: a key service that may record
    /// grants. Granters are the naming owner's: they lapse while another account owns the asset.
    /// @param assetId The asset.
    /// @param owner The owner who named it.
    /// @param granter The key service.
    /// @param allowed True when named, false when removed.
    event GranterChanged(uint256 indexed assetId, address indexed owner, address indexed granter, bool allowed);

    /// @notice A license holder received the asset's dataset key.
    /// @param licenseId The license.
    /// @param assetId The licensed asset.
    /// @param holder The license's holder when the key was granted.
    /// @param granter Who recorded the grant (the owner or one of its granters).
    /// @param wrappedKey The dataset key wrapped (ECIES) for the holder's public key.
    event KeyGranted(
        uint256 indexed licenseId, uint256 indexed assetId, address indexed holder, address granter, bytes wrappedKey
    );

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Seals the asset, once: only its owner. Any state of the asset (listed or not)
    /// may be sealed; keys are only ever released while it is listed.
    /// @param assetId The asset.
    /// @param sealRoot Merkle root of the seal leaves (non-zero).
    /// @param keyCheck The dataset key's check value (non-zero).
    function seal(uint256 assetId, bytes32 sealRoot, bytes32 keyCheck) external;

    /// @notice Names or removes a granter of the asset: only its owner. A granter serves the
    /// owner who named it: after the asset moves, the new owner's granters apply.
    /// @param assetId The asset.
    /// @param granter The key service.
    /// @param allowed True to name it, false to remove it.
    function setGranter(uint256 assetId, address granter, bool allowed) external;

    /// @notice Records a key handed to a license's holder: the asset's owner or one of its
    /// granters, on a sealed asset, for a license `releasable` for ACCESS now. The holder is
    /// the license's current owner. A license may be granted again (a new holder, a lost copy).
    /// @param licenseId The license.
    /// @param wrappedKey The dataset key wrapped for the holder, MIN_WRAPPED_KEY to
    /// MAX_WRAPPED_KEY bytes.
    function grantKey(uint256 licenseId, bytes calldata wrappedKey) external;

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The registry whose assets are sealed.
    /// @return The registry.
    function REGISTRY() external view returns (IAssetRegistry);

    /// @notice The license contract whose licenses are read.
    /// @return The license token.
    function LICENSE() external view returns (ILicenseToken);

    /// @notice The shortest wrapped key: an ECIES blob of nothing (33-byte key + 16-byte tag).
    /// @return 49
    function MIN_WRAPPED_KEY() external view returns (uint256);

    /// @notice The longest wrapped key.
    /// @return 1024
    function MAX_WRAPPED_KEY() external view returns (uint256);

    /// @notice The EIP-712 type hash of a signed release request,
    /// keccak("Release(uint256 licenseId,address audience,bytes32 nonce,uint64 deadline)"),
    /// signed under this contract's domain ("Seedbed PrivateData", "1").
    /// @return The type hash.
    function RELEASE_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 digest a holder signs to ask `audience` (a key service, gateway or
    /// custodian) for a release; checked off chain, given here so clients can compare.
    /// @param licenseId The license.
    /// @param audience The service asked.
    /// @param nonce The one-time challenge the service issued.
    /// @param deadline Unix time after which the request is void.
    /// @return The digest.
    function releaseDigest(uint256 licenseId, address audience, bytes32 nonce, uint64 deadline)
        external
        view
        returns (bytes32);

    /// @notice Whether the license's holder may have the asset's data now, and the facts a
    /// key service needs. `ok`: the license exists and is valid now, it carries one of
    /// `anyScopes` (ACCESS or TRAIN for a stream, ACCESS for a copy to keep), its asset is
    /// listed (not delisted, disputed or taken down) and sealed.
    /// @param licenseId The license.
    /// @param anyScopes The scopes, any one of which is enough.
    /// @return ok Whether the data may be released now.
    /// @return assetId The licensed asset, even when not ok (0 for an unknown license).
    /// @return holder The license's current owner, even when not ok (0 for an unknown license).
    /// @return sealRoot The asset's seal root (0 when not sealed).
    function releasable(uint256 licenseId, uint8 anyScopes)
        external
        view
        returns (bool ok, uint256 assetId, address holder, bytes32 sealRoot);

    /// @notice The asset's seal.
    /// @param assetId The asset.
    /// @return sealRoot Merkle root of its seal leaves (0 when not sealed).
    /// @return keyCheck Its dataset key's check value (0 when not sealed).
    function sealOf(uint256 assetId) external view returns (bytes32 sealRoot, bytes32 keyCheck);

    /// @notice Whether `account` may record grants for the asset now: its current owner, or a
    /// granter its current owner named.
    /// @param assetId The asset.
    /// @param account The account.
    /// @return False for an unknown asset.
    function isGranter(uint256 assetId, address account) external view returns (bool);
}
