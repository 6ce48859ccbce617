// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Seedbed asset registry
/// @notice One ERC-721 token per dataset, model or other asset, with a provable content root,
/// a Merkle-sum tree of contributors and immutable lineage (parents with their share).
interface IAssetRegistry {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    enum Kind {
        Dataset,
        Model,
        Other
    }

    /// @notice A parent named at registration. `licenseId` is only read when the registrant
    /// does not own the parent: it must be a valid DERIVE license for it, held by the registrant.
    struct ParentLink {
        uint256 assetId;
        uint16 shareBps;
        uint256 licenseId;
    }

    /// @notice A stored lineage edge. `upstreamBps` is the parent's own upstream share, copied
    /// at registration (immutable), so the vault splits a parent's inflow without another call.
    struct Parent {
        uint64 assetId;
        uint16 shareBps;
        uint16 upstreamBps;
    }

    /// @notice A sibling in a contributors Merkle-sum proof.
    struct SumNode {
        bytes32 hash;
        uint256 sum;
    }

    /// @notice Everything stored about an asset, for readers.
    struct AssetView {
        address owner;
        Kind kind;
        bytes32 contentRoot;
        bytes32 contributorsRoot;
        uint96 totalWeight;
        uint16 upstreamBps;
        uint8 parentCount;
        uint40 createdAt;
        bool delisted;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error AssetRegistryUnknownAsset(uint256 assetId);
    error AssetRegistryDuplicateContent(bytes32 contentRoot, uint256 existingAssetId);
    error AssetRegistryEmptyContentRoot();
    error AssetRegistryNoContributors(bytes32 contributorsRoot, uint96 totalWeight);
    error AssetRegistryTooManyParents(uint256 count, uint256 max);
    error AssetRegistryZeroShare(uint256 parentId);
    error AssetRegistryDuplicateParent(uint256 parentId);
    error AssetRegistryUpstreamOver100Percent(uint256 totalBps);
    error AssetRegistryParentNotLicensed(uint256 parentId, uint256 licenseId, address registrant);
    error AssetRegistryShareBelowMinimum(uint256 parentId, uint16 shareBps, uint16 minimumBps);
    error AssetRegistryLicenseGateUnset(uint256 parentId);
    error AssetRegistryNotAuthorized(uint256 assetId, address caller);
    error AssetRegistryAlreadyWired(address licenseGate);
    error AssetRegistryNotWirer(address caller);
    error AssetRegistryListingUnchanged(uint256 assetId, bool delisted);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Carries every stored field, plus the metadata URI and hash (which live in logs
    /// only), so the registry can be rebuilt from logs alone.
    event AssetRegistered(
        uint256 indexed assetId,
        address indexed publisher,
        bytes32 indexed contentRoot,
        Kind kind,
        bytes32 contributorsRoot,
        uint96 totalWeight,
        uint16 upstreamBps,
        Parent[] parents,
        string metadataURI,
        bytes32 metadataHash
    );

    event MetadataChanged(uint256 indexed assetId, string metadataURI, bytes32 metadataHash);
    event ListingChanged(uint256 indexed assetId, bool delisted);
    event LicenseGateWired(address indexed licenseGate);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Mints a new asset to the caller. Content, contributors and parents are immutable.
    function register(
        Kind kind,
        bytes32 contentRoot,
        bytes32 contributorsRoot,
        uint96 totalWeight,
        string calldata metadataURI,
        bytes32 metadataHash,
        ParentLink[] calldata parents
    ) external returns (uint256 assetId);

    /// @notice Points the asset at new metadata (owner or approved operator). ERC-4906.
    function updateMetadata(uint256 assetId, string calldata metadataURI, bytes32 metadataHash)
        external;

    /// @notice Stops (or resumes) new license sales; sold licenses and claims are unaffected.
    function setDelisted(uint256 assetId, bool delisted) external;

    /// @notice One-time wiring of the license contract that vouches for DERIVE licenses.
    function wireLicenseGate(address licenseGate) external;

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    function MAX_PARENTS() external view returns (uint256);
    function licenseGate() external view returns (address);
    function assetCount() external view returns (uint256);
    function assetIdOf(bytes32 contentRoot) external view returns (uint256);
    function asset(uint256 assetId) external view returns (AssetView memory);
    function parents(uint256 assetId) external view returns (Parent[] memory);
    function upstreamBps(uint256 assetId) external view returns (uint16);
    function contributors(uint256 assetId) external view returns (bytes32 root, uint96 totalWeight);
    function isListed(uint256 assetId) external view returns (bool);

    /// @notice True when `(path, sha256, size)` is a file of the asset's content tree.
    function verifyFile(
        uint256 assetId,
        string calldata path,
        bytes32 sha256Digest,
        uint64 size,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice True when `(account, weight)` is a leaf of the asset's contributors tree and the
    /// proof's sums add up to the registered total weight.
    function verifyContributor(
        uint256 assetId,
        address account,
        uint96 weight,
        SumNode[] calldata proof
    ) external view returns (bool);
}
