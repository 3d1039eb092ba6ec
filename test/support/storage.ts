/**
 * Runs a store's behaviour suite on both backends: a SQLite file per location in a temporary directory, and a
 * fresh schema per location on one throw-away PostgreSQL cluster per suite (`startPostgres`, or `PG_URL`). A
 * PostgreSQL location reaches the store as the stores' configuration does: the URL (with the schema as its
 * `search_path`) in an environment variable the location names.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import type { StorageDialect, StorageLocationInput } from "../../src/storage";
import { startPostgres, type TestPostgres } from "./postgres";

/** One backend as a suite sees it. */
export interface TestBackend {
  readonly dialect: StorageDialect;
  /** A fresh, empty location; opening it twice reaches the same database. */
  location(): Promise<StorageLocationInput>;
  /** Runs one statement on the database at `location`, outside any store (to tamper or inspect). */
  sql(location: StorageLocationInput, statement: string): Promise<unknown[]>;
}

/** Declares `suite` twice: once on SQLite, once on PostgreSQL. */
export function describeOnBothBackends(title: string, suite: (backend: TestBackend) => void): void {
  describe(`${title} on SQLite`, function () {
    let dir = "";
    before(function () {
      dir = mkdtempSync(path.join(tmpdir(), "storage-sqlite-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });
    suite({
      dialect: "sqlite",
      location: () => Promise.resolve({ path: path.join(dir, `${randomBytes(6).toString("hex")}.db`) }),
      async sql(location, statement) {
        const { default: Database } = await import("better-sqlite3");
        const db = new Database(location.path);
        try {
          const stmt = db.prepare(statement);
          return stmt.reader ? stmt.all() : (stmt.run(), []);
        } finally {
          db.close();
        }
      },
    });
  });

  describe(`${title} on PostgreSQL`, function () {
    this.timeout(120_000);
    let pg: TestPostgres | undefined;
    const urls = new Map<string, string>();
    before(async function () {
      pg = await startPostgres();
    });
    after(function () {
      for (const env of urls.keys()) delete process.env[env];
      pg?.stop();
    });
    const urlOf = (location: StorageLocationInput): string => {
      const source = location.postgres?.url;
      if (source === undefined || !("env" in source)) throw new Error("not a test PostgreSQL location");
      return urls.get(source.env)!;
    };
    suite({
      dialect: "postgres",
      async location() {
        const schema = `s_${randomBytes(6).toString("hex")}`;
        const base = pg!.url;
        await withClient(base, (c) => c.query(`CREATE SCHEMA ${schema}`));
        const env = `STORAGE_TEST_URL_${schema.toUpperCase()}`;
        const url = `${base}${base.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        urls.set(env, url);
        process.env[env] = url;
        return { postgres: { url: { env }, poolSize: 4 } };
      },
      sql: (location, statement) =>
        withClient(urlOf(location), async (c): Promise<unknown[]> => (await c.query(statement)).rows as unknown[]),
    });
  });
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
