/**
 * A throw-away PostgreSQL cluster for one test run: a temporary data directory, `initdb`, `pg_ctl start` on a
 * free port with the socket in the same directory, and `stop()` (`pg_ctl stop -m fast`) that removes it all.
 * As root the server runs as the `postgres` user (initdb refuses root). With `PG_URL` set, that server is used
 * instead and nothing is started. Missing binaries fail loudly: the suite must not pass by testing nothing.
 */
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";

/** A running server: its connection URL and how to stop it. */
export interface TestPostgres {
  url: string;
  stop(): void;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Runs a server binary, as `postgres` when we are root; output is captured, never printed. */
function run(binary: string, args: readonly string[]): void {
  const exe = path.join(PG_BIN_DIR, binary);
  const [file, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", exe, ...args]] : [exe, [...args]];
  execFileSync(file, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: tmpdir() });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Starts a cluster (or returns `PG_URL`'s server). Call from `before`; call `stop()` from `after`. */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.PG_URL;
  if (external) return { url: external, stop: () => undefined };
  for (const binary of ["initdb", "pg_ctl", "postgres"]) {
    if (!existsSync(path.join(PG_BIN_DIR, binary))) {
      throw new Error(
        `PostgreSQL server binary ${path.join(PG_BIN_DIR, binary)} not found: install postgresql-15 ` +
          `(or set PG_BIN_DIR), or set PG_URL to an existing server`,
      );
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), "audit-pg-"));
  const data = path.join(dir, "data");
  mkdirSync(data, { mode: 0o700 });
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    for (const p of [dir, data]) chownSync(p, uid, gid);
  }
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      process.removeListener("exit", stop);
      try {
        run("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w"]);
      } catch {
        // Not running (start failed) or not stopping: make sure, then remove the directory anyway.
        try {
          run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]);
        } catch {
          // nothing left to stop
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
    started = true;
    // Safety net: a crashed run still stops its server.
    process.on("exit", stop);
    run("pg_ctl", ["start", "-D", data, "-w", "-t", "60", "-l", path.join(dir, "server.log"), "-o", options]);
    return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (error) {
    const logFile = path.join(dir, "server.log");
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2_000) : "";
    stop();
    throw new Error(`cannot start a test PostgreSQL cluster: ${String(error)}\n${log}`, { cause: error });
  }
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error("no `postgres` user to run the server as");
  return { uid, gid };
}
