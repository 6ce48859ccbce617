// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "../../interfaces/IAssetRegistry.sol";

/// @title Leaf and node encodings of Seedbed's two trees (see README, "Tree encodings")
/// @notice Leaves are prefixed 0x00 and nodes 0x01, and their preimages differ in length,
/// so no node can pass for a leaf. Pairs are sorted by hash, so proofs need no direction bits.
library SeedbedMerkle {
    /// @notice keccak(0x00 ‖ keccak(path) ‖ sha256 ‖ uint64 size)
    function fileLeaf(string calldata path, bytes32 sha256Digest, uint64 size)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(bytes1(0x00), keccak256(bytes(path)), sha256Digest, size));
    }

    /// @notice Folds a file proof (sibling hashes, bottom-up) into the root it implies.
    function fileRoot(bytes32 leaf, bytes32[] calldata proof) internal pure returns (bytes32 h) {
        h = leaf;
        uint256 n = proof.length;
        for (uint256 i; i < n; ++i) {
            bytes32 s = proof[i];
            h = h < s ? _node(h, s) : _node(s, h);
        }
    }

    /// @notice keccak(0x00 ‖ account ‖ uint96 weight)
    function contributorLeaf(address account, uint96 weight) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), account, weight));
    }

    /// @notice Folds a Merkle-sum proof into the root hash and the total weight it implies.
    /// @dev Each node commits to both children's sums, so the returned sum is the sum of every
    /// leaf in the tree that `hash` names. Sums are uint256 and each leaf is < 2^96, so a tree
    /// would need 2^160 leaves to overflow: checked arithmetic is kept all the same.
    function contributorRoot(bytes32 leaf, uint256 weight, IAssetRegistry.SumNode[] calldata proof)
        internal
        pure
        returns (bytes32 h, uint256 sum)
    {
        h = leaf;
        sum = weight;
        uint256 n = proof.length;
        for (uint256 i; i < n; ++i) {
            bytes32 sh = proof[i].hash;
            uint256 ss = proof[i].sum;
            h = h < sh ? _sumNode(h, sum, sh, ss) : _sumNode(sh, ss, h, sum);
            sum += ss;
        }
    }

    /// @notice The node above two children, whatever their order: the root a registration's
    /// `top` preimage names, and the sum it commits to.
    function contributorParent(bytes32 ha, uint256 sa, bytes32 hb, uint256 sb)
        internal
        pure
        returns (bytes32 h, uint256 sum)
    {
        h = ha < hb ? _sumNode(ha, sa, hb, sb) : _sumNode(hb, sb, ha, sa);
        sum = sa + sb;
    }

    function _node(bytes32 a, bytes32 b) private pure returns (bytes32 r) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 0x01), a)
            mstore(add(p, 0x21), b)
            r := keccak256(p, 0x41)
        }
    }

    function _sumNode(bytes32 ha, uint256 sa, bytes32 hb, uint256 sb) private pure returns (bytes32 r) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 0x01), ha)
            mstore(add(p, 0x21), sa)
            mstore(add(p, 0x41), hb)
            mstore(add(p, 0x61), sb)
            r := keccak256(p, 0x81)
        }
    }
}
