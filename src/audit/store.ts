/**
 * The `AuditStore` contract and the logic both backends share: paging, iteration, verification and export.
 * A backend supplies only `appendRecords` (atomic: read the head, insert the next records, commit durably),
 * `readStored` and `closeBackend`.
 *
 * Appends are group-committed: entries are validated and encoded by their caller's call (an invalid one is
 * refused alone), queued, and every entry queued while a commit runs goes into the next one, in arrival order,
 * each caller's entries contiguous. One durable commit then serves many concurrent callers; a caller alone
 * pays one commit, as before. A failed commit fails every caller in it, and none of its records exists.
 */
import type { Writable } from "node:stream";
import { AuditConfigError, AuditReadRangeError, AuditRecordCorruptError, AuditStoreClosedError } from "./errors";
import { writeJsonl } from "./jsonl";
import {
  prepareEntry,
  toAuditRecord,
  type AuditEntry,
  type AuditHead,
  type AuditRecord,
  type PreparedEntry,
  type StoredRecord,
} from "./record";
import { ChainVerifier, type VerifyOptions, type VerifyResult } from "./verify";

/** An append-only, hash-chained audit log. */
export interface AuditStore extends AsyncIterable<AuditRecord> {
  /**
   * Appends one entry; resolves once the record is durably committed. Concurrent calls are committed together,
   * in call order (group commit).
   */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /**
   * Appends several entries, contiguous and in one durable commit: all of them or none. Resolves with their
   * records in order; an empty list appends nothing.
   */
  appendMany(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
  /** The last record's seq and hash (`{ seq: 0, hash: GENESIS_HASH }` when empty). */
  head(): Promise<AuditHead>;
  /** Up to `limit` records with seq >= `fromSeq`, in seq order. */
  read(fromSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Every record from `fromSeq` (default 1) on, fetched page by page. */
  records(fromSeq?: number): AsyncIterableIterator<AuditRecord>;
  /** Recomputes every hash and link; names the first record that does not fit. */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /** Writes every record as one JSON line to a file path (created, fsynced) or a stream (left open). */
  exportJsonl(target: string | Writable): Promise<number>;
  close(): Promise<void>;
  /** Tells `observer` of every durable commit with its records, in order; returns the function that stops it. */
  observeCommits?(observer: (records: readonly AuditRecord[]) => void): () => void;
}

/** Shared implementation; `pageSize` bounds every read. */
/** A record as both stores keep it in their table; PostgreSQL hands `seq` (a bigint) back as a string. */
export interface AuditRow {
  seq: number | string;
  kind: string;
  at: string;
  subject: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** The stored record of a table row. */
export function fromRow(r: AuditRow): StoredRecord {
  return {
    seq: Number(r.seq),
    kind: r.kind,
    at: r.at,
    subject: r.subject,
    payloadJson: r.payload,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Callers waiting for the next group commit. */
interface Waiter {
  entries: PreparedEntry[];
  resolve: (records: StoredRecord[]) => void;
  reject: (error: unknown) => void;
}

/** Entries in one group commit at most (a bound on one transaction's size, not on throughput). */
const MAX_GROUP_ENTRIES = 1024;

export abstract class BaseAuditStore implements AuditStore {
  #closed = false;
  #queue: Waiter[] = [];
  #committing: Promise<void> | null = null;
  readonly #observers = new Set<(records: readonly AuditRecord[]) => void>();

  /** Table names are interpolated into SQL, so only plain lowercase identifiers are accepted. */
  static readonly TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

  protected constructor(
    protected readonly table: string,
    protected readonly pageSize: number,
  ) {
    const issues = [];
    if (!BaseAuditStore.TABLE_NAME.test(table))
      issues.push({ path: "table", message: "not a lowercase SQL identifier" });
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) issues.push({ path: "pageSize", message: "not >= 1" });
    if (issues.length > 0) throw new AuditConfigError(issues);
  }

  /** Appends `entries` (at least one) atomically, chained in order, and commits durably. */
  protected abstract appendRecords(entries: readonly PreparedEntry[]): Promise<StoredRecord[]>;
  protected abstract readStored(fromSeq: number, limit: number): Promise<StoredRecord[]>;
  protected abstract closeBackend(): Promise<void>;

  async append(entry: AuditEntry): Promise<AuditRecord> {
    this.assertOpen();
    const [record] = await this.#enqueue([prepareEntry(entry)]);
    return this.decode(record);
  }

  async appendMany(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    this.assertOpen();
    if (entries.length === 0) return [];
    return (await this.#enqueue(entries.map(prepareEntry))).map((r) => this.decode(r));
  }

  #enqueue(entries: PreparedEntry[]): Promise<StoredRecord[]> {
    return new Promise<StoredRecord[]>((resolve, reject) => {
      this.#queue.push({ entries, resolve, reject });
      // After this turn of the event loop, so that every append made in it joins the same commit.
      this.#committing ??= new Promise<void>((done) => setImmediate(done)).then(() => this.#commitQueued());
    });
  }

  /** Commits what is queued, group by group, until the queue is empty. */
  async #commitQueued(): Promise<void> {
    while (this.#queue.length > 0) {
      let count = 0;
      let taken = 0;
      while (
        taken < this.#queue.length &&
        (taken === 0 || count + this.#queue[taken].entries.length <= MAX_GROUP_ENTRIES)
      ) {
        count += this.#queue[taken].entries.length;
        taken += 1;
      }
      const group = this.#queue.splice(0, taken);
      try {
        const stored = await this.appendRecords(group.flatMap((w) => w.entries));
        if (this.#observers.size > 0) this.#notify(stored);
        let at = 0;
        for (const waiter of group) {
          waiter.resolve(stored.slice(at, at + waiter.entries.length));
          at += waiter.entries.length;
        }
      } catch (error) {
        group.forEach((waiter) => waiter.reject(error));
      }
    }
    this.#committing = null;
  }

  /** An observer that throws never fails the commit it is told of. */
  #notify(stored: readonly StoredRecord[]): void {
    const records = stored.map((r) => this.decode(r));
    for (const observe of this.#observers) {
      try {
        observe(records);
      } catch {
        // the records are committed whatever an observer does
      }
    }
  }

  /**
   * Tells the observers of one durable commit made on this log's connection by its owner (records appended
   * inside the owner's transaction, see `SqliteAuditStore.appendWithin`), once that transaction committed.
   */
  protected notifyCommitted(records: readonly AuditRecord[]): void {
    for (const observe of this.#observers) {
      try {
        observe(records);
      } catch {
        // the records are committed whatever an observer does
      }
    }
  }

  observeCommits(observer: (records: readonly AuditRecord[]) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  async head(): Promise<AuditHead> {
    this.assertOpen();
    return this.readHead();
  }

  async read(fromSeq: number, limit: number): Promise<AuditRecord[]> {
    this.assertOpen();
    if (!Number.isSafeInteger(fromSeq) || !Number.isSafeInteger(limit) || limit < 1) {
      throw new AuditReadRangeError(fromSeq, limit);
    }
    return (await this.readStored(fromSeq, limit)).map((r) => this.decode(r));
  }

  async *records(fromSeq = 1): AsyncIterableIterator<AuditRecord> {
    for await (const stored of this.storedRecords(fromSeq)) yield this.decode(stored);
  }

  [Symbol.asyncIterator](): AsyncIterator<AuditRecord> {
    return this.records();
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    const verifier = new ChainVerifier(options);
    for await (const stored of this.storedRecords(Number.MIN_SAFE_INTEGER)) {
      if (verifier.push(stored) !== undefined) break;
    }
    return verifier.finish();
  }

  async exportJsonl(target: string | Writable): Promise<number> {
    this.assertOpen();
    return writeJsonl(this.records(), target);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#committing !== null) await this.#committing;
    await this.closeBackend();
  }

  protected abstract readHead(): Promise<AuditHead>;

  protected assertOpen(): void {
    if (this.#closed) throw new AuditStoreClosedError();
  }

  private async *storedRecords(fromSeq: number): AsyncIterableIterator<StoredRecord> {
    let next = fromSeq;
    for (;;) {
      this.assertOpen();
      const page = await this.readStored(next, this.pageSize);
      yield* page;
      if (page.length < this.pageSize) return;
      next = page[page.length - 1].seq + 1;
    }
  }

  private decode(stored: StoredRecord): AuditRecord {
    return toAuditRecord(stored, (reason) => new AuditRecordCorruptError(stored.seq, reason));
  }
}
