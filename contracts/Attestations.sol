// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {IAttestations} from "../interfaces/IAttestations.sol";
import {SeedbedMerkle} from "./libraries/SeedbedMerkle.sol";

/// @title Attestations
/// @notice Anchors of validators' off-chain quality attestations, their revocations,
/// validator sets and the certificates an offer's requirement reads (see IAttestations).
/// An anchor is one storage write whatever the number of attestations it holds; a
/// certificate is one attestation proven into an anchor, re-checked live by `satisfied`
/// (expiry and revocation are read at every use, never cached).
/// @dev Reads the registry (content roots) and writes nothing elsewhere. No owner, no money.
contract Attestations is IAttestations {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestations
    string public constant SCHEMA =
        "bytes32 contentRoot,uint256 assetId,bool passed,uint16 labelNoiseBps,uint32 duplicateFiles,bool croissantValid,bytes32 methodHash";
    /// @inheritdoc IAttestations
    bytes32 public constant SCHEMA_UID = keccak256(abi.encodePacked(SCHEMA, address(0), true));
    /// @inheritdoc IAttestations
    uint256 public constant MAX_SET_SIZE = 16;
    /// @inheritdoc IAttestations
    uint256 public constant MAX_BATCH = 256;
    /// @dev EAS off-chain attestation version 2 (salted UID).
    uint16 internal constant OFFCHAIN_VERSION = 2;
    /// @dev SCHEMA's seven static fields, abi-encoded.
    uint256 internal constant DATA_LENGTH = 7 * 32;

    /// @inheritdoc IAttestations
    IAssetRegistry public immutable REGISTRY;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    mapping(address validator => mapping(bytes32 root => uint64 anchoredAt)) internal _anchors;
    mapping(address revoker => mapping(bytes32 uid => uint64 revokedAt)) internal _revocations;
    /// @dev Two slots: uid, then expirationTime, time and the verdict packed.
    mapping(address validator => mapping(uint256 assetId => Certificate)) internal _certificates;
    mapping(uint64 setId => ValidatorSet) internal _sets;
    mapping(address validator => uint64 retiredAt) internal _retired;
    /// @inheritdoc IAttestations
    uint64 public setCount;

    constructor(IAssetRegistry registry) {
        REGISTRY = registry;
    }

    /*//////////////////////////////////////////////////////////////
                            ANCHORS, REVOCATIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestations
    function anchor(bytes32 root, uint32 count) external {
        if (root == bytes32(0) || count == 0) revert AttestationsEmptyAnchor(root, count);
        // No retirement check: one SSTORE stays the whole cost, and a retired validator's
        // anchors certify nothing (certify checks, liveCount skips).
        uint64 at = _anchors[msg.sender][root];
        if (at != 0) revert AttestationsAlreadyAnchored(msg.sender, root, at);
        _anchors[msg.sender][root] = uint64(block.timestamp);
        emit Anchored(msg.sender, root, count);
    }

    /// @inheritdoc IAttestations
    function revokeOffchain(bytes32 uid) external returns (uint64 timestamp) {
        timestamp = uint64(block.timestamp);
        _revoke(uid, timestamp);
    }

    /// @inheritdoc IAttestations
    function multiRevokeOffchain(bytes32[] calldata uids) external returns (uint64 timestamp) {
        uint256 n = uids.length;
        if (n == 0 || n > MAX_BATCH) revert AttestationsBadBatch(n, MAX_BATCH);
        timestamp = uint64(block.timestamp);
        for (uint256 i; i < n; ++i) {
            _revoke(uids[i], timestamp);
        }
    }

    function _revoke(bytes32 uid, uint64 timestamp) internal {
        uint64 at = _revocations[msg.sender][uid];
        if (at != 0) revert AttestationsAlreadyRevoked(msg.sender, uid, at);
        _revocations[msg.sender][uid] = timestamp;
        emit RevokedOffchain(msg.sender, uid, timestamp);
    }

    /*//////////////////////////////////////////////////////////////
                          SETS AND CERTIFICATES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestations
    function createSet(address[] calldata validators, uint8 threshold) external returns (uint64 setId) {
        uint256 n = validators.length;
        if (n == 0 || n > MAX_SET_SIZE || threshold == 0 || threshold > n) revert AttestationsBadSet(n, threshold);
        // Strictly ascending: no zero address (the first must exceed it) and no repeats.
        address prev = address(0);
        for (uint256 i; i < n; ++i) {
            if (validators[i] <= prev) revert AttestationsBadSet(n, threshold);
            prev = validators[i];
        }
        unchecked {
            setId = ++setCount; // one per transaction at least: a uint64 cannot wrap
        }
        ValidatorSet storage s = _sets[setId];
        s.validators = validators;
        s.threshold = threshold;
        s.creator = msg.sender;
        emit ValidatorSetCreated(setId, msg.sender, threshold, validators);
    }

    /// @inheritdoc IAttestations
    function certify(uint256 assetId, address validator, Offchain calldata att, bytes32[] calldata proof)
        external
        returns (bytes32 uid)
    {
        if (att.schema != SCHEMA_UID || !att.revocable) revert AttestationsWrongSchema(att.schema, att.revocable);
        if (att.data.length != DATA_LENGTH) revert AttestationsBadData(att.data.length);
        _requireActive(validator);
        (bytes32 contentRoot, uint256 subject, bool passed) = abi.decode(att.data[:96], (bytes32, uint256, bool));
        // Reverts AssetRegistryUnknownAsset for an id never registered.
        bytes32 registered = REGISTRY.asset(assetId).contentRoot;
        if (subject != assetId || contentRoot != registered) revert AttestationsWrongSubject(assetId, registered);
        if (att.time > block.timestamp || (att.expirationTime != 0 && att.expirationTime <= block.timestamp)) {
            revert AttestationsNotCurrent(att.time, att.expirationTime, block.timestamp);
        }
        uid = offchainUID(att);
        bytes32 root = SeedbedMerkle.fileRoot(keccak256(abi.encodePacked(bytes1(0x00), uid)), proof);
        if (_anchors[validator][root] == 0) revert AttestationsNotAnchored(validator, root);
        if (_revocations[validator][uid] != 0) revert AttestationsRevoked(validator, uid);
        Certificate storage c = _certificates[validator][assetId];
        if (c.uid != bytes32(0) && att.time <= c.time) revert AttestationsNotNewer(validator, assetId, c.time);
        // A fail replaces a pass too: the validator's latest verdict is the one that stands.
        c.uid = uid;
        c.expirationTime = att.expirationTime;
        c.time = att.time;
        c.passed = passed;
        emit Certified(assetId, validator, uid, root, att.expirationTime, passed);
    }

    /// @inheritdoc IAttestations
    function retire() external {
        _requireActive(msg.sender);
        uint64 at = uint64(block.timestamp);
        _retired[msg.sender] = at;
        emit ValidatorRetired(msg.sender, at);
    }

    function _requireActive(address validator) internal view {
        uint64 at = _retired[validator];
        if (at != 0) revert AttestationsRetired(validator, at);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestations
    function anchoredAt(address validator, bytes32 root) external view returns (uint64) {
        return _anchors[validator][root];
    }

    /// @inheritdoc IAttestations
    function getRevokeOffchain(address revoker, bytes32 uid) external view returns (uint64) {
        return _revocations[revoker][uid];
    }

    /// @inheritdoc IAttestations
    function retiredAt(address validator) external view returns (uint64) {
        return _retired[validator];
    }

    /// @inheritdoc IAttestations
    function certificate(address validator, uint256 assetId) external view returns (Certificate memory) {
        return _certificates[validator][assetId];
    }

    /// @inheritdoc IAttestations
    function validatorSet(uint64 setId) external view returns (ValidatorSet memory) {
        return _set(setId);
    }

    /// @inheritdoc IAttestations
    function liveCount(uint64 setId, uint256 assetId) public view returns (uint256 live) {
        ValidatorSet storage s = _set(setId);
        uint256 need = s.threshold;
        uint256 n = s.validators.length; // at most MAX_SET_SIZE
        for (uint256 i; i < n && live < need; ++i) {
            address v = s.validators[i];
            Certificate storage c = _certificates[v][assetId];
            bytes32 uid = c.uid;
            if (uid == bytes32(0) || !c.passed) continue;
            uint64 expiry = c.expirationTime;
            if (expiry != 0 && expiry <= block.timestamp) continue;
            if (_revocations[v][uid] != 0 || _retired[v] != 0) continue;
            ++live;
        }
    }

    /// @inheritdoc IAttestations
    function satisfied(uint64 setId, uint256 assetId) external view returns (bool) {
        return liveCount(setId, assetId) >= _sets[setId].threshold;
    }

    /// @inheritdoc IAttestations
    function offchainUID(Offchain calldata att) public pure returns (bytes32) {
        // EAS hashes the schema UID's 0x-prefixed lowercase hex *string*, not its 32 bytes.
        return keccak256(
            abi.encodePacked(
                OFFCHAIN_VERSION,
                _hexString(att.schema),
                att.recipient,
                address(0),
                att.time,
                att.expirationTime,
                att.revocable,
                att.refUID,
                att.data,
                att.salt,
                uint32(0)
            )
        );
    }

    function _set(uint64 setId) internal view returns (ValidatorSet storage s) {
        s = _sets[setId];
        if (s.threshold == 0) revert AttestationsUnknownSet(setId);
    }

    function _hexString(bytes32 value) internal pure returns (bytes memory out) {
        bytes16 digits = "0123456789abcdef";
        out = new bytes(66);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < 32; ++i) {
            uint8 b = uint8(value[i]);
            out[2 + 2 * i] = digits[b >> 4];
            out[3 + 2 * i] = digits[b & 0x0f];
        }
    }
}
