// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ISettlementEngine
/// @notice Delivery versus payment and free of payment between consortium members' accounts.
///
/// Lifecycle: one party instructs (its leg is locked in its own account), the counterparty affirms before the
/// affirmation deadline (its leg is locked too), either party settles (both locked legs move, or neither). During the reversal window a reversal executes when both parties' members approve it or a quorum
/// of consortium members does; after the window the settlement is final and can never be reversed. An
/// instruction left unaffirmed past its deadline can be released by anyone, unlocking what was locked.
///
/// A settlement's id is the hash of its terms. Only the id and a one-slot record are stored; every call after
/// `instruct` passes the terms again and the engine checks them against the id. The terms are in the
/// `SettlementInstructed` event, so both parties can rebuild a settlement's full history from events alone.
///
/// Every event carries the shared-policy version in force when the step happened; the instruction's own
/// version stays in its record.
///
/// Legs are locked in place: the token keeps a locked leg in its owner's balance, where no transfer, burn or forced
/// transfer can take it, and the engine never holds a bound token. The locked balances are exactly the open legs.
/// No leg is ever stuck. Every locked leg has a path back that no change of membership, eligibility, freeze or
/// pause can close:
/// - an unaffirmed instruction: the instructing party cancels it, or anyone releases it after its deadline;
/// - an affirmed settlement: it is unwound when both parties' members approve, or a consortium quorum of active
///   members does (a party whose member was removed can no longer approve, so the quorum decides), with a reason
///   in the `UnwindProposed` event;
/// - every return (cancel, release, unwind) unlocks the leg in the account it belongs to, through the token's
///   `unlock`, which does not depend on the account's current eligibility, on freezes or on the token's pause:
///   the tokens never left. A whole-address freeze on the owner still applies once they are unlocked.
/// Cancel, release and unwind only unlock legs, so they work while the consortium is paused.
///
/// The engine locks legs only in permissioned tokens bound to it (whose `settlementEngine()` is this engine). Such a
/// token refuses every transfer or mint into the engine, so the engine never holds any of it. Anything that reaches
/// the engine (any other ERC-20 can be sent to it) is stray: governance recovers it with `recoverStray`, which
/// refuses bound tokens.
interface ISettlementEngine {
    /// @notice Delivery versus payment (asset against cash) or free of payment (asset only).
    enum Kind {
        DvP,
        FoP
    }

    /// @notice Stored status. `statusOf` also reports `Final` and `Expired`, which depend on the time.
    enum Status {
        None,
        Instructed,
        Affirmed,
        Settled,
        Final,
        Reversed,
        Expired,
        Released,
        Cancelled,
        Unwound
    }

    /// @notice What two parties agreed.
    /// @param tradeRef The trade's reference in the parties' systems; with the other terms it makes the id unique.
    /// @param kind DvP or FoP. For FoP, `cash` is the zero address and `cashAmount` is zero.
    /// @param seller Account that delivers the asset and receives the cash.
    /// @param buyer Account that receives the asset and pays the cash.
    struct Terms {
        bytes32 tradeRef;
        Kind kind;
        address seller;
        address buyer;
        address asset;
        uint256 assetAmount;
        address cash;
        uint256 cashAmount;
    }

    /// @notice A settlement's stored record, one slot.
    /// @param status Stored status (never `Final` or `Expired`).
    /// @param sellerInstructed True when the seller's side instructed.
    /// @param affirmDeadline Last second at which the counterparty may affirm.
    /// @param finalAt When the reversal window closes (set at settlement).
    /// @param policyVersion Shared-policy version the instruction was made under.
    struct Record {
        Status status;
        bool sellerInstructed;
        uint40 affirmDeadline;
        uint40 finalAt;
        uint64 policyVersion;
    }

