// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Seedbed usage meter
/// @notice Pay-per-use through channels. A channel is (license, payer, operator): the payer's
/// reserve for one gateway operator's service of one license. The payer's voucher signer signs
/// cumulative EIP-712 vouchers off-chain; anyone submits the latest, which charges
/// `(cumulativeUnits − channel units) × unitPrice` from that channel's reserve only: the
/// operator's service share to its earnings, the rest owed to the asset and pushed to the vault
/// by `payAsset`. A reserve leaves only through settlement or a delayed, one-time withdrawal.
/// Amounts are in the license currency's smallest unit (wei for ETH = address(0)); delays and
/// periods are seconds; deadlines and times are unix seconds.
interface IUsageMeter {
    /// @notice EIP-712: Voucher(uint256 licenseId,address payer,address operator,
    /// uint256 cumulativeUnits,uint256 deadline). `cumulativeUnits` is the channel's total so far
    /// (not an increment); `deadline` is the last unix time at which the voucher settles.
    struct Voucher {
        uint256 licenseId;
        address payer;
        address operator;
        uint256 cumulativeUnits;
        uint256 deadline;
    }

    /// @notice A channel as readers see it. `reserve` pays this channel's vouchers only;
    /// `units` were charged so far, at most `unitLimit` ever; vouchers signed by `signer`
    /// settle until `closesAt` (license expiry + grace, or grace after the payer let the
    /// license go); `held` = the payer holds the license now. The withdrawal fields are 0
    /// when none is pending: it completes from `readyAt` to `windowEnd`, not after.
    /// `nextSigner` takes over at `switchAt` (0 = no change scheduled); `signer` is the one in
    /// force now, and the previous one's vouchers still settle until switchAt + GRACE_PERIOD.
    struct ChannelView {
        uint128 reserve;
        uint64 units;
        uint64 unitLimit;
        address signer;
        uint40 closesAt;
        bool held;
        uint128 withdrawalAmount;
        uint40 readyAt;
        uint40 windowEnd;
        address nextSigner;
        uint40 switchAt;
    }

    /// @notice A license's terms as the meter cached them when its first channel opened
    /// (sold terms never change; `opened` false = no channel yet, all else zero), and the
    /// units of a capped license already allotted to channels.
    struct MeteredView {
        address currency;
        uint256 assetId;
        uint16 serviceBps;
        uint128 unitPrice;
        uint64 maxUnits;
        uint64 unitsAllotted;
        bool opened;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The amount (or the number of units) is zero.
    error UsageMeterZeroAmount();

    /// @notice The meter holds no more of this currency than it owes (reserves, amounts owed to
    /// assets and earnings): there is nothing to sweep.
    /// @param currency The token (or 0 for ETH).
    /// @param balance The meter's balance.
    /// @param held What it owes.
    error UsageMeterNoExcess(address currency, uint256 balance, uint256 held);

    /// @notice `msg.value` must equal `amount` for ETH and be 0 for an ERC-20.
    /// @param sent `msg.value`, in wei.
    /// @param expected What was due, in wei.
    error UsageMeterWrongValue(uint256 sent, uint256 expected);

    /// @notice The ERC-20 transfer delivered nothing to the meter.
    /// @param currency The token.
    /// @param requested The amount pulled, in the token's smallest unit.
    error UsageMeterNothingArrived(address currency, uint256 requested);

    /// @notice Only the license's holder may open a channel on it or meter it on-chain.
    /// @param licenseId The license.
    /// @param caller The caller.
    /// @param holder The license's holder.
    error UsageMeterNotHolder(uint256 licenseId, address caller, address holder);

    /// @notice Metered use needs one of ACCESS (1), TRAIN (2) or INFER (4); the license has none.
    /// @param licenseId The license.
    /// @param scopes Its scope bitmask.
    error UsageMeterScopeMissing(uint256 licenseId, uint8 scopes);

