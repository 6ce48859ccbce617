// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "./IAssetRegistry.sol";

/// @title Seedbed royalty vault
/// @notice Holds revenue per (asset, currency) in ETH (currency = address(0)) or any ERC-20.
/// A payment is O(1): it splits into the asset's pending upstream share and its contributors'
/// accrued revenue. Upstream flows lazily to parents through `flowUpstream`; contributors
/// claim `accrued × weight / totalWeight − claimed` with a Merkle-sum proof.
interface IRoyaltyVault {
    struct ClaimRequest {
        uint256 assetId;
        address currency;
        address account;
        uint96 weight;
        IAssetRegistry.SumNode[] proof;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error RoyaltyVaultZeroAmount();
    error RoyaltyVaultWrongValue(uint256 sent, uint256 expected);
    error RoyaltyVaultNothingArrived(address currency, uint256 requested);
    error RoyaltyVaultAmountTooLarge(uint256 amount);
    error RoyaltyVaultNothingToFlow(uint256 assetId, address currency);
    error RoyaltyVaultInvalidProof(uint256 assetId, address account, uint96 weight);
    error RoyaltyVaultNothingToClaim(uint256 assetId, address currency, address account);
    error RoyaltyVaultTransferFailed(address currency, address to, uint256 amount);
    error RoyaltyVaultFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error RoyaltyVaultNoFees(address currency);
    error RoyaltyVaultNoExcess(address currency, uint256 balance, uint256 held);
    error RoyaltyVaultBatchTooLarge(uint256 count, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `amount` arrived for `assetId`: `fee` to the protocol, `toUpstream` pending for
    /// the parents, `toContributors` accrued.
    event Paid(
        uint256 indexed assetId,
        address indexed currency,
        address indexed payer,
        uint256 amount,
        uint256 toContributors,
        uint256 toUpstream,
        uint256 fee
    );

    /// @notice One lineage edge of a flow: `amount` moved from the child's pending upstream
    /// into the parent's pool, where it split again.
    event UpstreamFlowed(
        uint256 indexed childId,
        uint256 indexed parentId,
        address indexed currency,
        uint256 amount,
        uint256 toContributors,
        uint256 toUpstream
    );

    event Claimed(
        uint256 indexed assetId,
        address indexed currency,
        address indexed account,
        uint256 amount,
        uint96 weight,
        uint256 totalClaimed
    );

    /// @notice A claim in a batch whose transfer failed; its state was rolled back.
    event ClaimFailed(uint256 indexed assetId, address indexed currency, address indexed account, uint256 amount);

    event FeesWithdrawn(address indexed currency, address indexed to, uint256 amount);
    event ExcessSwept(address indexed currency, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays `assetId`. For ETH `msg.value` must equal `amount`; for an ERC-20 the vault
    /// pulls `amount` and credits what actually arrived.
    function pay(uint256 assetId, address currency, uint256 amount) external payable returns (uint256 received);

    /// @notice Moves the asset's pending upstream into its parents' pools (one level).
    function flowUpstream(uint256 assetId, address currency) external returns (uint256 moved);

    /// @notice Pays `account` its entitlement; anyone may call.
    function claim(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external returns (uint256 amount);

    /// @notice Many claims in one transaction; a recipient that fails only fails its own claim.
    function claimBatch(ClaimRequest[] calldata requests) external returns (uint256[] memory amounts);

    /// @notice Sends accumulated protocol fees to the treasury.
    function withdrawFees(address currency) external returns (uint256 amount);

    /// @notice Sends to the treasury what the vault holds beyond its books (tokens transferred
    /// to it directly, or ETH forced in): never anyone's revenue.
    function sweepExcess(address currency) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    function REGISTRY() external view returns (IAssetRegistry);
    function TREASURY() external view returns (address);
    function FEE_BPS() external view returns (uint16);
    function MAX_FEE_BPS() external view returns (uint16);
    function MAX_BATCH() external view returns (uint256);

    function accrued(uint256 assetId, address currency) external view returns (uint256);
    function pendingUpstream(uint256 assetId, address currency) external view returns (uint256);
    function claimed(uint256 assetId, address currency, address account) external view returns (uint256);
    function claimable(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external view returns (uint256);
    function fees(address currency) external view returns (uint256);
    function held(address currency) external view returns (uint256);
    function excess(address currency) external view returns (uint256);
}
