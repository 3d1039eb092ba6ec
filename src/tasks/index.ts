/**
 * Hardhat tasks for people operating a consortium: deployment, governance proposals and settlements.
 */
export {};
