/**
 * `settlement:status`: a settlement's status (with `Final` and `Expired`, which depend on the time), its stored
 * record, its terms and its timeline of events, all rebuilt from the chain.
 */
import { describeSettlement, formatSettlementId } from "../settlement";
import { loadContext } from "./context";
import { operatorTask, type CommonArgs } from "./define";
import { listMembers, memberLabel } from "./members";
import { formatTime } from "./output";
import { parseSettlementId, termsLines, viewTerms } from "./terms-input";

const ACTOR_ARGS = new Set(["actor", "memberId", "policyVersion"]);

operatorTask(
  "settlement:status",
  "Show a settlement's status, record, terms and timeline of events",
  (t) => t.addParam("id", "Settlement id (0x and 64 hex digits)"),
  async (args: CommonArgs & { id: string }, out, hre) => {
    const ctx = await loadContext(hre, args.consortium);
    const id = parseSettlementId(args.id);
    const view = await describeSettlement(ctx.engine, id, ctx.fromBlock);
    const members = await listMembers(ctx);
    const terms = await viewTerms(ctx, id, view.instruction.terms);
    const actorLabel = async (args: Record<string, unknown>): Promise<string> => {
      if (args.memberId !== undefined) return memberLabel(members, Number(args.memberId));
      if (typeof args.actor !== "string") return "";
      const memberId = await ctx.consortium.operatorMember(args.actor);
      return memberId === 0n ? args.actor : memberLabel(members, memberId);
    };
    const labels = await Promise.all(view.timeline.map((entry) => actorLabel(entry.args)));
    const timeline = view.timeline.map((entry, i) => {
      const by = labels[i];
      const extra = Object.entries(entry.args)
        .filter(([key]) => !ACTOR_ARGS.has(key))
        .map(
          ([key, value]) =>
            `${key}=${key.endsWith("At") || key.endsWith("Deadline") ? formatTime(Number(value)) : String(value)}`,
        );
      return { ...entry, by, summary: extra.join(" ") };
    });

    out.line(`Settlement ${formatSettlementId(id)} (trade ${terms.tradeRef}, ${terms.kind})`);
    out.line(`  status            ${view.status}`);
    for (const line of termsLines(terms)) out.line(`  ${line}`);
    out.line(
      `  instructed by     ${memberLabel(members, view.instruction.memberId)} (${view.record.sellerInstructed ? "seller" : "buyer"} side)`,
    );
    out.line(`  policy version    ${view.record.policyVersion}`);
    out.line(`  affirm deadline   ${formatTime(view.record.affirmDeadline)}`);
    out.line(`  final at          ${formatTime(view.record.finalAt)}`);
    if (view.reversalApprovals.length > 0) {
      out.line(`  reversal approved by ${view.reversalApprovals.map((m) => memberLabel(members, m)).join(", ")}`);
    }
    out.line();
    out.table(
      ["block", "time", "event", "by", "details"],
      timeline.map((e) => [String(e.blockNumber), formatTime(e.timestamp), e.event, e.by, e.summary]),
    );
    return out.result({
      id: formatSettlementId(id),
      status: view.status,
      record: view.record,
      terms,
      instructedBy: memberLabel(members, view.instruction.memberId),
      reversalApprovals: view.reversalApprovals,
      timeline: timeline.map(({ event, blockNumber, transactionHash, timestamp, args: eventArgs }) => ({
        event,
        blockNumber,
        transactionHash,
        timestamp,
        args: eventArgs,
      })),
    });
  },
);
