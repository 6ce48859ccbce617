// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ILicenseToken} from "../interfaces/ILicenseToken.sol";
import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";
import {IUsageMeter} from "../interfaces/IUsageMeter.sol";
import {Scopes} from "./libraries/Scopes.sol";

/// @title UsageMeter
/// @notice Channels of reserved escrow plus cumulative EIP-712 vouchers. A channel is
/// (license, payer, operator): its reserve pays only the vouchers its payer signed for that
/// operator, and leaves otherwise only through a delayed, one-time withdrawal. So a gateway that
/// accepted a voucher its channel's reserve covered is paid, whatever the payer does elsewhere.
/// @dev Invariant per currency: balance ≥ totalHeld = Σ reserves + Σ owed to assets +
/// Σ operator earnings. Settlement moves money between those books without any external call
/// except a gas-bounded ERC-1271 check, so no entry of a batch can make another fail.
contract UsageMeter is IUsageMeter, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    address internal constant ETH = address(0);
    uint256 internal constant BPS = 10_000;
    /// @inheritdoc IUsageMeter
    bytes32 public constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(uint256 licenseId,address payer,address operator,uint256 cumulativeUnits,uint256 deadline)"
    );
    /// @inheritdoc IUsageMeter
    uint256 public constant MAX_BATCH = 256;
    /// @inheritdoc IUsageMeter
    uint256 public constant WITHDRAWAL_WINDOW = 3 days;
    /// @inheritdoc IUsageMeter
    uint256 public constant SIGNATURE_GAS = 60_000;
    /// @dev What must be left before an ERC-1271 call for it to really get SIGNATURE_GAS
    /// (EIP-150 keeps 1/64 back) plus the call's own overhead.
    uint256 internal constant SIGNATURE_GAS_NEEDED = SIGNATURE_GAS + SIGNATURE_GAS / 63 + 10_000;
    uint256 internal constant SIG_OK = 0;
    uint256 internal constant SIG_BAD = 1;
    uint256 internal constant SIG_LOW_GAS = 2;
    /// @notice Metered use needs one of ACCESS, TRAIN or INFER (the license's scope bits).
    uint8 public constant USAGE_SCOPES = Scopes.METERED;
    /// @notice Bounds on the deployment parameters (grace ≤ withdrawal delay, so a withdrawal
    /// never outruns the settlement window a gateway was promised).
    uint256 public constant MIN_GRACE_PERIOD = 1 hours;
    uint256 public constant MAX_GRACE_PERIOD = 30 days;
    uint256 public constant MAX_WITHDRAWAL_DELAY = 90 days;

    /// @notice The license contract whose licenses are charged.
    ILicenseToken public immutable LICENSE;
    /// @notice The vault owed money is paid into.
    IRoyaltyVault public immutable VAULT;
    /// @inheritdoc IUsageMeter
    uint256 public immutable WITHDRAWAL_DELAY;
    /// @inheritdoc IUsageMeter
    uint256 public immutable GRACE_PERIOD;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One slot: what settlement reads and writes per channel.
    struct Channel {
        uint128 reserve;
        uint64 units;
        uint64 unitLimit; // 0 = not open
    }

    struct Withdrawal {
        uint128 amount;
        uint40 readyAt;
        uint40 windowEnd;
    }

    /// @dev One slot per (license, payer): shared by the payer's channels with every operator.
    struct Holder {
        address signer;
        uint40 closesAt;
        bool held;
        uint40 switchAt; // 0 = no signer change scheduled
    }

    /// @dev One slot: what settlement needs of a license, copied once (sold terms never change).
    /// The currency is an index into `_currencies` so the slot holds everything.
    struct Metered {
        uint128 unitPrice;
        uint64 assetId;
        uint16 serviceBps;
        uint32 currencyId; // 0 = no channel opened on the license yet
    }

    /// @dev Read and written only when channels open or release units.
    struct Cap {
        uint64 maxUnits; // 0 = uncapped
        uint64 allotted;
    }

    /// @dev One slot; both only grow, so settlement never writes a zero slot back to non-zero.
    struct Owed {
        uint128 accrued;
        uint128 paid;
    }

    /// @dev A charge that passed every check, ready to apply.
    struct Charge {
        bytes32 id;
        uint256 licenseId;
        uint256 assetId;
        uint32 currencyId;
        address operator;
        uint256 units;
        uint256 amount;
        uint256 share;
        uint64 cumulative;
    }

    mapping(bytes32 channelId => Channel) internal _channels;
    mapping(bytes32 channelId => Withdrawal) internal _withdrawals;
    mapping(uint256 licenseId => mapping(address payer => Holder)) internal _holders;
    mapping(uint256 licenseId => mapping(address payer => address)) internal _nextSigner;
    mapping(uint256 licenseId => Metered) internal _metered;
    mapping(uint256 licenseId => Cap) internal _caps;
    mapping(uint256 assetId => mapping(uint32 currencyId => Owed)) internal _owed;
    mapping(address operator => mapping(uint32 currencyId => uint256)) internal _earnings;
    mapping(uint32 currencyId => address) internal _currencies;
    mapping(address currency => uint32) internal _currencyIds;
    uint32 internal _currencyCount;
    /// @inheritdoc IUsageMeter
    mapping(address currency => uint256) public totalHeld;

    constructor(ILicenseToken license, IRoyaltyVault vault, uint256 withdrawalDelay, uint256 gracePeriod)
        EIP712("Seedbed UsageMeter", "2")
    {
        if (gracePeriod < MIN_GRACE_PERIOD || gracePeriod > MAX_GRACE_PERIOD) {
            revert UsageMeterBadParameter("gracePeriod", gracePeriod, MIN_GRACE_PERIOD, MAX_GRACE_PERIOD);
        }
        if (withdrawalDelay < gracePeriod || withdrawalDelay > MAX_WITHDRAWAL_DELAY) {
            revert UsageMeterBadParameter("withdrawalDelay", withdrawalDelay, gracePeriod, MAX_WITHDRAWAL_DELAY);
        }
        LICENSE = license;
        VAULT = vault;
        WITHDRAWAL_DELAY = withdrawalDelay;
        GRACE_PERIOD = gracePeriod;
    }

    /*//////////////////////////////////////////////////////////////
                                CHANNELS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function open(uint256 licenseId, address operator, address signer, uint64 units)
        external
        nonReentrant
        returns (bytes32 id)
    {
        id = channelId(licenseId, msg.sender, operator);
        Channel memory ch = _channels[id];
        // A channel that used every unit it was allotted may be opened again for more.
        if (ch.unitLimit != 0 && ch.unitLimit != ch.units) revert UsageMeterChannelExists(id);
        _open(id, licenseId, operator, signer, units);
    }

    /// @inheritdoc IUsageMeter
    function deposit(uint256 licenseId, address operator, uint256 amount)
        external
        payable
        nonReentrant
        returns (uint256 received)
    {
        if (amount == 0) revert UsageMeterZeroAmount();
        bytes32 id = channelId(licenseId, msg.sender, operator);
        Channel storage ch = _channels[id];
        if (ch.unitLimit == ch.units) {
            // New (both 0), or out of units on a capped license: (re)open, allotting all left.
            _open(id, licenseId, operator, address(0), 0);
        } else {
            Holder memory h = _holders[licenseId][msg.sender];
            if (!h.held) revert UsageMeterNotHeld(licenseId, msg.sender);
            if (block.timestamp > h.closesAt) revert UsageMeterChannelClosed(licenseId, msg.sender, h.closesAt);
        }
        address currency = _currencies[_metered[licenseId].currencyId];
        if (currency == ETH) {
            if (msg.value != amount) revert UsageMeterWrongValue(msg.value, amount);
            received = amount;
        } else {
            if (msg.value != 0) revert UsageMeterWrongValue(msg.value, 0);
            received = _pull(currency, amount);
        }
        uint256 reserve = ch.reserve + received;
        if (reserve > type(uint128).max) revert UsageMeterReserveTooLarge(reserve);
        ch.reserve = uint128(reserve);
        totalHeld[currency] += received;
        emit Deposited(id, received, reserve);
    }

    /// @inheritdoc IUsageMeter
    function requestWithdrawal(uint256 licenseId, address operator, uint256 amount) external {
        if (amount == 0) revert UsageMeterZeroAmount();
        bytes32 id = channelId(licenseId, msg.sender, operator);
        uint256 reserve = _channels[id].reserve;
        if (amount > reserve) revert UsageMeterInsufficientReserve(id, reserve, amount);
        uint256 readyAt = block.timestamp + WITHDRAWAL_DELAY;
        uint256 windowEnd = readyAt + WITHDRAWAL_WINDOW;
        // amount ≤ reserve < 2^128; times are bounded by the constructor's bounds.
        _withdrawals[id] = Withdrawal(uint128(amount), uint40(readyAt), uint40(windowEnd));
        emit WithdrawalRequested(id, amount, readyAt, windowEnd);
    }

    /// @inheritdoc IUsageMeter
    function cancelWithdrawal(uint256 licenseId, address operator) external {
        bytes32 id = channelId(licenseId, msg.sender, operator);
        if (_withdrawals[id].readyAt == 0) revert UsageMeterNoWithdrawalRequested(id);
        delete _withdrawals[id];
        emit WithdrawalCancelled(id);
    }

    /// @inheritdoc IUsageMeter
    function completeWithdrawal(uint256 licenseId, address operator) external nonReentrant returns (uint256 amount) {
        bytes32 id = channelId(licenseId, msg.sender, operator);
        Withdrawal memory w = _withdrawals[id];
        if (w.readyAt == 0) revert UsageMeterNoWithdrawalRequested(id);
        if (block.timestamp < w.readyAt) revert UsageMeterWithdrawalNotReady(id, w.readyAt, block.timestamp);
        if (block.timestamp > w.windowEnd) revert UsageMeterWithdrawalLapsed(id, w.windowEnd, block.timestamp);
        delete _withdrawals[id];
        Channel storage ch = _channels[id];
        uint256 reserve = ch.reserve;
        // Settlements during the delay may have used part of the requested amount.
        amount = w.amount < reserve ? w.amount : reserve;
        reserve -= amount;
        ch.reserve = uint128(reserve);
        address currency = _currencies[_metered[licenseId].currencyId];
        totalHeld[currency] -= amount;
        emit Withdrawn(id, msg.sender, amount, reserve);
        // An empty reserve can pay no voucher, so its unused units may serve another channel.
        if (reserve == 0) _release(id, licenseId, ch);
        if (amount != 0) _send(currency, msg.sender, amount);
    }

    /// @inheritdoc IUsageMeter
    function changeSigner(uint256 licenseId, address signer) external {
        Holder storage h = _holders[licenseId][msg.sender];
        if (h.signer == address(0)) revert UsageMeterNoChannel(channelId(licenseId, msg.sender, address(0)));
        uint40 switchAt = h.switchAt;
        if (switchAt != 0) {
            // The old signer's vouchers settle until switchAt + GRACE_PERIOD: only then may the
            // next change start, so at most two signers are ever in play.
            uint256 until = uint256(switchAt) + GRACE_PERIOD;
            if (block.timestamp <= until) revert UsageMeterSignerChangePending(licenseId, msg.sender, until);
            h.signer = _nextSigner[licenseId][msg.sender]; // the earlier change is in force: fold it in
        }
        address next = signer == address(0) ? msg.sender : signer;
        switchAt = uint40(block.timestamp + WITHDRAWAL_DELAY);
        _nextSigner[licenseId][msg.sender] = next;
        h.switchAt = switchAt;
        emit SignerChangeScheduled(licenseId, msg.sender, next, switchAt);
    }

    /// @inheritdoc IUsageMeter
    function releaseUnits(uint256 licenseId, address payer, address operator) external returns (uint256 units) {
        bytes32 id = channelId(licenseId, payer, operator);
        Channel storage ch = _channels[id];
        if (ch.unitLimit == 0) revert UsageMeterNoChannel(id);
        uint40 closesAt = _holders[licenseId][payer].closesAt;
        if (block.timestamp <= closesAt) revert UsageMeterChannelOpen(id, closesAt);
        return _release(id, licenseId, ch);
    }

    /// @inheritdoc IUsageMeter
    function onLicenseTransfer(uint256 licenseId, address from, address to, uint40 expiresAt) external {
        if (msg.sender != address(LICENSE)) revert UsageMeterNotLicense(msg.sender);
        Holder storage f = _holders[licenseId][from];
        if (f.signer != address(0) && f.held) {
            f.held = false;
            uint40 closesAt = uint40(block.timestamp + GRACE_PERIOD);
            if (closesAt < f.closesAt) f.closesAt = closesAt;
            emit HolderLeft(licenseId, from, f.closesAt);
        }
        Holder storage t = _holders[licenseId][to];
        if (t.signer != address(0) && !t.held) {
            t.held = true;
            t.closesAt = _closeTime(expiresAt);
            emit HolderReturned(licenseId, to, t.closesAt);
        }
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
        for (uint256 i; i < n; ++i) {
            Voucher calldata v = vouchers[i];
            (bytes memory err, Charge memory c) = _prepareVoucher(v, signatures[i]);
            if (err.length != 0) {
                emit VoucherSkipped(channelId(v.licenseId, v.payer, v.operator), v.licenseId, err);
                continue;
            }
            _apply(c, true);
            ++settledCount;
            totalAmount += c.amount;
        }
    }

    /// @inheritdoc IUsageMeter
    function meter(uint256 licenseId, address operator, uint256 units) external nonReentrant returns (uint256) {
        if (units == 0) revert UsageMeterZeroAmount();
        bytes32 id = channelId(licenseId, msg.sender, operator);
        Holder memory h = _holders[licenseId][msg.sender];
        Channel memory ch = _channels[id];
        if (ch.unitLimit == 0) revert UsageMeterNoChannel(id);
        if (!h.held) revert UsageMeterNotHeld(licenseId, msg.sender);
        if (block.timestamp > h.closesAt) revert UsageMeterChannelClosed(licenseId, msg.sender, h.closesAt);
        if (units > ch.unitLimit - ch.units) revert UsageMeterUnitsAboveCap(id, ch.units + units, ch.unitLimit);
        (bytes memory err, Charge memory c) = _price(id, licenseId, operator, ch, uint64(ch.units + units));
        if (err.length != 0) _bubble(err);
        _apply(c, false);
        return c.amount;
    }

    /// @inheritdoc IUsageMeter
    function payAsset(uint256 assetId, address currency) external nonReentrant returns (uint256 amount) {
        Owed storage o = _owed[assetId][_currencyIds[currency]];
        uint128 accrued = o.accrued;
        amount = accrued - o.paid;
        if (amount == 0) revert UsageMeterNothingOwed(assetId, currency);
        o.paid = accrued;
        totalHeld[currency] -= amount;
        emit AssetPaid(assetId, currency, amount);
        if (currency == ETH) {
            VAULT.pay{value: amount}(assetId, ETH, amount);
        } else {
            IERC20(currency).forceApprove(address(VAULT), amount);
            VAULT.pay(assetId, currency, amount);
        }
    }

    /// @inheritdoc IUsageMeter
    function withdrawEarnings(address currency, address to) external nonReentrant returns (uint256 amount) {
        uint32 cid = _currencyIds[currency];
        amount = _earnings[msg.sender][cid];
        if (amount == 0) revert UsageMeterZeroAmount();
        _earnings[msg.sender][cid] = 0;
        totalHeld[currency] -= amount;
        emit EarningsWithdrawn(msg.sender, currency, to, amount);
        _send(currency, to, amount);
    }

    /// @inheritdoc IUsageMeter
    function sweepExcess(address currency) external nonReentrant returns (uint256 amount) {
        uint256 balance = currency == ETH ? address(this).balance : IERC20(currency).balanceOf(address(this));
        uint256 owed = totalHeld[currency];
        if (balance <= owed) revert UsageMeterNoExcess(currency, balance, owed);
        amount = balance - owed;
        address treasury = VAULT.TREASURY();
        emit ExcessSwept(currency, treasury, amount);
        _send(currency, treasury, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageMeter
    function channelId(uint256 licenseId, address payer, address operator) public pure returns (bytes32) {
        return keccak256(abi.encode(licenseId, payer, operator));
    }

    /// @inheritdoc IUsageMeter
    function channel(uint256 licenseId, address payer, address operator) external view returns (ChannelView memory v) {
        bytes32 id = channelId(licenseId, payer, operator);
        Channel memory ch = _channels[id];
        Withdrawal memory w = _withdrawals[id];
        Holder memory h = _holders[licenseId][payer];
        v = ChannelView({
            reserve: ch.reserve,
            units: ch.units,
            unitLimit: ch.unitLimit,
            signer: _signer(h, licenseId, payer),
            closesAt: h.closesAt,
            held: h.held,
            withdrawalAmount: w.amount,
            readyAt: w.readyAt,
            windowEnd: w.windowEnd,
            nextSigner: h.switchAt == 0 ? address(0) : _nextSigner[licenseId][payer],
            switchAt: h.switchAt
        });
    }

    /// @inheritdoc IUsageMeter
    function metered(uint256 licenseId) external view returns (MeteredView memory) {
        Metered memory m = _metered[licenseId];
        Cap memory cap = _caps[licenseId];
        return MeteredView({
            currency: _currencies[m.currencyId],
            assetId: m.assetId,
            serviceBps: m.serviceBps,
            unitPrice: m.unitPrice,
            maxUnits: cap.maxUnits,
            unitsAllotted: cap.allotted,
            opened: m.currencyId != 0
        });
    }

    /// @inheritdoc IUsageMeter
    function unitsUnallotted(uint256 licenseId) external view returns (uint64) {
        Cap memory cap = _caps[licenseId];
        if (_metered[licenseId].currencyId == 0) return type(uint64).max; // not known here yet
        return cap.maxUnits == 0 ? type(uint64).max : cap.maxUnits - cap.allotted;
    }

    /// @inheritdoc IUsageMeter
    function earningsOf(address operator, address currency) external view returns (uint256) {
        return _earnings[operator][_currencyIds[currency]];
    }

    /// @inheritdoc IUsageMeter
    function signerOf(uint256 licenseId, address payer) external view returns (address) {
        return _signer(_holders[licenseId][payer], licenseId, payer);
    }

    /// @inheritdoc IUsageMeter
    function owedToAsset(uint256 assetId, address currency) external view returns (uint256) {
        Owed memory o = _owed[assetId][_currencyIds[currency]];
        return o.accrued - o.paid;
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
        return _hashTypedDataV4(
            keccak256(abi.encode(VOUCHER_TYPEHASH, v.licenseId, v.payer, v.operator, v.cumulativeUnits, v.deadline))
        );
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Opens (or reopens, after its units were released) the caller's channel.
    function _open(bytes32 id, uint256 licenseId, address operator, address signer, uint64 units) internal {
        if (operator == address(0)) revert UsageMeterNoOperator(licenseId);
        ILicenseToken.UsageTerms memory t = LICENSE.usageTerms(licenseId); // reverts for no license
        if (t.holder != msg.sender) revert UsageMeterNotHolder(licenseId, msg.sender, t.holder);
        if (t.scopes & USAGE_SCOPES == 0) revert UsageMeterScopeMissing(licenseId, t.scopes);
        if (t.expiresAt != 0 && block.timestamp >= t.expiresAt) revert UsageMeterLicenseExpired(licenseId, t.expiresAt);

        if (_metered[licenseId].currencyId == 0) {
            _metered[licenseId] = Metered({
                unitPrice: t.unitPrice,
                assetId: uint64(t.assetId), // registry ids are uint64
                serviceBps: t.serviceBps,
                currencyId: _currencyIdOf(t.currency)
            });
            if (t.maxUnits != 0) _caps[licenseId].maxUnits = t.maxUnits;
        }
        // Written by key, not through storage pointers, here where channels and holders are
        // first created (static analysers track these writes; the hot paths use pointers).
        uint64 limit = type(uint64).max;
        if (t.maxUnits != 0) {
            Cap storage cap = _caps[licenseId];
            uint64 left = t.maxUnits - cap.allotted;
            uint64 want = units == 0 ? left : units;
            if (want == 0 || want > left) revert UsageMeterNoUnitsLeft(licenseId, units, left);
            cap.allotted += want;
            limit = _channels[id].units + want; // ≤ maxUnits: a channel's units were allotted before
        }
        _channels[id].unitLimit = limit;

        Holder memory h = _holders[licenseId][msg.sender];
        if (h.signer == address(0)) h.signer = signer == address(0) ? msg.sender : signer;
        h.held = true;
        h.closesAt = _closeTime(t.expiresAt);
        _holders[licenseId][msg.sender] = h;
        emit ChannelOpened(id, licenseId, msg.sender, operator, _signer(h, licenseId, msg.sender), limit, h.closesAt);
    }

    /// @dev Every check of a voucher, without side effects. Returns the custom error it fails
    /// with (ABI-encoded, values included) or the charge to apply.
    function _prepareVoucher(Voucher calldata v, bytes calldata signature)
        internal
        view
        returns (bytes memory err, Charge memory c)
    {
        bytes32 id = channelId(v.licenseId, v.payer, v.operator);
        if (block.timestamp > v.deadline) {
            return (abi.encodeWithSelector(UsageMeterVoucherExpired.selector, v.licenseId, v.deadline, block.timestamp), c);
        }
        Channel memory ch = _channels[id];
        if (ch.unitLimit == 0) return (abi.encodeWithSelector(UsageMeterNoChannel.selector, id), c);
        Holder memory h = _holders[v.licenseId][v.payer];
        if (block.timestamp > h.closesAt) {
            return (abi.encodeWithSelector(UsageMeterChannelClosed.selector, v.licenseId, v.payer, h.closesAt), c);
        }
        if (v.cumulativeUnits <= ch.units) {
            return (abi.encodeWithSelector(UsageMeterStaleVoucher.selector, id, v.cumulativeUnits, ch.units), c);
        }
        if (v.cumulativeUnits > ch.unitLimit) {
            return (abi.encodeWithSelector(UsageMeterUnitsAboveCap.selector, id, v.cumulativeUnits, ch.unitLimit), c);
        }
        (uint256 sig, address signer) = _verify(h, v.licenseId, v.payer, voucherDigest(v), signature);
        if (sig == SIG_LOW_GAS) {
            return (abi.encodeWithSelector(UsageMeterGasTooLow.selector, gasleft(), SIGNATURE_GAS_NEEDED), c);
        }
        if (sig != SIG_OK) {
            return (abi.encodeWithSelector(UsageMeterBadSignature.selector, v.licenseId, v.payer, signer), c);
        }
        return _price(id, v.licenseId, v.operator, ch, uint64(v.cumulativeUnits));
    }

    /// @dev The checks shared by vouchers and `meter` once the units are known: the reserve.
    function _price(bytes32 id, uint256 licenseId, address operator, Channel memory ch, uint64 cumulative)
        internal
        view
        returns (bytes memory err, Charge memory c)
    {
        Metered memory m = _metered[licenseId];
        uint256 units = cumulative - ch.units;
        uint256 amount = units * m.unitPrice; // < 2^64 × 2^128: cannot overflow
        if (amount > ch.reserve) {
            return (abi.encodeWithSelector(UsageMeterInsufficientReserve.selector, id, ch.reserve, amount), c);
        }
        uint256 share = amount * m.serviceBps / BPS;
        // A token with an absurd supply could push the asset's running total past 2^128: skip
        // that entry rather than let the addition panic and take the batch with it.
        uint256 accrued = uint256(_owed[m.assetId][m.currencyId].accrued) + (amount - share);
        if (accrued > type(uint128).max) {
            return (abi.encodeWithSelector(UsageMeterReserveTooLarge.selector, accrued), c);
        }
        c = Charge({
            id: id,
            licenseId: licenseId,
            assetId: m.assetId,
            currencyId: m.currencyId,
            operator: operator,
            units: units,
            amount: amount,
            share: share,
            cumulative: cumulative
        });
    }

    /// @dev Moves the charge between the meter's own books; no external call.
    function _apply(Charge memory c, bool viaVoucher) internal {
        Channel storage ch = _channels[c.id];
        ch.reserve -= uint128(c.amount);
        ch.units = c.cumulative;
        if (c.share != 0) _earnings[c.operator][c.currencyId] += c.share;
        uint256 toAsset = c.amount - c.share;
        if (toAsset != 0) _owed[c.assetId][c.currencyId].accrued += uint128(toAsset);
        emit UsageSettled(c.id, c.licenseId, c.units, c.amount, c.share, c.cumulative, viaVoucher);
    }

    function _release(bytes32 id, uint256 licenseId, Channel storage ch) internal returns (uint256 unused) {
        Cap storage cap = _caps[licenseId];
        if (cap.maxUnits == 0) return 0; // uncapped: nothing was allotted
        uint64 units = ch.units;
        unused = ch.unitLimit - units;
        if (unused == 0) return 0;
        ch.unitLimit = units;
        cap.allotted -= uint64(unused);
        emit UnitsReleased(id, unused);
    }

    function _currencyIdOf(address currency) internal returns (uint32 cid) {
        cid = _currencyIds[currency];
        if (cid != 0) return cid;
        cid = ++_currencyCount; // one per currency ever used: cannot reach 2^32
        _currencyIds[currency] = cid;
        _currencies[cid] = currency;
    }

    /// @dev The signer in force, and, for GRACE_PERIOD after a scheduled switch, the previous
    /// one too: a voucher the gateway accepted just before the switch still settles.
    function _verify(Holder memory h, uint256 licenseId, address payer, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (uint256 status, address signer)
    {
        uint256 switchAt = h.switchAt;
        if (switchAt == 0 || block.timestamp < switchAt) {
            return (_checkSignature(h.signer, digest, signature), h.signer);
        }
        signer = _nextSigner[licenseId][payer];
        status = _checkSignature(signer, digest, signature);
        if (status == SIG_OK || block.timestamp > switchAt + GRACE_PERIOD) return (status, signer);
        uint256 previous = _checkSignature(h.signer, digest, signature);
        if (previous == SIG_OK) return (SIG_OK, signer);
        return (status == SIG_LOW_GAS ? status : previous, signer);
    }

    function _signer(Holder memory h, uint256 licenseId, address payer) internal view returns (address) {
        if (h.switchAt != 0 && block.timestamp >= h.switchAt) return _nextSigner[licenseId][payer];
        return h.signer;
    }

    function _closeTime(uint40 expiresAt) internal view returns (uint40) {
        // expiresAt < 2^40 and GRACE_PERIOD ≤ 30 days: the sum fits unless a license ends in
        // the year 36,000, in which case it is as good as perpetual.
        if (expiresAt == 0) return type(uint40).max;
        uint256 t = uint256(expiresAt) + GRACE_PERIOD;
        return t > type(uint40).max ? type(uint40).max : uint40(t);
    }

    /// @dev ECDSA first (no code lookup for the common case); a contract signer is asked
    /// through ERC-1271 with at most SIGNATURE_GAS and 32 bytes of returned data, so a
    /// hostile wallet can neither burn the batch's gas nor bomb it with return data.
    /// Returns SIG_OK, SIG_BAD, or SIG_LOW_GAS when too little gas is left to give the check
    /// its full allowance (then the entry is skipped as UsageMeterGasTooLow, not misreported
    /// as a bad signature).
    function _checkSignature(address signer, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (uint256)
    {
        (address recovered, ECDSA.RecoverError e,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (e == ECDSA.RecoverError.NoError && recovered == signer) return SIG_OK;
        if (signer.code.length == 0) return SIG_BAD;
        if (gasleft() < SIGNATURE_GAS_NEEDED) return SIG_LOW_GAS;
        bytes memory data = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        bool ok;
        uint256 word;
        uint256 size;
        uint256 gasCap = SIGNATURE_GAS;
        assembly ("memory-safe") {
            ok := staticcall(gasCap, signer, add(data, 0x20), mload(data), 0x00, 0x20)
            size := returndatasize()
            word := mload(0x00)
        }
        // The whole word, as OpenZeppelin's SignatureChecker: a fallback that echoes its calldata
        // starts with the selector too.
        return ok && size >= 32 && bytes32(word) == bytes32(IERC1271.isValidSignature.selector) ? SIG_OK : SIG_BAD;
    }

    function _pull(address currency, uint256 amount) internal returns (uint256 received) {
        // Measuring what arrived needs the transfer first; the guard blocks re-entry.
        uint256 before = IERC20(currency).balanceOf(address(this));
        IERC20(currency).safeTransferFrom(msg.sender, address(this), amount);
        received = IERC20(currency).balanceOf(address(this)) - before;
        if (received == 0) revert UsageMeterNothingArrived(currency, amount);
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
