/**
 * `demo`: the README's main job. Deploys a three-bank consortium from `deploy/consortia/demo.json` on the
 * in-process Hardhat network, runs a DvP settlement to finality, a governance change through quorum and
 * timelock, and a reversal inside the window, printing each step, then a summary.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatAmount, parseAmount } from "../config";
import { ChainStateError, ConfigError, ErrorCode } from "../errors";
import { formatSettlementId, statusName } from "../settlement";
import { loadContext, resolveToken } from "./context";
import {
  governanceChange,
  reversalInWindow,
  settlementToFinality,
  tradeText,
  type Bank,
  type DemoEnv,
  type Trade,
} from "./demo-steps";
import { printDeployment } from "./deploy";
import { commandTask } from "./define";
import { listProposals } from "./proposal-list";
import { tradeRefText } from "./terms-input";

interface DemoArgs {
  consortiumConfig: string;
  json: boolean;
}

/** The trades the demo settles (amounts in the tokens' human units). */
const SCENARIO = {
  finality: { tradeRef: "DEMO-DVP-0001", seller: 1, buyer: 0, asset: "1000", cash: "101000.00" },
  reversal: { tradeRef: "DEMO-DVP-0002", seller: 2, buyer: 0, asset: "500", cash: "50250.00" },
};

async function banksOf(hre: HardhatRuntimeEnvironment, env: Pick<DemoEnv, "ctx">): Promise<Bank[]> {
  const banks: Bank[] = [];
  for (const m of env.ctx.record.members) {
    banks.push({
      id: m.id,
      name: m.name,
      operator: await hre.ethers.getSigner(m.operators[0]),
      account: m.accounts[0],
    });
  }
  if (banks.length < 3 || banks.some((b) => b.account === undefined)) {
    throw new ConfigError(ErrorCode.ConfigInvalid, "the demo needs three members, each with an account");
  }
  return banks;
}

function trade(env: DemoEnv, t: (typeof SCENARIO)["finality"]): Trade {
  return {
    tradeRef: t.tradeRef,
    seller: env.banks[t.seller],
    buyer: env.banks[t.buyer],
    assetAmount: parseAmount(t.asset, env.asset.decimals) ?? 0n,
    cashAmount: parseAmount(t.cash, env.cash.decimals) ?? 0n,
  };
}

commandTask(
  "demo",
  "Three banks settle a DvP end to end on the in-process network, change a rule, reverse a trade",
  (t) => t.addOptionalParam("consortiumConfig", "Consortium configuration (JSON)", "deploy/consortia/demo.json"),
  async (args: DemoArgs, out, hre) => {
    if (hre.network.name !== "hardhat") {
      throw new ChainStateError(
        ErrorCode.WrongNetwork,
        `the demo deploys afresh and moves the clock, so it runs on the in-process network, not ${hre.network.name}`,
        { details: { network: hre.network.name } },
      );
    }
    const { deployConsortium } = await import("../deploy");
    out.line("[1/4] Deploy the consortium with Ignition");
    const deployment = await deployConsortium(hre, { configFile: args.consortiumConfig, fresh: true });
    printDeployment(out, deployment);

    const ctx = await loadContext(hre, deployment.record.key);
    const tokens = deployment.record.tokens;
    const cashToken = tokens.find((t) => t.kind === "deposit");
    const assetToken = tokens.find((t) => t.kind === "security");
    if (cashToken === undefined || assetToken === undefined) {
      throw new ConfigError(ErrorCode.ConfigInvalid, "the demo needs a deposit token and a security token");
    }
    const partial = {
      hre,
      ctx,
      out,
      cash: await resolveToken(ctx, cashToken.symbol, "cash"),
      asset: await resolveToken(ctx, assetToken.symbol, "asset"),
    };
    const env: DemoEnv = { ...partial, banks: await banksOf(hre, partial) };
    const [a, b, c] = env.banks;

    const first = trade(env, SCENARIO.finality);
    out.line();
    out.line(`[2/4] DvP from instruction to finality: ${tradeText(env, first)}`);
    const finalId = await settlementToFinality(env, first);

    out.line();
    out.line("[3/4] Governance: a rule change through proposal, quorum and timelock");
    const proposalId = await governanceChange(env, a, b, c);

    const second = trade(env, SCENARIO.reversal);
    out.line();
    out.line(`[4/4] Reversal inside the window: ${tradeText(env, second)}`);
    const reversedId = await reversalInWindow(env, second);

    const settlements = [];
    for (const id of [finalId, reversedId]) {
      const record = await ctx.engine.record(id);
      const instructed = await ctx.engine.queryFilter(ctx.engine.filters.SettlementInstructed(id), ctx.fromBlock);
      settlements.push({
        id: formatSettlementId(id),
        tradeRef: tradeRefText(instructed[0]?.args.tradeRef ?? ""),
        status: statusName(await ctx.engine.statusOf(id)),
        policyVersion: Number(record.policyVersion),
      });
    }
    const [proposal] = await listProposals(ctx, proposalId);
    const balances = [];
    for (const bank of env.banks) {
      const [cash, asset] = await Promise.all([
        env.cash.contract.balanceOf(bank.account),
        env.asset.contract.balanceOf(bank.account),
      ]);
      balances.push({
        bank: bank.name,
        account: bank.account,
        [env.cash.symbol]: formatAmount(cash, env.cash.decimals, { grouped: true }),
        [env.asset.symbol]: formatAmount(asset, env.asset.decimals, { grouped: true }),
      });
    }

    out.line();
    out.line("Summary");
    out.table(
      ["trade", "settlement", "status", "policy version"],
      settlements.map((s) => [s.tradeRef, s.id, s.status, String(s.policyVersion)]),
    );
    out.line();
    out.table(
      ["proposal", "action", "state", "approvals"],
      [[`#${proposal.id}`, proposal.action.text, proposal.phase, `${proposal.approvals}/${proposal.required}`]],
    );
    out.line();
    out.table(
      ["bank", env.cash.symbol, env.asset.symbol],
      balances.map((x) => [x.bank, String(x[env.cash.symbol]), String(x[env.asset.symbol])]),
    );
    return out.result({ consortium: deployment.record, settlements, proposals: [proposal], balances });
  },
);
