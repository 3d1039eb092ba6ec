/**
 * Hardhat configuration: Solidity built with the npm `solc` package (no compiler downloads),
 * EVM target `paris` so one bytecode runs on every QBFT client, and the project's tasks.
 */
import path from "node:path";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import type { NetworksUserConfig } from "hardhat/types";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";

import { installCliErrors } from "./src/tasks";
import "./src/demo/tasks";
import "./src/api/api-task";
import { qbftNetworkConfig } from "./src/devnet/hardhat";

// The one compiler version the project uses; it must equal the installed npm `solc` package.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion === SOLC_VERSION) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const solc = require("solc") as { version(): string };
    const longVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
    return {
      compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"),
      isSolcJs: true,
      version: args.solcVersion,
      longVersion,
    };
  }
  return runSuper() as Promise<unknown>;
});

/**
 * A real network is named from the environment, never written here: `RPC_URL` gives the node's JSON-RPC URL
 * and `--network rpc` uses it; the chain id is read from the node. It has no software keys: every task that
 * signs there goes through a bank's participant (`--participant-config`), its HSM key and policy gate.
 */
const rpcNetwork: NetworksUserConfig =
  process.env.RPC_URL === undefined || process.env.RPC_URL === ""
    ? {}
    : { rpc: { url: process.env.RPC_URL, accounts: [] } };

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: "paris",
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  networks: {
    hardhat: {
      // Paris keeps the in-process chain on the same EVM rules as the bytecode we ship.
      hardfork: "merge",
      initialBaseFeePerGas: 0,
    },
    // The local QBFT devnet (`hardhat devnet:start`) only: URL from its state (or QBFT_RPC_URL for a devnet on
    // another host), chain id from the node, the public development keys its genesis funds.
    qbft: qbftNetworkConfig(__dirname),
    ...rpcNetwork,
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
  },
  mocha: {
    timeout: 120_000,
    reporter: path.join(__dirname, "test", "support", "reporter.js"),
  },
};

installCliErrors(Object.keys(config.networks ?? {}));

export { config as default };
