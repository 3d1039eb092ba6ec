/**
 * Nonce allocation at the source: per key, the next nonce is the larger of the chain's pending nonce
 * and the highest recorded nonce + 1, chosen and recorded while the key's in-process lock is held (and
 * in one database transaction, so another process on the same file cannot take it either). Concurrent
 * requests get distinct nonces and a restart (a new store on the same file) continues without a gap or a
 * duplicate. Signers of one key in one process should share one `NonceAllocator`.
 *
 * Claims that arrive while the key's lock is held wait together and are then recorded in one transaction
 * (group commit): one durable commit and one read of the pending nonce for all of them, in arrival order.
 */
import { getAddress } from "ethers";
import type { StagedWrite } from "../storage";
import { checkNonce, type Allocation, type SigningRecordStore, type SigningRequest } from "./protection";

/** Where the chain's pending nonce comes from (an ethers `Provider` fits). */
export interface PendingNonceSource {
  getTransactionCount(address: string, blockTag: "pending"): Promise<number>;
}

/** An in-process mutex per key: callers for one key run one at a time, in arrival order. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier caller for `key` has finished. */
  async run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** A claim waiting for the next group commit of its key and chain. */
interface Claim {
  chain: PendingNonceSource | null | undefined;
  request: SigningRequest;
  resolve: (allocation: Allocation) => void;
  reject: (error: unknown) => void;
}

/** Allocates nonces from a `SigningRecordStore` and, optionally, the chain. */
export class NonceAllocator {
  readonly store: SigningRecordStore;
  readonly #locks = new KeyedMutex();
  /** Claims waiting for the key's lock, by key and chain id. */
  readonly #waiting = new Map<string, Claim[]>();

  constructor(store: SigningRecordStore) {
    this.store = store;
  }

  /** Runs `fn` under the lock of `key` (a checksummed or lower-case address). */
  withKeyLock<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    return this.#locks.run(getAddress(key), fn);
  }

  /** The nonce `allocate` would pick now: max(pending nonce from `chain`, highest recorded + 1). A peek only. */
  async nextNonce(key: string, chainId: bigint, chain?: PendingNonceSource | null): Promise<number> {
    const address = getAddress(key);
    const pending = chain == null ? 0 : await chain.getTransactionCount(address, "pending");
    const highest = this.store.highestNonce(address, chainId);
    const next = Math.max(pending, highest === undefined ? 0 : highest + 1);
    checkNonce(next);
    return next;
  }

  /**
   * Allocates and records a nonce in one step under the key's lock: the chain's pending nonce is read first,
   * then the store picks max(pending, highest recorded + 1) and records `request.payloadFor(nonce)` for it in
   * one database transaction. Returns the nonce.
   */
  async allocate(
    key: string,
    chainId: bigint,
    chain: PendingNonceSource | null | undefined,
    request: SigningRequest,
  ): Promise<number> {
    return (await this.claim(key, chainId, chain, request)).nonce;
  }

  /** `allocate` with its outcome (see `SigningRecordStore.claimNextIntent`); concurrent claims commit together. */
  claim(
    key: string,
    chainId: bigint,
    chain: PendingNonceSource | null | undefined,
    request: SigningRequest,
  ): Promise<Allocation> {
    const address = getAddress(key);
    const group = `${address}/${chainId}`;
    return new Promise<Allocation>((resolve, reject) => {
      let claims = this.#waiting.get(group);
      if (claims === undefined) {
        claims = [];
        this.#waiting.set(group, claims);
        void this.withKeyLock(address, () => this.#commit(group, address, chainId));
      }
      claims.push({ chain, request, resolve, reject });
    });
  }

  /**
   * `claim` staged for a write set (see `SigningRecordStore.stageNextIntent`): the chain's pending nonce is read,
   * then the nonce is chosen and held in memory in one synchronous step, so concurrent claims get distinct nonces
   * without the key's lock; it is recorded when the write set commits.
   */
  async stage(
    key: string,
    chainId: bigint,
    chain: PendingNonceSource | null | undefined,
    request: SigningRequest,
  ): Promise<{ allocation: Allocation; write: StagedWrite }> {
    const address = getAddress(key);
    const pending = chain == null ? 0 : await chain.getTransactionCount(address, "pending");
    return this.store.stageNextIntent(address, chainId, pending, request);
  }

  /** Records every claim waiting for `group`, one transaction per source of the pending nonce. Never throws. */
  async #commit(group: string, address: string, chainId: bigint): Promise<void> {
    const claims = this.#waiting.get(group) ?? [];
    this.#waiting.delete(group); // claims from now on wait for the next commit
    const bySource = new Map<PendingNonceSource | null | undefined, Claim[]>();
    for (const claim of claims) bySource.set(claim.chain, [...(bySource.get(claim.chain) ?? []), claim]);
    for (const [chain, same] of bySource) {
      try {
        const pending = chain == null ? 0 : await chain.getTransactionCount(address, "pending");
        const results = this.store.claimNextIntents(
          address,
          chainId,
          pending,
          same.map((c) => c.request),
        );
        results.forEach((result, i) => ("error" in result ? same[i].reject(result.error) : same[i].resolve(result)));
      } catch (error) {
        same.forEach((c) => c.reject(error));
      }
    }
  }
}
