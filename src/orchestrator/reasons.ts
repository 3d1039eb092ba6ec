/**
 * Why the gate refused: a typed reason with its stable code and its message. The policy's reasons leave the
 * engine as "CODE: message" texts (so they are in the audit log); the gate parses each once, where it takes the
 * engine's decision, and every refusal of its own is made typed at its source.
 */

/** A reason the gate did not sign. */
export interface DenyReason {
  /** Stable upper-case code, e.g. `DAILY_LIMIT_EXCEEDED`. */
  code: string;
  message: string;
}

const CODED = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/;

/** The typed form of a "CODE: message" text; a text without a code gets `fallback`. */
export function parseReason(text: string, fallback = "UNDECODABLE"): DenyReason {
  const match = CODED.exec(text);
  return match === null ? { code: fallback, message: text } : { code: match[1], message: match[2] };
}

/** The "CODE: message" text of a reason (as audit records and error messages carry it). */
export function reasonText(reason: DenyReason): string {
  return `${reason.code}: ${reason.message}`;
}
