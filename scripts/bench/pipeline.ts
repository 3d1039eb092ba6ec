/**
 * The full participant pipeline against a plain wallet, in one run on the in-process Hardhat network. Each
 * intent is one DvP `instruct` by Beta Bank (seller, one B30 bond) to Alpha Bank (buyer) with its own trade
 * ref, sent through `Participant.instruct`: policy decision, approvals (every BENCH_APPROVAL_EVERY-th intent is
 * above the approval threshold; when it throws GATE_APPROVALS_PENDING the bank's two officers sign at once and
 * the call is retried), HSM signing behind double-sign protection, submission and receipt. The baseline sends
 * the same transactions (same terms, distinct trade refs, same escrow from the same account) from a plain
 * ethers `Wallet` that is a second operator of Beta Bank, each awaited to its receipt. The network automines and
 * refuses a nonce ahead of the next one ("can't be queued when automining"), so both run one intent at a time,
 * in alternating rounds so that both see the same background load.
 * Stages are timed by wrapping the participant's objects at their seams (see pipeline/timing.ts).
 * Goals are reported, never asserted: the exit code is non-zero only on an error.
 *
 * Run: npm run bench:pipeline   (BENCH_N intents per measurement, default 500: about 45 s on a 2-CPU VM;
 * BENCH_WARMUP uncounted intents first, default 10; BENCH_APPROVAL_EVERY, default 10; BENCH_ROUNDS, default 6;
 * BENCH_KEEP_RUN=1 keeps reports/bench-pipeline-run). Needs SoftHSM2 and the OPA CLI, as the
 * demo does. Writes reports/bench-pipeline.md, .svg and .json.
 */
