/**
 * Who may call: every protected route carries `Authorization: Bearer <JWT>`. The token is verified with `jose`
 * against the configured public keys (a JWKS file, or PEM/JWK keys), only with an allowed asymmetric
 * algorithm, with issuer, audience, expiry and not-before checked within the clock tolerance. The caller is
 * the token's `sub` with the API roles found in the roles claim (unknown role names are ignored). No token or
 * an invalid one is 401 with `WWW-Authenticate`; a valid token lacking every role the route admits is 403.
 */
import { createPublicKey } from "node:crypto";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from "jose";
import type { FastifyRequest } from "fastify";
import { API_ROLES, type ApiCaller, type ApiRole, type Authorize } from "../http/contract";
import type { ApiAuthConfig } from "./config";
import { ApiConfigError, ApiForbiddenError, ApiUnauthenticatedError } from "./errors";

/** Verifies a bearer token and returns its caller; throws `ApiUnauthenticatedError`. */
export type TokenVerifier = (token: string) => Promise<ApiCaller>;

/** The JWKS the configuration names: the file's keys, or the inline PEM and JWK keys converted to JWKs. */
function keySet(config: ApiAuthConfig, jwks: { keys: Record<string, unknown>[] } | null): { keys: JWK[] } {
  if (jwks !== null) return { keys: jwks.keys };
  return {
    keys: (config.publicKeys ?? []).map((key, i) => {
      if (typeof key !== "string") return key;
      try {
        return createPublicKey(key).export({ format: "jwk" });
      } catch (error) {
        throw new ApiConfigError(`public key ${i} is not a PEM public key`, { key: i }, error);
      }
    }),
  };
}

export function createTokenVerifier(
  config: ApiAuthConfig,
  jwks: { keys: Record<string, unknown>[] } | null = null,
): TokenVerifier {
  const keys = createLocalJWKSet(keySet(config, jwks));
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...config.algorithms],
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ["sub", "exp"],
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JOSEError ? tokenProblem(error) : "the token cannot be verified";
      throw new ApiUnauthenticatedError(reason, error);
    }
    const claimed = payload[config.rolesClaim];
    const roles = Array.isArray(claimed)
      ? API_ROLES.filter((role) => claimed.includes(role))
      : typeof claimed === "string"
        ? API_ROLES.filter((role) => claimed.split(" ").includes(role))
        : [];
    return { subject: String(payload.sub), roles };
  };
}

/** A short reason a caller may see: which check failed, never key material. */
function tokenProblem(error: InstanceType<typeof joseErrors.JOSEError>): string {
  switch (error.code) {
    case "ERR_JWT_EXPIRED":
      return "the token has expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return `the token's ${(error as InstanceType<typeof joseErrors.JWTClaimValidationFailed>).claim} claim is not accepted`;
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "the token's algorithm is not allowed";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "no configured key matches the token";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "the token's signature does not verify";
    default:
      return "the token is malformed";
  }
}

/** The bearer token of `request`, or a 401 naming what is missing. */
function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) throw new ApiUnauthenticatedError("no Authorization header");
  const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(header);
  if (match === null) throw new ApiUnauthenticatedError("the Authorization header is not a bearer token");
  return match[1];
}

/** The `Authorize` every route module uses: verify the token, then require one of `roles` (`administrator` always passes). */
export function createAuthorize(verify: TokenVerifier): Authorize {
  return (roles: readonly ApiRole[]) => async (request) => {
    const caller = await verify(bearer(request));
    request.caller = caller;
    const admitted = caller.roles.some((r) => r === "administrator" || roles.includes(r));
    if (!admitted) throw new ApiForbiddenError(roles, caller.roles);
  };
}
