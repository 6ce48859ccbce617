// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssetRegistry} from "./IAssetRegistry.sol";

/// @title Seedbed royalty vault
/// @notice Holds revenue per (asset, currency) in ETH (currency = address(0)) or any ERC-20.
/// A payment is O(1): it splits into the asset's pending upstream share and its contributors'
/// accrued revenue. Upstream flows lazily to parents through `flowUpstream`; contributors
/// claim `accrued × weight / totalWeight − claimed` with a Merkle-sum proof.
/// Amounts are in the currency's smallest unit (wei for ETH); fees and shares are bps of 10,000.
interface IRoyaltyVault {
    /// @notice One claim of a `claimBatch`: the same arguments as `claim`.
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

    /// @notice The amount is zero.
    error RoyaltyVaultZeroAmount();

    /// @notice `msg.value` must equal `amount` for ETH and be 0 for an ERC-20.
    /// @param sent `msg.value`, in wei.
    /// @param expected What was due, in wei.
    error RoyaltyVaultWrongValue(uint256 sent, uint256 expected);

    /// @notice The ERC-20 transfer delivered nothing to the vault.
    /// @param currency The token.
    /// @param requested The amount pulled, in the token's smallest unit.
    error RoyaltyVaultNothingArrived(address currency, uint256 requested);

    /// @notice The payment would overflow the pool's books (accrued above 2^128 − 1 or pending
    /// above 2^112 − 1).
    /// @param amount The amount being credited.
    error RoyaltyVaultAmountTooLarge(uint256 amount);

    /// @notice The asset has no pending upstream revenue in this currency.
    /// @param assetId The asset.
    /// @param currency The currency.
    error RoyaltyVaultNothingToFlow(uint256 assetId, address currency);

    /// @notice `(account, weight)` with this proof does not lead to the asset's contributors
    /// root.
    /// @param assetId The asset.
    /// @param account The contributor claimed for.
    /// @param weight The weight claimed.
    error RoyaltyVaultInvalidProof(uint256 assetId, address account, uint96 weight);

    /// @notice The account has nothing left to claim in this currency.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor.
    error RoyaltyVaultNothingToClaim(uint256 assetId, address currency, address account);

    /// @notice Sending to the recipient failed (an ETH recipient that reverts, or an ERC-20
    /// transfer that fails); nothing was booked.
    /// @param currency The currency.
    /// @param to The recipient.
    /// @param amount The amount, in the currency's smallest unit.
    error RoyaltyVaultTransferFailed(address currency, address to, uint256 amount);

    /// @notice The zero address cannot claim: nobody holds its key, so its share stays in the
    /// vault's books (the audit reports it).
    error RoyaltyVaultZeroAccount();

    /// @notice A claim cannot be sent to the zero address or to the vault itself (the money
    /// would be lost, or become excess).
    /// @param recipient The recipient asked for.
    error RoyaltyVaultInvalidRecipient(address recipient);

    /// @notice The signed claim's deadline has passed.
    /// @param deadline The deadline signed, unix time.
    error RoyaltyVaultClaimExpired(uint256 deadline);

    /// @notice The signature is not the contributor's (ECDSA for an account without code,
    /// ERC-1271 for a contract) over this ClaimTo.
    /// @param account The contributor named.
    error RoyaltyVaultBadClaimSignature(address account);

