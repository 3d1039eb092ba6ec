/**
 * Audit records and their hash chain.
 *
 * Exact encoding (so another party can recompute a hash without this code):
 *
 *   hash = lowercase hex of SHA-256( UTF-8( P ) ), where P is the JSON text, without any whitespace, of the array
 *     ["consortium-audit/v1", seq, kind, at, subject, payload, prevHash]
 *   - seq: JSON integer (1, 2, 3, ...); kind, at: JSON strings (`at` is ISO 8601 UTC as written by
 *     `Date.prototype.toISOString`, e.g. "2026-11-21T23:00:00.000Z"); subject: JSON string or `null`;
 *   - payload: canonical JSON, RFC 8785 (JCS): object keys sorted by UTF-16 code units, no whitespace, strings
 *     escaped and numbers written as ECMAScript `JSON.stringify` does (src/core/json.ts);
 *   - prevHash: the previous record's `hash` as a JSON string of 64 lowercase hex digits; for seq 1 it is
 *     32 zero bytes, "000...000" (64 zeros).
 *
 * Example: seq 1, kind "decision", at "2026-01-01T00:00:00.000Z", subject "intent-1", payload {"b":1,"a":[true,null]}
 * hashes the text
 *   ["consortium-audit/v1",1,"decision","2026-01-01T00:00:00.000Z","intent-1",{"a":[true,null],"b":1},"000...000"]
 */
import { createHash } from "node:crypto";
import { canonicalJson, CoreJsonInvalidError, type JsonValue } from "../core";
import { AuditEntryInvalidError } from "./errors";

/** Domain tag, first element of every hashed array; a new encoding gets a new tag. */
export const AUDIT_HASH_TAG = "consortium-audit/v1";
/** `prevHash` of the first record: 32 zero bytes in hex. */
export const GENESIS_HASH = "0".repeat(64);
/** What may be recorded. */
export const AUDIT_KINDS = [
  "decision",
  "approval",
  "bundle_activation",
  "bundle_rollback",
  "signature",
  "anchor",
  "reservation",
  // A consortium contract event that concerns the bank, and a receipt of one of its own transactions (src/events).
  "chain.event",
  "chain.receipt",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export type { JsonValue };

/** What a caller appends; the store assigns seq, at, prevHash and hash. */
export interface AuditEntry {
  kind: AuditKind;
  /** Intent or settlement id the entry is about. */
  subject?: string;
  payload: JsonValue;
}

/** A record as stored and exported. */
export interface AuditRecord {
  seq: number;
  kind: AuditKind;
  at: string;
  subject: string | null;
  payload: JsonValue;
  prevHash: string;
  hash: string;
}

/** The last record's position and hash; `{ seq: 0, hash: GENESIS_HASH }` for an empty log. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** A record with the payload kept as its stored canonical JSON text: what hashing and verification use. */
export interface StoredRecord extends Omit<AuditRecord, "payload" | "kind"> {
  kind: string;
  payloadJson: string;
}

/**
 * The payload's canonical JSON text (RFC 8785, src/core); throws `AuditEntryInvalidError` (naming the path) on
 * a value that is not plain JSON.
 */
export function encodePayload(value: unknown, path = "payload"): string {
  try {
    return canonicalJson(value, path);
  } catch (error) {
    if (error instanceof CoreJsonInvalidError) throw new AuditEntryInvalidError(error.reason, error.path);
    throw error;
  }
}

/** The record hash over (seq, kind, at, subject, canonical payload, prevHash); see the module comment. */
export function recordHash(record: Omit<StoredRecord, "hash">): string {
  const preimage =
    `[${JSON.stringify(AUDIT_HASH_TAG)},${record.seq},${JSON.stringify(record.kind)},${JSON.stringify(record.at)},` +
    `${JSON.stringify(record.subject)},${record.payloadJson},${JSON.stringify(record.prevHash)}]`;
  return createHash("sha256").update(preimage, "utf8").digest("hex");
}

/** An entry validated and encoded for appending: what a backend chains and stores. */
export interface PreparedEntry {
  kind: AuditKind;
  subject: string | null;
  payloadJson: string;
}

/** Validates `entry` and encodes its payload; throws `AuditEntryInvalidError` on anything a record cannot hold. */
export function prepareEntry(entry: AuditEntry): PreparedEntry {
  if (!(AUDIT_KINDS as readonly string[]).includes(entry.kind)) {
    throw new AuditEntryInvalidError(`unknown kind ${JSON.stringify(entry.kind)}`, "kind");
  }
  if (entry.subject !== undefined && (typeof entry.subject !== "string" || entry.subject.length === 0)) {
    throw new AuditEntryInvalidError("subject must be a non-empty string", "subject");
  }
  return { kind: entry.kind, subject: entry.subject ?? null, payloadJson: encodePayload(entry.payload) };
}

/** The record that follows `head` for a prepared entry. */
export function nextRecord(entry: PreparedEntry, head: AuditHead, at: Date): StoredRecord {
  const unhashed = { seq: head.seq + 1, ...entry, at: at.toISOString(), prevHash: head.hash };
  return { ...unhashed, hash: recordHash(unhashed) };
}

/** Decodes a stored record for callers; throws `AuditRecordCorruptError` via `onCorrupt` when it cannot. */
export function toAuditRecord(stored: StoredRecord, onCorrupt: (reason: string) => Error): AuditRecord {
  if (!(AUDIT_KINDS as readonly string[]).includes(stored.kind)) throw onCorrupt(`unknown kind ${stored.kind}`);
  let payload: JsonValue;
  try {
    payload = JSON.parse(stored.payloadJson) as JsonValue;
  } catch {
    throw onCorrupt("payload is not JSON");
  }
  const { seq, at, subject, prevHash, hash } = stored;
  return { seq, kind: stored.kind as AuditKind, at, subject, payload, prevHash, hash };
}