    /// @notice Thrown when the consortium has halted settlement.
    error SettlementPaused();
    /// @notice Thrown when the caller does not act for an active consortium member.
    error SettlementNotMember(address actor);
    /// @notice Thrown when the caller does not act for the member a step requires.
    error SettlementNotParty(uint256 id, address actor);
    /// @notice Thrown when an account is not registered to an active member.
    error SettlementAccountNotRegistered(address account);
    /// @notice Thrown when seller and buyer belong to the same member.
    error SettlementSameMember(uint8 memberId);
    /// @notice Thrown when the terms are inconsistent (kind against cash leg, zero amounts).
    error SettlementInvalidTerms(bytes32 tradeRef);
    /// @notice Thrown when a leg's token is not eligible for settlement (not listed by the consortium, or not a
    /// permissioned token bound to this engine).
    error SettlementAssetNotEligible(address asset);
    /// @notice Thrown when a leg exceeds the consortium's cap for one settlement.
    error SettlementCapExceeded(address asset, uint256 amount, uint256 cap);
    /// @notice Thrown when the same terms were instructed before.
    error SettlementDuplicate(uint256 id);
    /// @notice Thrown when no settlement has these terms.
    error SettlementUnknown(uint256 id);
    /// @notice Thrown when a step does not apply in the settlement's current status.
    error SettlementWrongStatus(uint256 id, Status status);
    /// @notice Thrown when the affirmation deadline has passed.
    error SettlementAffirmationExpired(uint256 id, uint40 deadline);
    /// @notice Thrown when an instruction is released before its affirmation deadline passed.
    error SettlementNotExpired(uint256 id, uint40 deadline);
    /// @notice Thrown when a reversal is attempted after the reversal window closed.
    error SettlementFinal(uint256 id, uint40 finalAt);
    /// @notice Thrown when a reversal was already requested for this settlement.
    error SettlementReversalAlreadyRequested(uint256 id);
    /// @notice Thrown when a reversal is approved that was never requested.
    error SettlementReversalNotRequested(uint256 id);
    /// @notice Thrown when a member approves a reversal twice.
    error SettlementReversalAlreadyApproved(uint256 id, uint8 memberId);
    /// @notice Thrown when the consortium address is zero.
    error SettlementZeroAddress();
    /// @notice Thrown when an unwind was already requested for this settlement.
    error SettlementUnwindAlreadyRequested(uint256 id);
    /// @notice Thrown when an unwind is approved that was never requested.
    error SettlementUnwindNotRequested(uint256 id);
    /// @notice Thrown when a member approves an unwind twice.
    error SettlementUnwindAlreadyApproved(uint256 id, uint8 memberId);
    /// @notice Thrown when anyone but the consortium (an executed proposal) recovers stray tokens.
    error SettlementOnlyConsortium(address actor);
    /// @notice Thrown when governance tries to recover a token bound to the engine, which the engine never holds.
    error SettlementNotStray(address token);

    /// @notice Emitted when a party instructs; carries the full terms. The instructing party's leg is locked in its account.
    event SettlementInstructed(
        uint256 indexed id,
        bytes32 indexed tradeRef,
        uint8 indexed memberId,
        address actor,
        Terms terms,
        uint40 affirmDeadline,
        uint64 policyVersion
    );
    /// @notice Emitted when the counterparty affirms.
    event SettlementAffirmed(uint256 indexed id, uint8 indexed memberId, address indexed actor, uint64 policyVersion);
    /// @notice Emitted when both legs are locked.
    event SettlementLocked(uint256 indexed id, uint64 policyVersion);
    /// @notice Emitted when both legs moved; the reversal window runs until `finalAt`.
    event SettlementSettled(uint256 indexed id, address indexed actor, uint40 finalAt, uint64 policyVersion);
    /// @notice Emitted when the instructing party withdraws an unaffirmed instruction.
    event SettlementCancelled(uint256 indexed id, address indexed actor, string reason, uint64 policyVersion);
    /// @notice Emitted when an unaffirmed instruction is found past its deadline (on release).
    event SettlementExpired(uint256 indexed id, uint40 affirmDeadline, uint64 policyVersion);
    /// @notice Emitted when the instructing party's leg is unlocked.
    event SettlementReleased(uint256 indexed id, address indexed actor, uint64 policyVersion);
    /// @notice Emitted when a member asks to reverse a settlement.
    event ReversalProposed(
        uint256 indexed id,
        uint8 indexed memberId,
        address indexed actor,
        string reason,
        uint64 policyVersion
    );
    /// @notice Emitted when a member approves a reversal; `approvals` counts active members only.
    event ReversalApproved(
        uint256 indexed id,
        uint8 indexed memberId,
        address indexed actor,
        uint256 approvals,
        uint64 policyVersion
    );
    /// @notice Emitted when both legs were restored. `byParties` is true when both parties approved it, false
    /// when a consortium quorum did.
    event ReversalExecuted(uint256 indexed id, address indexed actor, bool byParties, uint64 policyVersion);

