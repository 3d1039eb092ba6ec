import type { preHandlerAsyncHookHandler } from "fastify";

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
