/**
 * Where the gas of a DvP goes: each step of the lifecycle traced opcode by opcode (debug_traceTransaction on the
 * in-process Hardhat network), summed per class (cold and warm storage reads, storage writes, external calls,
 * events, hashing, the rest) and per contract.
 *
 * Run: npx hardhat run scripts/bench/gas-profile.ts   (SLOTS=1 also lists every storage access, call and event)
 */
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { deployConsortium, dvpTerms, type ConsortiumFixture, type Terms } from "../../test/fixtures";

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);

function classOf(op: string, cost: number): string {
  if (op === "SLOAD") return cost >= 2100 ? "SLOAD cold" : "SLOAD warm";
  if (op === "SSTORE") return "SSTORE";
  if (CALLS.has(op)) return "CALL (overhead)";
  if (op.startsWith("LOG")) return "LOG";
  if (op === "KECCAK256") return "KECCAK256";
  return "other";
}

async function profile(label: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
  const sent = await tx;
  const receipt = await sent.wait();
  if (!receipt) throw new Error("no receipt");
  const trace = (await network.provider.send("debug_traceTransaction", [sent.hash, { disableStorage: true }])) as {
    structLogs: StructLog[];
  };
  const logs = trace.structLogs;
  const byClass = new Map<string, number>();
  const add = (k: string, v: number) => byClass.set(k, (byClass.get(k) ?? 0) + v);
  const counts = new Map<string, number>();
  let execution = 0;
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i];
    let cost = l.gasCost;
    if (CALLS.has(l.op) && i + 1 < logs.length && logs[i + 1].depth > l.depth) {
      // Gas of the call itself: everything the caller lost across it minus what the callee consumed.
      let j = i + 1;
      while (j < logs.length && logs[j].depth > l.depth) j++;
      const last = logs[j - 1];
      const calleeUsed = logs[i + 1].gas - (last.gas - last.gasCost);
      cost = l.gas - (j < logs.length ? logs[j].gas : last.gas - last.gasCost) - calleeUsed;
    } else if (i + 1 < logs.length && logs[i + 1].depth === l.depth) {
      cost = l.gas - logs[i + 1].gas;
    }
    if (process.env.SLOTS && (l.op === "SLOAD" || l.op === "SSTORE" || CALLS.has(l.op) || l.op.startsWith("LOG")))
      console.log(
        `    d${l.depth} ${l.op} ${cost} ${l.op === "SLOAD" || l.op === "SSTORE" ? (l.stack?.at(-1) ?? "").slice(-12) : ""}`,
      );
    const c = classOf(l.op, cost);
    if (c === "other") {
      const key = `  other at depth ${l.depth}`;
      add(key, cost);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    add(c, cost);
    counts.set(c, (counts.get(c) ?? 0) + 1);
    execution += cost;
  }
  const total = Number(receipt.gasUsed);
  console.log(`\n${label}: ${total} gas (intrinsic+calldata+refund ${total - execution}, execution ${execution})`);
  for (const [k, v] of [...byClass.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${k.padEnd(18)} ${String(v).padStart(7)}  (${counts.get(k)} ops)`);
  }
}

async function main(): Promise<void> {
  const f: ConsortiumFixture = await deployConsortium();
  const [a, b] = f.banks;
  const warm: Terms = await dvpTerms(f, a, b, 100n, 1_000_000_00n);
  await f.engine.connect(a.operator).instruct(warm);
  await f.engine.connect(b.operator).affirm(warm);
  await f.engine.connect(a.operator).settle(warm);

  const t = await dvpTerms(f, a, b, 100n, 1_000_000_00n);
  await profile("instruct", f.engine.connect(a.operator).instruct(t));
  await profile("affirm", f.engine.connect(b.operator).affirm(t));
  await profile("settle", f.engine.connect(a.operator).settle(t));
  const u = await dvpTerms(f, a, b, 100n, 1_000_000_00n);
  await f.engine.connect(a.operator).instruct(u);
  await profile("affirmAndSettle", f.engine.connect(b.operator).affirmAndSettle(u));
  const plain = await ethers.deployContract("PlainERC20", ["Plain", "P"]);
  await plain.mint(a.account.address, 1000n);
  await plain.mint(b.account.address, 1000n);
  await profile("plain ERC-20 transfer", plain.connect(a.account).transfer(b.account.address, 100n));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
