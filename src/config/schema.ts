/**
 * The zod schema of a consortium deployment configuration: the member banks, the shared parameters and
 * policy document the consortium launches with, and the permissioned tokens made eligible at bootstrap.
 * Field checks live in `primitives.ts`; this file adds the checks that span fields (duplicates, references).
 */
import { z } from "zod";
import { parseAmount } from "./amounts";
import {
  addressRefSchema,
  bytes32Schema,
  decimalAmountSchema,
  durationSchema,
  leiSchema,
  signerIndex,
} from "./primitives";

export const memberConfigSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    lei: leiSchema,
    /** Addresses that act for the bank: propose, approve, instruct, affirm. */
    operators: z.array(addressRefSchema).min(1, "a member needs at least one operator"),
    /** Accounts that may hold the consortium's permissioned tokens. */
    accounts: z.array(addressRefSchema).default([]),
  })
  .strict();

export const tokenConfigSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    symbol: z.string().regex(/^[A-Za-z0-9]{1,11}$/, "must be 1 to 11 letters or digits"),
    decimals: z.number().int().min(0).max(18),
    /** A tokenized deposit (cash leg) or a tokenized security (asset leg). */
    kind: z.enum(["deposit", "security"]),
    /** Name of the member bank that issues the token. */
    issuer: z.string().min(1),
    /** Address that receives every token role (issuer, freezer, pauser, admin). */
    admin: addressRefSchema,
    /** Cap on one settlement's amount, in human units. */
    cap: decimalAmountSchema,
  })
  .strict();

export const settingsConfigSchema = z
  .object({
    reversalWindow: durationSchema,
    affirmationWindow: durationSchema.refine((s) => s > 0, "must be more than zero"),
    proposalDelay: durationSchema,
    proposalLifetime: durationSchema,
  })
  .strict();

const consortiumConfigObject = z
  .object({
    /** Display name; the Ignition module id and deployment key derive from it. */
    name: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/[A-Za-z]/, "must contain a letter"),
    description: z.string().optional(),
    /** Who deploys and bootstraps; the network's first signer when absent. */
    deployer: addressRefSchema.optional(),
    members: z.array(memberConfigSchema).min(1, "a consortium needs at least one member").max(255),
    settings: settingsConfigSchema,
    policyDocument: z.object({ hash: bytes32Schema, uri: z.string().min(1) }).strict(),
    tokens: z.array(tokenConfigSchema).default([]),
    /** Local networks only: minted to every member account at first deployment, engine approved. */
    funding: z
      .object({ openingBalances: z.record(z.string(), decimalAmountSchema) })
      .strict()
      .optional(),
  })
  .strict();

/** The whole configuration, with the checks that span fields. */
export const consortiumConfigSchema = consortiumConfigObject.superRefine(checkCrossReferences);

export type ConsortiumConfig = z.output<typeof consortiumConfigObject>;
export type MemberConfig = z.output<typeof memberConfigSchema>;
export type TokenConfig = z.output<typeof tokenConfigSchema>;

type Path = (string | number)[];

/** Normal form of an address reference for duplicate detection. */
function refKey(ref: string): string {
  return signerIndex(ref) === undefined ? ref.toLowerCase() : ref;
}

/** Reports every value seen before under another path, naming where it was first seen. */
export function reportDuplicates(
  entries: { key: string; path: Path; what: string }[],
  report: (path: Path, message: string) => void,
): void {
  const seen = new Map<string, Path>();
  for (const entry of entries) {
    const first = seen.get(entry.key);
    if (first === undefined) seen.set(entry.key, entry.path);
    else report(entry.path, `duplicate ${entry.what}, already given at ${formatPath(first)}`);
  }
}

/** `members[1].lei` for ["members", 1, "lei"]. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`),
    "",
  );
}

function checkCrossReferences(config: ConsortiumConfig, ctx: z.RefinementCtx): void {
  const report = (path: Path, message: string): void => {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  };
  const members = config.members;
  reportDuplicates(
    members.map((m, i) => ({ key: m.name.toLowerCase(), path: ["members", i, "name"], what: "member name" })),
    report,
  );
  reportDuplicates(
    members.map((m, i) => ({ key: m.lei, path: ["members", i, "lei"], what: "LEI" })),
    report,
  );
  for (const role of ["operators", "accounts"] as const) {
    const entries = members.flatMap((m, i) =>
      m[role].map((ref, j) => ({ key: refKey(ref), path: ["members", i, role, j], what: role.slice(0, -1) })),
    );
    reportDuplicates(entries, report);
  }

  const { proposalDelay, proposalLifetime } = config.settings;
  if (proposalDelay >= proposalLifetime) {
    report(["settings", "proposalDelay"], "must be shorter than settings.proposalLifetime");
  }

  const memberNames = new Set(members.map((m) => m.name));
  reportDuplicates(
    config.tokens.map((t, i) => ({ key: t.symbol.toLowerCase(), path: ["tokens", i, "symbol"], what: "symbol" })),
    report,
  );
  config.tokens.forEach((token, i) => {
    if (!memberNames.has(token.issuer)) report(["tokens", i, "issuer"], `"${token.issuer}" is not a member's name`);
    const cap = parseAmount(token.cap, token.decimals);
    if (cap === undefined || cap === 0n) {
      report(["tokens", i, "cap"], `must be a positive amount with at most ${token.decimals} decimals`);
    }
  });

  const balances = config.funding?.openingBalances ?? {};
  for (const [symbol, amount] of Object.entries(balances)) {
    const token = config.tokens.find((t) => t.symbol === symbol);
    const path = ["funding", "openingBalances", symbol];
    if (token === undefined) report(path, `"${symbol}" is not the symbol of a configured token`);
    else if (parseAmount(amount, token.decimals) === undefined) {
      report(path, `must be an amount with at most ${token.decimals} decimals`);
    }
  }
}
