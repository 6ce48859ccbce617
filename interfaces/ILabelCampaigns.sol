// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IArbiter} from "./IArbiter.sol";
import {IAssetRegistry} from "./IAssetRegistry.sol";

/// @title Seedbed labeling campaigns
/// @notice A requester escrows a reward pool (ETH, currency = address(0), or an ERC-20) for
/// labeling a set of items and commits to salted gold answers. A bonded operator posts the
/// result as a contributors Merkle-sum root (Seedbed's contributor-tree encoding, the
/// registry's `top` preimage) with the gold root, which anyone holding the salt (the requester,
/// usually) may also reveal on chain beforehand (`revealGold`): the operator never needs the
/// requester to post. During the challenge window anyone can prove that the published report
/// contradicts the posted result (its 64-byte header names another root or gold root): the
/// bond is slashed and the operator may post again before `postBy`; any other objection (the
/// weights do not follow from the labels, the operator paid itself) is a `dispute`, bonded
/// like the result and decided by the deployment's arbiter (IArbiter, as the court's). Then
/// each annotator or reviewer claims `pool × weight / totalWeight` once, with the same proof as
/// the vault; after the claim window `finish` returns the unspent pool to the requester and the
/// bond to the operator.
///
/// The report: the off-chain quality report is published as 64 bytes,
/// `abi.encode(bytes32 resultRoot, bytes32 goldRoot)`, followed by its JSON; `reportHash` is
/// keccak256 of the whole. The gold: `goldCommitment = keccak256(goldSalt ‖ goldRoot)`
/// (abi.encodePacked of two bytes32), where goldRoot is the requester's digest of its gold
/// answers (seedbed.core.labels: sha256 of their canonical JSON).
///
/// Only a hash of a campaign's immutable parameters is stored; every later call passes them
/// (the `Campaign` struct, as logged by CampaignCreated) and they must hash to it.
/// Amounts are in the currency's smallest unit; times are unix seconds.
interface ILabelCampaigns {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice A campaign's immutable parameters, hashed at creation.
    /// @param requester Who escrows the pool and gets the unspent rest back (the creator).
    /// @param currency address(0) for ETH, else the ERC-20 of both the pool and the bond.
    /// @param pool The reward pool: what arrived at creation (less than what was sent for a
    /// fee-on-transfer token; CampaignCreated logs it). At most 2^112 − 1.
    /// @param itemsRoot Merkle root of the item ids to label (not checked on chain).
    /// @param goldCommitment keccak256(goldSalt ‖ goldRoot), revealed by revealGold or with the
    /// result.
    /// @param operator The only account that may post the result.
    /// @param bond What the operator deposits with each result post. At most 2^96 − 1.
    /// @param postBy The last unix time at which a result may be posted (within MAX_WINDOW of
    /// creation).
    /// @param challengeWindow Seconds after a post during which it can be challenged.
    /// @param claimWindow Seconds after the challenge window during which shares are claimed.
    struct Campaign {
        address requester;
        address currency;
        uint256 pool;
        bytes32 itemsRoot;
        bytes32 goldCommitment;
        address operator;
        uint256 bond;
        uint64 postBy;
        uint32 challengeWindow;
        uint32 claimWindow;
    }

    /// @notice A campaign's stored state, in one slot.
    /// @param status 0 = none, 1 = open (no result standing), 2 = posted, 3 = finished,
    /// 4 = disputed (at the arbiter).
    /// @param opensAt The end of the standing result's challenge window: claims open after it
    /// (post time + challengeWindow; the time of the ruling or lapse that let a disputed result
    /// stand). 0 while open.
    /// @param bond The bond held for the standing result (what arrived), 0 when none.
    /// @param remaining The pool not yet claimed (what `finish` returns).
    struct State {
        uint8 status;
        uint40 opensAt;
        uint96 bond;
        uint112 remaining;
    }

