/**
 * The `AuditStore` contract and the logic both backends share: paging, iteration, verification and export.
 * A backend supplies only `appendRecords` (atomic: read the head, insert the next records, commit durably),
 * `readStored` and `closeBackend`.
 */
import type { Writable } from "node:stream";
import { AuditConfigError, AuditReadRangeError, AuditRecordCorruptError, AuditStoreClosedError } from "./errors";
import { writeJsonl } from "./jsonl";
import { toAuditRecord, type AuditEntry, type AuditHead, type AuditRecord, type StoredRecord } from "./record";
import { ChainVerifier, type VerifyOptions, type VerifyResult } from "./verify";

/** An append-only, hash-chained audit log. */
export interface AuditStore extends AsyncIterable<AuditRecord> {
  /** Appends one entry; resolves once the record is durably committed. Concurrent calls are serialized. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /**
   * Appends several entries in one transaction with one durable commit (group commit): all of them or none.
   * Resolves with their records in order; an empty list appends nothing.
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

export abstract class BaseAuditStore implements AuditStore {
  #closed = false;

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
  protected abstract appendRecords(entries: readonly AuditEntry[]): Promise<StoredRecord[]>;
  protected abstract readStored(fromSeq: number, limit: number): Promise<StoredRecord[]>;
  protected abstract closeBackend(): Promise<void>;

  async append(entry: AuditEntry): Promise<AuditRecord> {
    this.assertOpen();
    const [record] = await this.appendRecords([entry]);
    return this.decode(record);
  }

  async appendMany(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    this.assertOpen();
    if (entries.length === 0) return [];
    return (await this.appendRecords(entries)).map((r) => this.decode(r));
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
