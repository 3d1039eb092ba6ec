/**
 * What the follower reads from the bank's own audit log, incrementally: for each transaction the bank signed, the
 * seq of its signature record and of the policy decision that record names (the gate appends the decision, then the
 * signature with the transaction hash and the decision id); and the audit record of each chain event already
 * appended, so that a crash between appending and noting it never appends it twice.
 */
import type { AuditStore } from "../audit";

export interface SignedTransaction {
  signatureSeq: number;
  decisionSeq: number | null;
}

export class AuditLinks {
  readonly #audit: AuditStore;
  #scanned = 0;
  readonly #signed = new Map<string, SignedTransaction>();
  readonly #decisions = new Map<string, number>();
  readonly #events = new Map<string, number>();

  constructor(audit: AuditStore) {
    this.#audit = audit;
  }

  /** Reads the records appended since the last call. */
  async refresh(): Promise<void> {
    for await (const r of this.#audit.records(this.#scanned + 1)) {
      this.#scanned = r.seq;
      const p = (typeof r.payload === "object" && r.payload !== null ? r.payload : {}) as Record<string, unknown>;
      if (r.kind === "decision" && typeof p.decisionId === "string") this.#decisions.set(p.decisionId, r.seq);
      if (r.kind === "signature" && typeof p.txHash === "string") {
        const decision = typeof p.decisionId === "string" ? this.#decisions.get(p.decisionId) : undefined;
        this.#signed.set(p.txHash.toLowerCase(), { signatureSeq: r.seq, decisionSeq: decision ?? null });
      }
      if ((r.kind === "chain.event" || r.kind === "chain.receipt") && typeof p.eventId === "string") {
        this.#events.set(p.eventId, r.seq);
      }
    }
  }

  /** The bank's signature and decision records of transaction `txHash`, if the bank signed it. */
  signed(txHash: string): SignedTransaction | undefined {
    return this.#signed.get(txHash.toLowerCase());
  }

  /** The audit record of chain event `eventId`, if it was appended. */
  eventRecord(eventId: string): number | undefined {
    return this.#events.get(eventId);
  }
}