    /// @notice The license has expired: no channel opens on it.
    /// @param licenseId The license.
    /// @param expiresAt Its expiry, unix time.
    error UsageMeterLicenseExpired(uint256 licenseId, uint40 expiresAt);

    /// @notice The channel was never opened (from `changeSigner`: the payer has no channel on
    /// the license at all, and `channelId` is that of operator address 0).
    /// @param channelId keccak256(abi.encode(licenseId, payer, operator)).
    error UsageMeterNoChannel(bytes32 channelId);

    /// @notice The channel is already open (open it once; deposit to add).
    /// @param channelId The channel.
    error UsageMeterChannelExists(bytes32 channelId);

    /// @notice The payer no longer holds the license: its channels take no deposits and no
    /// on-chain metering (its vouchers still settle until `closesAt`).
    /// @param licenseId The license.
    /// @param payer The payer.
    error UsageMeterNotHeld(uint256 licenseId, address payer);

    /// @notice The payer's vouchers on this license settled until `closesAt` and no longer do.
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @param closesAt Unix time.
    error UsageMeterChannelClosed(uint256 licenseId, address payer, uint40 closesAt);

    /// @notice The channel is still open: its unused units return only once it has closed.
    /// @param channelId The channel.
    /// @param closesAt Unix time from which they can.
    error UsageMeterChannelOpen(bytes32 channelId, uint40 closesAt);

    /// @notice A capped license has fewer unallotted units than the channel asks for.
    /// @param licenseId The license.
    /// @param asked Units asked for (0 = all that are left).
    /// @param left Units not yet allotted to a channel.
    error UsageMeterNoUnitsLeft(uint256 licenseId, uint256 asked, uint256 left);

    /// @notice The reserve (or an asset's running total owed) would pass 2^128 − 1.
    /// @param reserve The total it would reach.
    error UsageMeterReserveTooLarge(uint256 reserve);

    /// @notice The reserve does not cover the amount.
    /// @param channelId The channel.
    /// @param available The reserve.
    /// @param needed The amount asked for or charged.
    error UsageMeterInsufficientReserve(bytes32 channelId, uint256 available, uint256 needed);

    /// @notice No withdrawal is pending on the channel.
    /// @param channelId The channel.
    error UsageMeterNoWithdrawalRequested(bytes32 channelId);

    /// @notice The withdrawal delay has not passed yet.
    /// @param channelId The channel.
    /// @param readyAt Unix time from which the withdrawal can complete.
    /// @param nowTime The block's unix time.
    error UsageMeterWithdrawalNotReady(bytes32 channelId, uint256 readyAt, uint256 nowTime);

    /// @notice The withdrawal's window closed unused: request again (and wait again).
    /// @param channelId The channel.
    /// @param windowEnd The window's last unix time.
    /// @param nowTime The block's unix time.
    error UsageMeterWithdrawalLapsed(bytes32 channelId, uint256 windowEnd, uint256 nowTime);

    /// @notice The previous signer change is still in transition (its old signer's vouchers
    /// settle until `until`); the next change can start after that.
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @param until Unix time: switchAt + GRACE_PERIOD.
    error UsageMeterSignerChangePending(uint256 licenseId, address payer, uint256 until);

    /// @notice The voucher's deadline has passed.
    /// @param licenseId The license.
    /// @param deadline The voucher's deadline, unix time.
    /// @param nowTime The block's unix time.
    error UsageMeterVoucherExpired(uint256 licenseId, uint256 deadline, uint256 nowTime);

    /// @notice The voucher's cumulative units are not above the channel's units charged: it was
    /// settled already or a later one was.
    /// @param channelId The channel.
    /// @param cumulativeUnits The voucher's total.
    /// @param unitsCharged The channel's units already charged.
    error UsageMeterStaleVoucher(bytes32 channelId, uint256 cumulativeUnits, uint256 unitsCharged);

