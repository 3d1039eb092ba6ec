// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MemberSet} from "../libraries/MemberSet.sol";

/// @title MemberSetHarness
/// @notice Test double: exposes the internal functions of the MemberSet library so that tests can check them
/// against a reference implementation on arbitrary sets.
/// @dev Never deploy outside tests.
contract MemberSetHarness {
    /// @notice See `MemberSet.bit`.
    function bit(uint8 memberId) external pure returns (uint256) {
        return MemberSet.bit(memberId);
    }

    /// @notice See `MemberSet.contains`.
    function contains(uint256 set, uint8 memberId) external pure returns (bool) {
        return MemberSet.contains(set, memberId);
    }

    /// @notice See `MemberSet.count`.
    function count(uint256 set) external pure returns (uint256) {
        return MemberSet.count(set);
    }
}
