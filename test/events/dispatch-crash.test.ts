/**
 * SIGKILL of the dispatching process: a dispatcher runs in a child process over a SQLite event store; the test
 * records events, kills the child while a webhook request is in flight (from inside the receiver, so the kill point
 * is a request, not a time), starts a new child, and repeats. At the end every recorded event reached the receiver,
 * each under exactly one webhook-id, and every delivery is marked delivered. A repeat under the same id (the
 * attempt the kill cut short) is what Standard Webhooks receivers drop by id; a second id would not be.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventStore, WebhookStore } from "../../src/events";
import type { DispatchJob } from "./dispatch-worker";
import { newSecret, Receiver, recordSynthetic, syntheticEvent } from "./helpers";

const WORKER = path.join(__dirname, "dispatch-worker.ts");
const HOOK = path.join(__dirname, "..", "support", "ts-cache.js");
const ROUNDS = 3;
const EVENTS_PER_ROUND = 8;

describe("webhook dispatcher killed with SIGKILL", function () {
  let dir = "";
  let store: EventStore;
  let receiver: Receiver;
  const secret = newSecret();

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "events-crash-"));
    store = await EventStore.open({ path: path.join(dir, "events.db") });
    receiver = new Receiver();
    await receiver.up();
    await new WebhookStore(store.storage).createSubscription({
      url: receiver.url,
      types: [],
      secret: { env: "CRASH_WEBHOOK_SECRET" },
    });
  });

  after(async function () {
    await receiver.down();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(): { child: ChildProcess; exited: Promise<void> } {
    const job: DispatchJob = {
      path: path.join(dir, "events.db"),
      config: { retryScheduleMs: [20, 40, 80, 160, 320, 640], jitter: 0.2, pollIntervalMs: 50, batchSize: 4 },
    };
    const child = spawn(process.execPath, ["-r", HOOK, WORKER, JSON.stringify(job)], {
      env: { ...process.env, CRASH_WEBHOOK_SECRET: secret, TS_TRANSPILE_CACHE: path.join(dir, "transpiled") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    return { child, exited };
  }

  /** Resolves once `condition` holds, checking on every request the receiver gets and every 50 ms. */
  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("loses no event and delivers none under two webhook-ids", async function () {
    this.timeout(5 * 60_000);
    const recorded: string[] = [];
    let block = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const events = Array.from({ length: EVENTS_PER_ROUND }, () => syntheticEvent(++block));
      recorded.push(...(await recordSynthetic(store, events)).map((e) => e.id));
      const worker = startWorker();
      // Kill it while the receiver holds the third request of this round: that attempt was sent, never acknowledged.
      const seen = receiver.requests.length;
      receiver.onRequest = () => {
        if (receiver.requests.length === seen + 3) worker.child.kill("SIGKILL");
      };
      await worker.exited;
      receiver.onRequest = () => undefined;
    }
    const last = startWorker();
    try {
      await until(async () => {
        const pending = await new WebhookStore(store.storage).deliveries({ state: "pending", limit: 1 });
        return pending.length === 0;
      }, "every delivery acknowledged");
    } finally {
      last.child.kill("SIGKILL");
      await last.exited;
    }
    const ids = receiver.idsByEvent();
    expect([...ids.keys()].sort()).to.deep.equal([...recorded].sort());
    for (const [event, webhookIds] of ids) expect(webhookIds.size, `event ${event}`).to.equal(1);
    const delivered = await new WebhookStore(store.storage).deliveries({ state: "delivered", limit: 1_000 });
    expect(delivered).to.have.length(recorded.length);
    console.log(
      `      ${recorded.length} events, ${ROUNDS} kills: ${receiver.requests.length} requests, ` +
        `${receiver.requests.length - recorded.length} repeats under the same id`,
    );
  });
});
