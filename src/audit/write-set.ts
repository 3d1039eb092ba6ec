/**
 * `WriteSet`: what one signature will write, staged by each layer it passes through (the decision and its
 * reservation, the nonce claim, the signature records) and applied together in one transaction of one database
 * by whoever owns that database (see `SigningLedger` in src/orchestrator). Each staged write is held in memory by
 * the store that made it until then: `apply` runs inside the shared transaction, `settle` once it is committed,
 * `drop` when it never will be (then the store forgets it, as if it had never been staged).
 */
import type { StagedWrite } from "../storage";
import type { AuditEntry } from "./record";

/** An audit record to append in the shared transaction, and who wants to know its seq. */
export interface StagedAudit {
  entry: AuditEntry;
  onSeq?: (seq: number) => void;
}

/** What one signature writes; filled layer by layer, then committed once. */
export class WriteSet {
  readonly writes: StagedWrite[] = [];
  readonly audit: StagedAudit[] = [];
  /** Writes and audit records in the order they were staged (applied in that order). */
  readonly order: (StagedWrite | StagedAudit)[] = [];

  stage(write: StagedWrite): void {
    this.writes.push(write);
    this.order.push(write);
  }

  record(entry: AuditEntry, onSeq?: (seq: number) => void): void {
    const staged = { entry, ...(onSeq === undefined ? {} : { onSeq }) };
    this.audit.push(staged);
    this.order.push(staged);
  }

  /** Forgets every staged write (the audit records stay, to be committed or discarded by the caller). */
  dropWrites(): void {
    for (const write of this.writes.splice(0)) write.drop();
    this.order.splice(0, this.order.length, ...this.order.filter((w) => "entry" in w));
  }
}
