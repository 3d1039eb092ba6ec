/**
 * The idempotency store's behaviour, run on SQLite and on PostgreSQL (test/support/storage.ts): one claim per key
 * among concurrent requests, replay of a stored answer after a reopen, conflict on another body, a running claim
 * refused until it times out, a refused request's key freed, answers forgotten after their retention.
 */
import { expect } from "chai";
import { IdempotencyStore, requestFingerprint, type IdempotencyClaim } from "../../src/api";
import { isFrameworkError } from "../../src/errors";
import type { TestBackend } from "../support/storage";

const SCOPE = "POST /v1/settlements";

export function shouldBehaveLikeAnIdempotencyStore(backend: TestBackend): void {
  let now = 1_800_000_000;
  const open = async (location: Awaited<ReturnType<TestBackend["location"]>>) =>
    IdempotencyStore.open({ ...location, retentionSeconds: 3_600, pendingTimeoutSeconds: 60, now: () => now });

  async function codeOf(p: Promise<IdempotencyClaim>): Promise<string> {
    const error = await p.then(
      () => expect.fail("claimed"),
      (e: unknown) => e,
    );
    expect(isFrameworkError(error), String(error)).to.equal(true);
    return (error as { code: string }).code;
  }

  it("replays a stored answer to the same request, also after the store is reopened", async function () {
    const location = await backend.location();
    const print = requestFingerprint(SCOPE, { a: 1, b: [2] });
    const store = await open(location);
    expect(await store.begin(SCOPE, "key-0001", print)).to.deep.equal({ kind: "run" });
    await store.complete(SCOPE, "key-0001", 201, { settlementId: "0x01" });
    await store.close();
    const reopened = await open(location);
    try {
      expect(await reopened.begin(SCOPE, "key-0001", requestFingerprint(SCOPE, { b: [2], a: 1 }))).to.deep.equal({
        kind: "replay",
        status: 201,
        body: { settlementId: "0x01" },
      });
    } finally {
      await reopened.close();
    }
  });

  it("refuses another request under a used key with API_IDEMPOTENCY_CONFLICT", async function () {
    const store = await open(await backend.location());
    try {
      await store.begin(SCOPE, "key-0002", requestFingerprint(SCOPE, { a: 1 }));
      await store.complete(SCOPE, "key-0002", 201, {});
      expect(await codeOf(store.begin(SCOPE, "key-0002", requestFingerprint(SCOPE, { a: 2 })))).to.equal(
        "API_IDEMPOTENCY_CONFLICT",
      );
    } finally {
      await store.close();
    }
  });

  it("grants one claim among concurrent requests under one key", async function () {
    const store = await open(await backend.location());
    try {
      const print = requestFingerprint(SCOPE, { a: 3 });
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.begin(SCOPE, "key-0003", print).then(
            (c) => c.kind,
            (e: unknown) => (e as { code: string }).code,
          ),
        ),
      );
      expect(outcomes.filter((o) => o === "run")).to.have.length(1);
      expect(outcomes.filter((o) => o !== "run")).to.deep.equal(Array(7).fill("API_IDEMPOTENCY_IN_PROGRESS"));
    } finally {
      await store.close();
    }
  });

  it("lets a retry take over a claim whose request never finished, once it has timed out", async function () {
    const store = await open(await backend.location());
    try {
      const print = requestFingerprint(SCOPE, { a: 4 });
      await store.begin(SCOPE, "key-0004", print);
      expect(await codeOf(store.begin(SCOPE, "key-0004", print))).to.equal("API_IDEMPOTENCY_IN_PROGRESS");
      now += 61;
      expect(await store.begin(SCOPE, "key-0004", print)).to.deep.equal({ kind: "run" });
    } finally {
      await store.close();
    }
  });

  it("frees the key of a refused request, and forgets answers after their retention", async function () {
    const store = await open(await backend.location());
    try {
      await store.begin(SCOPE, "key-0005", requestFingerprint(SCOPE, { a: 5 }));
      await store.abandon(SCOPE, "key-0005");
      expect(await store.begin(SCOPE, "key-0005", requestFingerprint(SCOPE, { a: 6 }))).to.deep.equal({ kind: "run" });
      await store.complete(SCOPE, "key-0005", 201, {});
      now += 3_601;
      expect(await store.begin(SCOPE, "key-0005", requestFingerprint(SCOPE, { a: 7 }))).to.deep.equal({ kind: "run" });
    } finally {
      await store.close();
    }
  });
}
