/**
 * The module's answer: a compact JWS (`typ` rsm-response+jwt, the response key's `kid`) over claims that bind
 * the result to the request: `iss` the module, `aud` the requesting middleware, `jti` the request id, the kind
 * and signer asked for, the result (signed transaction or signature) and its digest. The client verifies all
 * of it, then checks the result against its own request, so it trusts neither the transport nor the module blindly.
 */
import type { KeyObject } from "node:crypto";
import { CompactSign, compactVerify } from "jose";
import { z } from "zod";
import { RsmResponseInvalidError } from "./errors";
import type { RsmSigningAlgorithm } from "./keys";
import { RESPONSE_TYP, type SignKind } from "./protocol";

export const ResponseClaimsSchema = z
  .object({
    iss: z.string(),
    aud: z.string(),
    jti: z.string(),
    iat: z.number().int(),
    kind: z.enum(["transaction", "message", "typedData"]),
    signer: z.string(),
    /** The serialized signed transaction, or the 65-byte signature, as 0x hex. */
    result: z.string(),
    /** The transaction hash, or the EIP-191 / EIP-712 digest that was signed. */
    digest: z.string(),
  })
  .strict();
export type ResponseClaims = z.output<typeof ResponseClaimsSchema>;

/** A signing key with its `kid` and algorithm. */
export interface KidKey {
  kid: string;
  alg: RsmSigningAlgorithm;
  key: KeyObject;
}

/** Signs the answer to a request. */
export async function signResponse(claims: ResponseClaims, responseKey: KidKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: responseKey.alg, kid: responseKey.kid, typ: RESPONSE_TYP })
    .sign(responseKey.key);
}

/** What the client expects of the answer to its request. */
export interface ExpectedResponse {
  moduleId: string;
  middlewareId: string;
  jti: string;
  kind: SignKind;
  signer: string;
}

/** Verifies an answer's signature and that it answers this request; throws `RsmResponseInvalidError` if not. */
export async function verifyResponse(jws: string, expected: ExpectedResponse, key: KidKey): Promise<ResponseClaims> {
  const facts = { jti: expected.jti };
  let json: unknown;
  try {
    const verified = await compactVerify(jws, key.key, { algorithms: [key.alg] });
    if (verified.protectedHeader.kid !== key.kid || verified.protectedHeader.typ !== RESPONSE_TYP) {
      throw new RsmResponseInvalidError("unexpected kid or typ", facts);
    }
    json = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch (error) {
    if (error instanceof RsmResponseInvalidError) throw error;
    throw new RsmResponseInvalidError("signature does not verify with the module's response key", facts, error);
  }
  const parsed = ResponseClaimsSchema.safeParse(json);
  if (!parsed.success) throw new RsmResponseInvalidError("claims do not match the response schema", facts);
  const claims = parsed.data;
  const mismatch = (["jti", "kind", "signer"] as const).find((k) => claims[k] !== expected[k]);
  if (claims.iss !== expected.moduleId || claims.aud !== expected.middlewareId || mismatch !== undefined) {
    throw new RsmResponseInvalidError("answer is not for this request", { ...facts, field: mismatch ?? "iss/aud" });
  }
  return claims;
}
