/**
 * Behaviour every `AuditStore` backend must show, run against SQLite and PostgreSQL with a harness that
 * opens stores on one fresh log and can tamper with its table behind the store's back.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { PassThrough } from "node:stream";
import { canonicalJson } from "../../src/core";
import {
  GENESIS_HASH,
  recordHash,
  verifyJsonl,
  type AuditEntry,
  type AuditStoreConfigInput,
  type AuditStore,
  type StoredRecord,
} from "../../src/audit";
import { isFrameworkError } from "../../src/errors";

/** One fresh log; `open` may be called several times (each a new connection or pool). */
export interface AuditHarness {
  open(): Promise<AuditStore>;
  /** Runs raw SQL on the log's table (`{t}` stands for the table name), bypassing the store. */
  sql(statement: string): Promise<void>;
  /** The configuration `open` uses, for another process to open the same log. */
  config: AuditStoreConfigInput;
  /** A temporary file path for exports. */
  tempFile(name: string): string;
  /** Closes every store it opened and removes the log. */
  dispose(): Promise<void>;
}

const WORKER = path.join(__dirname, "append-worker.ts");

/** Runs `count` concurrent appends in a separate Node.js process. */
async function appendInAnotherProcess(config: AuditStoreConfigInput, count: number, tag: string): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", WORKER, JSON.stringify(config), String(count), tag],
    { cwd: path.join(__dirname, "..", ".."), env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } },
  );
}

const entry = (i: number): AuditEntry => ({
  kind: i % 2 === 0 ? "approval" : "decision",
  subject: `intent-${i}`,
  payload: { i, rule: "limits.daily", allow: i % 3 !== 0, nested: { z: [1, "é"], a: null } },
});

async function appendMany(store: AuditStore, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await store.append(entry(i));
}

/** Moves rows seq >= from one place up, using negative values so no UNIQUE check ever collides. */
const shiftUp = (from: number): string[] => [
  `UPDATE {t} SET seq = -seq WHERE seq >= ${from}`,
  `UPDATE {t} SET seq = 1 - seq WHERE seq < 0`,
];

