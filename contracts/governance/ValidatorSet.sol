// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IValidatorSet} from "../interfaces/IValidatorSet.sol";

/// @title ValidatorSet
/// @notice The consortium-governed QBFT validator set (contract validator selection). See `IValidatorSet` for the
/// bootstrap and why it cannot be taken over.
/// @dev The storage layout is part of the genesis format: slot 0 the binder, slot 1 the governor, slot 2 the
/// validator array (length, elements from keccak256(2)), slot 3 the positions (index + 1) by address. The devnet's
/// genesis writer (`src/devnet/validator-set.ts`) writes exactly what the constructor writes, and a test holds the two
/// together. No immutables: the runtime bytecode must not depend on constructor arguments.
contract ValidatorSet is IValidatorSet {
    /// @notice Largest set QBFT networks of a consortium are expected to run (and that a client reads cheaply).
    uint256 public constant MAX_VALIDATORS = 64;

    address private _binder;
    address private _governor;
    address[] private _validators;
    mapping(address validator => uint256 position) private _positions;

    /// @param initialValidators The first validators (the genesis writer stores the same).
    /// @param binder_ The account allowed to bind the governor once.
    constructor(address[] memory initialValidators, address binder_) {
        if (binder_ == address(0)) revert ValidatorSetZeroAddress();
        if (initialValidators.length == 0) revert ValidatorSetEmpty();
        _binder = binder_;
        for (uint256 i = 0; i < initialValidators.length; ++i) {
            _add(initialValidators[i]);
        }
    }

    /// @inheritdoc IValidatorSet
    function bindGovernor(address governor_) external {
        if (msg.sender != _binder) revert ValidatorSetOnlyBinder(msg.sender);
        if (_governor != address(0)) revert ValidatorSetGovernorAlreadyBound(_governor);
        if (governor_.code.length == 0) revert ValidatorSetInvalidGovernor(governor_);
        _governor = governor_;
        emit GovernorBound(governor_, msg.sender);
    }

    /// @inheritdoc IValidatorSet
    function addValidator(address validator) external {
        _requireGovernor();
        _add(validator);
        emit ValidatorAdded(validator, msg.sender, _validators.length);
    }

    /// @inheritdoc IValidatorSet
    function removeValidator(address validator) external {
        _requireGovernor();
        uint256 position = _positions[validator];
        if (position == 0) revert ValidatorSetNotValidator(validator);
        uint256 last = _validators.length;
        if (last == 1) revert ValidatorSetLastValidator(validator);
        // Swap with the last entry and pop: order carries no meaning, clients sort the set themselves.
        address moved = _validators[last - 1];
        _validators[position - 1] = moved;
        _positions[moved] = position;
        _validators.pop();
        delete _positions[validator];
        emit ValidatorRemoved(validator, msg.sender, _validators.length);
    }

    /// @inheritdoc IValidatorSet
    function getValidators() external view returns (address[] memory) {
        return _validators;
    }

    /// @inheritdoc IValidatorSet
    function isValidator(address account) external view returns (bool) {
        return _positions[account] != 0;
    }

    /// @inheritdoc IValidatorSet
    function governor() external view returns (address) {
        return _governor;
    }

    /// @inheritdoc IValidatorSet
    function binder() external view returns (address) {
        return _binder;
    }

    function _requireGovernor() private view {
        if (msg.sender != _governor || msg.sender == address(0)) revert ValidatorSetOnlyGovernor(msg.sender);
    }

    function _add(address validator) private {
        if (validator == address(0)) revert ValidatorSetZeroAddress();
        if (_positions[validator] != 0) revert ValidatorSetAlreadyValidator(validator);
        if (_validators.length == MAX_VALIDATORS) revert ValidatorSetFull(MAX_VALIDATORS);
        _validators.push(validator);
        _positions[validator] = _validators.length;
    }
}
