// A standby participant takes over signing: two processes of one bank on one PostgreSQL (signing ledger, approvals
// and submissions there), one active by the bank's leader lock, the other waiting. The active one instructs one
// settlement after another on the in-process network served over JSON-RPC; it is SIGKILLed in the middle of the
// load, and the standby takes over and continues. Then, from PostgreSQL and the chain: every signature has an allow
// decision before it, no nonce has two payloads, no nonce is left unfilled, every settlement either process
// acknowledged is on chain with its signature record, and the log verifies. The fail-over time (kill to the
// standby's first durable signature) is printed, never asserted.
import { expect } from "chai";
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { openAuditStore, type AuditRecord } from "../../src/audit";
import { isFrameworkError } from "../../src/errors";
import { parseParticipantConfig, type ParticipantConfigInput } from "../../src/participant";
import { formatSettlementId, settlementIdOf } from "../../src/settlement";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { isolateChain, tempDir } from "../tasks/helpers";
import { chaosTerms } from "./chaos-worker";
import { openDemoConsortium, type DemoConsortium } from "./helpers";
import type { StandbyJob } from "./standby-worker";

const WORKER = path.join(__dirname, "standby-worker.ts");
const HOOK = path.join(__dirname, "..", "support", "ts-cache.js");
const URL_ENV = "STANDBY_TEST_PG_URL";
/** Settlements the active process acknowledges before it is killed, and in all. */
const BEFORE_KILL = 6;
const TOTAL = 16;

