/**
 * The demo's evidence in words a compliance officer reads: amounts in the token's units (not minor units), banks
 * by name (not LEI or address), a policy's reasons with their amounts and limits, chain errors with dates instead
 * of Unix seconds, and each audit record as one sentence. Pure: whatever it needs is passed in.
 */
import type { AuditRecord } from "../audit";
import { formatAmount } from "../config";
import { obj, str } from "./readiness-checks";

/** What the words need from the run: bank names by LEI or address, token decimals by symbol. */
export interface Vocabulary {
  /** The bank's name for an LEI or an address (any case); the input itself when it is no bank's. */
  bank: (leiOrAddress: string) => string;
  /** Every bank's LEI, to replace in free text. */
  leis: readonly string[];
  decimals: ReadonlyMap<string, number>;
}

/** `minor` base units of `asset` in the token's units, grouped: "7500000", "aEUR" -> "75,000.00 aEUR". */
export function amountText(minor: string | bigint, asset: string, v: Vocabulary): string {
  const digits = String(minor);
  const decimals = v.decimals.get(asset);
  if (!/^\d+$/.test(digits) || decimals === undefined) return `${digits} ${asset}`;
  return `${formatAmount(BigInt(digits), decimals, { grouped: true })} ${asset}`;
}

/** Unix seconds as "2026-12-07 09:00:02 UTC". */
export const utcText = (seconds: number): string => isoText(new Date(seconds * 1000).toISOString());

/** An ISO 8601 UTC instant as "2026-12-03 14:41:02 UTC" (milliseconds dropped). */
export const isoText = (iso: string): string => iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");

/** A duration in seconds as "3 d 18 h 19 min" (whole minutes, largest units first). */
export function durationText(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  let m = Math.floor(Math.abs(seconds) / 60);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 1440],
    ["h", 60],
  ] as const) {
    if (m >= size) parts.push(`${Math.floor(m / size)} ${unit}`);
    m %= size;
  }
  if (m > 0 || parts.length === 0) parts.push(`${m} min`);
  return sign + parts.join(" ");
}

/** A settlement status as the report states it. */
export const STATUS_TEXT: Readonly<Record<string, string>> = {
  None: "never on chain",
  Instructed: "instructed, not yet affirmed",
  Affirmed: "affirmed, not yet settled",
  Settled: "settled, reversal window open",
  Final: "final: settled, reversal window closed",
  Reversed: "reversed: both legs returned",
  Expired: "expired before it was affirmed",
  Released: "released: escrow returned",
  Cancelled: "cancelled: escrow returned",
};

export const statusText = (status: string): string => STATUS_TEXT[status] ?? status;

/** A demo step or a policy action, as a noun. */
const STEP_TEXT: Readonly<Record<string, string>> = {
  instruct: "instruction",
  affirm: "affirmation",
  settle: "settlement",
  cancel: "cancellation",
  release: "release",
  requestReversal: "reversal request",
  reverse: "reversal request",
  approveReversal: "reversal approval",
  approve_reversal: "reversal approval",
};

export const stepText = (step: string): string => STEP_TEXT[step] ?? step;

/** A policy decision's outcome, as the report states it. */
export const OUTCOME_TEXT: Readonly<Record<string, string>> = {
  allow: "allowed",
  deny: "denied",
  approval_required: "approval required",
};

/** Every known LEI in `text` replaced by its bank's name. */
export const namesIn = (text: string, v: Vocabulary): string =>
  v.leis.reduce((t, lei) => t.split(lei).join(v.bank(lei)), text);

/**
 * One policy reason ("CODE: message") as `{ code, text }`, with the message's minor-unit amounts in units and
 * LEIs as bank names. Messages of an unknown shape keep their words, with names replaced.
 */
