/**
 * The scenes of the demo: a DvP settlement from instruction to finality, a governance change through
 * proposal, quorum and timelock, and a reversal inside the window. Each prints its steps as it goes.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatAmount } from "../config";
import { findTerms, formatSettlementId, settlementIdOf, statusName, type SettlementTerms } from "../settlement";
import { send, type TaskContext, type TokenRef } from "./context";
import { formatDuration, formatTime, short, type Output } from "./output";
import { describeAction, encodeAction } from "./proposal-actions";
import { revertDecoder } from "./revert";
import { parseTradeRef } from "./terms-input";

export interface Bank {
  id: number;
  name: string;
  operator: HardhatEthersSigner;
  account: string;
}

export interface DemoEnv {
  hre: HardhatRuntimeEnvironment;
  ctx: TaskContext;
  out: Output;
  banks: Bank[];
  cash: TokenRef;
  asset: TokenRef;
}

/** A settlement the demo ran, for the summary. */
export interface DemoSettlement {
  id: string;
  tradeRef: string;
  legs: string;
  status: string;
  policyVersion: number;
}

export interface Trade {
  tradeRef: string;
  seller: Bank;
  buyer: Bank;
  assetAmount: bigint;
  cashAmount: bigint;
}

function step(env: DemoEnv, label: string, text: string): void {
  env.out.line(`  ${label.padEnd(9)} ${text}`);
}

/** "1,000 B30" */
export const amountOf = (token: TokenRef, value: bigint): string =>
  `${formatAmount(value, token.decimals, { grouped: true })} ${token.symbol}`;

/** Moves the chain's clock forward and mines a block. */
export async function advanceTime(hre: HardhatRuntimeEnvironment, seconds: number): Promise<void> {
  await hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
  await hre.network.provider.request({ method: "evm_mine", params: [] });
}

async function status(env: DemoEnv, id: bigint): Promise<string> {
  return statusName(await env.ctx.engine.statusOf(id));
}

/** Instruct (seller), affirm (buyer, terms recovered from the event), settle (seller). */
export async function instructAffirmSettle(
  env: DemoEnv,
  trade: Trade,
): Promise<{ id: bigint; terms: SettlementTerms }> {
  const { engine } = env.ctx;
  const terms: SettlementTerms = {
    tradeRef: parseTradeRef(trade.tradeRef),
    kind: 0,
    seller: trade.seller.account,
    buyer: trade.buyer.account,
    asset: env.asset.address,
    assetAmount: trade.assetAmount,
    cash: env.cash.address,
    cashAmount: trade.cashAmount,
  };
  const id = settlementIdOf(terms);
  await send(engine.connect(trade.seller.operator).instruct(terms));
  const deadline = Number((await engine.record(id)).affirmDeadline);
  step(env, "instruct", `${trade.seller.name} instructs ${trade.tradeRef}: id ${short(formatSettlementId(id))}`);
  step(
    env,
    "",
    `${amountOf(env.asset, trade.assetAmount)} in escrow; ${trade.buyer.name} must affirm by ${formatTime(deadline)}`,
  );

  const recovered = await findTerms(engine, id, env.ctx.fromBlock);
  const receipt = await send(engine.connect(trade.buyer.operator).affirm(recovered));
  step(env, "affirm", `${trade.buyer.name} affirms (terms recovered from the SettlementInstructed event)`);
  const locked = receipt.logs.some((log) => engine.interface.parseLog(log)?.name === "SettlementLocked");
  step(
    env,
    "locked",
    `${locked ? "SettlementLocked" : "?"}: engine holds ${amountOf(env.asset, trade.assetAmount)} and ${amountOf(env.cash, trade.cashAmount)}`,
  );

  await send(engine.connect(trade.seller.operator).settle(recovered));
  const finalAt = Number((await engine.record(id)).finalAt);
  step(env, "settle", `${trade.seller.name} settles: both legs moved at once; status ${await status(env, id)}`);
  step(env, "window", `reversal window open until ${formatTime(finalAt)}`);
  return { id, terms: recovered };
}

/** "Beta Bank sells 1,000 B30 to Alpha Bank for 101,000.00 aEUR (DEMO-DVP-0001)" */
export function tradeText(env: DemoEnv, trade: Trade): string {
  const legs = `${amountOf(env.asset, trade.assetAmount)} to ${trade.buyer.name} for ${amountOf(env.cash, trade.cashAmount)}`;
  return `${trade.seller.name} sells ${legs} (${trade.tradeRef})`;
}

/** Scene 1: a DvP settlement through its whole lifecycle, ending final. */
export async function settlementToFinality(env: DemoEnv, trade: Trade): Promise<bigint> {
  const { id } = await instructAffirmSettle(env, trade);
  const window = Number((await env.ctx.consortium.params()).reversalWindow);
  await advanceTime(env.hre, window);
  const final = await env.ctx.engine.isFinal(id);
  step(
    env,
    "finality",
    `time advanced ${formatDuration(window)} (evm_increaseTime): status ${await status(env, id)}, isFinal ${final}`,
  );
  return id;
}

/** Scene 2: a parameter change through proposal, quorum and timelock. Returns the proposal id. */
export async function governanceChange(env: DemoEnv, proposer: Bank, approver: Bank, executor: Bank): Promise<number> {
  const { consortium } = env.ctx;
  const action = await encodeAction(env.ctx, "set-parameter", { parameter: "ReversalWindow", value: "2d" });
  const text = describeAction(env.ctx, action.data, []).text;
  await send(consortium.connect(proposer.operator).propose(action.data, "Longer reversal window for bond trades"));
  const id = Number(await consortium.proposalCount());
  const required = Number(await consortium.requiredApprovals());
  step(env, "propose", `${proposer.name} proposes #${id} ${text}; approvals 1/${required}`);

  await send(consortium.connect(approver.operator).approve(id));
  const eta = Number((await consortium.proposal(id)).eta);
  step(
    env,
    "approve",
    `${approver.name} approves: quorum ${Number(await consortium.approvalCount(id))}/${required}, timelock until ${formatTime(eta)}`,
  );

  try {
    await send(consortium.connect(executor.operator).execute(id));
  } catch (error) {
    step(env, "execute", `too early, refused: ${revertDecoder(env.hre)(error)?.message ?? String(error)}`);
  }
  const delay = Number((await consortium.params()).proposalDelay);
  await advanceTime(env.hre, delay);
  await send(consortium.connect(executor.operator).execute(id));
  const params = await consortium.params();
  step(
    env,
    "execute",
    `after ${formatDuration(delay)}, ${executor.name} executes: reversal window ${formatDuration(Number(params.reversalWindow))}, policy version ${params.policyVersion}`,
  );
  return id;
}

/** Scene 3: a settled trade reversed inside its window by both parties' banks. */
export async function reversalInWindow(env: DemoEnv, trade: Trade): Promise<bigint> {
  const { id, terms } = await instructAffirmSettle(env, trade);
  const engine = env.ctx.engine;
  await send(engine.connect(trade.buyer.operator).proposeReversal(terms, "Booked against the wrong client"));
  step(env, "reverse", `${trade.buyer.name} proposes a reversal: "Booked against the wrong client"`);
  await send(engine.connect(trade.seller.operator).approveReversal(terms));
  step(
    env,
    "approve",
    `${trade.seller.name} approves: both parties agreed, status ${await status(env, id)}; both legs returned`,
  );
  return id;
}
