/**
 * Periodic anchoring on the Hardhat network: a round anchors only when enough records are new, a failed round
 * records nothing and the next one anchors, and the timer anchors by itself until stopped.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  anchorHead,
  AuditAnchorSchedule,
  fetchAnchors,
  SqliteAuditStore,
  type AnchorResult,
  type AuditStore,
} from "../../src/audit";
import { anchorFixture } from "../fixtures";
import { isFrameworkError } from "../../src/errors";

describe("audit: periodic anchoring", function () {
  let dir: string;
  let store: AuditStore;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "audit-anchor-schedule-"));
    const file = path.join(dir, "audit.db");
    store = SqliteAuditStore.open({ path: file, table: "audit_log", pageSize: 100, busyTimeoutMs: 5_000 });
  });

  afterEach(async function () {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await store.append({ kind: "decision", payload: { i } });
  };

  it("anchors a round only when at least minNewRecords records are new since the last anchor", async function () {
    const { anchor, banks } = await loadFixture(anchorFixture);
    const schedule = new AuditAnchorSchedule({
      store,
      anchor: (s) => anchorHead(s, anchor, banks[0].operator),
      intervalMs: 60_000,
      minNewRecords: 3,
    });
    await append(2);
    expect(await schedule.tick()).to.equal(null);
    await append(1);
    const first = await schedule.tick();
    expect(first?.head.seq).to.equal(3);
    // The anchor's own record (seq 4) is not new work: two more records are not yet three.
    await append(2);
    expect(await schedule.tick()).to.equal(null);
    await append(1);
    expect((await schedule.tick())?.head.seq).to.equal(7);
    const anchored = await fetchAnchors(anchor, Number(banks[0].id));
    expect(anchored.map((h) => h.seq)).to.deep.equal([3, 7]);
    expect(await store.verify({ anchors: anchored })).to.include({ ok: true });
  });

  it("reports a failed round, records nothing for it, and anchors in the next one", async function () {
    const { anchor, banks, outsider } = await loadFixture(anchorFixture);
    const errors: unknown[] = [];
    let signer = outsider; // not an operator of any member: the contract refuses
    const schedule = new AuditAnchorSchedule({
      store,
      anchor: (s) => anchorHead(s, anchor, signer),
      intervalMs: 60_000,
      onError: (error) => errors.push(error),
    });
    await append(2);
    const failure: unknown = await schedule.tick().catch((error: unknown) => error);
    expect(errors).to.deep.equal([failure]);
    expect((await store.head()).seq).to.equal(2);
    signer = banks[1].operator;
    expect((await schedule.tick())?.head.seq).to.equal(2);
    expect((await store.head()).seq).to.equal(3);
  });

  it("anchors by itself on its timer until stopped", async function () {
    const { anchor, banks } = await loadFixture(anchorFixture);
    await append(1);
    const anchored = new Promise<AnchorResult>((resolve) => {
      const schedule = new AuditAnchorSchedule({
        store,
        anchor: (s) => anchorHead(s, anchor, banks[0].operator),
        intervalMs: 20,
        onAnchored: (result) => void schedule.stop().then(() => resolve(result)),
      });
      schedule.start();
    });
    const result = await anchored; // bounded by mocha's timeout
    expect(result.head.seq).to.equal(1);
    expect(await fetchAnchors(anchor, Number(banks[0].id))).to.deep.equal([result.head]);
  });

  it("refuses a non-positive interval or record count", function () {
    for (const bad of [{ intervalMs: 0 }, { intervalMs: 1.5 }, { intervalMs: 10, minNewRecords: 0 }]) {
      let error: unknown;
      try {
        new AuditAnchorSchedule({ store, anchor: () => Promise.reject(new Error("unused")), ...bad });
      } catch (e) {
        error = e;
      }
      expect(isFrameworkError(error, "AUDIT_CONFIG_INVALID"), JSON.stringify(bad)).to.be.true;
    }
  });
});
