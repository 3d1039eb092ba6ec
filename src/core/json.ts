/**
 * Canonical JSON: RFC 8785 (JSON Canonicalization Scheme), written by `canonicalize`, the reference
 * implementation. Object keys sorted by UTF-16 code units, no whitespace, strings escaped and numbers written as
 * ECMAScript's `JSON.stringify` writes them.
 *
 * `canonicalize` silently drops or converts what is not JSON (`undefined` keys, `toJSON` objects, Maps); here
 * such a value is refused first, so a hash never covers a value other than the one the caller holds. For every
 * plain JSON value the bytes are those of the encoder the audit log, approvals and policy bundles used before
 * (test/core/json.test.ts proves it on the published vectors and the project's own records).
 */
import canonicalize from "canonicalize";
import { CoreJsonInvalidError } from "./errors";

/** A plain JSON value (no undefined, bigint, NaN or Infinity). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deepest nesting accepted: deeper values are refused rather than risking the stack. */
export const MAX_JSON_DEPTH = 64;

/** Throws `CoreJsonInvalidError` (with the path) unless `value` is plain JSON at most `MAX_JSON_DEPTH` deep. */
export function assertPlainJson(value: unknown, path = "value", depth = 0): asserts value is JsonValue {
  if (depth > MAX_JSON_DEPTH) throw new CoreJsonInvalidError(`nested deeper than ${MAX_JSON_DEPTH}`, path);
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CoreJsonInvalidError("number is not finite", path);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlainJson(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      assertPlainJson(v, `${path}.${k}`, depth + 1);
    return;
  }
  throw new CoreJsonInvalidError(`${typeof value} is not a JSON value`, path);
}

/** The RFC 8785 text of `value`; throws `CoreJsonInvalidError` naming `path` when it is not plain JSON. */
export function canonicalJson(value: unknown, path = "value"): string {
  assertPlainJson(value, path);
  return canonicalize(value) as string;
}
