/**
 * The mapping configuration an instruction is read with, validated once with zod: which bank this is (its
 * BIC/LEI and its safekeeping accounts on chain), the counterparties (BIC or LEI -> member and account), the
 * securities (ISIN -> asset token, decimals and whether the quantity is in units or face amount) and the
 * currencies (ISO 4217 code -> cash token and decimals). Every identifier is normalised once (BIC8 as BIC11).
 */
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { Iso20022MappingError } from "./errors";
import { isIsin, partyKey } from "./values";

const address = z
  .string()
  .refine((a) => isAddress(a), "not an address")
  .transform((a) => getAddress(a));
const partyId = z
  .string()
  .refine((id) => partyKey(id) !== undefined, "not a BIC or an LEI")
  .transform((id) => partyKey(id)!);
const member = z.string().min(1).max(64);
const decimals = z.number().int().min(0).max(36);

export const MappingConfigSchema = z
  .object({
    /** This bank: the account owner of every instruction it reads. */
    bank: z
      .object({
        member,
        ids: z.array(partyId).min(1),
        /** Safekeeping account id (`SfkpgAcct/Id`) -> the bank's account on chain. */
        accounts: z.record(z.string().min(1).max(35), address),
      })
      .strict(),
    counterparties: z.array(z.object({ member, ids: z.array(partyId).min(1), account: address }).strict()),
    securities: z.array(
      z
        .object({
          isin: z.string().refine(isIsin, "not an ISIN with a valid check digit"),
          token: address,
          decimals,
          /** How the instruction states the quantity: `Unit` (number of units) or `FaceAmt` (face amount). */
          quantity: z.enum(["Unit", "FaceAmt"]),
        })
        .strict(),
    ),
    currencies: z.array(
      z.object({ code: z.string().regex(/^[A-Z]{3}$/, "not an ISO 4217 code"), token: address, decimals }).strict(),
    ),
  })
  .strict()
  .superRefine((c, ctx) => {
    const dup = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    const seen = new Set(c.bank.ids);
    c.counterparties.forEach((p, i) =>
      p.ids.forEach((id, j) => {
        if (seen.has(id)) dup(["counterparties", i, "ids", j], "identifier already used");
        seen.add(id);
      }),
    );
    const ours = new Set(Object.values(c.bank.accounts));
    c.counterparties.forEach((p, i) => {
      if (ours.has(p.account)) dup(["counterparties", i, "account"], "an account of the bank itself");
    });
    c.securities.forEach((s, i) => {
      if (c.securities.findIndex((o) => o.isin === s.isin) !== i) dup(["securities", i, "isin"], "duplicate ISIN");
    });
    c.currencies.forEach((s, i) => {
      if (c.currencies.findIndex((o) => o.code === s.code) !== i) dup(["currencies", i, "code"], "duplicate code");
    });
  });

export type MappingConfig = z.output<typeof MappingConfigSchema>;
export type MappingConfigInput = z.input<typeof MappingConfigSchema>;
export type SecurityMapping = MappingConfig["securities"][number];
export type CurrencyMapping = MappingConfig["currencies"][number];
export type CounterpartyMapping = MappingConfig["counterparties"][number];

/** Validates a mapping configuration; throws `Iso20022MappingError` listing the paths that fail. */
export function parseMappingConfig(input: unknown): MappingConfig {
  const result = MappingConfigSchema.safeParse(input);
  if (!result.success) throw new Iso20022MappingError(schemaIssues(result.error));
  return result.data;
}
