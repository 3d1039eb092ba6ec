/**
 * Running a devnet: `startDevnet` (all nodes, or one to restart it) until blocks are produced, `stopDevnet`
 * (all nodes or one; no process left behind, also for pids recorded by a task that crashed) and `devnetStatus`
 * (validators, head, peers and each node's health, read over JSON-RPC).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { findClient, type DevnetClient } from "./client";
import { DevnetError } from "./errors";
import { assertPortsFree } from "./ports";
import { liveNodes, logTail, nodeDir, ownsProcess, spawnNode, stopNodeProcess } from "./process";
import { rpcCall } from "./rpc";
import { requireDevnetState, writeDevnetState, type DevnetState, type NodeState } from "./state";

const POLL_MS = 250;

/** What `startDevnet` reports while it waits. */
export type StartProgress = (message: string) => void;

export interface StartOptions {
  /** Start only this node (by index): a restart after `stopDevnet({ node })`. */
  node?: number;
  onProgress?: StartProgress;
  env?: Record<string, string | undefined>;
}

export interface StartResult {
  client: DevnetClient;
  started: { name: string; pid: number }[];
  /** The head block once production was seen (all-node start) or when the node answered (single node). */
  head: number;
  /** Milliseconds from the first spawn to the first new block (all-node start) or to the node's first answer. */
  elapsedMs: number;
}

function pick(state: DevnetState, index: number | undefined): NodeState[] {
  if (index === undefined) return state.nodes;
  const node = state.nodes.find((n) => n.index === index);
  if (node === undefined) {
    throw new DevnetError("DEVNET_SPEC_INVALID", `no node ${index} (nodes 0 to ${state.nodes.length - 1})`, {
      node: index,
    });
  }
  return [node];
}

async function blockNumber(node: Pick<NodeState, "rpcUrl">, timeoutMs: number): Promise<number | undefined> {
  try {
    return Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber", [], timeoutMs));
  } catch {
    return undefined;
  }
}

/** Starts the devnet's nodes and waits until they answer and (for a full start) a new block is produced. */
export async function startDevnet(dir: string, options: StartOptions = {}): Promise<StartResult> {
  const state = requireDevnetState(dir);
  const progress = options.onProgress ?? (() => undefined);
  const client = await findClient(state.spec.client, options.env);
  const targets = pick(state, options.node);
  const running = targets.filter((n) => liveNodes(dir, state).includes(n));
  if (running.length > 0) {
    throw new DevnetError(
      "DEVNET_ALREADY_RUNNING",
      `already running: ${running.map((n) => `${n.name} (pid ${n.pid})`).join(", ")}`,
      { dir, pids: running.map((n) => n.pid) },
    );
  }
  await assertPortsFree(
    state.spec.host,
    targets.flatMap((n) => [
      { label: `${n.name} p2p`, port: n.p2pPort },
      { label: `${n.name} rpc`, port: n.rpcPort },
    ]),
  );
  progress(`client: ${client.kind} ${client.version} (${client.command}, found by ${client.foundBy})`);

  const began = Date.now();
  const started: NodeState[] = [];
  try {
    for (const node of targets) {
      node.pid = await spawnNode(dir, state, node, client);
      node.client = client.kind;
      node.startedAt = new Date().toISOString();
      started.push(node);
      await writeDevnetState(dir, state); // recorded before anything else can fail
      progress(`${node.name} started (pid ${node.pid}, p2p ${node.p2pPort}, rpc ${node.rpcUrl})`);
    }
    const head = await waitUntilReady(dir, state, started, options.node === undefined, progress);
    return {
      client,
      started: started.map((n) => ({ name: n.name, pid: n.pid ?? 0 })),
      head,
      elapsedMs: Date.now() - began,
    };
  } catch (error) {
    // Leave nothing running that this call started.
    await stopNodes(dir, state, started);
    throw error;
  }
}

