/**
 * Leadership for a standby: two processes of one bank (an active one and a standby) on one PostgreSQL. The
 * active one holds a session-level advisory lock (`pg_try_advisory_lock`) on a dedicated connection, keyed by
 * the bank's name; the standby tries again every `pollIntervalMs` and becomes active as soon as the lock is
 * free, which PostgreSQL makes it the moment the active process's session ends (a crash, a SIGKILL, a closed
 * socket).
 *
 * The active process fails closed: it checks its connection every `heartbeatMs` (a query that must answer
 * within `heartbeatMs`), and on any error, end of the connection or late answer it counts itself no longer
 * active (`active` turns false, `assertActive` throws STORAGE_LEADERSHIP_LOST, `lost` resolves) and closes the
 * connection, so it stops acting before a standby can have taken over. A server that drops sessions by TCP
 * keepalive must take longer to do so than `heartbeatMs` (PostgreSQL's `tcp_keepalives_*` settings).
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { PostgresUrlSourceSchema, resolveStorageTarget } from "./config";
import { StorageError } from "./errors";

export const LeaderConfigSchema = z
  .object({
    /** The bank's name: every process of the bank derives the same lock from it. */
    bank: z.string().min(1),
    /** The PostgreSQL database the bank's processes share (URL from an environment variable or a file). */
    postgres: z.object({ url: PostgresUrlSourceSchema }).strict(),
    /** How often a standby tries to take the lock. */
    pollIntervalMs: z.number().int().min(10).max(600_000).default(1_000),
    /** How often the active process checks its connection, and how long the check may take. */
    heartbeatMs: z.number().int().min(10).max(600_000).default(1_000),
  })
  .strict();
export type LeaderConfig = z.output<typeof LeaderConfigSchema>;
export type LeaderConfigInput = z.input<typeof LeaderConfigSchema>;

/** The advisory lock key of `bank`: the first 8 bytes of SHA-256 over a prefixed name, as a signed 64-bit integer. */
export function leaderKey(bank: string): bigint {
  const digest = createHash("sha256").update(`consortium-settlement/leader/${bank}`).digest();
  return digest.readBigInt64BE(0);
}

/** What `LeaderLock.acquire` reports while it waits. */
export interface LeaderWaitOptions {
  /** Called once when the lock is held by another process and this one starts waiting as the standby. */
  onStandby?: () => void;
  /** Stops waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export class LeaderLock {
  readonly bank: string;
  /** Resolves (never rejects) with the reason once this process is no longer the active one. */
  readonly lost: Promise<StorageError>;
  readonly #client: pg.Client;
  readonly #heartbeat: NodeJS.Timeout;
  #lostReason: StorageError | undefined;
  #resolveLost!: (reason: StorageError) => void;

  private constructor(bank: string, client: pg.Client, heartbeatMs: number) {
    this.bank = bank;
    this.#client = client;
    this.lost = new Promise((resolve) => (this.#resolveLost = resolve));
    client.on("error", (error) => this.#lose("the leader connection failed", error));
    client.on("end", () => this.#lose("the leader connection ended"));
    this.#heartbeat = setInterval(() => {
      const timer = setTimeout(
        () => this.#lose(`the leader connection did not answer within ${heartbeatMs} ms`),
        heartbeatMs,
      );
      client.query("SELECT 1").then(
        () => clearTimeout(timer),
        (error: unknown) => {
          clearTimeout(timer);
          this.#lose("the leader connection failed", error);
        },
      );
    }, heartbeatMs);
  }

  /**
   * Waits until this process holds the bank's lock, trying every `pollIntervalMs`; a failed connection attempt
   * is retried at the same pace. Resolves with the held lock.
   */
  static async acquire(input: LeaderConfigInput, options: LeaderWaitOptions = {}): Promise<LeaderLock> {
    const parsed = LeaderConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new StorageError("STORAGE_CONFIG_INVALID", "invalid leader configuration", {
        issues: schemaIssues(parsed.error),
      });
    }
    const config = parsed.data;
    const target = resolveStorageTarget({ postgres: config.postgres });
    if (target.dialect !== "postgres") throw new StorageError("STORAGE_CONFIG_INVALID", "leadership needs PostgreSQL");
    const key = leaderKey(config.bank).toString();
    let waiting = false;
    for (;;) {
      options.signal?.throwIfAborted();
      const client = new pg.Client({ connectionString: target.url, keepAlive: true });
      // A connection that fails while we only try the lock is dropped and replaced on the next round.
      client.on("error", () => undefined);
      try {
        await client.connect();
        const result = await client.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS held", [key]);
        if (result.rows[0]?.held === true) {
          client.removeAllListeners("error");
          return new LeaderLock(config.bank, client, config.heartbeatMs);
        }
      } catch {
        // The server is unreachable or the connection broke: try again after the interval.
      }
      await client.end().catch(() => undefined);
      if (!waiting) {
        waiting = true;
        options.onStandby?.();
      }
      await sleep(config.pollIntervalMs, options.signal);
    }
  }

  /** True while this process holds the lock and its connection answers. */
  get active(): boolean {
    return this.#lostReason === undefined;
  }

  /** Throws STORAGE_LEADERSHIP_LOST once this process is no longer the active one. */
  assertActive(): void {
    if (this.#lostReason !== undefined) throw this.#lostReason;
  }

  /** Gives the lock up (closing its connection); the standby takes over on its next try. */
  async release(): Promise<void> {
    this.#lose("the lock was released");
    await this.#client.end().catch(() => undefined);
  }

  #lose(reason: string, cause?: unknown): void {
    if (this.#lostReason !== undefined) return;
    clearInterval(this.#heartbeat);
    this.#lostReason = new StorageError(
      "STORAGE_LEADERSHIP_LOST",
      `${this.bank} is no longer active: ${reason}`,
      { bank: this.bank },
      cause,
    );
    this.#resolveLost(this.#lostReason);
    // Close the session too: if the server still had it, the lock is released for the standby.
    this.#client.end().catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
