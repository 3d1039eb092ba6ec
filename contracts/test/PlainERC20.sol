// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title PlainERC20
/// @notice Benchmark baseline: an unmodified OpenZeppelin ERC-20 with an open mint.
/// @dev Never deploy outside tests and benchmarks.
contract PlainERC20 is ERC20 {
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Anyone may mint: this is a baseline for measurements.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
