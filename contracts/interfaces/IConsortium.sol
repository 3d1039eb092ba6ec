// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IConsortium
/// @notice Membership and shared parameters of a consortium of banks. Every change after bootstrap is a
/// proposal: a member proposes, members approve, and it executes only after a quorum of active members and a
/// timelock delay. Every step emits an event carrying the shared-policy version.
interface IConsortium {
    /// @notice A shared parameter that governance can change with `setParameter`.
    enum Parameter {
        /// Seconds after settlement during which a reversal may still execute.
        ReversalWindow,
        /// Seconds an instruction waits for the counterparty's affirmation.
        AffirmationWindow,
        /// Seconds between reaching quorum and a proposal becoming executable (timelock).
        ProposalDelay,
        /// Seconds after creation when a proposal expires.
        ProposalLifetime
    }

    /// @notice Lifecycle of a governance proposal as stored.
    enum ProposalState {
        None,
        Pending,
        Executed,
        Cancelled
    }

    /// @notice A bank that is, or was, a member.
    /// @param name Display name of the bank.
    /// @param lei The bank's Legal Entity Identifier (20 characters, ISO 17442).
    /// @param active False once the member was removed; a removed member never comes back under the same id.
    /// @param joinedAt Block timestamp of admission.
    struct Member {
        string name;
        string lei;
        bool active;
        uint40 joinedAt;
    }

    /// @notice A member admitted at deployment.
    struct InitialMember {
        string name;
        string lei;
        address[] operators;
        address[] accounts;
    }

    /// @notice Shared parameters and policy document the consortium launches with (quorum starts at two thirds).
    struct InitialSettings {
        uint32 reversalWindow;
        uint32 affirmationWindow;
        uint32 proposalDelay;
        uint32 proposalLifetime;
        bytes32 documentHash;
        string documentUri;
    }

    /// @notice Shared parameters, packed into one storage slot.
    /// @param policyVersion Rises with every executed change of shared policy (parameters, assets, members,
    /// policy document, quorum).
    /// @param paused True while settlement is halted by quorum.
    struct Params {
        uint64 policyVersion;
        uint32 reversalWindow;
        uint32 affirmationWindow;
        uint32 proposalDelay;
        uint32 proposalLifetime;
        uint8 quorumNumerator;
        uint8 quorumDenominator;
        bool paused;
    }

    /// @notice What the settlement engine needs to know about one call, read in one external call.
    /// @param operatorMember Member the caller acts for (0 if none).
    /// @param sellerMember Member the seller's account is registered to (0 if none).
    /// @param buyerMember Member the buyer's account is registered to (0 if none).
    /// @param assetCap Cap of the asset leg's token (0 if not eligible or not asked).
    /// @param cashCap Cap of the cash leg's token (0 if not eligible or not asked).
    /// @param params Shared parameters.
    struct SettlementContext {
        uint8 operatorMember;
        uint8 sellerMember;
        uint8 buyerMember;
        uint256 assetCap;
        uint256 cashCap;
        Params params;
    }

    /// @notice A governance proposal: a call to this contract's own governed functions.
    struct Proposal {
        ProposalState state;
        uint8 proposer;
        uint40 createdAt;
        uint40 expiresAt;
        /// Earliest execution time; zero until quorum is first reached.
        uint40 eta;
        uint256 approvals;
        bytes data;
    }

