/**
 * Commit observers of the audit store (what a participant's metrics count): one call per durable commit with
 * its records in order, concurrent appends grouped into one commit, nothing for a refused entry, and an observer
 * that throws never fails the commit it is told of.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAuditStore, type AuditEntry, type AuditRecord, type AuditStore } from "../../src/audit";

const entry = (n: number): AuditEntry => ({ kind: "decision", subject: `intent-${n}`, payload: { n } });

describe("audit: commit observers", function () {
  let dir: string;
  let store: AuditStore;

  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "audit-observe-"));
    store = await openAuditStore({ path: path.join(dir, "audit.sqlite") });
  });

  afterEach(async function () {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("tells an observer of each commit once, concurrent appends as one group", async function () {
    const commits: number[][] = [];
    const stop = store.observeCommits!((records: readonly AuditRecord[]) => commits.push(records.map((r) => r.seq)));
    await store.append(entry(1));
    await Promise.all([store.append(entry(2)), store.append(entry(3)), store.appendMany([entry(4), entry(5)])]);
    await store.append({ kind: "gossip" } as unknown as AuditEntry).catch(() => undefined);
    stop();
    await store.append(entry(6));
    expect(commits).to.deep.equal([[1], [2, 3, 4, 5]]);
  });

  it("commits whatever an observer throws", async function () {
    store.observeCommits!(() => {
      throw new Error("observer failure");
    });
    const record = await store.append(entry(1));
    expect(record.seq).to.equal(1);
    expect(await store.verify()).to.deep.include({ ok: true, count: 1 });
  });
});