    /// @notice One claim of a `claimBatch`: the same arguments as `claim`.
    struct ClaimRequest {
        address account;
        uint96 weight;
        IAssetRegistry.SumNode[] proof;
    }

    /// @notice A standing result's dispute (status 4): who disputed, with what bond (what
    /// arrived, in the campaign's currency), against which operator, since when.
    struct DisputeCase {
        address claimant;
        uint96 bond;
        address operator;
        uint40 openedAt;
        address currency;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice No campaign has this id.
    error CampaignUnknown(uint256 id);

    /// @notice The constructor's arbiter is address(0) or its ruling timeout 0.
    error CampaignBadDeployment();

    /// @notice The gold was revealed already (revealGold), or the post names another gold root
    /// than the revealed one.
    error CampaignGoldAlreadyRevealed(uint256 id, bytes32 revealed, bytes32 given);

    /// @notice The arbiter refused the case (its requestRuling reverted): nothing changed.
    error CampaignArbiterRefused(uint256 id);

    /// @notice `caseId` is not the running dispute of its campaign (an earlier round's, or none).
    error CampaignUnknownCase(uint256 caseId);

    /// @notice Only the deployment's arbiter rules.
    error CampaignNotArbiter(address caller, address arbiter);

    /// @notice The arbiter's ruling time has not run out yet: lapse from `at`.
    error CampaignRulingPending(uint256 id, uint256 at);

    /// @notice Too little gas left to give a capped payout its cap: a caller cannot make a
    /// payout fail (and be credited or skipped) by starving it.
    error CampaignGasTooLow(uint256 needed, uint256 left);

    /// @notice `to` is address(0).
    error CampaignZeroRecipient();

    /// @notice The parameters passed do not hash to the campaign's.
    /// @param id The campaign.
    /// @param stored The stored hash.
    /// @param given keccak256(abi.encode(params)) of the parameters passed.
    error CampaignParamsMismatch(uint256 id, bytes32 stored, bytes32 given);

    /// @notice A campaign is created by its requester: `params.requester` must be the caller.
    error CampaignNotRequester(address caller, address requester);

    /// @notice The parameters are invalid: a zero operator, items root or gold commitment; a
    /// pool or bond of 0 or above its bound; postBy not in the future; a window of 0 or above
    /// MAX_WINDOW. `field` names which: 1 operator, 2 itemsRoot, 3 goldCommitment, 4 pool,
    /// 5 bond, 6 postBy, 7 challengeWindow, 8 claimWindow; `value` is its value.
    error CampaignBadParams(uint8 field, uint256 value);

    /// @notice `msg.value` must equal the amount due for ETH and be 0 for an ERC-20.
    error CampaignWrongValue(uint256 sent, uint256 expected);

    /// @notice The ERC-20 transfer delivered nothing (or more than the slot can hold).
    error CampaignBadArrival(address currency, uint256 requested, uint256 arrived);

    /// @notice The campaign is not in the status this call needs.
    /// @param id The campaign.
    /// @param status Its status (0 no such campaign, 1 open, 2 posted, 3 finished, 4 disputed).
    /// @param required The status needed.
    error CampaignWrongStatus(uint256 id, uint8 status, uint8 required);

    /// @notice Only the campaign's operator posts its result.
    error CampaignNotOperator(uint256 id, address caller, address operator);

    /// @notice The result comes after postBy.
    error CampaignPostDeadlinePassed(uint256 id, uint256 postBy, uint256 now_);

    /// @notice The gold reveal does not open the commitment.
    /// @param id The campaign.
    /// @param commitment The campaign's goldCommitment.
    /// @param revealed keccak256(goldSalt ‖ goldRoot) of the reveal.
    error CampaignGoldRevealMismatch(uint256 id, bytes32 commitment, bytes32 revealed);

    /// @notice `top` is not a contributors root preimage (one leaf or the root's two children).
    error CampaignBadTop(uint256 length);

