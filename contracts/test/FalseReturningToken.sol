// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Adversarial token: failures return false instead of reverting, and `noReturn`
/// mode returns nothing at all (the USDT shape). SafeERC20 must treat both correctly.
contract FalseReturningToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;
    bool public noReturn;
    uint8 public constant decimals = 18;
    string public constant symbol = "FALSE";

    constructor(bool noReturn_) {
        noReturn = noReturn_;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return _result(true);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (balanceOf[msg.sender] < amount) return _result(false);
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return _result(true);
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (balanceOf[from] < amount || allowance[from][msg.sender] < amount) return _result(false);
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return _result(true);
    }

    function _result(bool ok) internal view returns (bool) {
        if (noReturn) {
            if (!ok) revert(); // the USDT shape reverts on failure and returns nothing on success
            assembly {
                return(0, 0)
            }
        }
        return ok;
    }
}
