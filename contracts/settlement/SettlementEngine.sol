// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IPermissionedToken} from "../interfaces/IPermissionedToken.sol";
import {ISettlementEngine} from "../interfaces/ISettlementEngine.sol";
import {MemberSet} from "../libraries/MemberSet.sol";

/// @title SettlementEngine
/// @notice DvP and FoP settlement between consortium members with legs locked in place, a reversal window and explicit
/// finality. Every locked leg has a way back (cancel, release, unwind) that unlocks it in the account it came
/// from whatever happened to that account since. Every function that moves tokens is guarded against re-entry and
/// follows checks, effects, interactions.
contract SettlementEngine is ISettlementEngine, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using MemberSet for uint256;

    IConsortium private immutable _consortium;

    mapping(uint256 id => Record) private _records;
    mapping(uint256 id => uint256 members) private _reversalApprovals;
    mapping(uint256 id => uint256 members) private _unwindApprovals;

    /// @param consortium_ The consortium whose members settle here and whose parameters apply.
    constructor(address consortium_) {
        if (consortium_ == address(0)) revert SettlementZeroAddress();
        _consortium = IConsortium(consortium_);
    }

    /// @inheritdoc ISettlementEngine
    function instruct(Terms calldata terms) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _context(terms, true);
        _checkTerms(terms, ctx);
        id = settlementId(terms);
        if (_records[id].status != Status.None) revert SettlementDuplicate(id);
        bool sellerInstructed = ctx.operatorMember == ctx.sellerMember;
        if (!sellerInstructed && ctx.operatorMember != ctx.buyerMember) revert SettlementNotParty(id, msg.sender);

        Record memory r = Record({
            status: Status.Instructed,
            sellerInstructed: sellerInstructed,
            affirmDeadline: uint40(block.timestamp + ctx.params.affirmationWindow),
            finalAt: 0,
            policyVersion: ctx.params.policyVersion
        });
        _records[id] = r;
        _emitInstructed(id, terms, ctx.operatorMember, r);
        _lockLeg(terms, sellerInstructed, id);
    }

    /// @inheritdoc ISettlementEngine
    function affirm(Terms calldata terms) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _context(terms, false);
        Record storage r;
        (id, r) = _recordIn(terms, Status.Instructed);
        if (block.timestamp > r.affirmDeadline) revert SettlementAffirmationExpired(id, r.affirmDeadline);
        bool sellerInstructed = r.sellerInstructed;
        uint8 counterparty = sellerInstructed ? ctx.buyerMember : ctx.sellerMember;
        if (ctx.operatorMember != counterparty) revert SettlementNotParty(id, msg.sender);

        r.status = Status.Affirmed;
        emit SettlementAffirmed(id, counterparty, msg.sender, ctx.params.policyVersion);
        emit SettlementLocked(id, ctx.params.policyVersion);
        _lockLeg(terms, !sellerInstructed, id);
    }

    /// @inheritdoc ISettlementEngine
    function affirmAndSettle(Terms calldata terms) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _context(terms, false);
        Record storage r;
        (id, r) = _recordIn(terms, Status.Instructed);
        if (block.timestamp > r.affirmDeadline) revert SettlementAffirmationExpired(id, r.affirmDeadline);
        bool sellerInstructed = r.sellerInstructed;
        uint8 counterparty = sellerInstructed ? ctx.buyerMember : ctx.sellerMember;
        if (ctx.operatorMember != counterparty) revert SettlementNotParty(id, msg.sender);

        uint40 finalAt = uint40(block.timestamp + ctx.params.reversalWindow);
        r.status = Status.Settled;
        r.finalAt = finalAt;
        emit SettlementAffirmed(id, counterparty, msg.sender, ctx.params.policyVersion);
        emit SettlementSettled(id, msg.sender, finalAt, ctx.params.policyVersion);
        _deliverDirect(terms, sellerInstructed);
    }

    /// @inheritdoc ISettlementEngine
    function settle(Terms calldata terms) external nonReentrant returns (uint256 id) {
        // The hot path reads the consortium's flat answer straight into locals, without a context struct in memory.
        (uint8 operator, uint8 seller, uint8 buyer, bool paused, uint32 window, uint64 version) = _consortium
            .partyContext(msg.sender, terms.seller, terms.buyer);
        if (paused) revert SettlementPaused();
        if (operator == 0) revert SettlementNotMember(msg.sender);
        Record storage r;
        (id, r) = _recordIn(terms, Status.Affirmed);
        if (operator != seller && operator != buyer) revert SettlementNotParty(id, msg.sender);

        uint40 finalAt = uint40(block.timestamp + window);
        r.status = Status.Settled;
        r.finalAt = finalAt;
        emit SettlementSettled(id, msg.sender, finalAt, version);
        IPermissionedToken(terms.asset).transferLocked(terms.seller, terms.buyer, terms.assetAmount);
        if (terms.kind == Kind.DvP) {
            IPermissionedToken(terms.cash).transferLocked(terms.buyer, terms.seller, terms.cashAmount);
        }
    }

    /// @inheritdoc ISettlementEngine
    function cancel(Terms calldata terms, string calldata reason) external nonReentrant returns (uint256 id) {
        Record storage r;
        (id, r) = _recordIn(terms, Status.Instructed);
        bool sellerInstructed = r.sellerInstructed;
        uint8 actorMember = _consortium.operatorMember(msg.sender);
        uint8 instructor = _consortium.accountMember(sellerInstructed ? terms.seller : terms.buyer);
        if (actorMember == 0 || actorMember != instructor) revert SettlementNotParty(id, msg.sender);

        r.status = Status.Cancelled;
        emit SettlementCancelled(id, msg.sender, reason, _consortium.policyVersion());
        _unlockLeg(terms, sellerInstructed, id);
    }

    /// @inheritdoc ISettlementEngine
    function release(Terms calldata terms) external nonReentrant returns (uint256 id) {
        Record storage r;
        (id, r) = _recordIn(terms, Status.Instructed);
        uint40 deadline = r.affirmDeadline;
        if (block.timestamp <= deadline) revert SettlementNotExpired(id, deadline);

        r.status = Status.Released;
        uint64 version = _consortium.policyVersion();
        emit SettlementExpired(id, deadline, version);
        emit SettlementReleased(id, msg.sender, version);
        _unlockLeg(terms, r.sellerInstructed, id);
    }

    /// @inheritdoc ISettlementEngine
    function proposeReversal(Terms calldata terms, string calldata reason) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _context(terms, false);
        id = _reversible(terms);
        if (_reversalApprovals[id] != 0) revert SettlementReversalAlreadyRequested(id);
        emit ReversalProposed(id, ctx.operatorMember, msg.sender, reason, ctx.params.policyVersion);
        _approveReversal(terms, id, ctx);
    }

    /// @inheritdoc ISettlementEngine
    function approveReversal(Terms calldata terms) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _context(terms, false);
        id = _reversible(terms);
        uint256 approvals = _reversalApprovals[id];
        if (approvals == 0) revert SettlementReversalNotRequested(id);
        if (approvals.contains(ctx.operatorMember)) {
            revert SettlementReversalAlreadyApproved(id, ctx.operatorMember);
        }
        _approveReversal(terms, id, ctx);
    }

    /// @inheritdoc ISettlementEngine
    function proposeUnwind(Terms calldata terms, string calldata reason) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _memberContext(terms);
        (id, ) = _recordIn(terms, Status.Affirmed);
        if (_unwindApprovals[id] != 0) revert SettlementUnwindAlreadyRequested(id);
        emit UnwindProposed(id, ctx.operatorMember, msg.sender, reason, ctx.params.policyVersion);
        _approveUnwind(terms, id, ctx);
    }

    /// @inheritdoc ISettlementEngine
    function approveUnwind(Terms calldata terms) external nonReentrant returns (uint256 id) {
        IConsortium.SettlementContext memory ctx = _memberContext(terms);
        (id, ) = _recordIn(terms, Status.Affirmed);
        uint256 approvals = _unwindApprovals[id];
        if (approvals == 0) revert SettlementUnwindNotRequested(id);
        if (approvals.contains(ctx.operatorMember)) revert SettlementUnwindAlreadyApproved(id, ctx.operatorMember);
        _approveUnwind(terms, id, ctx);
    }

    /// @inheritdoc ISettlementEngine
    function recoverStray(address token, address to, uint256 amount) external nonReentrant {
        if (msg.sender != address(_consortium)) revert SettlementOnlyConsortium(msg.sender);
        if (_isBound(token)) revert SettlementNotStray(token);
        emit StrayRecovered(token, to, amount, _consortium.policyVersion());
        IERC20(token).safeTransfer(to, amount);
    }

    /// @inheritdoc ISettlementEngine
    function settlementId(Terms calldata terms) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(terms)));
    }

    /// @inheritdoc ISettlementEngine
    function record(uint256 id) external view returns (Record memory) {
        return _records[id];
    }

    /// @inheritdoc ISettlementEngine
    function statusOf(uint256 id) external view returns (Status) {
        Record memory r = _records[id];
        // Comparing a status enum for equality is exact by nature (Slither's check targets balances).
        // slither-disable-next-line incorrect-equality
        if (r.status == Status.Instructed && block.timestamp > r.affirmDeadline) return Status.Expired;
        // slither-disable-next-line incorrect-equality
        if (r.status == Status.Settled && block.timestamp >= r.finalAt) return Status.Final;
        return r.status;
    }

    /// @inheritdoc ISettlementEngine
    function isFinal(uint256 id) public view returns (bool) {
        Record memory r = _records[id];
        // slither-disable-next-line incorrect-equality
        return r.status == Status.Settled && block.timestamp >= r.finalAt;
    }

    /// @inheritdoc ISettlementEngine
    function reversalApprovals(uint256 id) external view returns (uint256) {
        return _reversalApprovals[id];
    }

    /// @inheritdoc ISettlementEngine
    function unwindApprovals(uint256 id) external view returns (uint256) {
        return _unwindApprovals[id];
    }

    /// @inheritdoc ISettlementEngine
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Reads parties and parameters in one call, with the caps when `withCaps` (only `instruct` needs them and
    /// the affirmation window), and enforces the pause and membership of the caller. Without caps it reads the lean
    /// `partyContext`: `ctx.params` then holds only `paused`, `reversalWindow` and `policyVersion`.
    function _context(
        Terms calldata terms,
        bool withCaps
    ) private view returns (IConsortium.SettlementContext memory ctx) {
        if (withCaps) {
            ctx = _consortium.settlementContext(msg.sender, terms.seller, terms.buyer, terms.asset, terms.cash);
        } else {
            ctx = _partyContext(terms);
        }
        if (ctx.params.paused) revert SettlementPaused();
        if (ctx.operatorMember == 0) revert SettlementNotMember(msg.sender);
    }

    /// @dev The caller's and the parties' members, the pause, the reversal window and the policy version, from the
    /// consortium's `partyContext` (a flat answer costs far less to decode than the full `SettlementContext`).
    function _partyContext(Terms calldata terms) private view returns (IConsortium.SettlementContext memory ctx) {
        IConsortium.Params memory p = ctx.params;
        (
            ctx.operatorMember,
            ctx.sellerMember,
            ctx.buyerMember,
            p.paused,
            p.reversalWindow,
            p.policyVersion
        ) = _consortium.partyContext(msg.sender, terms.seller, terms.buyer);
    }

    /// @dev Like `_context` without caps, for steps that only unlock legs: membership of the caller, no pause.
    function _memberContext(Terms calldata terms) private view returns (IConsortium.SettlementContext memory ctx) {
        ctx = _partyContext(terms);
        if (ctx.operatorMember == 0) revert SettlementNotMember(msg.sender);
    }

    /// @dev Separate frame: the event's ABI encoding needs more stack than `instruct` has left.
    function _emitInstructed(uint256 id, Terms calldata terms, uint8 memberId, Record memory r) private {
        emit SettlementInstructed(id, terms.tradeRef, memberId, msg.sender, terms, r.affirmDeadline, r.policyVersion);
    }

    function _checkTerms(Terms calldata terms, IConsortium.SettlementContext memory ctx) private pure {
        if (ctx.sellerMember == 0) revert SettlementAccountNotRegistered(terms.seller);
        if (ctx.buyerMember == 0) revert SettlementAccountNotRegistered(terms.buyer);
        if (ctx.sellerMember == ctx.buyerMember) revert SettlementSameMember(ctx.sellerMember);
        bool dvp = terms.kind == Kind.DvP;
        bool cashLegValid = dvp ? terms.cashAmount != 0 : terms.cash == address(0) && terms.cashAmount == 0;
        if (terms.assetAmount == 0 || !cashLegValid) revert SettlementInvalidTerms(terms.tradeRef);
        _checkCap(terms.asset, terms.assetAmount, ctx.assetCap);
        if (dvp) _checkCap(terms.cash, terms.cashAmount, ctx.cashCap);
    }

    function _checkCap(address token, uint256 amount, uint256 cap) private pure {
        if (cap == 0) revert SettlementAssetNotEligible(token);
        if (amount > cap) revert SettlementCapExceeded(token, amount, cap);
    }

    function _recordIn(Terms calldata terms, Status expected) private view returns (uint256 id, Record storage r) {
        id = settlementId(terms);
        r = _records[id];
        Status status = r.status;
        if (status == Status.None) revert SettlementUnknown(id);
        if (status != expected) revert SettlementWrongStatus(id, status);
    }

    function _reversible(Terms calldata terms) private view returns (uint256 id) {
        Record storage r;
        (id, r) = _recordIn(terms, Status.Settled);
        if (block.timestamp >= r.finalAt) revert SettlementFinal(id, r.finalAt);
    }

    function _approveReversal(Terms calldata terms, uint256 id, IConsortium.SettlementContext memory ctx) private {
        uint256 approvals = _reversalApprovals[id] | MemberSet.bit(ctx.operatorMember);
        _reversalApprovals[id] = approvals;
        uint256 activeApprovals = (approvals & _consortium.activeMemberMask()).count();
        emit ReversalApproved(id, ctx.operatorMember, msg.sender, activeApprovals, ctx.params.policyVersion);

        bool byParties = approvals.contains(ctx.sellerMember) && approvals.contains(ctx.buyerMember);
        if (!byParties && activeApprovals < _consortium.requiredApprovals()) return;

        _records[id].status = Status.Reversed;
        emit ReversalExecuted(id, msg.sender, byParties, ctx.params.policyVersion);
        IPermissionedToken(terms.asset).forceTransfer(terms.buyer, terms.seller, terms.assetAmount, id);
        if (terms.kind == Kind.DvP) {
            IPermissionedToken(terms.cash).forceTransfer(terms.seller, terms.buyer, terms.cashAmount, id);
        }
    }

    /// @dev Records an unwind approval and unwinds once both parties' members or a quorum of active members
    /// approved: both locked legs are unlocked in the accounts they came from.
    function _approveUnwind(Terms calldata terms, uint256 id, IConsortium.SettlementContext memory ctx) private {
        uint256 approvals = _unwindApprovals[id] | MemberSet.bit(ctx.operatorMember);
        _unwindApprovals[id] = approvals;
        uint256 activeApprovals = (approvals & _consortium.activeMemberMask()).count();
        emit UnwindApproved(id, ctx.operatorMember, msg.sender, activeApprovals, ctx.params.policyVersion);

        bool byParties = approvals.contains(ctx.sellerMember) && approvals.contains(ctx.buyerMember);
        if (!byParties && activeApprovals < _consortium.requiredApprovals()) return;

        _records[id].status = Status.Unwound;
        emit SettlementUnwound(id, msg.sender, byParties, ctx.params.policyVersion);
        _unlockLeg(terms, true, id);
        _unlockLeg(terms, false, id);
    }

    /// @dev Whether `token` is a permissioned token bound to this engine: it answers `settlementEngine()` with this
    /// address. Such a token locks legs in place and refuses every transfer or mint into the engine, so the engine
    /// never holds any of it.
    function _isBound(address token) private view returns (bool) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IPermissionedToken.settlementEngine, ()));
        return ok && data.length == 32 && abi.decode(data, (address)) == address(this);
    }

    function _requireBound(address token) private view {
        if (!_isBound(token)) revert SettlementAssetNotEligible(token);
    }

    /// @dev Locks the leg of one side in its owner's account: the seller's asset, or the buyer's cash (none for FoP).
    /// The account is not arbitrary: callers checked that `msg.sender` acts for the member the account is
    /// registered to, and the token spends the account's own allowance to the engine.
    function _lockLeg(Terms calldata terms, bool sellerSide, uint256 id) private {
        if (sellerSide) {
            _requireBound(terms.asset);
            IPermissionedToken(terms.asset).lock(terms.seller, terms.assetAmount, id);
        } else if (terms.kind == Kind.DvP) {
            _requireBound(terms.cash);
            IPermissionedToken(terms.cash).lock(terms.buyer, terms.cashAmount, id);
        }
    }

    /// @dev Settles in one step: the instructing side's locked leg is delivered, the counterparty's moves from its
    /// account to the instructing side. The account is not arbitrary: the caller was checked to act for its member,
    /// and the account itself approved the engine.
    function _deliverDirect(Terms calldata terms, bool sellerInstructed) private {
        bool dvp = terms.kind == Kind.DvP;
        if (sellerInstructed) {
            IPermissionedToken(terms.asset).transferLocked(terms.seller, terms.buyer, terms.assetAmount);
            // slither-disable-next-line arbitrary-send-erc20
            if (dvp) IERC20(terms.cash).safeTransferFrom(terms.buyer, terms.seller, terms.cashAmount);
        } else {
            // slither-disable-next-line arbitrary-send-erc20
            IERC20(terms.asset).safeTransferFrom(terms.seller, terms.buyer, terms.assetAmount);
            if (dvp) IPermissionedToken(terms.cash).transferLocked(terms.buyer, terms.seller, terms.cashAmount);
        }
    }

    /// @dev Unlocks the leg of one side in its owner's account. The token's `unlock` does not depend on that
    /// account's current eligibility, on freezes or on the token's pause, so an unlock always succeeds.
    function _unlockLeg(Terms calldata terms, bool sellerSide, uint256 id) private {
        if (sellerSide) {
            IPermissionedToken(terms.asset).unlock(terms.seller, terms.assetAmount, id);
        } else if (terms.kind == Kind.DvP) {
            IPermissionedToken(terms.cash).unlock(terms.buyer, terms.cashAmount, id);
        }
    }
}
