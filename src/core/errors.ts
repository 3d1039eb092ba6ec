/**
 * Typed errors of the core helpers: `FrameworkError`s with a stable CORE_* `code`, structured `details` and the
 * underlying `cause`. No message or detail ever carries a secret's value or the value that failed to encode.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the core helpers raise (the CORE_* members of the framework's `ErrorCode`). */
export type CoreErrorCode = Extract<ErrorCode, `CORE_${string}`>;

/** Base class of every core error. Branch with `isFrameworkError(error, code)`. */
export class CoreError extends FrameworkError<CoreErrorCode> {}

/** A value cannot be written as canonical JSON: not plain JSON (undefined, bigint, NaN, a class instance) or too deep. */
export class CoreJsonInvalidError extends CoreError {
  /** Why the value was refused. */
  readonly reason: string;
  /** Where in the value (`intent.legs[0].amount`). */
  readonly path: string;

  constructor(reason: string, path: string) {
    super("CORE_JSON_INVALID", `not canonical JSON: ${reason} at ${path}`, { reason, path });
    this.reason = reason;
    this.path = path;
  }
}

/** Why a secret could not be read: the variable is unset, the value empty, or the file unreadable. */
export type SecretProblem = "unset" | "empty" | "unreadable";

/** A secret (PIN, passphrase, key) is not available from the environment variable or file that should hold it. */
export class CoreSecretUnavailableError extends CoreError {
  /** What went wrong, without the value. */
  readonly problem: SecretProblem;
  /** `environment variable NAME` or `file PATH`. */
  readonly where: string;

  constructor(source: { env: string } | { file: string }, problem: SecretProblem, cause?: unknown) {
    const where = "env" in source ? `environment variable ${source.env}` : `file ${source.file}`;
    const why = problem === "unreadable" ? "cannot be read" : problem === "unset" ? "is not set" : "is empty";
    super("CORE_SECRET_UNAVAILABLE", `secret ${where} ${why}`, { source, problem }, cause);
    this.problem = problem;
    this.where = where;
  }
}
