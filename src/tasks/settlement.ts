/**
 * Settlement tasks: instruct, affirm, affirm-and-settle, settle, reverse and unwind (propose, then approve) and
 * release. The engine stores
 * only the hash of the terms, so every step after `instruct` recovers the terms from the instruction event.
 */
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { SettlementEngine } from "../../typechain-types";
import type { Participant, SettlementSubmitted } from "../participant";
import {
  findTerms,
  formatSettlementId,
  membersOf,
  settlementIdOf,
  statusName,
  type SettlementTerms,
} from "../settlement";
import { requireSigningPath, withActor, type Actor, type SigningArgs } from "./acting";
import { loadContext, send, type TaskContext } from "./context";
import { operatorTask, PARTICIPANT_FLAG, signingParams, type CommonArgs } from "./define";
import { listMembers, memberLabel } from "./members";
import { formatTime } from "./output";
import { parseSettlementId, parseTermsFlags, termsLines, viewTerms, type TermsFlags } from "./terms-input";

interface IdArgs extends CommonArgs, SigningArgs {
  id: string;
}

interface ReverseArgs extends IdArgs {
  reason?: string;
}

/** Names of the engine events a receipt carries, in order. */
function engineEvents(ctx: TaskContext, receipt: TransactionReceipt): string[] {
  const engine = ctx.record.engine.toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === engine)
    .map((log) => ctx.engine.interface.parseLog(log)?.name)
    .filter((name): name is string => name !== undefined);
}

/**
 * Sends one settlement step as `actor`: through the bank's participant (policy, approvals, HSM, audit) or, on the
 * in-process network, with a software key.
 */
function stepAs(
  ctx: TaskContext,
  actor: Actor,
  viaEngine: (engine: SettlementEngine) => Promise<ContractTransactionResponse>,
  viaParticipant: (participant: Participant) => Promise<SettlementSubmitted>,
): Promise<TransactionReceipt> {
  if (actor.kind === "software") return send(viaEngine(ctx.engine.connect(actor.signer)));
  return viaParticipant(actor.participant).then((done) => done.receipt);
}

/** What every step reports: the settlement's status after it and the events it emitted. */
async function stepResult(ctx: TaskContext, id: bigint, action: string, receipt: TransactionReceipt) {
  const record = await ctx.engine.record(id);
  return {
    id: formatSettlementId(id),
    action,
    status: statusName(await ctx.engine.statusOf(id)),
    finalAt: Number(record.finalAt),
    events: engineEvents(ctx, receipt),
    transactionHash: receipt.hash,
  };
}

operatorTask(
  "settlement:instruct",
  "Instruct a settlement as the seller's or the buyer's bank (its leg is escrowed)",
  (t) =>
    t
      .addParam("tradeRef", "Trade reference: text of up to 31 bytes, or 0x and 64 hex digits")
      .addParam("kind", "dvp (delivery versus payment) or fop (free of payment)")
      .addParam("seller", "Seller's account: an address, or a member (id, name or LEI) for its first account")
      .addParam("buyer", "Buyer's account: an address, or a member (id, name or LEI) for its first account")
      .addParam("asset", "Asset leg token: symbol or address")
      .addParam("assetAmount", "Asset amount in the token's units (e.g. 1000 or 1000.50)")
      .addOptionalParam("cash", "Cash leg token (DvP only): symbol or address")
      .addOptionalParam("cashAmount", "Cash amount in the token's units (DvP only)")
      .addOptionalParam("participantConfig", PARTICIPANT_FLAG),
  async (args: CommonArgs & SigningArgs & TermsFlags, out, hre) => {
    requireSigningPath(hre, args);
    const ctx = await loadContext(hre, args.consortium);
    const terms = await parseTermsFlags(ctx, args);
    const receipt = await withActor(ctx, args, (actor) =>
      stepAs(
        ctx,
        actor,
        (engine) => engine.instruct(terms),
        (participant) => participant.instruct(terms),
      ),
    );
    const id = settlementIdOf(terms);
    const view = await viewTerms(ctx, id, terms);
    const result = { ...(await stepResult(ctx, id, "instruct", receipt)), terms: view };
    const deadline = Number((await ctx.engine.record(id)).affirmDeadline);
    out.line(`Instructed ${view.kind} settlement ${view.id} (trade ${view.tradeRef})`);
    for (const line of termsLines(view)) out.line(`  ${line}`);
    out.line(`  status ${result.status}; the counterparty must affirm by ${formatTime(deadline)}`);
    return out.result({ ...result, affirmDeadline: deadline });
  },
);

