// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title MemberSet
/// @notice Sets of member ids (1..255) held as one 256-bit word, so that counting the members of a set that are
/// still active is one AND and one population count, with no loop over members.
library MemberSet {
    /// @notice The set with only `memberId`.
    function bit(uint8 memberId) internal pure returns (uint256) {
        return uint256(1) << memberId;
    }

    /// @notice Whether `memberId` is in `set`.
    function contains(uint256 set, uint8 memberId) internal pure returns (bool) {
        return set & bit(memberId) != 0;
    }

    /// @notice Number of members in `set` (population count, SWAR method).
    function count(uint256 set) internal pure returns (uint256 n) {
        // Each step sums adjacent bit groups in place; no step can overflow its group, and the final
        // multiplication gathers the byte sums in the top byte. The arithmetic is intentionally modulo 2^256.
        // Bit 0 is never a member, so the count is at most 255 and fits the top byte.
        unchecked {
            uint256 m1 = 0x5555555555555555555555555555555555555555555555555555555555555555;
            uint256 m2 = 0x3333333333333333333333333333333333333333333333333333333333333333;
            uint256 m4 = 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            uint256 h01 = 0x0101010101010101010101010101010101010101010101010101010101010101;
            set = set - ((set >> 1) & m1);
            set = (set & m2) + ((set >> 2) & m2);
            set = (set + (set >> 4)) & m4;
            n = (set * h01) >> 248;
        }
    }
}
