/**
 * `devnet:*`: a local QBFT network on the client this machine has. `devnet:init` writes both clients' files from a
 * spec, `devnet:start` starts the nodes and reports progress until blocks are produced, `devnet:status` shows the
 * validators, head, peers and each node's health, `devnet:stop` stops every node process (also those a crashed task
 * left). `--node <i>` starts or stops one node. The state directory is `.devnet/` (or `DEVNET_DIR`); the `qbft`
 * network entry points Hardhat at its first node.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { commandTask } from "./define";
import type { Output } from "./output";

interface InitArgs {
  spec?: string;
  validators?: string;
  chainId?: string;
  client?: string;
  force: boolean;
  json: boolean;
}

interface NodeArgs {
  node?: string;
  json: boolean;
}

async function devnet() {
  // Loaded on use: hardhat.config.ts loads every task file for every command.
  return import("../devnet");
}

function dirOf(hre: HardhatRuntimeEnvironment, lib: Awaited<ReturnType<typeof devnet>>): string {
  return lib.devnetDir(hre.config.paths.root);
}

function integer(value: string | undefined, name: string, lib: Awaited<ReturnType<typeof devnet>>): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new lib.DevnetError("DEVNET_SPEC_INVALID", `--${name} must be a whole number, got "${value}"`, {
      [name]: value,
    });
  }
  return Number(value);
}

commandTask(
  "devnet:init",
  "Write a QBFT devnet (Besu and GoQuorum files, node keys) from a spec; nothing is started",
  (t) =>
    t
      .addOptionalParam("spec", "Devnet spec (JSON); defaults: 4 validators, chain 1337, 1 s blocks")
      .addOptionalParam("validators", "Number of validators (overrides the spec)")
      .addOptionalParam("chainId", "Chain id (overrides the spec)")
      .addOptionalParam("client", "besu, goquorum or auto (overrides the spec)")
      .addFlag("force", "Replace an existing, stopped devnet"),
  async (args: InitArgs, out: Output, hre) => {
    const lib = await devnet();
    const base = args.spec === undefined ? {} : await readSpecJson(args.spec, lib);
    const overrides = {
      ...(args.validators === undefined ? {} : { validators: integer(args.validators, "validators", lib) }),
      ...(args.chainId === undefined ? {} : { chainId: integer(args.chainId, "chain-id", lib) }),
      ...(args.client === undefined ? {} : { client: args.client }),
    };
    // Contract validator selection predeploys the compiled ValidatorSet (init refuses that mode without it).
    const validatorSetCode = (await hre.artifacts.artifactExists("ValidatorSet"))
      ? (await hre.artifacts.readArtifact("ValidatorSet")).deployedBytecode
      : undefined;
    const result = await lib.initDevnet(
      dirOf(hre, lib),
      { ...base, ...overrides },
      { force: args.force, validatorSetCode },
    );
    const { state } = result;
    out.line(`${result.replaced ? "Replaced" : "Wrote"} a QBFT devnet in ${result.dir} (chain ${state.spec.chainId}).`);
    out.table(
      ["node", "validator", "p2p", "rpc"],
      state.nodes.map((n) => [n.name, n.address, String(n.p2pPort), n.rpcUrl]),
    );
    const standby = state.nodes.slice(state.spec.validators).map((n) => n.name);
    if (standby.length > 0) out.line(`Standby (not genesis validators): ${standby.join(", ")}.`);
    if (state.spec.validatorSelection === "contract") {
      out.line(
        `Validators from the ValidatorSet contract at ${state.spec.validatorContract.address}; ` +
          `bind its governor with "npx hardhat --network qbft validators:bind" after deploying.`,
      );
    }
    out.line(`Start it with "npx hardhat devnet:start" (client: ${state.spec.client}).`);
    // A new genesis is a new chain: what Ignition journaled for an earlier chain with the same id no longer holds.
    const journal = path.join(hre.config.paths.ignition, "deployments", `chain-${state.spec.chainId}`);
    if (existsSync(journal)) {
      out.line(
        `  note: ${path.relative(hre.config.paths.root, journal)} journals an earlier chain; delete it before deploying`,
      );
    }
    return out.result({
      dir: result.dir,
      chainId: state.spec.chainId,
      nodes: state.nodes,
      validators: state.validators,
    });
  },
);

async function readSpecJson(file: string, lib: Awaited<ReturnType<typeof devnet>>): Promise<Record<string, unknown>> {
  return { ...(await lib.loadDevnetSpec(file)) };
}

commandTask(
  "devnet:start",
  "Start the devnet's nodes (or one with --node) and wait until blocks are produced",
  (t) => t.addOptionalParam("node", "Start only this node (index), e.g. after devnet:stop --node"),
  async (args: NodeArgs, out: Output, hre) => {
    const lib = await devnet();
    const dir = dirOf(hre, lib);
    if (lib.readDevnetState(dir) === undefined) {
      out.line(`No devnet in ${dir}: writing one with the default spec.`);
      await lib.initDevnet(dir, {});
    }
    const result = await lib.startDevnet(dir, {
      node: integer(args.node, "node", lib),
      onProgress: (message) => out.line(`  ${message}`),
    });
    out.line(
      args.node === undefined
        ? `Devnet producing blocks (head ${result.head}) ${(result.elapsedMs / 1000).toFixed(1)} s after start.`
        : `Node ${args.node} answers (head ${result.head}) ${(result.elapsedMs / 1000).toFixed(1)} s after start.`,
    );
    return out.result({ ...result, dir });
  },
);

commandTask(
  "devnet:status",
  "Show the devnet's validators, head, peers and each node's health",
  (t) => t,
  async (args: { json: boolean }, out: Output, hre) => {
    const lib = await devnet();
    const status = await lib.devnetStatus(dirOf(hre, lib));
    out.line(`Devnet in ${status.dir}, chain ${status.chainId}.`);
    out.line(`Validators: ${(status.validators ?? status.genesisValidators).join(" ")}`);
    if (status.validators === null) out.line("  (no node answered: genesis validators shown)");
    out.table(
      ["node", "address", "pid", "health", "head", "peers", "rpc"],
      status.nodes.map((n) => [
        n.name,
        n.address,
        n.pid === null ? "-" : String(n.pid),
        !n.running ? "stopped" : n.head === null ? "not answering" : "up",
        n.head === null ? "-" : String(n.head),
        n.peers === null ? "-" : String(n.peers),
        n.rpcUrl,
      ]),
    );
    return out.result(status);
  },
);

commandTask(
  "devnet:stop",
  "Stop the devnet's node processes (or one with --node), including any a crashed task left running",
  (t) => t.addOptionalParam("node", "Stop only this node (index)"),
  async (args: NodeArgs, out: Output, hre) => {
    const lib = await devnet();
    const result = await lib.stopDevnet(dirOf(hre, lib), { node: integer(args.node, "node", lib) });
    out.line(result.stopped.length === 0 ? "No devnet node was running." : `Stopped ${result.stopped.join(", ")}.`);
    return out.result(result);
  },
);
