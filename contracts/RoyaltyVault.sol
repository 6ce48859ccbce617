// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";
import {SeedbedMerkle} from "./libraries/SeedbedMerkle.sol";

/// @title RoyaltyVault
/// @notice The splitter. Books, per (asset, currency): `accrued` (all revenue ever credited to
/// the contributors), `pending` (revenue owed to the parents, not yet flowed) and, per account,
/// `claimed`. Per currency: `held` (everything the books owe) and protocol `fees`.
/// Invariant: balance(currency) ≥ held(currency); the difference is excess nobody owns.
/// @dev No receive(): plain ETH transfers revert. No owner, no upgrade path.
contract RoyaltyVault is IRoyaltyVault, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    address internal constant ETH = address(0);
    uint256 internal constant BPS = 10_000;
    /// @inheritdoc IRoyaltyVault
    uint16 public constant MAX_FEE_BPS = 500;
    /// @inheritdoc IRoyaltyVault
    uint256 public constant MAX_BATCH = 64;
    /// @notice Gas forwarded to each ETH recipient inside a batch, so one gas-griefing
    /// recipient cannot starve the others (it can still claim alone with all the gas it wants).
    uint256 public constant BATCH_ETH_GAS = 100_000;
    /// @notice Gas given to a contract contributor's ERC-1271 check, so a hostile wallet cannot
    /// burn the gas of whoever sends its signed claim (the meter's bound for vouchers).
    uint256 public constant SIGNATURE_GAS = 60_000;
    /// @notice EIP-712 type of a signed claim to a recipient.
    bytes32 public constant CLAIM_TO_TYPEHASH = keccak256(
        "ClaimTo(uint256 assetId,address currency,address account,address recipient,uint256 upTo,uint256 deadline)"
    );

    /// @inheritdoc IRoyaltyVault
    IAssetRegistry public immutable REGISTRY;
    /// @inheritdoc IRoyaltyVault
    address public immutable TREASURY;
    /// @inheritdoc IRoyaltyVault
    uint16 public immutable FEE_BPS;
    /// @notice The account allowed to wire the court, once.
    address public immutable WIRER;

    uint8 internal constant HOLD_NONE = 0;
    uint8 internal constant HOLD_ESCROW = 1;
    uint8 internal constant HOLD_REDIRECTED = 2;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One slot. `upstreamPlusOne` caches the asset's (immutable) upstream share + 1, so
    /// a payment after the first makes no call to the registry; 0 means not cached yet.
    struct Pool {
        uint128 accrued;
        uint112 pending;
        uint16 upstreamPlusOne;
    }

    mapping(uint256 assetId => mapping(address currency => Pool)) internal _pools;
    /// @inheritdoc IRoyaltyVault
    mapping(uint256 assetId => mapping(address currency => mapping(address account => uint256))) public claimed;
    /// @inheritdoc IRoyaltyVault
    mapping(address currency => uint256) public held;
    /// @inheritdoc IRoyaltyVault
    mapping(address currency => uint256) public fees;

    /// @dev Set only by the court. Escrow: every credit to the asset goes to `_escrowed`.
    /// Redirected: every credit (and a release of the escrow) goes to `beneficiary`'s pool, or
    /// to the fee book when it is 0.
    /// `round` counts the asset's escrow holds (one per dispute) and tags what each one held.
    struct Hold {
        uint8 state;
        uint64 beneficiary;
        uint32 round;
    }

    /// @dev One slot: what an asset's escrow holds in a currency, and the hold round that
    /// filled it. Escrow of an earlier round is a dispute's that ended before the current one
    /// opened, dismissed or lapsed (an upheld one is final): it is the asset's own.
    struct Escrow {
        uint224 amount;
        uint32 round;
    }

    mapping(uint256 assetId => Hold) internal _holds;
    mapping(uint256 assetId => mapping(address currency => Escrow)) internal _escrowed;
    /// @inheritdoc IRoyaltyVault
    address public court;

    constructor(IAssetRegistry registry, address treasury, uint16 feeBps, address wirer)
        EIP712("Seedbed RoyaltyVault", "1")
    {
        if (feeBps > MAX_FEE_BPS) revert RoyaltyVaultFeeTooHigh(feeBps, MAX_FEE_BPS);
        if (treasury == address(0)) revert RoyaltyVaultInvalidTreasury(treasury);
        REGISTRY = registry;
        TREASURY = treasury;
        FEE_BPS = feeBps;
        WIRER = wirer;
    }

    /*//////////////////////////////////////////////////////////////
                                 PAYING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltyVault
    function pay(uint256 assetId, address currency, uint256 amount)
        external
        payable
        nonReentrant
        returns (uint256 received)
    {
        if (amount == 0) revert RoyaltyVaultZeroAmount();
        uint256 up = _upstreamBps(assetId, currency);
        if (currency == ETH) {
            if (msg.value != amount) revert RoyaltyVaultWrongValue(msg.value, amount);
            received = amount;
        } else {
            if (msg.value != 0) revert RoyaltyVaultWrongValue(msg.value, 0);
            // Interaction before effects is needed to measure what arrived (fee-on-transfer
            // tokens); the guard keeps the token from re-entering.
            IERC20 token = IERC20(currency);
            uint256 before = token.balanceOf(address(this));
            token.safeTransferFrom(msg.sender, address(this), amount);
            received = token.balanceOf(address(this)) - before;
            if (received == 0) revert RoyaltyVaultNothingArrived(currency, amount);
        }

        uint256 fee;
        if (FEE_BPS != 0) {
            fee = received * FEE_BPS / BPS;
            fees[currency] += fee;
        }
        (uint256 toContributors, uint256 toUpstream) = _receive(assetId, currency, received - fee, up);
        held[currency] += received;
        emit Paid(assetId, currency, msg.sender, received, toContributors, toUpstream, fee);
    }

    /// @inheritdoc IRoyaltyVault
    function flowUpstream(uint256 assetId, address currency) external nonReentrant returns (uint256 moved) {
        Pool storage pool = _pools[assetId][currency];
        moved = pool.pending;
        if (moved == 0) revert RoyaltyVaultNothingToFlow(assetId, currency);
        uint256 up = pool.upstreamPlusOne - 1; // cached by the credit that made `pending` > 0
        pool.pending = 0;

        IAssetRegistry.Parent[] memory ps = REGISTRY.parents(assetId);
        uint256 n = ps.length; // ≤ MAX_PARENTS, enforced at registration
        uint256 rest = moved;
        for (uint256 i; i < n; ++i) {
            // The last-listed parent takes the rounding remainder, so nothing is stranded.
            uint256 share = i + 1 == n ? rest : moved * ps[i].shareBps / up;
            rest -= share;
            uint256 pid = ps[i].assetId;
            (uint256 toC, uint256 toU) = _receive(pid, currency, share, ps[i].upstreamBps);
            emit UpstreamFlowed(assetId, pid, currency, share, toC, toU);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                DISPUTES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltyVault
    function wireCourt(address court_) external {
        if (msg.sender != WIRER) revert RoyaltyVaultNotWirer(msg.sender);
        if (court != address(0)) revert RoyaltyVaultAlreadyWired(court);
        court = court_;
        emit CourtWired(court_);
    }

    /// @inheritdoc IRoyaltyVault
    function setHold(uint256 assetId, uint8 state, uint256 beneficiary) external {
        if (msg.sender != court || court == address(0)) revert RoyaltyVaultNotCourt(msg.sender);
        if (state > HOLD_REDIRECTED || beneficiary > type(uint64).max || beneficiary == assetId) {
            revert RoyaltyVaultBadHold(assetId, state, beneficiary);
        }
        Hold memory h = _holds[assetId];
        // Each entry into escrow is a new dispute's hold: a new round.
        uint32 round = state == HOLD_ESCROW && h.state != HOLD_ESCROW ? h.round + 1 : h.round;
        _holds[assetId] = Hold({state: state, beneficiary: uint64(beneficiary), round: round});
        emit HoldChanged(assetId, state, beneficiary);
    }

    /// @inheritdoc IRoyaltyVault
    function release(uint256 assetId, address currency) external nonReentrant returns (uint256 amount) {
        Hold memory h = _holds[assetId];
        Escrow memory e = _escrowed[assetId][currency];
        amount = e.amount;
        // An earlier round's escrow is the asset's, even while a later dispute holds it: the
        // later one redirects revenue from its own open on, never earlier revenue.
        bool earlier = amount != 0 && e.round != h.round;
        if (h.state == HOLD_ESCROW && !earlier) revert RoyaltyVaultStillHeld(assetId);
        if (amount == 0) revert RoyaltyVaultNothingToRelease(assetId, currency);
        delete _escrowed[assetId][currency];
        if (earlier || h.state == HOLD_NONE) {
            // As if just paid: the asset's own split, upstream share included.
            (uint256 toC, uint256 toU) = _credit(assetId, currency, amount, _upstreamBps(assetId, currency));
            emit Released(assetId, currency, amount, toC, toU);
        } else {
            emit Released(assetId, currency, amount, 0, 0);
            _redirect(assetId, h.beneficiary, currency, amount);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                CLAIMING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltyVault
    function claim(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external nonReentrant returns (uint256 amount) {
        amount = _owed(assetId, currency, account, weight, proof);
        if (amount == 0) revert RoyaltyVaultNothingToClaim(assetId, currency, account);
        uint256 total = _book(assetId, currency, account, amount);
        emit Claimed(assetId, currency, account, amount, weight, total);
        if (!_send(currency, account, amount, gasleft())) {
            revert RoyaltyVaultTransferFailed(currency, account, amount);
        }
    }

    /// @inheritdoc IRoyaltyVault
    function claimTo(
        uint256 assetId,
        address currency,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof,
        address recipient
    ) external nonReentrant returns (uint256 amount) {
        amount = _claimTo(assetId, currency, msg.sender, weight, proof, recipient, type(uint256).max);
    }

    /// @inheritdoc IRoyaltyVault
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
    ) external nonReentrant returns (uint256 amount) {
        if (account == address(0)) revert RoyaltyVaultZeroAccount(); // before its "signature"
        if (block.timestamp > deadline) revert RoyaltyVaultClaimExpired(deadline);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CLAIM_TO_TYPEHASH, assetId, currency, account, recipient, upTo, deadline))
        );
        if (!_validSignature(account, digest, signature)) revert RoyaltyVaultBadClaimSignature(account);
        amount = _claimTo(assetId, currency, account, weight, proof, recipient, upTo);
    }

    /// @inheritdoc IRoyaltyVault
    function claimBatch(ClaimRequest[] calldata requests) external nonReentrant returns (uint256[] memory amounts) {
        uint256 n = requests.length;
        if (n > MAX_BATCH) revert RoyaltyVaultBatchTooLarge(n, MAX_BATCH);
        amounts = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            ClaimRequest calldata r = requests[i];
            uint256 amount = _owed(r.assetId, r.currency, r.account, r.weight, r.proof);
            if (amount == 0) continue;
            uint256 total = _book(r.assetId, r.currency, r.account, amount);
            if (_send(r.currency, r.account, amount, BATCH_ETH_GAS)) {
                amounts[i] = amount;
                emit Claimed(r.assetId, r.currency, r.account, amount, r.weight, total);
            } else {
                // Roll back this claim only: the books are as if it was never tried.
                claimed[r.assetId][r.currency][r.account] = total - amount;
                held[r.currency] += amount;
                emit ClaimFailed(r.assetId, r.currency, r.account, amount);
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                            FEES AND EXCESS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltyVault
    function withdrawFees(address currency) external nonReentrant returns (uint256 amount) {
        amount = fees[currency];
        if (amount == 0) revert RoyaltyVaultNoFees(currency);
        fees[currency] = 0;
        held[currency] -= amount;
        emit FeesWithdrawn(currency, TREASURY, amount);
        if (!_send(currency, TREASURY, amount, gasleft())) {
            revert RoyaltyVaultTransferFailed(currency, TREASURY, amount);
        }
    }

    /// @inheritdoc IRoyaltyVault
    function sweepExcess(address currency) external nonReentrant returns (uint256 amount) {
        uint256 balance = _balance(currency);
        uint256 owed = held[currency];
        if (balance <= owed) revert RoyaltyVaultNoExcess(currency, balance, owed);
        amount = balance - owed;
        emit ExcessSwept(currency, TREASURY, amount);
        if (!_send(currency, TREASURY, amount, gasleft())) {
            revert RoyaltyVaultTransferFailed(currency, TREASURY, amount);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoyaltyVault
    function accrued(uint256 assetId, address currency) external view returns (uint256) {
        return _pools[assetId][currency].accrued;
    }

    /// @inheritdoc IRoyaltyVault
    function pendingUpstream(uint256 assetId, address currency) external view returns (uint256) {
        return _pools[assetId][currency].pending;
    }

    /// @inheritdoc IRoyaltyVault
    function claimable(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external view returns (uint256) {
        return _owed(assetId, currency, account, weight, proof);
    }

    /// @inheritdoc IRoyaltyVault
    function hold(uint256 assetId) external view returns (uint8 state, uint256 beneficiary) {
        Hold memory h = _holds[assetId];
        return (h.state, h.beneficiary);
    }

    /// @inheritdoc IRoyaltyVault
    function escrowed(uint256 assetId, address currency) external view returns (uint256) {
        return _escrowed[assetId][currency].amount;
    }

    /// @inheritdoc IRoyaltyVault
    function excess(address currency) external view returns (uint256) {
        uint256 balance = _balance(currency);
        uint256 owed = held[currency];
        return balance > owed ? balance - owed : 0;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _upstreamBps(uint256 assetId, address currency) internal view returns (uint256) {
        uint256 cached = _pools[assetId][currency].upstreamPlusOne;
        // The registry reverts with AssetRegistryUnknownAsset for an asset that does not exist.
        return cached != 0 ? cached - 1 : REGISTRY.upstreamBps(assetId);
    }

    /// @dev A credit to `assetId`, unless the court holds it: then the whole amount goes to
    /// escrow or to the beneficiary, before the upstream split (an infringer's parents must not
    /// drain what is disputed). Returns the asset's own split (0, 0 when diverted).
    function _receive(uint256 assetId, address currency, uint256 amount, uint256 up)
        internal
        returns (uint256 toContributors, uint256 toUpstream)
    {
        Hold memory h = _holds[assetId];
        if (h.state == HOLD_NONE) return _credit(assetId, currency, amount, up);
        if (h.state == HOLD_ESCROW) {
            _escrow(assetId, currency, amount, h.round);
        } else {
            _redirect(assetId, h.beneficiary, currency, amount);
        }
    }

    /// @dev Into the asset's escrow of hold round `round`. What an earlier round left there
    /// (nobody released it) is first credited to the asset's own pool, as `release` would, so
    /// an escrow only ever holds the revenue of the dispute now running.
    function _escrow(uint256 assetId, address currency, uint256 amount, uint32 round) internal {
        Escrow storage e = _escrowed[assetId][currency];
        uint256 total = e.amount;
        if (e.round != round) {
            if (total != 0) {
                (uint256 toC, uint256 toU) = _credit(assetId, currency, total, _upstreamBps(assetId, currency));
                emit Released(assetId, currency, total, toC, toU);
            }
            total = 0;
        }
        total += amount;
        if (total > type(uint224).max) revert RoyaltyVaultAmountTooLarge(amount);
        e.amount = uint224(total);
        e.round = round;
        emit Escrowed(assetId, currency, amount);
    }

    /// @dev One hop only: a beneficiary that is itself held takes it into its escrow, and one
    /// that is itself redirected (or none) sends it to the fee book, so no chain of
    /// redirections can loop.
    function _redirect(uint256 from, uint256 to, address currency, uint256 amount) internal {
        uint256 toC = 0;
        uint256 toU = 0;
        Hold memory h = to == 0 ? Hold({state: HOLD_REDIRECTED, beneficiary: 0, round: 0}) : _holds[to];
        if (h.state == HOLD_NONE) {
            (toC, toU) = _credit(to, currency, amount, _upstreamBps(to, currency));
        } else if (h.state == HOLD_ESCROW) {
            _escrow(to, currency, amount, h.round);
        } else {
            to = 0;
            fees[currency] += amount;
        }
        emit Redirected(from, to, currency, amount, toC, toU);
    }

    /// @dev Splits `amount` into the pool's contributors and its pending upstream.
    function _credit(uint256 assetId, address currency, uint256 amount, uint256 up)
        internal
        virtual
        returns (uint256 toContributors, uint256 toUpstream)
    {
        toUpstream = amount * up / BPS;
        toContributors = amount - toUpstream;
        Pool storage pool = _pools[assetId][currency];
        uint256 newAccrued = pool.accrued + toContributors;
        uint256 newPending = pool.pending + toUpstream;
        if (newAccrued > type(uint128).max || newPending > type(uint112).max) {
            revert RoyaltyVaultAmountTooLarge(amount);
        }
        pool.accrued = uint128(newAccrued);
        pool.pending = uint112(newPending);
        pool.upstreamPlusOne = uint16(up + 1); // up ≤ 10_000
    }

    /// @dev Books a claim of `account` and sends it to `recipient`, paying at most up to
    /// `upTo` claimed in total.
    function _claimTo(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof,
        address recipient,
        uint256 upTo
    ) internal returns (uint256 amount) {
        // Tokens sent to the vault itself would be booked as paid and then be excess.
        if (recipient == address(0) || recipient == address(this)) revert RoyaltyVaultInvalidRecipient(recipient);
        amount = _owed(assetId, currency, account, weight, proof);
        uint256 already = claimed[assetId][currency][account];
        uint256 room = upTo > already ? upTo - already : 0;
        if (amount > room) amount = room;
        if (amount == 0) revert RoyaltyVaultNothingToClaim(assetId, currency, account);
        uint256 total = _book(assetId, currency, account, amount);
        emit Claimed(assetId, currency, account, amount, weight, total);
        emit ClaimRedirected(assetId, currency, account, recipient, amount);
        if (!_send(currency, recipient, amount, gasleft())) {
            revert RoyaltyVaultTransferFailed(currency, recipient, amount);
        }
    }

    /// @dev accrued × weight / totalWeight − claimed, with the leaf proven against the
    /// registry's contributors root. The registry derived the total from the root's preimage,
    /// so every valid proof's sum is the total: the proof's own sum is the divisor, and only
    /// the root is read.
    function _owed(
        uint256 assetId,
        address currency,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) internal view returns (uint256) {
        if (account == address(0)) revert RoyaltyVaultZeroAccount();
        bytes32 root = REGISTRY.contributorsRoot(assetId);
        (bytes32 h, uint256 total) =
            SeedbedMerkle.contributorRoot(SeedbedMerkle.contributorLeaf(account, weight), weight, proof);
        // An unknown asset has root 0, which no keccak output equals.
        if (h != root) revert RoyaltyVaultInvalidProof(assetId, account, weight);
        uint256 entitled = uint256(_pools[assetId][currency].accrued) * weight / total;
        uint256 already = claimed[assetId][currency][account];
        // `already` can exceed `entitled` only if a tree lists an account twice with different
        // weights: it then gets the larger share, never the sum.
        return entitled > already ? entitled - already : 0;
    }

    /// @dev ECDSA (low s only, as OpenZeppelin's) by the account's key, else, for an account
    /// with code, ERC-1271 within SIGNATURE_GAS, its answer's first word exactly the magic value.
    function _validSignature(address account, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (bool)
    {
        (address recovered, ECDSA.RecoverError e,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (e == ECDSA.RecoverError.NoError && recovered == account) return true;
        if (account.code.length == 0) return false;
        bytes memory data = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        bool ok;
        uint256 word;
        uint256 size;
        uint256 gasCap = SIGNATURE_GAS;
        assembly ("memory-safe") {
            ok := staticcall(gasCap, account, add(data, 0x20), mload(data), 0x00, 0x20)
            size := returndatasize()
            word := mload(0x00)
        }
        // The whole word, as OpenZeppelin's SignatureChecker: a fallback that echoes its
        // calldata starts with the selector too.
        return ok && size >= 32 && bytes32(word) == bytes32(IERC1271.isValidSignature.selector);
    }

    function _book(uint256 assetId, address currency, address account, uint256 amount)
        internal
        returns (uint256 total)
    {
        total = claimed[assetId][currency][account] + amount;
        claimed[assetId][currency][account] = total;
        held[currency] -= amount;
    }

    /// @dev Never reverts: returns false when the transfer failed. ETH is sent without
    /// copying return data, so a recipient cannot grief with a huge revert payload.
    function _send(address currency, address to, uint256 amount, uint256 gasLimit)
        internal
        virtual
        returns (bool ok)
    {
        if (currency == ETH) {
            assembly ("memory-safe") {
                ok := call(gasLimit, to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(currency).trySafeTransfer(to, amount);
        }
    }

    function _balance(address currency) internal view returns (uint256) {
        return currency == ETH ? address(this).balance : IERC20(currency).balanceOf(address(this));
    }
}
