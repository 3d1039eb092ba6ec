/**
 * A standby takes over: two processes of one bank on one PostgreSQL, one active by the bank's advisory lock,
 * the other waiting. SIGKILL of the active process frees the lock with its session and the standby takes
 * over; the fail-over time is measured and printed (never asserted: it depends on the machine's load). The
 * active side fails closed: when its connection is cut it stops counting itself active.
 */
import { expect } from "chai";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { leaderKey, LeaderLock } from "../../src/storage";
import { isFrameworkError } from "../../src/errors";
import { startPostgres, type TestPostgres } from "../support/postgres";
import type { LeaderJob } from "./leader-worker";

const WORKER = path.join(__dirname, "leader-worker.ts");
const HOOK = path.join(__dirname, "..", "support", "ts-cache.js");
const URL_ENV = "STORAGE_LEADER_TEST_URL";

/** A worker process and the lines it printed so far. */
interface Worker {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves with the first line starting with `prefix`. */
  line(prefix: string): Promise<string>;
}

function startWorker(job: LeaderJob, cache: string): Worker {
  const child = spawn(process.execPath, ["-r", HOOK, WORKER, JSON.stringify(job)], {
    env: { ...process.env, TS_TRANSPILE_CACHE: cache },
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => line.startsWith(w.prefix))) w.resolve(line);
    }
  });
  return {
    child,
    lines,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => l.startsWith(prefix));
        if (seen !== undefined) return resolve(seen);
        waiters.push({ prefix, resolve });
        child.once("exit", (code, signal) =>
          reject(new Error(`worker ended (${code ?? signal}) before "${prefix}": ${stderr}`)),
        );
      }),
  };
}

/** The pg_locks condition matching `bank`'s leader lock (a bigint key is kept as two 32-bit halves). */
function lockOf(bank: string): { where: string; params: number[] } {
  const key = leaderKey(bank);
  return {
    where: "locktype = 'advisory' AND granted AND objsubid = 1 AND classid::int = $1 AND objid::int = $2",
    params: [Number(BigInt.asIntN(32, key >> 32n)), Number(BigInt.asIntN(32, key))],
  };
}

async function query<T extends object>(url: string, text: string, params: unknown[]): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function advisoryHolders(url: string, bank: string): Promise<number> {
  const { where, params } = lockOf(bank);
  const rows = await query<{ n: string }>(url, `SELECT count(*) AS n FROM pg_locks WHERE ${where}`, params);
  return Number(rows[0].n);
}

describe("storage: a standby takes over from the active process", function () {
  this.timeout(120_000);
  let pg: TestPostgres | undefined;
  let cache = "";
  const workers: Worker[] = [];

  before(async function () {
    cache = mkdtempSync(path.join(tmpdir(), "leader-transpiled-"));
    pg = await startPostgres();
    process.env[URL_ENV] = pg.url;
  });

  after(function () {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    delete process.env[URL_ENV];
    pg?.stop();
    rmSync(cache, { recursive: true, force: true });
  });

  it("takes over when the active process is SIGKILLed, and prints the fail-over time", async function () {
    const job: LeaderJob = { bank: "Alpha Bank", urlEnv: URL_ENV, pollIntervalMs: 100, heartbeatMs: 500 };
    const active = startWorker(job, cache);
    workers.push(active);
    await active.line("active");
    const standby = startWorker(job, cache);
    workers.push(standby);
    await standby.line("standby");
    expect(standby.lines.some((l) => l.startsWith("active"))).to.equal(false);
    expect(await advisoryHolders(pg!.url, job.bank)).to.equal(1);

    const killedAt = Date.now();
    active.child.kill("SIGKILL");
    const took = Number((await standby.line("active")).split(" ")[1]);
    console.log(
      `      fail-over: ${took - killedAt} ms from SIGKILL to the standby holding the lock (poll ${job.pollIntervalMs} ms)`,
    );
    expect(await advisoryHolders(pg!.url, job.bank)).to.equal(1);
    standby.child.kill("SIGKILL");
  });

  it("keeps banks apart: another bank's process is active beside this bank's", async function () {
    const alpha = await LeaderLock.acquire({ bank: "Alpha Bank", postgres: { url: { env: URL_ENV } } });
    const beta = await LeaderLock.acquire({ bank: "Beta Bank", postgres: { url: { env: URL_ENV } } });
    try {
      expect([alpha.active, beta.active]).to.deep.equal([true, true]);
    } finally {
      await alpha.release();
      await beta.release();
    }
  });

  it("fails closed: the active process stops acting when its connection is cut", async function () {
    const lock = await LeaderLock.acquire({
      bank: "Gamma Bank",
      postgres: { url: { env: URL_ENV } },
      heartbeatMs: 200,
    });
    expect(lock.active).to.equal(true);
    const { where, params } = lockOf("Gamma Bank");
    await query(pg!.url, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE ${where}`, params);
    const reason = await lock.lost;
    expect(isFrameworkError(reason, "STORAGE_LEADERSHIP_LOST")).to.equal(true);
    expect(lock.active).to.equal(false);
    expect(() => lock.assertActive())
      .to.throw()
      .that.satisfies((e: unknown) => isFrameworkError(e, "STORAGE_LEADERSHIP_LOST"));
    await lock.release();
  });

  it("gives the lock to a waiting standby when the active one releases it", async function () {
    const config = { bank: "Delta Bank", postgres: { url: { env: URL_ENV } }, pollIntervalMs: 50 };
    const first = await LeaderLock.acquire(config);
    let standingBy = false;
    const second = LeaderLock.acquire(config, { onStandby: () => (standingBy = true) });
    while (!standingBy) await new Promise((resolve) => setTimeout(resolve, 20));
    await first.release();
    const next = await second;
    expect(next.active).to.equal(true);
    await next.release();
  });
});
