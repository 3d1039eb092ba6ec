/**
 * Typed errors of the remote signing module and its client: `FrameworkError`s with a stable RSM_* `code`,
 * structured `details` (request id, issuer, key ids, schema paths) and the underlying `cause`. No message or
 * detail ever carries key material, a passphrase or the payload being signed.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the module and its client raise (the RSM_* members of `ErrorCode`). */
export type RsmErrorCode = Extract<ErrorCode, `RSM_${string}`>;

/** Base class of every module error. Branch with `isFrameworkError(error, code)`. */
export class RsmError<C extends RsmErrorCode = RsmErrorCode> extends FrameworkError<C> {}

/** The configuration does not match the schema (details list paths and messages, never values). */
export class RsmConfigError extends RsmError {
  constructor(issues: readonly { path: string; message: string }[]) {
    super("RSM_CONFIG_INVALID", `invalid remote signing configuration: ${issues.map((i) => i.path).join(", ")}`, {
      issues,
    });
  }
}

/** A key (or its passphrase) cannot be read from its file or environment variable, or is of the wrong type. */
export class RsmKeyUnavailableError extends RsmError {
  constructor(name: string, reason: string, cause?: unknown) {
    super("RSM_KEY_UNAVAILABLE", `key ${name} unavailable: ${reason}`, { key: name, reason }, cause);
  }
}

/** The module refused a request. `reason` is safe to show to the caller; `details` never hold the payload. */
export class RsmRequestError extends RsmError {
  /** The request id, once the request's signature has been verified (never an unauthenticated claim). */
  readonly jti: string | undefined;

  constructor(code: RsmErrorCode, reason: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(code, reason, details, cause);
    this.jti = typeof details.jti === "string" ? details.jti : undefined;
  }
}

/** The replay store (SQLite) cannot be opened or written; the module refuses to sign without it. */
export class RsmReplayStoreError extends RsmError {
  constructor(path: string, cause: unknown) {
    super("RSM_REPLAY_STORE_UNAVAILABLE", `replay store ${path} unavailable`, { path }, cause);
  }
}

/** The signer failed without a framework error, or returned something that does not verify. */
export class RsmSigningError extends RsmError<"RSM_SIGNING_FAILED" | "RSM_SIGNER_OUTPUT_INVALID"> {}

/** Client side: the module's answer does not verify or does not answer the request that was sent. */
export class RsmResponseInvalidError extends RsmError {
  constructor(reason: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("RSM_RESPONSE_INVALID", `remote signing response refused: ${reason}`, details, cause);
  }
}

/** Client side: the module answered with an error. `remoteCode` is the module's code (RSM_*, GATE_*, ...). */
export class RsmRemoteRefusedError extends RsmError {
  readonly status: number;
  readonly remoteCode: string;

  constructor(status: number, remoteCode: string, remoteMessage: string, jti: string) {
    super("RSM_REMOTE_REFUSED", `remote signing module refused request ${jti}: ${remoteCode} (${remoteMessage})`, {
      status,
      remoteCode,
      remoteMessage,
      jti,
    });
    this.status = status;
    this.remoteCode = remoteCode;
  }
}

/** Client side: the module could not be reached, or did not answer within the configured timeout. */
export class RsmTransportError extends RsmError {
  constructor(url: string, jti: string, cause: unknown) {
    super("RSM_TRANSPORT_FAILED", `remote signing module at ${url} did not answer request ${jti}`, { url, jti }, cause);
  }
}
