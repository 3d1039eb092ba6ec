/**
 * How the policy gate counts signatures (see `PolicyGatedSigner`): the key a signature is counted under, the
 * numbered intent and approval ids of the n-th signature under one key, the per-engine queue that decides and
 * counts signatures under one key one at a time, and the ids of a settlement's two legs.
 */
import type { PolicyEngine } from "../policy";
import type { DecodedCall } from "./decode";

/**
 * What signatures are counted under: a settlement step (its id and action), else the caller's explicit intent
 * id, else the call's payload hash. Never the caller's id for a settlement: two settlements cannot share one.
 */
export function signingKeyOf(
  decoded: Pick<Extract<DecodedCall, { kind: "intent" }>, "settlementId" | "action">,
  intentId: string | undefined,
  payloadHash: string,
): string {
  if (decoded.settlementId !== undefined) return `${decoded.settlementId}/${decoded.action}`;
  return intentId ?? `call:${payloadHash}`;
}

/** The id of signature number `ordinal` (from 0) under `key`: the key itself, then `key#2`, `key#3`, ... */
export function numbered(key: string, ordinal: number): string {
  return ordinal === 0 ? key : `${key}#${ordinal + 1}`;
}

/** Signatures under one key are decided and counted one at a time (per engine, which owns the count). */
const queues = new WeakMap<PolicyEngine, Map<string, Promise<unknown>>>();

export function serialize<T>(engine: PolicyEngine, key: string, task: () => Promise<T>): Promise<T> {
  let map = queues.get(engine);
  if (map === undefined) {
    map = new Map();
    queues.set(engine, map);
  }
  const previous = map.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const tail = run.catch(() => undefined);
  map.set(key, tail);
  void tail.then(() => {
    if (map.get(key) === tail) map.delete(key);
  });
  return run;
}

/** Suffix of the intent id (reservation and approvals) of a DvP's asset leg. */
export const ASSET_LEG = ":asset";

/** The intent ids whose exposure a settlement holds: its cash (or FoP asset) leg and a DvP's asset leg. */
export function settlementLegIds(settlementId: string): string[] {
  return [settlementId, `${settlementId}${ASSET_LEG}`];
}
