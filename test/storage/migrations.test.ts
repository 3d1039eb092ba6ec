/**
 * Versioned migrations on both backends: a fresh database gets every migration once, a second open applies
 * none, a release's next migration is applied alone, a database written by a newer release is refused naming
 * both versions, a failing migration leaves the database as it was, and two stores share one database.
 */
import { expect } from "chai";
import { sql } from "kysely";
import {
  defineStoreSchema,
  execStatements,
  resolveStorageTarget,
  StorageDatabase,
  type StorageLocationInput,
  type StoreSchema,
} from "../../src/storage";
import { isFrameworkError } from "../../src/errors";
import { describeOnBothBackends } from "../support/storage";

const v1 = defineStoreSchema("widgets", {
  "0001_widgets": { up: (db) => execStatements(db, ["CREATE TABLE widgets (id TEXT PRIMARY KEY)"]) },
  "0002_colour": {
    up: (db) => execStatements(db, ["ALTER TABLE widgets ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'"]),
  },
});
const v2 = defineStoreSchema("widgets", {
  ...v1.migrations,
  "0003_size": { up: (db) => execStatements(db, ["ALTER TABLE widgets ADD COLUMN size INTEGER"]) },
});
const gadgets = defineStoreSchema("gadgets", {
  "0001_gadgets": { up: (db) => execStatements(db, ["CREATE TABLE gadgets (id TEXT PRIMARY KEY)"]) },
});

async function open(location: StorageLocationInput, schemas: StoreSchema[]): Promise<StorageDatabase> {
  return StorageDatabase.open(resolveStorageTarget(location), schemas);
}

describeOnBothBackends("storage: migrations", function (backend) {
  it("applies every migration once to a fresh database, and none on the next open", async function () {
    const location = await backend.location();
    const first = await open(location, [v1]);
    expect(first.applied).to.deep.equal(["widgets/0001_widgets", "widgets/0002_colour"]);
    await first.db<{ widgets: { id: string } }>().insertInto("widgets").values({ id: "w1" }).execute();
    await first.close();

    const second = await open(location, [v1]);
    try {
      expect(second.applied).to.deep.equal([]);
      const rows = await second
        .db<{ widgets: { id: string; colour: string } }>()
        .selectFrom("widgets")
        .selectAll()
        .execute();
      expect(rows).to.deep.equal([{ id: "w1", colour: "red" }]);
    } finally {
      await second.close();
    }
    const recorded = await backend.sql(location, "SELECT name FROM storage_migrations_widgets ORDER BY name");
    expect(recorded).to.deep.equal([{ name: "widgets/0001_widgets" }, { name: "widgets/0002_colour" }]);
  });

  it("applies only the next release's new migration to a database at the previous version", async function () {
    const location = await backend.location();
    await (await open(location, [v1])).close();
    const upgraded = await open(location, [v2]);
    await upgraded.close();
    expect(upgraded.applied).to.deep.equal(["widgets/0003_size"]);
  });

  it("refuses a database written by a newer release, naming both versions", async function () {
    const location = await backend.location();
    await (await open(location, [v2])).close();
    const error: unknown = await open(location, [v1]).catch((e: unknown) => e);
    expect(isFrameworkError(error, "STORAGE_SCHEMA_TOO_NEW")).to.equal(true);
    expect((error as Error).message)
      .to.contain("version 3")
      .and.contain("version 2");
    expect((error as { details: unknown }).details).to.deep.equal({
      store: "widgets",
      databaseVersion: 3,
      codeVersion: 2,
      unknownMigrations: ["widgets/0003_size"],
    });
  });

  it("rolls a failing migration back and reports it as STORAGE_MIGRATION_FAILED", async function () {
    const location = await backend.location();
    const broken = defineStoreSchema("widgets", {
      ...v1.migrations,
      "0003_broken": {
        async up(db) {
          await execStatements(db, ["CREATE TABLE half_done (id TEXT)"]);
          await sql`SELECT * FROM no_such_table`.execute(db);
        },
      },
    });
    const error: unknown = await open(location, [broken]).catch((e: unknown) => e);
    expect(isFrameworkError(error, "STORAGE_MIGRATION_FAILED")).to.equal(true);
    expect((error as { details: unknown }).details).to.deep.equal({
      store: "widgets",
      migration: "widgets/0003_broken",
    });
    // The whole run was one transaction: nothing of it remains, and the next open starts again from scratch.
    const again = await open(location, [v1]);
    await again.close();
    expect(again.applied).to.deep.equal(["widgets/0001_widgets", "widgets/0002_colour"]);
  });

  it("keeps two stores' version lines apart in one database", async function () {
    const location = await backend.location();
    await (await open(location, [v1])).close();
    const both = await open(location, [v2, gadgets]);
    await both.close();
    expect(both.applied).to.deep.equal(["widgets/0003_size", "gadgets/0001_gadgets"]);
    const alone = await open(location, [gadgets]);
    await alone.close();
    expect(alone.applied).to.deep.equal([]);
  });

  it("commits a write transaction and rolls back a failed one", async function () {
    const location = await backend.location();
    const db = await open(location, [v1]);
    type Tables = { widgets: { id: string } };
    try {
      await db.write<Tables, void>("widgets", async (trx) => {
        await trx.insertInto("widgets").values({ id: "kept" }).execute();
      });
      const failed: unknown = await db
        .write<Tables, void>("widgets", async (trx) => {
          await trx.insertInto("widgets").values({ id: "dropped" }).execute();
          throw new Error("refused");
        })
        .catch((e: unknown) => e);
      expect((failed as Error).message).to.equal("refused");
      const ids = await db.db<Tables>().selectFrom("widgets").select("id").execute();
      expect(ids).to.deep.equal([{ id: "kept" }]);
    } finally {
      await db.close();
    }
  });
});

describe("storage: locations", function () {
  it("refuses a store given both a path and a PostgreSQL location", function () {
    expect(() => resolveStorageTarget({ path: "x.db", postgres: { url: { env: "X" } } }))
      .to.throw()
      .that.satisfies((e: unknown) => isFrameworkError(e, "STORAGE_CONFIG_INVALID"));
  });

  it("refuses an unset URL variable without printing any URL", function () {
    delete process.env.STORAGE_TEST_UNSET;
    expect(() => resolveStorageTarget({ postgres: { url: { env: "STORAGE_TEST_UNSET" } } }))
      .to.throw("not available")
      .that.satisfies((e: unknown) => isFrameworkError(e, "STORAGE_CONFIG_INVALID"));
  });

  it("reports an unreachable server as STORAGE_UNAVAILABLE", async function () {
    process.env.STORAGE_TEST_UNREACHABLE = "postgresql://postgres:secret@127.0.0.1:1/none";
    try {
      const error: unknown = await open({ postgres: { url: { env: "STORAGE_TEST_UNREACHABLE" } } }, [v1]).catch(
        (e: unknown) => e,
      );
      expect(isFrameworkError(error, "STORAGE_UNAVAILABLE")).to.equal(true);
      expect((error as { details: unknown }).details).to.deep.equal({ dialect: "postgres", where: "127.0.0.1:1/none" });
      expect(JSON.stringify((error as { toJSON(): unknown }).toJSON())).not.to.contain("secret");
    } finally {
      delete process.env.STORAGE_TEST_UNREACHABLE;
    }
  });
});
