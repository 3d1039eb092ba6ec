/**
 * Signing throughput and latency, measured in one run on one core (the process and all its threads are pinned
 * to one CPU with taskset): raw PKCS#11 signing of a digest (C_SignInit + C_Sign with CKM_ECDSA on one session,
 * no ethers), `HsmSigner.signTransaction` of a populated legacy transaction (low-S normalisation and recovery
 * check included), the full gated path (`PolicyGatedSigner` around `ProtectedSigner` around `HsmSigner`:
 * decode, policy decision, nonce claim, sign, verify, then one durable commit of reservation, signing record and
 * audit records) for settlement instructions that are all allowed, and an ethers `Wallet` signing the
 * same transactions as the HSM signer. The key is generated in a throw-away SoftHSM token; no chain is needed.
 * Goals are reported, never asserted: the exit code is non-zero only on an error.
 *
 * Run: npm run bench:signer   (BENCH_N signatures per measurement, default 800: about 50 s on a 2-CPU VM;
 * BENCH_CONCURRENCY calls in flight for the concurrent rows, default 16; BENCH_CPU the CPU to pin to, default 0,
 * or "all"). Needs SoftHSM2 (softhsm2-util; the module at SOFTHSM2_MODULE, default
 * /usr/lib/softhsm/libsofthsm2.so), the OPA CLI (OPA_BIN, else $(go env GOPATH)/bin/opa) and the TypeChain
 * bindings (npm run build). Writes reports/bench-signer.md and reports/bench-signer.json.
 */
import { useAddressMemo } from "../../src/core/addresses";
import { useNativeKeccak } from "../../src/core/keccak";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  dataSlice,
  getAddress,
  hexlify,
  id,
  keccak256,
  toBeHex,
  Transaction,
  Wallet,
  type TransactionRequest,
} from "ethers";
import * as pkcs11 from "pkcs11js";
import { createBundle, PolicyEngine, PolicyRegistry, signBundle } from "../../src/policy";
import {
  acquireLibrary,
  checkedSignature,
  NATIVE_SECP256K1,
  generateSecp256k1Key,
  HsmSigner,
  NonceAllocator,
  pkcs11EcdsaSign,
  ProtectedSigner,
  uncompressedPoint,
  type HsmSignerConfigInput,
} from "../../src/signer";
import { CallDecoder, PolicyGatedSigner, SigningLedger, staticDirectory } from "../../src/orchestrator";
import { findKeyPair, openLoggedInSession, readEcPoint } from "../../src/signer/token";
import { buildPolicy } from "../../src/demo/banks";
import { DemoHsm } from "../../src/demo/softhsm";
import type { WriteSet } from "../../src/audit";
import { openDurableSqlite } from "../../src/storage";
import { f, fsType, k, positiveInt } from "./common";
import { SettlementEngine__factory } from "../../typechain-types";

const ROOT = path.join(__dirname, "..", "..");
const N = positiveInt("BENCH_N", 800);
const CONCURRENCY = positiveInt("BENCH_CONCURRENCY", 16);
/** Uncounted calls before each measurement. */
const WARMUP = Math.min(200, Math.max(100, Math.floor(N / 10)));
/** Calls per measurement of a piece of the gated path (pieces explain the rows; they need fewer samples). */
const PIECE_N = Math.min(N, 300);
const MODULE = process.env.SOFTHSM2_MODULE ?? "/usr/lib/softhsm/libsofthsm2.so";
/** Sessions of the HSM signer's pool (the configuration default). */
const SESSIONS = 2;
const GOAL = { gatedShareOfRaw: 0.5 };
const TOKEN = "bench-signer";
/** Friday 2025-11-21 10:00 UTC: 11:00 at the bank (UTC+1), inside business hours and before every cut-off. */
const NOW = 1_763_719_200;
const CHAIN_ID = 2026;
/** Bank B of the example policy data, and the amount of every settlement (1,000.00 EURT). */
const BANK_B = "529900T8BM49AURSDO55";
const CASH_AMOUNT = 1_000_00n;
const UNLIMITED = "900000000000000";
const addressOf = (name: string): string => getAddress(dataSlice(id(`bench-signer:${name}`), 12));
const PARTIES = { engine: "engine", cash: "cash", bond: "bond", ours: "our-account", theirs: "bank-b-account" };
const A = Object.fromEntries(Object.entries(PARTIES).map(([k, v]) => [k, addressOf(v)])) as typeof PARTIES;