    /// @notice The new total passes the channel's unit limit.
    /// @param channelId The channel.
    /// @param cumulativeUnits The total asked for.
    /// @param unitLimit The channel's limit.
    error UsageMeterUnitsAboveCap(bytes32 channelId, uint256 cumulativeUnits, uint256 unitLimit);

    /// @notice The signature is not the payer's voucher signer's over this voucher (ECDSA for
    /// an account, ERC-1271 within SIGNATURE_GAS for a contract).
    /// @param licenseId The license.
    /// @param payer The voucher's payer.
    /// @param signer The signer that had to sign.
    error UsageMeterBadSignature(uint256 licenseId, address payer, address signer);

    /// @notice A channel must name an operator (address 0 cannot be credited or serve).
    /// @param licenseId The license.
    error UsageMeterNoOperator(uint256 licenseId);

    /// @notice Only the license token may report a transfer.
    /// @param caller The caller.
    error UsageMeterNotLicense(address caller);

    /// @notice Nothing is owed to the asset in this currency.
    /// @param assetId The asset.
    /// @param currency The currency.
    error UsageMeterNothingOwed(uint256 assetId, address currency);

    /// @notice Sending to the recipient failed.
    /// @param currency The currency.
    /// @param to The recipient.
    /// @param amount The amount.
    error UsageMeterTransferFailed(address currency, address to, uint256 amount);

    /// @notice Too little gas was left to give a contract signer's ERC-1271 check its full
    /// SIGNATURE_GAS: the voucher is skipped (in a batch) or refused, not judged; send it again
    /// with more gas.
    /// @param left Gas left.
    /// @param needed Gas needed.
    error UsageMeterGasTooLow(uint256 left, uint256 needed);

    /// @notice A batch needs one signature per voucher.
    /// @param vouchers The number of vouchers.
    /// @param signatures The number of signatures.
    error UsageMeterBatchMismatch(uint256 vouchers, uint256 signatures);

    /// @notice Too many vouchers in one batch.
    /// @param count The number of vouchers.
    /// @param max MAX_BATCH.
    error UsageMeterBatchTooLarge(uint256 count, uint256 max);

