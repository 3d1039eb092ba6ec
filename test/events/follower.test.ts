/**
 * The chain follower on real parts: the demo's banks (SoftHSM keys, signed bundles of the real bank policy, SQLite
 * audit logs) on the in-process network, each bank with a follower and an event store of its own. After an
 * instruct, affirm and settle between two banks, each bank's audit log holds both sides' events, and each of its
 * own receipts linked to the decision and the signature behind its transaction. A restart, or a crash between
 * appending to the audit log and noting it, records and appends nothing twice. Prints the lag from a block to
 * its webhook delivered (a figure, not asserted).
 */
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import hre from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AuditRecord } from "../../src/audit";
import type { DemoBank } from "../../src/demo/banks";
import type { DeploymentRecord } from "../../src/deploy";
import { ChainFollower, EventsChainMismatchError, EventStore, openBankEvents } from "../../src/events";
import type { SettlementTerms } from "../../src/settlement";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium } from "../participant/helpers";
import { newSecret, Receiver } from "./helpers";

interface Followed {
  bank: DemoBank;
  store: EventStore;
  follower: ChainFollower;
}

type Payload = Record<string, unknown>;

describe("ChainFollower", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let n = 0;
  const followed: Followed[] = [];

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "events-follower-"));
    ({ record, banks } = await openDemoConsortium(dir));
    for (const bank of banks.slice(0, 2)) followed.push(await follow(bank, "events.db"));
  });

  after(async function () {
    for (const f of followed) await f.store.close();
    for (const b of banks) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function follow(bank: DemoBank, file: string): Promise<Followed> {
    const store = await EventStore.open({ path: path.join(bank.dir, file) });
    const follower = await ChainFollower.forParticipant(bank.participant, store, {
      config: { confirmations: 0, pollIntervalMs: 20 },
    });
    return { bank, store, follower };
  }

  /** Polls until the follower's position is the chain's head. */
  async function catchUp(f: Followed): Promise<void> {
    const head = await hre.ethers.provider.getBlockNumber();
    do await f.follower.poll();
    while (((await f.store.position("chain"))?.blockNumber ?? -1) < head);
  }

  function dvp(seller: DemoBank, buyer: DemoBank): SettlementTerms {
    const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
    return {
      tradeRef: encodeBytes32String(`EVENTS-${++n}`),
      kind: 0,
      seller: seller.address,
      buyer: buyer.address,
      asset: token("B30"),
      assetAmount: 5n,
      cash: token("aEUR"),
      cashAmount: 500_00n + BigInt(n),
    };
  }

  async function auditLog(bank: DemoBank): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for await (const r of bank.participant.auditRecords()) records.push(r);
    return records;
  }

  it("puts both sides' events in each bank's log, and its own receipts each linked to its decision", async function () {
    const [alpha, beta] = followed;
    const terms = dvp(beta.bank, alpha.bank);
    const instructed = await beta.bank.participant.instruct(terms);
    const affirmed = await alpha.bank.participant.affirm(terms);
    const settled = await beta.bank.participant.settle(terms);
    const id = instructed.settlementId;
    for (const f of followed) await catchUp(f);

    for (const [f, own] of [
      [beta, [instructed.txHash, settled.txHash]],
      [alpha, [affirmed.txHash]],
    ] as const) {
      const log = await auditLog(f.bank);
      const bySeq = new Map(log.map((r) => [r.seq, r]));
      const events = log.filter((r) => r.kind === "chain.event" && r.subject === id);
      const types = events.map((r) => (r.payload as Payload).type);
      expect(types, f.bank.name).to.include.members([
        "SettlementInstructed",
        "SettlementAffirmed",
        "SettlementSettled",
      ]);
      const receipts = log.filter(
        (r) => r.kind === "chain.receipt" && own.includes((r.payload as Payload).txHash as string),
      );
      expect(
        receipts.map((r) => (r.payload as Payload).txHash),
        f.bank.name,
      ).to.deep.equal([...own]);
      for (const receipt of receipts) {
        const p = receipt.payload as Payload;
        const signature = bySeq.get(p.signatureSeq as number)!;
        const decision = bySeq.get(p.decisionSeq as number)!;
        expect(signature.kind).to.equal("signature");
        expect((signature.payload as Payload).txHash).to.equal(p.txHash);
        expect(decision.kind).to.equal("decision");
        expect((decision.payload as Payload).decisionId).to.equal((signature.payload as Payload).decisionId);
        expect((decision.payload as Payload).outcome).to.equal("allow");
        expect(decision.seq).to.be.lessThan(signature.seq).and.lessThan(receipt.seq);
        expect((p.data as Payload).status).to.equal("success");
      }
      // The other side's step is there too, as an event of a transaction this bank did not send.
      const foreign = events.filter((r) => !own.includes((r.payload as Payload).txHash as string));
      expect(foreign.length, f.bank.name).to.be.greaterThan(0);
      for (const r of foreign) expect((r.payload as Payload).decisionSeq).to.equal(null);
      expect((await f.bank.participant.verifyAudit(false)).ok, f.bank.name).to.equal(true);
    }
    // The same event has the same id in both banks' stores.
    const idsOf = async (f: Followed) =>
      (await f.store.list({ types: ["SettlementSettled"], limit: 100 }))
        .filter((e) => e.subject === id)
        .map((e) => e.id);
    expect(await idsOf(alpha)).to.deep.equal(await idsOf(beta));
  });

  it("records and appends nothing twice across a restart, or a crash between appending and noting it", async function () {
    const [alpha, beta] = followed;
    const terms = dvp(alpha.bank, beta.bank);
    await alpha.bank.participant.instruct(terms);
    await catchUp(alpha);
    const chainRecords = async () => (await auditLog(alpha.bank)).filter((r) => r.kind.startsWith("chain.")).length;
    const before = await chainRecords();
    const events = await alpha.store.list({ limit: 10_000 });

    // The process died after appending the last events to the audit log, before noting their records.
    const forgotten = events.slice(-3).map((e) => e.id);
    await alpha.store.storage
      .db<{ chain_events: { id: string; audit_seq: number | null } }>()
      .updateTable("chain_events")
      .set({ audit_seq: null })
      .where("id", "in", forgotten)
      .execute();
    await alpha.store.close();
    const restarted = await follow(alpha.bank, "events.db");
    followed[0] = restarted;
    await catchUp(restarted);
    expect(await chainRecords()).to.equal(before);
    const after = await restarted.store.list({ limit: 10_000 });
    expect(after.map((e) => [e.id, e.auditSeq])).to.deep.equal(events.map((e) => [e.id, e.auditSeq]));

    // A follower reading the chain again from the start, into a new store, finds the same events under the same ids.
    const again = await follow(alpha.bank, "events-again.db");
    try {
      await catchUp(again);
      expect((await again.store.list({ limit: 10_000 })).map((e) => e.id)).to.deep.equal(after.map((e) => e.id));
      expect(await chainRecords(), "found in the audit log, not appended again").to.equal(before);
    } finally {
      await again.store.close();
    }
  });

  it("refuses to go on from a position whose block the node holds with another hash", async function () {
    const other = await follow(followed[1].bank, "events-moved.db");
    try {
      await catchUp(other);
      const position = (await other.store.position("chain"))!;
      await other.store.record("chain", { ...position, blockHash: `0x${"ab".repeat(32)}` }, []);
      const fresh = await ChainFollower.forParticipant(followed[1].bank.participant, other.store, {
        config: { confirmations: 0 },
      });
      const error = await fresh.poll().then(
        () => expect.fail("expected a refusal"),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(EventsChainMismatchError);
      expect((error as EventsChainMismatchError).code).to.equal("EVENTS_CHAIN_MISMATCH");
    } finally {
      await other.store.close();
    }
  });

  it("measures the lag from a block to its webhook delivered, with the stack opened from one configuration", async function () {
    const [alpha, , gamma] = banks;
    const events = await openBankEvents(
      gamma.participant,
      { path: path.join(gamma.dir, "events.db"), follower: { confirmations: 0, pollIntervalMs: 20 } },
      { env: { LAG_WEBHOOK_SECRET: newSecret() } },
    );
    const receiver = new Receiver();
    await receiver.up();
    const lags: number[] = [];
    try {
      await catchUp({ bank: gamma, store: events.store, follower: events.follower });
      await events.webhooks.webhooks.createSubscription({
        url: receiver.url,
        types: ["SettlementInstructed"],
        secret: { env: "LAG_WEBHOOK_SECRET" },
      });
      let mined = 0;
      let received: () => void = () => undefined;
      receiver.onRequest = () => {
        lags.push(performance.now() - mined);
        received();
      };
      events.start();
      for (let i = 0; i < 5; i++) {
        const delivered = new Promise<void>((resolve) => (received = resolve));
        await alpha.participant.instruct(dvp(alpha, gamma));
        mined = performance.now();
        await delivered;
      }
    } finally {
      await events.close();
      await receiver.down();
    }
    const sorted = [...lags].sort((a, b) => a - b);
    console.log(
      `      lag from the block (its receipt seen by the sender) to the webhook received, follower polling every ` +
        `20 ms: median ${sorted[2].toFixed(0)} ms, max ${sorted[4].toFixed(0)} ms over ${sorted.length} settlements`,
    );
    expect(lags).to.have.length(5);
  });
});
