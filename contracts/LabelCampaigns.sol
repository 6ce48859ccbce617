// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IArbiter} from "../interfaces/IArbiter.sol";
import {IAssetRegistry} from "../interfaces/IAssetRegistry.sol";
import {ILabelCampaigns} from "../interfaces/ILabelCampaigns.sol";
import {SeedbedMerkle} from "./libraries/SeedbedMerkle.sol";

/// @title LabelCampaigns
/// @notice Labeling campaigns with escrowed rewards (see ILabelCampaigns). Per campaign it
/// stores the parameters' hash and one state slot from creation, and two result keys from
/// the first post: every call is O(1), whatever the number of annotators.
/// Conservation, per campaign: pool = Σ claims + refund, to the wei (each share rounds down;
/// the dust, less than one wei per claimant, is in the refund); a bond is returned whole, or
/// split challenger + requester with nothing left over; a dispute's two bonds go whole to
/// one side (or back to each on a lapse).
/// @dev No receive(): plain ETH transfers revert. No owner, no upgrade path; the arbiter is
/// immutable, as the court's.
contract LabelCampaigns is ILabelCampaigns, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    address internal constant ETH = address(0);
    uint8 internal constant OPEN = 1;
    uint8 internal constant POSTED = 2;
    uint8 internal constant FINISHED = 3;
    uint8 internal constant DISPUTED = 4;

    /// @notice The longest challenge or claim window, so no pool or bond is locked for years
    /// by a typo.
    uint256 public constant MAX_WINDOW = 365 days;
    /// @notice The most claims in one claimBatch.
    uint256 public constant MAX_BATCH = 64;
    /// @notice Gas forwarded to each ETH recipient inside a batch, so one gas-griefing
    /// recipient cannot starve the others (it can still claim alone with all the gas it wants).
    uint256 public constant BATCH_ETH_GAS = 100_000;
    /// @notice Gas forwarded to the requester and the operator by `finish`, so neither can
    /// block the other's payout; a payout that fails is credited (withdrawCredit).
    uint256 public constant PAYOUT_GAS = 100_000;
    /// @dev Gas kept beyond a capped call's cap × 64/63, for the bookkeeping after it.
    uint256 internal constant GAS_MARGIN = 20_000;

    /// @inheritdoc ILabelCampaigns
    IArbiter public immutable ARBITER;
    /// @inheritdoc ILabelCampaigns
    uint32 public immutable RULING_TIMEOUT;

    /// @dev keccak(abi.encode(paramsHash, resultRoot)) and keccak(abi.encode(reportHash,
    /// goldRoot)) of the standing (or last) result. A claim checks its parameters and its
    /// proof's root against `resultKey` alone, one storage read for both.
    struct Result {
        bytes32 resultKey;
        bytes32 reportKey;
    }

    /// @inheritdoc ILabelCampaigns
    uint256 public campaignCount;
    /// @inheritdoc ILabelCampaigns
    mapping(uint256 id => bytes32) public paramsHash;
    mapping(uint256 id => State) internal _states;
    mapping(uint256 id => Result) internal _results;
    /// @dev Bit id % 256 of the word keyed (account << 96 | id / 256): an annotator's claims
    /// across 256 campaigns share a slot, so every claim after its first in that range writes a
    /// used slot (5k, not 22k). The key is unique without hashing (ids stay below 2^104).
    mapping(uint256 key => uint256 bits) internal _claimedBits;
    /// @inheritdoc ILabelCampaigns
    mapping(address account => mapping(address currency => uint256)) public credit;
    mapping(uint256 id => bytes32) internal revealedGold;
    mapping(uint256 id => DisputeCase) internal _cases;
    /// @dev How many disputes each campaign has had: the round of its latest case (the
    /// ResultDisputed events tell it; no getter, so that the claim's dispatch stays short).
    mapping(uint256 id => uint256) internal _disputeRounds;

    constructor(IArbiter arbiter, uint32 rulingTimeout) {
        if (address(arbiter) == address(0) || rulingTimeout == 0) revert CampaignBadDeployment();
        ARBITER = arbiter;
        RULING_TIMEOUT = rulingTimeout;
    }

    /*//////////////////////////////////////////////////////////////
                                LIFECYCLE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILabelCampaigns
    function create(Campaign calldata params) external payable nonReentrant returns (uint256 id) {
        if (params.requester != msg.sender) revert CampaignNotRequester(msg.sender, params.requester);
        _checkTerms(params);
        // Interaction first, to measure what arrived (fee-on-transfer tokens); the guard keeps
        // the token from re-entering.
        uint256 pool = _pull(params.currency, params.pool, type(uint112).max, 0);
        Campaign memory p = params;
        p.pool = pool;
        id = ++campaignCount;
        paramsHash[id] = keccak256(abi.encode(p));
        _states[id] = State({status: OPEN, opensAt: 0, bond: 0, remaining: uint112(pool)});
        emit CampaignCreated(id, msg.sender, p.operator, p);
    }

    /// @inheritdoc ILabelCampaigns
    function revealGold(uint256 id, Campaign calldata params, bytes32 goldSalt, bytes32 goldRoot)
        external
        nonReentrant
    {
        _checkParams(id, params);
        _requireStatus(id, _states[id].status, OPEN);
        bytes32 earlier = revealedGold[id];
        if (earlier != bytes32(0)) revert CampaignGoldAlreadyRevealed(id, earlier, goldRoot);
        if (goldRoot == bytes32(0)) revert CampaignBadParams(3, 0);
        _checkGold(id, params, goldSalt, goldRoot);
        revealedGold[id] = goldRoot;
        emit GoldRevealed(id, msg.sender, goldRoot, goldSalt);
    }

    /// @inheritdoc ILabelCampaigns
    function postResult(
        uint256 id,
        Campaign calldata params,
        IAssetRegistry.SumNode[] calldata top,
        bytes32 reportHash,
        bytes32 goldSalt,
        bytes32 goldRoot
    ) external payable nonReentrant {
        bytes32 h = _checkParams(id, params);
        State memory s = _states[id];
        if (msg.sender != params.operator) revert CampaignNotOperator(id, msg.sender, params.operator);
        if (s.status != OPEN) revert CampaignWrongStatus(id, s.status, OPEN);
        if (block.timestamp > params.postBy) revert CampaignPostDeadlinePassed(id, params.postBy, block.timestamp);
        bytes32 earlier = revealedGold[id];
        if (earlier != bytes32(0)) {
            if (goldRoot != earlier) revert CampaignGoldAlreadyRevealed(id, earlier, goldRoot);
            goldSalt = bytes32(0);
        } else if (goldRoot != bytes32(0)) {
            _checkGold(id, params, goldSalt, goldRoot);
        } else {
            goldSalt = bytes32(0); // no gold: scored without it, as the report must say
        }
        (bytes32 root, uint96 total) = _rootOf(top);
        uint256 bond = _pull(params.currency, params.bond, type(uint96).max, 0);
        uint256 opensAt = block.timestamp + params.challengeWindow;
        _states[id] = State({status: POSTED, opensAt: uint40(opensAt), bond: uint96(bond), remaining: s.remaining});
        _results[id] = Result(_key(h, root), _key(reportHash, goldRoot));
        emit ResultPosted(id, root, total, reportHash, goldRoot, goldSalt, bond);
    }

    /// @inheritdoc ILabelCampaigns
    function challengeReport(uint256 id, Campaign calldata params, bytes calldata report, bytes32 goldRoot)
        external
        nonReentrant
    {
        bytes32 h = _checkParams(id, params);
        State memory s = _states[id];
        _requireStatus(id, s.status, POSTED);
        if (block.timestamp > s.opensAt) revert CampaignChallengeWindowOver(id, s.opensAt);
        if (report.length < 64) revert CampaignReportTooShort(report.length);
        bytes32 reportHash = keccak256(report);
        Result memory r = _results[id];
        if (_key(reportHash, goldRoot) != r.reportKey) {
            revert CampaignNotPostedReport(id, reportHash, goldRoot);
        }
        (bytes32 headerRoot, bytes32 headerGold) = abi.decode(report[:64], (bytes32, bytes32));
        if (headerGold == goldRoot && _key(h, headerRoot) == r.resultKey) {
            revert CampaignReportMatches(id, reportHash);
        }
        // The posted report contradicts the posted result: the result is void.
        uint256 bond = s.bond;
        uint256 toChallenger = bond / 2;
        uint256 toRequester = bond - toChallenger;
        _states[id] = State({status: OPEN, opensAt: 0, bond: 0, remaining: s.remaining});
        emit ResultSlashed(id, msg.sender, bond, toChallenger, toRequester);
        _credit(params.requester, params.currency, toRequester);
        if (toChallenger != 0 && !_send(params.currency, msg.sender, toChallenger, gasleft())) {
            revert CampaignTransferFailed(params.currency, msg.sender, toChallenger);
        }
    }

    /// @inheritdoc ILabelCampaigns
    function dispute(uint256 id, Campaign calldata params, bytes32 evidenceHash) external payable nonReentrant {
        _checkParams(id, params);
        State memory s = _states[id];
        _requireStatus(id, s.status, POSTED);
        if (block.timestamp > s.opensAt) revert CampaignChallengeWindowOver(id, s.opensAt);
        uint256 fee = ARBITER.rulingFee();
        uint256 bond = _pull(params.currency, params.bond, type(uint96).max, fee);
        // A new case number per dispute: a campaign disputed again after an upheld ruling is a
        // new case to an arbiter that remembers the cases it decided.
        uint256 round = ++_disputeRounds[id];
        uint256 caseId = round << 128 | id;
        _states[id].status = DISPUTED;
        _cases[id] = DisputeCase({
            claimant: msg.sender,
            bond: uint96(bond),
            operator: params.operator,
            openedAt: uint40(block.timestamp),
            currency: params.currency
        });
        emit ResultDisputed(id, msg.sender, caseId, bond, fee, evidenceHash);
        // Effects first: an arbiter may rule from inside the call (`rule` is not behind the
        // guard). One that refuses undoes the dispute; nothing is locked.
        uint256 before = gasleft();
        try ARBITER.requestRuling{value: fee}(caseId, evidenceHash) {}
        catch {
            // Starving the call of gas must not pass for a refusal (as the court's).
            if (gasleft() <= before / 63) revert CampaignGasTooLow(before, gasleft());
            revert CampaignArbiterRefused(id);
        }
    }

    /// @inheritdoc ILabelCampaigns
    /// @dev Not behind the guard, so an arbiter may rule inside requestRuling: it touches only
    /// this campaign's state and credits, and makes no call.
    function rule(uint256 caseId, bool upheld) external {
        if (msg.sender != address(ARBITER)) revert CampaignNotArbiter(msg.sender, address(ARBITER));
        uint256 id = caseId & type(uint128).max;
        State memory s = _states[id];
        if (s.status != DISPUTED || caseId >> 128 != _disputeRounds[id]) revert CampaignUnknownCase(caseId);
        DisputeCase memory c = _cases[id];
        delete _cases[id];
        if (upheld) {
            // The result is void: the claimant takes both bonds, the operator may post again.
            uint256 amount = uint256(c.bond) + s.bond;
            _states[id] = State({status: OPEN, opensAt: 0, bond: 0, remaining: s.remaining});
            emit DisputeRuled(id, true, c.claimant, amount);
            _credit(c.claimant, c.currency, amount);
        } else {
            _states[id] = State({status: POSTED, opensAt: uint40(block.timestamp), bond: s.bond, remaining: s.remaining});
            emit DisputeRuled(id, false, c.operator, c.bond);
            _credit(c.operator, c.currency, c.bond);
        }
    }

    /// @inheritdoc ILabelCampaigns
    function lapse(uint256 id) external nonReentrant {
        State memory s = _states[id];
        _requireStatus(id, s.status, DISPUTED);
        DisputeCase memory c = _cases[id];
        uint256 at = uint256(c.openedAt) + RULING_TIMEOUT;
        if (block.timestamp <= at) revert CampaignRulingPending(id, at + 1);
        delete _cases[id];
        _states[id] = State({status: POSTED, opensAt: uint40(block.timestamp), bond: s.bond, remaining: s.remaining});
        emit DisputeLapsed(id, c.claimant, c.bond);
        _credit(c.claimant, c.currency, c.bond);
    }

    /// @inheritdoc ILabelCampaigns
    function claim(
        uint256 id,
        Campaign calldata params,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external nonReentrant returns (uint256 amount) {
        amount = _claim(id, params, account, weight, proof);
        if (!_send(params.currency, account, amount, gasleft())) {
            revert CampaignTransferFailed(params.currency, account, amount);
        }
    }

    /// @inheritdoc ILabelCampaigns
    function claimTo(
        uint256 id,
        Campaign calldata params,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof,
        address to
    ) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert CampaignZeroRecipient();
        amount = _claim(id, params, msg.sender, weight, proof);
        emit ClaimedTo(id, msg.sender, to, amount);
        if (!_send(params.currency, to, amount, gasleft())) revert CampaignTransferFailed(params.currency, to, amount);
    }

    /// @inheritdoc ILabelCampaigns
    function claimBatch(uint256 id, Campaign calldata params, ClaimRequest[] calldata requests)
        external
        nonReentrant
        returns (uint256[] memory amounts)
    {
        uint256 n = requests.length;
        if (n > MAX_BATCH) revert CampaignBatchTooLarge(n, MAX_BATCH);
        amounts = new uint256[](n);
        _checkParams(id, params); // an empty batch too: only a campaign's own parameters pass
        State memory s = _states[id];
        _requireStatus(id, s.status, POSTED);
        address currency = params.currency;
        for (uint256 i; i < n; ++i) {
            ClaimRequest calldata r = requests[i];
            uint256 amount = _share(id, params, s, r.account, r.weight, r.proof);
            if (amount == 0 || _isClaimed(id, r.account)) continue;
            // Booked before the send, undone if it fails: the books never wait on a receiver.
            _setClaimed(id, r.account, true);
            s.remaining = uint112(s.remaining - amount);
            _states[id].remaining = s.remaining;
            _requireGas(BATCH_ETH_GAS);
            if (_send(currency, r.account, amount, BATCH_ETH_GAS)) {
                amounts[i] = amount;
                emit Claimed(id, r.account, amount, r.weight);
            } else {
                _setClaimed(id, r.account, false);
                s.remaining += uint112(amount);
                _states[id].remaining = s.remaining;
                emit ClaimFailed(id, r.account, amount);
            }
        }
    }

    /// @inheritdoc ILabelCampaigns
    function finish(uint256 id, Campaign calldata params)
        external
        nonReentrant
        returns (uint256 refund, uint256 bondReturned)
    {
        _checkParams(id, params);
        State memory s = _states[id];
        bool posted = s.status == POSTED;
        if (posted) {
            uint256 end = uint256(s.opensAt) + params.claimWindow;
            if (block.timestamp <= end) revert CampaignNotOver(id, end + 1);
        } else if (s.status == OPEN) {
            if (block.timestamp <= params.postBy) revert CampaignNotOver(id, uint256(params.postBy) + 1);
        } else {
            revert CampaignWrongStatus(id, s.status, POSTED); // finished, or disputed
        }
        refund = s.remaining;
        bondReturned = s.bond; // 0 while open: a slashed bond was paid out then
        _states[id] = State({status: FINISHED, opensAt: s.opensAt, bond: 0, remaining: 0});
        emit Finished(id, refund, bondReturned, posted);
        _payOut(params.currency, params.requester, refund);
        _payOut(params.currency, params.operator, bondReturned);
    }

    /// @inheritdoc ILabelCampaigns
    function withdrawCredit(address currency, address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert CampaignZeroRecipient();
        amount = credit[msg.sender][currency];
        if (amount == 0) revert CampaignNoCredit(msg.sender, currency);
        credit[msg.sender][currency] = 0;
        emit CreditWithdrawn(msg.sender, currency, amount, to);
        if (!_send(currency, to, amount, gasleft())) revert CampaignTransferFailed(currency, to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILabelCampaigns
    function hashParams(Campaign calldata params) external pure returns (bytes32) {
        return _hash(params);
    }

    /// @inheritdoc ILabelCampaigns
    function state(uint256 id) external view returns (State memory) {
        return _states[id];
    }


    /// @inheritdoc ILabelCampaigns
    function claimed(uint256 id, address account) external view returns (bool) {
        return _isClaimed(id, account);
    }

    /// @inheritdoc ILabelCampaigns
    function claimable(
        uint256 id,
        Campaign calldata params,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) external view returns (uint256) {
        uint256 amount = _share(id, params, _states[id], account, weight, proof);
        return _isClaimed(id, account) ? 0 : amount;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev The parameters' hash, which must be the stored one.
    function _checkParams(uint256 id, Campaign calldata params) internal view returns (bytes32 h) {
        h = _hash(params);
        bytes32 stored = paramsHash[id];
        if (stored != h) {
            if (stored == bytes32(0)) revert CampaignUnknown(id);
            revert CampaignParamsMismatch(id, stored, h);
        }
    }

    /// @dev keccak256(abi.encode(params)) without re-encoding: a static struct's calldata is
    /// its encoding. Calldata with dirty high bits hashes differently from the stored hash (made
    /// from clean values) and is refused as a mismatch.
    function _hash(Campaign calldata params) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, params, 0x140)
            h := keccak256(p, 0x140)
        }
    }

    /// @dev keccak256(abi.encode(a, b)), in scratch space.
    function _key(bytes32 a, bytes32 b) internal pure returns (bytes32 k) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            k := keccak256(0x00, 0x40)
        }
    }

    /// @dev SeedbedMerkle.contributorRoot, the same encoding folded in assembly: ~255 gas a
    /// level; the library's loop (a bounds check and an internal call per element) cost ~5k
    /// more over a 20-level claim, which the claim's gas target cannot afford. The ABI decoder checked at entry that
    /// the proof lies within calldata. A sibling sum of 2^96 or more cannot be in a result
    /// tree (every node's sum is at most the total, < 2^96): such a proof returns hash 0, which
    /// matches no result; below that bound no sum can overflow.
    function _fold(bytes32 leaf, uint256 weight, IAssetRegistry.SumNode[] calldata proof)
        internal
        pure
        returns (bytes32 h, uint256 sum)
    {
        h = leaf;
        sum = weight;
        assembly ("memory-safe") {
            // At the free pointer: 0x01 ‖ (hash, sum) ‖ (hash, sum), the lower hash first.
            let p := mload(0x40)
            mstore8(p, 0x01)
            let high := 0
            let end := add(proof.offset, shl(6, proof.length))
            for { let i := proof.offset } lt(i, end) { i := add(i, 0x40) } {
                // Ours at p + 1 when its hash is the lower, else at p + 0x41; the sibling (hash,
                // sum) copied as is into the other half.
                let ours := add(add(p, 0x01), shl(6, iszero(lt(h, calldataload(i)))))
                mstore(ours, h)
                mstore(add(ours, 0x20), sum)
                calldatacopy(sub(add(add(p, p), 0x42), ours), i, 0x40)
                h := keccak256(p, 0x81)
                let s := calldataload(add(i, 0x20))
                high := or(high, s)
                sum := add(sum, s)
            }
            if shr(96, high) { h := 0 }
        }
    }

    /// @dev An unknown id has status 0 (CampaignWrongStatus with status 0).
    function _requireStatus(uint256 id, uint8 status, uint8 required) internal pure {
        if (status != required) revert CampaignWrongStatus(id, status, required);
    }

    /// @dev keccak256(goldSalt ‖ goldRoot) must be the commitment.
    function _checkGold(uint256 id, Campaign calldata params, bytes32 goldSalt, bytes32 goldRoot) internal pure {
        bytes32 revealed = keccak256(abi.encodePacked(goldSalt, goldRoot));
        if (revealed != params.goldCommitment) revert CampaignGoldRevealMismatch(id, params.goldCommitment, revealed);
    }

    /// @dev Books `account`'s claim (flag, remaining) and returns its share, for the caller to send.
    function _claim(
        uint256 id,
        Campaign calldata params,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) internal returns (uint256 amount) {
        State storage st = _states[id];
        State memory s = st;
        amount = _share(id, params, s, account, weight, proof);
        uint256 key = _bitsKey(id, account);
        uint256 word = _claimedBits[key];
        uint256 bit = 1 << (id & 0xff);
        if (word & bit != 0) revert CampaignAlreadyClaimed(id, account);
        if (amount == 0) revert CampaignNothingToClaim(id, account, weight);
        _claimedBits[key] = word | bit;
        st.remaining = uint112(s.remaining - amount); // Σ shares ≤ pool: never below 0
        emit Claimed(id, account, amount, weight);
    }

    /// @dev A capped call gets at most 63/64 of what is left: refuse to start one that would
    /// get less than its cap.
    function _requireGas(uint256 cap) internal view {
        uint256 needed = cap * 64 / 63 + GAS_MARGIN;
        if (gasleft() < needed) revert CampaignGasTooLow(needed, gasleft());
    }

    function _checkTerms(Campaign calldata p) internal view {
        if (p.operator == address(0)) revert CampaignBadParams(1, 0);
        if (p.itemsRoot == bytes32(0)) revert CampaignBadParams(2, 0);
        if (p.goldCommitment == bytes32(0)) revert CampaignBadParams(3, 0);
        if (p.pool == 0 || p.pool > type(uint112).max) revert CampaignBadParams(4, p.pool);
        if (p.bond == 0 || p.bond > type(uint96).max) revert CampaignBadParams(5, p.bond);
        if (p.postBy <= block.timestamp || p.postBy > block.timestamp + MAX_WINDOW) {
            revert CampaignBadParams(6, p.postBy);
        }
        if (p.challengeWindow == 0 || p.challengeWindow > MAX_WINDOW) revert CampaignBadParams(7, p.challengeWindow);
        if (p.claimWindow == 0 || p.claimWindow > MAX_WINDOW) revert CampaignBadParams(8, p.claimWindow);
    }

    /// @dev `account`'s share `pool × weight / total`, the leaf proven against the posted root
    /// and the parameters against their hash in one comparison (resultKey). As in the vault,
    /// every valid proof's sum is the total the root commits to: the proof's sum is the divisor.
    function _share(
        uint256 id,
        Campaign calldata params,
        State memory s,
        address account,
        uint96 weight,
        IAssetRegistry.SumNode[] calldata proof
    ) internal view returns (uint256) {
        _requireStatus(id, s.status, POSTED);
        if (account == address(0)) revert CampaignZeroAccount();
        (bytes32 root, uint256 total) = _fold(SeedbedMerkle.contributorLeaf(account, weight), weight, proof);
        if (_key(_hash(params), root) != _results[id].resultKey) {
            _checkParams(id, params); // tells wrong parameters from a wrong proof
            revert CampaignInvalidProof(id, account, weight);
        }
        // The parameters are the campaign's: uint40 + 2 × uint32 and pool (< 2^112) × weight
        // (< 2^96) cannot overflow.
        unchecked {
            uint256 opens = s.opensAt;
            if (block.timestamp <= opens) revert CampaignClaimsNotOpen(id, opens + 1);
            uint256 ends = opens + params.claimWindow;
            if (block.timestamp > ends) revert CampaignClaimsClosed(id, ends);
            return params.pool * weight / total; // total > 0: no zero-weight result matches
        }
    }

    function _bitsKey(uint256 id, address account) internal pure returns (uint256) {
        return uint256(uint160(account)) << 96 | id >> 8;
    }

    function _isClaimed(uint256 id, address account) internal view returns (bool) {
        return _claimedBits[_bitsKey(id, account)] & (1 << (id & 0xff)) != 0;
    }

    function _setClaimed(uint256 id, address account, bool on) internal {
        uint256 key = _bitsKey(id, account);
        uint256 bit = 1 << (id & 0xff);
        _claimedBits[key] = on ? _claimedBits[key] | bit : _claimedBits[key] & ~bit;
    }

    /// @dev The result root and total weight from the root's preimage, as the registry's
    /// `register` does: the total is the tree's sum by construction.
    function _rootOf(IAssetRegistry.SumNode[] calldata top) internal pure returns (bytes32, uint96) {
        if (top.length == 1) return _leafTop(top[0]);
        if (top.length != 2) revert CampaignBadTop(top.length);
        uint256 s0 = top[0].sum;
        uint256 s1 = top[1].sum;
        // Each part below 2^96 first, so the sum cannot overflow into a panic.
        if (s0 >= 1 << 96 || s1 >= 1 << 96) revert CampaignBadTotalWeight(s0 > s1 ? s0 : s1);
        (bytes32 root, uint256 sum) = SeedbedMerkle.contributorParent(top[0].hash, s0, top[1].hash, s1);
        if (sum == 0 || sum >= 1 << 96) revert CampaignBadTotalWeight(sum);
        return (root, uint96(sum));
    }

    /// @dev A one-contributor result: `(bytes32(uint160(account)), weight)`; the root is the leaf.
    function _leafTop(IAssetRegistry.SumNode calldata only) internal pure returns (bytes32, uint96) {
        uint256 raw = uint256(only.hash);
        if (raw > type(uint160).max) revert CampaignBadTop(1);
        if (raw == 0) revert CampaignZeroContributor();
        uint256 sum = only.sum;
        if (sum == 0 || sum >= 1 << 96) revert CampaignBadTotalWeight(sum);
        return (SeedbedMerkle.contributorLeaf(address(uint160(raw)), uint96(sum)), uint96(sum));
    }

    /// @dev Takes `amount` from the caller, plus `ethFee` in ETH: ETH must come as msg.value; an
    /// ERC-20 is pulled and what arrived (1 .. max) is returned.
    function _pull(address currency, uint256 amount, uint256 max, uint256 ethFee) internal returns (uint256 received) {
        if (currency == ETH) {
            if (msg.value != amount + ethFee) revert CampaignWrongValue(msg.value, amount + ethFee);
            return amount;
        }
        if (msg.value != ethFee) revert CampaignWrongValue(msg.value, ethFee);
        IERC20 token = IERC20(currency);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        received = token.balanceOf(address(this)) - before;
        if (received == 0 || received > max) revert CampaignBadArrival(currency, amount, received);
    }

    /// @dev Sends with a gas cap; what cannot be sent becomes the account's credit.
    function _payOut(address currency, address to, uint256 amount) internal {
        if (amount == 0) return;
        _requireGas(PAYOUT_GAS);
        if (!_send(currency, to, amount, PAYOUT_GAS)) _credit(to, currency, amount);
    }

    function _credit(address to, address currency, uint256 amount) internal {
        if (amount == 0) return;
        credit[to][currency] += amount;
        emit Credited(to, currency, amount);
    }

    /// @dev Never reverts: returns false when the transfer failed. ETH is sent without
    /// copying return data, so a recipient cannot grief with a huge revert payload.
    function _send(address currency, address to, uint256 amount, uint256 gasLimit) internal returns (bool ok) {
        if (currency == ETH) {
            assembly ("memory-safe") {
                ok := call(gasLimit, to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(currency).trySafeTransfer(to, amount);
        }
    }
}