    /// @notice The protocol fee asked for at deployment is above the cap.
    /// @param feeBps The fee asked for, in bps.
    /// @param maxFeeBps MAX_FEE_BPS.
    error RoyaltyVaultFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);

    /// @notice The treasury given at deployment cannot receive fees (the zero address).
    /// @param treasury The treasury given.
    error RoyaltyVaultInvalidTreasury(address treasury);

    /// @notice No protocol fees to withdraw in this currency.
    /// @param currency The currency.
    error RoyaltyVaultNoFees(address currency);

    /// @notice The vault holds nothing beyond its books in this currency.
    /// @param currency The currency.
    /// @param balance The vault's balance.
    /// @param held What the books owe.
    error RoyaltyVaultNoExcess(address currency, uint256 balance, uint256 held);

    /// @notice Too many claims in one batch.
    /// @param count The number of claims.
    /// @param max MAX_BATCH.
    error RoyaltyVaultBatchTooLarge(uint256 count, uint256 max);

    /// @notice Only the deployment's wirer may wire the court.
    /// @param caller The caller.
    error RoyaltyVaultNotWirer(address caller);

    /// @notice The court is wired already; wiring happens once.
    /// @param court The court wired before.
    error RoyaltyVaultAlreadyWired(address court);

    /// @notice Only the deployment's court may hold an asset's revenue.
    /// @param caller The caller.
    error RoyaltyVaultNotCourt(address caller);

    /// @notice A hold state above 2, a beneficiary id above 2^64 − 1, or the asset itself as
    /// its own beneficiary.
    error RoyaltyVaultBadHold(uint256 assetId, uint8 state, uint256 beneficiary);

    /// @notice The asset's dispute is still open: its escrow is released when it resolves.
    /// @param assetId The asset.
    error RoyaltyVaultStillHeld(uint256 assetId);

    /// @notice Nothing is in escrow for this asset and currency.
    error RoyaltyVaultNothingToRelease(uint256 assetId, address currency);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `amount` arrived for `assetId`: `fee` to the protocol, `toUpstream` pending for
    /// the parents, `toContributors` accrued.
    /// @param assetId The asset paid.
    /// @param currency address(0) for ETH, else the ERC-20.
    /// @param payer The caller of `pay` (the license or meter contract for sales and usage).
    /// @param amount What arrived, in the currency's smallest unit.
    /// @param toContributors The part accrued to the asset's contributors (0 when a dispute
    /// diverted the payment: an Escrowed or Redirected event precedes this one).
    /// @param toUpstream The part pending for the asset's parents (0 likewise).
    /// @param fee The protocol fee.
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
    /// @param childId The asset whose pending upstream moved.
    /// @param parentId The parent credited.
    /// @param currency The currency.
    /// @param amount The parent's share of the flow.
    /// @param toContributors The part accrued to the parent's contributors (0 when a dispute
    /// on the parent diverted it: an Escrowed or Redirected event precedes this one).
    /// @param toUpstream The part pending for the parent's own parents (0 likewise).
    event UpstreamFlowed(
        uint256 indexed childId,
        uint256 indexed parentId,
        address indexed currency,
        uint256 amount,
        uint256 toContributors,
        uint256 toUpstream
    );

    /// @notice A contributor was paid.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor paid.
    /// @param amount What was sent now.
    /// @param weight The contributor's weight.
    /// @param totalClaimed Everything the account has claimed for this asset and currency.
    event Claimed(
        uint256 indexed assetId,
        address indexed currency,
        address indexed account,
        uint256 amount,
        uint96 weight,
        uint256 totalClaimed
    );

    /// @notice A claim was paid to a recipient the contributor chose (claimTo, claimToSigned);
    /// emitted after the Claimed event of the same claim, which books it under `account`.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor whose share it was.
    /// @param recipient Who received it.
    /// @param amount What was sent.
    event ClaimRedirected(
        uint256 indexed assetId,
        address indexed currency,
        address indexed account,
        address recipient,
        uint256 amount
    );

    /// @notice A claim in a batch whose transfer failed; its state was rolled back.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor whose transfer failed.
    /// @param amount What would have been sent.
    event ClaimFailed(uint256 indexed assetId, address indexed currency, address indexed account, uint256 amount);

    /// @notice Protocol fees were sent to the treasury.
    /// @param currency The currency.
    /// @param to The treasury.
    /// @param amount What was sent.
    event FeesWithdrawn(address indexed currency, address indexed to, uint256 amount);

    /// @notice What the vault held beyond its books was sent to the treasury.
    /// @param currency The currency.
    /// @param to The treasury.
    /// @param amount What was sent.
    event ExcessSwept(address indexed currency, address indexed to, uint256 amount);

    /// @notice The court was wired (once).
    event CourtWired(address indexed court);

    /// @notice The court changed an asset's hold: 0 none, 1 escrow (a dispute is open), 2
    /// redirected to `beneficiary` (an asset id; 0 = the protocol's fee book).
    event HoldChanged(uint256 indexed assetId, uint8 state, uint256 beneficiary);

    /// @notice A credit to a disputed asset went whole into its escrow (no upstream split).
    event Escrowed(uint256 indexed assetId, address indexed currency, uint256 amount);

    /// @notice A credit to (or the escrow of) a taken-down asset went to its beneficiary's pool,
    /// split there as `toContributors` and `toUpstream`, or to the fee book when `to` is 0.
    event Redirected(
        uint256 indexed from,
        uint256 indexed to,
        address indexed currency,
        uint256 amount,
        uint256 toContributors,
        uint256 toUpstream
    );

    /// @notice An asset's escrow left it: credited to its own pool (`toContributors`,
    /// `toUpstream`) after a dismissed or lapsed dispute, or, with both 0, to its beneficiary
    /// (a Redirected event follows).
    event Released(
        uint256 indexed assetId, address indexed currency, uint256 amount, uint256 toContributors, uint256 toUpstream
    );

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays `assetId`. For ETH `msg.value` must equal `amount`; for an ERC-20 the vault
    /// pulls `amount` (approve it to the vault first) and credits what actually arrived.
    /// @param assetId An existing asset.
    /// @param currency address(0) for ETH, else the ERC-20.
    /// @param amount The amount, in the currency's smallest unit (non-zero).
    /// @return received What was credited (less than `amount` for a fee-on-transfer token).
    function pay(uint256 assetId, address currency, uint256 amount) external payable returns (uint256 received);

    /// @notice Moves the asset's pending upstream into its parents' pools (one level); anyone
    /// may call.
    /// @param assetId The child asset.
    /// @param currency The currency.
    /// @return moved The pending upstream that moved.
    function flowUpstream(uint256 assetId, address currency) external returns (uint256 moved);

    /// @notice Pays `account` its entitlement; anyone may call.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor (who receives the payment).
    /// @param weight The contributor's weight in the asset's contributors tree.
    /// @param proof Sibling (hash, sum) pairs from the leaf up to the root.
    /// @return amount What was sent.
    function claim(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external returns (uint256 amount);

    /// @notice Pays the caller's entitlement to `recipient` (for a contributor contract that
    /// cannot receive the currency, or an account a token blocklists).
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param weight The caller's weight in the asset's contributors tree.
    /// @param proof Sibling (hash, sum) pairs from the leaf up to the root.
    /// @param recipient Who receives the payment.
    /// @return amount What was sent.
    function claimTo(
        uint256 assetId,
        address currency,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof,
        address recipient
    ) external returns (uint256 amount);

    /// @notice Pays `account`'s entitlement to `recipient` on its EIP-712 signature
    /// `ClaimTo(uint256 assetId,address currency,address account,address recipient,uint256 upTo,uint256 deadline)`
    /// in the domain ("Seedbed RoyaltyVault", "1", chain id, this vault); anyone may send it.
    /// Pays at most up to `upTo` claimed in total, so a replay pays nothing more: no nonce. A
    /// signature cannot be revoked before its deadline.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor who signed.
    /// @param weight Its weight in the asset's contributors tree.
    /// @param proof Sibling (hash, sum) pairs from the leaf up to the root.
    /// @param recipient Who receives the payment.
    /// @param upTo The most `account` may have claimed in total after this claim.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The account's signature (65-byte ECDSA, or ERC-1271 data).
    /// @return amount What was sent.
    function claimToSigned(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof,
        address recipient,
        uint256 upTo,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 amount);

    /// @notice Many claims in one transaction; a recipient that fails only fails its own claim.
    /// An invalid proof reverts the whole batch; a claim with nothing owed is skipped.
    /// @param requests At most MAX_BATCH claims.
    /// @return amounts What each claim sent (0 when skipped or failed).
    function claimBatch(ClaimRequest[] calldata requests) external returns (uint256[] memory amounts);

    /// @notice Sends accumulated protocol fees to the treasury; anyone may call.
    /// @param currency The currency.
    /// @return amount What was sent.
    function withdrawFees(address currency) external returns (uint256 amount);

    /// @notice Sends to the treasury what the vault holds beyond its books (tokens transferred
    /// to it directly, or ETH forced in): never anyone's revenue.
    /// @param currency The currency.
    /// @return amount What was sent.
    function sweepExcess(address currency) external returns (uint256 amount);

    /// @notice Wires the deployment's AssetCourt, once; only the wirer.
    function wireCourt(address court) external;

    /// @notice Sets an asset's hold (only the court): 0 none, 1 escrow every credit, 2 redirect
    /// every credit to `beneficiary` (an asset id, 0 = fee book). Claims never read it.
    function setHold(uint256 assetId, uint8 state, uint256 beneficiary) external;

    /// @notice Anyone: moves an asset's escrow in `currency` to where its hold now points (its
    /// own pool after a dismissal or lapse, the beneficiary after an upheld claim).
    /// @return amount The escrow released.
    function release(uint256 assetId, address currency) external returns (uint256 amount);

    /// @notice The wired AssetCourt (0 until wired).
    function court() external view returns (address);

    /// @notice An asset's hold: state (0 none, 1 escrow, 2 redirected) and beneficiary.
    function hold(uint256 assetId) external view returns (uint8 state, uint256 beneficiary);

    /// @notice What a dispute has held aside for the asset in `currency`, not yet released.
    function escrowed(uint256 assetId, address currency) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The registry whose assets and contributors the vault pays.
    /// @return The registry.
    function REGISTRY() external view returns (IAssetRegistry);
    /// @notice Where protocol fees and excess go.
    /// @return The treasury.
    function TREASURY() external view returns (address);
    /// @notice The protocol fee taken from every payment.
    /// @return The fee, in bps of 10,000.
    function FEE_BPS() external view returns (uint16);
    /// @notice The highest fee a vault can be deployed with.
    /// @return 500 (5 %), in bps.
    function MAX_FEE_BPS() external view returns (uint16);
    /// @notice The most claims in one `claimBatch`.
    /// @return The bound.
    function MAX_BATCH() external view returns (uint256);

    /// @notice All revenue ever credited to the asset's contributors.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @return The amount, in the currency's smallest unit.
    function accrued(uint256 assetId, address currency) external view returns (uint256);
    /// @notice Revenue owed to the asset's parents, not flowed yet.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @return The amount, in the currency's smallest unit.
    function pendingUpstream(uint256 assetId, address currency) external view returns (uint256);
    /// @notice Everything an account has claimed.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor.
    /// @return The amount, in the currency's smallest unit.
    function claimed(uint256 assetId, address currency, address account) external view returns (uint256);
    /// @notice What `claim` would pay now.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param account The contributor.
    /// @param weight The contributor's weight.
    /// @param proof Sibling (hash, sum) pairs from the leaf up to the root.
    /// @return The amount, in the currency's smallest unit.
    function claimable(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external view returns (uint256);
    /// @notice Protocol fees not withdrawn yet.
    /// @param currency The currency.
    /// @return The amount, in the currency's smallest unit.
    function fees(address currency) external view returns (uint256);
    /// @notice Everything the books owe (accrued not claimed, pending, escrow, fees).
    /// @param currency The currency.
    /// @return The amount, in the currency's smallest unit.
    function held(address currency) external view returns (uint256);
    /// @notice What the vault holds beyond its books.
    /// @param currency The currency.
    /// @return The amount, in the currency's smallest unit.
    function excess(address currency) external view returns (uint256);
}
