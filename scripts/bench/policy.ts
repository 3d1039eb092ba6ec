/**
 * Policy decision latency and throughput, measured in one run on one core (the Node event loop; no worker
 * threads): the bare opa-wasm evaluation of the real bank policy (policies/bank, 32 rules) with 1,000
 * counterparties in its data, the same through `WasmPolicy` (result validation), and the full
 * `PolicyEngine.evaluate` (intent validation, policy, exposure reservation and audit record, both durable in
 * SQLite with synchronous=FULL) awaited one at a time and with concurrent callers (group commit). Alongside,
 * the cost of one durable SQLite commit and of the engine's CPU work per decision, so the report says what
 * limits each figure. Goals are reported, never asserted: the exit code is non-zero only on an error.
 *
 * Run: npm run bench:policy   (BENCH_N calls per measurement, default 5000; BENCH_CONCURRENCY callers in flight,
 * default 64). Needs the OPA CLI (OPA_BIN, else $(go env GOPATH)/bin/opa). Writes
 * reports/bench-policy.md and reports/bench-policy.json.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Writable } from "node:stream";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { id, Wallet } from "ethers";
import { openAuditStore, type AuditEntry, type AuditStore } from "../../src/audit";
import {
  createBundle,
  DECISION_ENTRYPOINT,
  inputDigest,
  PolicyEngine,
  PolicyRegistry,
  signBundle,
  validateIntent,
  WasmPolicy,
  type Intent,
} from "../../src/policy";
import { buildPolicy } from "../../src/demo/banks";
import { openDurableSqlite } from "../../src/storage";
import { f, fsType, k, positiveInt } from "./common";

const ROOT = path.join(__dirname, "..", "..");
const N = positiveInt("BENCH_N", 5000);
const CONCURRENCY = positiveInt("BENCH_CONCURRENCY", 64);
/** Engine decisions before each engine measurement (their own intent ids). */
const WARMUP = Math.min(1000, Math.max(100, Math.floor(N / 10)));
/** Calls before each in-memory measurement: V8 tiers the Wasm up to optimised code only after thousands. */
const SYNC_WARMUP = 5000;
/** Rounds of the in-memory policy measurements; the quietest (lowest p99) is reported, all are kept. */
const ROUNDS = 3;
const COUNTERPARTIES = 1000;
const GOALS = { bareP99Us: 200, durablePerSecond: 2000 };
/** Friday 2025-11-21 10:00 UTC: 11:00 at the bank (UTC+1), inside business hours and before every cut-off. */
const NOW = 1_763_719_200;
const CHAIN_ID = 2026;

type Json = Record<string, unknown>;
interface Limits {
  per_settlement: string;
  daily: string;
}
interface Counterparty {
  name: string;
  status: string;
  limits: Record<string, Limits>;
}
/** The built data document (`{ bank: ... }`); a type alias, so it is also a plain `Record` for `createBundle`. */
type BankDocument = { bank: Json & { counterparties: Record<string, Counterparty> } };

interface Stats {
  n: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  perSecond: number;
  cpuUsPerOp: number;
  /** p99 of every round, when the best of several rounds is reported. */
  roundsP99Us?: number[];
}
interface EngineStats extends Stats {
  concurrency: number;
  outcomes: Record<string, number>;
  batches: number;
  meanBatch: number;
  commitsPerDecision: number;
  /** Mean duration of one audit append (a durable commit) during this measurement. */
  auditCommitUs: number;
}

