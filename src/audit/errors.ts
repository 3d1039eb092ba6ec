/**
 * Typed errors of the audit log: `FrameworkError`s with a stable `code`, structured `details` and the
 * underlying `cause`. A broken chain is not an error: `verify()` reports it as a result.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the audit log raises (the AUDIT_* members of the framework's `ErrorCode`). */
export type AuditErrorCode = Extract<ErrorCode, `AUDIT_${string}`>;

/** Base class of every audit error. Branch with `isFrameworkError(error, code)`. */
export class AuditError extends FrameworkError<AuditErrorCode> {}

/** The store configuration does not match the schema (details list paths and messages, never values). */
export class AuditConfigError extends AuditError {
  constructor(issues: readonly { path: string; message: string }[]) {
    super("AUDIT_CONFIG_INVALID", "invalid audit store configuration", { issues });
  }
}

/** An entry cannot be recorded: unknown kind, bad subject, or a payload that is not plain JSON. */
export class AuditEntryInvalidError extends AuditError {
  constructor(reason: string, path?: string) {
    super("AUDIT_ENTRY_INVALID", `invalid audit entry: ${reason}${path ? ` at ${path}` : ""}`, { reason, path });
  }
}

/**
 * The database cannot be opened, reached or prepared. The message names where (a file, or a server without its
 * credentials) and why, in the driver's words.
 */
export class AuditStoreUnavailableError extends AuditError {
  constructor(backend: "sqlite" | "postgres", cause: unknown, location?: string) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    const where = location === undefined ? "" : ` at ${location}`;
    super(
      "AUDIT_STORE_UNAVAILABLE",
      `audit store (${backend})${where} unavailable: ${reason}`,
      {
        backend,
        ...(location === undefined ? {} : { location }),
        reason,
      },
      cause,
    );
  }
}

/** The store was closed; nothing more can be appended or read. */
export class AuditStoreClosedError extends AuditError {
  constructor() {
    super("AUDIT_STORE_CLOSED", "audit store is closed");
  }
}

/** An append did not commit; nothing was recorded. */
export class AuditAppendError extends AuditError {
  constructor(kind: string, cause: unknown) {
    super("AUDIT_APPEND_FAILED", `audit append (${kind}) failed; nothing was recorded`, { kind }, cause);
  }
}

/** A stored record cannot be decoded (run `verify()` to locate tampering). */
export class AuditRecordCorruptError extends AuditError {
  constructor(seq: number, reason: string) {
    super("AUDIT_RECORD_CORRUPT", `audit record ${seq} is corrupt: ${reason}`, { seq, reason });
  }
}

/** A read asked for an impossible range (seq or limit not a positive integer). */
export class AuditReadRangeError extends AuditError {
  constructor(fromSeq: number, limit: number) {
    super("AUDIT_READ_INVALID", `invalid audit read range: from ${fromSeq}, limit ${limit}`, { fromSeq, limit });
  }
}

/** An export file could not be opened or read for verification. */
export class AuditExportUnreadableError extends AuditError {
  constructor(path: string, cause: unknown) {
    super("AUDIT_EXPORT_UNREADABLE", `audit export ${path} cannot be read`, { path }, cause);
  }
}

/** An export could not be written completely. */
export class AuditExportError extends AuditError {
  constructor(target: string, cause: unknown) {
    super("AUDIT_EXPORT_FAILED", `audit export to ${target} failed`, { target }, cause);
  }
}

/** A log (or an export of one) does not verify; raised by tools that must fail on it, not by `verify()`. */
export class AuditVerifyFailedError extends AuditError {
  constructor(violation: { seq: number; problem: string; detail: string }, source: string) {
    super(
      "AUDIT_VERIFY_FAILED",
      `${source} does not verify: record ${violation.seq} ${violation.problem} (${violation.detail})`,
      { source, ...violation },
    );
  }
}
