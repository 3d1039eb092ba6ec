/**
 * Typed errors of the HSM signer: `FrameworkError`s with a stable `code`, structured `details` and the
 * underlying `cause`. No message, detail or cause ever carries the PIN.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the signer raises (a subset of the framework's `ErrorCode`). */
export type HsmErrorCode = Extract<ErrorCode, `HSM_${string}`>;

/** Structured, log-safe context of an error (never secrets). */
export type HsmErrorDetails = Readonly<Record<string, unknown>>;

/** Base class of every signer error. Branch with `isFrameworkError(error, code)`. */
export class HsmError extends FrameworkError<HsmErrorCode> {}

/** The configuration does not match the schema (details list paths and messages, never values). */
export class HsmConfigError extends HsmError {
  constructor(issues: readonly { path: string; message: string }[]) {
    super("HSM_CONFIG_INVALID", "invalid HSM signer configuration", { issues });
  }
}

/** The PIN source (environment variable or file) is missing or empty. */
export class HsmPinUnavailableError extends HsmError {
  constructor(source: { env: string } | { file: string }, cause?: unknown) {
    const where = "env" in source ? `environment variable ${source.env}` : `file ${source.file}`;
    super("HSM_PIN_UNAVAILABLE", `HSM PIN not available from ${where}`, { source }, cause);
  }
}

/** The token refused the login (wrong, locked or expired PIN). Never retried: retries could lock it. */
export class HsmLoginError extends HsmError {
  constructor(tokenLabel: string, reason: string, cause?: unknown) {
    super("HSM_LOGIN_FAILED", `login to HSM token "${tokenLabel}" failed: ${reason}`, { tokenLabel, reason }, cause);
  }
}

/** The PKCS#11 module could not be loaded (missing or broken library); retried like a device error. */
export class Pkcs11LoadError extends HsmError {
  constructor(modulePath: string, cause: unknown) {
    super("HSM_MODULE_LOAD_FAILED", `cannot load PKCS#11 module ${modulePath}`, { modulePath }, cause);
  }
}

/** No present token carries the configured label (retried as a transient condition). */
export class HsmTokenNotFoundError extends HsmError {
  constructor(tokenLabel: string) {
    super("HSM_TOKEN_NOT_FOUND", `no HSM token labelled "${tokenLabel}"`, { tokenLabel });
  }
}

/** The key selector matches no key pair, or more than one. */
export class HsmKeyNotFoundError extends HsmError {
  constructor(tokenLabel: string, key: Readonly<Record<string, string>>, matches: number) {
    const what = matches === 0 ? "no key pair matches" : `${matches} key pairs match`;
    super("HSM_KEY_NOT_FOUND", `${what} ${JSON.stringify(key)} on token "${tokenLabel}"`, {
      tokenLabel,
      key,
      matches,
    });
  }
}

/** Key generation refused: a key with this label or id already exists. */
export class HsmKeyExistsError extends HsmError {
  constructor(tokenLabel: string, key: Readonly<Record<string, string>>) {
    super("HSM_KEY_EXISTS", `a key matching ${JSON.stringify(key)} already exists on "${tokenLabel}"`, {
      tokenLabel,
      key,
    });
  }
}

/** The HSM stayed unavailable through every configured retry. */
export class HsmUnavailableError extends HsmError {
  constructor(tokenLabel: string, attempts: number, lastError: string, cause?: unknown) {
    super(
      "HSM_UNAVAILABLE",
      `HSM token "${tokenLabel}" unavailable after ${attempts} attempts (last: ${lastError})`,
      { tokenLabel, attempts, lastError },
      cause,
    );
  }
}

/** The HSM returned a signature that does not verify against the key's address; it is not released. */
export class HsmSignatureError extends HsmError {
  constructor(reason: string, details: HsmErrorDetails, cause?: unknown) {
    super("HSM_SIGNATURE_INVALID", `HSM returned an invalid signature: ${reason}`, { reason, ...details }, cause);
  }
}

/** The signer (or its key) was closed. */
export class HsmSignerClosedError extends HsmError {
  constructor(tokenLabel: string) {
    super("HSM_SIGNER_CLOSED", `HSM signer for token "${tokenLabel}" is closed`, { tokenLabel });
  }
}
