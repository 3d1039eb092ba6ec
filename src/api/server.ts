/**
 * `createApiServer`: the HTTP service a bank runs on its `Participant` (Fastify 5, schemas in zod through
 * fastify-type-provider-zod). The OpenAPI 3.1 document is generated from the route schemas and served at
 * `/openapi.json`, the browsable UI at `/docs`. Every write goes through the participant, so through the bank's
 * policy gate, approvals and HSM. Every refusal has one JSON shape, `{ error: { code, message, details? } }`,
 * with the HTTP status of its code in `ERROR_STATUS`; a 401 carries `WWW-Authenticate`. Routes check the token and
 * role in `onRequest`, before the request is parsed or validated, so a caller without them learns nothing of the
 * route's schema. Every write a caller makes, refused or not, is recorded in the bank's audit log with the
 * caller's subject and roles.
 */
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { ERROR_STATUS, isFrameworkError, jsonSafe } from "../errors";
import { logger } from "../observability/log";
import type { Participant } from "../participant";
import { createAuthorize, createTokenVerifier } from "./auth";
import { parseApiConfig, type ApiServerConfigInput } from "./config";
import type { Authorize } from "../http/contract";
import { ApiRequestInvalidError } from "./errors";
import { IdempotencyStore } from "./idempotency";
import { ApiLedger } from "./ledger";
import { approvalRoutes } from "./routes/approvals";
import { auditRoutes } from "./routes/audit";
import { operationsRoutes } from "./routes/operations";
import { policyRoutes } from "./routes/policy";
import { settlementRoutes } from "./routes/settlements";

/** What a route module gets: the participant, the authorize pre-handler factory, and the API's own parts. */
export interface RouteContext {
  participant: Participant;
  authorize: Authorize;
  ledger: ApiLedger;
  idempotency: IdempotencyStore;
  listLimit: number;
}

/** A route plugin built elsewhere (events, ISO 20022), registered under `/v1` with the same `authorize`. */
export type ApiPlugin = (
  app: FastifyInstance,
  ctx: { participant: Participant; authorize: Authorize },
) => Promise<void>;

export interface ApiServerOptions {
  participant: Participant;
  config: ApiServerConfigInput;
  plugins?: readonly ApiPlugin[];
  /** Title of the OpenAPI document (default: the bank's name). */
  title?: string;
}

export type ApiServer = FastifyInstance & { close(): Promise<undefined> };

/** The body of every refusal. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return {
    error: {
      code,
      message,
      ...(details === undefined ? {} : { details: jsonSafe(details) as Record<string, unknown> }),
    },
  };
}

/** Builds the server (not listening yet: call `listen`). Closing it closes the idempotency store, not the participant. */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const config = parseApiConfig(options.config);
  const authorize = createAuthorize(createTokenVerifier(config.auth, config.jwks));
  const idempotency = await IdempotencyStore.open(config.idempotency);
  const { participant } = options;
  const app = Fastify({ bodyLimit: config.bodyLimitBytes, logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook("onClose", () => idempotency.close());
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody("API_ROUTE_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
  app.addHook("onSend", async (request, reply, payload) => {
    await auditWrite(participant, request, reply);
    return payload;
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: options.title ?? `${participant.config.bank.name} settlement API`,
        description:
          "Settlement instructions, approvals, policy and audit of one bank, through its participant: every write passes the bank's policy gate, approvals and HSM.",
        version: "1.0.0",
      },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, () => Promise.resolve(app.swagger()));

  const ctx: RouteContext = {
    participant,
    authorize,
    ledger: new ApiLedger(participant),
    idempotency,
    listLimit: config.listLimit,
  };
  operationsRoutes(app, ctx);
  await app.register(
    async (v1) => {
      settlementRoutes(v1, ctx);
      approvalRoutes(v1, ctx);
      policyRoutes(v1, ctx);
      auditRoutes(v1, ctx);
      for (const plugin of options.plugins ?? [])
        await v1.register((scope) => plugin(scope, { participant, authorize }));
    },
    { prefix: "/v1" },
  );
  await app.ready();
  return app;
}

/** Answers `error` in the one error shape, with its code's status. */
function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? "request";
    const issues = error.validation.map((v) => ({
      path: fieldPath(v.instancePath, v.params as { issue?: { path?: unknown[] } }),
      message: v.message ?? "invalid",
    }));
    const refused = new ApiRequestInvalidError(where, issues);
    return reply.code(400).send(errorBody(refused.code, refused.message, refused.details));
  }
  if (isFrameworkError(error)) {
    const status = ERROR_STATUS[error.code].http;
    if (status === 401)
      reply.header(
        "WWW-Authenticate",
        `Bearer realm="consortium", error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`,
      );
    // The server's own configuration and bugs are not the caller's to read.
    if (status >= 500 && status !== 503) {
      logger().error({ err: error, route: request.url }, "API request failed");
      return reply.code(status).send(errorBody(error.code, "internal error"));
    }
    return reply.code(status).send(errorBody(error.code, error.message, error.toJSON().details));
  }
  const fastifyError = error as FastifyError;
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // Fastify's own refusals: a body that is not JSON, too large, an unsupported media type.
    return reply
      .code(fastifyError.statusCode)
      .send(errorBody("API_REQUEST_INVALID", fastifyError.message, { fastify: fastifyError.code }));
  }
  logger().error({ err: error, route: request.url }, "API request failed");
  return reply.code(500).send(errorBody("UNEXPECTED", "internal error"));
}

function fieldPath(instancePath: string, params: { issue?: { path?: unknown[] } }): string {
  const path = params.issue?.path;
  if (Array.isArray(path) && path.length > 0) return path.map(String).join(".");
  const trimmed = instancePath.replace(/^\//, "").replace(/\//g, ".");
  return trimmed === "" ? "(root)" : trimmed;
}

/** Records a caller's write (any method but GET and HEAD) in the audit log: who, which route, the answer. */
async function auditWrite(participant: Participant, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.method === "GET" || request.method === "HEAD" || request.caller === undefined) return;
  const route = request.routeOptions.url ?? request.url;
  await participant.audit.append({
    kind: "decision",
    subject: `api:${request.method} ${request.url.split("?")[0]}`,
    payload: {
      stage: "api",
      caller: { subject: request.caller.subject, roles: [...request.caller.roles] },
      method: request.method,
      route,
      status: reply.statusCode,
      outcome: reply.statusCode < 400 ? "allow" : "deny",
      ...(typeof request.headers["idempotency-key"] === "string"
        ? { idempotencyKey: request.headers["idempotency-key"] }
        : {}),
    },
  });
}
