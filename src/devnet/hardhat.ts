/**
 * The `qbft` network entry for Hardhat, read from the devnet's state: the URL of its first node (or `QBFT_RPC_URL`),
 * the development accounts, and gas price 0 so that every transaction is a legacy one with a zero price (GoQuorum's
 * EVM stops at Berlin; Besu runs with `zeroBaseFee`). The chain id is not pinned: Hardhat reads it from the node.
 * Loaded by `hardhat.config.ts` for every command, so it stays synchronous and light.
 */
import type { HttpNetworkUserConfig } from "hardhat/types";
import { DEV_ACCOUNT_COUNT, DEV_MNEMONIC } from "./spec";
import { devnetDir, readDevnetState } from "./state";

/** The URL the `qbft` network uses when neither the environment nor a devnet names one. */
export const DEFAULT_QBFT_URL = "http://127.0.0.1:8545";

/** The `qbft` network entry (see the module comment). */
export function qbftNetworkConfig(
  root: string,
  env: Record<string, string | undefined> = process.env,
): HttpNetworkUserConfig {
  let url = env.QBFT_RPC_URL;
  if (url === undefined || url === "") {
    let state;
    try {
      state = readDevnetState(devnetDir(root, env));
    } catch {
      state = undefined; // a broken state file must not break every Hardhat command; devnet:status reports it
    }
    url = state?.nodes[0]?.rpcUrl ?? DEFAULT_QBFT_URL;
  }
  return {
    url,
    accounts: { mnemonic: DEV_MNEMONIC, count: DEV_ACCOUNT_COUNT },
    gasPrice: 0,
    timeout: 120_000,
  };
}
