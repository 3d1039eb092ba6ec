/**
 * Typed errors of the ISO 20022 module: `FrameworkError`s with a stable ISO20022_* `code`. A refused message
 * names the element (its XML path, `SctiesSttlmTxInstr/TradDtls/SttlmDt`) and the reason in `details`, so the
 * bank's back office can correct it; nothing partial is ever returned beside the error.
 */
import { FrameworkError, type ErrorCode, type SchemaIssue } from "../errors";

export type Iso20022ErrorCode = Extract<ErrorCode, `ISO20022_${string}`>;

/** Base class of every module error. Branch with `isFrameworkError(error, code)`. */
export class Iso20022Error extends FrameworkError<Iso20022ErrorCode> {}

/** The mapping configuration does not match its schema (paths and messages, never values). */
export class Iso20022MappingError extends Iso20022Error {
  constructor(issues: readonly SchemaIssue[]) {
    super("ISO20022_MAPPING_INVALID", `invalid ISO 20022 mapping: ${issues.map((i) => i.path).join(", ")}`, {
      issues: [...issues],
    });
  }
}

/** An instruction was refused at `element` (an XML path) for `reason`. */
export class Iso20022MessageError extends Iso20022Error {
  readonly element: string;
  readonly reason: string;

  constructor(
    code: Exclude<Iso20022ErrorCode, "ISO20022_MAPPING_INVALID">,
    element: string,
    reason: string,
    cause?: unknown,
  ) {
    super(code, `${element}: ${reason}`, { element, reason }, cause);
    this.element = element;
    this.reason = reason;
  }
}