    /// @notice Thrown when the caller is not an operator address of an active member.
    error ConsortiumNotMember(address actor);
    /// @notice Thrown when a governed function is called other than through an executed proposal
    /// (or by the bootstrapper before bootstrap completed).
    error ConsortiumOnlyGovernance(address actor);
    /// @notice Thrown when a member id does not name an active member.
    error ConsortiumUnknownMember(uint8 memberId);
    /// @notice Thrown when no more member ids can be assigned (ids are never reused).
    error ConsortiumMemberLimit(uint256 limit);
    /// @notice Thrown when an LEI is not 20 upper-case letters and digits.
    error ConsortiumInvalidLei(string lei);
    /// @notice Thrown when an LEI already belongs to a member.
    error ConsortiumDuplicateLei(string lei, uint8 memberId);
    /// @notice Thrown when an address already acts or holds for a member, or is an account that was registered to
    /// another member (removed or deregistered since): such an account passes to another member only through
    /// `reassignAccount`, so that no member can take over an account and its standing approvals on its own.
    error ConsortiumAddressTaken(address account, uint8 memberId);
    /// @notice Thrown when an address is the zero address.
    error ConsortiumZeroAddress();
    /// @notice Thrown when an account is not registered to the caller's member.
    error ConsortiumNotOwnAccount(address account, uint8 memberId);
    /// @notice Thrown when an address does not act for the member named.
    error ConsortiumNotOperator(address operator, uint8 memberId);
    /// @notice Thrown when removing the member would leave the consortium without members.
    error ConsortiumLastMember(uint8 memberId);
    /// @notice Thrown when a parameter value is out of its allowed range.
    error ConsortiumInvalidParameter(Parameter parameter, uint256 value);
    /// @notice Thrown when a quorum fraction is not in (0, 1].
    error ConsortiumInvalidQuorum(uint8 numerator, uint8 denominator);
    /// @notice Thrown when a proposal's call is not one of the governed functions.
    error ConsortiumUnknownAction(bytes4 selector);
    /// @notice Thrown when a proposal id is unknown.
    error ConsortiumUnknownProposal(uint256 proposalId);
    /// @notice Thrown when a proposal is no longer pending (executed or cancelled).
    error ConsortiumProposalClosed(uint256 proposalId, ProposalState state);
    /// @notice Thrown when a proposal is acted on after it expired.
    error ConsortiumProposalExpired(uint256 proposalId, uint40 expiresAt);
    /// @notice Thrown when a member approves a proposal twice.
    error ConsortiumAlreadyApproved(uint256 proposalId, uint8 memberId);
    /// @notice Thrown when a proposal is executed without a quorum of active members' approvals.
    error ConsortiumQuorumNotReached(uint256 proposalId, uint256 approvals, uint256 required);
    /// @notice Thrown when a proposal is executed before its timelock elapsed.
    error ConsortiumTimelockActive(uint256 proposalId, uint40 eta);
    /// @notice Thrown when someone other than the proposer's member cancels a proposal.
    error ConsortiumNotProposer(uint256 proposalId, address actor);
    /// @notice Thrown when bootstrap functions are used after bootstrap completed.
    error ConsortiumBootstrapCompleted();
    /// @notice Thrown when the asset to configure is not a contract (a cap of zero delists an asset).
    error ConsortiumInvalidAsset(address asset, uint256 cap);

    /// @notice Emitted when a bank is admitted.
    event MemberAdded(uint8 indexed memberId, string name, string lei, address indexed actor, uint64 policyVersion);
    /// @notice Emitted when a bank is removed; its approvals stop counting and its accounts stop being eligible.
    event MemberRemoved(uint8 indexed memberId, address indexed actor, uint64 policyVersion);
    /// @notice Emitted when an address starts or stops acting for a member.
    event OperatorSet(uint8 indexed memberId, address indexed operator, bool enabled, uint64 policyVersion);
    /// @notice Emitted when a member registers or deregisters an account that may hold permissioned tokens.
    event AccountSet(uint8 indexed memberId, address indexed account, bool registered, address indexed actor);
    /// @notice Emitted when governance gave an account that a removed or other former member held to a member.
    /// `fromMember` is 0 for an account never registered.
    event AccountReassigned(
        address indexed account,
        uint8 indexed fromMember,
        uint8 indexed toMember,
        string reason,
        uint64 policyVersion
    );
    /// @notice Emitted when a shared parameter changes.
    event ParameterChanged(Parameter indexed parameter, uint256 oldValue, uint256 newValue, uint64 policyVersion);
    /// @notice Emitted when the quorum fraction changes.
    event QuorumChanged(uint8 numerator, uint8 denominator, uint64 policyVersion);
    /// @notice Emitted when an asset's eligibility or per-settlement cap changes (cap 0: not eligible).
    event AssetConfigured(address indexed asset, uint256 cap, uint64 policyVersion);
    /// @notice Emitted when the shared policy document changes.
    event PolicyDocumentChanged(bytes32 indexed documentHash, string uri, uint64 policyVersion);
    /// @notice Emitted when a member proposes a change.
    event ProposalCreated(
        uint256 indexed proposalId,
        uint8 indexed memberId,
        address indexed actor,
        bytes data,
        string description,
        uint40 expiresAt,
        uint64 policyVersion
    );
    /// @notice Emitted when a member approves a proposal; `approvals` counts active members only.
    event ProposalApproved(
        uint256 indexed proposalId,
        uint8 indexed memberId,
        address indexed actor,
        uint256 approvals,
        uint64 policyVersion
    );
    /// @notice Emitted when a proposal first reaches quorum and its timelock starts.
    event ProposalQueued(uint256 indexed proposalId, uint40 eta, uint64 policyVersion);
    /// @notice Emitted when a proposal's call has been carried out.
    event ProposalExecuted(uint256 indexed proposalId, address indexed actor, uint64 policyVersion);
    /// @notice Emitted when the proposer's member withdraws a proposal.
    event ProposalCancelled(uint256 indexed proposalId, address indexed actor, string reason, uint64 policyVersion);
    /// @notice Emitted when the deployer hands the consortium over to its members for good.
    event BootstrapCompleted(address indexed actor, uint64 policyVersion);
    /// @notice Emitted when settlement is halted by quorum.
    event ConsortiumPaused(address indexed actor, uint64 policyVersion);
    /// @notice Emitted when settlement resumes.
    event ConsortiumUnpaused(address indexed actor, uint64 policyVersion);

