/**
 * Reading governance proposals: stored state, approvals that still count against the quorum, timelock and
 * expiry, the decoded action and the description from the `ProposalCreated` event.
 */
import { ChainStateError, ErrorCode, TaskInputError } from "../errors";
import { membersOf } from "../settlement";
import type { TaskContext } from "./context";
import { listMembers, memberLabel } from "./members";
import { describeAction } from "./proposal-actions";

const STORED = ["None", "Pending", "Executed", "Cancelled"] as const;

/**
 * `AwaitingQuorum`, `Queued` (timelock running), `Ready` (executable), `Unqueued` (quorum reached after a member
 * left: `queue` it), `Expired`, `Executed` or `Cancelled`.
 */
export type ProposalPhase = "AwaitingQuorum" | "Queued" | "Ready" | "Unqueued" | "Expired" | "Executed" | "Cancelled";

export interface ProposalView {
  id: number;
  phase: ProposalPhase;
  proposer: string;
  approvals: number;
  required: number;
  approvedBy: string[];
  createdAt: number;
  eta: number;
  expiresAt: number;
  action: { fn: string; args: string[]; text: string };
  description: string;
}

/** Parses `--id` of a proposal. */
export function parseProposalId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0) {
    throw new TaskInputError(ErrorCode.InputInvalid, `--id ${value}: not a proposal id (1, 2, ...)`, { id: value });
  }
  return Number(value);
}

/** Throws `PROPOSAL_NOT_FOUND` unless proposal `id` exists. */
export async function requireProposal(ctx: TaskContext, id: number): Promise<void> {
  const count = Number(await ctx.consortium.proposalCount());
  if (id > count) {
    throw new ChainStateError(
      ErrorCode.ProposalNotFound,
      `no proposal #${id} (the consortium has ${count} proposal${count === 1 ? "" : "s"})`,
      { id, count },
    );
  }
}

/** Every proposal, or only `only`, with what an operator needs to act on it. */
export async function listProposals(ctx: TaskContext, only?: number): Promise<ProposalView[]> {
  if (only !== undefined) await requireProposal(ctx, only);
  const count = Number(await ctx.consortium.proposalCount());
  const ids = only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
  const [members, required, latest, created] = await Promise.all([
    listMembers(ctx),
    ctx.consortium.requiredApprovals(),
    ctx.hre.ethers.provider.getBlock("latest"),
    ctx.consortium.queryFilter(ctx.consortium.filters.ProposalCreated(), ctx.fromBlock),
  ]);
  const descriptions = new Map(created.map((e) => [Number(e.args.proposalId), e.args.description]));
  const now = latest?.timestamp ?? 0;
  const views: ProposalView[] = [];
  for (const id of ids) {
    const [p, approvals] = await Promise.all([ctx.consortium.proposal(id), ctx.consortium.approvalCount(id)]);
    const view = {
      id,
      proposer: memberLabel(members, p.proposer),
      approvals: Number(approvals),
      required: Number(required),
      approvedBy: membersOf(p.approvals).map((m) => memberLabel(members, m)),
      createdAt: Number(p.createdAt),
      eta: Number(p.eta),
      expiresAt: Number(p.expiresAt),
      action: describeAction(ctx, p.data, members),
      description: descriptions.get(id) ?? "",
    };
    views.push({ ...view, phase: phaseOf(STORED[Number(p.state)], view, now) });
  }
  return views;
}

function phaseOf(
  stored: (typeof STORED)[number],
  p: { approvals: number; required: number; eta: number; expiresAt: number },
  now: number,
): ProposalPhase {
  if (stored === "Executed" || stored === "Cancelled") return stored;
  if (now >= p.expiresAt) return "Expired";
  if (p.eta === 0) return p.approvals >= p.required ? "Unqueued" : "AwaitingQuorum";
  return now >= p.eta ? "Ready" : "Queued";
}
