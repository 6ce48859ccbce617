// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IAssetRegistry} from "../../interfaces/IAssetRegistry.sol";

/// @title On-chain token metadata for registry assets
library AssetURI {
    using Strings for uint256;

    function render(uint256 assetId, IAssetRegistry.AssetView memory v) internal pure returns (string memory) {
        string memory kind = v.kind == IAssetRegistry.Kind.Dataset
            ? "dataset"
            : (v.kind == IAssetRegistry.Kind.Model ? "model" : "other");
        bytes memory json = abi.encodePacked(
            '{"name":"Seedbed ',
            kind,
            " #",
            assetId.toString(),
            '","description":"Content, contributors and lineage registered on Seedbed.",',
            '"attributes":[{"trait_type":"kind","value":"',
            kind,
            '"},{"trait_type":"content_root","value":"',
            uint256(v.contentRoot).toHexString(32),
            '"},{"trait_type":"contributors_root","value":"',
            uint256(v.contributorsRoot).toHexString(32),
            '"},{"trait_type":"total_weight","value":',
            uint256(v.totalWeight).toString()
        );
        json = abi.encodePacked(
            json,
            '},{"trait_type":"upstream_bps","value":',
            uint256(v.upstreamBps).toString(),
            '},{"trait_type":"parents","value":',
            uint256(v.parentCount).toString(),
            '},{"trait_type":"listed","value":',
            v.delisted ? "false" : "true",
            "}]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }
}
