// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IPermissionedToken
/// @notice An ERC-20 for tokenized deposits and securities that only accounts registered to a consortium member
/// may hold or receive. An issuer mints and burns; compliance freezes an address whole or in part; the settlement
/// engine alone may force a transfer, and only to carry out a reversal.
///
/// The settlement engine holds legs in escrow. It is the only address that may move tokens into the engine (by
/// pulling an approved leg); a transfer or a mint to the engine from anyone else is refused, so nothing reaches it
/// outside escrow. Escrow goes back with `returnEscrow`, which restores the owner's position whatever happened
/// since: it does not check the owner's eligibility, freezes or the pause.
interface IPermissionedToken is IERC20 {
    /// @notice Thrown when the receiving account is not registered to an active consortium member, or is the
    /// settlement engine and the engine is not the one moving the tokens.
    error TokenNotEligible(address account);
    /// @notice Thrown when a frozen address would send or receive.
    error TokenAddressFrozen(address account);
    /// @notice Thrown when a transfer would dip into the frozen part of a balance.
    error TokenInsufficientUnfrozen(address account, uint256 available, uint256 needed);
    /// @notice Thrown when anyone but the settlement engine forces a transfer.
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
    /// @notice Emitted when the settlement engine returned an escrowed leg to the account it came from.
    event EscrowReturned(address indexed to, uint256 amount, uint256 indexed settlementId);

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

    /// @notice Return an escrowed leg from the settlement engine to the account it came from. Settlement engine
    /// only. Unlike every other movement it does not check the receiver's eligibility or freeze, the engine's
    /// freeze, or the pause: the tokens were the account's before escrow, and a return must never be blocked
    /// (a membership removal, a freeze or a pause would otherwise keep them in escrow for good). A whole-address
    /// freeze of the receiver still keeps them from moving on.
    /// @param settlementId The cancelled, released or unwound settlement, for the audit trail.
    function returnEscrow(address to, uint256 amount, uint256 settlementId) external;

    /// @notice The consortium whose members' accounts may hold the token.
    function consortium() external view returns (address);

    /// @notice The settlement engine: it may hold tokens in escrow and force reversal transfers.
    function settlementEngine() external view returns (address);

    /// @notice Whether an address is frozen whole.
    function isFrozen(address account) external view returns (bool);

    /// @notice The frozen part of an address's balance.
    function frozenTokens(address account) external view returns (uint256);
}
