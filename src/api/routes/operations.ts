/**
 * Operations routes. `GET /health` (liveness: the process answers) and `GET /ready` (the participant's checks:
 * audit log writable, bundle active, HSM session usable, chain reachable; 503 when one fails) are open, as load
 * balancers and orchestrators probe without tokens, and they tell only which check fails. `GET /metrics`
 * (Prometheus) needs a token with the operations role: settlement counts and latencies are the bank's business,
 * and Prometheus sends bearer tokens (`authorization` in its scrape configuration).
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { healthReport, participantChecks } from "../../observability";
import type { HsmKey } from "../../signer";
import type { ApiRole } from "../../http/contract";
import type { RouteContext } from "../server";
import { responses, secured } from "./common";

const OPERATIONS: readonly ApiRole[] = ["operations"];
const CHECK_TIMEOUT_MS = 2_000;

const ReadySchema = z.object({
  status: z.enum(["ok", "failing"]),
  checks: z.record(z.object({ status: z.string(), code: z.string().optional(), message: z.string().optional() })),
  failing: z.array(z.string()).optional(),
});

export function operationsRoutes(scope: FastifyInstance, ctx: RouteContext): void {
  const { participant, authorize } = ctx;
  const hsm = participant.hsm as Partial<{ key: HsmKey }>;
  const checks = participantChecks({
    audit: participant.audit,
    auditConfig: participant.config.audit,
    policyVersion: () => participant.policyVersion,
    signDigest: hsm.key === undefined ? undefined : (digest) => hsm.key!.signDigest(digest),
    provider: participant.provider,
  });

  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/health",
    {
      schema: {
        tags: ["operations"],
        summary: "Liveness: the server answers",
        response: responses({ 200: z.object({ status: z.literal("ok") }) }),
      },
    },
    () => Promise.resolve({ status: "ok" as const }),
  );

  app.get(
    "/ready",
    {
      schema: {
        tags: ["operations"],
        summary: "Readiness: the participant's checks (503 when one fails)",
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_request, reply) => {
      const report = await healthReport(checks, CHECK_TIMEOUT_MS);
      return reply.code(report.status === "ok" ? 200 : 503).send(report);
    },
  );

  app.get(
    "/metrics",
    {
      onRequest: authorize(OPERATIONS),
      schema: {
        tags: ["operations"],
        summary: "The participant's metrics in Prometheus' text format",
        ...secured(OPERATIONS),
        produces: ["text/plain"],
        response: responses({ 200: z.string() }),
      },
    },
    async (_request, reply) => {
      const { contentType, text } = await participant.metrics.exposition();
      return reply.type(contentType).send(text);
    },
  );
}
