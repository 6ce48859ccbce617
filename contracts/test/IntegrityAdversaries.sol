// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @notice Tests only (issue 15): the adversaries and awkward counterparties of the integrity
/// regression tests (tests/vault/test_vault_recipients.py, tests/system/test_rescue.py,
/// tests/license/test_derive_licenses.py).

/// @dev Bubbles a failed call's revert data unchanged, so the caller sees the callee's error.
function bubbleRevert(bytes memory ret) pure {
    assembly ("memory-safe") {
        revert(add(ret, 0x20), mload(ret))
    }
}

/// @notice A contributor contract that refuses every ETH transfer (a wallet without a receive
/// function, a multisig module...) but whose owner can make it call anything.
contract EthRefusingWallet {
    address public immutable OWNER;

    constructor(address owner) {
        OWNER = owner;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory ret) {
        require(msg.sender == OWNER, "not owner");
        bool ok;
        (ok, ret) = to.call(data);
        if (!ok) bubbleRevert(ret);
    }

    receive() external payable {
        revert("no ETH here");
    }
}

/// @notice An ERC-20 with an issuer blocklist, the USDC shape: a blocklisted account can
/// neither send nor receive.
contract BlocklistToken is ERC20 {
    mapping(address account => bool) public blocked;

    error BlocklistTokenBlocked(address account);

    constructor() ERC20("Blocklist USD", "BUSD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert BlocklistTokenBlocked(from);
        if (blocked[to]) revert BlocklistTokenBlocked(to);
        super._update(from, to, value);
    }
}

/// @notice An ERC-20 that, once armed, calls `target` with `payload` from inside every
/// `transferFrom` (after moving the tokens) and records what the re-entry did. The re-entry's
/// failure does not fail the transfer, so the outer call goes on as if nothing happened.
contract ReenteringToken is ERC20 {
    address public target;
    bytes public payload;
    bool public attempted;
    bool public reentered;
    bytes public lastError;

    constructor() ERC20("Reentering Token", "RENT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        attempted = false;
        reentered = false;
        delete lastError;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        bool moved = super.transferFrom(from, to, value);
        if (target != address(0) && !attempted) {
            attempted = true;
            (bool ok, bytes memory err) = target.call(payload);
            reentered = ok;
            lastError = err;
        }
        return moved;
    }
}

/// @notice Receives a flash-lent license, runs whatever it was asked to (a registration naming
/// the license), and hands the license back, all inside the lender's call.
interface IFlashBorrower {
    function onFlashLoan(address initiator, IERC721 nft, uint256 tokenId, bytes calldata data) external;
}

/// @notice A pool that flash-lends the ERC-721s it holds (a DERIVE license here) to anyone,
/// requiring them back by the end of the call. Its owner can also make it call anything.
contract NftFlashLender {
    address public immutable OWNER;

    error NftFlashLenderNotReturned(uint256 tokenId);

    event Lent(address indexed borrower, uint256 indexed tokenId);

    constructor(address owner) {
        OWNER = owner;
    }

    function flashLend(IERC721 nft, uint256 tokenId, IFlashBorrower borrower, bytes calldata data) external {
        nft.transferFrom(address(this), address(borrower), tokenId);
        borrower.onFlashLoan(msg.sender, nft, tokenId, data);
        if (nft.ownerOf(tokenId) != address(this)) revert NftFlashLenderNotReturned(tokenId);
        emit Lent(address(borrower), tokenId);
    }

    function execute(address to, bytes calldata data) external returns (bytes memory ret) {
        require(msg.sender == OWNER, "not owner");
        bool ok;
        (ok, ret) = to.call(data);
        if (!ok) bubbleRevert(ret);
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }
}

/// @notice Borrows a license for one call: `data` is (target, calldata), run while it holds
/// the license, and the license goes straight back to the lender.
contract NftFlashBorrower is IFlashBorrower {
    function onFlashLoan(address, IERC721 nft, uint256 tokenId, bytes calldata data) external {
        (address target, bytes memory call) = abi.decode(data, (address, bytes));
        (bool ok, bytes memory ret) = target.call(call);
        if (!ok) bubbleRevert(ret);
        nft.transferFrom(address(this), msg.sender, tokenId);
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }
}

/// @notice A contract contributor whose fallback echoes its calldata: an `isValidSignature`
/// call answers with the selector followed by the digest, a word that is not the magic value.
contract EchoingWallet {
    fallback(bytes calldata data) external payable returns (bytes memory) {
        return data;
    }
}