/** mulberry32: a small seeded generator, so every run draws the same intents. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The built data with counterparties added up to 1,000: 93% active, 5% suspended, 2% terminated. */
function withCounterparties(base: BankDocument, rand: () => number): BankDocument {
  const data = structuredClone(base);
  const cps = data.bank.counterparties;
  const pick = (xs: readonly number[]): number => xs[Math.floor(rand() * xs.length)];
  for (let i = Object.keys(cps).length; i < COUNTERPARTIES; i++) {
    const limits: Record<string, Limits> = {};
    const daysWorth = i % 10 === 3 ? 2 : 8; // one in ten has a tight daily limit
    const assets: [string, number, number[]][] = [
      ["EURT", 1, [100e6, 300e6, 500e6]],
      ["USDT", 0.7, [100e6, 300e6]],
      ["BOND-DE-2030", 0.4, [50e6, 200e6]],
    ];
    for (const [asset, share, sizes] of assets) {
      if (asset !== "EURT" && rand() >= share) continue;
      const per = pick(sizes);
      limits[asset] = { per_settlement: String(per), daily: String(per * daysWorth) };
    }
    const status = i % 20 === 0 ? "suspended" : i % 50 === 7 ? "terminated" : "active";
    cps[`5299${String(i).padStart(14, "0")}42`] = { name: `Counterparty ${i}`, status, limits };
  }
  return data;
}

/**
 * `n` intents as a caller hands them to the engine (no time_unix, no exposure_used), ids `<prefix>-<i>`: about
 * 3% unknown counterparty, 3% AML hit, 4% over the per-settlement limit, 5% needing approval (AML medium or a
 * cold key), 2% cancels; the rest ordinary settlements, of which those with suspended or terminated
 * counterparties are denied, and a few more hit a tight daily limit as reservations accumulate.
 */
function intents(data: BankDocument, prefix: string, n: number, rand: () => number): Json[] {
  const cps = Object.entries(data.bank.counterparties);
  const actions = ["settle", "settle", "instruct", "affirm", "transfer"];
  return Array.from({ length: n }, (_, i) => {
    const [cpId, cp] = cps[Math.floor(rand() * cps.length)];
    const assets = Object.keys(cp.limits);
    const asset = assets[Math.floor(rand() * assets.length)];
    const per = Number(cp.limits[asset].per_settlement);
    const intent: Json = {
      action: actions[Math.floor(rand() * actions.length)],
      intent_id: `${prefix}-${i}`,
      initiator: { id: `trader-${i % 40}`, roles: ["trader"] },
      counterparty: cpId,
      asset,
      amount: String(100_000 + Math.floor((rand() * Math.min(per, 100e6)) / 4)),
      aml: "clear",
      key_tier: rand() < 0.7 ? "hot" : "warm",
      approvals: [],
    };
    const r = rand();
    if (r < 0.03) intent.counterparty = `UNKNOWN${String(i).padStart(13, "0")}`;
    else if (r < 0.06) intent.aml = "hit";
    else if (r < 0.1) intent.amount = String(per + 1 + Math.floor(rand() * per));
    else if (r < 0.13) intent.aml = "medium";
    else if (r < 0.15) intent.key_tier = "cold";
    else if (r < 0.17) intent.action = "cancel";
    return intent;
  });
}

/** The intent as the policy sees it after the engine fills it in (its clock and some used exposure). */
const complete = (intent: Json, rand: () => number): Json => ({
  ...intent,
  time_unix: NOW,
  exposure_used: String(Math.floor(rand() * 200e6)),
});

function stats(latNs: readonly number[], wallNs: number, cpuUs: number): Stats {
  const us = latNs.map((ns) => ns / 1000).sort((a, b) => a - b);
  const at = (q: number): number => us[Math.min(us.length - 1, Math.ceil(q * us.length) - 1)];
  return {
    n: us.length,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: us.reduce((s, x) => s + x, 0) / us.length,
    maxUs: us[us.length - 1],
    perSecond: us.length / (wallNs / 1e9),
    cpuUsPerOp: cpuUs / us.length,
  };
}

