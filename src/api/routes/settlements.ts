/**
 * Settlement routes: instruct (with a required `Idempotency-Key`), the counterparty's and both parties' later
 * steps (affirm, affirm and settle, settle, cancel, release, unwind and reversal requests and approvals), one
 * settlement's status with its timeline, and the bank's settlements filtered by status, counterparty and
 * instruction time. Later steps take the settlement id: the terms are read from its instruction event.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { SettlementTerms } from "../../settlement";
import { statusName, STATUS_NAMES } from "../../settlement";
import type { Participant, SettlementSubmitted } from "../../participant";
import type { Initiator } from "../../orchestrator";
import type { ApiRole } from "../../http/contract";
import { requestFingerprint } from "../idempotency";
import {
  AddressSchema,
  IdempotencyHeadersSchema,
  InstructBodySchema,
  ReasonBodySchema,
  SettlementDetailSchema,
  SettlementParamsSchema,
  SettlementSchema,
  StepResultSchema,
} from "../schemas";
import type { RouteContext } from "../server";
import { initiatorOf, responses, secured } from "./common";

const DESK: readonly ApiRole[] = ["operations"];
const READERS: readonly ApiRole[] = ["operations", "compliance", "auditor"];

type Step = (p: Participant, terms: SettlementTerms, by: Initiator, reason: string) => Promise<SettlementSubmitted>;

/** The later steps: path, what the participant does, whether a reason is required, who may call. */
const STEPS: { path: string; step: string; run: Step; reason: boolean; roles: readonly ApiRole[]; summary: string }[] =
  [
    {
      path: "affirm",
      step: "affirm",
      run: (p, t, by) => p.affirm(t, by),
      reason: false,
      roles: DESK,
      summary: "Affirm as the counterparty (locks this bank's leg)",
    },
    {
      path: "affirm-and-settle",
      step: "affirmAndSettle",
      run: (p, t, by) => p.affirmAndSettle(t, by),
      reason: false,
      roles: DESK,
      summary: "Affirm and settle in one call as the counterparty",
    },
    {
      path: "settle",
      step: "settle",
      run: (p, t, by) => p.settle(t, by),
      reason: false,
      roles: DESK,
      summary: "Settle an affirmed settlement (both legs move or neither)",
    },
    {
      path: "cancel",
      step: "cancel",
      run: (p, t, by, r) => p.cancel(t, r, by),
      reason: true,
      roles: DESK,
      summary: "Cancel an unaffirmed instruction this bank made",
    },
    {
      path: "release",
      step: "release",
      run: (p, t, by) => p.release(t, by),
      reason: false,
      roles: DESK,
      summary: "Release an instruction left unaffirmed past its deadline",
    },
    {
      path: "unwind",
      step: "requestUnwind",
      run: (p, t, by, r) => p.requestUnwind(t, r, by),
      reason: true,
      roles: DESK,
      summary: "Request to unwind an affirmed settlement (counts as this bank's approval)",
    },
    {
      path: "unwind/approve",
      step: "approveUnwind",
      run: (p, t, by) => p.approveUnwind(t, by),
      reason: false,
      roles: DESK,
      summary: "Approve a requested unwind",
    },
    {
      path: "reversal",
      step: "requestReversal",
      run: (p, t, by, r) => p.requestReversal(t, r, by),
      reason: true,
      roles: DESK,
      summary: "Request a reversal inside the reversal window",
    },
    {
      path: "reversal/approve",
      step: "approveReversal",
      run: (p, t, by) => p.approveReversal(t, by),
      reason: false,
      roles: ["operations", "compliance"],
      summary: "Approve a requested reversal",
    },
  ];

const ListQuerySchema = z
  .object({
    status: z.enum(STATUS_NAMES).optional(),
    counterparty: AddressSchema.optional().describe("Only settlements with this account as seller or buyer"),
    from: z.string().datetime({ offset: true }).optional().describe("Instructed at or after (ISO 8601)"),
    to: z.string().datetime({ offset: true }).optional().describe("Instructed at or before (ISO 8601)"),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .strict();

export function settlementRoutes(scope: FastifyInstance, ctx: RouteContext): void {
  const { participant, ledger, idempotency, authorize } = ctx;

  async function stepResult(step: string, done: SettlementSubmitted) {
    return {
      settlementId: done.settlementId,
      step,
      txHash: done.txHash,
      blockNumber: done.receipt.blockNumber,
      nonce: done.nonce,
      retried: done.retried,
      status: statusName(await ledger.engine.statusOf(done.settlementId)),
    };
  }

  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.post(
    "/settlements",
    {
      onRequest: authorize(DESK),
      schema: {
        tags: ["settlements"],
        summary: "Instruct a settlement (this bank's leg is locked); Idempotency-Key required",
        ...secured(DESK),
        headers: IdempotencyHeadersSchema,
        body: InstructBodySchema,
        response: responses({ 201: StepResultSchema }),
      },
    },
    async (request, reply) => {
      const key = request.headers["idempotency-key"];
      const scopeName = "POST /v1/settlements";
      const claim = await idempotency.begin(scopeName, key, requestFingerprint(scopeName, request.body));
      if (claim.kind === "replay") {
        return reply
          .code(claim.status)
          .header("Idempotent-Replayed", "true")
          .send(claim.body as never);
      }
      try {
        const terms = await ledger.toTerms(request.body);
        const result = await stepResult("instruct", await participant.instruct(terms, initiatorOf(request.caller)));
        await idempotency.complete(scopeName, key, 201, result);
        return reply.code(201).header("Location", `/v1/settlements/${result.settlementId}`).send(result);
      } catch (error) {
        await idempotency.abandon(scopeName, key);
        throw error;
      }
    },
  );

  for (const s of STEPS) {
    app.post(
      `/settlements/:id/${s.path}`,
      {
        onRequest: authorize(s.roles),
        schema: {
          tags: ["settlements"],
          summary: s.summary,
          ...secured(s.roles),
          params: SettlementParamsSchema,
          ...(s.reason ? { body: ReasonBodySchema } : {}),
          response: responses({ 200: StepResultSchema }),
        },
      },
      async (request) => {
        const terms = await ledger.terms(request.params.id);
        const reason = (request.body as { reason?: string } | undefined)?.reason ?? "";
        return stepResult(s.step, await s.run(participant, terms, initiatorOf(request.caller), reason));
      },
    );
  }

  app.get(
    "/settlements/:id",
    {
      onRequest: authorize(READERS),
      schema: {
        tags: ["settlements"],
        summary: "A settlement's status, terms in human units, and its timeline from the chain and the audit log",
        ...secured(READERS),
        params: SettlementParamsSchema,
        response: responses({ 200: SettlementDetailSchema }),
      },
    },
    async (request) => ledger.settlement(request.params.id, true),
  );

  app.get(
    "/settlements",
    {
      onRequest: authorize(READERS),
      schema: {
        tags: ["settlements"],
        summary: "This bank's settlements, newest first, from the engine's instruction events",
        ...secured(READERS),
        querystring: ListQuerySchema,
        response: responses({ 200: z.object({ settlements: z.array(SettlementSchema) }) }),
      },
    },
    async (request) => {
      const q = request.query;
      const settlements = await ledger.list({
        status: q.status,
        counterparty: q.counterparty,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: Math.min(q.limit ?? ctx.listLimit, ctx.listLimit),
      });
      return { settlements };
    },
  );
}
