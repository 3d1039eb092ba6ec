// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title MaliciousReceiver
/// @notice Test double: a member's account and operator in contract form. When it receives tokens through a
/// token that notifies receivers, it tries to call back into the settlement engine.
/// @dev Never deploy outside tests.
contract MaliciousReceiver {
    address private _target;
    bytes private _payload;

    /// @notice Set the call made on receipt of tokens.
    function arm(address target, bytes calldata payload) external {
        _target = target;
        _payload = payload;
    }

    /// @notice Make any call as this contract (to act as a member's operator).
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            // Re-throw the callee's revert data unchanged.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        return result;
    }

    /// @notice Approve a spender of one of its tokens.
    function approveToken(address token, address spender, uint256 amount) external {
        IERC20(token).approve(spender, amount);
    }

    /// @notice Receiver hook called by the re-entrant token: re-enters the target when armed.
    function onTokenReceived(address, uint256) external {
        if (_target == address(0)) return;
        (bool ok, bytes memory result) = _target.call(_payload);
        if (!ok) {
            // Re-throw so the re-entry failure surfaces in the outer call.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