interface Stats {
  n: number;
  concurrency: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  perSecond: number;
  /** CPU time of the whole process (all threads) per operation. */
  cpuUsPerOp: number;
}

/** Runs `op` on every item with `concurrency` callers, each awaiting its call before taking the next item. */
async function measure<T>(items: readonly T[], op: (item: T) => unknown, concurrency = 1): Promise<Stats> {
  const lat = new Array<number>(items.length);
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      await op(items[i]);
      lat[i] = Number(process.hrtime.bigint() - t0);
    }
  };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, caller));
  const wallNs = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  const us = lat.map((ns) => ns / 1000).sort((a, b) => a - b);
  const at = (q: number): number => us[Math.min(us.length - 1, Math.ceil(q * us.length) - 1)];
  return {
    n: us.length,
    concurrency,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: us.reduce((s, x) => s + x, 0) / us.length,
    perSecond: us.length / (wallNs / 1e9),
    cpuUsPerOp: (used.user + used.system) / us.length,
  };
}

/** `WARMUP` uncounted calls on the first items, then the measurement on the rest. */
async function warmAndMeasure<T>(items: readonly T[], op: (item: T) => unknown, concurrency = 1): Promise<Stats> {
  await measure(items.slice(0, WARMUP), op, concurrency);
  return measure(items.slice(WARMUP), op, concurrency);
}

/** Counts and times the calls of a function (to the settlement of its promise for async ones). */
class Meter {
  calls = 0;
  ns = 0;

  wrap<Args extends unknown[], R>(fn: (...args: Args) => R): (...args: Args) => R {
    return (...args: Args): R => {
      const t0 = process.hrtime.bigint();
      const done = (): void => {
        this.calls += 1;
        this.ns += Number(process.hrtime.bigint() - t0);
      };
      let result: R;
      try {
        result = fn(...args);
      } catch (error) {
        done();
        throw error;
      }
      if (result instanceof Promise) return result.finally(done) as R;
      done();
      return result;
    };
  }

  /** Mean microseconds per `n` operations since the last reset. */
  usPer(n: number): number {
    return this.ns / 1000 / n;
  }

  reset(): void {
    this.calls = 0;
    this.ns = 0;
  }
}

/** Pins this process and all its threads (threads made later inherit it) to one CPU. */
function pinToOneCpu(): string {
  const cpu = process.env.BENCH_CPU ?? "0";
  if (cpu === "all") return "not pinned (BENCH_CPU=all)";
  try {
    execFileSync("taskset", ["-a", "-c", "-p", cpu, String(process.pid)], { stdio: "pipe" });
    return `pinned to CPU ${cpu} with taskset (all threads)`;
  } catch {
    return "NOT pinned (taskset failed): threads may use every CPU";
  }
}

/** A throw-away SoftHSM token in `dir` (the demo's set-up), its PIN in an environment variable. */
function softHsm(dir: string): HsmSignerConfigInput {
  const hsm = DemoHsm.create(dir);
  hsm.initToken(TOKEN);
  return hsm.config(TOKEN, "settlement", { sessions: SESSIONS });
}

/** The bank policy built by scripts/build-policy.sh, with Bank B's EURT limits and approval threshold raised. */
async function bankBundle(out: string, compliance: readonly Wallet[]) {
  const built = await buildPolicy(ROOT, out);
  const files = { wasm: built.wasm, data: { bank: built.base } };
  type Data = { bank: { assets: Record<string, Record<string, unknown>>; counterparties: Record<string, Bank> } };
  type Bank = { limits: Record<string, { per_settlement: string; daily: string }> };
  const data = structuredClone(files.data) as Data;
  data.bank.assets.EURT.approval_threshold = UNLIMITED;
  data.bank.counterparties[BANK_B].limits.EURT = { per_settlement: UNLIMITED, daily: UNLIMITED };
  let bundle = createBundle({ wasm: files.wasm, data, version: 1, sharedPolicyVersion: 1, createdAt: NOW });
  for (const signer of compliance.slice(0, 2)) bundle = await signBundle(bundle, signer, CHAIN_ID);
  return bundle;
}

const engineInterface = SettlementEngine__factory.createInterface();

