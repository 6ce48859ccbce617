// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ILicenseToken} from "../../interfaces/ILicenseToken.sol";

/// @title On-chain token metadata stating a license's terms
library LicenseURI {
    using Strings for uint256;
    using Strings for address;

    function render(uint256 licenseId, ILicenseToken.LicenseView memory v) internal pure returns (string memory) {
        ILicenseToken.Terms memory t = v.terms;
        bytes memory json = abi.encodePacked(
            '{"name":"Seedbed license #',
            licenseId.toString(),
            '","description":"License for Seedbed asset #',
            t.assetId.toString(),
            ": scopes ",
            _scopes(t.scopes),
            v.expiresAt == 0 ? ", perpetual" : string.concat(", expires at unix time ", uint256(v.expiresAt).toString()),
            '.","attributes":[{"trait_type":"asset","value":',
            t.assetId.toString(),
            '},{"trait_type":"scopes","value":"',
            _scopes(t.scopes),
            '"},{"trait_type":"expires_at","value":',
            uint256(v.expiresAt).toString()
        );
        json = abi.encodePacked(
            json,
            '},{"trait_type":"service_bps","value":',
            uint256(t.serviceBps).toString(),
            '},{"trait_type":"price","value":',
            uint256(t.price).toString(),
            '},{"trait_type":"min_upstream_bps","value":',
            uint256(t.minUpstreamBps).toString(),
            '},{"trait_type":"max_units","value":',
            uint256(t.maxUnits).toString(),
            '},{"trait_type":"unit_price","value":',
            uint256(t.unitPrice).toString(),
            '},{"trait_type":"currency","value":"',
            t.currency.toHexString(),
            '"},{"trait_type":"soulbound","value":',
            t.soulbound ? "true" : "false",
            '},{"trait_type":"valid","value":',
            v.valid ? "true" : "false",
            "}]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }

    function _scopes(uint8 s) private pure returns (string memory out) {
        string[5] memory names = ["access", "train", "infer", "commercial", "derive"];
        for (uint256 i; i < 5; ++i) {
            if (s & (1 << i) != 0) out = bytes(out).length == 0 ? names[i] : string.concat(out, ",", names[i]);
        }
    }
}
