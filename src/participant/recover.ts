/**
 * Start-up recovery of transactions signed but never recorded as sent (a crash between the two): the gate's
 * signature records carry the signed bytes, the call's payload hash and the caller's operation id; each one of
 * this key and chain that no submission holds is recorded under the key the participant would look it up by,
 * so the retried call sends exactly those bytes. Then every pending submission is brought in line with the
 * chain: one whose nonce is used gets its receipt recorded, one whose nonce is open is broadcast again.
 *
 * What recovery cannot resolve by rebroadcasting is reported, nonce by nonce, so that the nonce can be filled
 * (see `Participant.fillNonce`) and the transactions above it are not stuck behind a gap:
 * - `unmineable`: the only signed bytes for an open nonce are refused by the node (replaced, invalid, above the
 *   block gas limit), for any reason other than being known already;
 * - `unsigned`: a nonce below the highest one allocated was recorded for signing (or freed again) but no signed
 *   bytes exist (the process died between allocating and signing, and no retry took it).
 */
import { Transaction, type Provider } from "ethers";
import type { AuditStore } from "../audit";
import type { SigningRecordStore } from "../signer";
import type { Submission, SubmissionStore } from "./submissions";

export interface RecoveryParts {
  audit: AuditStore;
  submissions: SubmissionStore;
  /** The key's nonce allocations: a nonce allocated but never signed is a gap. */
  records: SigningRecordStore;
  provider: Provider;
  /** The key's address: only its signatures and submissions are recovered. */
  address: string;
  /** Prefix of the submission keys of this key's calls: "" for the bank's own key, see `Participant.send`. */
  keyPrefix?: string;
  chainId: bigint;
}

/** A nonce that rebroadcasting cannot fill. */
export interface UnresolvedNonce {
  nonce: number;
  reason: "unmineable" | "unsigned";
  /** The transaction the node refused (`unmineable`). */
  txHash?: string;
  /** What the node answered (`unmineable`). */
  error?: string;
}

export interface RecoveryResult {
  /** The submissions recorded from the audit log's signature records. */
  recovered: Submission[];
  unresolved: UnresolvedNonce[];
}

/** A node's answer that means the transaction, or another at its nonce, is already in the pool or mined. */
const ALREADY_THERE = /already known|known transaction|nonce too low|nonce has already been used|replacement/i;

/** Recovers unsent transactions and reports the nonces it could not fill (see the module comment). */
export async function recoverUnsent(parts: RecoveryParts): Promise<RecoveryResult> {
  const { audit, submissions, provider, address, chainId } = parts;
  const recovered: Submission[] = [];
  for await (const r of audit.records()) {
    const p = r.payload as { raw?: unknown; payloadHash?: unknown; operationId?: unknown; signer?: unknown };
    if (r.kind !== "signature" || typeof p.raw !== "string" || p.signer !== address) continue;
    const tx = Transaction.from(p.raw);
    if (tx.chainId !== chainId || (await submissions.hasTransaction(tx.hash!))) continue;
    const key = typeof p.operationId === "string" ? p.operationId : `${parts.keyPrefix ?? ""}${String(p.payloadHash)}`;
    if ((await submissions.get(key)) !== undefined) continue;
    await submissions.record(key, tx.hash!, p.raw, tx.nonce);
    recovered.push((await submissions.get(key))!);
  }
  const next = await provider.getTransactionCount(address, "latest");
  const filled = new Set<number>();
  const refused = new Map<number, UnresolvedNonce>();
  for (const s of (await submissions.pending()).filter((pending) => Transaction.from(pending.raw).from === address)) {
    if (s.nonce < next) {
      const receipt = await provider.getTransactionReceipt(s.txHash);
      if (receipt !== null)
        await submissions.settle(s.key, receipt.status === 1 ? "mined" : "reverted", receipt.blockNumber);
      continue;
    }
    try {
      await provider.broadcastTransaction(s.raw);
      filled.add(s.nonce);
    } catch (error) {
      const message = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message ?? String(error);
      if (ALREADY_THERE.test(message)) filled.add(s.nonce);
      else refused.set(s.nonce, { nonce: s.nonce, reason: "unmineable", txHash: s.txHash, error: message });
    }
  }
  const unresolved = [...refused.values()].filter((u) => !filled.has(u.nonce));
  const highest = parts.records.highestNonce(address, chainId);
  for (let nonce = next; highest !== undefined && nonce <= highest; nonce++) {
    if (!filled.has(nonce) && !refused.has(nonce)) unresolved.push({ nonce, reason: "unsigned" });
  }
  return { recovered, unresolved: unresolved.sort((a, b) => a.nonce - b.nonce) };
}