/** A legacy, gas-price-0 `instruct` of a DvP settlement with Bank B (a distinct trade ref per `ref`). */
function instruct(ref: string, nonce?: number): TransactionRequest {
  const terms = {
    tradeRef: id(`bench-signer:${ref}`),
    kind: 0,
    seller: A.ours,
    buyer: A.theirs,
    asset: A.bond,
    assetAmount: 10n,
    cash: A.cash,
    cashAmount: CASH_AMOUNT,
  };
  const data = engineInterface.encodeFunctionData("instruct", [terms]);
  return { type: 0, to: A.engine, data, gasPrice: 0n, gasLimit: 300_000n, chainId: CHAIN_ID, nonce };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** One durable SQLite commit (one-row insert, WAL, synchronous=FULL): the unit cost of every durable record. */
async function durableCommit(dir: string): Promise<Stats> {
  const db = openDurableSqlite(path.join(dir, "fsync.sqlite"), 5000);
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    const insert = db.prepare("INSERT INTO t (x) VALUES (?)");
    const write = db.transaction((x: number) => insert.run(x));
    return await warmAndMeasure(range(WARMUP + PIECE_N), (x) => write(x));
  } finally {
    db.close();
  }
}

type Closers = (() => Promise<void> | void)[];

/**
 * 1. Raw PKCS#11 on a session of our own (synchronous C_Sign, and the signer's C_SignAsync step) and the recovery
 * check alone on its output, then 2. the HSM signer and 4. an ethers wallet on the same populated transactions.
 */
async function signerPaths(config: HsmSignerConfigInput, address: string, closers: Closers) {
  const library = acquireLibrary(MODULE);
  closers.push(() => library.release());
  const api = library.api();
  const session = openLoggedInSession(api, TOKEN, config.pin);
  closers.push(() => api.C_CloseSession(session));
  const { privateKey, publicKey } = findKeyPair(api, session, TOKEN, config.key);
  const total = WARMUP + N;
  const digests = range(total).map((i) => Buffer.from(keccak256(toBeHex(i, 32)).slice(2), "hex"));
  const rawOut: Buffer[] = [];
  const raw = await warmAndMeasure(digests, (digest) => {
    api.C_SignInit(session, { mechanism: pkcs11.CKM_ECDSA }, privateKey);
    rawOut.push(api.C_Sign(session, digest, Buffer.alloc(128)));
  });
  const state = { api, session, privateKey, publicKey };
  const rawAsync = await warmAndMeasure(digests, (digest) => pkcs11EcdsaSign(state, digest));
  const point = uncompressedPoint(readEcPoint(api, session, publicKey));
  const checked = await warmAndMeasure(range(WARMUP + PIECE_N), (i) =>
    checkedSignature(rawOut[i], hexlify(digests[i]), address, point),
  );

  const hsm = await HsmSigner.create(config);
  closers.push(() => hsm.close());
  const txs = range(total).map((i) => instruct(`plain-${i}`, i));
  const signed: string[] = [];
  const hsmSeq = await warmAndMeasure(txs, async (tx) => signed.push(await hsm.signTransaction(tx)));
  const hsmConc = await warmAndMeasure(txs, (tx) => hsm.signTransaction(tx), CONCURRENCY);
  const wallet = new Wallet(id("bench-signer:software-wallet"));
  const walletStats = await warmAndMeasure(txs, (tx) => wallet.signTransaction(tx));
  for (const i of [0, total - 1]) {
    if (Transaction.from(signed[i]).from !== address) throw new Error(`HSM transaction ${i} does not recover`);
  }
  return { hsm, stats: { raw, rawAsync, hsmSeq, hsmConc, wallet: walletStats }, checked };
}

/**
 * 3. The gated path around the same HSM key, over a signed bank policy bundle and the signing ledger (audit log,
 * reservations and signing records in one SQLite file in `tmp`, one durable commit per signature, group-committed
 * when calls are in flight), sequential and with CONCURRENCY in flight. Its stages are timed by wrapping the
 * decoder, the engine, the HSM key (its PKCS#11 step, and the proof around it) and the ledger's commit. Checks that
 * every call was allowed and reserved, that the nonces are distinct and recorded, that signatures recover to the
 * key and that the audit log verifies.
 */
