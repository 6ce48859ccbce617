// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {ILicenseGate} from "../interfaces/ILicenseGate.sol";
import {SeedbedMerkle} from "./libraries/SeedbedMerkle.sol";
import {AssetURI} from "./libraries/AssetURI.sol";

/// @title AssetRegistry
/// @notice ERC-721 registry of datasets and models: content root, contributors (Merkle-sum
/// root and total weight) and lineage, all immutable. Batch registration through `multicall`.
/// With MIN_COMMIT_AGE > 0 a registration is committed first and revealed later by the same
/// account, so a root seen in the mempool or hashed from public files cannot be taken.
/// @dev Storage is keyed by content root so that the uniqueness index and the packed record
/// share one slot: a registration writes four fresh slots (owner, id → root, record,
/// contributors root). Metadata URI and hash are mutable and read only off-chain, so they
/// live in the logs (AssetRegistered, MetadataChanged + ERC-4906) instead of storage.
contract AssetRegistry is IAssetRegistry, ERC721, IERC4906, Multicall {
    using SafeERC20 for IERC20;
    using TransientSlot for *;
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
    /// @inheritdoc IAssetRegistry
    address public immutable TREASURY;
    /// @inheritdoc IAssetRegistry
    uint32 public immutable MIN_COMMIT_AGE;
    /// @inheritdoc IAssetRegistry
    uint32 public immutable MAX_COMMIT_AGE;
    /// @dev The record keeps `commitLag` in 16 bits.
    uint256 internal constant MAX_COMMIT_WINDOW = type(uint16).max;
    /// @dev Prefix of a registration leaf: 0x00 and 0x01 are the trees' leaves and nodes.
    bytes1 internal constant REGISTRATION_LEAF = 0x02;
    uint8 internal constant STATUS_NONE = 0;
    uint8 internal constant STATUS_UPHELD = 2;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One slot: 40 + 40 + 16 + 16 + 16 + 8 + 8 + 8 + 8 + 96 = 256 bits. Ids fit 40 bits
    /// (10^12 registrations). `status` is the court's: 0 none, 1 disputed, 2 upheld (final).
    struct Record {
        uint40 id;
        uint40 createdAt;
        uint16 commitLag;
        uint16 upstreamBps;
        uint16 floorBps;
        Kind kind;
        uint8 parentCount;
        bool delisted;
        uint8 status;
        uint96 totalWeight;
    }

    mapping(bytes32 contentRoot => Record) internal _records;
    mapping(uint256 assetId => bytes32 contentRoot) internal _contentRoots;
    mapping(uint256 assetId => bytes32 contributorsRoot) internal _contributorsRoots;
    mapping(uint256 assetId => mapping(uint256 index => Parent)) internal _parents;
    /// @dev keccak(committer ‖ commitment) → block time; the key binds the committer, so
    /// nobody else can reveal a commitment or reset its time.
    mapping(bytes32 key => uint40 committedAt) internal _commitments;

    uint64 internal _lastId;
    /// @inheritdoc IAssetRegistry
    address public licenseGate;
    /// @inheritdoc IAssetRegistry
    address public court;

    constructor(address wirer, address treasury, uint32 minCommitAge, uint32 maxCommitAge)
        ERC721("Seedbed Asset", "SEED")
    {
        if (treasury == address(0)) revert AssetRegistryInvalidTreasury();
        if (maxCommitAge > MAX_COMMIT_WINDOW || (minCommitAge != 0 && minCommitAge >= maxCommitAge)) {
            revert AssetRegistryBadCommitAges(minCommitAge, maxCommitAge);
        }
        WIRER = wirer;
        TREASURY = treasury;
        MIN_COMMIT_AGE = minCommitAge;
        MAX_COMMIT_AGE = maxCommitAge;
    }

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetRegistry
    function register(
        Kind kind,
        bytes32 contentRoot,
        bytes32 salt,
        SumNode[] calldata top,
        string calldata metadataURI,
        bytes32 metadataHash,
        ParentLink[] calldata links
    ) external returns (uint256 assetId) {
        if (contentRoot == bytes32(0)) revert AssetRegistryEmptyContentRoot();
        (bytes32 peopleRoot, uint96 totalWeight) = _contributorsOf(top);
        Record storage rec = _records[contentRoot];
        if (rec.id != 0) revert AssetRegistryDuplicateContent(contentRoot, rec.id);
        uint256 lag = MIN_COMMIT_AGE == 0 ? 0 : _reveal(contentRoot, salt);
        uint256 n = links.length;
        if (n > MAX_PARENTS) revert AssetRegistryTooManyParents(n, MAX_PARENTS);

        // ids only grow and parents must already exist, so lineage can never form a cycle.
        unchecked {
            assetId = ++_lastId; // a uint40 id cannot be reached at one id per registration
        }
        Parent[] memory stored = new Parent[](n);
        uint256 upstream;
        uint256 floor;
        for (uint256 i; i < n; ++i) {
            uint256 f;
            (stored[i], f) = _checkParent(links, i);
            if (f > floor) floor = f;
            upstream += links[i].shareBps;
            _parents[assetId][i] = stored[i];
        }
        if (upstream > BPS) revert AssetRegistryUpstreamOver100Percent(upstream);

        rec.id = uint40(assetId);
        rec.createdAt = uint40(block.timestamp);
        rec.commitLag = uint16(lag); // ≤ MAX_COMMIT_AGE ≤ 65,535
        rec.upstreamBps = uint16(upstream);
        rec.floorBps = uint16(floor); // ≤ 10,000: each parent's share is ≥ what it requires
        rec.kind = kind;
        rec.parentCount = uint8(n);
        rec.totalWeight = totalWeight;
        _contentRoots[assetId] = contentRoot;
        _contributorsRoots[assetId] = peopleRoot;

        _mint(msg.sender, assetId);
        emit AssetRegistered(
            assetId,
            msg.sender,
            contentRoot,
            kind,
            peopleRoot,
            totalWeight,
            uint16(upstream),
            stored,
            metadataURI,
            metadataHash
        );
    }

    /// @inheritdoc IAssetRegistry
    function commit(bytes32 commitment) external {
        bytes32 key = _commitKey(msg.sender, commitment);
        uint40 at = _commitments[key];
        if (at != 0) revert AssetRegistryAlreadyCommitted(commitment, at);
        at = uint40(block.timestamp);
        _commitments[key] = at;
        emit Committed(msg.sender, commitment, at);
    }

    /// @inheritdoc IAssetRegistry
    function openCommitment(bytes32[] calldata leaves) external {
        uint40 at = _ripe(keccak256(abi.encodePacked(leaves)));
        // Transient: the leaves are open for this caller until the transaction ends.
        for (uint256 i; i < leaves.length; ++i) {
            _openSlot(msg.sender, leaves[i]).tstore(at);
        }
    }

    /// @inheritdoc IAssetRegistry
    function sweep(address currency) external returns (uint256 amount) {
        // The registry owes nothing to anyone, so its whole balance is a mistake.
        amount = currency == address(0) ? address(this).balance : IERC20(currency).balanceOf(address(this));
        if (amount == 0) revert AssetRegistryNothingToSweep(currency);
        emit Swept(currency, TREASURY, amount);
        if (currency == address(0)) {
            Address.sendValue(payable(TREASURY), amount);
        } else {
            IERC20(currency).safeTransfer(TREASURY, amount);
        }
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

    /// @inheritdoc IAssetRegistry
    function wireCourt(address court_) external {
        if (msg.sender != WIRER) revert AssetRegistryNotWirer(msg.sender);
        if (court != address(0)) revert AssetRegistryAlreadyWired(court);
        court = court_;
        emit CourtWired(court_);
    }

    /// @inheritdoc IAssetRegistry
    function setStatus(uint256 assetId, uint8 status_) external {
        if (msg.sender != court || court == address(0)) revert AssetRegistryNotCourt(msg.sender);
        if (status_ > STATUS_UPHELD) revert AssetRegistryBadStatus(status_);
        Record storage rec = _records[_contentRoots[assetId]];
        if (rec.id == 0 || rec.id != assetId) revert AssetRegistryUnknownAsset(assetId);
        rec.status = status_;
        emit StatusChanged(assetId, status_);
        emit MetadataUpdate(assetId);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetRegistry
    function committedAt(address committer, bytes32 commitment) external view returns (uint40) {
        return _commitments[_commitKey(committer, commitment)];
    }

    /// @inheritdoc IAssetRegistry
    function registrationLeaf(address committer, bytes32 contentRoot, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(REGISTRATION_LEAF, committer, contentRoot, salt));
    }

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
            delisted: rec.delisted,
            floorBps: rec.floorBps,
            commitLag: rec.commitLag,
            status: rec.status
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
    function contributorsRoot(uint256 assetId) external view returns (bytes32) {
        return _contributorsRoots[assetId];
    }

    /// @inheritdoc IAssetRegistry
    function isListed(uint256 assetId) external view returns (bool) {
        Record memory rec = _record(assetId, _contentRoots[assetId]);
        return !rec.delisted && rec.status == STATUS_NONE;
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

    /// @dev Validates link `i` (exists, non-zero share, not repeated, licensed when foreign,
    /// at least what the parent requires) and returns the stored edge with the parent's own
    /// upstream share, and the floor this edge sets on the new asset. A foreign parent's DERIVE
    /// license is used up here.
    function _checkParent(ParentLink[] calldata links, uint256 i)
        internal
        returns (Parent memory edge, uint256 floor)
    {
        ParentLink calldata link = links[i];
        uint256 pid = link.assetId;
        Record memory prec = _record(pid, _contentRoots[pid]);
        // A disputed or taken-down asset cannot gain derivatives (its licenses stop selling too).
        if (prec.status != STATUS_NONE) revert AssetRegistryParentDisputed(pid, prec.status);
        uint256 share = link.shareBps;
        if (share == 0) revert AssetRegistryZeroShare(pid);
        for (uint256 j; j < i; ++j) {
            if (links[j].assetId == pid) revert AssetRegistryDuplicateParent(pid);
        }
        uint256 required = prec.floorBps;
        if (_ownerOf(pid) != msg.sender) {
            address gate = licenseGate;
            if (gate == address(0)) revert AssetRegistryLicenseGateUnset(pid);
            // The gate is the deployment's own LicenseToken, wired once by the wirer.
            (bool ok, uint16 minBps) = ILicenseGate(gate).useDerive(link.licenseId, msg.sender, pid);
            if (!ok) revert AssetRegistryParentNotLicensed(pid, link.licenseId, msg.sender);
            if (minBps > required) required = minBps;
        }
        if (share < required) revert AssetRegistryShareBelowMinimum(pid, uint16(share), uint16(required));
        // An ancestor reached through this edge gets share × (its part of the parent) / 10,000
        // of every later payment; a child passing ≥ ceil(required × 10,000 / share) keeps
        // that ≥ required, and by induction along every path.
        floor = (required * BPS + share - 1) / share;
        edge = Parent({assetId: uint64(pid), shareBps: uint16(share), upstreamBps: prec.upstreamBps});
    }

    /// @dev The contributors root and total weight from the root's preimage: the total is
    /// then the tree's sum by construction.
    function _contributorsOf(SumNode[] calldata top) internal pure returns (bytes32 root, uint96 total) {
        uint256 sum;
        if (top.length == 2) {
            uint256 s0 = top[0].sum;
            uint256 s1 = top[1].sum;
            // Each part below 2^96 first, so the sum cannot overflow into a panic.
            if (s0 >= 1 << 96 || s1 >= 1 << 96) revert AssetRegistryWeightTooLarge(s0 > s1 ? s0 : s1);
            (root, sum) = SeedbedMerkle.contributorParent(top[0].hash, s0, top[1].hash, s1);
        } else if (top.length == 1) {
            uint256 raw = uint256(top[0].hash);
            if (raw > type(uint160).max) revert AssetRegistryBadContributorsTop(1);
            if (raw == 0) revert AssetRegistryZeroContributor();
            sum = top[0].sum;
            if (sum >= 1 << 96) revert AssetRegistryWeightTooLarge(sum);
            root = SeedbedMerkle.contributorLeaf(address(uint160(raw)), uint96(sum));
        } else {
            revert AssetRegistryBadContributorsTop(top.length);
        }
        if (sum == 0) revert AssetRegistryNoContributors(root, 0);
        if (sum >= 1 << 96) revert AssetRegistryWeightTooLarge(sum);
        total = uint96(sum);
    }

    /// @dev The registration's leaf must be open (a batch) or committed alone by the caller,
    /// aged MIN..MAX. Returns the commitment's age. The commitment is kept: it is the
    /// committer's evidence if someone else reveals the same root first.
    function _reveal(bytes32 contentRoot, bytes32 salt) internal returns (uint256 lag) {
        bytes32 leaf = registrationLeaf(msg.sender, contentRoot, salt);
        TransientSlot.Uint256Slot open = _openSlot(msg.sender, leaf);
        uint256 at = open.tload();
        if (at != 0) {
            open.tstore(0); // one registration per opened leaf
        } else {
            at = _ripe(keccak256(abi.encodePacked(leaf)));
        }
        lag = block.timestamp - at;
    }

    /// @dev The caller's commitment, which must be aged MIN..MAX now.
    function _ripe(bytes32 commitment) internal view returns (uint40 at) {
        at = _commitments[_commitKey(msg.sender, commitment)];
        if (at == 0) revert AssetRegistryNotCommitted(msg.sender, commitment);
        if (block.timestamp < uint256(at) + MIN_COMMIT_AGE) {
            revert AssetRegistryCommitmentTooYoung(commitment, uint256(at) + MIN_COMMIT_AGE);
        }
        if (block.timestamp > uint256(at) + MAX_COMMIT_AGE) {
            revert AssetRegistryCommitmentExpired(commitment, uint256(at) + MAX_COMMIT_AGE);
        }
    }

    function _commitKey(address committer, bytes32 commitment) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(committer, commitment));
    }

    function _openSlot(address committer, bytes32 leaf) internal pure returns (TransientSlot.Uint256Slot) {
        return keccak256(abi.encodePacked("seedbed.registry.open", committer, leaf)).asUint256();
    }
}
