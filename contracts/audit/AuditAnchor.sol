// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAuditAnchor} from "../interfaces/IAuditAnchor.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";

/// @title AuditAnchor
/// @notice Records the heads of consortium members' off-chain audit logs. Any operator of an active member may
/// anchor its member's head; seqs rise per member, so an anchor can never move a member's log backwards. Only the
/// consortium, by proposal, can set a member's anchor back (to undo a wrong one).
contract AuditAnchor is IAuditAnchor {
    IConsortium private immutable _consortium;

    mapping(uint8 memberId => Anchor) private _latest;

    /// @param consortium_ The consortium whose members' operators may anchor.
    constructor(address consortium_) {
        if (consortium_ == address(0)) revert AuditAnchorZeroAddress();
        _consortium = IConsortium(consortium_);
    }

    /// @inheritdoc IAuditAnchor
    function anchor(uint64 seq, bytes32 head) external {
        uint8 memberId = _consortium.operatorMember(msg.sender);
        if (memberId == 0) revert AuditAnchorNotMember(msg.sender);
        if (head == bytes32(0)) revert AuditAnchorZeroHead();
        Anchor storage last = _latest[memberId];
        if (seq <= last.seq) revert AuditAnchorSeqNotRising(memberId, seq, last.seq);
        last.head = head;
        last.seq = seq;
        last.anchoredAt = uint40(block.timestamp);
        emit AuditHeadAnchored(memberId, msg.sender, seq, head);
    }

    /// @inheritdoc IAuditAnchor
    function reset(uint8 memberId, uint64 seq, bytes32 head, string calldata reason) external {
        if (msg.sender != address(_consortium)) revert AuditAnchorOnlyConsortium(msg.sender);
        Anchor storage last = _latest[memberId];
        uint64 previousSeq = last.seq;
        last.head = head;
        last.seq = seq;
        last.anchoredAt = uint40(block.timestamp);
        emit AuditAnchorReset(memberId, previousSeq, seq, head, reason);
    }

    /// @inheritdoc IAuditAnchor
    function latest(uint8 memberId) external view returns (Anchor memory) {
        return _latest[memberId];
    }

    /// @inheritdoc IAuditAnchor
    function consortium() external view returns (address) {
        return address(_consortium);
    }
}