async function gatedPaths(tmp: string, config: HsmSignerConfigInput, closers: Closers) {
  const compliance = [1, 2, 3].map((n) => new Wallet(id(`bench-signer:compliance-${n}`)));
  const bundle = await bankBundle(path.join(tmp, "policy"), compliance);
  const ledger = SigningLedger.open({ path: path.join(tmp, "ledger.sqlite") });
  closers.push(() => ledger.close());
  const audit = ledger.audit;
  const complianceKeys = compliance.map((w) => w.address);
  const registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
  await registry.activate(bundle);
  const reservations = ledger.reservations;
  const engine = PolicyEngine.open({ config: {}, registry, audit, reservations, now: () => NOW });
  closers.push(() => engine.close());
  const records = ledger.records;

  const m = {
    decode: new Meter(),
    decide: new Meter(),
    hsm: new Meter(),
    signDigest: new Meter(),
    commit: new Meter(),
  };
  // The same key on a pool of its own, its PKCS#11 step timed apart from the proof (low-S, recovery check).
  const hsm = await HsmSigner.create(config, { rawSign: m.hsm.wrap(pkcs11EcdsaSign) });
  closers.push(() => hsm.close());
  hsm.key.signDigest = m.signDigest.wrap(hsm.key.signDigest.bind(hsm.key));
  const outcomes: Record<string, number> = {};
  const evaluate = engine.evaluate.bind(engine);
  engine.evaluate = m.decide.wrap(async (intent: unknown, writes?: WriteSet) => {
    const decision = await evaluate(intent, writes);
    const key = `${decision.outcome}/${decision.reservation?.state ?? "none"}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    return decision;
  });
  ledger.commit = m.commit.wrap(ledger.commit.bind(ledger));
  const decoder = new CallDecoder({ engine: A.engine, tokens: [A.cash, A.bond], accounts: [A.ours] });
  decoder.decode = m.decode.wrap(decoder.decode.bind(decoder));
  const gate = new PolicyGatedSigner({
    inner: new ProtectedSigner(hsm, new NonceAllocator(records)),
    engine,
    decoder,
    directory: staticDirectory({ [A.theirs]: BANK_B }, { [A.cash]: "EURT", [A.bond]: "BOND-DE-2030" }),
    audit,
    ledger,
    initiator: { id: "trader-1", roles: ["trader"] },
    keyTier: "hot",
    screening: () => "clear",
    chainId: CHAIN_ID,
  });
  const decode = await warmAndMeasure(range(WARMUP + PIECE_N), (i) =>
    decoder.decode({ to: A.engine, data: instruct(`decode-${i}`).data as string, value: 0n }),
  );

  const out: string[] = [];
  const gated = async (prefix: string, concurrency: number) => {
    const requests = range(WARMUP + N).map((i) => instruct(`${prefix}-${i}`));
    await measure(requests.slice(0, WARMUP), (r) => gate.signTransaction(r), concurrency);
    Object.values(m).forEach((meter) => meter.reset());
    const [commitsBefore, flushesBefore] = [ledger.commits, ledger.flushes];
    const stats = await measure(
      requests.slice(WARMUP),
      async (r) => out.push((await gate.protectTransaction(r)).serialized),
      concurrency,
    );
    const parts = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { calls: v.calls, us: v.usPer(N) }]));
    const flushes = ledger.flushes - flushesBefore;
    return { ...stats, parts: parts as Parts, commits: ledger.commits - commitsBefore, flushes };
  };
  const gatedSeq = await gated("gated-seq", 1);
  const gatedConc = await gated("gated-conc", CONCURRENCY);

  const calls = 2 * (WARMUP + N);
  // An instruction is decided leg by leg (the delivery and the payment), so each signature follows two decisions.
  if (outcomes["allow/reserved"] !== 2 * calls) throw new Error(`not all allowed: ${JSON.stringify(outcomes)}`);
  const nonces = new Set(out.map((s) => Transaction.from(s).nonce));
  if (nonces.size !== out.length || records.highestNonce(hsm.address, BigInt(CHAIN_ID)) !== calls - 1) {
    throw new Error("the gated signatures do not have distinct, recorded nonces");
  }
  for (let i = 0; i < out.length; i += Math.ceil(out.length / 50)) {
    if (Transaction.from(out[i]).from !== hsm.address) throw new Error(`gated signature ${i} does not recover`);
  }
  const verified = await audit.verify();
  if (!verified.ok) throw new Error(`the audit log does not verify: ${JSON.stringify(verified)}`);
  return { outcomes, gatedSeq, gatedConc, decode };
}

async function main(): Promise<void> {
  // As a participant runs: ethers hashes with the native Keccak-256 and memoizes address checksums in every row
  // (the gate installs both anyway).
  useNativeKeccak();
  useAddressMemo();
  const pinned = pinToOneCpu();
  const loadBefore = os.loadavg()[0];
  const tmp = await mkdtemp(path.join(os.tmpdir(), "bench-signer-"));
  const closers: Closers = [];
  try {
    const config = softHsm(tmp);
    const address = generateSecp256k1Key(config).address;
    const signers = await signerPaths(config, address, closers);
    const gated = await gatedPaths(tmp, config, closers);
    const durable = await durableCommit(tmp);

    const cpus = os.cpus();
    const results: Results = {
      machine: {
        cpu: `${cpus[0]?.model.trim() ?? "unknown"} (${cpus.length} logical CPUs; ${pinned})`,
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        disk: `${tmp}: ${await fsType(tmp)}`,
        load: `load average ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
        hsm: `SoftHSM2 (${MODULE}), secp256k1 key generated in the token`,
        prover: NATIVE_SECP256K1 ? "libsecp256k1" : "JS",
      },
      config: { n: N, warmup: WARMUP, pieceN: PIECE_N, concurrency: CONCURRENCY, hsmSessions: SESSIONS },
      goal: GOAL,
      outcomes: gated.outcomes,
      ...signers.stats,
      gatedSeq: gated.gatedSeq,
      gatedConc: gated.gatedConc,
      pieces: { checkedSignature: signers.checked, decode: gated.decode, durableCommit: durable },
    };
    const report = render(results);
    console.log(report);
    await mkdir(path.join(ROOT, "reports"), { recursive: true });
    await writeFile(path.join(ROOT, "reports", "bench-signer.md"), `# Signer benchmark\n\n${report}\n`);
    await writeFile(path.join(ROOT, "reports", "bench-signer.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log("\nwrote reports/bench-signer.md and reports/bench-signer.json");
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        console.error("clean-up failed:", error);
        process.exitCode = 1;
      }
    }
    delete process.env.SOFTHSM2_CONF;
    await rm(tmp, { recursive: true, force: true });
  }
}

