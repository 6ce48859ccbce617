// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ILicenseToken} from "../interfaces/ILicenseToken.sol";
import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {Scopes} from "./libraries/Scopes.sol";

/// @title UsageMeter
/// @notice Escrow plus cumulative EIP-712 vouchers. The license token keeps each license's
/// units used; a voucher charges only the units above it, so a replayed or older voucher is
/// worth nothing and one settlement covers any number of calls.
/// @dev Invariant: balance(currency) = totalEscrow(currency) (plus tokens sent here directly).
contract UsageMeter is IUsageMeter, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    address internal constant ETH = address(0);
    /// @inheritdoc IUsageMeter
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(uint256 licenseId,uint256 cumulativeUnits,uint256 deadline)");
    /// @inheritdoc IUsageMeter
    uint256 public constant MAX_BATCH = 256;
    /// @notice Metered use needs one of ACCESS, TRAIN or INFER (the license's scope bits).
    uint8 public constant USAGE_SCOPES = Scopes.METERED;

    /// @notice The license contract whose licenses are charged.
    ILicenseToken public immutable LICENSE;
    /// @notice The vault every charge is paid into.
    IRoyaltyVault public immutable VAULT;
    /// @inheritdoc IUsageMeter
    uint256 public immutable WITHDRAWAL_DELAY;
    /// @inheritdoc IUsageMeter
    uint256 public immutable GRACE_PERIOD;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    mapping(address account => mapping(address currency => uint256)) public escrowOf;
    /// @inheritdoc IUsageMeter
    mapping(address currency => uint256) public totalEscrow;
    mapping(address account => mapping(address currency => Withdrawal)) internal _withdrawals;

    /// @dev A charge that passed every check, ready to apply.
    struct Charge {
        uint256 licenseId;
        address payer;
        uint256 assetId;
        address currency;
        uint256 units;
        uint256 amount;
        uint64 newTotal;
    }

    constructor(ILicenseToken license, IRoyaltyVault vault, uint256 withdrawalDelay, uint256 gracePeriod)
        EIP712("Seedbed UsageMeter", "1")
    {
        LICENSE = license;
        VAULT = vault;
        WITHDRAWAL_DELAY = withdrawalDelay;
        GRACE_PERIOD = gracePeriod;
    }

    /*//////////////////////////////////////////////////////////////
                                 ESCROW
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function deposit(address currency, uint256 amount) external payable nonReentrant returns (uint256 received) {
        if (amount == 0) revert UsageMeterZeroAmount();
        if (currency == ETH) {
            if (msg.value != amount) revert UsageMeterWrongValue(msg.value, amount);
            received = amount;
        } else {
            if (msg.value != 0) revert UsageMeterWrongValue(msg.value, 0);
            // Measuring what arrived needs the transfer first; the guard blocks re-entry.
            uint256 before = IERC20(currency).balanceOf(address(this));
            IERC20(currency).safeTransferFrom(msg.sender, address(this), amount);
            received = IERC20(currency).balanceOf(address(this)) - before;
            if (received == 0) revert UsageMeterNothingArrived(currency, amount);
        }
        uint256 escrow = escrowOf[msg.sender][currency] + received;
        escrowOf[msg.sender][currency] = escrow;
        totalEscrow[currency] += received;
        emit Deposited(msg.sender, currency, received, escrow);
    }

    /// @inheritdoc IUsageMeter
    function requestWithdrawal(address currency, uint256 amount) external {
        if (amount == 0) revert UsageMeterZeroAmount();
        uint256 escrow = escrowOf[msg.sender][currency];
        if (amount > escrow) revert UsageMeterInsufficientEscrow(msg.sender, currency, escrow, amount);
        uint256 readyAt = block.timestamp + WITHDRAWAL_DELAY;
        _withdrawals[msg.sender][currency] = Withdrawal({amount: amount, readyAt: readyAt});
        emit WithdrawalRequested(msg.sender, currency, amount, readyAt);
    }

    /// @inheritdoc IUsageMeter
    function completeWithdrawal(address currency) external nonReentrant returns (uint256 amount) {
        Withdrawal memory w = _withdrawals[msg.sender][currency];
        if (w.readyAt == 0) revert UsageMeterNoWithdrawalRequested(msg.sender, currency);
        if (block.timestamp < w.readyAt) {
            revert UsageMeterWithdrawalNotReady(msg.sender, currency, w.readyAt, block.timestamp);
        }
        uint256 escrow = escrowOf[msg.sender][currency];
        // Settlements during the delay may have used part of the requested amount.
        amount = w.amount < escrow ? w.amount : escrow;
        delete _withdrawals[msg.sender][currency];
        escrowOf[msg.sender][currency] = escrow - amount;
        totalEscrow[currency] -= amount;
        emit Withdrawn(msg.sender, currency, amount, escrow - amount);
        if (amount != 0) _send(currency, msg.sender, amount);
    }

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function settle(Voucher calldata voucher, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 amount)
    {
        (bytes memory err, Charge memory c) = _prepareVoucher(voucher, signature);
        if (err.length != 0) _bubble(err);
        _apply(c, true);
        if (c.amount != 0) _payVault(c.assetId, c.currency, c.amount);
        return c.amount;
    }

    /// @inheritdoc IUsageMeter
    function settleBatch(Voucher[] calldata vouchers, bytes[] calldata signatures)
        external
        nonReentrant
        returns (uint256 settledCount, uint256 totalAmount)
    {
        uint256 n = vouchers.length;
        if (n != signatures.length) revert UsageMeterBatchMismatch(n, signatures.length);
        if (n > MAX_BATCH) revert UsageMeterBatchTooLarge(n, MAX_BATCH);
        // Consecutive charges to the same (asset, currency) reach the vault as one payment.
        uint256 runAsset;
        address runCurrency;
        uint256 runAmount;
        for (uint256 i; i < n; ++i) {
            (bytes memory err, Charge memory c) = _prepareVoucher(vouchers[i], signatures[i]);
            if (err.length != 0) {
                emit VoucherSkipped(vouchers[i].licenseId, err);
                continue;
            }
            _apply(c, true);
            ++settledCount;
            totalAmount += c.amount;
            if (c.amount == 0) continue;
            if (runAmount != 0 && (c.assetId != runAsset || c.currency != runCurrency)) {
                _payVault(runAsset, runCurrency, runAmount);
                runAmount = 0;
            }
            runAsset = c.assetId;
            runCurrency = c.currency;
            runAmount += c.amount;
        }
        if (runAmount != 0) _payVault(runAsset, runCurrency, runAmount);
    }

    /// @inheritdoc IUsageMeter
    function meter(uint256 licenseId, uint256 units) external nonReentrant returns (uint256 amount) {
        ILicenseToken.UsageTerms memory t = LICENSE.usageTerms(licenseId);
        if (msg.sender != t.holder) revert UsageMeterNotHolder(licenseId, msg.sender, t.holder);
        if (units == 0) revert UsageMeterZeroAmount();
        (bytes memory err, Charge memory c) = _prepare(licenseId, t, t.unitsUsed + units);
        if (err.length != 0) _bubble(err);
        _apply(c, false);
        if (c.amount != 0) _payVault(c.assetId, c.currency, c.amount);
        return c.amount;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function withdrawalOf(address account, address currency) external view returns (Withdrawal memory) {
        return _withdrawals[account][currency];
    }

    /// @inheritdoc IUsageMeter
    function eip712Domain()
        public
        view
        override(IUsageMeter, EIP712)
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return super.eip712Domain();
    }

    /// @inheritdoc IUsageMeter
    function voucherDigest(Voucher calldata v) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, v.licenseId, v.cumulativeUnits, v.deadline)));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Every check of a voucher, without side effects. Returns the custom error it fails
    /// with (ABI-encoded, values included) or the charge to apply.
    function _prepareVoucher(Voucher calldata v, bytes calldata signature)
        internal
        view
        returns (bytes memory err, Charge memory c)
    {
        ILicenseToken.UsageTerms memory t;
        try LICENSE.usageTerms(v.licenseId) returns (ILicenseToken.UsageTerms memory terms) {
            t = terms;
        } catch (bytes memory reason) {
            return (reason, c);
        }
        if (block.timestamp > v.deadline) {
            return (abi.encodeWithSelector(UsageMeterVoucherExpired.selector, v.licenseId, v.deadline, block.timestamp), c);
        }
        if (v.cumulativeUnits <= t.unitsUsed) {
            return (
                abi.encodeWithSelector(UsageMeterStaleVoucher.selector, v.licenseId, v.cumulativeUnits, t.unitsUsed), c
            );
        }
        if (v.cumulativeUnits > type(uint64).max) {
            return (
                abi.encodeWithSelector(UsageMeterUnitsAboveCap.selector, v.licenseId, v.cumulativeUnits, type(uint64).max),
                c
            );
        }
        if (!SignatureChecker.isValidSignatureNow(t.holder, voucherDigest(v), signature)) {
            return (abi.encodeWithSelector(UsageMeterBadSignature.selector, v.licenseId, t.holder), c);
        }
        return _prepare(v.licenseId, t, v.cumulativeUnits);
    }

    /// @dev The checks shared by vouchers and `meter`: license open, scope, cap, escrow.
    function _prepare(uint256 licenseId, ILicenseToken.UsageTerms memory t, uint256 newTotal)
        internal
        view
        returns (bytes memory err, Charge memory c)
    {
        if (t.expiresAt != 0 && block.timestamp > uint256(t.expiresAt) + GRACE_PERIOD) {
            return (
                abi.encodeWithSelector(
                    UsageMeterLicenseClosed.selector, licenseId, t.expiresAt, uint256(t.expiresAt) + GRACE_PERIOD
                ),
                c
            );
        }
        if (t.scopes & USAGE_SCOPES == 0) {
            return (abi.encodeWithSelector(UsageMeterScopeMissing.selector, licenseId, t.scopes), c);
        }
        uint256 cap = t.maxUnits == 0 ? type(uint64).max : t.maxUnits;
        if (newTotal > cap) {
            return (abi.encodeWithSelector(UsageMeterUnitsAboveCap.selector, licenseId, newTotal, cap), c);
        }
        uint256 units = newTotal - t.unitsUsed;
        uint256 amount = units * t.unitPrice; // < 2^64 × 2^128: cannot overflow
        uint256 escrow = escrowOf[t.holder][t.currency];
        if (amount > escrow) {
            return (
                abi.encodeWithSelector(
                    UsageMeterInsufficientEscrow.selector, t.holder, t.currency, escrow, amount
                ),
                c
            );
        }
        c = Charge({
            licenseId: licenseId,
            payer: t.holder,
            assetId: t.assetId,
            currency: t.currency,
            units: units,
            amount: amount,
            newTotal: uint64(newTotal)
        });
    }

    function _apply(Charge memory c, bool viaVoucher) internal {
        escrowOf[c.payer][c.currency] -= c.amount;
        totalEscrow[c.currency] -= c.amount;
        LICENSE.recordUsage(c.licenseId, c.newTotal);
        emit UsageSettled(c.licenseId, c.assetId, c.payer, c.currency, c.units, c.amount, c.newTotal, viaVoucher);
    }

    function _payVault(uint256 assetId, address currency, uint256 amount) internal {
        if (currency == ETH) {
            VAULT.pay{value: amount}(assetId, ETH, amount);
            return;
        }
        IERC20 token = IERC20(currency);
        // One unlimited approval per token: the vault is immutable and pulls only in `pay`.
        if (token.allowance(address(this), address(VAULT)) < amount) {
            token.forceApprove(address(VAULT), type(uint256).max);
        }
        VAULT.pay(assetId, currency, amount);
    }

    function _send(address currency, address to, uint256 amount) internal {
        if (currency == ETH) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert UsageMeterTransferFailed(currency, to, amount);
        } else {
            IERC20(currency).safeTransfer(to, amount);
        }
    }

    function _bubble(bytes memory err) internal pure {
        assembly ("memory-safe") {
            revert(add(err, 0x20), mload(err))
        }
    }
}