async function waitUntilReady(
  dir: string,
  state: DevnetState,
  nodes: NodeState[],
  needBlocks: boolean,
  progress: StartProgress,
): Promise<number> {
  const timeoutMs = state.spec.startTimeoutSeconds * 1000;
  const rpcMs = state.spec.rpcTimeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const answered = new Set<string>();
  let first: number | undefined;
  for (;;) {
    for (const node of nodes) {
      if (node.pid === null || !ownsProcess(node.pid, nodeDir(dir, node))) {
        const tail = logTail(dir, node);
        throw new DevnetError(
          "DEVNET_START_FAILED",
          `${node.name} exited during start; last log lines: ${tail.join(" | ") || "(none)"}`,
          { node: node.name, log: tail },
        );
      }
      if (!answered.has(node.name) && (await blockNumber(node, rpcMs)) !== undefined) {
        answered.add(node.name);
        progress(`${node.name} answers on ${node.rpcUrl}`);
      }
    }
    if (answered.size === nodes.length) {
      const head = await blockNumber(nodes[0], rpcMs);
      if (head !== undefined) {
        if (!needBlocks) return head;
        if (first === undefined) {
          first = head;
          progress(`waiting for blocks (head ${head})`);
        } else if (head > first) {
          progress(`blocks are produced (head ${head})`);
          return head;
        }
      }
    }
    if (Date.now() > deadline) {
      throw new DevnetError(
        "DEVNET_START_FAILED",
        `no ${answered.size === nodes.length ? "new block" : "answer from every node"} within ` +
          `${state.spec.startTimeoutSeconds}s (answered: ${[...answered].join(", ") || "none"})`,
        { answered: [...answered] },
      );
    }
    await sleep(POLL_MS);
  }
}

async function stopNodes(dir: string, state: DevnetState, nodes: readonly NodeState[]): Promise<string[]> {
  const stopped: string[] = [];
  const failures: unknown[] = [];
  for (const node of nodes) {
    try {
      if (await stopNodeProcess(dir, node, state.spec.stopTimeoutSeconds * 1000)) stopped.push(node.name);
      node.pid = null;
      node.startedAt = null;
    } catch (error) {
      failures.push(error);
    }
  }
  await writeDevnetState(dir, state);
  if (failures.length > 0) throw failures[0];
  return stopped;
}

/** Stops every node (or one); returns the names of the nodes whose process was running. */
export async function stopDevnet(dir: string, options: { node?: number } = {}): Promise<{ stopped: string[] }> {
  const state = requireDevnetState(dir);
  return { stopped: await stopNodes(dir, state, pick(state, options.node)) };
}

/** One node's health as its JSON-RPC reports it. */
export interface NodeStatus {
  name: string;
  address: string;
  rpcUrl: string;
  pid: number | null;
  running: boolean;
  /** null when the node did not answer. */
  head: number | null;
  peers: number | null;
}

export interface DevnetStatus {
  dir: string;
  chainId: number;
  /** The validator set as the first answering node reports it (istanbul_getValidators / qbft_getValidators...). */
  validators: string[] | null;
  /** The genesis validators. */
  genesisValidators: string[];
  nodes: NodeStatus[];
}

/** The validator set at the head, as `node` reports it (the method depends on the client). */
export async function validatorsOf(node: NodeState, timeoutMs: number): Promise<string[]> {
  const result =
    node.client === "besu"
      ? await rpcCall<string[]>(node.rpcUrl, "qbft_getValidatorsByBlockNumber", ["latest"], timeoutMs)
      : await rpcCall<string[]>(node.rpcUrl, "istanbul_getValidators", ["latest"], timeoutMs);
  return result.map((a) => a.toLowerCase()).sort();
}

/** Reads every node's health; never throws for a node that is down. */
export async function devnetStatus(dir: string): Promise<DevnetStatus> {
  const state = requireDevnetState(dir);
  const rpcMs = state.spec.rpcTimeoutSeconds * 1000;
  const nodes: NodeStatus[] = [];
  let validators: string[] | null = null;
  for (const node of state.nodes) {
    const running = node.pid !== null && ownsProcess(node.pid, nodeDir(dir, node));
    const head = running ? ((await blockNumber(node, rpcMs)) ?? null) : null;
    let peers: number | null = null;
    if (head !== null) {
      peers = Number(await rpcCall<string>(node.rpcUrl, "net_peerCount", [], rpcMs).catch(() => "NaN"));
      if (Number.isNaN(peers)) peers = null;
      if (validators === null) validators = await validatorsOf(node, rpcMs).catch(() => null);
    }
    nodes.push({ name: node.name, address: node.address, rpcUrl: node.rpcUrl, pid: node.pid, running, head, peers });
  }
  return { dir, chainId: state.spec.chainId, validators, genesisValidators: state.validators, nodes };
}