type Parts = Record<"decode" | "decide" | "hsm" | "signDigest" | "commit", { calls: number; us: number }>;
interface Results {
  machine: Record<string, string>;
  config: { n: number; warmup: number; pieceN: number; concurrency: number; hsmSessions: number };
  goal: typeof GOAL;
  outcomes: Record<string, number>;
  raw: Stats;
  rawAsync: Stats;
  hsmSeq: Stats;
  hsmConc: Stats;
  gatedSeq: Stats & { parts: Parts; commits: number; flushes: number };
  gatedConc: Stats & { parts: Parts; commits: number; flushes: number };
  wallet: Stats;
  pieces: Record<"checkedSignature" | "decode" | "durableCommit", Stats>;
}

const pct = (part: number, whole: number): string => `${f((100 * part) / whole, 0)}%`;

function render(r: Results): string {
  const { raw, gatedSeq: gs, gatedConc: gc, pieces: p } = r;
  const row = (name: string, s: Stats): string =>
    `| ${name} | ${k(s.perSecond)} | ${f(s.p50Us)} | ${f(s.p99Us)} | ${f(s.meanUs)} | ${f(s.cpuUsPerOp)} | ` +
    `${f(s.perSecond / raw.perSecond, 2)}x |`;
  const piece = (name: string, s: Stats): string =>
    `| ${name} | ${k(s.perSecond)} | ${f(s.p50Us)} | ${f(s.p99Us)} | ${f(s.meanUs)} | ${f(s.cpuUsPerOp)} | piece |`;
  const met = (s: Stats): string =>
    `${k(s.perSecond)}/s = ${f(s.perSecond / raw.perSecond, 2)}x, ` +
    `${s.perSecond >= GOAL.gatedShareOfRaw * raw.perSecond ? "met" : "NOT met"}`;
  const wall = (s: Stats): number => 1e6 / s.perSecond;
  const c = r.config.concurrency;
  /** Mean µs per signature of each stage; `rest` is the wall time per signature left after the timed stages. */
  const stages = (st: Stats & { parts: Parts }): [string, number][] => {
    const sp = st.parts;
    const timed: [string, number][] = [
      ["decode (calldata to intent)", sp.decode.us],
      ["decide (policy on both legs, reservation held in memory)", sp.decide.us],
      ["HSM sign (C_SignInit + C_SignAsync)", sp.hsm.us],
      ["proof (low-S, recovery check against the key)", sp.signDigest.us - sp.hsm.us],
      ["commit (the one transaction, group-committed, and its flush to disk)", sp.commit.us],
    ];
    const rest = wall(st) - timed.reduce((sum, [, us]) => sum + us, 0);
    return [...timed, ["rest (intent, payload hash, nonce claim, transaction build and serialisation)", rest]];
  };
  const stageRows = (st: Stats & { parts: Parts }): string[] =>
    stages(st).map(([name, us]) => `| ${name} | ${f(us)} | ${pct(us, wall(st))} |`);
  return [
    `Machine: ${r.machine.cpu}; Node ${r.machine.node}; ${r.machine.platform}; files on ${r.machine.disk}; ` +
      `${r.machine.load} (other processes share the CPUs); ${r.machine.hsm}.`,
    `${r.config.n} measured signatures per row after ${r.config.warmup} warm-up calls; HSM signer pool of ` +
      `${r.config.hsmSessions} sessions; every gated call is a new settlement instruct (DvP, 1,000.00 EURT with ` +
      `Bank B), all allowed and reserved (${JSON.stringify(r.outcomes)}); ethers hashes with native Keccak-256 in every ` +
      "row, as in a participant.",
    "",
    "| path | signatures/s | p50 µs | p99 µs | mean µs | CPU µs/sig | ÷ raw throughput |",
    "|---|---:|---:|---:|---:|---:|---:|",
    row("1. raw PKCS#11 C_SignInit + C_Sign (CKM_ECDSA), one session", raw),
    row("1'. the same with C_SignAsync (the signer's step)", r.rawAsync),
    row("2. HsmSigner.signTransaction (legacy, low-S + recovery check)", r.hsmSeq),
    row(`2'. HsmSigner.signTransaction, ${c} in flight`, r.hsmConc),
    row("3. gated: decode, policy, reservation, records, sign, verify, audit", gs),
    row(`3'. gated, ${c} in flight (engine group commit)`, gc),
    row("4. ethers Wallet.signTransaction (same transactions as 2)", r.wallet),
    piece(`checkedSignature (low-S + proof against the key, ${r.machine.prover})`, p.checkedSignature),
    piece("CallDecoder.decode (instruct calldata)", p.decode),
    piece("durable SQLite commit (1-row insert, fsync)", p.durableCommit),
    "",
    `Goal: gated >= ${GOAL.gatedShareOfRaw} x raw PKCS#11 (${k(raw.perSecond)}/s): sequential ${met(gs)}; ` +
      `${c} in flight ${met(gc)}.`,
    "",
    `Stages of a sequential gated signature (${f(wall(gs))} µs wall per signature; mean per signature, timed ` +
      `inside the run; ${f(gs.commits / gs.n, 2)} commits and ${f(gs.flushes / gs.n, 2)} flushes to disk per ` +
      "signature):",
    "",
    "| stage | µs | share |",
    "|---|---:|---:|",
    ...stageRows(gs),
    "",
    `${c} in flight: ${f(wall(gc))} µs wall and ${f(gc.cpuUsPerOp)} µs of CPU per signature; ${gc.commits} ` +
      `commits and ${gc.flushes} flushes to disk for ${gc.n} signatures (the write sets that reach the commit ` +
      "point in one turn of the event loop share a commit; the commits made while a flush runs share the next " +
      "flush, which runs off the event loop).",
    "",
    `A bare durable commit costs ${f(p.durableCommit.meanUs)} µs; for the goal a gated signature may take ` +
      `${f(1e6 / (GOAL.gatedShareOfRaw * raw.perSecond))} µs in all; the HSM signer alone, ungated, reaches ` +
      `${f(r.hsmSeq.perSecond / raw.perSecond, 2)}x raw, its recovery check costing ` +
      `${f(p.checkedSignature.meanUs)} µs (${f(p.checkedSignature.meanUs / raw.meanUs)}x a raw signature).`,
  ].join("\n");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
