/**
 * `ProtectedSigner`: wraps any ethers signer so that its key never signs two different transactions for
 * one nonce. `signTransaction` populates the request, allocates the nonce when absent (`NonceAllocator`),
 * records the intent durably under the key's lock, and only then asks the inner signer for the signature.
 * Messages and typed data carry no nonce and are passed straight to the inner signer.
 */
import {
  AbstractSigner,
  copyRequest,
  getAddress,
  getBigInt,
  keccak256,
  resolveAddress,
  resolveProperties,
  Transaction,
  type Provider,
  type Signer,
  type TransactionLike,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import type { WriteSet } from "../audit";
import type { StagedWrite } from "../storage";
import type { NonceAllocator } from "./nonce";
import type { IntentOutcome } from "./protection";
import { SigningPayloadMismatchError, SigningRequestInvalidError } from "./protection-errors";
import { codeFamily, isFrameworkError } from "../errors";
import { signedUnsignedHashOf, unsignedHashOf } from "./tx-hash";

/** A signature released by `ProtectedSigner.protectTransaction`, with what was recorded for it. */
export interface ProtectedSignature {
  /** The signed, serialized transaction. */
  serialized: string;
  nonce: number;
  chainId: bigint;
  /** keccak256 of the unsigned serialized transaction (the recorded payload). */
  payloadHash: string;
  /** The transaction hash: keccak256 of `serialized`. */
  txHash: string;
  /** `"retry"` when the identical payload had been recorded for this nonce before. */
  outcome: IntentOutcome;
}

export class ProtectedSigner extends AbstractSigner {
  readonly inner: Signer;
  /** Shared by every signer of the key in this process (and by signers made with `connect`). */
  readonly allocator: NonceAllocator;

  constructor(inner: Signer, allocator: NonceAllocator) {
    super(inner.provider);
    this.inner = inner;
    this.allocator = allocator;
  }

  override getAddress(): Promise<string> {
    return this.inner.getAddress();
  }

  override connect(provider: null | Provider): ProtectedSigner {
    return new ProtectedSigner(this.inner.connect(provider), this.allocator);
  }

  /** Fills chain id, gas limit and fees; leaves the nonce unset unless given (it is allocated when signing). */
  override async populateTransaction(tx: TransactionRequest): Promise<TransactionLike<string>> {
    const request = copyRequest(tx);
    const key = await this.getAddress();
    const { to, from } = await resolveProperties({
      to: request.to == null ? undefined : resolveAddress(request.to, this),
      from: request.from == null ? undefined : resolveAddress(request.from, this),
    });
    if (from != null && getAddress(from) !== key) {
      throw new SigningRequestInvalidError("transaction from address is not the signer's key", { key, from });
    }
    if (to != null) request.to = to;
    delete request.from;
    const nonce = request.nonce ?? null;
    const fees = request.gasPrice != null || (request.maxFeePerGas != null && request.maxPriorityFeePerGas != null);
    // Populated already (by the caller, before its decision): nothing is asked of the provider again.
    if (request.chainId != null && request.gasLimit != null && fees && (to != null || request.to == null)) {
      return { ...request, nonce } as TransactionLike<string>;
    }
    if (this.provider == null) {
      const missing = [request.chainId == null && "chainId", request.gasLimit == null && "gasLimit", !fees && "fees"];
      if (missing.some(Boolean)) {
        throw new SigningRequestInvalidError("without a provider every field but the nonce must be given", {
          missing: missing.filter(Boolean),
        });
      }
      return { ...request, nonce } as TransactionLike<string>;
    }
    // A placeholder nonce keeps ethers from reading the chain's nonce; with the gas limit already known it
    // affects nothing else and is replaced below.
    const gasLimit = request.gasLimit ?? (await this.estimateGas({ ...request, nonce: undefined }));
    const populated = await super.populateTransaction({ ...request, gasLimit, nonce: nonce ?? 0 });
    delete populated.from;
    return { ...populated, nonce };
  }

  override async signTransaction(tx: TransactionRequest): Promise<string> {
    return (await this.protectTransaction(tx)).serialized;
  }

  /**
   * Populates `tx`, allocates its nonce if absent, records the intent durably under the key's lock, then
   * signs. A different payload for a recorded nonce throws `SigningNonceConflictError` and nothing is signed.
   *
   * With `writes`, the nonce is claimed in memory and its record staged in `writes` instead: the caller must not
   * release the signature before `writes` is committed (dropped, the nonce is free again).
   */
  async protectTransaction(tx: TransactionRequest, writes?: WriteSet): Promise<ProtectedSignature> {
    const populated = await this.populateTransaction(tx);
    const key = await this.getAddress();
    if (populated.chainId == null) throw new SigningRequestInvalidError("transaction has no chain id", { key });
    const chainId = getBigInt(populated.chainId);
    // The one transaction object of this signature: built once (a malformed request fails here, before anything
    // is recorded), hashed at nonce 0 for the request hash, then at the nonce it is given.
    const unsigned = Transaction.from({ ...populated, nonce: populated.nonce ?? 0 });
    const requestHash = populated.nonce == null ? unsignedHashOf(unsigned) : atNonce(unsigned, 0);
    let outcome: IntentOutcome = "new";
    let staged: StagedWrite | undefined;
    if (writes !== undefined) {
      const store = this.allocator.store;
      const claimed =
        populated.nonce == null
          ? await this.allocator.stage(key, chainId, this.provider, {
              requestHash,
              payloadFor: (nonce) => atNonce(unsigned, nonce),
            })
          : (() => {
              unsigned.nonce = populated.nonce;
              const held = store.stageIntent(key, chainId, populated.nonce, unsignedHashOf(unsigned), requestHash);
              return { allocation: { nonce: populated.nonce, outcome: held.outcome }, write: held.write };
            })();
      unsigned.nonce = claimed.allocation.nonce;
      outcome = claimed.allocation.outcome;
      staged = claimed.write;
    } else if (populated.nonce == null) {
      const payloadFor = (nonce: number): string => atNonce(unsigned, nonce);
      const claimed = await this.allocator.claim(key, chainId, this.provider, { requestHash, payloadFor });
      unsigned.nonce = claimed.nonce;
      outcome = claimed.outcome;
    } else {
      const nonce = populated.nonce;
      unsigned.nonce = nonce;
      const hash = unsignedHashOf(unsigned);
      outcome = await this.allocator.withKeyLock(key, () =>
        this.allocator.store.recordIntent(key, chainId, nonce, hash, requestHash),
      );
    }
    const payloadHash = unsignedHashOf(unsigned);
    let serialized: string;
    try {
      serialized = await this.inner.signTransaction(unsigned);
    } catch (error) {
      // The HSM signer releases nothing when it fails: free the slot so the next transaction takes this nonce.
      if (staged !== undefined) staged.drop();
      else if (outcome === "new" && isFrameworkError(error, codeFamily("HSM_"))) {
        this.allocator.store.release(key, chainId, unsigned.nonce, payloadHash);
      }
      throw error;
    }
    const signedHash = signedUnsignedHashOf(serialized);
    if (signedHash !== payloadHash) {
      staged?.drop();
      throw new SigningPayloadMismatchError(key, payloadHash, signedHash);
    }
    if (staged !== undefined) writes!.stage(staged);
    return { serialized, nonce: unsigned.nonce, chainId, payloadHash, txHash: keccak256(serialized), outcome };
  }

  /** Signs through `signTransaction` (so the nonce is allocated and recorded) and broadcasts. */
  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const provider = this.provider;
    if (provider == null) throw new SigningRequestInvalidError("sending needs a provider");
    return provider.broadcastTransaction(await this.signTransaction(tx));
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.inner.signMessage(message);
  }

  override signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return this.inner.signTypedData(domain, types, value);
  }
}

/** The unsigned hash of `tx` at `nonce` (the object keeps that nonce). */
function atNonce(tx: Transaction, nonce: number): string {
  tx.nonce = nonce;
  return unsignedHashOf(tx);
}