    /// @notice The result's total weight is 0 or at least 2^96.
    error CampaignBadTotalWeight(uint256 totalWeight);

    /// @notice A one-contributor result names the zero address.
    error CampaignZeroContributor();

    /// @notice The challenge window is over (it ended at `endedAt`).
    error CampaignChallengeWindowOver(uint256 id, uint256 endedAt);

    /// @notice The report is shorter than its 64-byte header.
    error CampaignReportTooShort(uint256 length);

    /// @notice The report is not the posted one, or `goldRoot` is not the posted gold root:
    /// keccak256(abi.encode(keccak256(report), goldRoot)) is not the posted pair's.
    error CampaignNotPostedReport(uint256 id, bytes32 reportHash, bytes32 goldRoot);

    /// @notice The report is the posted one and its header names the posted root and gold
    /// root: there is nothing to slash.
    error CampaignReportMatches(uint256 id, bytes32 reportHash);

    /// @notice Claims open after the challenge window: at `opensAt`.
    error CampaignClaimsNotOpen(uint256 id, uint256 opensAt);

    /// @notice The claim window is over (it ended at `endedAt`): the rest went or goes back
    /// to the requester.
    error CampaignClaimsClosed(uint256 id, uint256 endedAt);

    /// @notice The zero address cannot claim.
    error CampaignZeroAccount();

    /// @notice `(account, weight)` with this proof does not lead to the posted result root.
    error CampaignInvalidProof(uint256 id, address account, uint96 weight);

    /// @notice The account has claimed its share of this campaign already.
    error CampaignAlreadyClaimed(uint256 id, address account);

    /// @notice The share rounds down to 0 (pool × weight < totalWeight).
    error CampaignNothingToClaim(uint256 id, address account, uint96 weight);

    /// @notice Sending failed (an ETH recipient that reverts, or a failed ERC-20 transfer);
    /// nothing was booked.
    error CampaignTransferFailed(address currency, address to, uint256 amount);

    /// @notice Too many claims in one batch.
    error CampaignBatchTooLarge(uint256 count, uint256 max);

    /// @notice The campaign cannot be finished before `at` (postBy while no result stands,
    /// else the end of the claim window).
    error CampaignNotOver(uint256 id, uint256 at);

