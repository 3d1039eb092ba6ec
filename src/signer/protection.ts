/**
 * Signing records: the durable memory that keeps a key from signing two different payloads for one
 * nonce (like a validator's slashing protection). One SQLite file (better-sqlite3), WAL journal with
 * `synchronous=FULL`, so a recorded intent has been fsynced before `recordIntent` returns and therefore
 * before any signature exists. Each intent is written in an IMMEDIATE transaction (read, then insert)
 * that holds the database write lock, and (key_address, chain_id, nonce) is UNIQUE, so even a second
 * process on the same file cannot record a second payload for a used nonce.
 *
 * Staged claims (`stageNextIntent`, `stageIntent`) serve a signature whose records are committed once, in one
 * transaction with its decision (see `SigningLedger` in src/orchestrator): the nonce is claimed in memory, so no
 * other claim of this process takes it, and written when that transaction commits. This needs one process to own
 * the file (the ledger opens it in exclusive mode). The signature made under a staged claim is released only after
 * the commit: a crash before it loses a signature that never left the process, and its nonce is free again.
 */
import Database from "better-sqlite3";
import { openDurableSqlite, type StagedWrite } from "../storage";
import { getAddress } from "ethers";
import { z } from "zod";
import {
  SigningConfigError,
  SigningNonceConflictError,
  SigningRequestInvalidError,
  SigningStoreClosedError,
  SigningStoreUnavailableError,
} from "./protection-errors";
import { codeFamily, isFrameworkError, schemaIssues } from "../errors";

/** Options of the store, validated once by `SigningRecordStore.open`. */
export const SigningRecordStoreOptionsSchema = z
  .object({
    /** The database file (created if missing). */
    path: z.string().min(1),
    /** How long to wait for another connection's write lock, in milliseconds. */
    busyTimeoutMs: z.number().int().positive().default(5_000),
  })
  .strict();

export type SigningRecordStoreOptionsInput = z.input<typeof SigningRecordStoreOptionsSchema>;

/** `"new"`: the nonce was unused and is now recorded; `"retry"`: the identical payload was recorded before. */
export type IntentOutcome = "new" | "retry";

/** A nonce allocated by `claimNextIntent`, and whether it was recorded now or found recorded for this payload. */
export interface Allocation {
  nonce: number;
  outcome: IntentOutcome;
}

/** The payload hash to record for a nonce once it is chosen (called inside the database transaction). */
export type PayloadFor = (nonce: number) => string;

/**
 * What a nonce is allocated for: the payload hash for any nonce, and a hash of the request that does not
 * depend on the nonce (for a transaction, its unsigned hash at nonce 0). A live record with the same request
 * hash is the same request retried: it keeps its nonce, and finding it is one indexed look-up.
 */
export interface SigningRequest {
  requestHash: string;
  payloadFor: PayloadFor;
}

/** One recorded intent. */
export interface SigningRecord {
  keyAddress: string;
  chainId: bigint;
  nonce: number;
  payloadHash: string;
  recordedAt: string;
}

interface Row {
  key_address: string;
  chain_id: string;
  nonce: number;
  payload_hash: string;
  recorded_at: string;
  request_hash: string | null;
  released_at: string | null;
}

const HASH = /^0x[0-9a-f]{64}$/;

/** A staged write that writes nothing (a retry finds its record already written). */
const NOTHING: StagedWrite = { apply: () => undefined, settle: () => undefined, drop: () => undefined };

