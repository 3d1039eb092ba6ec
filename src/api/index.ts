/**
 * The bank's HTTP API: a Fastify service on a `Participant` with OpenAPI 3.1 generated from zod schemas, bearer
 * JWT roles, durable idempotency keys, and the settlement, approval, policy, audit and operations routes.
 */
export { API_ROLES, type ApiCaller, type ApiRole, type Authorize } from "../http/contract";
export { createAuthorize, createTokenVerifier, type TokenVerifier } from "./auth";
export {
  ApiAuthConfigSchema,
  ApiServerConfigSchema,
  JWT_ALGORITHMS,
  parseApiConfig,
  type ApiAuthConfig,
  type ApiAuthConfigInput,
  type ApiServerConfig,
  type ApiServerConfigInput,
} from "./config";
export {
  ApiConfigError,
  ApiError,
  ApiForbiddenError,
  ApiRequestInvalidError,
  ApiUnauthenticatedError,
  type ApiErrorCode,
} from "./errors";
export { IDEMPOTENCY_SCHEMA, IdempotencyStore, requestFingerprint, type IdempotencyClaim } from "./idempotency";
export { ApiLedger, type TokenInfo } from "./ledger";
export { initiatorOf, responses, secured } from "./routes/common";
export { isoRoutes, type IsoRoutesContext } from "./routes/iso20022";
export { createApiServer, errorBody, type ApiPlugin, type ApiServerOptions, type RouteContext } from "./server";
