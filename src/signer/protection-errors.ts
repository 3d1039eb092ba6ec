/**
 * Typed errors of double-sign protection: `FrameworkError`s with a stable `code`, structured `details`
 * and the underlying `cause`. Details carry addresses, chain ids, nonces and hashes, never key material.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the protection raises (the SIGNING_* members of `ErrorCode`). */
export type SigningErrorCode = Extract<ErrorCode, `SIGNING_${string}`>;

/** Base class of every protection error. Branch with `isFrameworkError(error, code)`. */
export class SigningError extends FrameworkError<SigningErrorCode> {}

/** The store options do not match the schema (details list paths and messages). */
export class SigningConfigError extends SigningError {
  constructor(issues: readonly { path: string; message: string }[]) {
    super("SIGNING_CONFIG_INVALID", "invalid signing record store options", { issues });
  }
}

/** The key already signed (or recorded the intent to sign) a different payload for this nonce. Nothing is signed. */
export class SigningNonceConflictError extends SigningError {
  constructor(key: string, chainId: bigint, nonce: number, recordedHash: string, requestedHash: string) {
    super(
      "SIGNING_NONCE_CONFLICT",
      `key ${key} already signed payload ${recordedHash} for nonce ${nonce} on chain ${chainId}; refusing ${requestedHash}`,
      { key, chainId, nonce, recordedHash, requestedHash },
    );
  }
}

/** The request cannot be protected: wrong sender, missing field without a provider, nonce out of range. */
export class SigningRequestInvalidError extends SigningError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super("SIGNING_REQUEST_INVALID", `cannot sign request: ${reason}`, { reason, ...details });
  }
}

/** The inner signer signed something other than the recorded payload; the signature is not released. */
export class SigningPayloadMismatchError extends SigningError {
  constructor(key: string, recordedHash: string, signedHash: string) {
    super("SIGNING_PAYLOAD_MISMATCH", `signer for ${key} signed ${signedHash} instead of recorded ${recordedHash}`, {
      key,
      recordedHash,
      signedHash,
    });
  }
}

/** The signing record database cannot be opened or written. */
export class SigningStoreUnavailableError extends SigningError {
  constructor(path: string, cause: unknown) {
    super("SIGNING_STORE_UNAVAILABLE", `signing record store ${path} unavailable`, { path }, cause);
  }
}

/** The signing record store was closed. */
export class SigningStoreClosedError extends SigningError {
  constructor(path: string) {
    super("SIGNING_STORE_CLOSED", `signing record store ${path} is closed`, { path });
  }
}
