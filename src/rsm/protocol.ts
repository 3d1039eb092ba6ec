/**
 * The wire format of a signing request: media type, paths, JOSE algorithms and `typ` headers, and the claims
 * the middleware signs, with the three payload kinds in plain JSON (integers as decimal strings, bytes as 0x hex).
 */
import { getAddress } from "ethers";
import { z } from "zod";

/** JOSE media type of requests and answers, and the `typ` headers of the two JWS. */
export const RSM_CONTENT_TYPE = "application/jose";
export const REQUEST_TYP = "rsm-request+jwt";
export const RESPONSE_TYP = "rsm-response+jwt";
/** The only key management and content encryption algorithms accepted for requests. */
export const JWE_ALG = "ECDH-ES+A256KW";
export const JWE_ENC = "A256GCM";
export const SIGN_PATH = "/v1/sign";
export const HEALTH_PATH = "/v1/health";

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "must be a decimal integer string");
const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x-prefixed hex bytes");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 hex bytes");

/** A fully populated transaction (legacy, EIP-2930 or EIP-1559): the module signs exactly this, fills nothing. */
export const TransactionPayloadSchema = z
  .object({
    type: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    chainId: decimal,
    nonce: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    to: address.nullable(),
    gasLimit: decimal,
    gasPrice: decimal.optional(),
    maxFeePerGas: decimal.optional(),
    maxPriorityFeePerGas: decimal.optional(),
    value: decimal,
    data: hex,
    accessList: z.array(z.object({ address, storageKeys: z.array(bytes32) }).strict()).optional(),
  })
  .strict();

/** An EIP-191 message: text (UTF-8) or raw bytes. */
export const MessagePayloadSchema = z.union([
  z.object({ text: z.string() }).strict(),
  z.object({ bytes: hex }).strict(),
]);

/** EIP-712 typed data; integers in `domain` and `value` as decimal strings. */
export const TypedDataPayloadSchema = z
  .object({
    domain: z
      .object({
        name: z.string().optional(),
        version: z.string().optional(),
        chainId: decimal.optional(),
        verifyingContract: address.optional(),
        salt: bytes32.optional(),
      })
      .strict(),
    types: z.record(z.array(z.object({ name: z.string(), type: z.string() }).strict())),
    value: z.record(z.unknown()),
  })
  .strict();

const common = {
  jti: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, "must be 8-128 of A-Z a-z 0-9 . _ : -"),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().nonnegative(),
  iss: z.string().min(1).max(128),
  aud: z.string().min(1).max(128),
  /** Address of the key that is to sign (checksummed once parsed). */
  signer: address.transform((a) => getAddress(a.toLowerCase())),
};

/** The claims of a request JWS. */
export const RequestClaimsSchema = z.discriminatedUnion("kind", [
  z.object({ ...common, kind: z.literal("transaction"), payload: TransactionPayloadSchema }).strict(),
  z.object({ ...common, kind: z.literal("message"), payload: MessagePayloadSchema }).strict(),
  z.object({ ...common, kind: z.literal("typedData"), payload: TypedDataPayloadSchema }).strict(),
]);

export type RequestClaims = z.output<typeof RequestClaimsSchema>;
export type SignKind = RequestClaims["kind"];
type Body<K extends SignKind> = Pick<Extract<RequestClaims, { kind: K }>, "kind" | "payload">;
/** What is to be signed: a kind with its payload. */
export type SignBody = Body<"transaction"> | Body<"message"> | Body<"typedData">;
export type TransactionPayload = z.output<typeof TransactionPayloadSchema>;
export type MessagePayload = z.output<typeof MessagePayloadSchema>;
export type TypedDataPayload = z.output<typeof TypedDataPayloadSchema>;
