// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IArbiter} from "../interfaces/IArbiter.sol";
import {IAssetCourt} from "../interfaces/IAssetCourt.sol";
import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";

/// @title AssetCourt
/// @notice Disputes and takedown. It sets two hooks wired once by the deployment's wirer: the
/// registry's status (no sales, no derivatives) and the vault's hold (credits to escrow, or to
/// the beneficiary once upheld). It holds only bonds and unspent ruling fees, in ETH.
/// @dev A fifth contract, so the arbiter never touches the money contract and the registry
/// never holds money. No owner; the arbiter is immutable.
contract AssetCourt is IAssetCourt, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint8 internal constant STATUS_NONE = 0;
    uint8 internal constant STATUS_DISPUTED = 1;
    uint8 internal constant STATUS_UPHELD = 2;
    uint8 internal constant HOLD_ESCROW = 1;
    uint8 internal constant HOLD_REDIRECTED = 2;
    uint8 internal constant REASON_MAX = 3;
    /// @dev A lineage answer walks at most this many hops.
    uint256 public constant MAX_LINEAGE_HOPS = 8;

    /// @inheritdoc IAssetCourt
    IAssetRegistry public immutable REGISTRY;
    /// @inheritdoc IAssetCourt
    IRoyaltyVault public immutable VAULT;
    /// @inheritdoc IAssetCourt
    IArbiter public immutable ARBITER;
    /// @inheritdoc IAssetCourt
    uint256 public immutable BOND;
    /// @inheritdoc IAssetCourt
    uint32 public immutable ANSWER_PERIOD;
    /// @inheritdoc IAssetCourt
    uint32 public immutable RULING_TIMEOUT;
    /// @inheritdoc IAssetCourt
    uint64 public immutable MIN_DUPLICATE_SIZE;

    /// @dev Slot 1: ids and times and flags; slot 2: claimant and fee; slot 3: defendant;
    /// slot 4: evidence. Fees above 2^96 wei are refused by the open.
    struct Dispute {
        uint64 assetId;
        uint64 beneficiary;
        uint40 openedAt;
        uint40 atArbiterAt;
        Kind kind;
        State state;
        uint8 reason;
        bool contested;
        bool refused;
        address claimant;
        uint96 fee;
        address defendant;
        bytes32 evidenceHash;
    }

    mapping(uint256 disputeId => Dispute) internal _disputes;
    /// @inheritdoc IAssetCourt
    mapping(uint256 assetId => uint256 disputeId) public disputeOf;
    /// @inheritdoc IAssetCourt
    mapping(address account => uint256) public deposits;
    /// @inheritdoc IAssetCourt
    uint256 public totalDeposits;
    /// @inheritdoc IAssetCourt
    uint256 public disputeCount;

    constructor(
        IAssetRegistry registry,
        IRoyaltyVault vault,
        IArbiter arbiter,
        uint256 bond,
        uint32 answerPeriod,
        uint32 rulingTimeout,
        uint64 minDuplicateSize
    ) {
        if (address(arbiter) == address(0) || bond == 0 || answerPeriod == 0 || rulingTimeout == 0) {
            revert AssetCourtBadParameters();
        }
        REGISTRY = registry;
        VAULT = vault;
        ARBITER = arbiter;
        BOND = bond;
        ANSWER_PERIOD = answerPeriod;
        RULING_TIMEOUT = rulingTimeout;
        MIN_DUPLICATE_SIZE = minDuplicateSize;
    }

    /*//////////////////////////////////////////////////////////////
                                OPENING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetCourt
    function openSubjective(uint256 assetId, uint8 reason, bytes32 evidenceHash, uint256 beneficiary)
        external
        payable
        nonReentrant
        returns (uint256 disputeId)
    {
        if (reason == 0 || reason > REASON_MAX) revert AssetCourtBadReason(reason);
        if (evidenceHash == bytes32(0)) revert AssetCourtNoEvidence();
        _requireOpenable(assetId);
        if (beneficiary == assetId) revert AssetCourtBadBeneficiary(beneficiary);
        if (beneficiary != 0) REGISTRY.asset(beneficiary); // reverts for an unknown asset
        uint256 fee = _takeBondAndFee();
        disputeId = _open(Kind.Subjective, assetId, beneficiary, reason, evidenceHash, fee);
    }

    /// @inheritdoc IAssetCourt
    function openDuplicate(
        uint256 earlier,
        uint256 later,
        FileProof calldata earlierFile,
        FileProof calldata laterFile
    ) external payable nonReentrant returns (uint256 disputeId) {
        if (earlierFile.sha256Digest != laterFile.sha256Digest || earlierFile.size != laterFile.size) {
            revert AssetCourtNotTheSameFile();
        }
        if (earlierFile.size < MIN_DUPLICATE_SIZE) {
            revert AssetCourtFileTooSmall(earlierFile.size, MIN_DUPLICATE_SIZE);
        }
        _requireFile(earlier, earlierFile);
        _requireFile(later, laterFile);
        IAssetRegistry.AssetView memory a = REGISTRY.asset(earlier);
        IAssetRegistry.AssetView memory b = _requireOpenable(later);
        // Earlier means committed first (createdAt − commitLag), then the lower id.
        uint256 aAt = uint256(a.createdAt) - a.commitLag;
        uint256 bAt = uint256(b.createdAt) - b.commitLag;
        if (aAt > bAt || (aAt == bAt && earlier >= later)) revert AssetCourtNotEarlier(earlier, later);
        if (a.owner == b.owner) revert AssetCourtSameOwner(earlier, later);
        if (a.status != STATUS_NONE) revert AssetCourtAlreadyDisputed(earlier, a.status);
        IAssetRegistry.Parent[] memory ps = REGISTRY.parents(later); // ≤ MAX_PARENTS
        for (uint256 i; i < ps.length; ++i) {
            if (ps[i].assetId == earlier) revert AssetCourtIsParent(earlier, later);
        }
        uint256 fee = _takeBondAndFee();
        disputeId = _open(Kind.Duplicate, later, earlier, 0, earlierFile.sha256Digest, fee);
    }

    /// @inheritdoc IAssetCourt
    function claimPriorCommitment(
        uint256 assetId,
        bytes32[] calldata leaves,
        uint256 index,
        bytes32 salt,
        uint256 beneficiary
    ) external nonReentrant returns (uint256 disputeId) {
        IAssetRegistry.AssetView memory b = REGISTRY.asset(assetId);
        if (b.status == STATUS_UPHELD) revert AssetCourtAlreadyDisputed(assetId, b.status);
        if (index >= leaves.length || leaves[index] != REGISTRY.registrationLeaf(msg.sender, b.contentRoot, salt)) {
            revert AssetCourtNotYourLeaf(index);
        }
        bytes32 commitment = keccak256(abi.encodePacked(leaves));
        uint256 at = REGISTRY.committedAt(msg.sender, commitment);
        if (at == 0) revert AssetCourtNotCommitted(commitment);
        uint256 theirs = uint256(b.createdAt) - b.commitLag;
        if (at >= theirs) revert AssetCourtNotOlder(at, theirs);
        uint256 window = REGISTRY.MAX_COMMIT_AGE();
        // A commitment that had expired could not have been revealed: the asset is not a squat.
        if (b.createdAt > at + window) revert AssetCourtCommitmentExpired(at + window, b.createdAt);
        if (block.timestamp > at + 2 * window) revert AssetCourtClaimTooLate(at + 2 * window);
        if (beneficiary == assetId) revert AssetCourtBadBeneficiary(beneficiary);
        if (beneficiary != 0 && REGISTRY.asset(beneficiary).owner != msg.sender) {
            revert AssetCourtBadBeneficiary(beneficiary);
        }
        // A dispute already running cannot shield a squat past the claim's window (a friend of
        // the squatter could open one at once): it ends as if lapsed, every deposit back.
        if (b.status == STATUS_DISPUTED) _supersede(disputeOf[assetId]);
        // Such a claim cannot be false, so it needs no bond and is upheld in the same call.
        disputeId = _open(Kind.PriorCommitment, assetId, beneficiary, 0, commitment, 0);
        _finish(disputeId, _disputes[disputeId], State.Upheld);
    }

    /*//////////////////////////////////////////////////////////////
                           ANSWERING AND RULING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetCourt
    function answerLineage(uint256 disputeId, uint8[] calldata path) external nonReentrant {
        Dispute storage d = _inState(disputeId, State.Open);
        if (d.kind != Kind.Duplicate) revert AssetCourtNotDuplicate(disputeId);
        _beforeDeadline(disputeId, d);
        uint256 n = path.length;
        if (n == 0 || n > MAX_LINEAGE_HOPS) revert AssetCourtBadLineage(disputeId);
        uint256 cur = d.assetId;
        for (uint256 i; i < n; ++i) {
            IAssetRegistry.Parent[] memory ps = REGISTRY.parents(cur); // ≤ 16 each
            if (path[i] >= ps.length) revert AssetCourtBadLineage(disputeId);
            cur = ps[path[i]].assetId;
        }
        if (cur != d.beneficiary) revert AssetCourtBadLineage(disputeId);
        address owner = REGISTRY.asset(d.assetId).owner;
        d.defendant = owner;
        emit DisputeAnswered(disputeId, msg.sender, false, 0);
        // The earlier asset is an ancestor: the claimant's bond goes to the owner it froze.
        _credit(disputeId, owner, BOND);
        _credit(disputeId, d.claimant, d.fee);
        d.fee = 0;
        _finish(disputeId, d, State.Dismissed);
    }

    /// @inheritdoc IAssetCourt
    function contest(uint256 disputeId) external payable nonReentrant {
        Dispute storage d = _inState(disputeId, State.Open);
        _beforeDeadline(disputeId, d);
        if (REGISTRY.asset(d.assetId).owner != msg.sender) revert AssetCourtNotDefendant(disputeId, msg.sender);
        if (msg.value != BOND) revert AssetCourtWrongDeposit(msg.value, BOND);
        totalDeposits += msg.value;
        d.contested = true;
        d.defendant = msg.sender;
        emit DisputeAnswered(disputeId, msg.sender, true, msg.value);
        _requestRuling(disputeId, d);
    }

    /// @inheritdoc IAssetCourt
    function resolve(uint256 disputeId) external nonReentrant {
        Dispute storage d = _inState(disputeId, State.Open);
        uint256 deadline = uint256(d.openedAt) + ANSWER_PERIOD;
        if (block.timestamp <= deadline) revert AssetCourtAnswerPeriodRunning(disputeId, deadline);
        IAssetRegistry.AssetView memory a = REGISTRY.asset(d.assetId);
        if (d.kind == Kind.Duplicate && a.parentCount == 0) {
            // Unanswered: the evidence on chain stands. Bond and fee back to the claimant.
            _credit(disputeId, d.claimant, BOND + d.fee);
            d.fee = 0;
            _finish(disputeId, d, State.Upheld);
        } else {
            // A subjective claim is never won by default: an owner that lost its keys must not
            // lose its revenue to whoever posts a bond. Nor is a duplicate claim against an
            // asset with parents: its owner could file one from a second account to divert
            // the parents' shares to an earlier asset of its own, and the parents cannot answer.
            d.defendant = a.owner;
            _requestRuling(disputeId, d);
        }
    }

    /// @inheritdoc IAssetCourt
    /// @dev Not behind the reentrancy guard: an arbiter may rule from inside `requestRuling`.
    /// It touches only this dispute, whose state is already AtArbiter, and our own hooks.
    function rule(uint256 disputeId, bool upheld) external {
        if (msg.sender != address(ARBITER)) revert AssetCourtNotArbiter(msg.sender);
        Dispute storage d = _inState(disputeId, State.AtArbiter);
        if (d.refused) revert AssetCourtCaseRefused(disputeId);
        if (upheld) {
            _credit(disputeId, d.claimant, BOND);
            if (d.contested) _credit(disputeId, d.claimant, BOND);
            _finish(disputeId, d, State.Upheld);
        } else {
            _credit(disputeId, d.defendant, BOND);
            if (d.contested) _credit(disputeId, d.defendant, BOND);
            _finish(disputeId, d, State.Dismissed);
        }
    }

    /// @inheritdoc IAssetCourt
    function lapse(uint256 disputeId) external nonReentrant {
        Dispute storage d = _inState(disputeId, State.AtArbiter);
        uint256 deadline = uint256(d.atArbiterAt) + RULING_TIMEOUT;
        if (block.timestamp <= deadline) revert AssetCourtRulingPending(disputeId, deadline);
        _credit(disputeId, d.claimant, BOND);
        if (d.contested) _credit(disputeId, d.defendant, BOND);
        _finish(disputeId, d, State.Lapsed);
    }

    /*//////////////////////////////////////////////////////////////
                                 MONEY
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetCourt
    function withdrawDeposits() external nonReentrant returns (uint256 amount) {
        amount = deposits[msg.sender];
        if (amount == 0) revert AssetCourtNoDeposit(msg.sender);
        deposits[msg.sender] = 0;
        totalDeposits -= amount;
        emit DepositsWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @inheritdoc IAssetCourt
    function sweepExcess(address currency) external nonReentrant returns (uint256 amount) {
        // The court holds ETH only: every token balance is a mistake.
        uint256 book = currency == address(0) ? totalDeposits : 0;
        uint256 balance = currency == address(0) ? address(this).balance : IERC20(currency).balanceOf(address(this));
        if (balance <= book) revert AssetCourtNoExcess(currency, balance, book);
        amount = balance - book;
        address treasury = REGISTRY.TREASURY();
        emit ExcessSwept(currency, treasury, amount);
        if (currency == address(0)) {
            Address.sendValue(payable(treasury), amount);
        } else {
            IERC20(currency).safeTransfer(treasury, amount);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAssetCourt
    function dispute(uint256 disputeId) external view returns (DisputeView memory v) {
        Dispute storage d = _disputes[disputeId];
        if (d.state == State.None) revert AssetCourtUnknownDispute(disputeId);
        v = DisputeView({
            assetId: d.assetId,
            beneficiary: d.beneficiary,
            kind: d.kind,
            state: d.state,
            reason: d.reason,
            contested: d.contested,
            openedAt: d.openedAt,
            atArbiterAt: d.atArbiterAt,
            claimant: d.claimant,
            defendant: d.defendant,
            fee: d.fee,
            evidenceHash: d.evidenceHash
        });
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _requireOpenable(uint256 assetId) internal view returns (IAssetRegistry.AssetView memory v) {
        v = REGISTRY.asset(assetId); // reverts AssetRegistryUnknownAsset
        if (v.status != STATUS_NONE) revert AssetCourtAlreadyDisputed(assetId, v.status);
    }

    function _requireFile(uint256 assetId, FileProof calldata f) internal view {
        if (!REGISTRY.verifyFile(assetId, f.path, f.sha256Digest, f.size, f.proof)) {
            revert AssetCourtBadFileProof(assetId);
        }
    }

    /// @dev msg.value must be BOND + the arbiter's fee now; the fee is kept for the ruling.
    function _takeBondAndFee() internal returns (uint256 fee) {
        fee = ARBITER.rulingFee();
        if (fee > type(uint96).max) revert AssetCourtWrongDeposit(msg.value, fee);
        if (msg.value != BOND + fee) revert AssetCourtWrongDeposit(msg.value, BOND + fee);
        totalDeposits += msg.value;
    }

    function _open(Kind kind, uint256 assetId, uint256 beneficiary, uint8 reason, bytes32 evidence, uint256 fee)
        internal
        returns (uint256 disputeId)
    {
        disputeId = ++disputeCount;
        _disputes[disputeId] = Dispute({
            assetId: uint64(assetId), // registry ids are < 2^40
            beneficiary: uint64(beneficiary),
            openedAt: uint40(block.timestamp),
            atArbiterAt: 0,
            kind: kind,
            state: State.Open,
            reason: reason,
            contested: false,
            refused: false,
            claimant: msg.sender,
            fee: uint96(fee),
            defendant: address(0),
            evidenceHash: evidence
        });
        disputeOf[assetId] = disputeId;
        emit DisputeOpened(disputeId, assetId, kind, msg.sender, beneficiary, reason, evidence, msg.value);
        REGISTRY.setStatus(assetId, STATUS_DISPUTED);
        VAULT.setHold(assetId, HOLD_ESCROW, 0);
    }

    function _requestRuling(uint256 disputeId, Dispute storage d) internal {
        d.state = State.AtArbiter;
        d.atArbiterAt = uint40(block.timestamp);
        uint256 fee = d.fee;
        d.fee = 0;
        totalDeposits -= fee;
        bool accepted = true;
        uint256 before = gasleft();
        // The arbiter is immutable and chosen at deployment; one that refuses the case must
        // not lock the asset: the fee returns and the case lapses after RULING_TIMEOUT. It may
        // rule from inside the call (`rule` is the one entry not behind the guard); the writes
        // below happen only if the call reverted, undoing whatever it did.
        try ARBITER.requestRuling{value: fee}(disputeId, d.evidenceHash) {}
        catch {
            // A sender must not make the arbiter "refuse" by starving the call of gas: out of
            // gas leaves at most 1/64 of what was there, and then the whole call reverts.
            if (gasleft() <= before / 63) revert AssetCourtArbiterOutOfGas();
            accepted = false;
            d.refused = true;
            totalDeposits += fee;
            _credit(disputeId, d.claimant, fee);
        }
        emit RulingRequested(disputeId, address(ARBITER), fee, accepted);
    }

    function _finish(uint256 disputeId, Dispute storage d, State outcome) internal {
        d.state = outcome;
        uint256 assetId = d.assetId;
        emit DisputeResolved(disputeId, assetId, outcome);
        if (outcome == State.Upheld) {
            REGISTRY.setStatus(assetId, STATUS_UPHELD);
            VAULT.setHold(assetId, HOLD_REDIRECTED, d.beneficiary);
        } else {
            REGISTRY.setStatus(assetId, STATUS_NONE);
            VAULT.setHold(assetId, 0, 0);
        }
    }

    /// @dev Ends a running dispute that a prior-commitment claim takes over: bonds and any
    /// unspent fee back, as a lapse. The asset stays held; the claim's own open follows.
    function _supersede(uint256 disputeId) internal {
        Dispute storage d = _disputes[disputeId];
        _credit(disputeId, d.claimant, BOND + d.fee);
        d.fee = 0;
        if (d.contested) _credit(disputeId, d.defendant, BOND);
        d.state = State.Lapsed;
        emit DisputeResolved(disputeId, d.assetId, State.Lapsed);
    }

    /// @dev Moves `amount` of the live book into `account`'s withdrawable deposits (the total
    /// does not change: both are owed).
    function _credit(uint256 disputeId, address account, uint256 amount) internal {
        if (amount == 0) return;
        deposits[account] += amount;
        emit DepositCredited(disputeId, account, amount);
    }

    function _inState(uint256 disputeId, State want) internal view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.state == State.None) revert AssetCourtUnknownDispute(disputeId);
        if (d.state != want) revert AssetCourtWrongState(disputeId, d.state);
    }

    function _beforeDeadline(uint256 disputeId, Dispute storage d) internal view {
        uint256 deadline = uint256(d.openedAt) + ANSWER_PERIOD;
        if (block.timestamp > deadline) revert AssetCourtAnswerPeriodOver(disputeId, deadline);
    }
}
