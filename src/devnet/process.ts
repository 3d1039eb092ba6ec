/**
 * Node processes: started detached (each in its own process group, output to `<node>/node.log`), recognised
 * afterwards by pid and by their command line naming the node's directory (a recycled pid is never mistaken for a
 * node), and stopped with SIGTERM, then SIGKILL after the spec's stop timeout.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { DevnetClient } from "./client";
import { DevnetError } from "./errors";
import type { DevnetState, NodeState } from "./state";

const run = promisify(execFile);
/** GoQuorum refuses to start without a private transaction manager unless told to ignore it. */
const CLIENT_ENV = { PRIVATE_CONFIG: "ignore" };
const POLL_MS = 100;

/** The node's directory. */
export function nodeDir(dir: string, node: Pick<NodeState, "dir">): string {
  return path.join(dir, node.dir);
}

/** The node's log file. */
export function nodeLog(dir: string, node: Pick<NodeState, "dir">): string {
  return path.join(nodeDir(dir, node), "node.log");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when `pid` runs and its command line names `marker` (the node's directory). */
export function ownsProcess(pid: number, marker: string): boolean {
  if (!alive(pid)) return false;
  const proc = `/proc/${pid}/cmdline`;
  if (!existsSync("/proc/self/cmdline")) return true; // no procfs: the pid is all there is to go on
  try {
    return readFileSync(proc, "utf8").split("\0").join(" ").includes(marker);
  } catch {
    return false;
  }
}

/** The nodes whose recorded process still runs. */
export function liveNodes(dir: string, state: DevnetState): NodeState[] {
  return state.nodes.filter((n) => n.pid !== null && ownsProcess(n.pid, nodeDir(dir, n)));
}

/** The command line that runs `node` on `client`. */
export function nodeCommand(dir: string, state: DevnetState, node: NodeState, client: DevnetClient): string[] {
  const home = nodeDir(dir, node);
  if (client.kind === "besu") return ["--config-file", path.join(home, "besu", "config.toml")];
  return [
    "--datadir",
    path.join(home, "goquorum"),
    "--nodiscover",
    "--nat",
    "none",
    "--syncmode",
    "full",
    "--mine",
    "--miner.threads",
    "1",
    "--miner.gasprice",
    "0",
    "--networkid",
    String(state.spec.chainId),
    "--port",
    String(node.p2pPort),
    "--http",
    "--http.addr",
    node.host,
    "--http.port",
    String(node.rpcPort),
    "--http.api",
    "eth,net,web3,istanbul,txpool,admin",
    "--ipcdisable",
    "--verbosity",
    "3",
  ];
}

/** GoQuorum only: writes the genesis block into the node's data directory once. */
async function initialiseGoQuorum(dir: string, node: NodeState, client: DevnetClient): Promise<void> {
  const datadir = path.join(nodeDir(dir, node), "goquorum");
  if (existsSync(path.join(datadir, "geth", "chaindata"))) return;
  try {
    await run(client.command, ["--datadir", datadir, "init", path.join(dir, "goquorum", "genesis.json")], {
      env: { ...process.env, ...CLIENT_ENV },
      timeout: 60_000,
    });
  } catch (cause) {
    const stderr = `${(cause as { stderr?: string }).stderr ?? ""}`.trim().split("\n").slice(-3).join(" | ");
    throw new DevnetError(
      "DEVNET_START_FAILED",
      `${node.name}: geth init failed: ${stderr}`,
      { node: node.name },
      cause,
    );
  }
}

/** Starts one node detached and returns its pid (the caller records it at once). */
export async function spawnNode(
  dir: string,
  state: DevnetState,
  node: NodeState,
  client: DevnetClient,
): Promise<number> {
  if (client.kind === "goquorum") await initialiseGoQuorum(dir, node, client);
  const log = openSync(nodeLog(dir, node), "a");
  try {
    const child = spawn(client.command, nodeCommand(dir, state, node, client), {
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, ...CLIENT_ENV },
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    child.unref();
    if (child.pid === undefined) throw new Error("no pid");
    return child.pid;
  } catch (cause) {
    throw new DevnetError(
      "DEVNET_START_FAILED",
      `${node.name}: ${client.command} did not start`,
      { node: node.name },
      cause,
    );
  } finally {
    closeSync(log);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name); // the node's process group: the client and anything it started
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  }
}

async function gone(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!ownsProcess(pid, marker)) return true;
    await sleep(POLL_MS);
  }
  return !ownsProcess(pid, marker);
}

/** Stops the node's process: SIGTERM, then SIGKILL after `timeoutMs`. False when it was not running. */
export async function stopNodeProcess(dir: string, node: NodeState, timeoutMs: number): Promise<boolean> {
  if (node.pid === null) return false;
  const marker = nodeDir(dir, node);
  if (!ownsProcess(node.pid, marker)) return false;
  signal(node.pid, "SIGTERM");
  if (await gone(node.pid, marker, timeoutMs)) return true;
  signal(node.pid, "SIGKILL");
  if (await gone(node.pid, marker, timeoutMs)) return true;
  throw new DevnetError("DEVNET_STOP_FAILED", `${node.name} (pid ${node.pid}) did not exit after SIGKILL`, {
    node: node.name,
    pid: node.pid,
  });
}

/** The last lines of a node's log (for failure messages). */
export function logTail(dir: string, node: NodeState, lines = 5): string[] {
  try {
    return readFileSync(nodeLog(dir, node), "utf8").trimEnd().split("\n").slice(-lines);
  } catch {
    return [];
  }
}
