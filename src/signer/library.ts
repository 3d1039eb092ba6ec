/**
 * The PKCS#11 module of a process: loaded and initialised once per module path and shared by every
 * key on it (a module's state is per process, so two handles would only fight over C_Finalize), with
 * re-initialisation after C_Finalize and a classification of failures into recovery actions.
 */
import { realpathSync } from "node:fs";
import * as pkcs11 from "pkcs11js";
import { HsmError, Pkcs11LoadError } from "./errors";
import { isFrameworkError } from "../errors";

/** What a failed operation calls for before it is retried. */
export type Recovery = "reinitialize" | "reopen" | "fatal";

/** Return values after which reopening the session (log in, find the key again) can succeed. */
const REOPEN_CODES = new Set<number>([
  pkcs11.CKR_SESSION_HANDLE_INVALID,
  pkcs11.CKR_SESSION_CLOSED,
  pkcs11.CKR_SESSION_COUNT,
  pkcs11.CKR_OPERATION_ACTIVE,
  pkcs11.CKR_OPERATION_NOT_INITIALIZED,
  pkcs11.CKR_USER_NOT_LOGGED_IN,
  pkcs11.CKR_KEY_HANDLE_INVALID,
  pkcs11.CKR_OBJECT_HANDLE_INVALID,
  pkcs11.CKR_DEVICE_ERROR,
  pkcs11.CKR_DEVICE_MEMORY,
  pkcs11.CKR_DEVICE_REMOVED,
  pkcs11.CKR_TOKEN_NOT_PRESENT,
  pkcs11.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11.CKR_GENERAL_ERROR,
  pkcs11.CKR_FUNCTION_FAILED,
]);

/** True if `error` is a PKCS#11 return value equal to `code`. */
export function isCkr(error: unknown, code: number): boolean {
  return error instanceof pkcs11.Pkcs11Error && error.code === code;
}

/** Decides how to recover from `error`; anything not known to be transient is fatal. */
export function recoveryFor(error: unknown): Recovery {
  if (error instanceof pkcs11.Pkcs11Error) {
    if (error.code === pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED) return "reinitialize";
    return REOPEN_CODES.has(error.code) ? "reopen" : "fatal";
  }
  if (isFrameworkError(error, ["HSM_MODULE_LOAD_FAILED", "HSM_TOKEN_NOT_FOUND"])) return "reopen";
  return "fatal";
}

/** Short, log-safe name of a failure (a CKR_ name, an error code, or a class name). */
export function describeFailure(error: unknown): string {
  if (error instanceof pkcs11.Pkcs11Error) return error.message;
  if (error instanceof HsmError) return error.code;
  return error instanceof Error ? error.name : "unknown";
}

/** One loaded PKCS#11 module. Obtain it with `acquireLibrary`, give it back with `release`. */
export class Pkcs11Library {
  readonly modulePath: string;
  readonly #key: string;
  #api: pkcs11.PKCS11 | null = null;
  #generation = 0;
  #refs = 0;

  constructor(modulePath: string, key: string) {
    this.modulePath = modulePath;
    this.#key = key;
  }

  /** Increases on every (re-)initialisation: handles from an older generation are dead. */
  get generation(): number {
    return this.#generation;
  }

  /** The initialised API, loading the module first if needed (throws `Pkcs11LoadError`). */
  api(): pkcs11.PKCS11 {
    if (this.#api !== null) return this.#api;
    const api = new pkcs11.PKCS11();
    try {
      api.load(this.modulePath);
    } catch (error) {
      throw new Pkcs11LoadError(this.modulePath, error);
    }
    try {
      initialize(api);
    } catch (error) {
      api.close();
      throw error;
    }
    this.#api = api;
    this.#generation += 1;
    return api;
  }

  /** Initialises the module again after C_Finalize, once for all callers that saw `generation`. */
  reinitialize(generation: number): void {
    if (this.#api === null || generation !== this.#generation) return;
    initialize(this.#api);
    this.#generation += 1;
  }

  /** Gives back one reference; the last one finalises and unloads the module. */
  release(): void {
    this.#refs -= 1;
    if (this.#refs > 0) return;
    registry.delete(this.#key);
    const api = this.#api;
    this.#api = null;
    if (api === null) return;
    try {
      api.C_Finalize();
    } catch {
      // Already finalised (or never initialised): nothing left to release but the handle.
    }
    api.close();
  }

  /** @internal */
  retain(): this {
    this.#refs += 1;
    return this;
  }
}

const registry = new Map<string, Pkcs11Library>();

/** The shared library object for `modulePath` (one per real path in the process). */
export function acquireLibrary(modulePath: string): Pkcs11Library {
  let key = modulePath;
  try {
    key = realpathSync(modulePath);
  } catch {
    // A missing module is reported when it is loaded, inside the retry loop.
  }
  let library = registry.get(key);
  if (library === undefined) {
    library = new Pkcs11Library(modulePath, key);
    registry.set(key, library);
  }
  return library.retain();
}

function initialize(api: pkcs11.PKCS11): void {
  try {
    api.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (!isCkr(error, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) throw error;
  }
}
