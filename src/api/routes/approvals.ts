/**
 * Approval routes: the bank's approval requests with the intent each is for (from the decision the policy
 * recorded: action, counterparty bank, asset and amount in human units, who asked), and the EIP-712 signed votes
 * of approvers (src/approvals): an approval or a rejection, each checked against the approver directory.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { APPROVAL_STATES, approvalMessageSchema, type ApprovalStatus } from "../../approvals";
import type { ApiRole } from "../../http/contract";
import { ApiRequestInvalidError } from "../errors";
import { fixedAmount } from "../ledger";
import type { RouteContext } from "../server";
import { responses, secured } from "./common";

const READERS: readonly ApiRole[] = ["compliance", "operations", "auditor"];
const APPROVERS: readonly ApiRole[] = ["compliance"];

const IntentSchema = z.object({
  action: z.string(),
  counterparty: z.object({ lei: z.string(), bank: z.string().nullable() }).nullable(),
  asset: z.string().nullable(),
  amount: z.string().nullable().describe("In the asset's human units"),
  initiator: z.object({ id: z.string(), roles: z.array(z.string()) }).nullable(),
  reasons: z.array(z.string()),
});

const ApprovalSchema = z.object({
  intentId: z.string(),
  digest: z.string(),
  state: z.enum(APPROVAL_STATES),
  required: z.number().int(),
  roles: z.array(z.string()),
  initiatorId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  votes: z.array(z.object({ approverId: z.string(), decision: z.string(), at: z.string() })),
  intent: IntentSchema.nullable().describe(
    "The intent as the bank's policy decided it (null when no decision is recorded)",
  ),
});

const VoteBodySchema = z
  .object({
    message: approvalMessageSchema,
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature"),
  })
  .strict()
  .describe("An EIP-712 Approval signed by the approver (domain ConsortiumApproval, version 1, the chain id)");

const IntentParamsSchema = z.object({ id: z.string().min(1).max(200) }).strict();

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

export function approvalRoutes(scope: FastifyInstance, ctx: RouteContext): void {
  const { participant, ledger, authorize } = ctx;

  /**
   * The intents the policy asked approvals for, by approval id: the last `approval_required` decision recorded
   * for the approval's intent (an approval of a settlement step is `<settlement id>/<action>`).
   */
  async function intents(approvalIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const wanted = new Map<string, string[]>();
    for (const id of approvalIds) {
      const base = id.includes("/") ? id.slice(0, id.lastIndexOf("/")) : id;
      wanted.set(base, [...(wanted.get(base) ?? []), id]);
      wanted.set(id, [...(wanted.get(id) ?? []), id]);
    }
    if (wanted.size === 0) return found;
    for await (const r of participant.auditRecords()) {
      const ids = r.kind === "decision" && r.subject !== null ? wanted.get(r.subject) : undefined;
      const payload = r.payload as { intent?: Record<string, unknown>; reasons?: unknown; outcome?: unknown };
      if (ids === undefined || payload.intent === undefined || payload.outcome !== "approval_required") continue;
      for (const id of ids) {
        const action = id.includes("/") ? id.slice(id.lastIndexOf("/") + 1) : undefined;
        if (action === undefined || action === payload.intent.action) {
          found.set(id, { ...payload.intent, reasons: payload.reasons });
        }
      }
    }
    return found;
  }

  async function intentView(intent: Record<string, unknown> | undefined) {
    if (intent === undefined) return null;
    const lei = typeof intent.counterparty === "string" ? intent.counterparty : undefined;
    const symbol = typeof intent.asset === "string" ? intent.asset : undefined;
    const token = symbol === undefined ? undefined : await ledger.token(symbol);
    const amount =
      typeof intent.amount === "string" && token !== undefined
        ? fixedAmount(BigInt(intent.amount), token.decimals)
        : null;
    const initiator = intent.initiator as { id: string; roles: string[] } | undefined;
    return {
      action: String(intent.action),
      counterparty: lei === undefined ? null : { lei, bank: await ledger.bankByLei(lei) },
      asset: symbol ?? null,
      amount,
      initiator: initiator ?? null,
      reasons: Array.isArray(intent.reasons) ? intent.reasons.map(String) : [],
    };
  }

  async function view(status: ApprovalStatus, intent: Record<string, unknown> | undefined) {
    return {
      intentId: status.intentId,
      digest: status.digest,
      state: status.state,
      required: status.required,
      roles: status.roles,
      initiatorId: status.initiatorId,
      createdAt: iso(status.createdAt),
      expiresAt: iso(status.expiresAt),
      votes: status.votes.map((v) => ({ approverId: v.approverId, decision: v.decision, at: iso(v.at) })),
      intent: await intentView(intent),
    };
  }

  const app = scope.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/approvals",
    {
      onRequest: authorize(READERS),
      schema: {
        tags: ["approvals"],
        summary: "Approval requests (pending by default) with the decoded intent in human units and bank names",
        ...secured(READERS),
        querystring: z.object({ state: z.enum(APPROVAL_STATES).default("pending") }).strict(),
        response: responses({ 200: z.object({ approvals: z.array(ApprovalSchema) }) }),
      },
    },
    async (request) => {
      const list = await participant.approvalRequests({ state: request.query.state });
      const decided = await intents(list.map((s) => s.intentId));
      return { approvals: await Promise.all(list.map((s) => view(s, decided.get(s.intentId)))) };
    },
  );

  for (const [path, only, summary] of [
    ["votes", undefined, "Count an approver's EIP-712 signed vote (approve or reject)"],
    ["reject", "reject", "Reject the request with an approver's EIP-712 signed rejection"],
  ] as const) {
    app.post(
      `/approvals/:id/${path}`,
      {
        onRequest: authorize(APPROVERS),
        schema: {
          tags: ["approvals"],
          summary,
          ...secured(APPROVERS),
          params: IntentParamsSchema,
          body: VoteBodySchema,
          response: responses({ 200: ApprovalSchema }),
        },
      },
      async (request) => {
        const { id } = request.params;
        if (only !== undefined && request.body.message.decision !== only) {
          throw new ApiRequestInvalidError("body", [{ path: "message.decision", message: `must be ${only} here` }]);
        }
        const status = await participant.submitApproval({ intentId: id, ...request.body });
        const decided = await intents([id]);
        return view(status, decided.get(id));
      },
    );
  }
}
