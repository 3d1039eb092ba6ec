/**
 * The submission store's behaviour, run by submissions.test.ts on SQLite and on PostgreSQL: a call's signed
 * transaction is kept once, found again after reopening, tracked from pending to mined or reverted, and
 * forgotten only while it never reached the chain.
 */
import { expect } from "chai";
import { SubmissionStore } from "../../src/participant";
import type { StorageLocationInput } from "../../src/storage";
import type { TestBackend } from "../support/storage";

const TX = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

export function shouldBehaveLikeASubmissionStore(backend: TestBackend): void {
  let location: StorageLocationInput;
  let store: SubmissionStore;

  beforeEach(async function () {
    location = await backend.location();
    store = await SubmissionStore.open(location);
  });

  afterEach(async function () {
    await store.close();
  });

  it("keeps a recorded transaction across reopening, pending until settled", async function () {
    await store.record("call-1", TX(1), "0xraw1", 7);
    await store.close();
    store = await SubmissionStore.open(location);
    expect(await store.get("call-1")).to.deep.equal({
      key: "call-1",
      txHash: TX(1),
      raw: "0xraw1",
      nonce: 7,
      state: "pending",
      blockNumber: null,
    });
    expect(await store.hasTransaction(TX(1))).to.equal(true);
    expect(await store.hasTransaction(TX(2))).to.equal(false);
    await store.settle("call-1", "mined", 12);
    expect(await store.get("call-1")).to.include({ state: "mined", blockNumber: 12 });
    expect(await store.pending()).to.deep.equal([]);
  });

  it("refuses a second transaction for one call and one transaction for two calls", async function () {
    await store.record("call-1", TX(1), "0xraw1", 1);
    const sameKey: unknown = await store.record("call-1", TX(2), "0xraw2", 2).catch((e: unknown) => e);
    const sameTx: unknown = await store.record("call-2", TX(1), "0xraw1", 1).catch((e: unknown) => e);
    expect(sameKey).to.be.instanceOf(Error);
    expect(sameTx).to.be.instanceOf(Error);
    expect((await store.pending()).map((s) => s.key)).to.deep.equal(["call-1"]);
  });

  it("lists pending submissions by nonce", async function () {
    await store.record("c", TX(3), "0x03", 30);
    await store.record("a", TX(1), "0x01", 10);
    await store.record("b", TX(2), "0x02", 20);
    await store.settle("b", "reverted", 5);
    expect((await store.pending()).map((s) => [s.key, s.nonce])).to.deep.equal([
      ["a", 10],
      ["c", 30],
    ]);
  });

  it("forgets only a submission that is still pending", async function () {
    await store.record("unsent", TX(1), "0x01", 1);
    await store.record("mined", TX(2), "0x02", 2);
    await store.settle("mined", "mined", 3);
    await store.forget("unsent");
    await store.forget("mined");
    expect(await store.get("unsent")).to.equal(undefined);
    expect(await store.get("mined")).to.include({ state: "mined" });
  });
}
