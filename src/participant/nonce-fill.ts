/**
 * Signing the no-op that fills a nonce (see `Participant.fillNonce`): a zero-value transfer of the key to itself at
 * exactly that nonce, through the policy gate, which decides it as a `fill_nonce` intent (operations approve). The
 * signing-record slot the nonce held (a payload that can no longer be mined, or that was never signed) is given
 * up for the fill's signature only, and taken back when the gate does not sign.
 */
import type { SigningRecordStore } from "../signer";
import type { PolicyGatedSigner } from "../orchestrator";

/** The signed fill of `nonce` for `address`; throws what the gate throws (approvals pending, denied). */
export async function signNonceFill(
  gate: PolicyGatedSigner,
  records: SigningRecordStore,
  address: string,
  chainId: bigint,
  nonce: number,
): Promise<string> {
  const populated = await gate.populateTransaction({ to: address, value: 0n, data: "0x", nonce, chainId });
  const held = records.intent(address, chainId, nonce);
  if (held !== undefined) records.release(address, chainId, nonce, held.payloadHash);
  try {
    return await gate.signTransaction(populated);
  } catch (error) {
    // Taken back unless another transaction took the slot in between (which fills the nonce as well).
    if (held !== undefined && records.intent(address, chainId, nonce) === undefined) {
      records.recordIntent(address, chainId, nonce, held.payloadHash);
    }
    throw error;
  }
}