    // ---------------------------------------------------------------- proposals

    /// @notice Propose a call to one of this contract's governed functions. The proposer's member approves it.
    /// @param data ABI-encoded call (selector and arguments).
    /// @param description Human-readable reason, kept in the event only.
    /// @return proposalId The new proposal's id (sequential from 1).
    function propose(bytes calldata data, string calldata description) external returns (uint256 proposalId);

    /// @notice Approve a pending proposal for the caller's member. Starts the timelock when quorum is reached.
    function approve(uint256 proposalId) external;

    /// @notice Carry out a proposal that has a quorum of active members and whose timelock elapsed. A proposal
    /// expires at `expiresAt` whatever its state, so one that reaches quorum less than the timelock before it
    /// expires cannot execute and must be proposed again.
    function execute(uint256 proposalId) external;

    /// @notice Start the timelock of a pending proposal that has quorum but was never queued, which happens when
    /// removing a member lowered the quorum after the last approval.
    function queue(uint256 proposalId) external;

    /// @notice Withdraw a pending proposal; only an operator of the proposer's member may. Proposals of a member
    /// that was removed can no longer be withdrawn; they expire.
    function cancel(uint256 proposalId, string calldata reason) external;

    // ---------------------------------------------------------------- governed functions

    /// @notice Admit a bank.
    function addMember(
        string calldata name,
        string calldata lei,
        address[] calldata operators
    ) external returns (uint8 memberId);

    /// @notice Remove a bank; its id is never reused.
    function removeMember(uint8 memberId) external;

    /// @notice Register `account` to an active member although another member held it before (a removed member, or
    /// a member that deregistered it). The only way an account changes members. Refused while an active member
    /// holds it.
    /// @param reason Why, kept in the `AccountReassigned` event.
    function reassignAccount(address account, uint8 memberId, string calldata reason) external;

    /// @notice Have a settlement engine of this consortium send stray tokens it holds to `to` (see
    /// `ISettlementEngine.recoverStray`).
    function recoverStray(address engine, address token, address to, uint256 amount) external;

    /// @notice Set a member's latest anchor on an audit anchor contract of this consortium, for example back to
    /// the last honest head after an operator anchored a wrong one (see `IAuditAnchor.reset`).
    /// @param reason Why, kept in the anchor contract's `AuditAnchorReset` event.
    function resetAnchor(
        address anchorContract,
        uint8 memberId,
        uint64 seq,
        bytes32 head,
        string calldata reason
    ) external;

    /// @notice Add a QBFT validator to, or remove one from, the network's validator set contract (contract
    /// validator selection, see `IValidatorSet`), whose governor is bound to this consortium.
    function setValidator(address validatorSet, address validator, bool enabled) external;

    /// @notice Let an address act for a member, or stop it.
    function setOperator(uint8 memberId, address operator, bool enabled) external;

    /// @notice Change a shared parameter.
    function setParameter(Parameter parameter, uint256 value) external;

