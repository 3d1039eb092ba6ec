/**
 * The event store on SQLite and PostgreSQL: the follower's position moves with the events it records, in one
 * transaction; the list pages after a cursor and filters by type; events wait for their audit record until noted;
 * the settlements the bank takes part in are read back at restart; and a database written by a newer release of
 * the store is refused.
 */
import { expect } from "chai";
import { EventStore } from "../../src/events";
import { isFrameworkError } from "../../src/errors";
import { describeOnBothBackends } from "../support/storage";
import { recordSynthetic, syntheticEvent } from "./helpers";

describeOnBothBackends("event store", (backend) => {
  it("moves the position with the events it records, and keeps both across a reopen", async function () {
    const location = await backend.location();
    const store = await EventStore.open(location);
    expect(await store.position("chain")).to.equal(undefined);
    const events = [syntheticEvent(5), syntheticEvent(6, "SettlementSettled")];
    const recorded = await recordSynthetic(store, events);
    expect(recorded.map((e) => e.seq)).to.deep.equal([1, 2]);
    await store.close();
    const reopened = await EventStore.open(location);
    try {
      expect(await reopened.position("chain")).to.deep.equal({
        chainId: 31337,
        blockNumber: 6,
        blockHash: events[1].blockHash,
        logIndex: 0,
      });
      expect((await reopened.list({ limit: 10 })).map((e) => e.id)).to.deep.equal(events.map((e) => e.id));
      expect((await reopened.list({ after: 1, limit: 10 })).map((e) => e.seq)).to.deep.equal([2]);
      expect((await reopened.list({ types: ["SettlementSettled"], limit: 10 })).map((e) => e.seq)).to.deep.equal([2]);
      expect((await reopened.subjects()).sort()).to.deep.equal(events.map((e) => e.subject).sort());
    } finally {
      await reopened.close();
    }
  });

  it("keeps an event waiting for its audit record until the record is noted", async function () {
    const store = await EventStore.open(await backend.location());
    try {
      const recorded = await recordSynthetic(store, [syntheticEvent(1), syntheticEvent(2)]);
      expect((await store.unaudited(10)).map((e) => e.seq)).to.deep.equal([1, 2]);
      await store.linkAudit(new Map([[recorded[0].id, 41]]));
      expect((await store.unaudited(10)).map((e) => e.seq)).to.deep.equal([2]);
      expect((await store.get(1))?.auditSeq).to.equal(41);
      expect((await store.byId(recorded[1].id))?.auditSeq).to.equal(null);
    } finally {
      await store.close();
    }
  });

  it("refuses a database that a newer release of the store migrated", async function () {
    const location = await backend.location();
    await (await EventStore.open(location)).close();
    await backend.sql(
      location,
      "INSERT INTO storage_migrations_events (name, timestamp) VALUES ('events/0099_future', '2030')",
    );
    const error = await EventStore.open(location).then(
      () => expect.fail("expected a refusal"),
      (e: unknown) => e,
    );
    expect(isFrameworkError(error, "STORAGE_SCHEMA_TOO_NEW")).to.equal(true);
  });
});
