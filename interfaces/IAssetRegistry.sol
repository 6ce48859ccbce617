// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Seedbed asset registry
/// @notice One ERC-721 token per dataset, model or other asset, with a provable content root,
/// a Merkle-sum tree of contributors and immutable lineage (parents with their share).
/// Shares are basis points of 10,000 (bps); contributor weights are unitless integers whose
/// sum is the asset's total weight; times are unix seconds.
interface IAssetRegistry {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What an asset is: 0 = Dataset, 1 = Model, 2 = Other.
    enum Kind {
        Dataset,
        Model,
        Other
    }

    /// @notice A parent named at registration. `licenseId` is only read when the registrant
    /// does not own the parent: it must be a valid DERIVE license for it, held by the registrant.
    /// `shareBps` is the parent's share of every payment to the new asset, in bps of 10,000.
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

    /// @notice A sibling in a contributors Merkle-sum proof: its hash and the sum of the
    /// weights below it.
    struct SumNode {
        bytes32 hash;
        uint256 sum;
    }

    /// @notice Everything stored about an asset, for readers. `createdAt` is unix time;
    /// `upstreamBps` is the sum of the parents' shares, in bps of 10,000.
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

    /// @notice No asset has this id (never registered): raised by every call that takes an
    /// asset id, views and mutations alike.
    /// @param assetId The id asked for.
    error AssetRegistryUnknownAsset(uint256 assetId);

    /// @notice This content root is already registered; an asset's content is registered once.
    /// @param contentRoot The content root offered.
    /// @param existingAssetId The asset that already carries it.
    error AssetRegistryDuplicateContent(bytes32 contentRoot, uint256 existingAssetId);

    /// @notice The content root is zero; register the root of the asset's file tree.
    error AssetRegistryEmptyContentRoot();

    /// @notice The contributors root is zero or the total weight is zero: every asset needs at
    /// least one contributor with a positive weight.
    /// @param contributorsRoot The contributors root offered.
    /// @param totalWeight The total weight offered.
    error AssetRegistryNoContributors(bytes32 contributorsRoot, uint96 totalWeight);

    /// @notice More parents than the registry accepts.
    /// @param count The number of parents offered.
    /// @param max The most parents an asset may have (MAX_PARENTS).
    error AssetRegistryTooManyParents(uint256 count, uint256 max);

    /// @notice A parent was named with a share of 0 bps.
    /// @param parentId The parent asset.
    error AssetRegistryZeroShare(uint256 parentId);

    /// @notice The same parent was named twice.
    /// @param parentId The repeated parent asset.
    error AssetRegistryDuplicateParent(uint256 parentId);

    /// @notice The parents' shares add up to more than 10,000 bps (100 %).
    /// @param totalBps The sum of the shares, in bps.
    error AssetRegistryUpstreamOver100Percent(uint256 totalBps);

    /// @notice The registrant does not own this parent and `licenseId` is not a valid DERIVE
    /// license for it held by the registrant.
    /// @param parentId The parent asset.
    /// @param licenseId The license offered for it.
    /// @param registrant The caller of `register`.
    error AssetRegistryParentNotLicensed(uint256 parentId, uint256 licenseId, address registrant);

    /// @notice The share passed to a licensed parent is below the minimum its license demands.
    /// @param parentId The parent asset.
    /// @param shareBps The share offered, in bps.
    /// @param minimumBps The license's minimum upstream share, in bps.
    error AssetRegistryShareBelowMinimum(uint256 parentId, uint16 shareBps, uint16 minimumBps);

    /// @notice A parent the registrant does not own was named, but no license gate is wired yet,
    /// so no license can vouch for it.
    /// @param parentId The parent asset.
    error AssetRegistryLicenseGateUnset(uint256 parentId);

    /// @notice The caller is neither the asset's owner nor approved for it (ERC-721 approval or
    /// operator).
    /// @param assetId The asset.
    /// @param caller The caller.
    error AssetRegistryNotAuthorized(uint256 assetId, address caller);

    /// @notice The license gate is wired already; wiring happens once.
    /// @param licenseGate The gate wired before.
    error AssetRegistryAlreadyWired(address licenseGate);

    /// @notice Only the deployment's wirer may wire the license gate.
    /// @param caller The caller.
    error AssetRegistryNotWirer(address caller);

    /// @notice The asset is already in the listing state asked for.
    /// @param assetId The asset.
    /// @param delisted The state asked for (true = delisted).
    error AssetRegistryListingUnchanged(uint256 assetId, bool delisted);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An asset was registered. Carries every stored field, plus the metadata URI and
    /// hash (which live in logs only), so the registry can be rebuilt from logs alone.
    /// @param assetId The new asset's id (= its ERC-721 token id).
    /// @param publisher The registrant, who received the token.
    /// @param contentRoot Root of the asset's file tree.
    /// @param kind What the asset is.
    /// @param contributorsRoot Root of the contributors Merkle-sum tree.
    /// @param totalWeight Sum of all contributor weights.
    /// @param upstreamBps Sum of the parents' shares, in bps of 10,000.
    /// @param parents The stored lineage edges.
    /// @param metadataURI Where the metadata document lives.
    /// @param metadataHash keccak256 of the metadata document's canonical bytes.
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