export function reasonText(reason: string, v: Vocabulary): { code: string; text: string } {
  const colon = reason.indexOf(": ");
  const code = colon < 0 ? reason : reason.slice(0, colon);
  const message = colon < 0 ? "" : reason.slice(colon + 2);
  const amt = (minor: string, asset: string) => amountText(minor, asset, v);
  let m: RegExpExecArray | null;
  let text: string;
  if ((m = /^(\d+) exceeds the limit of (\d+) for (\S+) with (\S+)$/.exec(message)) !== null)
    text = `${amt(m[1], m[3])} exceeds the per-settlement limit of ${amt(m[2], m[3])} with ${v.bank(m[4])}`;
  else if ((m = /^(\d+) already used \+ (\d+) exceeds the daily limit of (\d+) for (\S+) with (\S+)$/.exec(message)))
    text = `${amt(m[1], m[4])} already used today + ${amt(m[2], m[4])} exceeds the daily limit of ${amt(m[3], m[4])} with ${v.bank(m[5])}`;
  else if ((m = /^(\d+) exceeds the approval threshold of (\d+) for (\S+)(.*)$/.exec(message)))
    text = `${amt(m[1], m[3])} exceeds the approval threshold of ${amt(m[2], m[3])}${m[4]}`;
  else if (code === "ALLOWED") text = message;
  else if (code === "APPROVALS_COMPLETE") text = `the approvals asked for ${message} are complete`;
  else text = namesIn(message, v);
  return { code, text };
}

/**
 * A contract error as decoded for one line ("SettlementFinal(id=0x…, finalAt=1796720409 (2026-12-08T09:00:09Z))")
 * with settlement ids as trade references and Unix seconds as dates.
 */
export function chainErrorText(decoded: string, refs: ReadonlyMap<string, string>): string {
  return decoded
    .replace(/0x[0-9a-fA-F]{64}/g, (id) => refs.get(id.toLowerCase()) ?? id)
    .replace(/\b\d{9,11} \((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\)/g, (_, iso: string) => isoText(iso));
}

/** One audit record as one sentence. */
export function recordText(record: AuditRecord, v: Vocabulary): string {
  const p = obj(record.payload);
  switch (record.kind) {
    case "decision": {
      const outcome = OUTCOME_TEXT[str(p.outcome)] ?? str(p.outcome);
      if (p.intent === undefined) return `gate check: ${outcome} (${str(p.reason)})`;
      const intent = obj(p.intent);
      const stage = str(p.stage) === "policy" ? "" : ` (${str(p.stage)})`;
      const version = str(obj(p.policyVersion).version);
      const reasons = (Array.isArray(p.reasons) ? p.reasons : []).map((r) => {
        const { code, text } = reasonText(str(r), v);
        return code === "ALLOWED" ? text : `${text} [${code}]`;
      });
      return `${stepText(str(intent.action))} of ${amountText(str(intent.amount), str(intent.asset), v)} with ${v.bank(
        str(intent.counterparty),
      )}: ${outcome} by bundle v${version || "?"}${stage}: ${reasons.join("; ")}`;
    }
    case "signature":
      return `the HSM key signed transaction ${shortHash(str(p.txHash))} (nonce ${str(p.nonce)})`;
    case "approval": {
      const action = stepText((record.subject ?? "").split("/")[1] ?? "");
      const roles = Array.isArray(p.roles) ? p.roles.map(str).join(" or ") : "";
      if (p.event === "requested")
        return `approval of the ${action} requested by ${str(p.initiatorId)}: ${str(p.required)} from ${roles}`;
      if (p.event === "approved") return `${str(p.approverId)} approves the ${action} (${str(p.count)} so far)`;
      if (p.event === "completed")
        return `approvals of the ${action} complete: ${(Array.isArray(p.approvers) ? p.approvers.map(str) : []).join(", ")}`;
      return `approval ${str(p.event)} for the ${action}`;
    }
    case "reservation":
      return `exposure ${str(p.event)}${p.reason === undefined ? "" : ` (${str(p.reason)})`}: ${amountText(
        str(p.amount),
        str(p.asset),
        v,
      )} with ${v.bank(str(p.counterparty))}`;
    case "bundle_activation":
      return `bundle v${str(p.version)} ${str(p.outcome)}, approved against shared version ${str(p.sharedPolicyVersion)}`;
    case "anchor":
      return `head record ${str(p.seq)} anchored on chain in block ${str(p.blockNumber)}`;
    default:
      return record.kind;
  }
}

/** "0x11aabb09…4a1d7": enough of a hash to tell it apart, with both ends. */
export const shortHash = (hash: string): string => (hash.length > 20 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash);
