/**
 * SIGKILL of a bank's follower and dispatcher together: they run in a child process that follows the in-process
 * network over JSON-RPC, while the test settles trades between two banks; the receiver kills the child while it
 * holds a webhook request (a request, not a time, is the kill point), and a new child takes over. At the end the
 * child's store holds exactly the events a follower reading the whole chain once finds, the receiver got every
 * one of them under exactly one webhook-id, and the audit log holds each of them exactly once and verifies.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeBytes32String } from "ethers";
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import { openAuditStore } from "../../src/audit";
import type { DemoBank } from "../../src/demo/banks";
import type { DeploymentRecord } from "../../src/deploy";
import { ChainFollower, EventStore, WebhookStore, type BankIdentity, type FollowedContracts } from "../../src/events";
import { Consortium__factory } from "../../typechain-types";
import type { SettlementTerms } from "../../src/settlement";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium } from "../participant/helpers";
import { newSecret, Receiver } from "./helpers";
import type { PipelineJob } from "./pipeline-worker";

const WORKER = path.join(__dirname, "pipeline-worker.ts");
const HOOK = path.join(__dirname, "..", "support", "ts-cache.js");
const ROUNDS = 3;
const TRADES_PER_ROUND = 2;

interface JsonRpcServer {
  listen(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

describe("follower and dispatcher killed with SIGKILL", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let server: JsonRpcServer;
  let job: PipelineJob;
  let receiver: Receiver;
  const secret = newSecret();
  let n = 0;

  before(async function () {
    this.timeout(10 * 60_000);
    dir = await mkdtemp(path.join(tmpdir(), "events-pipeline-"));
    ({ record, banks } = await openDemoConsortium(dir));
    server = (await hre.run(TASK_NODE_CREATE_SERVER, {
      hostname: "127.0.0.1",
      port: 0,
      provider: hre.network.provider,
    })) as JsonRpcServer;
    const { address, port } = await server.listen();
    const beta = banks[1];
    const memberId = Number(
      await Consortium__factory.connect(record.consortium, hre.ethers.provider).operatorMember(beta.address),
    );
    const contracts: FollowedContracts = {
      consortium: record.consortium,
      engine: record.engine,
      ...(record.auditAnchor === undefined ? {} : { auditAnchor: record.auditAnchor }),
      tokens: record.tokens.map((t) => ({ symbol: t.symbol, address: t.address })),
    };
    const bank: BankIdentity = { addresses: [beta.address], memberId };
    job = {
      rpcUrl: `http://${address}:${port}`,
      chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
      eventsPath: path.join(dir, "events.db"),
      auditPath: path.join(dir, "audit.db"),
      contracts,
      bank,
      fromBlock: record.blockNumber,
      webhook: { retryScheduleMs: [20, 40, 80, 160, 320, 640], jitter: 0.2, pollIntervalMs: 50, batchSize: 4 },
    };
    receiver = new Receiver();
    await receiver.up();
    const store = await EventStore.open({ path: job.eventsPath });
    await new WebhookStore(store.storage).createSubscription({
      url: receiver.url,
      types: [],
      secret: { env: "PIPELINE_WEBHOOK_SECRET" },
    });
    await store.close();
  });

  after(async function () {
    await receiver?.down();
    await server?.close();
    for (const b of banks ?? []) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  function startWorker(): { child: ChildProcess; exited: Promise<void> } {
    const child = spawn(process.execPath, ["-r", HOOK, WORKER, JSON.stringify(job)], {
      env: { ...process.env, PIPELINE_WEBHOOK_SECRET: secret, TS_TRANSPILE_CACHE: path.join(dir, "transpiled") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    return { child, exited: new Promise<void>((resolve) => child.on("exit", () => resolve())) };
  }

  /** A DvP in which Alpha sells to Beta (the followed bank), instructed, affirmed and settled. */
  async function trade(): Promise<void> {
    const [alpha, beta] = banks;
    const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
    const terms: SettlementTerms = {
      tradeRef: encodeBytes32String(`PIPELINE-${++n}`),
      kind: 0,
      seller: alpha.address,
      buyer: beta.address,
      asset: token("B30"),
      assetAmount: 1n,
      cash: token("aEUR"),
      cashAmount: 100_00n + BigInt(n),
    };
    await alpha.participant.instruct(terms);
    await beta.participant.affirm(terms);
    await alpha.participant.settle(terms);
  }

  /** Resolves once `condition` holds, checking every 50 ms. */
  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 180_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("loses no event, and neither delivers nor audits one twice", async function () {
    this.timeout(10 * 60_000);
    for (let round = 0; round < ROUNDS; round++) {
      const worker = startWorker();
      const seen = receiver.requests.length;
      receiver.onRequest = () => {
        if (receiver.requests.length === seen + 2) worker.child.kill("SIGKILL");
      };
      for (let i = 0; i < TRADES_PER_ROUND; i++) await trade();
      await worker.exited;
      receiver.onRequest = () => undefined;
    }

    const last = startWorker();
    const store = await EventStore.open({ path: job.eventsPath });
    try {
      const head = await hre.ethers.provider.getBlockNumber();
      await until(async () => {
        const position = await store.position("chain");
        const pending = await new WebhookStore(store.storage).deliveries({ state: "pending", limit: 1 });
        const unaudited = await store.unaudited(1);
        return position?.blockNumber === head && pending.length === 0 && unaudited.length === 0;
      }, "the chain followed, every delivery acknowledged and every event audited");
    } finally {
      last.child.kill("SIGKILL");
      await last.exited;
    }

    // A follower that read the chain once, without a crash, into a store and a log of its own.
    const reference = await EventStore.open({ path: path.join(dir, "reference.db") });
    const referenceAudit = await openAuditStore({ path: path.join(dir, "reference-audit.db") });
    try {
      const follower = new ChainFollower({
        provider: hre.ethers.provider,
        store: reference,
        audit: referenceAudit,
        contracts: job.contracts,
        bank: job.bank,
        config: { confirmations: 0, fromBlock: job.fromBlock },
      });
      const head = await hre.ethers.provider.getBlockNumber();
      do await follower.poll();
      while (((await reference.position("chain"))?.blockNumber ?? -1) < head);
      const expected = (await reference.list({ limit: 100_000 })).map((e) => e.id);
      const stored = (await store.list({ limit: 100_000 })).map((e) => e.id);
      expect(stored).to.deep.equal(expected);

      const ids = receiver.idsByEvent();
      expect([...ids.keys()].sort()).to.deep.equal([...expected].sort());
      for (const [event, webhookIds] of ids) expect(webhookIds.size, `event ${event}`).to.equal(1);

      const audit = await openAuditStore({ path: job.auditPath });
      try {
        const audited: string[] = [];
        for await (const r of audit.records()) audited.push((r.payload as { eventId: string }).eventId);
        expect([...audited].sort()).to.deep.equal([...expected].sort());
        expect((await audit.verify()).ok).to.equal(true);
      } finally {
        await audit.close();
      }
      console.log(
        `      ${expected.length} events, ${ROUNDS} kills: ${receiver.requests.length} requests, ` +
          `${receiver.requests.length - expected.length} repeats under the same id`,
      );
    } finally {
      await referenceAudit.close();
      await reference.close();
      await store.close();
    }
  });
});
