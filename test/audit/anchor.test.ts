/**
 * Anchoring a real SQLite audit log's head on the Hardhat network, and catching truncation and rewriting
 * of the log against the anchors read back from the chain.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  anchorHead,
  AuditAnchorEmptyLogError,
  fetchAnchors,
  recordHash,
  SqliteAuditStore,
  type AuditStore,
} from "../../src/audit";
import { anchorFixture } from "../fixtures";
import { isFrameworkError } from "../../src/errors";

describe("audit: on-chain anchors", function () {
  let dir: string;
  let file: string;
  let store: AuditStore;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "audit-anchor-"));
    file = path.join(dir, "audit.db");
    store = SqliteAuditStore.open({ path: file, table: "audit_log", pageSize: 100, busyTimeoutMs: 5_000 });
  });

  afterEach(async function () {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function appendDecisions(n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      await store.append({ kind: "decision", subject: `intent-${i}`, payload: { i, allow: true } });
    }
  }

  function tamper(statement: string): void {
    const db = new Database(file);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
  }

  it("anchors the head, records the anchor after mining, and reads the anchors back", async function () {
    const { anchor, banks } = await loadFixture(anchorFixture);
    await appendDecisions(3);
    const head = await store.head();
    const result = await anchorHead(store, anchor, banks[0].operator);
    expect(result.head).to.deep.equal(head);
    expect(result.record.kind).to.equal("anchor");
    expect(result.record.seq).to.equal(4);
    expect(result.record.payload).to.deep.include({ txHash: result.txHash, seq: 3, head: head.hash });
    const latest = await anchor.latest(banks[0].id);
    expect([latest.seq, latest.head]).to.deep.equal([3n, `0x${head.hash}`]);

    await appendDecisions(2);
    const second = await anchorHead(store, anchor, banks[0].operator);
    expect(second.head.seq).to.equal(6);

    const anchors = await fetchAnchors(anchor, banks[0].id);
    expect(anchors).to.deep.equal([head, second.head]);
    expect(await fetchAnchors(anchor, banks[1].id)).to.deep.equal([]);
    expect(await store.verify({ anchors })).to.deep.include({ ok: true, count: 7 });
  });

  it("reports truncation of the tail against the fetched anchors", async function () {
    const { anchor, banks } = await loadFixture(anchorFixture);
    await appendDecisions(5);
    await anchorHead(store, anchor, banks[0].operator);
    const anchors = await fetchAnchors(anchor, banks[0].id);
    expect((await store.verify()).ok).to.equal(true);

    tamper("DELETE FROM audit_log WHERE seq >= 4");
    expect((await store.verify()).ok, "a truncated chain alone still verifies").to.equal(true);
    const result = await store.verify({ anchors });
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.firstBad).to.deep.include({ seq: 4, problem: "truncated" });
  });

  it("reports an anchor mismatch when the anchored head was rewritten", async function () {
    const { anchor, banks } = await loadFixture(anchorFixture);
    await appendDecisions(4);
    await anchorHead(store, anchor, banks[0].operator);
    const anchors = await fetchAnchors(anchor, banks[0].id);

    // Rewrite record 4 self-consistently and drop what follows: the chain alone verifies again.
    const [original] = await store.read(4, 1);
    const forged = {
      seq: 4,
      kind: original.kind,
      at: original.at,
      subject: original.subject,
      payloadJson: '{"allow":false,"i":4}',
      prevHash: original.prevHash,
    };
    tamper("DELETE FROM audit_log WHERE seq > 4");
    tamper(`UPDATE audit_log SET payload = '${forged.payloadJson}', hash = '${recordHash(forged)}' WHERE seq = 4`);
    expect((await store.verify()).ok).to.equal(true);
    const result = await store.verify({ anchors });
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.firstBad).to.deep.include({ seq: 4, problem: "anchor_mismatch" });
  });

  it("refuses to anchor an empty log", async function () {
    const { anchor, banks } = await loadFixture(anchorFixture);
    const error: unknown = await anchorHead(store, anchor, banks[0].operator).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AuditAnchorEmptyLogError);
    expect(isFrameworkError(error, "AUDIT_ENTRY_INVALID")).to.equal(true);
  });

  it("records nothing when the chain refuses the anchor", async function () {
    const { anchor, outsider } = await loadFixture(anchorFixture);
    await appendDecisions(2);
    await expect(anchorHead(store, anchor, outsider))
      .to.be.revertedWithCustomError(anchor, "AuditAnchorNotMember")
      .withArgs(outsider.address);
    expect((await store.head()).seq).to.equal(2);
  });
});
