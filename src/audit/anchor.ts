/**
 * On-chain anchoring of the audit log's head: a bank's operator posts the log's head (seq and hash) to the
 * consortium's `AuditAnchor` contract, where it stays in an `AuditHeadAnchored` event for counterparties and
 * auditors. Later, `fetchAnchors` reads a member's anchors back in the shape `verify({ anchors })` takes, and a
 * log that no longer reaches an anchored seq (truncated) or reaches it with another hash (rewritten) fails.
 *
 * What an anchor covers: the log up to and including `seq`, the head when `anchorHead` read it. The `anchor`
 * record `anchorHead` appends once the transaction is mined itself advances the head (to `seq + 1` or later,
 * if other appends ran meanwhile); that record and everything after it is covered only by the next anchor.
 */
import type { Signer } from "ethers";
import type { IAuditAnchor } from "../../typechain-types";
import { AuditAppendError, AuditEntryInvalidError } from "./errors";
import type { AuditHead, AuditRecord } from "./record";
import type { AuditStore } from "./store";

/** The log is empty: there is no head to anchor. */
export class AuditAnchorEmptyLogError extends AuditEntryInvalidError {
  constructor() {
    super("the log is empty, there is no head to anchor", "head");
  }
}

/** The anchoring transaction was sent but no receipt came back; no `anchor` record was appended. */
export class AuditAnchorNotMinedError extends AuditAppendError {
  constructor(txHash: string) {
    super("anchor", new Error(`anchoring transaction ${txHash} has no receipt`));
    this.details.txHash = txHash;
  }
}

/** What `anchorHead` posted and recorded. */
export interface AnchorResult {
  /** The anchored head: the log is covered up to and including `head.seq`. */
  head: AuditHead;
  txHash: string;
  blockNumber: number;
  /** The `anchor` record appended after the transaction was mined (its seq is above `head.seq`). */
  record: AuditRecord;
}

/** An audit hash (64 lowercase hex digits) as a bytes32 value. */
export const headToBytes32 = (hash: string): string => `0x${hash.toLowerCase()}`;
/** A bytes32 value from the chain as an audit hash. */
export const bytes32ToHead = (value: string): string => value.replace(/^0x/i, "").toLowerCase();

/**
 * Posts the store's current head on chain as `signer` (an operator of the bank's member), waits until the
 * transaction is mined, then appends an `anchor` record (payload: tx hash, block, contract, seq, head).
 * Contract reverts (not a member, seq not rising) surface as the ethers error; nothing is then recorded.
 */
export async function anchorHead(
  store: AuditStore,
  anchorContract: IAuditAnchor,
  signer: Signer,
): Promise<AnchorResult> {
  const head = await store.head();
  if (head.seq === 0) throw new AuditAnchorEmptyLogError();
  const tx = await anchorContract.connect(signer).anchor(head.seq, headToBytes32(head.hash));
  const receipt = await tx.wait();
  if (receipt === null) throw new AuditAnchorNotMinedError(tx.hash);
  const record = await store.append({
    kind: "anchor",
    payload: {
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      contract: await anchorContract.getAddress(),
      seq: head.seq,
      head: head.hash,
    },
  });
  return { head, txHash: receipt.hash, blockNumber: receipt.blockNumber, record };
}

/** Every head a member anchored (from `fromBlock`, default genesis), oldest first, ready for `verify`. */
export async function fetchAnchors(
  anchorContract: IAuditAnchor,
  memberId: number,
  fromBlock: number = 0,
): Promise<AuditHead[]> {
  const events = await anchorContract.queryFilter(anchorContract.filters.AuditHeadAnchored(memberId), fromBlock);
  return events.map((e) => ({ seq: Number(e.args.seq), hash: bytes32ToHead(e.args.head) }));
}