export function shouldBehaveLikeAnAuditStore(newHarness: () => Promise<AuditHarness>): void {
  let h: AuditHarness;
  let store: AuditStore;

  beforeEach(async function () {
    h = await newHarness();
    store = await h.open();
  });

  afterEach(async function () {
    await h.dispose();
  });

  const tamper = async (...statements: string[]): Promise<void> => {
    for (const s of statements) await h.sql(s);
  };

  describe("appending and reading", function () {
    it("appends and reads back records in seq order", async function () {
      const appended = [await store.append(entry(1)), await store.append({ kind: "signature", payload: [1, 2] })];
      expect(appended.map((r) => r.seq)).to.deep.equal([1, 2]);
      expect(appended[1].subject).to.equal(null);
      expect(new Date(appended[0].at).toISOString()).to.equal(appended[0].at);
      expect(await store.read(1, 10)).to.deep.equal(appended);
      expect(await store.read(2, 1)).to.deep.equal([appended[1]]);
      const iterated = [];
      for await (const r of store) iterated.push(r);
      expect(iterated).to.deep.equal(appended);
      expect(await store.head()).to.deep.equal({ seq: 2, hash: appended[1].hash });
    });

    it("links every record to the previous one's hash, starting from 32 zero bytes", async function () {
      await appendMany(store, 5);
      const records = await store.read(1, 10);
      expect(records[0].prevHash).to.equal(GENESIS_HASH);
      for (const [i, r] of records.entries()) {
        if (i > 0) expect(r.prevHash).to.equal(records[i - 1].hash);
        const { payload, ...rest } = r;
        expect(r.hash).to.equal(recordHash({ ...rest, payloadJson: canonicalJson(payload) }));
      }
    });

    it("keeps appended records after the store is closed and reopened", async function () {
      await appendMany(store, 3);
      const before = await store.read(1, 10);
      await store.close();
      const reopened = await h.open();
      expect(await reopened.read(1, 10)).to.deep.equal(before);
      expect((await reopened.append(entry(4))).prevHash).to.equal(before[2].hash);
      expect(await reopened.verify()).to.deep.equal({ ok: true, count: 4, head: await reopened.head() });
    });

    it("refuses an entry that is not plain JSON and records nothing", async function () {
      await appendMany(store, 1);
      const bad: unknown[] = [
        { kind: "decision", payload: { amount: Number.NaN } },
        { kind: "gossip", payload: {} },
        { kind: "decision", subject: "", payload: {} },
      ];
      for (const e of bad) {
        const error: unknown = await store.append(e as AuditEntry).catch((err: unknown) => err);
        expect(isFrameworkError(error, "AUDIT_ENTRY_INVALID"), String(error)).to.be.true;
      }
      expect((await store.head()).seq).to.equal(1);
    });

    it("appends a batch in one commit, chained in order after the existing head", async function () {
      const first = await store.append(entry(1));
      const batch = await store.appendMany([entry(2), entry(3), entry(4)]);
      expect(batch.map((r) => r.seq)).to.deep.equal([2, 3, 4]);
      expect(batch[0].prevHash).to.equal(first.hash);
      expect(batch[2].prevHash).to.equal(batch[1].hash);
      expect(await store.appendMany([])).to.deep.equal([]);
      expect(await store.verify()).to.deep.equal({ ok: true, count: 4, head: await store.head() });
    });

    it("refuses a batch with one invalid entry and records none of it", async function () {
      await appendMany(store, 1);
      const error: unknown = await store
        .appendMany([entry(2), { kind: "gossip", payload: {} } as unknown as AuditEntry])
        .catch((err: unknown) => err);
      expect(isFrameworkError(error, "AUDIT_ENTRY_INVALID"), String(error)).to.be.true;
      expect((await store.head()).seq).to.equal(1);
    });

    it("refuses an impossible read range", async function () {
      for (const [from, limit] of [
        [1, 0],
        [1, -1],
        [1.5, 10],
      ]) {
        const error: unknown = await store.read(from, limit).catch((err: unknown) => err);
        expect(isFrameworkError(error, "AUDIT_READ_INVALID"), `${from}, ${limit}`).to.be.true;
      }
    });

    it("refuses use after close", async function () {
      await store.close();
      const error: unknown = await store.append(entry(1)).catch((err: unknown) => err);
      expect(isFrameworkError(error, "AUDIT_STORE_CLOSED")).to.be.true;
    });
  });

  describe("verify", function () {
    it("passes an intact log and an empty one", async function () {
      expect(await store.verify()).to.deep.equal({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
      await appendMany(store, 5);
      expect(await store.verify()).to.deep.equal({ ok: true, count: 5, head: await store.head() });
    });

    it("names a payload altered in place", async function () {
      await appendMany(store, 5);
      await tamper(`UPDATE {t} SET payload = '{"i":3,"allow":true}' WHERE seq = 3`);
      expect(await firstBad(store)).to.deep.equal({ seq: 3, problem: "altered" });
    });

    it("names a record rewritten with a recomputed hash", async function () {
      await appendMany(store, 5);
      const [r3] = await store.read(3, 1);
      const forged = { ...r3, payloadJson: '{"i":3,"allow":true}' };
      await tamper(`UPDATE {t} SET payload = '${forged.payloadJson}', hash = '${recordHash(forged)}' WHERE seq = 3`);
      expect(await firstBad(store)).to.deep.equal({ seq: 3, problem: "altered" });
    });

    it("names a deleted middle record", async function () {
      await appendMany(store, 5);
      await tamper(`DELETE FROM {t} WHERE seq = 3`);
      expect(await firstBad(store)).to.deep.equal({ seq: 3, problem: "removed" });
    });

    it("names the first of two swapped records", async function () {
      await appendMany(store, 5);
      await tamper(
        `UPDATE {t} SET seq = -4 WHERE seq = 4`,
        `UPDATE {t} SET seq = 4 WHERE seq = 2`,
        `UPDATE {t} SET seq = 2 WHERE seq = -4`,
      );
      expect(await firstBad(store)).to.deep.equal({ seq: 2, problem: "reordered" });
    });

    it("names a forged record inserted with a valid hash", async function () {
      await appendMany(store, 5);
      const [r2] = await store.read(2, 1);
      const unhashed = {
        seq: 3,
        kind: "approval",
        at: r2.at,
        subject: "intent-x",
        payloadJson: "{}",
        prevHash: r2.hash,
      };
      const forged: StoredRecord = { ...unhashed, hash: recordHash(unhashed) };
      await tamper(
        ...shiftUp(3),
        `INSERT INTO {t} (seq, kind, at, subject, payload, prev_hash, hash) VALUES (3, 'approval', '${forged.at}', ` +
          `'intent-x', '{}', '${forged.prevHash}', '${forged.hash}')`,
      );
      expect(await firstBad(store)).to.deep.equal({ seq: 3, problem: "inserted" });
    });

    it("cannot see a truncated tail alone, but fails against an anchored head", async function () {
      await appendMany(store, 5);
      const anchor = await store.head();
      await tamper(`DELETE FROM {t} WHERE seq >= 4`);
      expect(await store.verify()).to.include({ ok: true, count: 3 });
      const result = await store.verify({ anchors: [anchor] });
      expect(result.ok ? undefined : result.firstBad).to.include({ seq: 4, problem: "truncated" });
    });

    it("cannot see a rewritten head alone, but fails against an anchor of it", async function () {
      await appendMany(store, 5);
      const anchor = await store.head();
      const [r5] = await store.read(5, 1);
      const forged = { ...r5, payloadJson: "{}" };
      await tamper(`UPDATE {t} SET payload = '{}', hash = '${recordHash(forged)}' WHERE seq = 5`);
      expect(await store.verify()).to.include({ ok: true, count: 5 });
      const result = await store.verify({ anchors: [anchor] });
      expect(result.ok ? undefined : result.firstBad).to.include({ seq: 5, problem: "anchor_mismatch" });
    });
  });

  describe("JSON Lines export", function () {
    it("exports one record per line and the file verifies without the database", async function () {
      await appendMany(store, 5);
      const file = h.tempFile("export.jsonl");
      expect(await store.exportJsonl(file)).to.equal(5);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      expect(lines.map((l) => JSON.parse(l) as unknown)).to.deep.equal(await store.read(1, 10));
      expect(await verifyJsonl(file)).to.deep.equal({ ok: true, count: 5, head: await store.head() });
      expect(await verifyJsonl(file, { anchors: [await store.head()] })).to.include({ ok: true });
    });

    it("exports to a stream and leaves it open", async function () {
      await appendMany(store, 3);
      const stream = new PassThrough();
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      expect(await store.exportJsonl(stream)).to.equal(3);
      expect(stream.writableEnded).to.be.false;
      expect(Buffer.concat(chunks).toString("utf8").split("\n")).to.have.length(4);
    });

    it("names a tampered, a missing and a malformed line of an export", async function () {
      await appendMany(store, 5);
      const file = h.tempFile("export.jsonl");
      await store.exportJsonl(file);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      const rewrite = async (edited: string[]): Promise<unknown> => {
        writeFileSync(file, `${edited.join("\n")}\n`);
        const result = await verifyJsonl(file);
        return result.ok ? result : { seq: result.firstBad.seq, problem: result.firstBad.problem };
      };
      const altered = [...lines];
      altered[2] = altered[2].replace('"allow":false', '"allow":true');
      expect(altered[2]).to.not.equal(lines[2]);
      expect(await rewrite(altered)).to.deep.equal({ seq: 3, problem: "altered" });
      expect(await rewrite(lines.filter((_, i) => i !== 1))).to.deep.equal({ seq: 2, problem: "removed" });
      expect(await rewrite([lines[0], "{not json", ...lines.slice(1)])).to.deep.equal({ seq: 2, problem: "malformed" });
    });

    it("reports an export that cannot be read", async function () {
      const error: unknown = await verifyJsonl(h.tempFile("missing.jsonl")).catch((err: unknown) => err);
      expect(isFrameworkError(error, "AUDIT_EXPORT_UNREADABLE")).to.be.true;
    });
  });

  describe("concurrency", function () {
    it("200 concurrent appends leave one unbroken chain with no gaps", async function () {
      const records = await Promise.all(Array.from({ length: 200 }, (_, i) => store.append(entry(i + 1))));
      expect(records.map((r) => r.seq).sort((a, b) => a - b)).to.deep.equal(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      expect(await store.verify()).to.include({ ok: true, count: 200 });
    });

    it("commits concurrent appends together, in call order, each caller's entries contiguous", async function () {
      const [one, batch, last] = await Promise.all([
        store.append(entry(1)),
        store.appendMany([entry(2), entry(3), entry(4)]),
        store.append(entry(5)),
      ]);
      expect([one.seq, ...batch.map((r) => r.seq), last.seq]).to.deep.equal([1, 2, 3, 4, 5]);
      expect([one, ...batch, last].map((r) => r.subject)).to.deep.equal([1, 2, 3, 4, 5].map((i) => `intent-${i}`));
      // One group commit: every record carries the time of the one transaction that wrote them.
      expect(new Set([one, ...batch, last].map((r) => r.at)).size).to.equal(1);
      expect(await store.verify()).to.include({ ok: true, count: 5 });
    });

    it("refuses an invalid entry alone: the concurrent appends beside it are committed", async function () {
      const results = await Promise.allSettled([
        store.append(entry(1)),
        store.append({ kind: "gossip", payload: {} } as unknown as AuditEntry),
        store.append(entry(2)),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
      const refused = results[1] as PromiseRejectedResult;
      expect(isFrameworkError(refused.reason, "AUDIT_ENTRY_INVALID"), String(refused.reason)).to.be.true;
      expect((await store.head()).seq).to.equal(2);
      expect(await store.verify()).to.include({ ok: true, count: 2 });
    });

    it("two stores on separate connections appending at once leave one chain", async function () {
      const other = await h.open();
      await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : other).append(entry(i + 1))));
      expect(await store.verify()).to.include({ ok: true, count: 200 });
      expect(await other.verify()).to.deep.equal(await store.verify());
    });

    it("two other processes and this one appending at once leave one chain", async function () {
      await Promise.all([
        appendInAnotherProcess(h.config, 100, "process-a"),
        appendInAnotherProcess(h.config, 100, "process-b"),
        ...Array.from({ length: 100 }, (_, i) => store.append(entry(i + 1))),
      ]);
      expect(await store.verify()).to.include({ ok: true, count: 300 });
      const subjects = new Map<string | null, number>();
      for await (const r of store) subjects.set(r.subject, (subjects.get(r.subject) ?? 0) + 1);
      expect(subjects.get("process-a")).to.equal(100);
      expect(subjects.get("process-b")).to.equal(100);
    });
  });
}

async function firstBad(store: AuditStore): Promise<unknown> {
  const result = await store.verify();
  return result.ok ? result : { seq: result.firstBad.seq, problem: result.firstBad.problem };
}
