/**
 * Hardhat configuration: Solidity built with the npm `solc` package (no compiler downloads),
 * EVM target `paris` so one bytecode runs on every QBFT client, and the project's tasks.
 */
import path from "node:path";
import { subtask, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";

import "./src/tasks";
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
    // The local QBFT devnet (`hardhat devnet:start`): URL from its state or QBFT_RPC_URL, chain id from the node.
    qbft: qbftNetworkConfig(__dirname),
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

export { config as default };
