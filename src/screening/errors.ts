/**
 * Typed errors of the screening providers: `FrameworkError`s with a stable SCREENING_* `code`. Every outage
 * (a sanctions list missing or malformed, a screening service down, slow, failing or answering nonsense) is
 * one of these, and every one denies: a provider never turns an outage into `clear`.
 */
import { FrameworkError, type ErrorCode, type SchemaIssue } from "../errors";

export type ScreeningErrorCode = Extract<ErrorCode, `SCREENING_${string}`>;

/** Base class of every module error. Branch with `isFrameworkError(error, code)`. */
export class ScreeningError extends FrameworkError<ScreeningErrorCode> {}

/** A provider's configuration does not match its schema (paths and messages, never values). */
export class ScreeningConfigError extends ScreeningError {
  constructor(provider: string, issues: readonly SchemaIssue[]) {
    super("SCREENING_CONFIG_INVALID", `invalid ${provider} configuration: ${issues.map((i) => i.path).join(", ")}`, {
      provider,
      issues: [...issues],
    });
  }
}