    /// @notice Emitted when a member asks to unwind an affirmed settlement.
    event UnwindProposed(
        uint256 indexed id,
        uint8 indexed memberId,
        address indexed actor,
        string reason,
        uint64 policyVersion
    );
    /// @notice Emitted when a member approves an unwind; `approvals` counts active members only.
    event UnwindApproved(
        uint256 indexed id,
        uint8 indexed memberId,
        address indexed actor,
        uint256 approvals,
        uint64 policyVersion
    );
    /// @notice Emitted when both locked legs of an affirmed settlement were unlocked in their owners' accounts. `byParties`
    /// is true when both parties approved it, false when a consortium quorum did.
    event SettlementUnwound(uint256 indexed id, address indexed actor, bool byParties, uint64 policyVersion);
    /// @notice Emitted when governance recovered stray tokens the engine held.
    event StrayRecovered(address indexed token, address indexed to, uint256 amount, uint64 policyVersion);

    /// @notice Instruct a settlement as the seller's or the buyer's member; the caller's leg is locked in its account
    /// (the engine needs an allowance from the leg's account).
    /// @return id keccak256 of the ABI-encoded terms.
    function instruct(Terms calldata terms) external returns (uint256 id);

    /// @notice Affirm as the counterparty's member; its leg is locked too, so both legs are locked.
    function affirm(Terms calldata terms) external returns (uint256 id);

    /// @notice Affirm and settle in one call, as the counterparty's member: the instructing party's locked leg goes
    /// to the counterparty and the counterparty's leg goes straight from its account to the instructing party,
    /// without being locked. Emits `SettlementAffirmed` and `SettlementSettled`; the reversal window
    /// runs as after `settle`. Either leg refused (a freeze, the pause, eligibility) and nothing happens.
    function affirmAndSettle(Terms calldata terms) external returns (uint256 id);

    /// @notice Settle an affirmed settlement as either party's member: both legs move atomically.
    function settle(Terms calldata terms) external returns (uint256 id);

    /// @notice Withdraw an unaffirmed instruction as the instructing party's member; its leg is unlocked.
    function cancel(Terms calldata terms, string calldata reason) external returns (uint256 id);

    /// @notice Unlock the leg of an instruction left unaffirmed past its deadline. Anyone may call.
    function release(Terms calldata terms) external returns (uint256 id);

    /// @notice Ask, as any member, to reverse a settled settlement inside its reversal window. Counts as the
    /// caller's member's approval.
    function proposeReversal(Terms calldata terms, string calldata reason) external returns (uint256 id);

    /// @notice Approve a requested reversal. The reversal executes in this call once both parties' members, or
    /// a consortium quorum of active members, have approved it.
    function approveReversal(Terms calldata terms) external returns (uint256 id);

    /// @notice Ask, as any active member, to unwind an affirmed settlement: both locked legs are unlocked for their
    /// owners. Counts as the caller's member's approval. Works while the consortium is paused.
    /// @param reason Why the settlement cannot or should not settle; kept in the `UnwindProposed` event.
    function proposeUnwind(Terms calldata terms, string calldata reason) external returns (uint256 id);

    /// @notice Approve a requested unwind. The unwind executes in this call once both parties' members, or a
    /// consortium quorum of active members, have approved it. Works while the consortium is paused.
    function approveUnwind(Terms calldata terms) external returns (uint256 id);

    /// @notice Send stray tokens the engine holds to `to`. Only the consortium may call, when a proposal executes.
    /// Refused for a permissioned token bound to this engine, which never lets the engine hold any of it.
    function recoverStray(address token, address to, uint256 amount) external;

    /// @notice The id the engine gives these terms.
    function settlementId(Terms calldata terms) external pure returns (uint256);

    /// @notice The stored record of a settlement.
    function record(uint256 id) external view returns (Record memory);

    /// @notice Status, including `Final` after the reversal window and `Expired` after the affirmation deadline.
    function statusOf(uint256 id) external view returns (Status);

    /// @notice True when the settlement settled and its reversal window closed: it can never change again.
    function isFinal(uint256 id) external view returns (bool);

    /// @notice Members that approved a requested reversal (bit `i` for member `i`).
    function reversalApprovals(uint256 id) external view returns (uint256);

    /// @notice Members that approved a requested unwind (bit `i` for member `i`).
    function unwindApprovals(uint256 id) external view returns (uint256);

    /// @notice The consortium this engine serves.
    function consortium() external view returns (address);
}
