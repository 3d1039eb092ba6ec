/**
 * Counts and times the SQLite commits an intent makes (reservations, audit log, approvals, signing records,
 * submissions: every store opens its file with `synchronous = FULL`, so each commit waits for the disk).
 * better-sqlite3's `Statement.prototype.run` and the functions `Database.prototype.transaction` returns (one
 * commit each, outermost only) are wrapped for the run. A statement run counts as a commit only when it leaves
 * its connection outside a transaction having written (an autocommit write, or the COMMIT of a transaction
 * opened with BEGIN, as the storage layer's kysely stores do); its time counts either way. Stores build their
 * transaction functions when they open, so this is installed before the banks are opened.
 */
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { currentClock } from "./timing";

type Fn = (...args: unknown[]) => unknown;
type TransactionFn = Fn & { deferred: Fn; immediate: Fn; exclusive: Fn };

export function instrumentSqlite(): () => void {
  let depth = 0;
  const probe = new Database(":memory:");
  const statement = Object.getPrototypeOf(probe.prepare("SELECT 1")) as { run: Fn };
  probe.close();
  const database = Database.prototype as unknown as { transaction: (fn: Fn) => TransactionFn };
  const run = statement.run;
  const transaction = database.transaction;
  type Statement = { reader: boolean; source: string; database: { inTransaction: boolean } };
  const timed = (inner: Fn, commits: (self: unknown) => boolean = () => true): Fn =>
    function (this: unknown, ...args: unknown[]): unknown {
      const clock = currentClock();
      if (clock === undefined || depth > 0) return inner.apply(this, args);
      const start = performance.now();
      depth += 1;
      try {
        return inner.apply(this, args);
      } finally {
        depth -= 1;
        if (commits(this)) clock.sqlite.count += 1;
        clock.sqlite.ms += performance.now() - start;
      }
    };
  statement.run = timed(run, (self) => {
    const s = self as Statement;
    return !s.reader && !s.database.inTransaction && !/^\s*(BEGIN|ROLLBACK)/i.test(s.source);
  });
  database.transaction = function (this: unknown, fn: Fn): TransactionFn {
    const tx = transaction.call(this, fn);
    return Object.assign(timed(tx), {
      deferred: timed(tx.deferred),
      immediate: timed(tx.immediate),
      exclusive: timed(tx.exclusive),
    });
  };
  return () => {
    statement.run = run;
    database.transaction = transaction;
  };
}
