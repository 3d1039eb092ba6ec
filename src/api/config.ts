/**
 * The API's configuration, validated once at start: who may call (bearer JWTs: the keys that verify them, the
 * algorithms allowed, issuer, audience, clock tolerance, the claim that carries the roles), where idempotency
 * keys are kept (SQLite or PostgreSQL, src/storage) and the server's limits.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { exactlyOneLocation, storageLocationFields } from "../storage";
import { ApiConfigError } from "./errors";

/** Asymmetric JWS algorithms only: a shared secret would let every verifier mint tokens. */
export const JWT_ALGORITHMS = [
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
] as const;

const jwkSchema = z.record(z.unknown()).refine((k) => typeof k.kty === "string", "must be a JWK with kty");

export const ApiAuthConfigSchema = z
  .object({
    issuer: z.string().min(1),
    audience: z.string().min(1),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(["ES256", "EdDSA"]),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** The claim holding the caller's roles (an array of role names). */
    rolesClaim: z.string().min(1).default("roles"),
    /** A JWKS document on disk... */
    jwksFile: z.string().min(1).optional(),
    /** ...or public keys given inline: PEM (SPKI) texts or public JWKs. */
    publicKeys: z
      .array(z.union([z.string().min(1), jwkSchema]))
      .min(1)
      .optional(),
  })
  .strict()
  .refine((c) => (c.jwksFile === undefined) !== (c.publicKeys === undefined), {
    message: "needs exactly one of jwksFile or publicKeys",
  });
export type ApiAuthConfigInput = z.input<typeof ApiAuthConfigSchema>;
export type ApiAuthConfig = z.output<typeof ApiAuthConfigSchema>;

export const ApiServerConfigSchema = z
  .object({
    auth: ApiAuthConfigSchema,
    idempotency: z
      .object({
        ...storageLocationFields,
        /** How long a stored answer is replayed for its key. */
        retentionSeconds: z
          .number()
          .int()
          .min(60)
          .max(30 * 86_400)
          .default(86_400),
        /**
         * A key whose request has not finished after this long (the process died) may be taken over by a retry;
         * the participant itself never signs a retried call twice.
         */
        pendingTimeoutSeconds: z.number().int().min(1).max(3_600).default(120),
      })
      .strict()
      .refine(...exactlyOneLocation),
    /** Largest request body in bytes (a policy bundle with its Wasm is the largest). */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1_024)
      .max(64 * 1_048_576)
      .default(8 * 1_048_576),
    /** Most settlements `GET /settlements` returns in one answer. */
    listLimit: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();
export type ApiServerConfigInput = z.input<typeof ApiServerConfigSchema>;
export type ApiServerConfig = z.output<typeof ApiServerConfigSchema>;

/** Validates the configuration; a JWKS file is read here, so a missing file fails at start. */
export function parseApiConfig(input: unknown): ApiServerConfig & { jwks: { keys: Record<string, unknown>[] } | null } {
  const parsed = ApiServerConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    throw new ApiConfigError(issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
  }
  const file = parsed.data.auth.jwksFile;
  if (file === undefined) return { ...parsed.data, jwks: null };
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ApiConfigError(`the JWKS file ${file} cannot be read as JSON`, { file }, error);
  }
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ApiConfigError(`the JWKS file ${file} has no keys`, { file });
  }
  return { ...parsed.data, jwks: { keys: keys as Record<string, unknown>[] } };
}
