/**
 * What the route modules share: the response map every route documents (its success plus the one error shape for
 * 4xx and 5xx), the OpenAPI security entry and role list of a protected route, and the caller as the
 * participant's `Initiator`.
 */
import type { z } from "zod";
import type { Initiator } from "../../orchestrator";
import type { ApiCaller } from "../../http/contract";
export { secured } from "../../http/contract";
import { ApiUnauthenticatedError } from "../errors";
import { ErrorBodySchema } from "../schemas";

/** The responses of a route: its successes, and the error shape for every 4xx and 5xx. */
export function responses<R extends Record<number, z.ZodTypeAny>>(ok: R) {
  return { ...ok, "4xx": ErrorBodySchema, "5xx": ErrorBodySchema };
}

/** The caller, as the policy gate records who asked for a signature. */
export function initiatorOf(caller: ApiCaller | undefined): Initiator {
  if (caller === undefined) throw new ApiUnauthenticatedError("no caller");
  return { id: `api:${caller.subject}`, roles: [...caller.roles] };
}