export class SigningRecordStore {
  readonly path: string;
  #db: Database.Database | undefined;
  readonly #find: Database.Statement<[string, string, number], Row>;
  readonly #highest: Database.Statement<[string, string], { highest: number | null }>;
  readonly #record: (
    key: string,
    chainId: string,
    nonce: number,
    hash: string,
    request: string | null,
  ) => IntentOutcome;
  readonly #recordNext: (key: string, chainId: string, minimum: number, request: SigningRequest) => Allocation;
  readonly #recordNextMany: (
    key: string,
    chainId: string,
    minimum: number,
    requests: readonly SigningRequest[],
  ) => (Allocation | { error: unknown })[];
  readonly #release: Database.Statement<[string, string, string, number, string]>;
  /** Claims staged for a write set not yet committed: by `key/chainId`, the payload hash of each nonce. */
  readonly #staged = new Map<string, Map<number, string>>();
  /** Chooses (or finds) the nonce of a staged claim; see `stageNextIntent`. */
  readonly #choose: (key: string, chainId: string, minimum: number, request: SigningRequest) => Allocation;
  readonly #write: (key: string, chainId: string, nonce: number, hash: string, request: string | null) => void;
  readonly #findAny: Database.Statement<[string, string, number], Row>;
  readonly #ownsDb: boolean;

  private constructor(db: Database.Database, path: string, ownsDb = true) {
    this.path = path;
    this.#db = db;
    this.#ownsDb = ownsDb;
    db.exec(
      "CREATE TABLE IF NOT EXISTS signing_records (key_address TEXT NOT NULL, chain_id TEXT NOT NULL, " +
        "nonce INTEGER NOT NULL, payload_hash TEXT NOT NULL, recorded_at TEXT NOT NULL, " +
        "released_at TEXT, UNIQUE (key_address, chain_id, nonce))",
    );
    // Files written by earlier versions get the later columns (NULL: every earlier record stands; a record
    // without a request hash is matched as a retry the slow way, by hashing the request at its nonce).
    const columns = db.prepare("PRAGMA table_info(signing_records)").all() as { name: string }[];
    for (const column of ["released_at", "request_hash"]) {
      if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE signing_records ADD COLUMN ${column} TEXT`);
    }
    // A retry is looked up by (key, chain, request hash, nonce >= pending): one index search, not a scan of the
    // live records above the pending nonce.
    db.exec("DROP INDEX IF EXISTS signing_records_request");
    db.exec(
      "CREATE INDEX IF NOT EXISTS signing_records_retry ON signing_records " +
        "(key_address, chain_id, request_hash, nonce) WHERE released_at IS NULL",
    );
    db.exec(
      "CREATE INDEX IF NOT EXISTS signing_records_released ON signing_records (key_address, chain_id, nonce) " +
        "WHERE released_at IS NOT NULL",
    );
    db.exec(
      "CREATE INDEX IF NOT EXISTS signing_records_legacy ON signing_records (key_address, chain_id, nonce) " +
        "WHERE request_hash IS NULL AND released_at IS NULL",
    );
    this.#find = db.prepare(
      "SELECT * FROM signing_records WHERE key_address = ? AND chain_id = ? AND nonce = ? AND released_at IS NULL",
    );
    const findAny = db.prepare<[string, string, number], Row>(
      "SELECT * FROM signing_records WHERE key_address = ? AND chain_id = ? AND nonce = ?",
    );
    this.#findAny = findAny;
    const retried = db.prepare<[string, string, string, number], Row>(
      "SELECT * FROM signing_records WHERE key_address = ? AND chain_id = ? AND request_hash = ? AND nonce >= ? " +
        "AND released_at IS NULL ORDER BY nonce LIMIT 1",
    );
    const legacy = db.prepare<[string, string, number], Row>(
      "SELECT * FROM signing_records WHERE key_address = ? AND chain_id = ? AND nonce >= ? " +
        "AND request_hash IS NULL AND released_at IS NULL ORDER BY nonce",
    );
    const released = db.prepare<[string, string, number], Row>(
      "SELECT * FROM signing_records WHERE key_address = ? AND chain_id = ? AND nonce >= ? " +
        "AND released_at IS NOT NULL ORDER BY nonce LIMIT 1",
    );
    const releasedAll = db.prepare<[string, string, number], Row>(
      "SELECT * FROM signing_records WHERE key_address = ? AND chain_id = ? AND nonce >= ? " +
        "AND released_at IS NOT NULL ORDER BY nonce",
    );
    const reuse = db.prepare(
      "UPDATE signing_records SET payload_hash = ?, request_hash = ?, recorded_at = ?, released_at = NULL " +
        "WHERE key_address = ? AND chain_id = ? AND nonce = ?",
    );
    this.#release = db.prepare(
      "UPDATE signing_records SET released_at = ? WHERE key_address = ? AND chain_id = ? AND nonce = ? " +
        "AND payload_hash = ? AND released_at IS NULL",
    );
    this.#highest = db.prepare(
      "SELECT MAX(nonce) AS highest FROM signing_records WHERE key_address = ? AND chain_id = ?",
    );
    const insert = db.prepare(
      "INSERT INTO signing_records (key_address, chain_id, nonce, payload_hash, request_hash, recorded_at) " +
        "VALUES (?, ?, ?, ?, ?, ?)",
    );
    const tx = db.transaction(
      (key: string, chainId: string, nonce: number, hash: string, request: string | null): IntentOutcome => {
        const existing = findAny.get(key, chainId, nonce);
        if (existing === undefined || existing.released_at !== null) {
          if (existing === undefined) insert.run(key, chainId, nonce, hash, request, new Date().toISOString());
          else reuse.run(hash, request, new Date().toISOString(), key, chainId, nonce);
          return "new";
        }
        if (existing.payload_hash === hash) return "retry";
        throw new SigningNonceConflictError(key, BigInt(chainId), nonce, existing.payload_hash, hash);
      },
    );
    this.#record = (key, chainId, nonce, hash, request) => tx.immediate(key, chainId, nonce, hash, request);
    // A live record of this very request at or above `minimum` (by its request hash, else an older record without
    // one whose payload matches): a retry keeps its nonce.
    const retryOf = (
      key: string,
      chainId: string,
      minimum: number,
      request: SigningRequest,
    ): Allocation | undefined => {
      const same = retried.get(key, chainId, checkHash(request.requestHash), minimum);
      if (same !== undefined && same.payload_hash === checkHash(request.payloadFor(same.nonce))) {
        return { nonce: same.nonce, outcome: "retry" };
      }
      for (const row of legacy.iterate(key, chainId, minimum)) {
        if (row.payload_hash === checkHash(request.payloadFor(row.nonce)))
          return { nonce: row.nonce, outcome: "retry" };
      }
      return undefined;
    };
    const next = db.transaction(
      (key: string, chainId: string, minimum: number, request: SigningRequest): Allocation => {
        // Only what is not yet on chain (at or above the pending nonce) counts. First a live record of this very
        // request: a retry keeps its nonce (it is signed again identically, never under a second nonce).
        const requestHash = checkHash(request.requestHash);
        const retry = retryOf(key, chainId, minimum, request);
        if (retry !== undefined) return retry;
        // Then the lowest slot released by a signature that failed, so the chain sees no gap.
        const free = released.get(key, chainId, minimum);
        if (free !== undefined) {
          reuse.run(
            checkHash(request.payloadFor(free.nonce)),
            requestHash,
            new Date().toISOString(),
            key,
            chainId,
            free.nonce,
          );
          return { nonce: free.nonce, outcome: "new" };
        }
        const highest = this.#highest.get(key, chainId)?.highest ?? null;
        const nonce = Math.max(minimum, highest === null ? 0 : highest + 1);
        checkNonce(nonce);
        insert.run(key, chainId, nonce, checkHash(request.payloadFor(nonce)), requestHash, new Date().toISOString());
        return { nonce, outcome: "new" };
      },
    );
    this.#recordNext = (key, chainId, minimum, request) => next.immediate(key, chainId, minimum, request);
    // Several claims in one transaction and one durable commit, each in a savepoint of its own (`next` called
    // inside a transaction), so a claim that fails is undone alone and the others stand.
    const many = db.transaction((key: string, chainId: string, minimum: number, requests: readonly SigningRequest[]) =>
      requests.map((request): Allocation | { error: unknown } => {
        try {
          return next(key, chainId, minimum, request);
        } catch (error) {
          if (isFrameworkError(error, codeFamily("SIGNING_"))) return { error };
          throw error;
        }
      }),
    );
    this.#recordNextMany = (key, chainId, minimum, requests) => many.immediate(key, chainId, minimum, requests);
    // A staged claim chooses as `next` does, reading what is written and skipping what is staged, and writes
    // nothing: a live record of this request, else the lowest released slot, else past the highest nonce.
    this.#choose = (key, chainId, minimum, request) => {
      const staged = this.#staged.get(`${key}/${chainId}`);
      const retry = retryOf(key, chainId, minimum, request);
      if (retry !== undefined) return retry;
      for (const row of releasedAll.iterate(key, chainId, minimum)) {
        if (staged?.has(row.nonce) !== true) return { nonce: row.nonce, outcome: "new" };
      }
      const written = this.#highest.get(key, chainId)?.highest ?? -1;
      const highest = Math.max(written, ...(staged === undefined ? [] : staged.keys()));
      const nonce = Math.max(minimum, highest + 1);
      checkNonce(nonce);
      return { nonce, outcome: "new" };
    };
    this.#write = (key, chainId, nonce, hash, request) => {
      const existing = findAny.get(key, chainId, nonce);
      if (existing === undefined) insert.run(key, chainId, nonce, hash, request, new Date().toISOString());
      else if (existing.released_at !== null) reuse.run(hash, request, new Date().toISOString(), key, chainId, nonce);
      else if (existing.payload_hash !== hash) {
        throw new SigningNonceConflictError(key, BigInt(chainId), nonce, existing.payload_hash, hash);
      }
    };
  }

  /** Opens (creating if needed) the records in the file at `options.path`. */
  static open(input: SigningRecordStoreOptionsInput): SigningRecordStore {
    const parsed = SigningRecordStoreOptionsSchema.safeParse(input);
    if (!parsed.success) {
      throw new SigningConfigError(schemaIssues(parsed.error));
    }
    const options = parsed.data;
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(options.path, options.busyTimeoutMs);
      return new SigningRecordStore(db, options.path);
    } catch (error) {
      db?.close();
      throw new SigningStoreUnavailableError(options.path, error);
    }
  }

  /**
   * The store on a connection its caller owns (and closes), so that staged claims can join the caller's
   * transactions. The caller makes its process the connection's only owner (exclusive locking mode).
   */
  static onDatabase(db: Database.Database, path: string): SigningRecordStore {
    try {
      return new SigningRecordStore(db, path, false);
    } catch (error) {
      throw new SigningStoreUnavailableError(path, error);
    }
  }

  /**
   * `claimNextIntent` staged for a write set: the nonce is chosen now (as `claimNextIntent` would, skipping the
   * nonces other staged claims hold) and held in memory; `write.apply` records it inside the write set's
   * transaction. A retry of a recorded request gets its nonce back and stages nothing.
   */
  stageNextIntent(
    key: string,
    chainId: bigint,
    minimum: number,
    request: SigningRequest,
  ): { allocation: Allocation; payloadHash: string; write: StagedWrite } {
    const address = getAddress(key);
    checkNonce(minimum);
    this.#open();
    const chain = chainId.toString();
    let allocation: Allocation;
    try {
      allocation = this.#choose(address, chain, minimum, request);
    } catch (error) {
      if (isFrameworkError(error, codeFamily("SIGNING_"))) throw error;
      throw new SigningStoreUnavailableError(this.path, error);
    }
    const payloadHash = checkHash(request.payloadFor(allocation.nonce));
    if (allocation.outcome === "retry") return { allocation, payloadHash, write: NOTHING };
    const requestHash = checkHash(request.requestHash);
    return { allocation, payloadHash, write: this.#hold(address, chain, allocation.nonce, payloadHash, requestHash) };
  }

  /**
   * `recordIntent` staged for a write set: `"retry"` (nothing staged) for the payload recorded at `nonce`,
   * `SigningNonceConflictError` for another payload recorded or staged there; otherwise the nonce is held.
   */
  stageIntent(
    key: string,
    chainId: bigint,
    nonce: number,
    payloadHash: string,
    requestHash?: string,
  ): { outcome: IntentOutcome; write: StagedWrite } {
    const address = getAddress(key);
    const hash = checkHash(payloadHash);
    const request = requestHash === undefined ? null : checkHash(requestHash);
    checkNonce(nonce);
    this.#open();
    const chain = chainId.toString();
    const staged = this.#staged.get(`${address}/${chain}`)?.get(nonce);
    if (staged !== undefined) throw new SigningNonceConflictError(address, chainId, nonce, staged, hash);
    const existing = this.#findAny.get(address, chain, nonce);
    if (existing !== undefined && existing.released_at === null) {
      if (existing.payload_hash === hash) return { outcome: "retry", write: NOTHING };
      throw new SigningNonceConflictError(address, chainId, nonce, existing.payload_hash, hash);
    }
    return { outcome: "new", write: this.#hold(address, chain, nonce, hash, request) };
  }

  /** Holds `nonce` in memory for a staged claim; the write records it, settling or dropping forgets it. */
  #hold(key: string, chainId: string, nonce: number, hash: string, request: string | null): StagedWrite {
    const group = `${key}/${chainId}`;
    let held = this.#staged.get(group);
    if (held === undefined) this.#staged.set(group, (held = new Map<number, string>()));
    held.set(nonce, hash);
    const forget = (): void => {
      if (held.get(nonce) === hash) held.delete(nonce);
      if (held.size === 0 && this.#staged.get(group) === held) this.#staged.delete(group);
    };
    return {
      apply: () => this.#write(key, chainId, nonce, hash, request),
      settle: forget,
      drop: forget,
    };
  }

  /**
   * Records that `key` is about to sign the payload with `payloadHash` for `nonce` on `chainId`, durably,
   * before anything is signed. Returns `"retry"` for the identical payload; throws
   * `SigningNonceConflictError` (and records nothing) for a different one. `requestHash` (see
   * `SigningRequest`) lets a later allocation for the same request find this record as its retry.
   */
  recordIntent(key: string, chainId: bigint, nonce: number, payloadHash: string, requestHash?: string): IntentOutcome {
    const address = getAddress(key);
    const hash = checkHash(payloadHash);
    const request = requestHash === undefined ? null : checkHash(requestHash);
    checkNonce(nonce);
    this.#open();
    try {
      return this.#record(address, chainId.toString(), nonce, hash, request);
    } catch (error) {
      if (isFrameworkError(error, codeFamily("SIGNING_"))) throw error;
      throw new SigningStoreUnavailableError(this.path, error);
    }
  }

  /**
   * Allocates and records the next nonce in one database transaction (so even another process on the same
   * file cannot take it in between): max(`minimum`, highest recorded + 1), with the hash `payloadFor`
   * returns for it. Returns the nonce.
   */
  recordNextIntent(key: string, chainId: bigint, minimum: number, request: SigningRequest): number {
    return this.claimNextIntent(key, chainId, minimum, request).nonce;
  }

  /**
   * `recordNextIntent` with its outcome: a live record of the same request at or above `minimum` is returned
   * as `"retry"`; otherwise the lowest slot released by `release` at or above `minimum` is reused (`"new"`);
   * otherwise max(`minimum`, highest recorded + 1) is recorded (`"new"`).
   */
  claimNextIntent(key: string, chainId: bigint, minimum: number, request: SigningRequest): Allocation {
    const address = getAddress(key);
    checkNonce(minimum);
    this.#open();
    try {
      return this.#recordNext(address, chainId.toString(), minimum, request);
    } catch (error) {
      if (isFrameworkError(error, codeFamily("SIGNING_"))) throw error;
      throw new SigningStoreUnavailableError(this.path, error);
    }
  }

  /**
   * `claimNextIntent` for several requests in one database transaction with one durable commit (group commit),
   * in order: each gets what it would get alone, after those before it. A request refused (an invalid hash)
   * gets `{ error }` and records nothing; the others are recorded.
   */
  claimNextIntents(
    key: string,
    chainId: bigint,
    minimum: number,
    requests: readonly SigningRequest[],
  ): (Allocation | { error: unknown })[] {
    const address = getAddress(key);
    checkNonce(minimum);
    this.#open();
    if (requests.length === 0) return [];
    try {
      return this.#recordNextMany(address, chainId.toString(), minimum, requests);
    } catch (error) {
      if (isFrameworkError(error, codeFamily("SIGNING_"))) throw error;
      throw new SigningStoreUnavailableError(this.path, error);
    }
  }

  /**
   * Releases the slot of an intent that was never signed (the signer refused or failed before producing a
   * signature): the nonce is reused by the next allocation, so the chain sees no gap. Only the recorded
   * payload is released; returns whether one was.
   */
  release(key: string, chainId: bigint, nonce: number, payloadHash: string): boolean {
    this.#open();
    const changes = this.#release.run(
      new Date().toISOString(),
      getAddress(key),
      chainId.toString(),
      nonce,
      checkHash(payloadHash),
    ).changes;
    return changes > 0;
  }

  /** The recorded intent for this key, chain and nonce, if any. */
  intent(key: string, chainId: bigint, nonce: number): SigningRecord | undefined {
    this.#open();
    const row = this.#find.get(getAddress(key), chainId.toString(), nonce);
    return row === undefined
      ? undefined
      : {
          keyAddress: row.key_address,
          chainId: BigInt(row.chain_id),
          nonce: row.nonce,
          payloadHash: row.payload_hash,
          recordedAt: row.recorded_at,
        };
  }

  /** The highest nonce recorded for this key and chain, or `undefined` when none is. */
  highestNonce(key: string, chainId: bigint): number | undefined {
    this.#open();
    return this.#highest.get(getAddress(key), chainId.toString())?.highest ?? undefined;
  }

  /** Closes the database; later calls throw `SigningStoreClosedError`. Idempotent. */
  close(): void {
    if (this.#ownsDb) this.#db?.close();
    this.#db = undefined;
  }

  #open(): Database.Database {
    if (this.#db === undefined || !this.#db.open) throw new SigningStoreClosedError(this.path);
    return this.#db;
  }
}

/** Lower-case form of a 32-byte hex hash; anything else is refused. */
function checkHash(payloadHash: string): string {
  const hash = payloadHash.toLowerCase();
  if (!HASH.test(hash)) throw new SigningRequestInvalidError("payload hash is not 32 bytes of hex", { payloadHash });
  return hash;
}

/** Nonces are non-negative safe integers (as in ethers' `Transaction.nonce`). */
export function checkNonce(nonce: number): void {
  if (!Number.isSafeInteger(nonce) || nonce < 0) {
    throw new SigningRequestInvalidError("nonce is not a non-negative safe integer", { nonce });
  }
}
