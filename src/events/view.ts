/**
 * The one JSON form of a recorded event that leaves the bank's process: in the event list, in the live stream and
 * in every webhook body (`data` of a Standard Webhooks payload).
 */
import type { JsonValue } from "../core";
import type { ChainEvent } from "./store";

export interface ChainEventView {
  [key: string]: JsonValue;
  seq: number;
  id: string;
  kind: "event" | "receipt";
  type: string;
  chainId: number;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  contract: string;
  address: string;
  subject: string | null;
  data: { [key: string]: JsonValue };
  own: boolean;
  /** The bank's audit records: of this event, of the decision and of the signature behind its transaction. */
  audit: { event: number | null; decision: number | null; signature: number | null };
  recordedAt: string;
}

export function eventView(e: ChainEvent): ChainEventView {
  return {
    seq: e.seq,
    id: e.id,
    kind: e.kind,
    type: e.type,
    chainId: e.chainId,
    blockNumber: e.blockNumber,
    blockHash: e.blockHash,
    logIndex: e.logIndex,
    txHash: e.txHash,
    contract: e.contract,
    address: e.address,
    subject: e.subject,
    data: e.data,
    own: e.own,
    audit: { event: e.auditSeq, decision: e.decisionSeq, signature: e.signatureSeq },
    recordedAt: e.recordedAt,
  };
}
