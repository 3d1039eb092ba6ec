// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IValidatorSet
/// @notice The QBFT validator set of a network in contract validator selection mode: Besu (genesis
/// `config.qbft.validatorcontractaddress`) and GoQuorum (`config.transitions` with `validatorselectionmode`
/// `"contract"`) read the validators of the next block from `getValidators()` on the state of the block before.
///
/// Bootstrap: the contract is predeployed in the genesis block at a fixed address with the initial validators and a
/// binder address in its storage (the same storage its constructor writes, so it can also be deployed by a
/// transaction for a transition on an existing network). No one can change the set until the binder binds the
/// governor, once and for ever, to the consortium contract; from then on only the governor changes the set, and the
/// consortium calls it only from an executed proposal (quorum of members and timelock, `IConsortium.setValidator`).
/// The binder's only power is that one binding: it can neither change validators nor bind a second time, and the
/// `GovernorBound` event tells every member which contract it bound.
interface IValidatorSet {
    /// @notice Thrown when anyone but the binder binds the governor.
    error ValidatorSetOnlyBinder(address actor);
    /// @notice Thrown when the governor is bound a second time.
    error ValidatorSetGovernorAlreadyBound(address governor);
    /// @notice Thrown when the governor to bind holds no code (an account, or nothing deployed there yet).
    error ValidatorSetInvalidGovernor(address governor);
    /// @notice Thrown when anyone but the bound governor changes the set (also before the governor is bound).
    error ValidatorSetOnlyGovernor(address actor);
    /// @notice Thrown when a validator or the binder is the zero address.
    error ValidatorSetZeroAddress();
    /// @notice Thrown when the validator to add is already in the set.
    error ValidatorSetAlreadyValidator(address validator);
    /// @notice Thrown when the validator to remove is not in the set.
    error ValidatorSetNotValidator(address validator);
    /// @notice Thrown when removing the last validator: a network without validators produces no block again.
    error ValidatorSetLastValidator(address validator);
    /// @notice Thrown when the set would grow beyond `MAX_VALIDATORS`.
    error ValidatorSetFull(uint256 max);
    /// @notice Thrown when a set is created without validators.
    error ValidatorSetEmpty();

    /// @notice Emitted when the binder bound the governor.
    /// @param governor The contract that changes the set from now on (the consortium).
    /// @param binder The account that bound it.
    event GovernorBound(address indexed governor, address indexed binder);
    /// @notice Emitted when a validator joined the set; it signs from the block after the next one.
    /// @param validator The validator's address (its node key's address).
    /// @param actor The governor that added it.
    /// @param count Validators in the set afterwards.
    event ValidatorAdded(address indexed validator, address indexed actor, uint256 count);
    /// @notice Emitted when a validator left the set.
    /// @param validator The validator's address.
    /// @param actor The governor that removed it.
    /// @param count Validators in the set afterwards.
    event ValidatorRemoved(address indexed validator, address indexed actor, uint256 count);

    /// @notice Bind the governor, once; only the binder named at creation (in genesis storage) may.
    /// @param governor_ The consortium contract.
    function bindGovernor(address governor_) external;

    /// @notice Add a validator; only the governor.
    function addValidator(address validator) external;

    /// @notice Remove a validator; only the governor. The last validator cannot be removed.
    function removeValidator(address validator) external;

    /// @notice The validators, as QBFT clients read them for the next block.
    function getValidators() external view returns (address[] memory);

    /// @notice True when `account` is a validator.
    function isValidator(address account) external view returns (bool);

    /// @notice The governor, or the zero address until it is bound.
    function governor() external view returns (address);

    /// @notice The account allowed to bind the governor.
    function binder() external view returns (address);
}