/** A step that takes the settlement id, recovers the terms and sends one engine call. */
function stepTask(
  name: string,
  description: string,
  verb: string,
  call: (engine: SettlementEngine, terms: SettlementTerms) => Promise<ContractTransactionResponse>,
  viaParticipant: (participant: Participant, terms: SettlementTerms) => Promise<SettlementSubmitted>,
): void {
  operatorTask(
    name,
    description,
    (t) => signingParams(t.addParam("id", "Settlement id (0x and 64 hex digits, as printed by settlement:instruct)")),
    async (args: IdArgs, out, hre) => {
      const id = parseSettlementId(args.id);
      requireSigningPath(hre, args);
      const ctx = await loadContext(hre, args.consortium);
      const terms = await findTerms(ctx.engine, id, ctx.fromBlock);
      const receipt = await withActor(ctx, args, (actor) =>
        stepAs(
          ctx,
          actor,
          (engine) => call(engine, terms),
          (participant) => viaParticipant(participant, terms),
        ),
      );
      const result = await stepResult(ctx, id, verb, receipt);
      out.line(`Settlement ${result.id} ${verb}: status ${result.status}`);
      out.line(`  events ${result.events.join(", ")}`);
      if (result.status === "Settled") out.line(`  reversal window open until ${formatTime(result.finalAt)}`);
      return out.result(result);
    },
  );
}

stepTask(
  "settlement:affirm",
  "Affirm as the counterparty's bank: its leg is escrowed, both legs locked",
  "affirmed",
  (e, t) => e.affirm(t),
  (p, t) => p.affirm(t),
);
stepTask(
  "settlement:affirm-and-settle",
  "Affirm and settle in one call as the counterparty's bank: both legs move at once, without escrowing its own",
  "affirmed and settled",
  (e, t) => e.affirmAndSettle(t),
  (p, t) => p.affirmAndSettle(t),
);
stepTask(
  "settlement:settle",
  "Settle an affirmed settlement: both legs move at once",
  "settled",
  (e, t) => e.settle(t),
  (p, t) => p.settle(t),
);
stepTask(
  "settlement:release",
  "Return the escrow of an instruction left unaffirmed past its deadline",
  "released",
  (e, t) => e.release(t),
  (p, t) => p.release(t),
);

type StepOnEngine = (engine: SettlementEngine) => Promise<ContractTransactionResponse>;
type StepOnParticipant = (participant: Participant) => Promise<SettlementSubmitted>;

/** A two-party vote on a settlement (reversal, unwind): the first bank proposes, the other or a quorum approves. */
function voteTask(v: {
  name: string;
  description: string;
  event: string;
  noun: string;
  executed: string;
  status: string;
  approvals: (engine: SettlementEngine, id: bigint) => Promise<bigint>;
  approve: (terms: SettlementTerms) => [StepOnEngine, StepOnParticipant];
  propose: (terms: SettlementTerms, reason: string) => [StepOnEngine, StepOnParticipant];
}): void {
  operatorTask(
    v.name,
    v.description,
    (t) =>
      t
        .addParam("id", "Settlement id (0x and 64 hex digits)")
        .addOptionalParam("reason", `Why (recorded in the ${v.event} event)`, "")
        .addOptionalParam("participantConfig", PARTICIPANT_FLAG),
    async (args: ReverseArgs, out, hre) => {
      const id = parseSettlementId(args.id);
      requireSigningPath(hre, args);
      const ctx = await loadContext(hre, args.consortium);
      const terms = await findTerms(ctx.engine, id, ctx.fromBlock);
      const requested = (await v.approvals(ctx.engine, id)) !== 0n;
      const [onEngine, onParticipant] = requested ? v.approve(terms) : v.propose(terms, args.reason ?? "");
      const receipt = await withActor(ctx, args, (actor) => stepAs(ctx, actor, onEngine, onParticipant));
      const action = `${v.noun} ${requested ? "approved" : "proposed"}`;
      const members = await listMembers(ctx);
      const approvedBy = membersOf(await v.approvals(ctx.engine, id)).map((m) => memberLabel(members, m));
      const result = { ...(await stepResult(ctx, id, action, receipt)), approvedBy };
      out.line(`Settlement ${result.id}: ${action}; approved by ${approvedBy.join(", ")}`);
      out.line(
        result.status === v.status
          ? `  ${v.noun} executed: ${v.executed}`
          : `  waiting for the other party's bank or a quorum of members to approve (${v.name} again)`,
      );
      return out.result(result);
    },
  );
}

voteTask({
  name: "settlement:reverse",
  description: "Ask to reverse a settled settlement inside its window, or approve the request",
  event: "ReversalProposed",
  noun: "reversal",
  executed: "both legs returned",
  status: "Reversed",
  approvals: (engine, id) => engine.reversalApprovals(id),
  approve: (terms) => [(engine) => engine.approveReversal(terms), (participant) => participant.approveReversal(terms)],
  propose: (terms, reason) => [
    (engine) => engine.proposeReversal(terms, reason),
    (participant) => participant.requestReversal(terms, reason),
  ],
});

voteTask({
  name: "settlement:unwind",
  description: "Ask to unwind an affirmed settlement (both escrowed legs go back), or approve the request",
  event: "UnwindProposed",
  noun: "unwind",
  executed: "both escrowed legs returned",
  status: "Unwound",
  approvals: (engine, id) => engine.unwindApprovals(id),
  approve: (terms) => [(engine) => engine.approveUnwind(terms), (participant) => participant.approveUnwind(terms)],
  propose: (terms, reason) => [
    (engine) => engine.proposeUnwind(terms, reason),
    (participant) => participant.requestUnwind(terms, reason),
  ],
});
