// Signed bundles for tests: the compliance keys, chain id and shared-policy version the policy tests trust,
// and helpers that build, sign and alter bundles of the real bank policy.
import { id, Wallet } from "ethers";
import { createBundle, signBundle, type PolicyBundle } from "../../src/policy";
import { BANK_B } from "./helpers";

/** The consortium network's chain id in these tests. */
export const CHAIN_ID = 2026;
/** The shared-policy version on chain in these tests. */
export const SHARED_VERSION = 7;
export const CREATED_AT = 1_763_719_200;

export const compliance = [1, 2, 3].map((n) => new Wallet(id(`compliance-officer-${n}`)));
export const outsider = new Wallet(id("outsider"));
export const complianceKeys = compliance.map((w) => w.address);

/** The bank's data document as built: `{ bank: ... }`. */
export interface BankDocument {
  bank: { counterparties: Record<string, { limits: Record<string, { per_settlement: string; daily: string }> }> };
}

/** A deep copy of `data` with Bank B's EURT per-settlement limit set to `limit` (minor units). */
export function withEurtLimit(data: BankDocument, limit: string): BankDocument {
  const copy = structuredClone(data);
  copy.bank.counterparties[BANK_B].limits.EURT.per_settlement = limit;
  return copy;
}

/** An unsigned bundle of `wasm` and `data`. */
export function unsigned(
  wasm: Uint8Array,
  data: BankDocument,
  version: number,
  sharedPolicyVersion = SHARED_VERSION,
): PolicyBundle {
  return createBundle({
    wasm,
    data: data as unknown as Record<string, unknown>,
    version,
    sharedPolicyVersion,
    createdAt: CREATED_AT,
  });
}

/** `bundle` signed by each of `signers` in turn on `chainId`. */
export async function signedBy(
  bundle: PolicyBundle,
  signers: readonly Wallet[],
  chainId = CHAIN_ID,
): Promise<PolicyBundle> {
  let out = bundle;
  for (const signer of signers) out = await signBundle(out, signer, chainId);
  return out;
}

/** The error `promise` rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
