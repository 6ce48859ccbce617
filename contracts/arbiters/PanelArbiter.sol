// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IArbiter} from "../../interfaces/IArbiter.sol";
import {IAssetCourt} from "../../interfaces/IAssetCourt.sol";

/// @title PanelArbiter
/// @notice A fixed panel of signers that decides by threshold: the default arbiter of a
/// deployment (on anvil, the deployer alone). Free: `rulingFee` is 0. A case is a (court,
/// dispute) pair opened by the court's `requestRuling`; the first side to reach THRESHOLD
/// votes rules, through `IAssetCourt(court).rule`.
/// @dev Members and threshold are immutable; a panel that needs rotating is a new deployment
/// (the court's arbiter is immutable too). Any contract implementing IArbiter can replace it.
contract PanelArbiter is IArbiter {
    uint256 public constant MAX_MEMBERS = 16;

    struct Case {
        bool open;
        bool decided;
        uint8 yes;
        uint8 no;
    }

    uint256 public immutable THRESHOLD;
    address[] internal _members;
    mapping(address => bool) public isMember;
    mapping(bytes32 caseKey => Case) internal _cases;
    mapping(bytes32 caseKey => mapping(address member => bool)) public voted;

    /// @notice A panel needs 1 to 16 distinct non-zero members and a threshold of 1 to their number.
    error PanelArbiterBadPanel(uint256 members, uint256 threshold);
    /// @notice Only a member of the panel votes.
    error PanelArbiterNotMember(address caller);
    /// @notice The panel's ruling fee is 0: ETH sent with a case is refused.
    error PanelArbiterNoFee(uint256 sent);
    /// @notice This court never sent this case, or it was decided already.
    error PanelArbiterNoCase(address court, uint256 disputeId);
    /// @notice A member votes once per case.
    error PanelArbiterAlreadyVoted(address member);

    /// @notice A court sent a case.
    event CaseOpened(address indexed court, uint256 indexed disputeId, bytes32 evidenceHash);
    /// @notice A member voted on a case.
    event Voted(address indexed court, uint256 indexed disputeId, address indexed member, bool upheld);
    /// @notice A side reached the threshold; the panel ruled through the court.
    event Ruled(address indexed court, uint256 indexed disputeId, bool upheld);

    constructor(address[] memory members, uint256 threshold) {
        uint256 n = members.length;
        if (n == 0 || n > MAX_MEMBERS || threshold == 0 || threshold > n) revert PanelArbiterBadPanel(n, threshold);
        for (uint256 i; i < n; ++i) {
            address m = members[i];
            if (m == address(0) || isMember[m]) revert PanelArbiterBadPanel(n, threshold);
            isMember[m] = true;
            _members.push(m);
        }
        THRESHOLD = threshold;
    }

    /// @inheritdoc IArbiter
    function rulingFee() external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IArbiter
    /// @dev Payable only because IArbiter is: the panel's fee is 0, and ETH sent here could
    /// never leave, so any is refused.
    function requestRuling(uint256 disputeId, bytes32 evidenceHash) external payable {
        if (msg.value != 0) revert PanelArbiterNoFee(msg.value);
        // Keyed by the caller: a contract posing as a court only opens cases of its own.
        _cases[_key(msg.sender, disputeId)].open = true;
        emit CaseOpened(msg.sender, disputeId, evidenceHash);
    }

    /// @notice A member's vote; the vote that reaches THRESHOLD on one side rules.
    function vote(address court, uint256 disputeId, bool upheld) external {
        if (!isMember[msg.sender]) revert PanelArbiterNotMember(msg.sender);
        bytes32 key = _key(court, disputeId);
        Case storage c = _cases[key];
        if (!c.open || c.decided) revert PanelArbiterNoCase(court, disputeId);
        if (voted[key][msg.sender]) revert PanelArbiterAlreadyVoted(msg.sender);
        voted[key][msg.sender] = true;
        uint256 count;
        if (upheld) {
            count = ++c.yes;
        } else {
            count = ++c.no;
        }
        emit Voted(court, disputeId, msg.sender, upheld);
        if (count >= THRESHOLD) {
            c.decided = true;
            emit Ruled(court, disputeId, upheld);
            IAssetCourt(court).rule(disputeId, upheld);
        }
    }

    function members() external view returns (address[] memory) {
        return _members;
    }

    function caseOf(address court, uint256 disputeId) external view returns (Case memory) {
        return _cases[_key(court, disputeId)];
    }

    function _key(address court, uint256 disputeId) internal pure returns (bytes32) {
        return keccak256(abi.encode(court, disputeId));
    }
}
