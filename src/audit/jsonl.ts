/**
 * JSON Lines export and its standalone check: one record per line, keys in the order of `AuditRecord`
 * (`seq, kind, at, subject, payload, prevHash, hash`). `verifyJsonl` needs only the file, never the database,
 * so an auditor can run it (or reimplement it from the encoding documented in `record.ts`).
 */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { AuditEntryInvalidError, AuditExportError, AuditExportUnreadableError } from "./errors";
import { encodePayload, type AuditRecord, type StoredRecord } from "./record";
import { ChainVerifier, type VerifyOptions, type VerifyResult } from "./verify";

/** One export line (with its newline). */
export function jsonlLine(r: AuditRecord): string {
  const ordered = { seq: r.seq, kind: r.kind, at: r.at, subject: r.subject, payload: r.payload, prevHash: r.prevHash };
  return `${JSON.stringify({ ...ordered, hash: r.hash })}\n`;
}

/** Writes records to a file (created or truncated, fsynced, closed) or to a stream (left open). */
export async function writeJsonl(records: AsyncIterable<AuditRecord>, target: string | Writable): Promise<number> {
  const name = typeof target === "string" ? target : "stream";
  let count = 0;
  try {
    if (typeof target === "string") {
      const file = await open(target, "w");
      try {
        for await (const r of records) {
          await file.write(jsonlLine(r));
          count += 1;
        }
        await file.sync();
      } finally {
        await file.close();
      }
    } else {
      for await (const r of records) {
        if (!target.write(jsonlLine(r))) await once(target, "drain");
        count += 1;
      }
    }
  } catch (error) {
    throw new AuditExportError(name, error);
  }
  return count;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses one line into the form verification works on; returns a reason when it is not a record. */
export function parseJsonlLine(line: string): StoredRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "line is not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "line is not a JSON object";
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.seq)) return "seq is not an integer";
  if (typeof v.kind !== "string" || typeof v.at !== "string") return "kind or at is not a string";
  if (v.subject !== null && typeof v.subject !== "string") return "subject is neither a string nor null";
  if (typeof v.prevHash !== "string" || !HEX64.test(v.prevHash)) return "prevHash is not 64 hex digits";
  if (typeof v.hash !== "string" || !HEX64.test(v.hash)) return "hash is not 64 hex digits";
  if (!("payload" in v)) return "payload is missing";
  let payloadJson: string;
  try {
    payloadJson = encodePayload(v.payload);
  } catch (error) {
    if (error instanceof AuditEntryInvalidError) return "payload is not plain JSON";
    throw error;
  }
  const { seq, kind, at, subject, prevHash, hash } = v as Record<string, never>;
  return { seq, kind, at, subject, payloadJson, prevHash, hash };
}

/** Verifies an exported file on its own, with the same rules (and anchors) as `AuditStore.verify`. */
export async function verifyJsonl(path: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const verifier = new ChainVerifier(options);
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo += 1;
      if (line.trim() === "") continue;
      const parsed = parseJsonlLine(line);
      const failure =
        typeof parsed === "string" ? verifier.malformed(`line ${lineNo}: ${parsed}`) : verifier.push(parsed);
      if (failure !== undefined) break;
    }
  } catch (error) {
    throw new AuditExportUnreadableError(path, error);
  } finally {
    lines.close();
  }
  return verifier.finish();
}
