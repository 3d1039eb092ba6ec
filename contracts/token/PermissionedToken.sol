// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IPermissionedToken} from "../interfaces/IPermissionedToken.sol";

/// @title PermissionedToken
/// @notice A tokenized deposit or security held only by accounts registered to active consortium members.
contract PermissionedToken is IPermissionedToken, ERC20Pausable, AccessControl {
    /// @notice Mints and burns.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Freezes addresses and balances.
    bytes32 public constant FREEZER_ROLE = keccak256("FREEZER_ROLE");
    /// @notice Pauses and unpauses transfers.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev One slot per address: the whole-address flag and the frozen amount.
    struct Freeze {
        bool all;
        uint248 amount;
    }

    IConsortium private immutable _consortium;
    address private immutable _engine;
    uint8 private immutable _decimals;

    mapping(address account => Freeze) private _freezes;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    /// @param decimals_ Decimals (2 for a deposit in cents, 0 for a bond counted in units).
    /// @param consortium_ The consortium whose members' accounts may hold the token.
    /// @param engine_ The settlement engine.
    /// @param admin The issuing bank's address: it receives every role.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address consortium_,
        address engine_,
        address admin
    ) ERC20(name_, symbol_) {
        if (consortium_ == address(0) || engine_ == address(0) || admin == address(0)) revert TokenZeroAddress();
        _consortium = IConsortium(consortium_);
        _engine = engine_;
        _decimals = decimals_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, admin);
        _grantRole(FREEZER_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    /// @inheritdoc IPermissionedToken
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc IPermissionedToken
    function burn(address from, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _burn(from, amount);
    }

    /// @inheritdoc IPermissionedToken
    function setAddressFrozen(address account, bool frozen) external onlyRole(FREEZER_ROLE) {
        _freezes[account].all = frozen;
        emit AddressFrozen(account, frozen, msg.sender);
    }

    /// @inheritdoc IPermissionedToken
    function setFrozenTokens(address account, uint256 amount) external onlyRole(FREEZER_ROLE) {
        // Capped so the cast below is exact; no real balance comes near 2^248.
        if (amount > type(uint248).max) amount = type(uint248).max;
        _freezes[account].amount = uint248(amount);
        emit TokensFrozen(account, amount, msg.sender);
    }

    /// @inheritdoc IPermissionedToken
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IPermissionedToken
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IPermissionedToken
    function forceTransfer(address from, address to, uint256 amount, uint256 settlementId) external {
        if (msg.sender != _engine) revert TokenOnlySettlementEngine(msg.sender);
        if (from == to) revert TokenSelfTransfer(from);
        _transfer(from, to, amount);
        emit ForcedTransfer(from, to, amount, settlementId);
    }

    /// @inheritdoc IPermissionedToken
    function returnEscrow(address to, uint256 amount, uint256 settlementId) external {
        if (msg.sender != _engine) revert TokenOnlySettlementEngine(msg.sender);
        // The plain ERC-20 movement, past this contract's holder rules and the pause (see the interface).
        ERC20._update(_engine, to, amount);
        emit EscrowReturned(to, amount, settlementId);
    }

    /// @inheritdoc IPermissionedToken
    function consortium() external view returns (address) {
        return address(_consortium);
    }

    /// @inheritdoc IPermissionedToken
    function settlementEngine() external view returns (address) {
        return _engine;
    }

    /// @inheritdoc IPermissionedToken
    function isFrozen(address account) external view returns (bool) {
        return _freezes[account].all;
    }

    /// @inheritdoc IPermissionedToken
    function frozenTokens(address account) external view returns (uint256) {
        return _freezes[account].amount;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @dev Holder rules for every movement: mint, burn, transfer, escrow and forced transfer.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) {
            Freeze memory f = _freezes[from];
            if (f.all) revert TokenAddressFrozen(from);
            if (f.amount != 0) {
                uint256 balance = balanceOf(from);
                uint256 available = balance > f.amount ? balance - f.amount : 0;
                if (value > available) revert TokenInsufficientUnfrozen(from, available, value);
            }
        }
        if (to != address(0)) {
            if (_freezes[to].all) revert TokenAddressFrozen(to);
            // Only the engine itself moves tokens into escrow; for anyone else the engine is not a holder.
            bool eligible = to == _engine ? _msgSender() == _engine : _consortium.isEligibleHolder(to);
            if (!eligible) revert TokenNotEligible(to);
        }
        super._update(from, to, value);
    }
}
