/**
 * The omnibus ledger's behaviour, run by ledger.test.ts on SQLite and on PostgreSQL: booking, overdrafts,
 * idempotent movement ids, malformed movements, the append-only journal enforced by the database, and two
 * connections on one ledger.
 */
import { expect } from "chai";
import { Wallet, id } from "ethers";
import path from "node:path";
import { ErrorCode } from "../../src/errors";
import { OmnibusLedger, type Movement } from "../../src/custody";
import type { StorageLocationInput } from "../../src/storage";
import type { TestBackend } from "../support/storage";
import { cleanTempDirs, expectCode, tempFolder } from "./helpers";

/** Two fixed token addresses (the ledger only needs well-formed addresses). */
const EUR = new Wallet(id("custody-test/eur")).address;
const BOND = new Wallet(id("custody-test/bond")).address;
const T0 = 1_800_000_000;

export function shouldBehaveLikeAnOmnibusLedger(backend: TestBackend): void {
  cleanTempDirs();
  let location: StorageLocationInput;
  let ledger: OmnibusLedger;

  beforeEach(async function () {
    location = await backend.location();
    ledger = await OmnibusLedger.open({ ...location, now: () => T0 });
  });

  afterEach(async function () {
    await ledger.close();
  });

  /** Positions recomputed from the journal alone. */
  function derived(journal: Movement[]): Map<string, bigint> {
    const sums = new Map<string, bigint>();
    const add = (client: string | null, asset: string, delta: bigint) => {
      if (client !== null) sums.set(`${client}/${asset}`, (sums.get(`${client}/${asset}`) ?? 0n) + delta);
    };
    for (const m of journal) {
      add(m.fromClientId, m.asset, -m.amount);
      add(m.toClientId, m.asset, m.amount);
    }
    return sums;
  }

  it("credits, debits and transfers positions per client and asset, journaling every movement", async function () {
    await ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 1_000n });
    await ledger.credit({ movementId: "m2", clientId: "bob", asset: EUR, amount: 500n, reference: "0xabc" });
    await ledger.credit({ movementId: "m3", clientId: "alice", asset: BOND, amount: 7n });
    await ledger.transfer({ movementId: "m4", fromClientId: "alice", toClientId: "bob", asset: EUR, amount: 300n });
    const debit = await ledger.debit({ movementId: "m5", clientId: "bob", asset: EUR, amount: 800n });

    expect(debit.applied).to.equal(true);
    expect(debit.movement).to.include({ seq: 5, kind: "debit", fromClientId: "bob", toClientId: null, amount: 800n });
    expect(await ledger.position("alice", EUR)).to.equal(700n);
    expect(await ledger.position("bob", EUR.toLowerCase())).to.equal(0n);
    expect(await ledger.position("alice", BOND)).to.equal(7n);
    expect(await ledger.positions(EUR)).to.deep.equal([{ clientId: "alice", asset: EUR, amount: 700n }]);
    expect(await ledger.totals()).to.deep.equal(
      new Map([
        [BOND, 7n],
        [EUR, 700n],
      ]),
    );
    const journal = await ledger.journal();
    expect(journal.map((m) => m.movementId)).to.deep.equal(["m1", "m2", "m3", "m4", "m5"]);
    expect(journal[1]).to.include({ reference: "0xabc", recordedAt: T0 });
    const positions = (await ledger.positions()).map((p): [string, bigint] => [`${p.clientId}/${p.asset}`, p.amount]);
    expect(new Map(positions)).to.deep.equal(new Map([...derived(journal)].filter(([, amount]) => amount !== 0n)));
  });

  it("refuses an overdraft by debit or transfer and changes nothing", async function () {
    await ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n });
    const error = await expectCode(
      () => ledger.debit({ movementId: "m2", clientId: "alice", asset: EUR, amount: 101n }),
      ErrorCode.CustodyInsufficientPosition,
    );
    expect(error.details).to.deep.equal({ clientId: "alice", asset: EUR, available: 100n, requested: 101n });
    await expectCode(
      () => ledger.transfer({ movementId: "m3", fromClientId: "carol", toClientId: "alice", asset: EUR, amount: 1n }),
      ErrorCode.CustodyInsufficientPosition,
    );
    expect((await ledger.journal()).map((m) => m.movementId)).to.deep.equal(["m1"]);
    expect(await ledger.positions()).to.deep.equal([{ clientId: "alice", asset: EUR, amount: 100n }]);
    // A refused movement left no trace: its id books normally once the position allows it.
    await ledger.credit({ movementId: "m4", clientId: "alice", asset: EUR, amount: 1n });
    expect((await ledger.debit({ movementId: "m2", clientId: "alice", asset: EUR, amount: 101n })).applied).to.equal(
      true,
    );
    expect(await ledger.position("alice", EUR)).to.equal(0n);
  });

  it("treats a retried movement with the same id and content as a no-op", async function () {
    const first = await ledger.credit({
      movementId: "m1",
      clientId: "alice",
      asset: EUR,
      amount: 100n,
      reference: "r",
    });
    const retry = await ledger.credit({
      movementId: "m1",
      clientId: "alice",
      asset: EUR.toLowerCase(),
      amount: 100n,
      reference: "r",
    });
    expect(first.applied).to.equal(true);
    expect(retry).to.deep.equal({ movement: first.movement, applied: false });
    await ledger.transfer({ movementId: "m2", fromClientId: "alice", toClientId: "bob", asset: EUR, amount: 40n });
    const again = await ledger.transfer({
      movementId: "m2",
      fromClientId: "alice",
      toClientId: "bob",
      asset: EUR,
      amount: 40n,
    });
    expect(again.applied).to.equal(false);
    expect(await ledger.position("alice", EUR)).to.equal(60n);
    expect(await ledger.position("bob", EUR)).to.equal(40n);
    expect(await ledger.journal()).to.have.length(2);
  });

  it("refuses a second movement under a used id with other content, changing nothing", async function () {
    await ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n });
    for (const conflicting of [
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 101n }),
      () => ledger.credit({ movementId: "m1", clientId: "bob", asset: EUR, amount: 100n }),
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: BOND, amount: 100n }),
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n, reference: "other" }),
      () => ledger.debit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n }),
    ]) {
      const error = await expectCode(conflicting, ErrorCode.CustodyMovementConflict);
      expect(error.details.movementId).to.equal("m1");
      expect(error.details.recorded).to.include({ kind: "credit", toClientId: "alice", amount: "100" });
    }
    expect(await ledger.journal()).to.have.length(1);
    expect(await ledger.position("alice", EUR)).to.equal(100n);
    expect(await ledger.position("bob", EUR)).to.equal(0n);
  });

  it("refuses malformed movements: non-positive amount, bad asset, empty ids, a transfer to oneself", async function () {
    const bad: (() => unknown)[] = [
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 0n }),
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: -5n }),
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: "EUR", amount: 5n }),
      () => ledger.credit({ movementId: "", clientId: "alice", asset: EUR, amount: 5n }),
      () => ledger.credit({ movementId: "m1", clientId: " ", asset: EUR, amount: 5n }),
      () => ledger.transfer({ movementId: "m1", fromClientId: "a", toClientId: "a", asset: EUR, amount: 5n }),
    ];
    for (const run of bad) await expectCode(run, ErrorCode.CustodyMovementInvalid);
    expect(await ledger.journal()).to.deep.equal([]);
  });

  it("keeps the journal append-only: the database refuses UPDATE and DELETE of movements", async function () {
    await ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n });
    const refused = async (statement: string): Promise<string> => {
      const error: unknown = await backend.sql(location, statement).catch((e: unknown) => e);
      expect(error, statement).to.be.instanceOf(Error);
      return (error as Error).message;
    };
    expect(await refused("UPDATE custody_movements SET amount = '1'")).to.match(/append-only/);
    expect(await refused("DELETE FROM custody_movements")).to.match(/append-only/);
    expect(await refused("UPDATE custody_positions SET amount = '-1'")).to.match(/check constraint/i);
    expect(await ledger.position("alice", EUR)).to.equal(100n);
  });

  it("reads positions and journal back from the file, and books a movement id once across connections", async function () {
    await ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n });
    const other = await OmnibusLedger.open(location);
    try {
      expect(await other.position("alice", EUR)).to.equal(100n);
      expect((await other.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n })).applied).to.equal(
        false,
      );
      expect((await other.credit({ movementId: "m2", clientId: "alice", asset: EUR, amount: 1n })).applied).to.equal(
        true,
      );
    } finally {
      await other.close();
    }
    expect(await ledger.position("alice", EUR)).to.equal(101n);
  });

  it("refuses to open a missing ledger file when it must exist, and any use after close", async function () {
    await expectCode(
      () => OmnibusLedger.open({ path: path.join(tempFolder(), "missing.sqlite"), mustExist: true }),
      ErrorCode.CustodyLedgerUnavailable,
    );
    await ledger.close();
    await expectCode(() => ledger.position("alice", EUR), ErrorCode.CustodyLedgerClosed);
    await expectCode(
      () => ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 1n }),
      ErrorCode.CustodyLedgerClosed,
    );
  });

  it("lets only one of two concurrent debits from two connections overdraw nothing", async function () {
    // Two connections of one process on one SQLite file would block each other's thread (better-sqlite3 waits
    // synchronously for the file lock), so on SQLite the two writers are the sequential case above; on
    // PostgreSQL they race for real and the ledger's advisory lock serialises them.
    if (backend.dialect === "sqlite") this.skip();
    await ledger.credit({ movementId: "m1", clientId: "alice", asset: EUR, amount: 100n });
    const other = await OmnibusLedger.open(location);
    try {
      const outcomes = await Promise.allSettled([
        ledger.debit({ movementId: "d1", clientId: "alice", asset: EUR, amount: 60n }),
        other.debit({ movementId: "d2", clientId: "alice", asset: EUR, amount: 60n }),
      ]);
      expect(outcomes.filter((o) => o.status === "fulfilled")).to.have.length(1);
      const refused = outcomes.find((o) => o.status === "rejected");
      expect((refused as PromiseRejectedResult).reason).to.have.property("code", ErrorCode.CustodyInsufficientPosition);
      expect(await ledger.position("alice", EUR)).to.equal(40n);
    } finally {
      await other.close();
    }
  });
}
