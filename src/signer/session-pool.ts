/**
 * A small pool of logged-in sessions on one token, each with its key handles. A session runs one
 * operation at a time (a promise queue per session); a failed operation is recovered by reopening
 * the session (or re-initialising the module after C_Finalize) and retried a bounded number of times.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { PKCS11 } from "pkcs11js";
import type { HsmSignerConfig } from "./config";
import { HsmSignerClosedError, HsmUnavailableError } from "./errors";
import { reportHsmFailure } from "./hsm-events";
import { describeFailure, recoveryFor, type Pkcs11Library } from "./library";
import { closeQuietly, findKeyPair, openLoggedInSession } from "./token";

/** An open, logged-in session and the key pair found in it. */
export interface SessionState {
  readonly api: PKCS11;
  readonly session: Buffer;
  readonly privateKey: Buffer;
  readonly publicKey: Buffer;
}

/** One session slot of the pool with its queue. */
class Lane {
  state: SessionState | null = null;
  generation = -1;
  pending = 0;
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after everything queued before it on this lane has settled. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Sessions on one token for one key; see the module comment. */
export class SessionPool {
  readonly #library: Pkcs11Library;
  readonly #config: HsmSignerConfig;
  readonly #lanes: Lane[];
  #closed = false;

  constructor(library: Pkcs11Library, config: HsmSignerConfig) {
    this.#library = library;
    this.#config = config;
    this.#lanes = Array.from({ length: config.sessions }, () => new Lane());
  }

  /** Runs `op` on the least busy session, recovering and retrying as configured. */
  run<T>(op: (state: SessionState) => Promise<T> | T): Promise<T> {
    if (this.#closed) return Promise.reject(new HsmSignerClosedError(this.#config.tokenLabel));
    const lane = this.#lanes.reduce((best, candidate) => (candidate.pending < best.pending ? candidate : best));
    lane.pending += 1;
    return lane
      .exclusive(() => this.#withRetries(lane, op))
      .finally(() => {
        lane.pending -= 1;
      });
  }

  /** Handles of the sessions open right now (diagnostics and fault-injection tests). */
  sessionHandles(): Buffer[] {
    return this.#lanes.flatMap((lane) => (lane.state === null ? [] : [lane.state.session]));
  }

  /** Refuses new operations, lets queued ones finish, closes every session, releases the module. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#lanes.map((lane) => lane.exclusive(() => Promise.resolve(this.#discard(lane, true)))));
    this.#library.release();
  }

  async #withRetries<T>(lane: Lane, op: (state: SessionState) => Promise<T> | T): Promise<T> {
    const { maxRetries, backoffMs } = this.#config.retry;
    let lastError: unknown;
    for (let attempt = 0; attempt <= maxRetries; attempt += 1) {
      if (attempt > 0) await sleep(attempt * backoffMs);
      let generation = this.#library.generation;
      try {
        const api = this.#library.api();
        generation = this.#library.generation;
        const state = this.#open(lane, api, generation);
        return await op(state);
      } catch (error) {
        const recovery = recoveryFor(error);
        reportHsmFailure(
          this.#config.tokenLabel,
          recovery === "fatal" || attempt === maxRetries ? "error" : "retry",
          error,
        );
        if (recovery === "fatal") throw error;
        lastError = error;
        this.#discard(lane, recovery === "reopen");
        if (recovery === "reinitialize") {
          try {
            this.#library.reinitialize(generation);
          } catch (reinitError) {
            lastError = reinitError;
          }
        }
      }
    }
    throw new HsmUnavailableError(this.#config.tokenLabel, maxRetries + 1, describeFailure(lastError), lastError);
  }

  /** The lane's session, (re)opened, logged in and with the key found if it is missing or stale. */
  #open(lane: Lane, api: PKCS11, generation: number): SessionState {
    if (lane.state !== null && lane.generation === generation) return lane.state;
    lane.state = null;
    const { tokenLabel, pin, key } = this.#config;
    const session = openLoggedInSession(api, tokenLabel, pin);
    try {
      const { privateKey, publicKey } = findKeyPair(api, session, tokenLabel, key);
      lane.state = { api, session, privateKey, publicKey };
      lane.generation = generation;
      return lane.state;
    } catch (error) {
      closeQuietly(api, session);
      throw error;
    }
  }

  /** Forgets the lane's session, closing it first when the module is still initialised. */
  #discard(lane: Lane, close: boolean): void {
    const state = lane.state;
    lane.state = null;
    if (close && state !== null) closeQuietly(state.api, state.session);
  }
}
