/**
 * The zod schemas shared by the API's routes: the error body, addresses (answered checksummed), settlement ids,
 * amounts as decimal strings in human units, and the settlement as the API shows it. The OpenAPI document is
 * generated from these.
 */
import { getAddress, isAddress } from "ethers";
import { z } from "zod";

/** The one error shape of every refusal. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe("Stable error code (src/errors), e.g. GATE_DENIED"),
      message: z.string(),
      details: z.record(z.unknown()).optional(),
    }),
  })
  .describe("Every refusal: a stable code, a message, structured details");

/** Any account address; answered in checksum form. */
export const AddressSchema = z
  .string()
  .refine((v) => isAddress(v), "must be a 20-byte hex address")
  .transform((v) => getAddress(v))
  .describe("Account address (0x, 40 hex digits); answers use the EIP-55 checksum form");

/** An address as answered (already checksummed). */
export const AddressOutSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

export const SettlementIdSchema = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, "must be 0x and 64 lowercase hex digits")
  .describe("Settlement id: keccak256 of the ABI-encoded terms, 0x and 64 lowercase hex digits");

export const SettlementParamsSchema = z.object({ id: SettlementIdSchema }).strict();

/** A positive amount in human units: "101000.00", at most the token's decimals after the point. */
export const AmountSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$/, "must be a decimal string in human units, e.g. 101000.00")
  .describe("Amount in the token's human units as a decimal string (never a float)");

export const TokenRefSchema = z
  .string()
  .min(1)
  .max(64)
  .describe("A configured token: its symbol (aEUR) or its address");

export const KindSchema = z.enum(["DvP", "FoP"]);

/** What an operations desk sends to instruct: the agreed terms. */
export const InstructBodySchema = z
  .object({
    tradeRef: z
      .string()
      .min(1)
      .max(31)
      .regex(/^[\x20-\x7e]+$/, "must be printable ASCII")
      .describe("The trade reference both desks agreed (at most 31 ASCII characters)"),
    kind: KindSchema.default("DvP"),
    seller: AddressSchema,
    buyer: AddressSchema,
    asset: TokenRefSchema,
    assetAmount: AmountSchema,
    cash: TokenRefSchema.optional().describe("The cash token (required for DvP)"),
    cashAmount: AmountSchema.optional().describe("The cash amount (required for DvP)"),
  })
  .strict();
export type InstructBody = z.output<typeof InstructBodySchema>;

export const TermsOutSchema = z.object({
  tradeRef: z.string(),
  kind: KindSchema,
  seller: AddressOutSchema,
  buyer: AddressOutSchema,
  asset: z.object({ symbol: z.string(), address: AddressOutSchema, decimals: z.number().int() }),
  assetAmount: z.string(),
  cash: z.object({ symbol: z.string(), address: AddressOutSchema, decimals: z.number().int() }).nullable(),
  cashAmount: z.string(),
});

export const TimelineEntrySchema = z.object({
  source: z.enum(["chain", "audit"]),
  event: z.string(),
  at: z.string().describe("ISO 8601 time: the block's time for chain events, the record's time for audit records"),
  blockNumber: z.number().int().optional(),
  transactionHash: z.string().optional(),
  seq: z.number().int().optional(),
  details: z.record(z.unknown()),
});

export const SettlementSchema = z.object({
  id: SettlementIdSchema,
  status: z.string().describe("Instructed, Affirmed, Settled, Final, Reversed, Expired, Released, Cancelled, Unwound"),
  terms: TermsOutSchema,
  seller: z.object({ address: AddressOutSchema, bank: z.string().nullable() }),
  buyer: z.object({ address: AddressOutSchema, bank: z.string().nullable() }),
  instructedAt: z.string(),
  affirmDeadline: z.string(),
  finalAt: z.string().nullable(),
  policyVersion: z.number().int(),
});

export const SettlementDetailSchema = SettlementSchema.extend({ timeline: z.array(TimelineEntrySchema) });

/** The answer of a settlement step that reached the chain. */
export const StepResultSchema = z.object({
  settlementId: SettlementIdSchema,
  step: z.string(),
  txHash: z.string(),
  blockNumber: z.number().int(),
  nonce: z.number().int(),
  retried: z.boolean().describe("True when the call had been signed before and was found or rebroadcast"),
  status: z.string(),
});

export const ReasonBodySchema = z.object({ reason: z.string().min(1).max(200) }).strict();

export const IdempotencyHeadersSchema = z.object({
  "idempotency-key": z
    .string()
    .min(8)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, "must be 8 to 128 characters of A-Z a-z 0-9 _ . : -")
    .describe("Required: the same key and body replay the first answer; another body is refused with 409"),
});
