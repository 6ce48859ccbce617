// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "./IAssetRegistry.sol";

/// @title Seedbed validator attestations
/// @notice Validators check an asset off chain (re-hash against its content root, duplicates
/// across registered assets, Croissant validity, label noise) and sign a quality attestation
/// in the Ethereum Attestation Service's off-chain format (version 2: EIP-712 "Attest",
/// salted UID), so EAS tools read it. Here a validator anchors a Merkle root of any number of
/// its attestations' UIDs in one transaction (`anchor`), and revokes any of them
/// (`revokeOffchain`, EAS's name and event). Anyone may then `certify` an asset with one
/// anchored attestation: the contract recomputes the UID from the attestation's fields, checks
/// its proof into a root that validator anchored, and that its data names the asset's
/// registered content root, with its verdict: a pass counts, and a validator's later fail
/// replaces (withdraws) its earlier pass. A validator whose key is lost or leaked `retire`s,
/// for good: its certificates count for nothing from then on. A validator set (`createSet`,
/// immutable) names up to
/// MAX_SET_SIZE validators and how many must hold a live certificate (`satisfied`); a license
/// offer may require one (ILicenseToken.requireAttestations). No money moves here.
/// @dev Leaves are keccak(0x00 ‖ uid), nodes keccak(0x01 ‖ sorted pair), as the suite's file
/// trees (SeedbedMerkle), so proofs need no direction bits.
interface IAttestations {
    /*//////////////////////////////////////////////////////////////
                                 STRUCTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An EAS off-chain attestation's message (version 2), as its attester signed it.
    /// `data` is abi.encode(bytes32 contentRoot, uint256 assetId, bool passed, uint16
    /// labelNoiseBps, uint32 duplicateFiles, bool croissantValid, bytes32 methodHash) (SCHEMA).
    struct Offchain {
        bytes32 schema;
        address recipient;
        uint64 time;
        uint64 expirationTime;
        bool revocable;
        bytes32 refUID;
        bytes data;
        bytes32 salt;
    }

    /// @notice A validator's standing certificate for an asset: the attestation's UID, when it
    /// expires (0 = never), its time (only a newer attestation replaces it) and its verdict (a
    /// fail stands too, and counts for nothing).
    struct Certificate {
        bytes32 uid;
        uint64 expirationTime;
        uint64 time;
        bool passed;
    }

    /// @notice A named validator set: its validators (strictly ascending, so no repeats),
    /// how many must hold a live certificate, and who created it.
    struct ValidatorSet {
        address[] validators;
        uint8 threshold;
        address creator;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice An anchor needs a non-zero root and at least one attestation in it.
    /// @param root The root given.
    /// @param count The count given.
    error AttestationsEmptyAnchor(bytes32 root, uint32 count);

    /// @notice The validator anchored this root already (an anchor's time is kept once).
    /// @param validator The validator.
    /// @param root The root.
    /// @param anchoredAt When it was anchored.
    error AttestationsAlreadyAnchored(address validator, bytes32 root, uint64 anchoredAt);

    /// @notice The caller revoked this UID already.
    /// @param revoker The caller.
    /// @param uid The UID.
    /// @param revokedAt When it was revoked.
    error AttestationsAlreadyRevoked(address revoker, bytes32 uid, uint64 revokedAt);

    /// @notice A batch revocation holds between 1 and MAX_BATCH UIDs.
    /// @param length The number given.
    /// @param max MAX_BATCH.
    error AttestationsBadBatch(uint256 length, uint256 max);

    /// @notice A validator set holds 1..MAX_SET_SIZE non-zero validators in strictly ascending
    /// order, and a threshold between 1 and their number.
    /// @param size The number of validators given.
    /// @param threshold The threshold given.
    error AttestationsBadSet(uint256 size, uint8 threshold);

    /// @notice No validator set has this id.
    /// @param setId The id given.
    error AttestationsUnknownSet(uint64 setId);

    /// @notice No asset has this id: the registry's own error, which `certify` lets through.
    /// Declared here (same signature, same selector) so this contract's ABI decodes it.
    /// @param assetId The id asked for.
    error AssetRegistryUnknownAsset(uint256 assetId);

    /// @notice The attestation is not of SCHEMA, or is not revocable (a certificate must be
    /// revocable by its validator).
    /// @param schema The attestation's schema.
    /// @param revocable Its revocable flag.
    error AttestationsWrongSchema(bytes32 schema, bool revocable);

    /// @notice The attestation's data is not SCHEMA's seven static fields (224 bytes).
    /// @param length Its length, in bytes.
    error AttestationsBadData(uint256 length);

    /// @notice The attestation's data does not name this asset and its registered content root.
    /// @param assetId The asset being certified.
    /// @param contentRoot The asset's registered content root.
    error AttestationsWrongSubject(uint256 assetId, bytes32 contentRoot);

    /// @notice The attestation is dated in the future, or has expired.
    /// @param time Its time.
    /// @param expirationTime Its expiration time (0 = never).
    /// @param nowTime The block's time.
    error AttestationsNotCurrent(uint64 time, uint64 expirationTime, uint256 nowTime);

    /// @notice The proof does not fold to a root the validator anchored.
    /// @param validator The validator.
    /// @param root The root the proof folds to.
    error AttestationsNotAnchored(address validator, bytes32 root);

    /// @notice The validator revoked this attestation.
    /// @param validator The validator.
    /// @param uid The attestation's UID.
    error AttestationsRevoked(address validator, bytes32 uid);

    /// @notice The validator's certificate for the asset is this attestation or a newer one.
    /// @param validator The validator.
    /// @param assetId The asset.
    /// @param standingTime The standing certificate's time.
    error AttestationsNotNewer(address validator, uint256 assetId, uint64 standingTime);

    /// @notice The validator retired (for good): nothing of it is certified any more.
    /// @param validator The validator.
    /// @param retiredAt When it retired.
    error AttestationsRetired(address validator, uint64 retiredAt);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A validator anchored a Merkle root of `count` of its attestations' UIDs.
    /// @param validator The validator (the caller).
    /// @param root The root.
    /// @param count How many attestations it holds, as the validator states (not checked).
    event Anchored(address indexed validator, bytes32 indexed root, uint32 count);

    /// @notice EAS's off-chain revocation event: `revoker` revoked the attestation `data`.
    /// @param revoker The caller; a revocation counts for the attestations it anchored.
    /// @param data The attestation's UID.
    /// @param timestamp The block's time.
    event RevokedOffchain(address indexed revoker, bytes32 indexed data, uint64 indexed timestamp);

    /// @notice A validator set was created.
    /// @param setId Its id (from 1).
    /// @param creator The caller.
    /// @param threshold How many of its validators must hold a live certificate.
    /// @param validators Its validators, ascending.
    event ValidatorSetCreated(uint64 indexed setId, address indexed creator, uint8 threshold, address[] validators);

    /// @notice An asset was certified with one anchored attestation of `validator`.
    /// @param assetId The asset.
    /// @param validator The validator whose anchored attestation it is.
    /// @param uid The attestation's UID.
    /// @param root The anchored root the proof folds to.
    /// @param expirationTime When the certificate expires (0 = never).
    /// @param passed The verdict: a fail withdraws the validator's earlier pass.
    event Certified(
        uint256 indexed assetId,
        address indexed validator,
        bytes32 uid,
        bytes32 root,
        uint64 expirationTime,
        bool passed
    );

    /// @notice A validator retired: none of its certificates counts from now on.
    /// @param validator The validator (the caller).
    /// @param retiredAt The block's time.
    event ValidatorRetired(address indexed validator, uint64 retiredAt);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Anchors a Merkle root of attestation UIDs under the caller, at the block's time.
    /// O(1) whatever `count`.
    /// @param root The root (leaves keccak(0x00 ‖ uid)).
    /// @param count How many attestations it holds (for readers; 1..2^32-1).
    function anchor(bytes32 root, uint32 count) external;

    /// @notice Revokes one attestation UID under the caller (EAS `revokeOffchain`).
    /// @param uid The attestation's UID.
    /// @return timestamp The block's time.
    function revokeOffchain(bytes32 uid) external returns (uint64 timestamp);

    /// @notice Revokes 1..MAX_BATCH attestation UIDs under the caller (EAS
    /// `multiRevokeOffchain`); one already revoked reverts the whole batch.
    /// @param uids The UIDs.
    /// @return timestamp The block's time.
    function multiRevokeOffchain(bytes32[] calldata uids) external returns (uint64 timestamp);

    /// @notice Creates an immutable validator set.
    /// @param validators 1..MAX_SET_SIZE non-zero addresses, strictly ascending.
    /// @param threshold How many must hold a live certificate for an asset (1..their number).
    /// @return setId The new set's id.
    function createSet(address[] calldata validators, uint8 threshold) external returns (uint64 setId);

    /// @notice Certifies `assetId` with one attestation `validator` anchored: the UID is
    /// recomputed from `att`, which must be of SCHEMA, revocable, current (time ≤ now <
    /// expiration, or no expiration), name the asset and its registered content root, be
    /// unrevoked by `validator`, and newer than the validator's standing certificate for the
    /// asset, which it replaces with its verdict (a fail withdraws a pass); `proof` must fold
    /// its leaf to a root `validator` anchored; `validator` must not have retired. Anyone may
    /// send it.
    /// @param assetId The asset.
    /// @param validator The validator that anchored the attestation.
    /// @param att The attestation's message.
    /// @param proof Sibling hashes, bottom-up.
    /// @return uid The attestation's UID.
    function certify(uint256 assetId, address validator, Offchain calldata att, bytes32[] calldata proof)
        external
        returns (bytes32 uid);

    /// @notice Retires the caller as a validator, for good (a lost or leaked key): nothing of
    /// it is certified any more, and none of its certificates counts in any set from now on.
    function retire() external;

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The schema of quality attestations, as registered with EAS.
    function SCHEMA() external view returns (string memory);

    /// @notice keccak(abi.encodePacked(SCHEMA, address(0), true)): EAS's schema UID for it (no
    /// resolver, revocable).
    function SCHEMA_UID() external view returns (bytes32);

    /// @notice The most validators in a set.
    function MAX_SET_SIZE() external view returns (uint256);

    /// @notice The most UIDs in one multiRevokeOffchain.
    function MAX_BATCH() external view returns (uint256);

    /// @notice The registry whose content roots certificates are checked against.
    function REGISTRY() external view returns (IAssetRegistry);

    /// @notice How many validator sets exist (ids 1..setCount).
    function setCount() external view returns (uint64);

    /// @notice When `validator` anchored `root` (0 = never).
    function anchoredAt(address validator, bytes32 root) external view returns (uint64);

    /// @notice When `revoker` revoked `uid` (0 = never): EAS's `getRevokeOffchain`.
    function getRevokeOffchain(address revoker, bytes32 uid) external view returns (uint64);

    /// @notice When `validator` retired (0 = never).
    function retiredAt(address validator) external view returns (uint64);

    /// @notice `validator`'s standing certificate for `assetId` (uid 0 = none).
    function certificate(address validator, uint256 assetId) external view returns (Certificate memory);

    /// @notice A validator set.
    /// @param setId Its id; reverts AttestationsUnknownSet for an unknown one.
    function validatorSet(uint64 setId) external view returns (ValidatorSet memory);

    /// @notice How many of the set's validators hold a live certificate (a pass, unexpired,
    /// unrevoked, of a validator that has not retired) for the asset now, counting up to the
    /// set's threshold.
    /// @param setId The set; reverts AttestationsUnknownSet for an unknown one.
    /// @param assetId The asset.
    function liveCount(uint64 setId, uint256 assetId) external view returns (uint256);

    /// @notice Whether at least the set's threshold of its validators hold a live certificate
    /// for the asset now. O(MAX_SET_SIZE) reads at most.
    /// @param setId The set; reverts AttestationsUnknownSet for an unknown one.
    /// @param assetId The asset.
    function satisfied(uint64 setId, uint256 assetId) external view returns (bool);

    /// @notice The EAS off-chain UID (version 2) of an attestation message.
    function offchainUID(Offchain calldata att) external pure returns (bytes32);
}