/** Times `op` on every element, one after another, after `warmup` uncounted calls cycling over them. */
function timeSync<T>(items: readonly T[], op: (item: T) => unknown, warmup = SYNC_WARMUP): Stats {
  for (let i = 0; i < warmup; i++) op(items[i % items.length]);
  const lat = new Array<number>(items.length);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < items.length; i++) {
    const t0 = process.hrtime.bigint();
    op(items[i]);
    lat[i] = Number(process.hrtime.bigint() - t0);
  }
  const wall = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return stats(lat, wall, used.user + used.system);
}

/** The round with the lowest p99 of `ROUNDS` (neighbours on a shared machine inflate the tail, not the code). */
function bestOf(measure: () => Stats): Stats {
  const rounds = Array.from({ length: ROUNDS }, measure);
  const best = rounds.reduce((a, b) => (b.p99Us < a.p99Us ? b : a));
  return { ...best, roundsP99Us: rounds.map((r) => r.p99Us) };
}

/**
 * An audit store that counts group commits (appends, and those whose batch also reserved exposure) and times
 * them: the SQLite store commits synchronously inside `appendMany`, so the call's duration is one durable commit
 * with its records' hashing.
 */
class CountingAudit implements AuditStore {
  appends = 0;
  reserving = 0;
  appendNs = 0;
  constructor(private readonly inner: AuditStore) {}
  append(entry: AuditEntry) {
    this.appends++;
    return this.inner.append(entry);
  }
  appendMany(entries: readonly AuditEntry[]) {
    if (entries.length > 0) this.appends++;
    const reserves = (e: AuditEntry): boolean =>
      (e.payload as { reservation?: { state?: string } | null }).reservation?.state === "reserved";
    if (entries.some(reserves)) this.reserving++;
    const t0 = process.hrtime.bigint();
    const done = this.inner.appendMany(entries);
    this.appendNs += Number(process.hrtime.bigint() - t0);
    return done;
  }
  head = () => this.inner.head();
  read = (fromSeq: number, limit: number) => this.inner.read(fromSeq, limit);
  records = (fromSeq?: number) => this.inner.records(fromSeq);
  [Symbol.asyncIterator] = () => this.inner[Symbol.asyncIterator]();
  verify = () => this.inner.verify();
  exportJsonl = (target: string | Writable) => this.inner.exportJsonl(target);
  close = () => this.inner.close();
}

/** Full engine decisions with `concurrency` callers, each awaiting its decision before taking the next intent. */
async function timeEngine(engine: PolicyEngine, audit: CountingAudit, items: Json[], concurrency: number) {
  const drive = async (list: Json[], lat: number[], outcomes: Record<string, number>): Promise<void> => {
    let next = 0;
    const caller = async (): Promise<void> => {
      while (next < list.length) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const d = await engine.evaluate(list[i]);
        lat[i] = Number(process.hrtime.bigint() - t0);
        outcomes[d.outcome] = (outcomes[d.outcome] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, caller));
  };
  await drive(items.slice(0, WARMUP), [], {});
  const measured = items.slice(WARMUP);
  const lat = new Array<number>(measured.length);
  const outcomes: Record<string, number> = {};
  const [appends, reserving, appendNs] = [audit.appends, audit.reserving, audit.appendNs];
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await drive(measured, lat, outcomes);
  const wall = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  const batches = audit.appends - appends;
  const commits = batches + audit.reserving - reserving;
  return {
    ...stats(lat, wall, used.user + used.system),
    concurrency,
    outcomes,
    batches,
    meanBatch: measured.length / batches,
    commitsPerDecision: commits / measured.length,
    auditCommitUs: (audit.appendNs - appendNs) / 1000 / batches,
  } satisfies EngineStats;
}

