// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAuditAnchor} from "../interfaces/IAuditAnchor.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ISettlementEngine} from "../interfaces/ISettlementEngine.sol";
import {IValidatorSet} from "../interfaces/IValidatorSet.sol";
import {MemberSet} from "../libraries/MemberSet.sol";

/// @title Consortium
/// @notice Membership and shared parameters of a consortium of banks, changed only by proposals that reach a
/// quorum of active members and wait out a timelock. Member ids run from 1 to 255 and are never reused, so that
/// approvals are a bit set and "approvals of active members" is one AND and one population count.
/// @dev Until `completeBootstrap`, the deployer may call governed functions directly to finish configuration
/// (for example to make the freshly deployed tokens eligible). Every such call emits the same events, and the
/// shared-policy version stays 1 until bootstrap completes.
contract Consortium is IConsortium {
    using MemberSet for uint256;

    /// @notice Highest member id that can ever be assigned.
    uint8 public constant MAX_MEMBER_ID = type(uint8).max;
    /// @notice Upper bound on every time parameter.
    uint256 public constant MAX_DURATION = 365 days;

    address private immutable _bootstrapper;
    bool private _bootstrapped;
    uint8 private _memberIdCount;

    Params private _params;
    uint256 private _activeMask;

    mapping(uint8 memberId => Member) private _members;
    mapping(bytes32 leiHash => uint8 memberId) private _memberByLei;
    mapping(address operator => uint8 memberId) private _operators;
    mapping(address account => uint8 memberId) private _accounts;
    /// @dev The member that deregistered an account, so that no other member can register it without governance.
    mapping(address account => uint8 memberId) private _formerHolders;
    mapping(address asset => uint256 cap) private _assetCaps;

    bytes32 private _documentHash;
    string private _documentUri;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;

    modifier onlyGovernance() {
        if (msg.sender != address(this) && (_bootstrapped || msg.sender != _bootstrapper)) {
            revert ConsortiumOnlyGovernance(msg.sender);
        }
        _;
    }

    /// @param initialMembers Banks admitted at deployment, with their operators and accounts.
    /// @param settings Time parameters and the shared policy document; the quorum starts at two thirds.
    constructor(InitialMember[] memory initialMembers, InitialSettings memory settings) {
        _bootstrapper = msg.sender;
        _params.policyVersion = 1;
        _params.quorumNumerator = 2;
        _params.quorumDenominator = 3;
        _setParameter(Parameter.ReversalWindow, settings.reversalWindow);
        _setParameter(Parameter.AffirmationWindow, settings.affirmationWindow);
        // Lifetime before delay: the delay is checked against the lifetime, and every launch value is reported
        // as a change from zero.
        _setParameter(Parameter.ProposalLifetime, settings.proposalLifetime);
        _setParameter(Parameter.ProposalDelay, settings.proposalDelay);
        for (uint256 i = 0; i < initialMembers.length; ++i) {
            InitialMember memory m = initialMembers[i];
            uint8 memberId = _addMember(m.name, m.lei, m.operators);
            for (uint256 j = 0; j < m.accounts.length; ++j) {
                _registerAccount(memberId, m.accounts[j]);
            }
        }
        _setPolicyDocument(settings.documentHash, settings.documentUri);
    }

    // ---------------------------------------------------------------- proposals

    /// @inheritdoc IConsortium
    function propose(bytes calldata data, string calldata description) external returns (uint256 proposalId) {
        uint8 memberId = _requireMember(msg.sender);
        _requireGovernedAction(data);
        proposalId = ++_proposalCount;
        Proposal storage p = _proposals[proposalId];
        p.state = ProposalState.Pending;
        p.proposer = memberId;
        p.createdAt = uint40(block.timestamp);
        p.expiresAt = uint40(block.timestamp + _params.proposalLifetime);
        p.data = data;
        _emitCreated(proposalId, p, description);
        _approve(proposalId, p, memberId);
    }

    /// @inheritdoc IConsortium
    function approve(uint256 proposalId) external {
        uint8 memberId = _requireMember(msg.sender);
        Proposal storage p = _pendingProposal(proposalId);
        if (p.approvals.contains(memberId)) revert ConsortiumAlreadyApproved(proposalId, memberId);
        _approve(proposalId, p, memberId);
    }

    /// @inheritdoc IConsortium
    function queue(uint256 proposalId) external {
        _requireMember(msg.sender);
        Proposal storage p = _pendingProposal(proposalId);
        if (p.eta != 0) revert ConsortiumTimelockActive(proposalId, p.eta);
        _requireQuorum(proposalId);
        _queue(proposalId, p);
    }

    /// @inheritdoc IConsortium
    function execute(uint256 proposalId) external {
        _requireMember(msg.sender);
        Proposal storage p = _pendingProposal(proposalId);
        _requireQuorum(proposalId);
        if (p.eta == 0 || block.timestamp < p.eta) revert ConsortiumTimelockActive(proposalId, p.eta);
        p.state = ProposalState.Executed;
        // The call targets this contract and only the governed functions allowed by `_requireGovernedAction`.
        // Only `recoverStray`, `resetAnchor` and `setValidator` call out, to the companion the proposal names, and
        // the proposal is already marked executed, so a re-entry cannot execute it again.
        // slither-disable-next-line reentrancy-events
        (bool ok, bytes memory result) = address(this).call(p.data);
        if (!ok) {
            // Bubble up the governed function's own custom error.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        emit ProposalExecuted(proposalId, msg.sender, _params.policyVersion);
    }

    /// @inheritdoc IConsortium
    function cancel(uint256 proposalId, string calldata reason) external {
        uint8 memberId = _requireMember(msg.sender);
        Proposal storage p = _pendingProposal(proposalId);
        if (p.proposer != memberId) revert ConsortiumNotProposer(proposalId, msg.sender);
        p.state = ProposalState.Cancelled;
        emit ProposalCancelled(proposalId, msg.sender, reason, _params.policyVersion);
    }

    // ---------------------------------------------------------------- governed functions

    /// @inheritdoc IConsortium
    function addMember(
        string calldata name,
        string calldata lei,
        address[] calldata operators
    ) external onlyGovernance returns (uint8 memberId) {
        _bumpVersion();
        memberId = _addMember(name, lei, operators);
    }

    /// @inheritdoc IConsortium
    function removeMember(uint8 memberId) external onlyGovernance {
        _requireActive(memberId);
        if (activeMemberCount() == 1) revert ConsortiumLastMember(memberId);
        Member storage m = _members[memberId];
        m.active = false;
        _activeMask &= ~MemberSet.bit(memberId);
        delete _memberByLei[keccak256(bytes(m.lei))];
        emit MemberRemoved(memberId, msg.sender, _bumpVersion());
    }

    /// @inheritdoc IConsortium
    function reassignAccount(address account, uint8 memberId, string calldata reason) external onlyGovernance {
        _requireActive(memberId);
        if (account == address(0)) revert ConsortiumZeroAddress();
        uint8 current = accountMember(account);
        if (current != 0) revert ConsortiumAddressTaken(account, current);
        uint8 fromMember = _accounts[account];
        if (fromMember == 0) fromMember = _formerHolders[account];
        _accounts[account] = memberId;
        delete _formerHolders[account];
        emit AccountReassigned(account, fromMember, memberId, reason, _bumpVersion());
        emit AccountSet(memberId, account, true, msg.sender);
    }

    /// @inheritdoc IConsortium
    function recoverStray(address engine, address token, address to, uint256 amount) external onlyGovernance {
        ISettlementEngine(engine).recoverStray(token, to, amount);
    }

    /// @inheritdoc IConsortium
    function resetAnchor(
        address anchorContract,
        uint8 memberId,
        uint64 seq,
        bytes32 head,
        string calldata reason
    ) external onlyGovernance {
        IAuditAnchor(anchorContract).reset(memberId, seq, head, reason);
    }

    /// @inheritdoc IConsortium
    function setValidator(address validatorSet, address validator, bool enabled) external onlyGovernance {
        if (enabled) {
            IValidatorSet(validatorSet).addValidator(validator);
        } else {
            IValidatorSet(validatorSet).removeValidator(validator);
        }
    }

    /// @inheritdoc IConsortium
    function setOperator(uint8 memberId, address operator, bool enabled) external onlyGovernance {
        _requireActive(memberId);
        if (enabled) {
            _addOperator(memberId, operator);
        } else {
            if (_operators[operator] != memberId) revert ConsortiumNotOperator(operator, memberId);
            delete _operators[operator];
        }
        emit OperatorSet(memberId, operator, enabled, _bumpVersion());
    }

    /// @inheritdoc IConsortium
    function setParameter(Parameter parameter, uint256 value) external onlyGovernance {
        _setParameter(parameter, value);
    }

    /// @inheritdoc IConsortium
    function setQuorum(uint8 numerator, uint8 denominator) external onlyGovernance {
        if (numerator == 0 || denominator == 0 || numerator > denominator) {
            revert ConsortiumInvalidQuorum(numerator, denominator);
        }
        _params.quorumNumerator = numerator;
        _params.quorumDenominator = denominator;
        emit QuorumChanged(numerator, denominator, _bumpVersion());
    }

    /// @inheritdoc IConsortium
    function setAsset(address asset, uint256 cap) external onlyGovernance {
        if (asset.code.length == 0) revert ConsortiumInvalidAsset(asset, cap);
        _assetCaps[asset] = cap;
        emit AssetConfigured(asset, cap, _bumpVersion());
    }

    /// @inheritdoc IConsortium
    function setPolicyDocument(bytes32 documentHash, string calldata uri) external onlyGovernance {
        _setPolicyDocument(documentHash, uri);
    }

    /// @inheritdoc IConsortium
    function pause() external onlyGovernance {
        _params.paused = true;
        emit ConsortiumPaused(msg.sender, _params.policyVersion);
    }

    /// @inheritdoc IConsortium
    function unpause() external onlyGovernance {
        _params.paused = false;
        emit ConsortiumUnpaused(msg.sender, _params.policyVersion);
    }

    /// @inheritdoc IConsortium
    function completeBootstrap() external {
        if (_bootstrapped) revert ConsortiumBootstrapCompleted();
        if (msg.sender != _bootstrapper) revert ConsortiumOnlyGovernance(msg.sender);
        _bootstrapped = true;
        emit BootstrapCompleted(msg.sender, _params.policyVersion);
    }

    // ---------------------------------------------------------------- member self-service

    /// @inheritdoc IConsortium
    function registerAccount(address account) external {
        _registerAccount(_requireMember(msg.sender), account);
    }

    /// @inheritdoc IConsortium
    function deregisterAccount(address account) external {
        uint8 memberId = _requireMember(msg.sender);
        if (_accounts[account] != memberId) revert ConsortiumNotOwnAccount(account, memberId);
        delete _accounts[account];
        _formerHolders[account] = memberId;
        emit AccountSet(memberId, account, false, msg.sender);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IConsortium
    function operatorMember(address operator) public view returns (uint8) {
        return _activeOrZero(_operators[operator]);
    }

    /// @inheritdoc IConsortium
    function accountMember(address account) public view returns (uint8) {
        return _activeOrZero(_accounts[account]);
    }

    /// @inheritdoc IConsortium
    function isEligibleHolder(address account) external view returns (bool) {
        return accountMember(account) != 0;
    }

    /// @inheritdoc IConsortium
    function settlementContext(
        address operator,
        address seller,
        address buyer,
        address asset,
        address cash
    ) external view returns (SettlementContext memory ctx) {
        ctx.operatorMember = operatorMember(operator);
        ctx.sellerMember = accountMember(seller);
        ctx.buyerMember = accountMember(buyer);
        if (asset != address(0)) ctx.assetCap = _assetCaps[asset];
        if (cash != address(0)) ctx.cashCap = _assetCaps[cash];
        ctx.params = _params;
    }

    /// @inheritdoc IConsortium
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
        )
    {
        Params memory p = _params;
        return (
            operatorMember(operator),
            accountMember(seller),
            accountMember(buyer),
            p.paused,
            p.reversalWindow,
            p.policyVersion
        );
    }

    /// @inheritdoc IConsortium
    function member(uint8 memberId) external view returns (Member memory) {
        if (memberId == 0 || memberId > _memberIdCount) revert ConsortiumUnknownMember(memberId);
        return _members[memberId];
    }

    /// @inheritdoc IConsortium
    function memberIdCount() external view returns (uint8) {
        return _memberIdCount;
    }

    /// @inheritdoc IConsortium
    function activeMemberCount() public view returns (uint256) {
        return _activeMask.count();
    }

    /// @inheritdoc IConsortium
    function activeMemberMask() external view returns (uint256) {
        return _activeMask;
    }

    /// @inheritdoc IConsortium
    function requiredApprovals() public view returns (uint256) {
        uint256 n = activeMemberCount() * _params.quorumNumerator;
        uint256 d = _params.quorumDenominator;
        return (n + d - 1) / d;
    }

    /// @inheritdoc IConsortium
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IConsortium
    function policyVersion() external view returns (uint64) {
        return _params.policyVersion;
    }

    /// @inheritdoc IConsortium
    function assetCap(address asset) external view returns (uint256) {
        return _assetCaps[asset];
    }

    /// @inheritdoc IConsortium
    function policyDocument() external view returns (bytes32 documentHash, string memory uri) {
        return (_documentHash, _documentUri);
    }

    /// @inheritdoc IConsortium
    function paused() external view returns (bool) {
        return _params.paused;
    }

    /// @inheritdoc IConsortium
    function bootstrapped() external view returns (bool) {
        return _bootstrapped;
    }

    /// @inheritdoc IConsortium
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortium
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IConsortium
    function approvalCount(uint256 proposalId) public view returns (uint256) {
        return (_proposals[proposalId].approvals & _activeMask).count();
    }

    // ---------------------------------------------------------------- internals

    /// @dev Separate frame: the event's ABI encoding needs more stack than `propose` has left.
    function _emitCreated(uint256 proposalId, Proposal storage p, string calldata description) private {
        emit ProposalCreated(
            proposalId,
            p.proposer,
            msg.sender,
            p.data,
            description,
            p.expiresAt,
            _params.policyVersion
        );
    }

    function _approve(uint256 proposalId, Proposal storage p, uint8 memberId) private {
        p.approvals |= MemberSet.bit(memberId);
        uint256 approvals = approvalCount(proposalId);
        emit ProposalApproved(proposalId, memberId, msg.sender, approvals, _params.policyVersion);
        if (p.eta == 0 && approvals >= requiredApprovals()) _queue(proposalId, p);
    }

    function _queue(uint256 proposalId, Proposal storage p) private {
        // An emergency pause takes effect as soon as quorum is reached; everything else waits the timelock.
        uint256 delay = bytes4(p.data) == this.pause.selector ? 0 : _params.proposalDelay;
        p.eta = uint40(block.timestamp + delay);
        emit ProposalQueued(proposalId, p.eta, _params.policyVersion);
    }

    function _requireQuorum(uint256 proposalId) private view {
        uint256 approvals = approvalCount(proposalId);
        uint256 required = requiredApprovals();
        if (approvals < required) revert ConsortiumQuorumNotReached(proposalId, approvals, required);
    }

    function _pendingProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.state == ProposalState.None) revert ConsortiumUnknownProposal(proposalId);
        if (p.state != ProposalState.Pending) revert ConsortiumProposalClosed(proposalId, p.state);
        if (block.timestamp >= p.expiresAt) revert ConsortiumProposalExpired(proposalId, p.expiresAt);
    }

    function _requireGovernedAction(bytes calldata data) private pure {
        bytes4 selector = bytes4(data);
        if (
            selector != IConsortium.addMember.selector &&
            selector != IConsortium.removeMember.selector &&
            selector != IConsortium.setOperator.selector &&
            selector != IConsortium.setParameter.selector &&
            selector != IConsortium.setQuorum.selector &&
            selector != IConsortium.setAsset.selector &&
            selector != IConsortium.setPolicyDocument.selector &&
            selector != IConsortium.pause.selector &&
            selector != IConsortium.unpause.selector &&
            selector != IConsortium.reassignAccount.selector &&
            selector != IConsortium.recoverStray.selector &&
            selector != IConsortium.resetAnchor.selector &&
            selector != IConsortium.setValidator.selector
        ) revert ConsortiumUnknownAction(selector);
    }

    function _requireMember(address actor) private view returns (uint8 memberId) {
        memberId = operatorMember(actor);
        if (memberId == 0) revert ConsortiumNotMember(actor);
    }

    function _requireActive(uint8 memberId) private view {
        if (!_activeMask.contains(memberId)) revert ConsortiumUnknownMember(memberId);
    }

    function _activeOrZero(uint8 memberId) private view returns (uint8) {
        return _activeMask.contains(memberId) ? memberId : 0;
    }

    function _addMember(
        string memory name,
        string memory lei,
        address[] memory operators
    ) private returns (uint8 memberId) {
        _requireLei(lei);
        bytes32 leiHash = keccak256(bytes(lei));
        uint8 existing = _memberByLei[leiHash];
        if (existing != 0) revert ConsortiumDuplicateLei(lei, existing);
        if (_memberIdCount == MAX_MEMBER_ID) revert ConsortiumMemberLimit(MAX_MEMBER_ID);
        memberId = ++_memberIdCount;
        _members[memberId] = Member({name: name, lei: lei, active: true, joinedAt: uint40(block.timestamp)});
        _memberByLei[leiHash] = memberId;
        _activeMask |= MemberSet.bit(memberId);
        emit MemberAdded(memberId, name, lei, msg.sender, _params.policyVersion);
        for (uint256 i = 0; i < operators.length; ++i) {
            _addOperator(memberId, operators[i]);
            emit OperatorSet(memberId, operators[i], true, _params.policyVersion);
        }
    }

    function _addOperator(uint8 memberId, address operator) private {
        if (operator == address(0)) revert ConsortiumZeroAddress();
        uint8 holder = operatorMember(operator);
        if (holder != 0) revert ConsortiumAddressTaken(operator, holder);
        _operators[operator] = memberId;
    }

    function _registerAccount(uint8 memberId, address account) private {
        if (account == address(0)) revert ConsortiumZeroAddress();
        // Refused when held now (by any member, removed or not) or deregistered by another member.
        uint8 holder = _accounts[account];
        if (holder == 0 && _formerHolders[account] != memberId) holder = _formerHolders[account];
        if (holder != 0) revert ConsortiumAddressTaken(account, holder);
        _accounts[account] = memberId;
        emit AccountSet(memberId, account, true, msg.sender);
    }

    function _setParameter(Parameter parameter, uint256 value) private {
        Params storage p = _params;
        uint256 oldValue;
        bool valid = value <= MAX_DURATION;
        if (parameter == Parameter.ReversalWindow) {
            oldValue = p.reversalWindow;
            p.reversalWindow = uint32(value);
        } else if (parameter == Parameter.AffirmationWindow) {
            oldValue = p.affirmationWindow;
            valid = valid && value != 0;
            p.affirmationWindow = uint32(value);
        } else if (parameter == Parameter.ProposalDelay) {
            oldValue = p.proposalDelay;
            valid = valid && value < p.proposalLifetime;
            p.proposalDelay = uint32(value);
        } else {
            oldValue = p.proposalLifetime;
            valid = valid && value > p.proposalDelay;
            p.proposalLifetime = uint32(value);
        }
        // The casts above are safe once `valid` holds: MAX_DURATION fits in uint32.
        if (!valid) revert ConsortiumInvalidParameter(parameter, value);
        emit ParameterChanged(parameter, oldValue, value, _bumpVersion());
    }

    function _setPolicyDocument(bytes32 documentHash, string memory uri) private {
        _documentHash = documentHash;
        _documentUri = uri;
        emit PolicyDocumentChanged(documentHash, uri, _bumpVersion());
    }

    /// @dev The configuration a consortium launches with is version 1: changes made during bootstrap keep it.
    function _bumpVersion() private returns (uint64) {
        if (!_bootstrapped) return _params.policyVersion;
        return ++_params.policyVersion;
    }

    function _requireLei(string memory lei) private pure {
        bytes memory b = bytes(lei);
        if (b.length != 20) revert ConsortiumInvalidLei(lei);
        for (uint256 i = 0; i < 20; ++i) {
            bytes1 c = b[i];
            if (!((c >= "0" && c <= "9") || (c >= "A" && c <= "Z"))) revert ConsortiumInvalidLei(lei);
        }
    }
}
