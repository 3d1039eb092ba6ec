/**
 * `init`: turns a spec into a devnet directory holding both clients' files, so one set of keys runs on Besu or on
 * GoQuorum. Refuses to replace an existing devnet unless asked, and never one whose nodes are running. Standby nodes
 * (spec `standbyNodes`) get keys, ports and files like validators but are left out of the genesis validator set.
 *
 *     <dir>/state.json                     spec, nodes, pids (see state.ts)
 *     <dir>/besu/genesis.json              Besu's genesis
 *     <dir>/goquorum/genesis.json          GoQuorum's genesis
 *     <dir>/node-<i>/besu/key              Besu node key (0x hex)
 *     <dir>/node-<i>/besu/config.toml      Besu node configuration
 *     <dir>/node-<i>/besu/static-nodes.json
 *     <dir>/node-<i>/goquorum/geth/nodekey GoQuorum node key (hex, no 0x)
 *     <dir>/node-<i>/goquorum/static-nodes.json
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { DevnetError } from "./errors";
import { besuGenesis, besuNodeToml, genesisValidators, goQuorumGenesis, planNodes, staticNodes } from "./forms";
import { generateNodeKey, nodeKeyFromHex, type NodeKey } from "./keys";
import { assertPortsFree } from "./ports";
import { liveNodes } from "./process";
import { parseDevnetSpec, type DevnetSpec } from "./spec";
import { readDevnetState, writeDevnetState, type DevnetState } from "./state";
import { validatorContractGenesis } from "./validator-set";

export interface InitOptions {
  /** Replace an existing (stopped) devnet in the directory. */
  force?: boolean;
  /** The compiled `ValidatorSet` runtime bytecode; required for contract validator selection. */
  validatorSetCode?: string;
}

export interface InitResult {
  dir: string;
  state: DevnetState;
  replaced: boolean;
}

/** The node keys of the spec, or fresh ones; refuses malformed and repeated keys. */
export function nodeKeysFor(spec: DevnetSpec): NodeKey[] {
  const count = spec.validators + spec.standbyNodes;
  if (spec.nodeKeys === undefined) return Array.from({ length: count }, () => generateNodeKey());
  const keys = spec.nodeKeys.map((hex, i) => nodeKeyFromHex(hex, i));
  const seen = new Map<string, number>();
  keys.forEach((k, i) => {
    const first = seen.get(k.address);
    if (first !== undefined) {
      throw new DevnetError("DEVNET_KEY_INVALID", `node keys ${first} and ${i} are the same key`, {
        indexes: [first, i],
      });
    }
    seen.set(k.address, i);
  });
  return keys;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Writes a devnet for `specInput` into `dir` (see the module comment). Nothing is started. */
export async function initDevnet(dir: string, specInput: unknown, options: InitOptions = {}): Promise<InitResult> {
  const spec = parseDevnetSpec(specInput);
  const keys = nodeKeysFor(spec);
  // Checked before anything is written: contract mode needs the compiled contract.
  const genesisSet = genesisValidators(keys.slice(0, spec.validators).map((key) => ({ key })));
  const contract = validatorContractGenesis(spec, genesisSet, options.validatorSetCode);
  const existing = readDevnetState(dir);
  if (existing !== undefined) {
    const live = liveNodes(dir, existing);
    if (live.length > 0) {
      throw new DevnetError(
        "DEVNET_ALREADY_RUNNING",
        `the devnet in ${dir} is running (${live.map((n) => `${n.name} pid ${n.pid}`).join(", ")}): stop it first`,
        { dir, pids: live.map((n) => n.pid) },
      );
    }
    if (options.force !== true) {
      throw new DevnetError("DEVNET_EXISTS", `a devnet already exists in ${dir}: use --force to replace it`, { dir });
    }
  }
  const nodes = planNodes(spec, keys);
  await assertPortsFree(
    spec.host,
    nodes.flatMap((n) => [
      { label: `${n.name} p2p`, port: n.p2pPort },
      { label: `${n.name} rpc`, port: n.rpcPort },
    ]),
  );

  if (existsSync(dir)) {
    const entries = await readdir(dir);
    // Only a directory that holds a devnet is emptied: anything else named by mistake is left alone.
    if (existing === undefined && entries.length > 0) {
      throw new DevnetError("DEVNET_EXISTS", `${dir} is not empty and holds no devnet: choose another directory`, {
        dir,
      });
    }
    for (const entry of entries) await rm(path.join(dir, entry), { recursive: true, force: true });
  }
  const validators = genesisSet;
  const besuGenesisFile = path.join(dir, "besu", "genesis.json");
  await mkdir(path.dirname(besuGenesisFile), { recursive: true });
  await writeFile(besuGenesisFile, json(besuGenesis(spec, validators, contract)));
  await mkdir(path.join(dir, "goquorum"), { recursive: true });
  await writeFile(path.join(dir, "goquorum", "genesis.json"), json(goQuorumGenesis(spec, validators, contract)));

  for (const node of nodes) {
    const besuDir = path.join(dir, node.name, "besu");
    await mkdir(path.join(besuDir, "data"), { recursive: true });
    await writeFile(path.join(besuDir, "key"), node.key.privateKey, { mode: 0o600 });
    await writeFile(path.join(besuDir, "static-nodes.json"), json(staticNodes(nodes, "besu")));
    await writeFile(
      path.join(besuDir, "config.toml"),
      besuNodeToml(node, {
        dataPath: path.join(besuDir, "data"),
        genesisFile: besuGenesisFile,
        keyFile: path.join(besuDir, "key"),
        staticNodesFile: path.join(besuDir, "static-nodes.json"),
      }),
    );
    const gethDir = path.join(dir, node.name, "goquorum");
    await mkdir(path.join(gethDir, "geth"), { recursive: true });
    await writeFile(path.join(gethDir, "geth", "nodekey"), node.key.privateKey.slice(2), { mode: 0o600 });
    await writeFile(path.join(gethDir, "static-nodes.json"), json(staticNodes(nodes, "goquorum")));
  }

  const recorded: Omit<DevnetSpec, "nodeKeys"> & { nodeKeys?: unknown } = { ...spec };
  delete recorded.nodeKeys; // keys stay in the nodes' own files
  const state: DevnetState = {
    version: 1,
    createdAt: new Date().toISOString(),
    spec: recorded,
    validators,
    nodes: nodes.map((n) => ({
      index: n.index,
      name: n.name,
      address: n.key.address,
      publicKey: n.key.publicKey,
      host: n.host,
      p2pPort: n.p2pPort,
      rpcPort: n.rpcPort,
      rpcUrl: n.rpcUrl,
      dir: n.name,
      pid: null,
      client: null,
      startedAt: null,
    })),
  };
  await writeDevnetState(dir, state);
  return { dir, state, replaced: existing !== undefined };
}