/** One durable SQLite commit (one-row insert, WAL, synchronous=FULL) and one with no writes, in `dir`. */
function timeCommits(dir: string): { durable: Stats; empty: Stats } {
  const db = openDurableSqlite(path.join(dir, "fsync.sqlite"), 5000);
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    const insert = db.prepare("INSERT INTO t (x) VALUES (?)");
    const write = db.transaction((x: number) => insert.run(x));
    const nothing = db.transaction(() => undefined);
    const items = Array.from({ length: 500 }, (_, i) => i);
    return { durable: timeSync(items, (x) => write(x), 20), empty: timeSync(items, () => nothing(), 20) };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "bench-policy-"));
  try {
    const rand = seeded(2026);
    const built = await buildPolicy(ROOT, path.join(tmp, "policy"));
    const data = withCounterparties({ bank: built.base }, rand);
    const full = intents(data, "bare", N, rand).map((i) => complete(i, rand));

    // 1. Bare opa-wasm, 2. WasmPolicy (adds the decision's zod validation), 3. the pieces of the engine's CPU.
    const bare = await loadPolicy(built.wasm);
    bare.setData(data);
    const loadBefore = os.loadavg()[0];
    const bareStats = bestOf(() => timeSync(full, (input) => bare.evaluate(input, DECISION_ENTRYPOINT)));
    const outcomes: Record<string, number> = {};
    for (const input of full) {
      const rs: unknown = bare.evaluate(input, DECISION_ENTRYPOINT);
      const outcome = (rs as { result: { outcome: string } }[])[0].result.outcome;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    const marshal = timeSync(full, (input) => new TextEncoder().encode(JSON.stringify(input)));
    const policy = await WasmPolicy.load(built.wasm, data);
    const wrapped = bestOf(() => timeSync(full, (input) => policy.evaluate(input)));
    const validate = timeSync(full, (input) => validateIntent(input));
    const valid = full.map((input) => (validateIntent(input) as { intent: Intent }).intent);
    const digest = timeSync(valid, (intent) => inputDigest(intent));
    const commits = timeCommits(tmp);

    // 4. The engine over a signed bundle, a SQLite audit log and a SQLite reservation file in `tmp`.
    const compliance = [1, 2, 3].map((n) => new Wallet(id(`bench-compliance-${n}`)));
    let bundle = createBundle({ wasm: built.wasm, data, version: 1, sharedPolicyVersion: 1, createdAt: NOW });
    for (const signer of compliance.slice(0, 2)) bundle = await signBundle(bundle, signer, CHAIN_ID);
    const audit = new CountingAudit(await openAuditStore({ path: path.join(tmp, "audit.sqlite") }));
    const registry = await PolicyRegistry.open({
      complianceKeys: compliance.map((w) => w.address),
      threshold: 2,
      chainId: CHAIN_ID,
      audit,
    });
    await registry.activate(bundle);
    const engine = PolicyEngine.open({
      config: { reservationsPath: path.join(tmp, "reservations.sqlite") },
      registry,
      audit,
      now: () => NOW,
    });
    let sequential: EngineStats;
    let concurrent: EngineStats;
    try {
      sequential = await timeEngine(engine, audit, intents(data, "seq", WARMUP + N, rand), 1);
      concurrent = await timeEngine(engine, audit, intents(data, "conc", WARMUP + N, rand), CONCURRENCY);
    } finally {
      await engine.close();
    }
    const verified = await audit.verify();
    await audit.close();
    if (!verified.ok) throw new Error(`the audit log does not verify: ${JSON.stringify(verified)}`);

    const machine = {
      cpu: `${os.cpus()[0]?.model ?? "unknown"} (${os.cpus().length} logical CPUs; measured on one: one event loop, no worker threads)`,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      disk: `${tmp}: ${await fsType(tmp)}`,
      load: `load average ${f(loadBefore, 2)} at the start, ${f(os.loadavg()[0], 2)} at the end (other processes share the CPUs)`,
    };
    const results = {
      machine,
      config: {
        n: N,
        warmup: WARMUP,
        syncWarmup: SYNC_WARMUP,
        concurrency: CONCURRENCY,
        counterparties: Object.keys(data.bank.counterparties).length,
      },
      goals: GOALS,
      bareOutcomes: outcomes,
      bare: bareStats,
      wasmPolicy: wrapped,
      engineSequential: sequential,
      engineConcurrent: concurrent,
      pieces: {
        inputMarshalling: marshal,
        validateIntent: validate,
        inputDigest: digest,
        durableCommit: commits.durable,
        emptyCommit: commits.empty,
      },
    };
    const report = render(results);
    console.log(report);
    await mkdir(path.join(ROOT, "reports"), { recursive: true });
    await writeFile(path.join(ROOT, "reports", "bench-policy.md"), `# Policy decision benchmark\n\n${report}\n`);
    await writeFile(path.join(ROOT, "reports", "bench-policy.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log("\nwrote reports/bench-policy.md and reports/bench-policy.json");
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface Results {
  machine: Record<string, string>;
  config: { n: number; warmup: number; syncWarmup: number; concurrency: number; counterparties: number };
  bareOutcomes: Record<string, number>;
  bare: Stats;
  wasmPolicy: Stats;
  engineSequential: EngineStats;
  engineConcurrent: EngineStats;
  pieces: Record<"inputMarshalling" | "validateIntent" | "inputDigest" | "durableCommit" | "emptyCommit", Stats>;
}

function render(r: Results): string {
  const { bare, wasmPolicy: wp, engineSequential: seq, engineConcurrent: conc, pieces: p } = r;
  const row = (name: string, s: Stats, extra: string): string =>
    `| ${name} | ${f(s.p50Us)} | ${f(s.p99Us)} | ${f(s.meanUs)} | ${k(s.perSecond)} | ${f(s.cpuUsPerOp)} | ${extra} |`;
  const ratios = (s: Stats): string =>
    `${f(s.p50Us / bare.p50Us)}x / ${f(s.p99Us / bare.p99Us)}x / ${f(bare.perSecond / s.perSecond)}x`;
  const batching = (s: EngineStats): string =>
    `${ratios(s)}; batch ${f(s.meanBatch)}, ${f(s.commitsPerDecision, 3)} commits/decision`;
  const met = (ok: boolean): string => (ok ? "met" : "NOT met");
  const commit = p.durableCommit.meanUs;
  const wallUs = (s: EngineStats): number => 1e6 / s.perSecond;
  const pct = (part: number, whole: number): string => `${f((100 * part) / whole, 0)}%`;
  const mix = Object.entries(r.bareOutcomes)
    .map(([o, n]) => `${o} ${pct(n, bare.n)}`)
    .join(", ");
  const known = p.validateIntent.cpuUsPerOp + wp.cpuUsPerOp + p.inputDigest.cpuUsPerOp;
  const validation = wp.meanUs - bare.meanUs;
  return [
    `Machine: ${r.machine.cpu}; Node ${r.machine.node}; ${r.machine.platform}; files on ${r.machine.disk}; ` +
      `${r.machine.load}.`,
    `Policy: policies/bank (32 rules), ${r.config.counterparties} counterparties in data; ${r.config.n} measured calls ` +
      `per row after warm-up (${r.config.syncWarmup} calls in memory, ${r.config.warmup} engine decisions); ` +
      `the two policy rows are the best of ${ROUNDS} rounds by p99 (bare p99 per round: ` +
      `${(bare.roundsP99Us ?? []).map((x) => f(x)).join(", ")} µs); ` +
      `outcome mix ${mix}.`,
    "",
    "| measurement | p50 µs | p99 µs | mean µs | per second | CPU µs/op | ÷ bare: p50 / p99 / throughput |",
    "|---|---:|---:|---:|---:|---:|---|",
    row("bare opa-wasm evaluate", bare, "1x"),
    row("WasmPolicy.evaluate (+ result validation)", wp, ratios(wp)),
    row("engine, sequential (await each)", seq, batching(seq)),
    row(`engine, ${conc.concurrency} in flight (group commit)`, conc, batching(conc)),
    row("durable SQLite commit (1-row insert)", p.durableCommit, "WAL, synchronous=FULL: one fsync"),
    row("SQLite commit, no writes", p.emptyCommit, "no fsync (a batch that reserves nothing)"),
    row("validateIntent (zod)", p.validateIntent, "engine CPU piece"),
    row("inputDigest (canonical JSON + keccak256)", p.inputDigest, "engine CPU piece, once per decision"),
    "",
    `Goals: bare p99 < ${GOALS.bareP99Us} µs: ${f(bare.p99Us)} µs, ${met(bare.p99Us < GOALS.bareP99Us)}. ` +
      `Durable decisions >= ${k(GOALS.durablePerSecond)}/s: sequential ${k(seq.perSecond)}/s, ` +
      `${met(seq.perSecond >= GOALS.durablePerSecond)}; ${conc.concurrency} in flight ${k(conc.perSecond)}/s, ` +
      `${met(conc.perSecond >= GOALS.durablePerSecond)}.`,
    "",
    "What limits them:",
    `- bare: CPU inside opa_eval (32 rules: regex checks of every amount and time, sets, sorts, sprintf for reasons); ` +
      `marshalling the input (JSON.stringify + encode) is ${f(p.inputMarshalling.meanUs)} µs of the ${f(bare.meanUs)} µs ` +
      `mean. p99/p50 = ${f(bare.p99Us / bare.p50Us)}: deny paths format reasons, plus GC and scheduling jitter.`,
    `- WasmPolicy: ${validation >= 1 ? `+${f(validation)} µs mean for the zod validation of the decision` : "no measurable cost over bare"}.`,
    `- engine sequential: durable commits. ${f(seq.commitsPerDecision, 2)} per decision (the audit append, plus the ` +
      `reservation when allowed); an audit append took ${f(seq.auditCommitUs)} µs mean in this run (a bare 1-row ` +
      `commit: p50 ${f(p.durableCommit.p50Us)}, mean ${f(commit)} µs, ${pct(p.durableCommit.cpuUsPerOp, commit)} of it CPU, ` +
      `the rest waiting for the disk), so commits take ~${f(seq.commitsPerDecision * seq.auditCommitUs)} µs of the ` +
      `${f(wallUs(seq))} µs per decision (${pct(seq.commitsPerDecision * seq.auditCommitUs, wallUs(seq))}). ` +
      `better-sqlite3 commits synchronously: the event loop waits, so one caller at a time cannot pass ` +
      `~${k(1e6 / (seq.commitsPerDecision * p.durableCommit.p50Us))}/s even with a p50 fsync and no CPU.`,
    `- engine ${conc.concurrency} in flight: CPU. Batches of ${f(conc.meanBatch)} cut commits to ` +
      `${f(conc.commitsPerDecision, 3)} per decision; an audit append (a batch's records hashed, inserted, committed) took ` +
      `${f(conc.auditCommitUs)} µs, ${pct(conc.auditCommitUs / conc.meanBatch, wallUs(conc))} of the time per decision. ` +
      `CPU (all threads) ${f(conc.cpuUsPerOp)} µs per decision = ${pct(conc.cpuUsPerOp, wallUs(conc))} of the ` +
      `${f(wallUs(conc))} µs wall: intent validation ${f(p.validateIntent.cpuUsPerOp)}, policy ${f(wp.cpuUsPerOp)}, ` +
      `inputDigest ${f(p.inputDigest.cpuUsPerOp)}, the rest (audit record: canonical JSON, SHA-256, insert, decode; ` +
      `reservation lookups; batching) ~${f(conc.cpuUsPerOp - known)} µs. One core's ceiling ~${k(1e6 / conc.cpuUsPerOp)}/s. ` +
      `Latency is the batch: p50 ${f(conc.p50Us / 1000)} ms = ${f(conc.meanBatch)} decisions of CPU and a commit.`,
  ].join("\n");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
