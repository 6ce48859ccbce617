// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Seedbed usage meter
/// @notice Pay-per-use. Consumers keep escrow here; license holders sign cumulative EIP-712
/// vouchers off-chain; anyone submits the latest one, which charges
/// `(cumulativeUnits − unitsUsed) × unitPrice` from the holder's escrow into the vault.
/// Amounts are in the license currency's smallest unit (wei for ETH = address(0)); delays and
/// periods are seconds; deadlines and times are unix seconds.
interface IUsageMeter {
    /// @notice EIP-712: Voucher(uint256 licenseId,uint256 cumulativeUnits,uint256 deadline).
    /// `cumulativeUnits` is the license's total units used so far (not an increment);
    /// `deadline` is the last unix time at which the voucher settles.
    struct Voucher {
        uint256 licenseId;
        uint256 cumulativeUnits;
        uint256 deadline;
    }

    /// @notice A pending withdrawal: `amount` in the currency's smallest unit, `readyAt` unix
    /// time (0 = none requested).
    struct Withdrawal {
        uint256 amount;
        uint256 readyAt;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The amount (or the number of units) is zero.
    error UsageMeterZeroAmount();

    /// @notice `msg.value` must equal `amount` for ETH and be 0 for an ERC-20.
    /// @param sent `msg.value`, in wei.
    /// @param expected What was due, in wei.
    error UsageMeterWrongValue(uint256 sent, uint256 expected);

    /// @notice The ERC-20 transfer delivered nothing to the meter.
    /// @param currency The token.
    /// @param requested The amount pulled, in the token's smallest unit.
    error UsageMeterNothingArrived(address currency, uint256 requested);

    /// @notice The account's escrow does not cover the amount.
    /// @param account The escrow's owner (the license holder for a charge).
    /// @param currency The currency.
    /// @param available The escrow.
    /// @param needed The amount asked for or charged.
    error UsageMeterInsufficientEscrow(address account, address currency, uint256 available, uint256 needed);

    /// @notice No withdrawal was requested for this currency.
    /// @param account The caller.
    /// @param currency The currency.
    error UsageMeterNoWithdrawalRequested(address account, address currency);

    /// @notice The withdrawal delay has not passed yet.
    /// @param account The caller.
    /// @param currency The currency.
    /// @param readyAt Unix time from which the withdrawal can complete.
    /// @param nowTime The block's unix time.
    error UsageMeterWithdrawalNotReady(address account, address currency, uint256 readyAt, uint256 nowTime);

    /// @notice The voucher's deadline has passed.
    /// @param licenseId The license.
    /// @param deadline The voucher's deadline, unix time.
    /// @param nowTime The block's unix time.
    error UsageMeterVoucherExpired(uint256 licenseId, uint256 deadline, uint256 nowTime);

    /// @notice The license expired more than GRACE_PERIOD seconds ago: no more usage is charged.
    /// @param licenseId The license.
    /// @param expiresAt Its expiry, unix time.
    /// @param graceEnd expiresAt + GRACE_PERIOD, unix time.
    error UsageMeterLicenseClosed(uint256 licenseId, uint256 expiresAt, uint256 graceEnd);

    /// @notice Metered use needs one of ACCESS (1), TRAIN (2) or INFER (4); the license has none.
    /// @param licenseId The license.
    /// @param scopes Its scope bitmask.
    error UsageMeterScopeMissing(uint256 licenseId, uint8 scopes);

    /// @notice The voucher's cumulative units are not above the units already charged: it was
    /// settled already or a later one was.
    /// @param licenseId The license.
    /// @param cumulativeUnits The voucher's total.
    /// @param unitsUsed The units already charged.
    error UsageMeterStaleVoucher(uint256 licenseId, uint256 cumulativeUnits, uint256 unitsUsed);

    /// @notice The new total passes the license's unit cap (or 2^64 − 1 when unlimited).
    /// @param licenseId The license.
    /// @param cumulativeUnits The total asked for.
    /// @param maxUnits The cap.
    error UsageMeterUnitsAboveCap(uint256 licenseId, uint256 cumulativeUnits, uint256 maxUnits);

    /// @notice The signature is not the license holder's over this voucher (65-byte ECDSA for an
    /// account, ERC-1271 for a contract holder).
    /// @param licenseId The license.
    /// @param holder The license's holder now.
    error UsageMeterBadSignature(uint256 licenseId, address holder);

    /// @notice Only the license's holder may meter its own use on-chain.
    /// @param licenseId The license.
    /// @param caller The caller.
    /// @param holder The license's holder.
    error UsageMeterNotHolder(uint256 licenseId, address caller, address holder);

    /// @notice Sending ETH to the recipient failed.
    /// @param currency The currency.
    /// @param to The recipient.
    /// @param amount The amount, in wei.
    error UsageMeterTransferFailed(address currency, address to, uint256 amount);

    /// @notice A batch needs one signature per voucher.
    /// @param vouchers The number of vouchers.
    /// @param signatures The number of signatures.
    error UsageMeterBatchMismatch(uint256 vouchers, uint256 signatures);

