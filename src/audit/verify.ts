/**
 * Chain verification, shared by the stores and by `verifyJsonl`: records are fed in the order they are
 * stored (by seq) and the first one that does not fit is named with the kind of tampering that explains it.
 *
 * What verification alone can and cannot see: an altered, removed, reordered or inserted record anywhere
 * before the head breaks a hash or a link and is found. Removing records from the END (truncating the tail)
 * leaves a shorter, perfectly valid chain: only a head recorded elsewhere beforehand (an anchor: a hash
 * published on chain, sent to an auditor, or kept by another bank) reveals it. Pass such anchors to
 * `verify` and a log that no longer reaches them, or reaches them with another hash, fails.
 */
import { GENESIS_HASH, recordHash, type AuditHead, type StoredRecord } from "./record";

/**
 * How a record fails:
 * - `altered`: its content or hash was changed in place (or, rewritten with a recomputed hash, the next
 *   record no longer links to it);
 * - `removed`: the record with this seq is missing (a gap);
 * - `reordered`: a record carries another position's seq (seq values swapped);
 * - `inserted`: a self-consistent forged record was slipped in and later records renumbered;
 * - `duplicate`: a second record with a seq already seen (exports only; the databases forbid it);
 * - `malformed`: an export line is not a record;
 * - `truncated`: the log ends before an anchored head;
 * - `anchor_mismatch`: the record at an anchored seq has another hash than the anchor.
 */
export type AuditProblem =
  "altered" | "removed" | "reordered" | "inserted" | "duplicate" | "malformed" | "truncated" | "anchor_mismatch";

/** The first record that does not fit, with a human-readable explanation. */
export interface AuditViolation {
  seq: number;
  problem: AuditProblem;
  detail: string;
}

export type VerifyResult = { ok: true; count: number; head: AuditHead } | { ok: false; firstBad: AuditViolation };

/** Options of `verify`: heads recorded elsewhere that the log must still contain. */
export interface VerifyOptions {
  anchors?: readonly AuditHead[];
}

/** Streaming verifier: `push` each record in stored order, then `finish`. */
export class ChainVerifier {
  #count = 0;
  #prev: AuditHead = { seq: 0, hash: GENESIS_HASH };
  #prevPrevHash: string | undefined;
  #failure: AuditViolation | undefined;
  readonly #anchors: Map<number, string>;

  constructor(options: VerifyOptions = {}) {
    this.#anchors = new Map((options.anchors ?? []).map((a) => [a.seq, a.hash.toLowerCase()]));
  }

  /** The first violation so far, if any; once set, later pushes are ignored. */
  get failure(): AuditViolation | undefined {
    return this.#failure;
  }

  /** Checks the next record; returns the violation when this one breaks the chain. */
  push(record: StoredRecord): AuditViolation | undefined {
    if (this.#failure === undefined) this.#failure = this.#check(record);
    return this.#failure;
  }

  /** Records a line that could not be parsed as a record. */
  malformed(detail: string): AuditViolation {
    this.#failure ??= { seq: this.#prev.seq + 1, problem: "malformed", detail };
    return this.#failure;
  }

  finish(): VerifyResult {
    if (this.#failure === undefined) {
      const beyond = [...this.#anchors.keys()].filter((seq) => seq > this.#prev.seq).sort((a, b) => a - b)[0];
      if (beyond !== undefined) {
        const detail = `log ends at seq ${this.#prev.seq} but an anchor names seq ${beyond}`;
        this.#failure = { seq: this.#prev.seq + 1, problem: "truncated", detail };
      }
    }
    if (this.#failure !== undefined) return { ok: false, firstBad: this.#failure };
    return { ok: true, count: this.#count, head: { ...this.#prev } };
  }

  #check(r: StoredRecord): AuditViolation | undefined {
    const expected = this.#prev.seq + 1;
    if (r.seq > expected)
      return { seq: expected, problem: "removed", detail: `seq ${expected} missing, next is ${r.seq}` };
    if (r.seq < expected) return { seq: r.seq, problem: "duplicate", detail: `seq ${r.seq} appears again` };
    const selfConsistent = recordHash(r) === r.hash;
    const linked = r.prevHash === this.#prev.hash;
    if (!selfConsistent || !linked) return this.#classify(r, selfConsistent, linked);
    const anchored = this.#anchors.get(r.seq);
    if (anchored !== undefined && anchored !== r.hash) {
      return { seq: r.seq, problem: "anchor_mismatch", detail: `hash ${r.hash} differs from anchor ${anchored}` };
    }
    this.#prevPrevHash = this.#prev.hash;
    this.#prev = { seq: r.seq, hash: r.hash };
    this.#count += 1;
    return undefined;
  }

  #classify(r: StoredRecord, selfConsistent: boolean, linked: boolean): AuditViolation {
    const prevSeq = this.#prev.seq;
    if (!selfConsistent && linked) {
      return { seq: r.seq, problem: "altered", detail: "content does not match its hash" };
    }
    if (r.prevHash === this.#prevPrevHash && recordHash({ ...r, seq: prevSeq }) === r.hash) {
      const detail = `record ${prevSeq} does not belong: record ${r.seq} was originally ${prevSeq}`;
      return { seq: prevSeq, problem: "inserted", detail };
    }
    if (selfConsistent && prevSeq > 0) {
      const detail = `record ${r.seq} does not link to it: rewritten with a recomputed hash`;
      return { seq: prevSeq, problem: "altered", detail };
    }
    if (selfConsistent) return { seq: r.seq, problem: "altered", detail: "first record does not start at genesis" };
    return { seq: r.seq, problem: "reordered", detail: "record neither matches its hash nor links to its predecessor" };
  }
}
