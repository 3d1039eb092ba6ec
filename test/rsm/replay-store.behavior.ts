/**
 * The replay store's behaviour, run by replay-store.test.ts on SQLite and on PostgreSQL: a request id is used
 * once across connections, forgotten only when it can no longer be fresh, and the persisted clock and skew
 * only ever rise.
 */
import { expect } from "chai";
import { ReplayStore } from "../../src/rsm";
import type { TestBackend } from "../support/storage";

const T0 = 1_800_000_000;

async function replayCode(work: Promise<void>): Promise<string | undefined> {
  const error: unknown = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return (error as { code?: string } | undefined)?.code;
}

export function shouldBehaveLikeAReplayStore(backend: TestBackend): void {
  it("refuses a second use of a request id from another connection to the same database", async function () {
    const location = await backend.location();
    const a = await ReplayStore.open(location);
    const b = await ReplayStore.open(location);
    try {
      await a.consume("mw", "request-shared", T0 + 90, T0);
      expect(await replayCode(b.consume("mw", "request-shared", T0 + 90, T0))).to.equal("RSM_REPLAY");
      expect(await replayCode(b.consume("other-mw", "request-shared", T0 + 90, T0))).to.equal(undefined);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("remembers a request id until it could no longer be fresh, then forgets it", async function () {
    const store = await ReplayStore.open(await backend.location());
    try {
      await store.consume("mw", "request-purge", T0 + 90, T0);
      expect(await replayCode(store.consume("mw", "request-purge", T0 + 90, T0 + 90))).to.equal("RSM_REPLAY");
      await store.consume("mw", "another-request", T0 + 200, T0 + 91);
      expect(await store.has("mw", "request-purge")).to.equal(false);
      expect(await store.has("mw", "another-request")).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it("never lets the observed clock or the retention fall, across reopening", async function () {
    const location = await backend.location();
    let store = await ReplayStore.open(location);
    expect(await store.observe(T0 + 3_600)).to.equal(T0 + 3_600);
    expect(await store.observe(T0)).to.equal(T0 + 3_600);
    expect(await store.retention(300)).to.equal(300);
    await store.close();
    store = await ReplayStore.open(location);
    try {
      expect(await store.observe(T0 + 10)).to.equal(T0 + 3_600);
      expect(await store.retention(30)).to.equal(300);
    } finally {
      await store.close();
    }
  });
}
