/**
 * Field-level schemas of the consortium configuration: LEIs, address references, durations, decimal amounts
 * and 32-byte hashes. Each carries the message an operator sees next to the path of the bad field.
 */
import { getAddress, isAddress, ZeroAddress } from "ethers";
import { z } from "zod";

/** Upper bound the contract puts on every time parameter (`Consortium.MAX_DURATION`, 365 days). */
export const MAX_DURATION_SECONDS = 365 * 24 * 60 * 60;

const LEI_FORMAT = /^[0-9A-Z]{18}[0-9]{2}$/;

/**
 * True when `lei` is an ISO 17442 Legal Entity Identifier: 20 characters [0-9A-Z], the last two being check
 * digits that make the whole code equal 1 modulo 97 once letters are read as 10..35 (ISO 7064 MOD 97-10).
 */
export function isValidLei(lei: string): boolean {
  if (!LEI_FORMAT.test(lei)) return false;
  let remainder = 0;
  for (const char of lei) {
    const value = parseInt(char, 36);
    remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97;
  }
  return remainder === 1;
}

export const leiSchema = z
  .string()
  .refine(isValidLei, "must be a 20-character LEI [0-9A-Z] with valid ISO 17442 check digits");

const SIGNER_REF = /^signer:(\d{1,3})$/;

/** Index of a `signer:<index>` reference, or undefined for a plain address. */
export function signerIndex(ref: string): number | undefined {
  const match = SIGNER_REF.exec(ref);
  return match === null ? undefined : Number(match[1]);
}

/**
 * An address as written in the configuration: a 0x address (checksummed, or all one case) other than the zero
 * address, or `signer:<index>` naming one of the network's configured signers (for local networks).
 */
export const addressRefSchema = z.string().superRefine((ref, ctx) => {
  if (signerIndex(ref) !== undefined) return;
  const notAnAddress = `"${ref}" is neither a 0x address nor signer:<index>`;
  if (!isAddress(ref)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: notAnAddress });
  } else if (getAddress(ref) === ZeroAddress) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "must not be the zero address" });
  }
});

const DURATION = /^(\d+)\s*(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, given as an integer or as a string such as "90s", "15m", "2h" or "7d". */
export const durationSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(DURATION, 'must be seconds or a duration like "2h"')])
  .transform((value) => {
    if (typeof value === "number") return value;
    const [, amount, unit] = DURATION.exec(value) as RegExpExecArray;
    return Number(amount) * UNIT_SECONDS[unit];
  })
  .refine((seconds) => seconds <= MAX_DURATION_SECONDS, "must be at most 365 days");

/** A non-negative decimal amount in human units, as a string ("1000000.00") to keep precision. */
export const decimalAmountSchema = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a decimal amount in human units as a string, e.g. "1000000.00"');

/** A 32-byte hash as 0x followed by 64 hex digits. */
export const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
