/** The submission store's behaviour suite on SQLite and on PostgreSQL, and the adoption of a pre-migration file. */
import Database from "better-sqlite3";
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SubmissionStore } from "../../src/participant";
import { describeOnBothBackends } from "../support/storage";
import { shouldBehaveLikeASubmissionStore } from "./submissions.behavior";

describeOnBothBackends("participant: SubmissionStore", shouldBehaveLikeASubmissionStore);

describe("participant: SubmissionStore on a file written before migrations existed", function () {
  let dir = "";
  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "submissions-adopt-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("adopts the file: its rows stay readable and the first migration is recorded once", async function () {
    const file = path.join(dir, "old.sqlite");
    const old = new Database(file);
    old.exec(
      "CREATE TABLE submissions (key TEXT PRIMARY KEY, tx_hash TEXT NOT NULL UNIQUE, raw TEXT NOT NULL, " +
        "nonce INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'mined', 'reverted')), block_number INTEGER)",
    );
    old.prepare("INSERT INTO submissions VALUES ('call-1', '0x01', '0xraw', 4, 'pending', NULL)").run();
    old.close();
    const store = await SubmissionStore.open({ path: file });
    try {
      expect(await store.get("call-1")).to.include({ txHash: "0x01", nonce: 4, state: "pending" });
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare("SELECT name FROM storage_migrations_submissions").all()).to.deep.equal([
        { name: "submissions/0001_submissions" },
      ]);
    } finally {
      check.close();
    }
  });
});
