/**
 * The ISO 20022 route of the bank's HTTP API, as a Fastify plugin (zod schemas, for the server's
 * fastify-type-provider-zod compilers): `POST /v1/iso20022/sese.023 (registered under the API's /v1 prefix)` takes a sese.023 as `application/xml` and
 * instructs or affirms it through the participant's gate (202 with the settlement id). A malformed message is
 * 400 and an unmapped or invalid one 422, both `{ error: { code, message, details: { element, reason } } }`,
 * with nothing signed; a policy denial or screening outage answers with its own code and status.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { secured, type Authorize } from "../../http/contract";
import { httpStatus, isFrameworkError } from "../../errors";
import { Iso20022MessageError, type MappingConfig } from "../../iso20022";
import { GateDeniedError } from "../../orchestrator";
import { instructFromSese023, type Participant } from "../../participant";

export interface IsoRoutesContext {
  participant: Participant;
  authorize: Authorize;
  mapping: MappingConfig;
  /** Largest message accepted, in bytes (default 256 KiB). */
  maxMessageBytes?: number;
}

const XML_TYPES = ["application/xml", "text/xml"];

export const Sese023AcceptedSchema = z
  .object({
    settlementId: z.string(),
    step: z.enum(["instruct", "affirm"]),
    /** The message's `TxId`. */
    transactionId: z.string(),
    txHash: z.string(),
  })
  .strict();

export const IsoErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.unknown()).optional() }).strict(),
  })
  .strict();

/**
 * Registers the route on `app` in a scope of its own: only XML bodies are parsed there (anything else is 415),
 * and the framework's own refusals (415, 413, a failed validation) answer in the same error document.
 */
export function isoRoutes(app: FastifyInstance, ctx: IsoRoutesContext): Promise<void> {
  const bodyLimit = ctx.maxMessageBytes ?? 262_144;
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(XML_TYPES, { parseAs: "string", bodyLimit }, (_request, body, parsed) =>
      parsed(null, body),
    );
    scope.setErrorHandler((error: FastifyError, _request, reply) => {
      // The framework's own errors (a refused token, a denial) go to the server's handler, which knows their status.
      if (isFrameworkError(error)) throw error;
      return reply
        .code(error.statusCode ?? 500)
        .send({ error: { code: typeof error.code === "string" ? error.code : "UNEXPECTED", message: error.message } });
    });
    route(scope, ctx, bodyLimit);
    done();
  });
  return Promise.resolve();
}

function route(app: FastifyInstance, ctx: IsoRoutesContext, bodyLimit: number): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/iso20022/sese.023",
    {
      bodyLimit,
      // The token is checked before the message is read: a caller without one learns nothing of the parser.
      onRequest: ctx.authorize(["operations"]),
      schema: {
        summary: "Instruct or affirm a settlement from a sese.023 instruction",
        ...secured(["operations"]),
        consumes: XML_TYPES,
        body: z.string().min(1),
        response: { 202: Sese023AcceptedSchema, "4xx": IsoErrorSchema, "5xx": IsoErrorSchema },
      },
    },
    async (request, reply) => {
      const caller = request.caller;
      const initiator =
        caller === undefined ? undefined : { id: caller.subject, roles: [...ctx.participant.config.initiator.roles] };
      try {
        const done = await instructFromSese023(ctx.participant, request.body, ctx.mapping, { initiator });
        return reply.code(202).send({
          settlementId: done.settlementId,
          step: done.step,
          transactionId: done.instruction.transactionId,
          txHash: done.submitted.txHash,
        });
      } catch (error) {
        if (!isFrameworkError(error)) throw error;
        return reply.code(httpStatus(error) as 400).send({ error: errorBody(error) });
      }
    },
  );
}

/** The error document: an ISO refusal names its element and reason, a denial its reasons. */
function errorBody(error: Error & { code: string }): z.infer<typeof IsoErrorSchema>["error"] {
  const details: Record<string, unknown> =
    error instanceof Iso20022MessageError
      ? { element: error.element, reason: error.reason }
      : error instanceof GateDeniedError
        ? { reasons: error.reasons.map((r) => ({ code: r.code, message: r.message })) }
        : {};
  return { code: error.code, message: error.message, details };
}
