// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IPermissionedToken} from "../interfaces/IPermissionedToken.sol";

/// @title PermissionedToken
/// @notice A tokenized deposit or security held only by accounts registered to active consortium members.
/// @dev Balances live in this contract's own packed slots (OpenZeppelin's ERC20 keeps its allowances, metadata and
/// events): one slot per holder carries the balance, the part of it locked in open settlements and the freeze flags,
/// so a transfer reads one slot per side and a settlement leg is locked where it is instead of moving into escrow.
contract PermissionedToken is IPermissionedToken, ERC20, Pausable, AccessControl {
    /// @notice Mints and burns.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Freezes addresses and balances.
    bytes32 public constant FREEZER_ROLE = keccak256("FREEZER_ROLE");
    /// @notice Pauses and unpauses transfers.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev One slot per address. `locked` never exceeds `balance`; `partlyFrozen` is set while `_frozenAmounts` holds a
    /// non-zero amount, so that slot is read only for accounts with a partial freeze.
    struct Holding {
        uint112 balance;
        uint112 locked;
        bool frozen;
        bool partlyFrozen;
    }

    IConsortium private immutable _consortium;
    address private immutable _engine;
    uint8 private immutable _decimals;

    mapping(address account => Holding) private _holdings;
    mapping(address account => uint256 amount) private _frozenAmounts;
    uint256 private _totalSupply;

    modifier onlyEngine() {
        if (msg.sender != _engine) revert TokenOnlySettlementEngine(msg.sender);
        _;
    }

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
        _holdings[account].frozen = frozen;
        emit AddressFrozen(account, frozen, msg.sender);
    }

    /// @inheritdoc IPermissionedToken
    function setFrozenTokens(address account, uint256 amount) external onlyRole(FREEZER_ROLE) {
        _frozenAmounts[account] = amount;
        _holdings[account].partlyFrozen = amount != 0;
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
    function forceTransfer(address from, address to, uint256 amount, uint256 settlementId) external onlyEngine {
        if (from == to) revert TokenSelfTransfer(from);
        _transfer(from, to, amount);
        emit ForcedTransfer(from, to, amount, settlementId);
    }

    /// @inheritdoc IPermissionedToken
    function lock(address account, uint256 amount, uint256 settlementId) external onlyEngine whenNotPaused {
        // The account's consent, as for any pull by the engine: it approved the engine.
        _spendAllowance(account, _engine, amount);
        Holding memory h = _holdings[account];
        _checkSender(account, h, amount);
        // Cannot overflow: the check above proved amount <= balance - locked, and balance fits in uint112.
        unchecked {
            h.locked += uint112(amount);
        }
        _holdings[account] = h;
        emit TokensLocked(account, amount, settlementId);
    }

    /// @inheritdoc IPermissionedToken
    function unlock(address account, uint256 amount, uint256 settlementId) external onlyEngine {
        Holding storage h = _holdings[account];
        uint256 locked = h.locked;
        if (amount > locked) revert TokenInsufficientLocked(account, locked, amount);
        // Cannot underflow: checked just above.
        unchecked {
            h.locked = uint112(locked - amount);
        }
        emit TokensUnlocked(account, amount, settlementId);
    }

    /// @inheritdoc IPermissionedToken
    function transferLocked(address from, address to, uint256 amount) external onlyEngine whenNotPaused {
        Holding storage h = _holdings[from];
        (uint112 balance, uint112 locked) = (h.balance, h.locked);
        if (amount > locked) revert TokenInsufficientLocked(from, locked, amount);
        // Cannot underflow: amount <= locked <= balance.
        unchecked {
            (h.balance, h.locked) = (balance - uint112(amount), locked - uint112(amount));
        }
        _receive(to, amount);
        emit Transfer(from, to, amount);
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
        return _holdings[account].frozen;
    }

    /// @inheritdoc IPermissionedToken
    function frozenTokens(address account) external view returns (uint256) {
        return _frozenAmounts[account];
    }

    /// @inheritdoc IPermissionedToken
    function lockedOf(address account) external view returns (uint256) {
        return _holdings[account].locked;
    }

    /// @inheritdoc ERC20
    function balanceOf(address account) public view override(ERC20, IERC20) returns (uint256) {
        return _holdings[account].balance;
    }

    /// @inheritdoc ERC20
    function totalSupply() public view override(ERC20, IERC20) returns (uint256) {
        return _totalSupply;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @dev Holder rules for every movement (mint, burn, transfer, forced transfer) and the balance bookkeeping that
    /// replaces OpenZeppelin's: the sender may not move locked or frozen tokens, the receiver must be eligible.
    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        if (from == address(0)) {
            uint256 supply = _totalSupply + value;
            if (supply > type(uint112).max) revert TokenSupplyOverflow(supply);
            _totalSupply = supply;
        } else {
            Holding memory h = _holdings[from];
            _checkSender(from, h, value);
            // Cannot underflow: `_checkSender` proved value <= balance - locked.
            unchecked {
                h.balance -= uint112(value);
            }
            _holdings[from] = h;
        }
        if (to == address(0)) {
            // Cannot underflow: value was taken from a balance, and balances sum to the supply.
            unchecked {
                _totalSupply -= value;
            }
        } else {
            _receive(to, value);
        }
        emit Transfer(from, to, value);
    }

    /// @dev What `from` may send: not frozen whole, and `value` within the balance less locked and frozen tokens.
    function _checkSender(address from, Holding memory h, uint256 value) private view {
        if (h.frozen) revert TokenAddressFrozen(from);
        uint256 unlocked = h.balance - h.locked;
        if (h.partlyFrozen) {
            uint256 frozen = _frozenAmounts[from];
            uint256 available = unlocked > frozen ? unlocked - frozen : 0;
            if (value > available) revert TokenInsufficientUnfrozen(from, available, value);
        } else if (value > unlocked) {
            if (h.locked != 0) revert TokenInsufficientUnlocked(from, unlocked, value);
            revert ERC20InsufficientBalance(from, h.balance, value);
        }
    }

    /// @dev Credits `to` after the receiver rules: registered to an active member and not frozen whole. Never the
    /// engine: legs are locked where they are, so nothing of this token ever belongs in the engine.
    function _receive(address to, uint256 value) private {
        Holding storage h = _holdings[to];
        if (h.frozen) revert TokenAddressFrozen(to);
        if (to == _engine || !_consortium.isEligibleHolder(to)) revert TokenNotEligible(to);
        // Cannot overflow: every balance is part of the supply, which `_update` keeps within uint112.
        unchecked {
            h.balance += uint112(value);
        }
    }
}