    /// @notice Too many vouchers in one batch.
    /// @param count The number of vouchers.
    /// @param max MAX_BATCH.
    error UsageMeterBatchTooLarge(uint256 count, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Escrow was deposited.
    /// @param account The depositor, whose escrow grew.
    /// @param currency The currency.
    /// @param amount What arrived.
    /// @param escrow The account's escrow now.
    event Deposited(address indexed account, address indexed currency, uint256 amount, uint256 escrow);

    /// @notice A withdrawal was requested (replacing any earlier request in this currency).
    /// @param account The requester.
    /// @param currency The currency.
    /// @param amount The amount requested.
    /// @param readyAt Unix time from which it can complete.
    event WithdrawalRequested(address indexed account, address indexed currency, uint256 amount, uint256 readyAt);

    /// @notice A withdrawal completed.
    /// @param account The requester, who was paid.
    /// @param currency The currency.
    /// @param amount What was sent (the request, less what settlements used meanwhile).
    /// @param escrow The account's escrow now.
    event Withdrawn(address indexed account, address indexed currency, uint256 amount, uint256 escrow);

    /// @notice `units` more units of `licenseId` were charged: `amount` left `payer`'s escrow
    /// for the vault; the license's total is now `cumulativeUnits`. `viaVoucher` is false for
    /// the on-chain `meter` path.
    /// @param licenseId The license.
    /// @param assetId The asset paid.
    /// @param payer The license holder, whose escrow paid.
    /// @param currency The currency.
    /// @param units The units charged now.
    /// @param amount units × unitPrice.
    /// @param cumulativeUnits The license's total units used now.
    /// @param viaVoucher True for a signed voucher, false for `meter`.
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
    /// @param licenseId The voucher's license.
    /// @param reason The ABI-encoded custom error (selector and values).
    event VoucherSkipped(uint256 indexed licenseId, bytes reason);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Adds to the caller's escrow. For ETH send `amount` as `msg.value`; for an
    /// ERC-20 approve `amount` to this meter first.
    /// @param currency address(0) for ETH, else the ERC-20 of the licenses to be charged.
    /// @param amount The amount, in the currency's smallest unit (non-zero).
    /// @return received What was credited (less for a fee-on-transfer token).
    function deposit(address currency, uint256 amount) external payable returns (uint256 received);

    /// @notice Starts the withdrawal clock. Until `readyAt` the escrow still pays settlements.
    /// @param currency The currency.
    /// @param amount The amount, at most the escrow.
    function requestWithdrawal(address currency, uint256 amount) external;

    /// @notice Pays out min(requested, escrow left) once the delay has passed.
    /// @param currency The currency.
    /// @return amount What was sent.
    function completeWithdrawal(address currency) external returns (uint256 amount);

    /// @notice Settles one voucher signed by the license's holder; anyone may submit it.
    /// Charges (cumulativeUnits − unitsUsed) × unitPrice from the holder's escrow to the vault.
    /// @param voucher The voucher.
    /// @param signature The holder's signature over `voucherDigest(voucher)`: 65 bytes r ‖ s ‖ v
    /// (v = 27 or 28, low s) for an account, or whatever its ERC-1271 `isValidSignature`
    /// accepts for a contract.
    /// @return amount What was charged.
    function settle(Voucher calldata voucher, bytes calldata signature) external returns (uint256 amount);

    /// @notice Settles many vouchers; a bad one is skipped with VoucherSkipped, never blocking
    /// the rest.
    /// @param vouchers At most MAX_BATCH vouchers.
    /// @param signatures One signature per voucher, in the same order.
    /// @return settledCount How many vouchers settled.
    /// @return totalAmount What they charged in all (summed across currencies).
    function settleBatch(Voucher[] calldata vouchers, bytes[] calldata signatures)
        external
        returns (uint256 settledCount, uint256 totalAmount);

    /// @notice On-chain consumers: the license holder charges `units` to its own escrow.
    /// @param licenseId The license, held by the caller.
    /// @param units The units used now (non-zero).
    /// @return amount What was charged.
    function meter(uint256 licenseId, uint256 units) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice How long a withdrawal waits after it is requested.
    /// @return Seconds.
    function WITHDRAWAL_DELAY() external view returns (uint256);
    /// @notice How long after a license expires its usage may still be charged.
    /// @return Seconds.
    function GRACE_PERIOD() external view returns (uint256);
    /// @notice The most vouchers in one `settleBatch`.
    /// @return The bound.
    function MAX_BATCH() external view returns (uint256);
    /// @notice keccak256("Voucher(uint256 licenseId,uint256 cumulativeUnits,uint256 deadline)").
    /// @return The EIP-712 type hash of Voucher.
    function VOUCHER_TYPEHASH() external view returns (bytes32);

    /// @notice An account's escrow.
    /// @param account The account.
    /// @param currency The currency.
    /// @return The escrow, in the currency's smallest unit.
    function escrowOf(address account, address currency) external view returns (uint256);
    /// @notice An account's pending withdrawal.
    /// @param account The account.
    /// @param currency The currency.
    /// @return The amount and the unix time it is ready (both 0 when none).
    function withdrawalOf(address account, address currency) external view returns (Withdrawal memory);
    /// @notice Everyone's escrow together.
    /// @param currency The currency.
    /// @return The sum, in the currency's smallest unit.
    function totalEscrow(address currency) external view returns (uint256);
    /// @notice The EIP-712 digest the license holder signs for a voucher.
    /// @param voucher The voucher.
    /// @return keccak256(0x1901 ‖ domainSeparator ‖ keccak256(abi.encode(VOUCHER_TYPEHASH,
    /// licenseId, cumulativeUnits, deadline))).
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32);

    /// @notice ERC-5267: the EIP-712 domain vouchers are signed in.
    /// @return fields 0x0f: name, version, chainId and verifyingContract are used; no salt.
    /// @return name "Seedbed UsageMeter".
    /// @return version "1".
    /// @return chainId The chain's id.
    /// @return verifyingContract This meter.
    /// @return salt Unused (zero).
    /// @return extensions None.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        );
}
