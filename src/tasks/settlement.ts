/**
 * Settlement tasks: instruct, affirm, settle, reverse (propose, then approve) and release. The engine stores
 * only the hash of the terms, so every step after `instruct` recovers the terms from the instruction event.
 */
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { SettlementEngine } from "../../typechain-types";
import {
  findTerms,
  formatSettlementId,
  membersOf,
  settlementIdOf,
  statusName,
  type SettlementTerms,
} from "../settlement";
import { loadContext, resolveSigner, send, type TaskContext } from "./context";
import { operatorTask, type CommonArgs } from "./define";
import { listMembers, memberLabel } from "./members";
import { formatTime } from "./output";
import { parseSettlementId, parseTermsFlags, termsLines, viewTerms, type TermsFlags } from "./terms-input";

interface IdArgs extends CommonArgs {
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
      .addOptionalParam("cashAmount", "Cash amount in the token's units (DvP only)"),
  async (args: CommonArgs & TermsFlags, out, hre) => {
    const ctx = await loadContext(hre, args.consortium);
    const signer = await resolveSigner(hre, args.from);
    const terms = await parseTermsFlags(ctx, args);
    const receipt = await send(ctx.engine.connect(signer).instruct(terms));
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
): void {
  operatorTask(
    name,
    description,
    (t) => t.addParam("id", "Settlement id (0x and 64 hex digits, as printed by settlement:instruct)"),
    async (args: IdArgs, out, hre) => {
      const ctx = await loadContext(hre, args.consortium);
      const signer = await resolveSigner(hre, args.from);
      const id = parseSettlementId(args.id);
      const terms = await findTerms(ctx.engine, id, ctx.fromBlock);
      const receipt = await send(call(ctx.engine.connect(signer), terms));
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
);
stepTask("settlement:settle", "Settle an affirmed settlement: both legs move at once", "settled", (e, t) =>
  e.settle(t),
);
stepTask(
  "settlement:release",
  "Return the escrow of an instruction left unaffirmed past its deadline",
  "released",
  (e, t) => e.release(t),
);

operatorTask(
  "settlement:reverse",
  "Ask to reverse a settled settlement inside its window, or approve the request",
  (t) =>
    t
      .addParam("id", "Settlement id (0x and 64 hex digits)")
      .addOptionalParam("reason", "Why (recorded in the ReversalProposed event)", ""),
  async (args: ReverseArgs, out, hre) => {
    const ctx = await loadContext(hre, args.consortium);
    const signer = await resolveSigner(hre, args.from);
    const id = parseSettlementId(args.id);
    const terms = await findTerms(ctx.engine, id, ctx.fromBlock);
    const engine = ctx.engine.connect(signer);
    const requested = (await ctx.engine.reversalApprovals(id)) !== 0n;
    const receipt = await send(
      requested ? engine.approveReversal(terms) : engine.proposeReversal(terms, args.reason ?? ""),
    );
    const action = requested ? "reversal approved" : "reversal proposed";
    const members = await listMembers(ctx);
    const approvedBy = membersOf(await ctx.engine.reversalApprovals(id)).map((m) => memberLabel(members, m));
    const result = { ...(await stepResult(ctx, id, action, receipt)), approvedBy };
    out.line(`Settlement ${result.id}: ${action}; approved by ${approvedBy.join(", ")}`);
    out.line(
      result.status === "Reversed"
        ? "  reversal executed: both legs returned"
        : "  waiting for the other party's bank or a quorum of members to approve (settlement:reverse again)",
    );
    return out.result(result);
  },
);
