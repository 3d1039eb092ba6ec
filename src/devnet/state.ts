/**
 * The devnet's state directory (`.devnet/` in the project, or `DEVNET_DIR`): `state.json` records the spec, the
 * nodes (address, enode, ports, directory) and the pid of every node process started, written as soon as a process
 * starts, so that `devnet:stop` finds every process even after the task that started them crashed. It never holds a
 * private key: node keys live in each node's own files.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { DevnetError } from "./errors";
import { CLIENT_KINDS, devnetSpecSchema } from "./spec";

export const STATE_FILE = "state.json";

const nodeStateSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  address: z.string(),
  publicKey: z.string(),
  host: z.string(),
  p2pPort: z.number().int(),
  rpcPort: z.number().int(),
  rpcUrl: z.string(),
  /** The node's directory, relative to the state directory. */
  dir: z.string(),
  /** Process id while the devnet believes the node runs; null when stopped. */
  pid: z.number().int().positive().nullable(),
  /** Which client the process runs (set at start). */
  client: z.enum(CLIENT_KINDS).nullable(),
  startedAt: z.string().nullable(),
});

export const devnetStateSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  spec: devnetSpecSchema.innerType().omit({ nodeKeys: true }),
  validators: z.array(z.string()),
  nodes: z.array(nodeStateSchema),
});

export type DevnetState = z.infer<typeof devnetStateSchema>;
export type NodeState = z.infer<typeof nodeStateSchema>;

/** The state directory: `DEVNET_DIR` when set, else `<root>/.devnet`. */
export function devnetDir(root: string, env: Record<string, string | undefined> = process.env): string {
  const configured = env.DEVNET_DIR;
  return configured !== undefined && configured !== "" ? path.resolve(configured) : path.join(root, ".devnet");
}

/** The recorded state, or undefined when the directory holds none. */
export function readDevnetState(dir: string): DevnetState | undefined {
  const file = path.join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new DevnetError("DEVNET_STATE_INVALID", `${file} is not readable JSON`, { file }, cause);
  }
  const parsed = devnetStateSchema.safeParse(json);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    throw new DevnetError("DEVNET_STATE_INVALID", `${file}: ${issues[0].path}: ${issues[0].message}`, {
      file,
      issues,
    });
  }
  return parsed.data;
}

/** The recorded state; `DEVNET_NOT_INITIALISED` when there is none. */
export function requireDevnetState(dir: string): DevnetState {
  const state = readDevnetState(dir);
  if (state === undefined) {
    throw new DevnetError("DEVNET_NOT_INITIALISED", `no devnet in ${dir}: run "hardhat devnet:init" first`, { dir });
  }
  return state;
}

/** Writes the state atomically (a crash leaves the old or the new file, never half of one). */
export async function writeDevnetState(dir: string, state: DevnetState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, STATE_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, file);
}
