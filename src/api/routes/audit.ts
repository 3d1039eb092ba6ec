/**
 * Audit routes: verification of the bank's hash-chained log (and against every head anchored on chain), the log
 * as JSON Lines streamed record by record (the format `verifyJsonl` checks offline), the anchored heads from the
 * AuditAnchor contract, and anchoring the current head (a transaction through the policy gate and HSM).
 */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { Consortium__factory, IAuditAnchor__factory } from "../../../typechain-types";
import { jsonlLine } from "../../audit";
import type { ApiRole } from "../../http/contract";
import type { RouteContext } from "../server";
import { responses, secured } from "./common";

const AUDITORS: readonly ApiRole[] = ["auditor", "compliance"];
const ANCHORERS: readonly ApiRole[] = ["operations", "auditor"];

const HeadSchema = z.object({ seq: z.number().int(), hash: z.string() });

export function auditRoutes(scope: FastifyInstance, ctx: RouteContext): void {
  const { participant, authorize } = ctx;

  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/audit/verify",
    {
      onRequest: authorize(AUDITORS),
      schema: {
        tags: ["audit"],
        summary: "Recompute every hash and link of the audit log and check it holds every anchored head",
        ...secured(AUDITORS),
        response: responses({
          200: z.object({
            ok: z.boolean(),
            count: z.number().int().optional(),
            head: HeadSchema.optional(),
            firstBad: z.object({ seq: z.number().int(), problem: z.string(), detail: z.string() }).optional(),
          }),
        }),
      },
    },
    async () => participant.verifyAudit(),
  );

  app.get(
    "/audit/export",
    {
      onRequest: authorize(AUDITORS),
      schema: {
        tags: ["audit"],
        summary: "The whole audit log as JSON Lines (application/x-ndjson), streamed; check it with verifyJsonl",
        ...secured(AUDITORS),
        querystring: z.object({ fromSeq: z.coerce.number().int().min(1).default(1) }).strict(),
        produces: ["application/x-ndjson"],
        response: responses({ 200: z.string().describe("One audit record per line") }),
      },
    },
    async (request, reply) => {
      const records = participant.auditRecords(request.query.fromSeq);
      const lines = Readable.from(
        (async function* () {
          for await (const r of records) yield jsonlLine(r);
        })(),
      );
      return reply.type("application/x-ndjson").send(lines as never);
    },
  );

  app.get(
    "/audit/anchors",
    {
      onRequest: authorize(AUDITORS),
      schema: {
        tags: ["audit"],
        summary: "The heads of this bank's log anchored on chain, oldest first",
        ...secured(AUDITORS),
        response: responses({
          200: z.object({
            anchors: z.array(
              HeadSchema.extend({ blockNumber: z.number().int(), transactionHash: z.string(), actor: z.string() }),
            ),
          }),
        }),
      },
    },
    async () => {
      const c = participant.config.consortium;
      if (c.auditAnchor === undefined) return { anchors: [] };
      const registry = Consortium__factory.connect(c.consortium, participant.provider);
      const memberId = await registry
        .accountMember(participant.address)
        .then(async (id) => (id !== 0n ? id : registry.operatorMember(participant.address)));
      if (memberId === 0n) return { anchors: [] };
      const contract = IAuditAnchor__factory.connect(c.auditAnchor, participant.provider);
      const events = await contract.queryFilter(contract.filters.AuditHeadAnchored(memberId), c.fromBlock ?? 0);
      return {
        anchors: events.map((e) => ({
          seq: Number(e.args.seq),
          hash: e.args.head.replace(/^0x/, "").toLowerCase(),
          blockNumber: e.blockNumber,
          transactionHash: e.transactionHash,
          actor: e.args.actor,
        })),
      };
    },
  );

  app.post(
    "/audit/anchor",
    {
      onRequest: authorize(ANCHORERS),
      schema: {
        tags: ["audit"],
        summary: "Anchor the log's current head on chain (signed through the policy gate and HSM)",
        ...secured(ANCHORERS),
        response: responses({
          200: z.object({
            head: HeadSchema,
            txHash: z.string(),
            blockNumber: z.number().int(),
            recordSeq: z.number().int(),
          }),
        }),
      },
    },
    async () => {
      const done = await participant.anchorAudit();
      return { head: done.head, txHash: done.txHash, blockNumber: done.blockNumber, recordSeq: done.record.seq };
    },
  );
}
