// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IAuditAnchor
/// @notice Banks keep a hash-chained audit log off chain; periodically a bank posts the log's head (the seq and
/// hash of its last record) here, so that counterparties and auditors can later check that the log still
/// reaches every anchored head with the same hash, i.e. that it was neither truncated nor rewritten. The full
/// history is in the `AuditHeadAnchored` events; only each member's latest anchor is stored.
interface IAuditAnchor {
    /// @notice A member's latest anchor, packed.
    /// @param head Hash of the log's record at `seq`.
    /// @param seq Position of that record in the log (rises with every anchor of the member).
    /// @param anchoredAt Block timestamp of the anchor (zero if the member never anchored).
    struct Anchor {
        bytes32 head;
        uint64 seq;
        uint40 anchoredAt;
    }

    /// @notice Thrown when the caller is not an operator address of an active consortium member.
    error AuditAnchorNotMember(address actor);
    /// @notice Thrown when a seq is not above the member's last anchored seq (0 if none).
    error AuditAnchorSeqNotRising(uint8 memberId, uint64 seq, uint64 lastSeq);
    /// @notice Thrown when the anchored head is zero.
    error AuditAnchorZeroHead();
    /// @notice Thrown when the consortium address is the zero address.
    error AuditAnchorZeroAddress();

    /// @notice Emitted when a member's operator anchored the head of the member's audit log.
    /// @param memberId Member whose log it is.
    /// @param actor Operator that posted it.
    /// @param seq Seq of the log's last record covered by the anchor.
    /// @param head Hash of that record.
    event AuditHeadAnchored(uint8 indexed memberId, address indexed actor, uint64 seq, bytes32 head);

    /// @notice Anchor the head of the caller's member's audit log.
    /// @param seq Seq of the last record covered; must be above the member's previous anchored seq.
    /// @param head Hash of that record; must not be zero.
    function anchor(uint64 seq, bytes32 head) external;

    /// @notice A member's latest anchor (all zero if the member never anchored).
    function latest(uint8 memberId) external view returns (Anchor memory);

    /// @notice The consortium whose members may anchor.
    function consortium() external view returns (address);
}
