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
    /// `upstreamBps` is the sum of the parents' shares, in bps of 10,000. `floorBps` is the
    /// least share a derivative must pass to this asset so that every ancestor's minimum still
    /// holds through it (see `register`). `commitLag` is how many seconds the registration's
    /// commitment was older than the registration (0 when none was needed). `status` is set by
    /// the deployment's court: 0 = none, 1 = disputed (no sales, no new derivatives, incoming
    /// revenue held aside by the vault), 2 = upheld (taken down, final).
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
        uint16 floorBps;
        uint16 commitLag;
        uint8 status;
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

    /// @notice The share passed to a parent is below what it requires: the larger of its
    /// license's minimum (for a parent the registrant does not own) and the parent's floor
    /// (what its own ancestors' minimums require through it).
    /// @param parentId The parent asset.
    /// @param shareBps The share offered, in bps.
    /// @param minimumBps The required share, in bps.
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

    /// @notice The license gate (or the court) is wired already; wiring happens once.
    /// @param licenseGate The address wired before.
    error AssetRegistryAlreadyWired(address licenseGate);

    /// @notice Only the deployment's court may set an asset's dispute status.
    /// @param caller The caller.
    error AssetRegistryNotCourt(address caller);

    /// @notice A dispute status above 2 (upheld) was given.
    /// @param status The status given.
    error AssetRegistryBadStatus(uint8 status);

    /// @notice A parent under dispute (status 1) or taken down (status 2) cannot be named.
    /// @param parentId The parent asset.
    /// @param status Its status.
    error AssetRegistryParentDisputed(uint256 parentId, uint8 status);

    /// @notice Only the deployment's wirer may wire the license gate and the court.
    /// @param caller The caller.
    error AssetRegistryNotWirer(address caller);

    /// @notice `top` is not a contributors root preimage: it must hold one leaf (account,
    /// weight) or the root's two children.
    /// @param length The number of entries given.
    error AssetRegistryBadContributorsTop(uint256 length);

    /// @notice The contributors' weights add up to 2^96 or more, which the record cannot hold.
    /// @param totalWeight The sum the preimage names.
    error AssetRegistryWeightTooLarge(uint256 totalWeight);

    /// @notice A one-contributor tree names the zero address, whose share nobody could claim.
    error AssetRegistryZeroContributor();

    /// @notice The treasury, where mistaken transfers are swept, cannot be the zero address.
    error AssetRegistryInvalidTreasury();

    /// @notice The commitment windows are invalid: max must be ≤ 65,535 s and above min
    /// (or min 0, commitments off).
    /// @param minAge The minimum age asked for, in seconds.
    /// @param maxAge The maximum age asked for, in seconds.
    error AssetRegistryBadCommitAges(uint256 minAge, uint256 maxAge);

    /// @notice The caller has no commitment to this registration (commit it first; only the
    /// committer can reveal it).
    /// @param committer The caller.
    /// @param commitment The commitment the registration implies.
    error AssetRegistryNotCommitted(address committer, bytes32 commitment);

    /// @notice The commitment is younger than MIN_COMMIT_AGE.
    /// @param commitment The commitment.
    /// @param readyAt The first unix time it can be revealed.
    error AssetRegistryCommitmentTooYoung(bytes32 commitment, uint256 readyAt);

    /// @notice The commitment is older than MAX_COMMIT_AGE; commit again with a new salt.
    /// @param commitment The commitment.
    /// @param expiredAt The unix time after which it could no longer be revealed.
    error AssetRegistryCommitmentExpired(bytes32 commitment, uint256 expiredAt);

    /// @notice The caller committed this value before; a commitment's time is never reset.
    /// @param commitment The commitment.
    /// @param committedAt When it was first committed.
    error AssetRegistryAlreadyCommitted(bytes32 commitment, uint40 committedAt);

    /// @notice The registry holds none of this currency (it never holds money; `sweep` returns
    /// what was sent to it by mistake).
    /// @param currency The token (or 0 for ETH).
    error AssetRegistryNothingToSweep(address currency);

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

    /// @notice An account committed to registrations it will reveal later.
    /// @param committer The account; only it can reveal.
    /// @param commitment keccak of one registration leaf, or of several packed.
    /// @param committedAt The block time of the commitment.
    event Committed(address indexed committer, bytes32 indexed commitment, uint40 committedAt);

    /// @notice Tokens (or ETH) sent to the registry by mistake went to the treasury.
    /// @param currency The token (or 0 for ETH).
    /// @param treasury Where they went.
    /// @param amount How much.
    event Swept(address indexed currency, address indexed treasury, uint256 amount);

    /// @notice The license gate was wired (once).
    /// @param licenseGate The contract that now vouches for DERIVE licenses.
    event LicenseGateWired(address indexed licenseGate);

    /// @notice The court was wired (once).
    event CourtWired(address indexed court);

    /// @notice The court set an asset's dispute status (0 none, 1 disputed, 2 upheld).
    event StatusChanged(uint256 indexed assetId, uint8 status);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Records the caller's commitment to registrations it will reveal between
    /// MIN_COMMIT_AGE and MAX_COMMIT_AGE seconds later. The first commitment of a value wins;
    /// it is kept after the reveal as evidence.
    /// @param commitment keccak(registrationLeaf) for one asset, keccak(leaf₁ ‖ … ‖ leafₙ)
    /// for a batch revealed with `openCommitment`.
    function commit(bytes32 commitment) external;

    /// @notice Opens a batch commitment of the caller for the rest of this transaction: the
    /// first call of a `multicall` whose other calls `register` each leaf.
    /// @param leaves The registration leaves, in the order committed.
    function openCommitment(bytes32[] calldata leaves) external;

    /// @notice Mints a new asset to the caller. Content, contributors and parents are immutable.
    /// When MIN_COMMIT_AGE > 0, the registration must have been committed by the caller
    /// (leaf = registrationLeaf(caller, contentRoot, salt)), so nobody who sees it pending can
    /// take it.
    /// Every ancestor's minimum holds along the whole lineage: each parent must receive at least
    /// max(its license minimum, its floorBps), and the new asset's floor is the largest
    /// ceil(required × 10,000 / share) over its parents.
    /// @param kind What the asset is.
    /// @param contentRoot Root of the asset's file tree (non-zero, not registered before).
    /// @param salt The secret of the registration's commitment (ignored when commitments are off).
    /// @param top The contributors root's preimage: its two children (hash, sum), or for a
    /// one-contributor tree `(bytes32(uint160(account)), weight)`. The total weight is their
    /// sum, so it always equals the tree's.
    /// @param metadataURI Where the metadata document lives (logged, not stored).
    /// @param metadataHash keccak256 of the metadata document's canonical bytes (logged).
    /// @param parents At most MAX_PARENTS existing assets with their shares in bps; the shares
    /// add up to at most 10,000.
    /// @return assetId The new asset's id, one above the previous one.
    function register(
        Kind kind,
        bytes32 contentRoot,
        bytes32 salt,
        SumNode[] calldata top,
        string calldata metadataURI,
        bytes32 metadataHash,
        ParentLink[] calldata parents
    ) external returns (uint256 assetId);

    /// @notice Sends the registry's whole balance of a currency, which can only have arrived
    /// by mistake, to the treasury. Anyone may call.
    /// @param currency The token (or 0 for ETH).
    /// @return amount What was sent.
    function sweep(address currency) external returns (uint256 amount);

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

    /// @notice Wires the deployment's AssetCourt, once; only the wirer.
    function wireCourt(address court) external;

    /// @notice Sets an asset's dispute status; only the court. While it is not 0 the asset is
    /// not listed (no license sells) and cannot be named as a parent.
    function setStatus(uint256 assetId, uint8 status) external;

    /// @notice Runs several calls on the registry in one transaction, each as if the caller
    /// made it directly (e.g. many `register` calls). Reverts if any call reverts, with that
    /// call's error.
    /// @param data ABI-encoded calls to this contract.
    /// @return results Each call's ABI-encoded return data.
    function multicall(bytes[] calldata data) external returns (bytes[] memory results);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Seconds a commitment must wait before its reveal (0: commitments are off and
    /// `register` is one transaction).
    /// @return The minimum age.
    function MIN_COMMIT_AGE() external view returns (uint32);

    /// @notice Seconds after which a commitment can no longer be revealed.
    /// @return The maximum age.
    function MAX_COMMIT_AGE() external view returns (uint32);

    /// @notice Where `sweep` sends what was sent to the registry by mistake.
    /// @return The treasury.
    function TREASURY() external view returns (address);

    /// @notice When an account committed a value.
    /// @param committer The account.
    /// @param commitment The commitment.
    /// @return The block time of the commitment, or 0 when there is none.
    function committedAt(address committer, bytes32 commitment) external view returns (uint40);

    /// @notice The leaf of one registration: keccak(0x02 ‖ committer ‖ contentRoot ‖ salt). The
    /// committer is inside the leaf, so another account that copies a public commitment holds a
    /// commitment to a leaf it cannot reveal.
    /// @param committer The account that commits and reveals.
    /// @param contentRoot The content root to register.
    /// @param salt A secret that hides which root is coming.
    /// @return The leaf.
    function registrationLeaf(address committer, bytes32 contentRoot, bytes32 salt)
        external
        pure
        returns (bytes32);

    /// @notice The most parents an asset may name.
    /// @return The bound (16).
    function MAX_PARENTS() external view returns (uint256);

    /// @notice The license contract that vouches for DERIVE licenses; zero until wired.
    /// @return The license gate.
    function licenseGate() external view returns (address);

    /// @notice The wired AssetCourt (0 until wired).
    function court() external view returns (address);

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

    /// @notice The root of the asset's contributors tree alone (one storage read, for claims;
    /// every valid proof's sums add up to the total weight this root commits to).
    /// @param assetId The asset.
    /// @return The root, or zero for an id that was never registered.
    function contributorsRoot(uint256 assetId) external view returns (bytes32);

    /// @notice Whether new licenses for the asset may be sold.
    /// @param assetId The asset.
    /// @return False when the asset is delisted by its owner, or disputed or taken down.
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

    /// @notice True when `(account, weight)` is a leaf of the asset's contributors tree (the
    /// proof's sums then add up to the registered total weight, which the root commits to).
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
