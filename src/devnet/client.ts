/**
 * Finding a QBFT client the way a bank's machine has one: Besu as `$BESU_HOME/bin/besu` or `besu` on PATH; GoQuorum
 * as the geth named by `QUORUM_GETH`, or a `geth` on PATH whose `geth version` reports a "Quorum Version". An
 * explicit choice (`besu`, `goquorum`) looks only for that client; `auto` takes Besu first.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { DevnetError } from "./errors";
import type { ClientKind } from "./spec";

const run = promisify(execFile);

/** A client found on this machine. */
export interface DevnetClient {
  kind: ClientKind;
  /** Absolute path of the executable. */
  command: string;
  /** Its version line (`Quorum Version: 24.4.1`, `besu/v24.12.0/...`). */
  version: string;
  /** How it was found (`QUORUM_GETH`, `BESU_HOME`, `PATH`). */
  foundBy: string;
}

/** The one message every "no client" failure gives: what was looked for and how to point the project at one. */
export const MISSING_CLIENT_MESSAGE =
  "no QBFT client found: install Besu and put `besu` on PATH (or set BESU_HOME), or set QUORUM_GETH to a " +
  "GoQuorum geth (or put one on PATH as `geth`)";

type Env = Record<string, string | undefined>;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

async function versionOf(command: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(command, args, {
      timeout: 30_000,
      env: { ...process.env, PRIVATE_CONFIG: "ignore" },
    });
    return `${stdout}\n${stderr}`;
  } catch {
    return undefined;
  }
}

async function goQuorumAt(command: string, foundBy: string): Promise<DevnetClient | undefined> {
  const output = await versionOf(command, ["version"]);
  const line = output?.split("\n").find((l) => l.startsWith("Quorum Version:"));
  return line === undefined ? undefined : { kind: "goquorum", command, version: line.trim(), foundBy };
}

async function besuAt(command: string, foundBy: string): Promise<DevnetClient | undefined> {
  const output = await versionOf(command, ["--version"]);
  const line = output?.split("\n").find((l) => l.toLowerCase().startsWith("besu/"));
  return line === undefined ? undefined : { kind: "besu", command, version: line.trim(), foundBy };
}

async function findBesu(env: Env): Promise<DevnetClient | undefined> {
  const home = env.BESU_HOME;
  if (home !== undefined && home !== "") {
    const command = path.resolve(home, "bin", "besu");
    const found = executable(command) ? await besuAt(command, "BESU_HOME") : undefined;
    if (found === undefined) {
      throw new DevnetError("DEVNET_CLIENT_NOT_FOUND", `BESU_HOME is set but ${command} is not a working Besu`, {
        command,
      });
    }
    return found;
  }
  const command = onPath("besu", env);
  return command === undefined ? undefined : besuAt(command, "PATH");
}

async function findGoQuorum(env: Env): Promise<DevnetClient | undefined> {
  const named = env.QUORUM_GETH;
  if (named !== undefined && named !== "") {
    const command = path.resolve(named);
    const found = executable(command) ? await goQuorumAt(command, "QUORUM_GETH") : undefined;
    if (found === undefined) {
      throw new DevnetError(
        "DEVNET_CLIENT_NOT_FOUND",
        `QUORUM_GETH is set but ${command} is not a GoQuorum geth (no "Quorum Version" in "geth version")`,
        { command },
      );
    }
    return found;
  }
  const command = onPath("geth", env);
  return command === undefined ? undefined : goQuorumAt(command, "PATH");
}

/** The client to run: the one asked for, or with `auto` the first found (Besu, then GoQuorum). */
export async function findClient(wanted: ClientKind | "auto", env: Env = process.env): Promise<DevnetClient> {
  const order: ClientKind[] = wanted === "auto" ? ["besu", "goquorum"] : [wanted];
  for (const kind of order) {
    const found = kind === "besu" ? await findBesu(env) : await findGoQuorum(env);
    if (found !== undefined) return found;
  }
  const which = wanted === "auto" ? "" : ` (${wanted} was asked for)`;
  throw new DevnetError("DEVNET_CLIENT_NOT_FOUND", `${MISSING_CLIENT_MESSAGE}${which}`, { wanted });
}