import { performance } from "node:perf_hooks";
import { rmSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { signApproval } from "../../src/approvals";
import { GateApprovalsPendingError } from "../../src/signer/gate";
import { SettlementEngine__factory } from "../../typechain-types";
import { instrumentSqlite } from "./pipeline/sqlite-timing";
import { CASH, setUpConsortium, type BenchConsortium } from "./pipeline/setup";
import { summarise, writeReports, type Sample } from "./pipeline/report";
import {
  finish,
  instrumentParticipant,
  instrumentRpc,
  instrumentSigners,
  newClock,
  withClock,
} from "./pipeline/timing";
import { isFrameworkError } from "../../src/errors";

const N = positiveInt("BENCH_N", 500);
const WARMUP = positiveInt("BENCH_WARMUP", 10);
const APPROVAL_EVERY = positiveInt("BENCH_APPROVAL_EVERY", 10);
const ROUNDS = positiveInt("BENCH_ROUNDS", 6);
const GOAL = 0.5;
const ROOT = hre.config.paths.root;
const RUN_DIR = path.join(ROOT, "reports", "bench-pipeline-run");

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

const cashOf = (i: number): bigint => (i % APPROVAL_EVERY === APPROVAL_EVERY - 1 ? CASH.large : CASH.ordinary);

/** One intent through the participant; the officers approve when the gate asks for approvals. */
async function pipelineIntent(c: BenchConsortium, ref: string, i: number): Promise<Sample> {
  const terms = c.terms(ref, cashOf(i));
  const p = c.seller.participant;
  const start = performance.now();
  const first = newClock();
  let clock = first;
  try {
    await withClock(first, () => p.instruct(terms));
  } catch (error) {
    if (!isFrameworkError(error, "GATE_APPROVALS_PENDING")) throw error;
    await withClock(first, () => approve(c, error));
    // The retry starts a fresh clock: all of the first round and the votes count as approvals.
    clock = { ...newClock(), audit: first.audit, rpc: first.rpc, sqlite: first.sqlite };
    clock.stages.approvals = performance.now() - start;
    await withClock(clock, () => p.instruct(terms));
  }
  const total = finish(clock, start, performance.now());
  const { stages, hsm, audit, rpc, sqlite } = clock;
  return { total, stages, hsm, audit, rpc, sqlite, approvals: clock !== first };
}

async function approve(c: BenchConsortium, pending: GateApprovalsPendingError): Promise<void> {
  const { approvalId, digest, required } = pending.details as { approvalId: string; digest: string; required: number };
  for (const officer of c.seller.officers.slice(0, required)) {
    const vote = { intentDigest: digest, approverId: officer.id, decision: "approve" as const };
    const signed = await signApproval(
      officer.wallet,
      approvalId,
      { ...vote, expiresAt: c.clock.now() + 600 },
      c.chainId,
    );
    await c.seller.participant.submitApproval(signed);
  }
}

/** The same instruct from the plain wallet, to its receipt. */
function baselineSender(c: BenchConsortium): Intent {
  const engine = SettlementEngine__factory.connect(c.record.engine, c.baseline);
  return async (ref, i) => {
    const clock = newClock();
    const start = performance.now();
    const tx = await withClock(clock, () => engine.instruct(c.terms(ref, cashOf(i))));
    const receipt = await withClock(clock, () => tx.wait());
    if (receipt?.status !== 1) throw new Error(`baseline instruct ${ref} failed`);
    const { rpc, sqlite } = clock;
    return { total: performance.now() - start, rpc, sqlite, approvals: cashOf(i) === CASH.large };
  };
}

type Intent = (ref: string, i: number) => Promise<Sample>;
interface Run {
  samples: Sample[];
  seconds: number;
}

/** Runs intents `from` to `to` (exclusive), one at a time. */
async function measure(prefix: string, from: number, to: number, intent: Intent): Promise<Run> {
  const samples: Sample[] = [];
  const start = performance.now();
  for (let i = from; i < to; i++) samples.push(await intent(`${prefix}-${String(i).padStart(6, "0")}`, i));
  return { samples, seconds: (performance.now() - start) / 1000 };
}

/**
 * Baseline and pipeline in alternating rounds (the order flips each round), so both see the same background
 * load of the machine; samples and wall times are added up over the rounds.
 */
async function interleaved(rounds: number, sides: { baseline: Intent; pipeline: Intent }) {
  const runs: Record<"baseline" | "pipeline", Run> = {
    baseline: { samples: [], seconds: 0 },
    pipeline: { samples: [], seconds: 0 },
  };
  for (let r = 0; r < rounds; r++) {
    const [from, to] = [Math.floor((r * N) / rounds), Math.floor(((r + 1) * N) / rounds)];
    const rate: Record<string, string> = {};
    for (const side of r % 2 === 0 ? (["baseline", "pipeline"] as const) : (["pipeline", "baseline"] as const)) {
      const run = await measure(side === "baseline" ? "BASE" : "PIPE", from, to, sides[side]);
      runs[side].samples.push(...run.samples);
      runs[side].seconds += run.seconds;
      rate[side] = (run.samples.length / run.seconds).toFixed(1);
    }
    console.log(`  round ${r + 1}/${rounds}: baseline ${rate.baseline}, pipeline ${rate.pipeline} intents/s`);
  }
  return runs;
}

async function main(): Promise<void> {
  if (hre.network.name !== "hardhat") throw new Error(`run on the in-process network, not ${hre.network.name}`);
  console.log(`bench:pipeline: setting up three banks (SoftHSM, OPA bundle, consortium) in ${RUN_DIR}`);
  // Before the banks open: their stores build their SQLite transaction functions when they open.
  const undo = [instrumentSqlite()];
  const c = await setUpConsortium(hre, {
    consortiumConfig: path.join(ROOT, "deploy", "consortia", "demo.json"),
    runDir: RUN_DIR,
  });
  undo.push(instrumentSigners(), instrumentParticipant(c.seller.participant), instrumentRpc(hre.network.provider));
  try {
    const pipeline: Intent = (ref, i) => pipelineIntent(c, ref, i);
    const baseline = baselineSender(c);
    const rounds = Math.min(ROUNDS, N);
    console.log(`bench:pipeline: ${WARMUP} warm-up intents each, then ${N} measured each in ${rounds} rounds`);
    await measure("WARM-PIPE", 0, WARMUP, pipeline);
    await measure("WARM-BASE", 0, WARMUP, baseline);
    const runs = await interleaved(rounds, { baseline, pipeline });
    const report = {
      n: N,
      warmup: WARMUP,
      rounds,
      approvalEvery: APPROVAL_EVERY,
      goal: GOAL,
      baseline: summarise("baseline (ethers Wallet)", runs.baseline),
      pipeline: summarise("pipeline (Participant)", runs.pipeline),
    };
    writeReports(path.join(ROOT, "reports"), report, (line) => console.log(line));
  } finally {
    undo.reverse().forEach((u) => u());
    await c.close();
    if (process.env.BENCH_KEEP_RUN !== "1") rmSync(RUN_DIR, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
