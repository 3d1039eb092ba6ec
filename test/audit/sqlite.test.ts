/**
 * The audit-store behaviour suite against SQLite: a fresh database file per test in a temporary
 * directory for the run; tampering goes through a second better-sqlite3 connection.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAuditStore, SqliteAuditStore, type AuditStore } from "../../src/audit";
import { shouldBehaveLikeAnAuditStore, type AuditHarness } from "./auditStore.behavior";

describe("audit: SqliteAuditStore", function () {
  let runDir: string;
  let counter = 0;

  before(function () {
    runDir = mkdtempSync(path.join(tmpdir(), "audit-sqlite-"));
  });

  after(function () {
    rmSync(runDir, { recursive: true, force: true });
  });

  function newHarness(): Promise<AuditHarness> {
    counter += 1;
    const dir = path.join(runDir, `log-${counter}`);
    const file = path.join(dir, "audit.db");
    const opened: AuditStore[] = [];
    const config = { path: file };
    mkdirSync(dir);
    return Promise.resolve({
      async open() {
        const store = await openAuditStore(config);
        opened.push(store);
        return store;
      },
      sql(statement) {
        const db = new Database(file);
        try {
          db.exec(statement.replaceAll("{t}", "audit_log"));
        } finally {
          db.close();
        }
        return Promise.resolve();
      },
      config,
      tempFile: (name) => path.join(dir, name),
      async dispose() {
        for (const store of opened) await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  }

  shouldBehaveLikeAnAuditStore(newHarness);

  it("keeps the database file in WAL mode", async function () {
    const h = await newHarness();
    try {
      expect(await h.open()).to.be.instanceOf(SqliteAuditStore);
      const db = new Database(h.tempFile("audit.db"));
      try {
        expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
      } finally {
        db.close();
      }
    } finally {
      await h.dispose();
    }
  });
});
