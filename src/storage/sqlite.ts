import Database from "better-sqlite3";

/**
 * Opens (creating if needed) a SQLite file set up so that a committed transaction is on disk when the
 * call returns: write-ahead log, `synchronous = FULL`, and a busy timeout for other connections' locks.
 * Closes the handle again if the set-up fails, then rethrows.
 */
export function openDurableSqlite(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