    /// @notice A deployment parameter is out of its bounds.
    /// @param what "withdrawalDelay" or "gracePeriod".
    /// @param value The value given, in seconds.
    /// @param min The least allowed.
    /// @param max The most allowed.
    error UsageMeterBadParameter(string what, uint256 value, uint256 min, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A channel opened (the first one on a license also caches its terms).
    /// @param channelId keccak256(abi.encode(licenseId, payer, operator)).
    /// @param licenseId The license.
    /// @param payer The holder who opened it and whose reserve it is.
    /// @param operator The gateway operator it pays.
    /// @param signer The payer's voucher signer on this license.
    /// @param unitLimit The most units the channel will ever charge.
    /// @param closesAt The last unix time its vouchers settle, for now.
    event ChannelOpened(
        bytes32 indexed channelId,
        uint256 indexed licenseId,
        address indexed payer,
        address operator,
        address signer,
        uint64 unitLimit,
        uint40 closesAt
    );

    /// @notice The reserve grew.
    /// @param channelId The channel.
    /// @param amount What arrived.
    /// @param reserve The reserve now.
    event Deposited(bytes32 indexed channelId, uint256 amount, uint256 reserve);

    /// @notice A withdrawal was requested (replacing any earlier one on the channel).
    /// @param channelId The channel.
    /// @param amount The amount requested.
    /// @param readyAt Unix time from which it can complete.
    /// @param windowEnd Unix time after which it lapses.
    event WithdrawalRequested(bytes32 indexed channelId, uint256 amount, uint256 readyAt, uint256 windowEnd);

    /// @notice The pending withdrawal was cancelled by the payer.
    /// @param channelId The channel.
    event WithdrawalCancelled(bytes32 indexed channelId);

    /// @notice A withdrawal completed.
    /// @param channelId The channel.
    /// @param to The payer, who was paid.
    /// @param amount What was sent (the request, less what settlements used meanwhile).
    /// @param reserve The reserve now.
    event Withdrawn(bytes32 indexed channelId, address indexed to, uint256 amount, uint256 reserve);

    /// @notice `units` more units were charged on the channel: `amount` left its reserve,
    /// `serviceShare` of it to the operator's earnings and the rest owed to the asset.
    /// @param channelId The channel.
    /// @param licenseId The license (its asset is owed).
    /// @param units The units charged now.
    /// @param amount units × unitPrice.
    /// @param serviceShare amount × serviceBps / 10,000, to the operator.
    /// @param cumulativeUnits The channel's total units charged now.
    /// @param viaVoucher True for a signed voucher, false for `meter`.
    event UsageSettled(
        bytes32 indexed channelId,
        uint256 indexed licenseId,
        uint256 units,
        uint256 amount,
        uint256 serviceShare,
        uint256 cumulativeUnits,
        bool viaVoucher
    );

    /// @notice A voucher in a batch that was not settled; `reason` is the custom error it
    /// would have reverted with, values included.
    /// @param channelId The voucher's channel.
    /// @param licenseId The voucher's license.
    /// @param reason The ABI-encoded custom error (selector and values).
    event VoucherSkipped(bytes32 indexed channelId, uint256 indexed licenseId, bytes reason);

    /// @notice The payer's license moved away: its vouchers on it settle until `closesAt`.
    /// @param licenseId The license.
    /// @param payer The previous holder.
    /// @param closesAt Unix time.
    event HolderLeft(uint256 indexed licenseId, address indexed payer, uint40 closesAt);

    /// @notice The license came back to a payer with channels on it.
    /// @param licenseId The license.
    /// @param payer The holder again.
    /// @param closesAt Unix time.
    event HolderReturned(uint256 indexed licenseId, address indexed payer, uint40 closesAt);

    /// @notice The payer's voucher signer on a license changes at `switchAt`; the old signer's
    /// vouchers settle until switchAt + GRACE_PERIOD (a gateway accepts them until switchAt).
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @param signer The new signer.
    /// @param switchAt Unix time.
    event SignerChangeScheduled(uint256 indexed licenseId, address indexed payer, address signer, uint40 switchAt);

    /// @notice Unused units of a closed channel returned to its license.
    /// @param channelId The channel.
    /// @param units The units returned.
    event UnitsReleased(bytes32 indexed channelId, uint256 units);

    /// @notice What settlements owed an asset was paid into the vault.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @param amount The amount.
    event AssetPaid(uint256 indexed assetId, address indexed currency, uint256 amount);

    /// @notice An operator withdrew its service earnings.
    /// @param operator The operator.
    /// @param currency The currency.
    /// @param to The recipient.
    /// @param amount The amount.
    event EarningsWithdrawn(address indexed operator, address indexed currency, address to, uint256 amount);

    /// @notice What the meter held beyond what it owes (sent by mistake) went to the treasury.
    /// @param currency The token (or 0 for ETH).
    /// @param treasury The vault's treasury.
    /// @param amount What was sent.
    event ExcessSwept(address indexed currency, address indexed treasury, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens the caller's channel with `operator` on a license it holds, with no
    /// money yet (or gives a channel that used all its allotted units more, on a capped
    /// license). The first channel of the caller on the license fixes its voucher signer.
    /// @param licenseId The license, held by the caller, with a metered scope, not expired.
    /// @param operator The gateway operator the channel pays (its service share).
    /// @param signer The key that signs the caller's vouchers on this license (0 = the caller);
    /// ignored when the caller already has a channel on it.
    /// @param units For a capped license, the units this channel may charge (0 = all left);
    /// ignored for an uncapped one.
    /// @return id The channel's id.
    function open(uint256 licenseId, address operator, address signer, uint64 units)
        external
        returns (bytes32 id);

    /// @notice Adds to the caller's reserve on (license, caller, operator), opening it with
    /// defaults (signer = caller, all units left) when new, and allotting all units left to a
    /// channel that used all its allotted units. For ETH send `amount` as
    /// `msg.value`; for an ERC-20 approve `amount` to this meter first.
    /// @param licenseId The license, held by the caller.
    /// @param operator The gateway operator.
    /// @param amount The amount (non-zero).
    /// @return received What was credited (less for a fee-on-transfer token).
    function deposit(uint256 licenseId, address operator, uint256 amount)
        external
        payable
        returns (uint256 received);

    /// @notice Starts the withdrawal clock. Until `readyAt` the reserve still pays
    /// settlements; from `readyAt` to `readyAt + WITHDRAWAL_WINDOW` the payer may complete it.
    /// @param licenseId The license.
    /// @param operator The operator.
    /// @param amount The amount, at most the reserve.
    function requestWithdrawal(uint256 licenseId, address operator, uint256 amount) external;

    /// @notice Cancels the caller's pending withdrawal.
    /// @param licenseId The license.
    /// @param operator The operator.
    function cancelWithdrawal(uint256 licenseId, address operator) external;

    /// @notice Pays out min(requested, reserve left) within the window; when that empties the
    /// reserve, the channel's unused units return to a capped license.
    /// @param licenseId The license.
    /// @param operator The operator.
    /// @return amount What was sent.
    function completeWithdrawal(uint256 licenseId, address operator) external returns (uint256 amount);

    /// @notice Schedules a new voucher signer for the caller's channels on a license; it takes
    /// effect WITHDRAWAL_DELAY seconds from now, and the old one's vouchers settle for
    /// GRACE_PERIOD more, so a voucher a gateway accepted before the switch stays good.
    /// @param licenseId The license.
    /// @param signer The new signer (0 = the caller).
    function changeSigner(uint256 licenseId, address signer) external;

    /// @notice Settles one voucher; anyone may submit it. Reverts with the reason when it does
    /// not settle.
    /// @param voucher The voucher.
    /// @param signature The payer's signer's signature over `voucherDigest(voucher)`.
    /// @return amount What was charged.
    function settle(Voucher calldata voucher, bytes calldata signature) external returns (uint256 amount);

    /// @notice Settles many vouchers; a bad one is skipped with VoucherSkipped, never blocking
    /// the rest. The only external calls are ERC-1271 checks, each within SIGNATURE_GAS.
    /// @param vouchers At most MAX_BATCH vouchers.
    /// @param signatures One signature per voucher, in the same order.
    /// @return settledCount How many vouchers settled.
    /// @return totalAmount What they charged in all (summed across currencies).
    function settleBatch(Voucher[] calldata vouchers, bytes[] calldata signatures)
        external
        returns (uint256 settledCount, uint256 totalAmount);

    /// @notice On-chain consumers: the license holder charges `units` to its own channel.
    /// @param licenseId The license, held by the caller.
    /// @param operator The channel's operator.
    /// @param units The units used now (non-zero).
    /// @return amount What was charged.
    function meter(uint256 licenseId, address operator, uint256 units) external returns (uint256 amount);

    /// @notice Pushes what settlements owe an asset into the vault, where it is split. Anyone.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @return amount What was paid.
    function payAsset(uint256 assetId, address currency) external returns (uint256 amount);

    /// @notice The caller withdraws its service earnings.
    /// @param currency The currency.
    /// @param to The recipient.
    /// @return amount What was sent.
    function withdrawEarnings(address currency, address to) external returns (uint256 amount);

    /// @notice Sends the meter's balance above `totalHeld` (tokens sent to it by mistake) to the
    /// vault's treasury; what is owed is never touched. Anyone may call.
    /// @param currency The token (or 0 for ETH).
    /// @return amount What was sent.
    function sweepExcess(address currency) external returns (uint256 amount);

    /// @notice Returns a closed channel's unused units to its capped license. Anyone.
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @param operator The operator.
    /// @return units The units returned.
    function releaseUnits(uint256 licenseId, address payer, address operator) external returns (uint256 units);

    /// @notice Called by the license token when a license moves between two accounts.
    /// @param licenseId The license.
    /// @param from The previous holder.
    /// @param to The new holder.
    /// @param expiresAt The license's expiry (0 = perpetual).
    function onLicenseTransfer(uint256 licenseId, address from, address to, uint40 expiresAt) external;

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice How long a withdrawal (and a signer change) waits after it is requested.
    /// @return Seconds, at least GRACE_PERIOD.
    function WITHDRAWAL_DELAY() external view returns (uint256);
    /// @notice How long vouchers still settle after a license expires or leaves its payer.
    /// @return Seconds.
    function GRACE_PERIOD() external view returns (uint256);
    /// @notice How long a ready withdrawal can be completed before it lapses.
    /// @return Seconds.
    function WITHDRAWAL_WINDOW() external view returns (uint256);
    /// @notice The most gas one ERC-1271 signature check may use.
    /// @return Gas.
    function SIGNATURE_GAS() external view returns (uint256);
    /// @notice The most vouchers in one `settleBatch`.
    /// @return The bound.
    function MAX_BATCH() external view returns (uint256);
    /// @notice The EIP-712 type hash of Voucher.
    /// @return keccak256 of the type string.
    function VOUCHER_TYPEHASH() external view returns (bytes32);

    /// @notice A channel's id.
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @param operator The operator.
    /// @return keccak256(abi.encode(licenseId, payer, operator)).
    function channelId(uint256 licenseId, address payer, address operator) external pure returns (bytes32);
    /// @notice A channel's state (all zero when never opened).
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @param operator The operator.
    /// @return The channel.
    function channel(uint256 licenseId, address payer, address operator) external view returns (ChannelView memory);
    /// @notice A license's cached terms and units (all zero before its first channel).
    /// @param licenseId The license.
    /// @return The terms.
    function metered(uint256 licenseId) external view returns (MeteredView memory);
    /// @notice Units of a license a new channel may still be allotted: type(uint64).max for an
    /// uncapped license or one with no channel yet (then the cap is the offer's maxUnits).
    /// @param licenseId The license.
    /// @return Units.
    function unitsUnallotted(uint256 licenseId) external view returns (uint64);
    /// @notice The voucher signer in force now for a payer on a license.
    /// @param licenseId The license.
    /// @param payer The payer.
    /// @return The signer (0 when the payer has no channel on it).
    function signerOf(uint256 licenseId, address payer) external view returns (address);
    /// @notice Settled money not yet pushed to the vault.
    /// @param assetId The asset.
    /// @param currency The currency.
    /// @return The amount.
    function owedToAsset(uint256 assetId, address currency) external view returns (uint256);
    /// @notice An operator's service earnings not yet withdrawn.
    /// @param operator The operator.
    /// @param currency The currency.
    /// @return The amount.
    function earningsOf(address operator, address currency) external view returns (uint256);
    /// @notice Everything the meter holds for others: reserves + owed to assets + earnings.
    /// @param currency The currency.
    /// @return The sum.
    function totalHeld(address currency) external view returns (uint256);
    /// @notice The EIP-712 digest the payer's signer signs for a voucher.
    /// @param voucher The voucher.
    /// @return keccak256(0x1901 ‖ domainSeparator ‖ structHash).
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32);

    /// @notice ERC-5267: the EIP-712 domain vouchers are signed in.
    /// @return fields 0x0f: name, version, chainId and verifyingContract are used; no salt.
    /// @return name "Seedbed UsageMeter".
    /// @return version "2".
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