    /// @notice The caller has no credit in this currency.
    error CampaignNoCredit(address account, address currency);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A campaign was created; `params` is what later calls must pass (pool = what
    /// arrived).
    event CampaignCreated(
        uint256 indexed id, address indexed requester, address indexed operator, Campaign params
    );

    /// @notice The gold answers' root was revealed before the result (by anyone holding the
    /// salt): every post must carry it.
    event GoldRevealed(uint256 indexed id, address indexed by, bytes32 goldRoot, bytes32 goldSalt);

    /// @notice The operator posted a result with its bond and the gold root (0 when the gold
    /// was never revealed: the result was scored without it, as its report says).
    /// @param id The campaign.
    /// @param resultRoot Root of the contributors Merkle-sum tree of the result.
    /// @param totalWeight Its total weight (from its preimage).
    /// @param reportHash keccak256 of the published report (64-byte header ‖ JSON).
    /// @param goldRoot The gold root (0: none revealed).
    /// @param goldSalt The salt, when revealed with this post; 0 when revealed before or none.
    /// @param bond What arrived as the bond.
    event ResultPosted(
        uint256 indexed id,
        bytes32 resultRoot,
        uint96 totalWeight,
        bytes32 reportHash,
        bytes32 goldRoot,
        bytes32 goldSalt,
        uint256 bond
    );

    /// @notice A challenge proved the report contradicts the posted result: the result is
    /// void, the campaign open again, the bond split between the challenger (half, rounded
    /// down, sent now) and the requester (the rest, credited: withdrawCredit).
    event ResultSlashed(
        uint256 indexed id, address indexed challenger, uint256 bond, uint256 toChallenger, uint256 toRequester
    );

    /// @notice A standing result was disputed: it is at the arbiter, claims wait.
    /// @param caseId The arbiter's case number: `round << 128 | id`, round 1 for the campaign's
    /// first dispute, so an arbiter that keys cases by (sender, number) sees each dispute anew.
    event ResultDisputed(
        uint256 indexed id,
        address indexed claimant,
        uint256 caseId,
        uint256 bond,
        uint256 fee,
        bytes32 evidenceHash
    );

    /// @notice The arbiter ruled. Upheld: the result is void and the campaign open again; the
    /// claimant is credited its bond and the operator's. Dismissed: the result stands, claims
    /// open from now, the operator is credited the claimant's bond.
    event DisputeRuled(uint256 indexed id, bool upheld, address indexed credited, uint256 amount);

    /// @notice The arbiter did not rule in time: the result stands, claims open from now, the
    /// claimant's bond is credited back to it.
    event DisputeLapsed(uint256 indexed id, address indexed claimant, uint256 bondReturned);

    /// @notice An annotator's (or reviewer's) share was paid.
    event Claimed(uint256 indexed id, address indexed account, uint256 amount, uint96 weight);

    /// @notice An account's share was paid to another address of its choosing (claimTo).
    event ClaimedTo(uint256 indexed id, address indexed account, address indexed to, uint256 amount);

    /// @notice A claim of a batch could not be sent; nothing was booked (the account may
    /// claim again alone).
    event ClaimFailed(uint256 indexed id, address indexed account, uint256 amount);

    /// @notice The campaign is over: `refund` to the requester, `bondReturned` to the operator
    /// (0 when no result stands). `posted` tells whether a result stood.
    event Finished(uint256 indexed id, uint256 refund, uint256 bondReturned, bool posted);

    /// @notice A payout of `finish` could not be sent, or was the requester's half of a
    /// slashed bond, or a dispute's bonds: it is the account's to take with withdrawCredit.
    event Credited(address indexed account, address indexed currency, uint256 amount);

    /// @notice An account took its credit, sent to `to`.
    event CreditWithdrawn(address indexed account, address indexed currency, uint256 amount, address to);

    /*//////////////////////////////////////////////////////////////
                                MUTATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates a campaign, escrowing its pool: `msg.value == params.pool` for ETH, else
    /// `params.pool` pulled from the caller (approve first) and the pool is what arrived.
    /// @param params The campaign; `requester` must be the caller.
    /// @return id The new campaign's id, one above the previous one.
    function create(Campaign calldata params) external payable returns (uint256 id);

    /// @notice Reveals the gold root (anyone holding the salt, while open), so that every post
    /// must carry it.
    function revealGold(uint256 id, Campaign calldata params, bytes32 goldSalt, bytes32 goldRoot) external;

    /// @notice Posts the result (the operator only, while open, by postBy) with the bond
    /// (`msg.value == bond` for ETH, else pulled). The gold root: the revealed one if revealGold
    /// was called (goldSalt is then ignored); else revealed here with its salt; else 0, a
    /// result scored without gold (disputable like any other).
    /// @param top The result root's preimage, as the registry's `register` takes it: the
    /// root's two children, or for one contributor `(bytes32(uint160(account)), weight)`.
    function postResult(
        uint256 id,
        Campaign calldata params,
        IAssetRegistry.SumNode[] calldata top,
        bytes32 reportHash,
        bytes32 goldSalt,
        bytes32 goldRoot
    ) external payable;

    /// @notice Proves, during the challenge window, that the posted report (`report`, whose
    /// keccak256 is the posted reportHash) names in its 64-byte header another result root or
    /// gold root than the ones posted. Slashes the bond (half to the caller) and reopens the
    /// campaign.
    /// @param goldRoot The posted gold root (ResultPosted), which identifies the posted pair.
    function challengeReport(uint256 id, Campaign calldata params, bytes calldata report, bytes32 goldRoot)
        external;

    /// @notice Disputes the standing result during its challenge window (anyone): deposits a
    /// bond of `params.bond` in the campaign's currency (ETH: `msg.value == bond + fee`; an
    /// ERC-20: pulled, `msg.value == fee`) and sends the case with the arbiter's `rulingFee()`
    /// to the arbiter, which answers with `rule`. Claims wait for the ruling.
    /// @param evidenceHash The claimant's evidence (e.g. keccak256 of its recomputed report).
    function dispute(uint256 id, Campaign calldata params, bytes32 evidenceHash) external payable;

    /// @notice The arbiter's answer to a dispute (the arbiter only, once per case).
    /// @param caseId The case number sent with requestRuling (ResultDisputed): the running
    /// dispute's, else CampaignUnknownCase.
    function rule(uint256 caseId, bool upheld) external;

    /// @notice Ends a dispute the arbiter left unanswered for RULING_TIMEOUT (anyone).
    function lapse(uint256 id) external;

    /// @notice Pays `account` its share `pool × weight / totalWeight` (rounded down), once,
    /// after the challenge window and within the claim window. Anyone may send it.
    /// @return amount What was sent.
    function claim(
        uint256 id,
        Campaign calldata params,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external returns (uint256 amount);

    /// @notice The caller's share, as `claim`, sent to `to` (a contract wallet that cannot
    /// receive, a cold address).
    function claimTo(
        uint256 id,
        Campaign calldata params,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof,
        address to
    ) external returns (uint256 amount);

    /// @notice Several claims of one campaign. An account that claimed already, or whose share
    /// is 0, is skipped (0); a send that fails is undone (ClaimFailed) and does not stop the
    /// others; each ETH send gets BATCH_ETH_GAS. An invalid proof reverts the batch.
    /// @return amounts What was sent to each.
    function claimBatch(uint256 id, Campaign calldata params, ClaimRequest[] calldata requests)
        external
        returns (uint256[] memory amounts);

    /// @notice Ends the campaign, once, anyone may call: after the claim window, the unclaimed
    /// pool to the requester and the bond to the operator; or, when no result stands after
    /// postBy, the whole pool to the requester. A payout that fails becomes a credit.
    /// @return refund What went to the requester.
    /// @return bondReturned What went to the operator.
    function finish(uint256 id, Campaign calldata params) external returns (uint256 refund, uint256 bondReturned);

    /// @notice Sends the caller's credit in `currency` to `to`.
    /// @return amount What was sent.
    function withdrawCredit(address currency, address to) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The arbiter of disputes, fixed at deployment.
    function ARBITER() external view returns (IArbiter);

    /// @notice Seconds the arbiter has to rule before anyone may `lapse` a dispute.
    function RULING_TIMEOUT() external view returns (uint32);

    /// @notice The number of campaigns; ids run from 1 to it.
    function campaignCount() external view returns (uint256);

    /// @notice The stored hash of a campaign's parameters (0 for an unknown id).
    function paramsHash(uint256 id) external view returns (bytes32);

    /// @notice keccak256(abi.encode(params)): what `paramsHash` stores.
    function hashParams(Campaign calldata params) external pure returns (bytes32);

    /// @notice A campaign's state.
    function state(uint256 id) external view returns (State memory);

    /// @notice Whether `account` has claimed its share of the campaign.
    function claimed(uint256 id, address account) external view returns (bool);

    /// @notice What `claim` would pay now: it reverts as `claim` would for a wrong status,
    /// parameters, proof or window, and returns 0 once claimed or when the share rounds to 0.
    function claimable(
        uint256 id,
        Campaign calldata params,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external view returns (uint256);

    /// @notice What `account` may take with withdrawCredit.
    function credit(address account, address currency) external view returns (uint256);
}
