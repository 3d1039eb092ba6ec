/**
 * Start-up recovery of transactions signed but never recorded as sent (a crash between the two): the gate's
 * signature records carry the signed bytes, the call's payload hash and the caller's operation id; each one of
 * this key and chain that no submission holds is recorded under the key the participant would look it up by,
 * so the retried call sends exactly those bytes. Then every pending submission is brought in line with the
 * chain: one whose nonce is used gets its receipt recorded, one whose nonce is open is broadcast again.
 */
import { Transaction, type Provider } from "ethers";
import type { AuditStore } from "../audit";
import type { Submission, SubmissionStore } from "./submissions";

export interface RecoveryParts {
  audit: AuditStore;
  submissions: SubmissionStore;
  provider: Provider;
  /** The key's address: only its signatures are recovered. */
  address: string;
  chainId: bigint;
}

/** Recovers unsent transactions (see the module comment); returns the submissions it recorded. */
export async function recoverUnsent(parts: RecoveryParts): Promise<Submission[]> {
  const { audit, submissions, provider, address, chainId } = parts;
  const recovered: Submission[] = [];
  for await (const r of audit.records()) {
    const p = r.payload as { raw?: unknown; payloadHash?: unknown; operationId?: unknown; signer?: unknown };
    if (r.kind !== "signature" || typeof p.raw !== "string" || p.signer !== address) continue;
    const tx = Transaction.from(p.raw);
    if (tx.chainId !== chainId || submissions.hasTransaction(tx.hash!)) continue;
    const key = typeof p.operationId === "string" ? p.operationId : String(p.payloadHash);
    if (submissions.get(key) !== undefined) continue;
    submissions.record(key, tx.hash!, p.raw, tx.nonce);
    recovered.push(submissions.get(key)!);
  }
  const next = await provider.getTransactionCount(address, "latest");
  for (const s of submissions.pending()) {
    if (s.nonce < next) {
      const receipt = await provider.getTransactionReceipt(s.txHash);
      if (receipt !== null) submissions.settle(s.key, receipt.status === 1 ? "mined" : "reverted", receipt.blockNumber);
      continue;
    }
    try {
      await provider.broadcastTransaction(s.raw);
    } catch {
      // Already known to the node, or not yet acceptable: the retried call tracks it to its receipt.
    }
  }
  return recovered;
}
