/**
 * The audit-store behaviour suite against PostgreSQL: one throw-away cluster for the file (or `PG_URL`),
 * a fresh table per test; tampering goes through a separate `pg` client.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { openAuditStore, PostgresAuditStore, type AuditStore } from "../../src/audit";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { shouldBehaveLikeAnAuditStore, type AuditHarness } from "./auditStore.behavior";
import { isFrameworkError } from "../../src/errors";

describe("audit: PostgresAuditStore", function () {
  let pg: TestPostgres | undefined;
  let runDir: string;

  before(async function () {
    runDir = mkdtempSync(path.join(tmpdir(), "audit-pg-export-"));
    pg = await startPostgres();
  });

  after(function () {
    pg?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  async function withClient(work: (client: Client) => Promise<void>): Promise<void> {
    const client = new Client({ connectionString: pg?.url });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }

  function newHarness(): Promise<AuditHarness> {
    const table = `audit_${randomBytes(6).toString("hex")}`;
    const opened: AuditStore[] = [];
    const config = { connectionString: pg?.url ?? "", table, poolSize: 4 };
    return Promise.resolve({
      config,
      async open() {
        const store = await openAuditStore(config);
        opened.push(store);
        return store;
      },
      sql: (statement) =>
        withClient(async (client) => {
          await client.query(statement.replaceAll("{t}", table));
        }),
      tempFile: (name) => path.join(runDir, `${table}-${name}`),
      async dispose() {
        for (const store of opened) await store.close();
        await withClient(async (client) => {
          await client.query(`DROP TABLE IF EXISTS ${table}`);
        });
      },
    });
  }

  shouldBehaveLikeAnAuditStore(newHarness);

  it("opens a PostgresAuditStore when a connection string is given", async function () {
    const h = await newHarness();
    try {
      expect(await h.open()).to.be.instanceOf(PostgresAuditStore);
    } finally {
      await h.dispose();
    }
  });

  it("reports an unreachable server as AUDIT_STORE_UNAVAILABLE", async function () {
    const error: unknown = await openAuditStore({ connectionString: "postgresql://postgres@127.0.0.1:1/none" }).catch(
      (err: unknown) => err,
    );
    expect(isFrameworkError(error, "AUDIT_STORE_UNAVAILABLE")).to.be.true;
  });
});
