/**
 * Typed errors of the bank's HTTP API: `FrameworkError`s with a stable API_* code. The HTTP status of every code,
 * these and the participant's, comes from `ERROR_STATUS` (src/errors/status.ts); only the server's error handler
 * reads it.
 */
import { FrameworkError, type ErrorCode, type SchemaIssue } from "../errors";

/** Stable codes of the API's own refusals (the API_* members of `ErrorCode`). */
export type ApiErrorCode = Extract<ErrorCode, `API_${string}`>;

/** Base class of every API error. Branch with `isFrameworkError(error, code)`. */
export class ApiError<C extends ApiErrorCode = ApiErrorCode> extends FrameworkError<C> {}

/** No bearer token, or one that does not verify (signature, algorithm, issuer, audience, expiry, claims). */
export class ApiUnauthenticatedError extends ApiError {
  constructor(reason: string, cause?: unknown) {
    super("API_UNAUTHENTICATED", reason, { reason }, cause);
  }
}

/** A valid token without any of the roles the route admits. */
export class ApiForbiddenError extends ApiError {
  constructor(required: readonly string[], held: readonly string[]) {
    super("API_FORBIDDEN", `this route needs one of the roles ${required.join(", ")}`, {
      required: [...required],
      held: [...held],
    });
  }
}

/** The request does not match its schema: every failing field is named in `details.issues`. */
export class ApiRequestInvalidError extends ApiError {
  constructor(where: string, issues: readonly SchemaIssue[]) {
    const fields = issues.map((i) => i.path).join(", ");
    super("API_REQUEST_INVALID", `invalid ${where}: ${fields}`, { where, issues: [...issues] });
  }
}

/** The API configuration does not match its schema, or names keys that cannot be read. */
export class ApiConfigError extends ApiError {
  constructor(reason: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("API_CONFIG_INVALID", `invalid API configuration: ${reason}`, details, cause);
  }
}
