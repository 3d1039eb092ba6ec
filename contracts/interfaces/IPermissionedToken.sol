// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IPermissionedToken
/// @notice An ERC-20 for tokenized deposits and securities that only accounts registered to a consortium member
/// may hold or receive. An issuer mints and burns; compliance freezes an address whole or in part; the settlement
/// engine alone may force a transfer, and only to carry out a reversal.
///
/// Settlement legs are locked in place: the engine locks a leg in its owner's account (spending the owner's allowance
/// to the engine), the locked tokens stay in that account's balance but cannot be sent, burnt or
/// forced away, and the engine later either delivers them (`transferLocked`) or unlocks them (`unlock`). The engine
/// itself never holds this token: a transfer or a mint to it is refused, so the sum of all locked amounts is
/// exactly the open legs. An unlock restores the owner's position whatever happened since: it does not check the
/// owner's eligibility, freezes or the pause (the tokens never left the account).
interface IPermissionedToken is IERC20 {
    /// @notice Thrown when the receiving account is not registered to an active consortium member, or is the
    /// settlement engine (which never holds the token).
    error TokenNotEligible(address account);
    /// @notice Thrown when a frozen address would send or receive.
    error TokenAddressFrozen(address account);
    /// @notice Thrown when a transfer would dip into the frozen part of a balance.
    error TokenInsufficientUnfrozen(address account, uint256 available, uint256 needed);
    /// @notice Thrown when a movement would dip into the part of a balance locked in open settlements.
    error TokenInsufficientUnlocked(address account, uint256 available, uint256 needed);
    /// @notice Thrown when the engine unlocks or delivers more than is locked in an account.
    error TokenInsufficientLocked(address account, uint256 locked, uint256 needed);
    /// @notice Thrown when a mint would take the total supply past 2^112 - 1 (balances are stored in 112 bits).
    error TokenSupplyOverflow(uint256 supply);
    /// @notice Thrown when anyone but the settlement engine forces a transfer, locks, unlocks or delivers a leg.
    error TokenOnlySettlementEngine(address actor);
    /// @notice Thrown when a forced transfer names the same account on both sides.
    error TokenSelfTransfer(address account);
    /// @notice Thrown when a constructor address is zero.
    error TokenZeroAddress();

    /// @notice Emitted when an address is frozen or unfrozen whole.
    event AddressFrozen(address indexed account, bool frozen, address indexed actor);
    /// @notice Emitted when the frozen part of an address's balance changes.
    event TokensFrozen(address indexed account, uint256 amount, address indexed actor);
    /// @notice Emitted when the settlement engine moves tokens to carry out a reversal.
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount, uint256 indexed settlementId);
    /// @notice Emitted when the settlement engine locked a leg in its owner's account.
    event TokensLocked(address indexed account, uint256 amount, uint256 indexed settlementId);
    /// @notice Emitted when the settlement engine unlocked a leg in its owner's account (cancel, release, unwind).
    event TokensUnlocked(address indexed account, uint256 amount, uint256 indexed settlementId);

    /// @notice Create `amount` tokens on an eligible account. Issuer role.
    function mint(address to, uint256 amount) external;

    /// @notice Destroy `amount` unfrozen tokens of `from`. Issuer role.
    function burn(address from, uint256 amount) external;

    /// @notice Freeze or unfreeze an address whole: it can neither send nor receive. Freezer role.
    function setAddressFrozen(address account, bool frozen) external;

    /// @notice Set how much of an address's balance is frozen. Freezer role.
    function setFrozenTokens(address account, uint256 amount) external;

    /// @notice Stop all transfers. Pauser role.
    function pause() external;

    /// @notice Resume transfers. Pauser role.
    function unpause() external;

    /// @notice Move tokens without the holder's allowance, to carry out a settlement reversal. The holder rules
    /// (eligibility, freezes, pause) still apply.
    /// @param settlementId The reversed settlement, for the audit trail.
    function forceTransfer(address from, address to, uint256 amount, uint256 settlementId) external;

    /// @notice Lock `amount` of `account`'s balance for a settlement leg. Settlement engine only. Needs the
    /// account's allowance to the engine (spent like a transfer's) and the same holder rules as sending: not
    /// paused, not frozen whole, within the balance less what is already locked or frozen. Locked tokens stay in
    /// the balance and count in `balanceOf`, but no transfer, burn or forced transfer can take them.
    /// @param settlementId The settlement the leg belongs to, for the audit trail.
    function lock(address account, uint256 amount, uint256 settlementId) external;

    /// @notice Unlock a leg in its owner's account. Settlement engine only. Unlike every other movement it does not
    /// check the owner's eligibility or freeze, or the pause: the tokens never left the account, and an unlock must
    /// never be blocked (a membership removal, a freeze or a pause would otherwise hold them for good). A
    /// whole-address freeze of the owner still keeps them from moving on.
    /// @param settlementId The cancelled, released or unwound settlement, for the audit trail.
    function unlock(address account, uint256 amount, uint256 settlementId) external;

    /// @notice Deliver a locked leg: `amount` leaves `from`'s locked balance for `to`. Settlement engine only.
    /// The receiver's rules (eligibility, whole-address freeze) and the pause apply; the sender's freezes do not,
    /// because the leg was committed when it was locked.
    /// The `Transfer` event records the delivery; the engine's `SettlementSettled` names the settlement.
    function transferLocked(address from, address to, uint256 amount) external;

    /// @notice The consortium whose members' accounts may hold the token.
    function consortium() external view returns (address);

    /// @notice The settlement engine: it locks, unlocks and delivers legs and forces reversal transfers.
    function settlementEngine() external view returns (address);

    /// @notice Whether an address is frozen whole.
    function isFrozen(address account) external view returns (bool);

    /// @notice The frozen part of an address's balance.
    function frozenTokens(address account) external view returns (uint256);

    /// @notice The part of an address's balance locked in open settlements.
    function lockedOf(address account) external view returns (uint256);
}
