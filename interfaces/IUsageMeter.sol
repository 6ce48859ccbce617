// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Seedbed usage meter
/// @notice Pay-per-use. Consumers keep escrow here; license holders sign cumulative EIP-712
/// vouchers off-chain; anyone submits the latest one, which charges
/// `(cumulativeUnits − unitsUsed) × unitPrice` from the holder's escrow into the vault.
interface IUsageMeter {
    /// @notice EIP-712: Voucher(uint256 licenseId,uint256 cumulativeUnits,uint256 deadline)
    struct Voucher {
        uint256 licenseId;
        uint256 cumulativeUnits;
        uint256 deadline;
    }

    struct Withdrawal {
        uint256 amount;
        uint256 readyAt;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error UsageMeterZeroAmount();
    error UsageMeterWrongValue(uint256 sent, uint256 expected);
    error UsageMeterNothingArrived(address currency, uint256 requested);
    error UsageMeterInsufficientEscrow(address account, address currency, uint256 available, uint256 needed);
    error UsageMeterNoWithdrawalRequested(address account, address currency);
    error UsageMeterWithdrawalNotReady(address account, address currency, uint256 readyAt, uint256 nowTime);
    error UsageMeterVoucherExpired(uint256 licenseId, uint256 deadline, uint256 nowTime);
    error UsageMeterLicenseClosed(uint256 licenseId, uint256 expiresAt, uint256 graceEnd);
    error UsageMeterScopeMissing(uint256 licenseId, uint8 scopes);
    error UsageMeterStaleVoucher(uint256 licenseId, uint256 cumulativeUnits, uint256 unitsUsed);
    error UsageMeterUnitsAboveCap(uint256 licenseId, uint256 cumulativeUnits, uint256 maxUnits);
    error UsageMeterBadSignature(uint256 licenseId, address holder);
    error UsageMeterNotHolder(uint256 licenseId, address caller, address holder);
    error UsageMeterTransferFailed(address currency, address to, uint256 amount);
    error UsageMeterBatchMismatch(uint256 vouchers, uint256 signatures);
    error UsageMeterBatchTooLarge(uint256 count, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    event Deposited(address indexed account, address indexed currency, uint256 amount, uint256 escrow);
    event WithdrawalRequested(address indexed account, address indexed currency, uint256 amount, uint256 readyAt);
    event Withdrawn(address indexed account, address indexed currency, uint256 amount, uint256 escrow);

    /// @notice `units` more units of `licenseId` were charged: `amount` left `payer`'s escrow
    /// for the vault; the license's total is now `cumulativeUnits`. `viaVoucher` is false for
    /// the on-chain `meter` path.
    event UsageSettled(
        uint256 indexed licenseId,
        uint256 indexed assetId,
        address indexed payer,
        address currency,
        uint256 units,
        uint256 amount,
        uint256 cumulativeUnits,
        bool viaVoucher
    );

    /// @notice A voucher in a batch that was not settled; `reason` is the custom error it
    /// would have reverted with, values included.
    event VoucherSkipped(uint256 indexed licenseId, bytes reason);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    function deposit(address currency, uint256 amount) external payable returns (uint256 received);

    /// @notice Starts the withdrawal clock. Until `readyAt` the escrow still pays settlements.
    function requestWithdrawal(address currency, uint256 amount) external;

    /// @notice Pays out min(requested, escrow left) once the delay has passed.
    function completeWithdrawal(address currency) external returns (uint256 amount);

    function settle(Voucher calldata voucher, bytes calldata signature) external returns (uint256 amount);

    /// @notice Settles many vouchers; a bad one is skipped with VoucherSkipped, never blocking
    /// the rest.
    function settleBatch(Voucher[] calldata vouchers, bytes[] calldata signatures)
        external
        returns (uint256 settledCount, uint256 totalAmount);

    /// @notice On-chain consumers: the license holder charges `units` to its own escrow.
    function meter(uint256 licenseId, uint256 units) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    function WITHDRAWAL_DELAY() external view returns (uint256);
    function GRACE_PERIOD() external view returns (uint256);
    function MAX_BATCH() external view returns (uint256);
    function VOUCHER_TYPEHASH() external view returns (bytes32);

    function escrowOf(address account, address currency) external view returns (uint256);
    function withdrawalOf(address account, address currency) external view returns (Withdrawal memory);
    function totalEscrow(address currency) external view returns (uint256);
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32);
}
