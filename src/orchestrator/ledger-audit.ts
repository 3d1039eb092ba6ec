/**
 * The audit log of `PostgresSigningLedger`: appends go through the ledger's commit (in memory, then written through
 * to PostgreSQL, released once durable), so a record appended alone (a refusal, a start-up record) is chained with
 * the signatures' records and never races them; reads, verification and export read PostgreSQL.
 */
import type { Writable } from "node:stream";
import type { AuditEntry, AuditHead, AuditRecord, AuditStore } from "../audit";
import type { VerifyOptions, VerifyResult } from "../audit/verify";
import { AuditAppendError } from "../audit/errors";

/** What the log needs of its ledger. */
interface Appender {
  appendEntries(entries: AuditEntry[]): Promise<number[]>;
}

export class LedgerAuditStore implements AuditStore {
  readonly #ledger: Appender;
  readonly #reader: AuditStore;
  readonly #memory: AuditStore;

  /** `reader` reads the log in PostgreSQL; `memory` is the in-memory log whose commits the observers hear of. */
  constructor(ledger: Appender, reader: AuditStore, memory: AuditStore) {
    this.#ledger = ledger;
    this.#reader = reader;
    this.#memory = memory;
  }

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const [record] = await this.appendMany([entry]);
    return record;
  }

  async appendMany(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    if (entries.length === 0) return [];
    const seqs = await this.#ledger.appendEntries([...entries]);
    const records = await this.#reader.read(seqs[0], seqs.length);
    if (records.length !== seqs.length || records.some((r, i) => r.seq !== seqs[i])) {
      throw new AuditAppendError(entries[0].kind, new Error("the appended records are not contiguous"));
    }
    return records;
  }

  head(): Promise<AuditHead> {
    return this.#reader.head();
  }

  read(fromSeq: number, limit: number): Promise<AuditRecord[]> {
    return this.#reader.read(fromSeq, limit);
  }

  records(fromSeq?: number): AsyncIterableIterator<AuditRecord> {
    return this.#reader.records(fromSeq);
  }

  [Symbol.asyncIterator](): AsyncIterator<AuditRecord> {
    return this.#reader.records();
  }

  verify(options?: VerifyOptions): Promise<VerifyResult> {
    return this.#reader.verify(options);
  }

  exportJsonl(target: string | Writable): Promise<number> {
    return this.#reader.exportJsonl(target);
  }

  /** The ledger closes the stores under this one. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  observeCommits(observer: (records: readonly AuditRecord[]) => void): () => void {
    return this.#memory.observeCommits!(observer);
  }
}
