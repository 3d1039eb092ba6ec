// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IAuditAnchor
/// @notice Banks keep a hash-chained audit log off chain; periodically a bank posts the log's head (the seq and
/// hash of its last record) here, so that counterparties and auditors can later check that the log still
/// reaches every anchored head with the same hash, i.e. that it was neither truncated nor rewritten. The full
/// history is in the `AuditHeadAnchored` events; only each member's latest anchor is stored.
///
/// Seqs rise per member, so that no member can move its own log backwards. A wrong anchor (say an operator posts
/// an enormous seq) would then refuse every honest anchor after it; the consortium corrects it by proposal
/// (`IConsortium.resetAnchor`), which sets the member's latest anchor back with a reason in `AuditAnchorReset`.
/// The wrong anchor stays in the event history.
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
    /// @notice Thrown when anyone but the consortium (an executed proposal) resets an anchor.
    error AuditAnchorOnlyConsortium(address actor);

    /// @notice Emitted when a member's operator anchored the head of the member's audit log.
    /// @param memberId Member whose log it is.
    /// @param actor Operator that posted it.
    /// @param seq Seq of the log's last record covered by the anchor.
    /// @param head Hash of that record.
    event AuditHeadAnchored(uint8 indexed memberId, address indexed actor, uint64 seq, bytes32 head);

    /// @notice Emitted when the consortium set a member's latest anchor by proposal.
    /// @param previousSeq The seq of the anchor it replaced.
    event AuditAnchorReset(uint8 indexed memberId, uint64 previousSeq, uint64 seq, bytes32 head, string reason);

    /// @notice Anchor the head of the caller's member's audit log.
    /// @param seq Seq of the last record covered; must be above the member's previous anchored seq.
    /// @param head Hash of that record; must not be zero.
    function anchor(uint64 seq, bytes32 head) external;

    /// @notice Set a member's latest anchor, lower or higher than the current one. Only the consortium may call,
    /// when a proposal executes. Seq 0 with a zero head clears it.
    function reset(uint8 memberId, uint64 seq, bytes32 head, string calldata reason) external;

    /// @notice A member's latest anchor (all zero if the member never anchored).
    function latest(uint8 memberId) external view returns (Anchor memory);

    /// @notice The consortium whose members may anchor.
    function consortium() external view returns (address);
}
