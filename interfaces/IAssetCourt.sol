// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IArbiter} from "./IArbiter.sol";
import {IAssetRegistry} from "./IAssetRegistry.sol";
import {IRoyaltyVault} from "./IRoyaltyVault.sol";

/// @title Seedbed asset court
/// @notice Disputes over assets. While an asset is in dispute no license for it sells, it
/// cannot become a parent, and every credit the vault would make to it is held in escrow;
/// revenue accrued before the dispute stays claimable. Objective claims are decided on chain
/// (a duplicate file proven in two assets, an older registration commitment); subjective ones
/// are bonded and decided by the deployment's arbiter, never by default. Deposits (bonds,
/// unspent ruling fees) are pulled with `withdrawDeposits`, so no resolution sends ETH.
interface IAssetCourt {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice 0 Subjective (bonded, decided by the arbiter), 1 Duplicate (a file of an earlier
    /// asset proven in a later one), 2 PriorCommitment (an older registration commitment).
    enum Kind {
        Subjective,
        Duplicate,
        PriorCommitment
    }

    /// @notice Open (answer period) → AtArbiter → Upheld | Dismissed | Lapsed.
    enum State {
        None,
        Open,
        AtArbiter,
        Upheld,
        Dismissed,
        Lapsed
    }

    /// @notice A file of an asset: its path, sha256, size and proof against the content root.
    struct FileProof {
        string path;
        bytes32 sha256Digest;
        uint64 size;
        bytes32[] proof;
    }

    /// @notice Everything stored about a dispute. `beneficiary` is the asset that receives
    /// the revenue if the claim is upheld (0: the protocol's fee book). `reason` labels a
    /// subjective claim (1 infringement, 2 licence breach, 3 bad data; 0 for objective ones).
    /// `fee` is the ruling fee paid at open, spent when the case goes to the arbiter.
    /// `defendant` is the asset's owner who contested, or the owner when the case went to
    /// the arbiter or was answered.
    struct DisputeView {
        uint256 assetId;
        uint256 beneficiary;
        Kind kind;
        State state;
        uint8 reason;
        bool contested;
        uint40 openedAt;
        uint40 atArbiterAt;
        address claimant;
        address defendant;
        uint256 fee;
        bytes32 evidenceHash;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Bad constructor parameters: a zero arbiter, bond, answer period or timeout.
    error AssetCourtBadParameters();
    /// @notice The ETH sent is not what the call requires.
    error AssetCourtWrongDeposit(uint256 sent, uint256 required);
    /// @notice The asset has an open dispute, or was taken down (status 1 or 2).
    error AssetCourtAlreadyDisputed(uint256 assetId, uint8 status);
    /// @notice A subjective reason other than 1 (infringement), 2 (licence breach), 3 (bad data).
    error AssetCourtBadReason(uint8 reason);
    /// @notice A subjective claim needs an evidence hash.
    error AssetCourtNoEvidence();
    /// @notice The beneficiary is the disputed asset itself, or (for a prior commitment) an
    /// asset the claimant does not own.
    error AssetCourtBadBeneficiary(uint256 beneficiary);
    /// @notice No dispute has this id.
    error AssetCourtUnknownDispute(uint256 disputeId);
    /// @notice The dispute is not in the state this call needs.
    error AssetCourtWrongState(uint256 disputeId, State state);
    /// @notice The answer period ended at `deadline`.
    error AssetCourtAnswerPeriodOver(uint256 disputeId, uint256 deadline);
    /// @notice The answer period runs until `deadline`.
    error AssetCourtAnswerPeriodRunning(uint256 disputeId, uint256 deadline);
    /// @notice Only the disputed asset's owner may contest.
    error AssetCourtNotDefendant(uint256 disputeId, address caller);
    /// @notice Only the deployment's arbiter rules.
    error AssetCourtNotArbiter(address caller);
    /// @notice The arbiter has until `deadline` to rule.
    error AssetCourtRulingPending(uint256 disputeId, uint256 deadline);
    /// @notice The call to the arbiter ran out of gas: send the transaction with more gas.
    error AssetCourtArbiterOutOfGas();
    /// @notice The arbiter refused this case when it was sent: it can only lapse.
    error AssetCourtCaseRefused(uint256 disputeId);
    /// @notice Only duplicate-content claims are answered with a lineage path.
    error AssetCourtNotDuplicate(uint256 disputeId);
    /// @notice The path does not lead from the later asset to the earlier one (≤ 8 hops).
    error AssetCourtBadLineage(uint256 disputeId);
    /// @notice The two proven files differ in sha256 or size.
    error AssetCourtNotTheSameFile();
    /// @notice Shared files below the minimum size (licence texts, READMEs) prove nothing.
    error AssetCourtFileTooSmall(uint64 size, uint64 minimum);
    /// @notice The file proof does not hold against the asset's content root.
    error AssetCourtBadFileProof(uint256 assetId);
    /// @notice `earlier` was not committed (then registered) before `later`.
    error AssetCourtNotEarlier(uint256 earlier, uint256 later);
    /// @notice Both assets have the same owner.
    error AssetCourtSameOwner(uint256 earlier, uint256 later);
    /// @notice The earlier asset is a direct parent of the later one: it licensed the files.
    error AssetCourtIsParent(uint256 earlier, uint256 later);
    /// @notice The leaf at `index` is not the caller's leaf for the asset's content root.
    error AssetCourtNotYourLeaf(uint256 index);
    /// @notice The caller never committed these leaves.
    error AssetCourtNotCommitted(bytes32 commitment);
    /// @notice The commitment is not older than the asset's own (`theirs`).
    error AssetCourtNotOlder(uint256 ours, uint256 theirs);
    /// @notice The commitment had expired when the asset was registered.
    error AssetCourtCommitmentExpired(uint256 expiredAt, uint256 registeredAt);
    /// @notice A prior-commitment claim must come within 2 × MAX_COMMIT_AGE of the commitment.
    error AssetCourtClaimTooLate(uint256 deadline);
    /// @notice Nothing to withdraw.
    error AssetCourtNoDeposit(address account);
    /// @notice Nothing above the live deposits to sweep.
    error AssetCourtNoExcess(address currency, uint256 balance, uint256 deposits);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A dispute opened: the asset is disputed and its revenue held from now on.
    event DisputeOpened(
        uint256 indexed disputeId,
        uint256 indexed assetId,
        Kind kind,
        address indexed claimant,
        uint256 beneficiary,
        uint8 reason,
        bytes32 evidenceHash,
        uint256 deposit
    );
    /// @notice The owner contested (posting the bond), or a lineage path answered the claim.
    event DisputeAnswered(uint256 indexed disputeId, address indexed by, bool contested, uint256 deposit);
    /// @notice The case went to the arbiter with `fee`; `accepted` is false if it refused the
    /// call (the fee is then returned to the claimant and the case can only lapse).
    event RulingRequested(uint256 indexed disputeId, address indexed arbiter, uint256 fee, bool accepted);
    /// @notice The dispute ended (state Upheld, Dismissed or Lapsed).
    event DisputeResolved(uint256 indexed disputeId, uint256 indexed assetId, State outcome);
    /// @notice `amount` became withdrawable by `account` (a bond back or won, a fee unspent).
    event DepositCredited(uint256 indexed disputeId, address indexed account, uint256 amount);
    /// @notice `account` withdrew its deposits.
    event DepositsWithdrawn(address indexed account, uint256 amount);
    /// @notice What the court held beyond its deposits went to the treasury.
    event ExcessSwept(address indexed currency, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                               MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens a subjective claim, with BOND + ARBITER.rulingFee() in ETH.
    function openSubjective(uint256 assetId, uint8 reason, bytes32 evidenceHash, uint256 beneficiary)
        external
        payable
        returns (uint256 disputeId);

    /// @notice Opens a duplicate-content claim against `later`, proving that one file of at
    /// least MIN_DUPLICATE_SIZE bytes is in both; `earlier` is the beneficiary. BOND + fee.
    function openDuplicate(
        uint256 earlier,
        uint256 later,
        FileProof calldata earlierFile,
        FileProof calldata laterFile
    ) external payable returns (uint256 disputeId);

    /// @notice Takes down `assetId` at once: the caller shows an older commitment of its own
    /// (the `leaves` it committed) whose leaf `index` is its leaf for the asset's content root.
    /// A dispute already open on the asset ends as lapsed (every deposit back), so no dispute
    /// can shield a squat until this claim's window closes.
    function claimPriorCommitment(
        uint256 assetId,
        bytes32[] calldata leaves,
        uint256 index,
        bytes32 salt,
        uint256 beneficiary
    ) external returns (uint256 disputeId);

    /// @notice Dismisses a duplicate claim: `path` are parent indices from the later asset to
    /// the earlier one (anyone may send it; the claimant's bond goes to the owner).
    function answerLineage(uint256 disputeId, uint8[] calldata path) external;

    /// @notice The disputed asset's owner posts BOND to contest; the case goes to the arbiter.
    function contest(uint256 disputeId) external payable;

    /// @notice After the answer period of an uncontested claim: a duplicate claim against an
    /// asset without parents is upheld; one against an asset with parents, and a subjective
    /// one, go to the arbiter (never won by default).
    function resolve(uint256 disputeId) external;

    /// @notice The arbiter's ruling, once, while the case is at the arbiter.
    function rule(uint256 disputeId, bool upheld) external;

    /// @notice RULING_TIMEOUT after the case went to the arbiter with no ruling: everything
    /// returns (bonds back, the asset listed and paid again).
    function lapse(uint256 disputeId) external;

    /// @notice Sends the caller its deposits.
    function withdrawDeposits() external returns (uint256 amount);

    /// @notice Sends to the treasury what the court holds beyond its deposits.
    function sweepExcess(address currency) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function REGISTRY() external view returns (IAssetRegistry);
    function VAULT() external view returns (IRoyaltyVault);
    function ARBITER() external view returns (IArbiter);
    /// @notice Wei each side bonds.
    function BOND() external view returns (uint256);
    /// @notice Seconds the owner has to answer.
    function ANSWER_PERIOD() external view returns (uint32);
    /// @notice Seconds the arbiter has to rule before anyone may lapse the case.
    function RULING_TIMEOUT() external view returns (uint32);
    /// @notice Bytes a file must have to found a duplicate claim.
    function MIN_DUPLICATE_SIZE() external view returns (uint64);
    function disputeCount() external view returns (uint256);
    function dispute(uint256 disputeId) external view returns (DisputeView memory);
    /// @notice The asset's latest dispute (0 if none).
    function disputeOf(uint256 assetId) external view returns (uint256);
    /// @notice What `account` may withdraw.
    function deposits(address account) external view returns (uint256);
    /// @notice Everything the court owes: live bonds and fees, and withdrawable deposits.
    function totalDeposits() external view returns (uint256);
}