/** Hardhat's JSON-RPC server (the one `hardhat node` runs), serving the in-process network. */
interface JsonRpcServer {
  listen(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

interface Ack {
  index: number;
  settlementId: string;
  txHash: string;
  nonce: number;
}

/** A worker process, the acks it printed, and its other lines by their first word. */
interface Worker {
  child: ChildProcessWithoutNullStreams;
  acks: Ack[];
  /** Resolves with the rest of the first line starting with `word` (rejects if the worker ends first). */
  line(word: string): Promise<string>;
  /** Resolves once the worker ended: its exit code and signal, and what it wrote on stderr. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startWorker(job: StandbyJob, cache: string, url: string): Worker {
  const child = spawn(process.execPath, ["-r", HOOK, WORKER, JSON.stringify(job)], {
    env: { ...process.env, TS_TRANSPILE_CACHE: cache, [URL_ENV]: url },
  });
  const acks: Ack[] = [];
  const seen = new Map<string, string>();
  const waiters: { word: string; resolve: (rest: string) => void }[] = [];
  let stderr = "";
  let buffer = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const [word, ...rest] = buffer.slice(0, i).split(" ");
      buffer = buffer.slice(i + 1);
      if (word === "ack") {
        acks.push({ index: Number(rest[0]), settlementId: rest[1], txHash: rest[2], nonce: Number(rest[3]) });
        // `ack<n>`: the n-th acknowledgement of this worker.
        const nth = `ack${acks.length}`;
        seen.set(nth, rest.join(" "));
        for (const w of waiters.filter((w) => w.word === nth)) w.resolve(rest.join(" "));
      }
      if (!seen.has(word)) seen.set(word, rest.join(" "));
      for (const w of waiters.filter((w) => w.word === word)) w.resolve(rest.join(" "));
    }
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    child,
    acks,
    ended,
    line: (word) =>
      new Promise((resolve, reject) => {
        if (seen.has(word)) return resolve(seen.get(word)!);
        waiters.push({ word, resolve });
        void ended.then(({ code, signal }) =>
          reject(new Error(`worker ended (${code ?? signal}) before "${word}": ${stderr}`)),
        );
      }),
  };
}

describe("Participant standby (SIGKILL of the active process)", function () {
  isolateChain();
  let dir: string;
  let demo: DemoConsortium;
  let server: JsonRpcServer;
  let pg: TestPostgres;
  let job: StandbyJob;

  before(async function () {
    this.timeout(10 * 60_000);
    pg = await startPostgres();
    dir = await tempDir("standby-");
    demo = await openDemoConsortium(dir);
    const [alpha, beta] = demo.banks;
    // The workers open Alpha's HSM session and stores themselves.
    await alpha.participant.close();
    const config = JSON.parse(
      readFileSync(path.join(alpha.dir, "participant.json"), "utf8"),
    ) as ParticipantConfigInput & { approvals: { config: unknown } };
    const postgres = { url: { env: URL_ENV } };
    const standby: ParticipantConfigInput = {
      ...config,
      audit: { url: { env: URL_ENV } },
      approvals: { postgres, config: config.approvals.config },
      submission: { postgres },
      standby: { pollMs: 50, heartbeatMs: 500 },
    };
    const configPath = path.join(alpha.dir, "standby.json");
    writeFileSync(configPath, `${JSON.stringify(standby, null, 2)}\n`);
    server = (await hre.run(TASK_NODE_CREATE_SERVER, {
      hostname: "127.0.0.1",
      port: 0,
      provider: hre.network.provider,
    })) as JsonRpcServer;
    const { address, port } = await server.listen();
    const token = (symbol: string) => demo.record.tokens.find((t) => t.symbol === symbol)!.address;
    job = {
      configPath,
      rpcUrl: `http://${address}:${port}`,
      chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
      clockOffsetMs: demo.clock.now() * 1000 - Date.now(),
      to: TOTAL,
      seller: beta.address,
      buyer: alpha.address,
      asset: token("B30"),
      cash: token("aEUR"),
    };
  });

  after(async function () {
    await server?.close();
    for (const b of demo?.banks.slice(1) ?? []) await b.participant.close();
    pg?.stop();
  });

  it("refuses a standby without the signing ledger on PostgreSQL, and the ledger on PostgreSQL without audit.url", function () {
    const config = JSON.parse(readFileSync(job.configPath, "utf8")) as ParticipantConfigInput;
    const sqlite = { ...config, audit: { path: path.join(dir, "audit.sqlite") } };
    const literal = { ...config, standby: undefined, audit: { connectionString: "postgresql://u@127.0.0.1/db" } };
    for (const [input, where] of [
      [sqlite, "standby"],
      [literal, "audit.url"],
    ] as const) {
      expect(() => parseParticipantConfig(input))
        .to.throw()
        .that.satisfies(
          (e: unknown) =>
            isFrameworkError(e, "CONFIG_INVALID") &&
            (e.details as { issues: { path: string }[] }).issues.some((i) => i.path === where),
        );
    }
    expect(parseParticipantConfig(config).standby).to.deep.equal({ pollMs: 50, heartbeatMs: 500 });
  });

  it("takes over after SIGKILL: every signature allowed first, no nonce with two payloads or left unfilled, no acknowledged settlement lost", async function () {
    this.timeout(10 * 60_000);
    const cache = path.join(dir, "transpiled");
    const active = startWorker(job, cache, pg.url);
    active.child.stdin.end("from 0\n");
    await active.line("active");
    const standby = startWorker(job, cache, pg.url);
    await standby.line("standby");
    // Kill the active process in the middle of the load, right after an acknowledgement.
    await active.line(`ack${BEFORE_KILL}`);
    const killedAt = Date.now();
    active.child.kill("SIGKILL");
    const dead = await active.ended;
    expect(dead.signal).to.equal("SIGKILL");
    const acked = new Map<number, Ack>(active.acks.map((a) => [a.index, a]));
    standby.child.stdin.end(`from ${active.acks.length}\n`);
    const signedAt = Number(await standby.line("signed"));
    const finished = await standby.ended;
    expect(finished.code, finished.stderr).to.equal(0);
    expect(await standby.line("done")).to.equal("0");
    for (const a of standby.acks) acked.set(a.index, a);
    expect([...acked.keys()].sort((a, b) => a - b)).to.deep.equal([...Array(TOTAL).keys()]);

    // Every acknowledged settlement is on chain, instructed in the transaction the participant reported.
    const provider = hre.ethers.provider;
    const alpha = demo.banks[0].address;
    const engine = await hre.ethers.getContractAt("SettlementEngine", demo.record.engine);
    for (const [index, ack] of acked) {
      expect(ack.settlementId).to.equal(formatSettlementId(settlementIdOf(chaosTerms(job, index))));
      expect(await engine.statusOf(ack.settlementId), `settlement ${index}`).to.equal(1n);
      expect((await provider.getTransactionReceipt(ack.txHash))?.status, `settlement ${index}`).to.equal(1);
    }
    // No transaction of the key waits in the pool, and every nonce up to the chain's is mined: no gap.
    const mined = await provider.getTransactionCount(alpha, "latest");
    expect(await provider.getTransactionCount(alpha, "pending")).to.equal(mined);
    const onChain = new Map<number, string>();
    for (let n = demo.record.blockNumber; n <= (await provider.getBlockNumber()); n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) if (tx.from === alpha) onChain.set(tx.nonce, tx.hash);
    }
    expect([...onChain.keys()].sort((a, b) => a - b)).to.deep.equal([...Array(mined).keys()]);

    process.env[URL_ENV] = pg.url;
    const audit = await openAuditStore({ url: { env: URL_ENV } });
    try {
      expect(await audit.verify()).to.include({ ok: true });
      const allowed = new Map<string, number>();
      const payloadsByNonce = new Map<number, Set<string>>();
      const signed = new Set<string>();
      for await (const r of audit.records()) {
        if (r.kind === "decision") noteAllow(r, allowed);
        const p = r.payload as { signer?: string; nonce?: number; payloadHash?: string; txHash?: string };
        if (r.kind !== "signature" || p.signer !== alpha) continue;
        // Every signature has an allow decision before it (the one it names).
        const decisionId = (r.payload as { decisionId: string }).decisionId;
        expect(allowed.get(decisionId), `signature ${r.seq}`).to.be.lessThan(r.seq);
        signed.add(p.txHash!);
        payloadsByNonce.set(p.nonce!, (payloadsByNonce.get(p.nonce!) ?? new Set()).add(p.payloadHash!));
      }
      // No nonce signed for two payloads; every acknowledged settlement's transaction has its signature record.
      for (const [nonce, payloads] of payloadsByNonce) expect(payloads.size, `nonce ${nonce}`).to.equal(1);
      for (const ack of acked.values()) expect(signed.has(ack.txHash), `settlement ${ack.index}`).to.equal(true);
      // Every nonce signed in PostgreSQL is on chain: none was left unfilled.
      expect(Math.max(...payloadsByNonce.keys())).to.equal(mined - 1);
    } finally {
      await audit.close();
      delete process.env[URL_ENV];
    }
    console.log(
      `      fail-over: ${signedAt - killedAt} ms from SIGKILL to the standby's first durable signature ` +
        `(poll 50 ms); ${active.acks.length} settlements acknowledged before the kill, ${acked.size} in all`,
    );
  });
});

/** Notes the seq of an allow decision under its decision id. */
function noteAllow(record: AuditRecord, allowed: Map<string, number>): void {
  const p = record.payload as { decisionId?: string; outcome?: string };
  if (p.outcome === "allow" && p.decisionId !== undefined) allowed.set(p.decisionId, record.seq);
}
