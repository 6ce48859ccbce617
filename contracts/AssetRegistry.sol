// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {ILicenseGate} from "../interfaces/ILicenseGate.sol";
import {SeedbedMerkle} from "./libraries/SeedbedMerkle.sol";
import {AssetURI} from "./libraries/AssetURI.sol";

/// @title AssetRegistry
/// @notice ERC-721 registry of datasets and models: content root, contributors (Merkle-sum
/// root and total weight) and lineage, all immutable. Batch registration through `multicall`.
/// @dev Storage is keyed by content root so that the uniqueness index and the packed record
/// share one slot: a registration writes four fresh slots (owner, id → root, record,
/// contributors root). Metadata URI and hash are mutable and read only off-chain, so they
/// live in the logs (AssetRegistered, MetadataChanged + ERC-4906) instead of storage.
contract AssetRegistry is IAssetRegistry, ERC721, IERC4906, Multicall {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetRegistry
    uint256 public constant MAX_PARENTS = 16;
    uint16 internal constant BPS = 10_000;
    /// @dev ERC-4906 (metadata update events) has no functions, so `type(IERC4906).interfaceId`
    /// would be 0: the standard fixes its id as this value.
    bytes4 internal constant ERC4906_INTERFACE_ID = 0x49064906;

    /// @notice The account allowed to wire the license gate, once.
    address public immutable WIRER;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One slot: 64 + 40 + 16 + 8 + 8 + 8 + 96 = 240 bits.
    struct Record {
        uint64 id;
        uint40 createdAt;
        uint16 upstreamBps;
        Kind kind;
        uint8 parentCount;
        bool delisted;
        uint96 totalWeight;
    }

    mapping(bytes32 contentRoot => Record) internal _records;
    mapping(uint256 assetId => bytes32 contentRoot) internal _contentRoots;
    mapping(uint256 assetId => bytes32 contributorsRoot) internal _contributorsRoots;
    mapping(uint256 assetId => mapping(uint256 index => Parent)) internal _parents;

    uint64 internal _lastId;
    /// @inheritdoc IAssetRegistry
    address public licenseGate;

    constructor(address wirer) ERC721("Seedbed Asset", "SEED") {
        WIRER = wirer;
    }

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetRegistry
    function register(
        Kind kind,
        bytes32 contentRoot,
        bytes32 contributorsRoot,
        uint96 totalWeight,
        string calldata metadataURI,
        bytes32 metadataHash,
        ParentLink[] calldata links
    ) external returns (uint256 assetId) {
        if (contentRoot == bytes32(0)) revert AssetRegistryEmptyContentRoot();
        if (contributorsRoot == bytes32(0) || totalWeight == 0) {
            revert AssetRegistryNoContributors(contributorsRoot, totalWeight);
        }
        Record storage rec = _records[contentRoot];
        if (rec.id != 0) revert AssetRegistryDuplicateContent(contentRoot, rec.id);
        uint256 n = links.length;
        if (n > MAX_PARENTS) revert AssetRegistryTooManyParents(n, MAX_PARENTS);

        // ids only grow and parents must already exist, so lineage can never form a cycle.
        unchecked {
            assetId = ++_lastId; // a uint64 counter cannot wrap at one id per registration
        }
        Parent[] memory stored = new Parent[](n);
        uint256 upstream;
        for (uint256 i; i < n; ++i) {
            stored[i] = _checkParent(links, i);
            upstream += links[i].shareBps;
            _parents[assetId][i] = stored[i];
        }
        if (upstream > BPS) revert AssetRegistryUpstreamOver100Percent(upstream);

        rec.id = uint64(assetId);
        rec.createdAt = uint40(block.timestamp);
        rec.upstreamBps = uint16(upstream);
        rec.kind = kind;
        rec.parentCount = uint8(n);
        rec.totalWeight = totalWeight;
        _contentRoots[assetId] = contentRoot;
        _contributorsRoots[assetId] = contributorsRoot;

        _mint(msg.sender, assetId);
        emit AssetRegistered(
            assetId,
            msg.sender,
            contentRoot,
            kind,
            contributorsRoot,
            totalWeight,
            uint16(upstream),
            stored,
            metadataURI,
            metadataHash
        );
    }

    /// @inheritdoc IAssetRegistry
    function updateMetadata(uint256 assetId, string calldata metadataURI, bytes32 metadataHash)
        external
    {
        _requireAuthorized(assetId);
        emit MetadataChanged(assetId, metadataURI, metadataHash);
        emit MetadataUpdate(assetId);
    }

    /// @inheritdoc IAssetRegistry
    function setDelisted(uint256 assetId, bool delisted) external {
        _requireAuthorized(assetId);
        Record storage rec = _records[_contentRoots[assetId]];
        if (rec.delisted == delisted) revert AssetRegistryListingUnchanged(assetId, delisted);
        rec.delisted = delisted;
        emit ListingChanged(assetId, delisted);
        emit MetadataUpdate(assetId);
    }

    /// @inheritdoc IAssetRegistry
    function wireLicenseGate(address gate) external {
        if (msg.sender != WIRER) revert AssetRegistryNotWirer(msg.sender);
        if (licenseGate != address(0)) revert AssetRegistryAlreadyWired(licenseGate);
        licenseGate = gate;
        emit LicenseGateWired(gate);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetRegistry
    function assetCount() external view returns (uint256) {
        return _lastId;
    }

    /// @inheritdoc IAssetRegistry
    function assetIdOf(bytes32 contentRoot) external view returns (uint256) {
        return _records[contentRoot].id;
    }

    /// @inheritdoc IAssetRegistry
    function asset(uint256 assetId) public view returns (AssetView memory v) {
        bytes32 root = _contentRoots[assetId];
        Record memory rec = _record(assetId, root);
        v = AssetView({
            owner: _ownerOf(assetId),
            kind: rec.kind,
            contentRoot: root,
            contributorsRoot: _contributorsRoots[assetId],
            totalWeight: rec.totalWeight,
            upstreamBps: rec.upstreamBps,
            parentCount: rec.parentCount,
            createdAt: rec.createdAt,
            delisted: rec.delisted
        });
    }

    /// @inheritdoc IAssetRegistry
    function parents(uint256 assetId) external view returns (Parent[] memory list) {
        Record memory rec = _record(assetId, _contentRoots[assetId]);
        list = new Parent[](rec.parentCount);
        for (uint256 i; i < list.length; ++i) {
            list[i] = _parents[assetId][i];
        }
    }

    /// @inheritdoc IAssetRegistry
    function upstreamBps(uint256 assetId) external view returns (uint16) {
        return _record(assetId, _contentRoots[assetId]).upstreamBps;
    }

    /// @inheritdoc IAssetRegistry
    function contributors(uint256 assetId) external view returns (bytes32 root, uint96 totalWeight) {
        totalWeight = _record(assetId, _contentRoots[assetId]).totalWeight;
        root = _contributorsRoots[assetId];
    }

    /// @inheritdoc IAssetRegistry
    function isListed(uint256 assetId) external view returns (bool) {
        return !_record(assetId, _contentRoots[assetId]).delisted;
    }

    /// @inheritdoc IAssetRegistry
    function verifyFile(
        uint256 assetId,
        string calldata path,
        bytes32 sha256Digest,
        uint64 size,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _contentRoots[assetId];
        _record(assetId, root);
        return SeedbedMerkle.fileRoot(SeedbedMerkle.fileLeaf(path, sha256Digest, size), proof) == root;
    }

    /// @inheritdoc IAssetRegistry
    function verifyContributor(
        uint256 assetId,
        address account,
        uint96 weight,
        SumNode[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _contentRoots[assetId];
        uint96 total = _record(assetId, root).totalWeight;
        (bytes32 h, uint256 sum) =
            SeedbedMerkle.contributorRoot(SeedbedMerkle.contributorLeaf(account, weight), weight, proof);
        return h == _contributorsRoots[assetId] && sum == total;
    }

    /// @inheritdoc IAssetRegistry
    function multicall(bytes[] calldata data)
        public
        override(IAssetRegistry, Multicall)
        returns (bytes[] memory results)
    {
        return super.multicall(data);
    }

    /// @notice On-chain JSON stating the asset's provable facts (wallet-readable).
    function tokenURI(uint256 assetId) public view override returns (string memory) {
        return AssetURI.render(assetId, asset(assetId));
    }

    /// @notice ERC-165: ERC-721, ERC-721 Metadata and ERC-4906 (0x49064906).
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, IERC165)
        returns (bool)
    {
        return interfaceId == ERC4906_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _record(uint256 assetId, bytes32 root) internal view returns (Record memory rec) {
        rec = _records[root];
        if (root == bytes32(0) || rec.id != assetId) revert AssetRegistryUnknownAsset(assetId);
    }

    /// @dev An unknown id fails with AssetRegistryUnknownAsset, as in every view, not with
    /// ERC-721's NonexistentToken.
    function _requireAuthorized(uint256 assetId) internal view {
        _record(assetId, _contentRoots[assetId]);
        address owner = _ownerOf(assetId);
        if (!_isAuthorized(owner, msg.sender, assetId)) {
            revert AssetRegistryNotAuthorized(assetId, msg.sender);
        }
    }

    /// @dev Validates link `i` (exists, non-zero share, not repeated, licensed when foreign)
    /// and returns the stored edge with the parent's own upstream share.
    function _checkParent(ParentLink[] calldata links, uint256 i) internal view returns (Parent memory) {
        ParentLink calldata link = links[i];
        uint256 pid = link.assetId;
        Record memory prec = _record(pid, _contentRoots[pid]);
        if (link.shareBps == 0) revert AssetRegistryZeroShare(pid);
        for (uint256 j; j < i; ++j) {
            if (links[j].assetId == pid) revert AssetRegistryDuplicateParent(pid);
        }
        if (_ownerOf(pid) != msg.sender) {
            address gate = licenseGate;
            if (gate == address(0)) revert AssetRegistryLicenseGateUnset(pid);
            (bool ok, uint16 minBps) = ILicenseGate(gate).checkDerive(link.licenseId, msg.sender, pid);
            if (!ok) revert AssetRegistryParentNotLicensed(pid, link.licenseId, msg.sender);
            if (link.shareBps < minBps) revert AssetRegistryShareBelowMinimum(pid, link.shareBps, minBps);
        }
        return Parent({assetId: uint64(pid), shareBps: link.shareBps, upstreamBps: prec.upstreamBps});
    }
}
