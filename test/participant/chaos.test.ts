// A bank's participant killed at random points: it runs in a child process against the in-process network served
// over JSON-RPC on 127.0.0.1, instructing one settlement after another (SoftHSM key, signed bundle of the real bank
// policy, SQLite audit log, signing records and submissions), and is SIGKILLed at points a seeded generator picks,
// during start-up recovery or between and inside settlements. Each restart retries the first settlement it had not
// acknowledged. After the last run: no nonce left unfilled and none signed for two payloads, every acknowledged
// settlement on chain, every transaction of the key on chain with its signature record in the audit log, and the
// log verifies. CHAOS_SEED and CHAOS_KILLS (default 20) run other or more kills on demand.
import { expect } from "chai";
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import { spawn } from "node:child_process";
import path from "node:path";
import { buildPolicy, consortiumConfigWithKeys, createBankKeys, openBanks, type DemoBank } from "../../src/demo/banks";
import { DemoClock } from "../../src/demo/clock";
import { DemoHsm } from "../../src/demo/softhsm";
import { deployConsortium, type DeploymentRecord } from "../../src/deploy";
import { openAuditStore } from "../../src/audit";
import { parseParticipantConfig } from "../../src/participant";
import { formatSettlementId, settlementIdOf } from "../../src/settlement";
import { DEMO_CONFIG, isolateChain, tempDir } from "../tasks/helpers";
import { chaosTerms, type ChaosJob } from "./chaos-worker";

const SEED = Number(process.env.CHAOS_SEED ?? 20261203);
const KILLS = Number(process.env.CHAOS_KILLS ?? 20);
const WORKER = path.join(__dirname, "chaos-worker.ts");
const HOOK = path.join(__dirname, "..", "support", "ts-cache.js");
const TERMS = { perSettlement: "100000000", daily: "900000000", cashThreshold: "50000000" };

/** Hardhat's JSON-RPC server (the one `hardhat node` runs), serving the in-process network. */
interface JsonRpcServer {
  listen(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ack {
  index: number;
  settlementId: string;
  txHash: string;
  nonce: number;
  /** True when the settlement had been signed in an earlier life and its transaction was found or rebroadcast. */
  retried: boolean;
}

/** One life of the worker: its acks, whether it finished, and how it ended. */
interface Life {
  acks: Ack[];
  done: number | null;
  killed: boolean;
  stderr: string;
}

describe("Participant under SIGKILL (crash test)", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let clock: DemoClock;
  let server: JsonRpcServer;
  let job: Omit<ChaosJob, "from" | "to">;

  before(async function () {
    this.timeout(10 * 60_000);
    dir = await tempDir("chaos-");
    const hsm = DemoHsm.create(path.join(dir, "hsm"));
    const inputs = [
      { name: "Alpha Bank", lei: "DEMO00ALPHABANK00017", terms: TERMS },
      { name: "Beta Bank", lei: "DEMO00BETABANK000096", terms: TERMS },
      { name: "Gamma Bank", lei: "DEMO00GAMMABANK00078", terms: TERMS },
    ];
    const keys = createBankKeys(hsm, inputs);
    const configFile = consortiumConfigWithKeys(DEMO_CONFIG, keys, path.join(dir, "consortium.json"));
    const { wasm, base } = await buildPolicy(hre.config.paths.root, path.join(dir, "policy"));
    record = (await deployConsortium(hre, { configFile, fresh: true })).record;
    clock = new DemoClock(hre);
    await clock.toNextMonday(9);
    banks = await openBanks(hre, { runDir: dir, hsm, record, banks: inputs, keys, wasm, base, clock });
    // The worker opens Alpha's stores and HSM session itself; its reservation file admits one engine.
    await banks[0].participant.close();
    server = (await hre.run(TASK_NODE_CREATE_SERVER, {
      hostname: "127.0.0.1",
      port: 0,
      provider: hre.network.provider,
    })) as JsonRpcServer;
    const { address, port } = await server.listen();
    const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
    job = {
      configPath: path.join(banks[0].dir, "participant.json"),
      rpcUrl: `http://${address}:${port}`,
      chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
      clockOffsetMs: clock.now() * 1000 - Date.now(),
      seller: banks[1].address,
      buyer: banks[0].address,
      asset: token("B30"),
      cash: token("aEUR"),
    };
  });

  after(async function () {
    await server?.close();
    for (const b of banks?.slice(1) ?? []) await b.participant.close();
  });

  /**
   * Runs the worker for settlements `from` to `to - 1`; with `killAfterMs`, SIGKILLs it that long after it started
   * (`phase: "start"`, often inside start-up recovery) or after it said `ready` (`phase: "run"`).
   */
  function life(from: number, to: number, kill?: { phase: "start" | "run"; afterMs: number }): Promise<Life> {
    const child = spawn(process.execPath, ["-r", HOOK, WORKER, JSON.stringify({ ...job, from, to })], {
      env: { ...process.env, TS_TRANSPILE_CACHE: path.join(dir, "transpiled") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const result: Life = { acks: [], done: null, killed: false, stderr: "" };
    let buffer = "";
    let timer: NodeJS.Timeout | undefined;
    const killLater = () => {
      timer = setTimeout(() => {
        result.killed = child.kill("SIGKILL");
      }, kill!.afterMs);
    };
    if (kill?.phase === "start") killLater();
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const [word, ...rest] = buffer.slice(0, newline).split(" ");
        buffer = buffer.slice(newline + 1);
        if (word === "ready" && kill?.phase === "run") killLater();
        if (word === "ack") {
          result.acks.push({
            index: Number(rest[0]),
            settlementId: rest[1],
            txHash: rest[2],
            nonce: Number(rest[3]),
            retried: rest[4] === "true",
          });
        }
        if (word === "done") result.done = Number(rest[0]);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (result.stderr += chunk));
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        result.killed = signal === "SIGKILL";
        if (!result.killed && code !== 0) reject(new Error(`worker exited ${code}: ${result.stderr}`));
        else resolve(result);
      });
    });
  }

