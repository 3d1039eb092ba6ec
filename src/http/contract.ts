import type { preHandlerAsyncHookHandler } from "fastify";

/**
 * The HTTP contract every route module of a bank's API shares, whichever folder it lives in (the API's own
 * routes, the chain events' routes, the ISO 20022 route): the roles, the caller, the `Authorize` guard and the
 * OpenAPI marking of a protected route.
 */

/**
 * The roles a bank's bearer tokens carry. Each route names the roles that may call it; a request without a valid
 * token is refused with 401, a valid token without one of the route's roles with 403.
 */
export const API_ROLES = ["operations", "compliance", "auditor", "administrator"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Who called: the token's subject and roles, recorded with every write the API makes. */
export interface ApiCaller {
  readonly subject: string;
  readonly roles: readonly ApiRole[];
}

/** Builds the pre-handler that admits only callers holding one of `roles`, and sets `request.caller`. */
export type Authorize = (roles: readonly ApiRole[]) => preHandlerAsyncHookHandler;

declare module "fastify" {
  interface FastifyRequest {
    caller?: ApiCaller;
  }
}

/** The OpenAPI part of a protected route: bearer security and the roles it admits (`x-roles`). */
export function secured(roles: readonly ApiRole[]) {
  return {
    security: [{ bearerAuth: [] }],
    "x-roles": [...roles],
  };
}
