/**
 * Sealing and opening a request: the middleware signs the claims as a JWS (`typ` rsm-request+jwt, its `kid`)
 * and encrypts that JWS as a compact JWE (ECDH-ES+A256KW, A256GCM, `cty` JWT, the module key's `kid`). The
 * module opens it in a fixed order and refuses at the first failure: recipient `kid`, decryption, sender
 * `kid`, signature, claims schema, issuer bound to the sender's key, audience, freshness.
 */
import { randomUUID, type KeyObject } from "node:crypto";
import { CompactEncrypt, compactDecrypt, CompactSign, compactVerify, decodeProtectedHeader, errors } from "jose";
import { schemaIssues } from "../errors";
import type { TrustedSender } from "./config";
import { RsmRequestError } from "./errors";
import type { RsmSigningAlgorithm } from "./keys";
import { JWE_ALG, JWE_ENC, REQUEST_TYP, RequestClaimsSchema, type RequestClaims, type SignBody } from "./protocol";

/** How the middleware seals a request. `jti`, `iat` and `exp` default to a UUID, now and now + lifetime. */
export interface SealOptions {
  issuer: string;
  audience: string;
  signer: string;
  lifetimeSeconds: number;
  signingKey: { kid: string; alg: RsmSigningAlgorithm; key: KeyObject };
  encryptionKey: { kid: string; key: KeyObject };
  jti?: string;
  iat?: number;
  exp?: number;
}

const encoder = new TextEncoder();

/** Signs then encrypts a request; returns the compact JWE and the request id. */
export async function sealRequest(body: SignBody, options: SealOptions): Promise<{ jwe: string; jti: string }> {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const jti = options.jti ?? randomUUID();
  const claims = {
    jti,
    iat,
    exp: options.exp ?? iat + options.lifetimeSeconds,
    iss: options.issuer,
    aud: options.audience,
    signer: options.signer,
    ...body,
  };
  const { kid, alg, key } = options.signingKey;
  const jws = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg, kid, typ: REQUEST_TYP })
    .sign(key);
  const jwe = await new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({ alg: JWE_ALG, enc: JWE_ENC, kid: options.encryptionKey.kid, cty: "JWT" })
    .encrypt(options.encryptionKey.key);
  return { jwe, jti };
}

/** What the module needs to open requests. */
export interface OpenContext {
  moduleId: string;
  encryption: { kid: string; key: KeyObject };
  senders: ReadonlyMap<string, TrustedSender>;
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  /** Current time in seconds since the epoch. */
  now: number;
}

function headerOf(token: string, what: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(token);
  } catch (error) {
    throw new RsmRequestError("RSM_REQUEST_MALFORMED", `${what} has no readable protected header`, {}, error);
  }
}

/** Decrypts, verifies and checks a request; throws `RsmRequestError` with the code of the first failure. */
export async function openRequest(jwe: string, ctx: OpenContext): Promise<RequestClaims> {
  if (jwe.split(".").length !== 5) throw new RsmRequestError("RSM_REQUEST_MALFORMED", "body is not a compact JWE");
  const outer = headerOf(jwe, "JWE");
  if (outer.alg !== JWE_ALG || outer.enc !== JWE_ENC) {
    throw new RsmRequestError("RSM_REQUEST_MALFORMED", `JWE must use ${JWE_ALG} with ${JWE_ENC}`);
  }
  if (outer.kid !== ctx.encryption.kid) {
    throw new RsmRequestError("RSM_WRONG_RECIPIENT", "request is encrypted to another key", { kid: outer.kid });
  }
  let jws: string;
  try {
    const options = { keyManagementAlgorithms: [JWE_ALG], contentEncryptionAlgorithms: [JWE_ENC] };
    jws = new TextDecoder().decode((await compactDecrypt(jwe, ctx.encryption.key, options)).plaintext);
  } catch (error) {
    throw new RsmRequestError("RSM_DECRYPTION_FAILED", "request cannot be decrypted", {}, error);
  }
  const inner = headerOf(jws, "JWS");
  const sender = typeof inner.kid === "string" ? ctx.senders.get(inner.kid) : undefined;
  if (sender === undefined) {
    throw new RsmRequestError("RSM_UNKNOWN_SENDER", "request signed by an unknown key", { kid: inner.kid });
  }
  let text: string;
  try {
    const verified = await compactVerify(jws, sender.key, { algorithms: [sender.alg] });
    if (verified.protectedHeader.typ !== REQUEST_TYP) throw new errors.JWSInvalid(`typ must be ${REQUEST_TYP}`);
    text = new TextDecoder().decode(verified.payload);
  } catch (error) {
    throw new RsmRequestError("RSM_SIGNATURE_INVALID", "request signature invalid", { kid: inner.kid }, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RsmRequestError("RSM_REQUEST_MALFORMED", "claims are not JSON", { kid: inner.kid }, error);
  }
  const parsed = RequestClaimsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    const paths = issues.map((i) => i.path).join(", ");
    throw new RsmRequestError("RSM_REQUEST_MALFORMED", `claims do not match the request schema: ${paths}`, { issues });
  }
  const claims = parsed.data;
  const facts = { jti: claims.jti, iss: claims.iss };
  if (claims.iss !== sender.id) {
    throw new RsmRequestError("RSM_UNKNOWN_SENDER", "issuer does not own the signing key", {
      ...facts,
      kid: inner.kid,
    });
  }
  if (claims.aud !== ctx.moduleId) {
    throw new RsmRequestError("RSM_WRONG_AUDIENCE", "request is addressed to another module", {
      ...facts,
      aud: claims.aud,
    });
  }
  checkFreshness(claims, ctx, facts);
  return claims;
}

function checkFreshness(claims: RequestClaims, ctx: OpenContext, facts: Record<string, unknown>): void {
  const { iat, exp } = claims;
  const times = { ...facts, iat, exp, now: ctx.now };
  if (exp <= iat) throw new RsmRequestError("RSM_REQUEST_MALFORMED", "exp is not after iat", times);
  if (iat > ctx.now + ctx.clockSkewSeconds) {
    throw new RsmRequestError("RSM_REQUEST_NOT_YET_VALID", "request issued in the future", times);
  }
  if (exp + ctx.clockSkewSeconds <= ctx.now) throw new RsmRequestError("RSM_REQUEST_EXPIRED", "request expired", times);
  if (exp - iat > ctx.maxLifetimeSeconds) {
    throw new RsmRequestError("RSM_LIFETIME_TOO_LONG", `request lifetime exceeds ${ctx.maxLifetimeSeconds} s`, times);
  }
}