    /// @notice The asset's metadata moved (emitted with ERC-4906 MetadataUpdate).
    /// @param assetId The asset.
    /// @param metadataURI The new metadata URI.
    /// @param metadataHash keccak256 of the new metadata document's canonical bytes.
    event MetadataChanged(uint256 indexed assetId, string metadataURI, bytes32 metadataHash);

    /// @notice The asset was delisted or relisted (emitted with ERC-4906 MetadataUpdate).
    /// @param assetId The asset.
    /// @param delisted True when new license sales are now stopped.
    event ListingChanged(uint256 indexed assetId, bool delisted);

    /// @notice The license gate was wired (once).
    /// @param licenseGate The contract that now vouches for DERIVE licenses.
    event LicenseGateWired(address indexed licenseGate);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Mints a new asset to the caller. Content, contributors and parents are immutable.
    /// @param kind What the asset is.
    /// @param contentRoot Root of the asset's file tree (non-zero, not registered before).
    /// @param contributorsRoot Root of the contributors Merkle-sum tree (non-zero).
    /// @param totalWeight Sum of all contributor weights (non-zero).
    /// @param metadataURI Where the metadata document lives (logged, not stored).
    /// @param metadataHash keccak256 of the metadata document's canonical bytes (logged).
    /// @param parents At most MAX_PARENTS existing assets with their shares in bps; the shares
    /// add up to at most 10,000.
    /// @return assetId The new asset's id, one above the previous one.
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
    /// @param assetId The asset.
    /// @param metadataURI The new metadata URI.
    /// @param metadataHash keccak256 of the new metadata document's canonical bytes.
    function updateMetadata(uint256 assetId, string calldata metadataURI, bytes32 metadataHash)
        external;

    /// @notice Stops (or resumes) new license sales (owner or approved operator); sold licenses
    /// and claims are unaffected.
    /// @param assetId The asset.
    /// @param delisted True to stop new sales, false to resume them.
    function setDelisted(uint256 assetId, bool delisted) external;

    /// @notice One-time wiring of the license contract that vouches for DERIVE licenses
    /// (the deployment's wirer only).
    /// @param licenseGate The license contract.
    function wireLicenseGate(address licenseGate) external;

    /// @notice Runs several calls on the registry in one transaction, each as if the caller
    /// made it directly (e.g. many `register` calls). Reverts if any call reverts, with that
    /// call's error.
    /// @param data ABI-encoded calls to this contract.
    /// @return results Each call's ABI-encoded return data.
    function multicall(bytes[] calldata data) external returns (bytes[] memory results);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The most parents an asset may name.
    /// @return The bound (16).
    function MAX_PARENTS() external view returns (uint256);

    /// @notice The license contract that vouches for DERIVE licenses; zero until wired.
    /// @return The license gate.
    function licenseGate() external view returns (address);

    /// @notice How many assets exist; ids run from 1 to this number.
    /// @return The number of assets registered.
    function assetCount() external view returns (uint256);

    /// @notice The asset carrying a content root.
    /// @param contentRoot A content root.
    /// @return The asset id, or 0 when the root is not registered.
    function assetIdOf(bytes32 contentRoot) external view returns (uint256);

    /// @notice Everything stored about an asset.
    /// @param assetId The asset.
    /// @return The asset's stored fields and its owner.
    function asset(uint256 assetId) external view returns (AssetView memory);

    /// @notice The asset's lineage edges, in registration order.
    /// @param assetId The asset.
    /// @return The parents with their shares in bps and their own upstream shares.
    function parents(uint256 assetId) external view returns (Parent[] memory);

    /// @notice The share of every payment to the asset that flows to its parents.
    /// @param assetId The asset.
    /// @return The sum of the parents' shares, in bps of 10,000.
    function upstreamBps(uint256 assetId) external view returns (uint16);

    /// @notice The asset's contributors tree.
    /// @param assetId The asset.
    /// @return root Root of the contributors Merkle-sum tree.
    /// @return totalWeight Sum of all contributor weights.
    function contributors(uint256 assetId) external view returns (bytes32 root, uint96 totalWeight);

    /// @notice Whether new licenses for the asset may be sold.
    /// @param assetId The asset.
    /// @return False when the asset is delisted.
    function isListed(uint256 assetId) external view returns (bool);

    /// @notice True when `(path, sha256, size)` is a file of the asset's content tree.
    /// @param assetId The asset.
    /// @param path The file's path as in the manifest (relative, '/'-separated).
    /// @param sha256Digest SHA-256 of the file's bytes.
    /// @param size The file's size in bytes.
    /// @param proof Sibling hashes from the leaf up to the root.
    /// @return Whether the proof leads to the asset's content root.
    function verifyFile(
        uint256 assetId,
        string calldata path,
        bytes32 sha256Digest,
        uint64 size,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice True when `(account, weight)` is a leaf of the asset's contributors tree and the
    /// proof's sums add up to the registered total weight.
    /// @param assetId The asset.
    /// @param account The contributor.
    /// @param weight The contributor's weight.
    /// @param proof Sibling (hash, sum) pairs from the leaf up to the root.
    /// @return Whether the proof leads to the root and the registered total weight.
    function verifyContributor(
        uint256 assetId,
        address account,
        uint96 weight,
        SumNode[] calldata proof
    ) external view returns (bool);
}