    /// @notice Change the quorum fraction (of active members, rounded up).
    function setQuorum(uint8 numerator, uint8 denominator) external;

    /// @notice Make an asset eligible with a cap on one settlement's amount, or ineligible with cap 0.
    function setAsset(address asset, uint256 cap) external;

    /// @notice Record a new shared policy document.
    function setPolicyDocument(bytes32 documentHash, string calldata uri) external;

    /// @notice Halt settlement. Executes as soon as quorum is reached, without the timelock.
    function pause() external;

    /// @notice Resume settlement.
    function unpause() external;

    /// @notice End the bootstrap phase: from now on only executed proposals change the consortium.
    function completeBootstrap() external;

    // ---------------------------------------------------------------- member self-service

    /// @notice Register an account of the caller's member (its omnibus address or a client's segregated address)
    /// as eligible to hold permissioned tokens. An account that another member held before, even one removed
    /// since, is refused: only `reassignAccount` moves it.
    function registerAccount(address account) external;

    /// @notice Deregister one of the caller's member's accounts. The member may register it again later; no other
    /// member may, except through `reassignAccount`.
    function deregisterAccount(address account) external;

    // ---------------------------------------------------------------- views

    /// @notice The member id an address acts for (0 if none or the member was removed).
    function operatorMember(address operator) external view returns (uint8);

    /// @notice The member id an account is registered to (0 if none or the member was removed).
    function accountMember(address account) external view returns (uint8);

    /// @notice Whether an account may hold permissioned tokens.
    function isEligibleHolder(address account) external view returns (bool);

    /// @notice Parties, caps and parameters for one settlement call, in one read.
    /// @param asset Asset leg token, or the zero address to skip its cap.
    /// @param cash Cash leg token, or the zero address to skip its cap.
    function settlementContext(
        address operator,
        address seller,
        address buyer,
        address asset,
        address cash
    ) external view returns (SettlementContext memory);

    /// @notice A member's record.
    function member(uint8 memberId) external view returns (Member memory);

    /// @notice The highest member id ever assigned.
    function memberIdCount() external view returns (uint8);

    /// @notice Number of active members.
    function activeMemberCount() external view returns (uint256);

    /// @notice Bit `i` is set when member `i` is active.
    function activeMemberMask() external view returns (uint256);

    /// @notice Approvals needed for quorum: ceil(active * numerator / denominator).
    function requiredApprovals() external view returns (uint256);

    /// @notice Shared parameters.
    function params() external view returns (Params memory);

    /// @notice The parties and the parameters a settlement step after instruction needs, in one flat read: cheaper
    /// to decode than `settlementContext`, which the engine keeps for `instruct` (caps, affirmation window).
    /// @param operator The caller of the step.
    /// @param seller The seller's account.
    /// @param buyer The buyer's account.
    /// @return operatorMember_ Member the operator acts for (0 if none or removed).
    /// @return sellerMember Member the seller's account is registered to (0 if none or removed).
    /// @return buyerMember Member the buyer's account is registered to (0 if none or removed).
    /// @return paused_ True while settlement is halted by quorum.
    /// @return reversalWindow Seconds a settlement stays reversible.
    /// @return policyVersion_ The shared-policy version.
    function partyContext(
        address operator,
        address seller,
        address buyer
    )
        external
        view
        returns (
            uint8 operatorMember_,
            uint8 sellerMember,
            uint8 buyerMember,
            bool paused_,
            uint32 reversalWindow,
            uint64 policyVersion_
        );

    /// @notice The shared-policy version.
    function policyVersion() external view returns (uint64);

    /// @notice Cap on one settlement's amount of an asset; 0 when the asset is not eligible.
    function assetCap(address asset) external view returns (uint256);

    /// @notice Hash and URI of the shared policy document.
    function policyDocument() external view returns (bytes32 documentHash, string memory uri);

    /// @notice Whether settlement is halted.
    function paused() external view returns (bool);

    /// @notice Whether the bootstrap phase is over.
    function bootstrapped() external view returns (bool);

    /// @notice A proposal as stored.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Number of proposals ever created.
    function proposalCount() external view returns (uint256);

    /// @notice Approvals of a proposal that still count (from active members).
    function approvalCount(uint256 proposalId) external view returns (uint256);
}
