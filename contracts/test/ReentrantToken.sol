// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test double: a malicious ERC-20 that calls back into a target (the settlement engine) in the middle
/// of every balance change, and hands control to receiving contracts, so tests can prove re-entry fails.
/// @dev Never deploy outside tests. A failed call-back is bubbled up so the outer call reverts with its reason.
contract ReentrantToken is ERC20 {
    address private _target;
    bytes private _payload;
    bool private _inAttack;
    address private _engine;

    constructor() ERC20("Reentrant", "REENTER") {}

    /// @notice Call `target` with `payload` on the next balance change (once per change).
    function arm(address target, bytes calldata payload) external {
        _target = target;
        _payload = payload;
    }

    /// @notice Answer `settlementEngine()` with `engine`, as a permissioned token bound to it does.
    function bind(address engine) external {
        _engine = engine;
    }

    /// @notice The engine it was bound to.
    function settlementEngine() external view returns (address) {
        return _engine;
    }

    /// @notice Stop calling back.
    function disarm() external {
        delete _target;
        delete _payload;
    }

    /// @notice Anyone may mint: this is a test double.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Same shape as the permissioned token's forced transfer, so reversals can reach the call-back.
    function forceTransfer(address from, address to, uint256 amount, uint256) external {
        _transfer(from, to, amount);
    }

    /// @notice Same shape as the permissioned token's lock; this double keeps the leg with the caller instead.
    function lock(address account, uint256 amount, uint256) external {
        _transfer(account, msg.sender, amount);
    }

    /// @notice Same shape as the permissioned token's unlock: gives the leg back from the caller.
    function unlock(address account, uint256 amount, uint256) external {
        _transfer(msg.sender, account, amount);
    }

    /// @notice Same shape as the permissioned token's delivery of a locked leg: pays it out from the caller.
    function transferLocked(address, address to, uint256 amount) external {
        _transfer(msg.sender, to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (_inAttack) return;
        _inAttack = true;
        if (_target != address(0)) _callOut(_target, _payload);
        if (to.code.length != 0) _callOut(to, abi.encodeWithSignature("onTokenReceived(address,uint256)", from, value));
        _inAttack = false;
    }

    function _callOut(address target, bytes memory data) private {
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            // Re-throw the callee's revert data unchanged.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
