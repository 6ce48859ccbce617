// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title License scope bits, in one place
/// @notice A license's `scopes` is a bitmask of these. LicenseToken publishes them as
/// ACCESS() … DERIVE(); UsageMeter charges licenses that carry one of the METERED bits.
library Scopes {
    uint8 internal constant ACCESS = 1;
    uint8 internal constant TRAIN = 2;
    uint8 internal constant INFER = 4;
    uint8 internal constant COMMERCIAL = 8;
    uint8 internal constant DERIVE = 16;
    /// @notice Every defined bit: a valid offer's scopes are non-zero and within this mask.
    uint8 internal constant ALL = ACCESS | TRAIN | INFER | COMMERCIAL | DERIVE;
    /// @notice What metered use needs (any one of them): ACCESS, TRAIN or INFER.
    uint8 internal constant METERED = ACCESS | TRAIN | INFER;
}
