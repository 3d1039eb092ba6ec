/**
 * Gas per settlement operation, and the cost of a full DvP lifecycle against the baseline measured in the
 * same run: two plain OpenZeppelin ERC-20 transfers of the same amounts between the same accounts.
 *
 * Run: npm run bench:gas   (in-process Hardhat network; gas is deterministic, so one sample per step after a
 * warm-up settlement). Legs are locked in their owners' accounts, so the figures do not depend on how much else
 * is open at the time.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import {
  deployConsortium,
  dvpTerms,
  fopTerms,
  DAY,
  OPENING,
  type ConsortiumFixture,
  type Terms,
} from "../../test/fixtures";

const GOALS = { lifecycle: 3.0, settle: 1.35 };
const BOND = 100n;
const CASH = 1_000_000_00n;

async function gas(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

async function dvpLifecycle(f: ConsortiumFixture, terms: Terms) {
  const [a, b] = f.banks;
  const instruct = await gas(f.engine.connect(a.operator).instruct(terms));
  const affirm = await gas(f.engine.connect(b.operator).affirm(terms));
  const settle = await gas(f.engine.connect(a.operator).settle(terms));
  return { instruct, affirm, settle };
}

async function main(): Promise<void> {
  const f = await deployConsortium();
  const [a, b, c] = f.banks;

  // Baseline: plain ERC-20s held by the same accounts with the same opening balances.
  const plainBond = await ethers.deployContract("PlainERC20", ["Plain bond", "PB"]);
  const plainCash = await ethers.deployContract("PlainERC20", ["Plain cash", "PC"]);
  for (const bank of f.banks) {
    await plainBond.mint(bank.account.address, OPENING.bond);
    await plainCash.mint(bank.account.address, OPENING.cash);
  }
  const transferAsset = await gas(plainBond.connect(a.account).transfer(b.account.address, BOND));
  const transferCash = await gas(plainCash.connect(b.account).transfer(a.account.address, CASH));
  const baseline = transferAsset + transferCash;

  // Warm-up: one settlement first, so the measured one meets the state any later settlement meets.
  await dvpLifecycle(f, await dvpTerms(f, a, b, BOND, CASH));
  const dvp = await dvpLifecycle(f, await dvpTerms(f, a, b, BOND, CASH));
  const lifecycle = dvp.instruct + dvp.affirm + dvp.settle;

  // The same DvP when the counterparty affirms and settles in one call.
  const oneStepT = await dvpTerms(f, a, b, BOND, CASH);
  const oneStepInstruct = await gas(f.engine.connect(a.operator).instruct(oneStepT));
  const affirmAndSettle = await gas(f.engine.connect(b.operator).affirmAndSettle(oneStepT));
  const oneStep = oneStepInstruct + affirmAndSettle;

  const fopT = await fopTerms(f, a, b, BOND);
  const fopInstruct = await gas(f.engine.connect(a.operator).instruct(fopT));
  const fopAffirm = await gas(f.engine.connect(b.operator).affirm(fopT));
  const fopSettle = await gas(f.engine.connect(b.operator).settle(fopT));

  const cancelT = await dvpTerms(f, a, b, BOND, CASH);
  await f.engine.connect(a.operator).instruct(cancelT);
  const cancel = await gas(f.engine.connect(a.operator).cancel(cancelT, "wrong amount"));

  const releaseT = await dvpTerms(f, b, a, BOND, CASH);
  await f.engine.connect(b.operator).instruct(releaseT);
  await time.increase(DAY);
  const release = await gas(f.engine.connect(c.operator).release(releaseT));

  const revT = await dvpTerms(f, a, b, BOND, CASH);
  await dvpLifecycle(f, revT);
  const propose = await gas(f.engine.connect(a.operator).proposeReversal(revT, "booking error"));
  const reverse = await gas(f.engine.connect(b.operator).approveReversal(revT));

  const unwindT = await dvpTerms(f, a, b, BOND, CASH);
  await f.engine.connect(a.operator).instruct(unwindT);
  await f.engine.connect(b.operator).affirm(unwindT);
  const proposeUnwind = await gas(f.engine.connect(a.operator).proposeUnwind(unwindT, "counterparty frozen"));
  const unwind = await gas(f.engine.connect(b.operator).approveUnwind(unwindT));

  const rows: [string, bigint][] = [
    ["ERC-20 transfer (asset, baseline)", transferAsset],
    ["ERC-20 transfer (cash, baseline)", transferCash],
    ["DvP instruct", dvp.instruct],
    ["DvP affirm", dvp.affirm],
    ["DvP settle", dvp.settle],
    ["DvP affirmAndSettle", affirmAndSettle],
    ["FoP instruct", fopInstruct],
    ["FoP affirm", fopAffirm],
    ["FoP settle", fopSettle],
    ["cancel (before affirmation)", cancel],
    ["release (after deadline)", release],
    ["propose reversal", propose],
    ["approve reversal (executes)", reverse],
    ["propose unwind (after affirmation)", proposeUnwind],
    ["approve unwind (executes)", unwind],
  ];
  console.log("\nGas per operation (in-process Hardhat network, paris, optimizer 10,000 runs)\n");
  for (const [name, g] of rows) console.log(`  ${name.padEnd(36)} ${g.toString().padStart(8)}`);

  const ratio = (x: bigint) => Number(x) / Number(baseline);
  const report = (name: string, value: bigint, goal: number) => {
    const r = ratio(value);
    console.log(
      `  ${name.padEnd(50)} ${value.toString().padStart(8)}  ${r.toFixed(2)}x baseline  (goal <= ${goal.toFixed(2)}: ${r <= goal ? "met" : "missed"})`,
    );
  };
  console.log(`\nBaseline: two plain OpenZeppelin ERC-20 transfers of the same amounts = ${baseline} gas\n`);
  report("DvP lifecycle, 2 steps (instruct+affirmAndSettle)", oneStep, GOALS.lifecycle);
  report("DvP lifecycle, 3 steps (instruct+affirm+settle)", lifecycle, GOALS.lifecycle);
  report("DvP settle step", dvp.settle, GOALS.settle);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