  it("leaves no nonce unfilled or signed twice, loses no acknowledged settlement and no signature record", async function () {
    this.timeout(10 * 60_000);
    const random = generator(SEED);
    const acked = new Map<number, Ack>();
    let next = 0;
    let kills = 0;
    // Warm the transpile cache once, so that kill points measured from start-up fall where recovery runs.
    const first = await life(next, next + 1);
    first.acks.forEach((a) => acked.set(a.index, a));
    next = first.acks.length;
    while (kills < KILLS) {
      const phase = random() < 0.25 ? "start" : "run";
      const afterMs = Math.floor(random() * (phase === "start" ? 1200 : 1500));
      const run = await life(next, next + 50, { phase, afterMs });
      expect(run.stderr, `life ${kills + 1}`).to.equal("");
      for (const a of run.acks) {
        expect(a.index, "acknowledged in order").to.equal(next);
        acked.set(a.index, a);
        next += 1;
      }
      if (run.killed) kills += 1;
    }
    // A last life without a kill: it recovers what the last kill left and finishes two more settlements.
    const last = await life(next, next + 2);
    last.acks.forEach((a) => acked.set(a.index, a));
    expect(last.done, last.stderr).to.equal(0);

    const provider = hre.ethers.provider;
    const alpha = banks[0].address;
    const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
    // Every acknowledged settlement is on chain, instructed in the transaction the participant reported.
    for (const [index, ack] of acked) {
      expect(ack.settlementId).to.equal(formatSettlementId(settlementIdOf(chaosTerms(job, index))));
      expect(await engine.statusOf(ack.settlementId), `settlement ${index}`).to.equal(1n);
      const receipt = await provider.getTransactionReceipt(ack.txHash);
      expect(receipt?.status, `settlement ${index}`).to.equal(1);
    }
    // No transaction of the key waits in the pool, and every nonce up to the chain's is mined.
    const mined = await provider.getTransactionCount(alpha, "latest");
    expect(await provider.getTransactionCount(alpha, "pending")).to.equal(mined);
    const onChain = new Map<number, string>();
    for (let n = record.blockNumber; n <= (await provider.getBlockNumber()); n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) if (tx.from === alpha) onChain.set(tx.nonce, tx.hash);
    }
    expect([...onChain.keys()].sort((a, b) => a - b)).to.deep.equal([...Array(mined).keys()]);

    const config = parseParticipantConfig(JSON.parse((await import("node:fs")).readFileSync(job.configPath, "utf8")));
    const audit = await openAuditStore(config.audit);
    try {
      expect(await audit.verify()).to.include({ ok: true });
      const payloadsByNonce = new Map<number, Set<string>>();
      const signed = new Set<string>();
      for await (const r of audit.records()) {
        const p = r.payload as { signer?: string; nonce?: number; payloadHash?: string; txHash?: string };
        if (r.kind !== "signature" || p.signer !== alpha) continue;
        signed.add(p.txHash!);
        payloadsByNonce.set(p.nonce!, (payloadsByNonce.get(p.nonce!) ?? new Set()).add(p.payloadHash!));
      }
      // No nonce signed for two payloads, and none signed beyond what the chain holds (no nonce left unfilled).
      for (const [nonce, payloads] of payloadsByNonce) expect(payloads.size, `nonce ${nonce}`).to.equal(1);
      expect(Math.max(...payloadsByNonce.keys())).to.equal(mined - 1);
      // Every transaction of the key on chain has its signature record.
      for (const [nonce, hash] of onChain) expect(signed.has(hash), `nonce ${nonce}`).to.equal(true);
    } finally {
      await audit.close();
    }
    expect(kills).to.equal(KILLS);
    const retried = [...acked.values()].filter((a) => a.retried).length;
    console.log(
      `      ${kills} kills, ${acked.size} settlements acknowledged (${retried} signed in an earlier life), ` +
        `${mined} transactions (seed ${SEED})`,
    );
  });
});
