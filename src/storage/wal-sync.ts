/**
 * `WalSync`: makes a SQLite connection's commits durable without blocking the event loop on the disk.
 *
 * With `synchronous = FULL` in WAL mode, SQLite fsyncs the write-ahead log inside every COMMIT, on the thread that
 * runs the statement: the event loop stalls for the disk's flush, and nothing else (deciding, signing) proceeds
 * meanwhile. `WalSync` sets the connection to `synchronous = NORMAL` (a commit writes its WAL frames and returns,
 * and checkpoints still sync the log before copying it into the database) and flushes the WAL file itself with an
 * asynchronous `fsync` on libuv's thread pool. A caller waits on `durable()` after its commit and releases nothing
 * before it resolves: the frames of its commit were written before the flush began, so they are on disk, as FULL
 * would have left them. Callers arriving while a flush runs share the next one (one flush serves a whole group).
 *
 * A failed flush poisons the connection: no later commit is ever reported durable (the page cache may have dropped
 * the pages the failed flush covered), and every waiter is rejected.
 */
import { closeSync, fsync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { StorageError } from "./errors";

export class WalSync {
  readonly #path: string;
  readonly #fd: number;
  #failure: StorageError | null = null;
  /** The flush running now, and the one that will start after it (shared by everyone who asked meanwhile). */
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  #flushes = 0;

  private constructor(path: string, fd: number) {
    this.#path = path;
    this.#fd = fd;
  }

  /**
   * Takes over the durability of `db`'s commits, or returns null (leaving it at `synchronous = FULL`) when the
   * connection is not in WAL mode on a file.
   */
  static attach(db: Database.Database, file: string): WalSync | null {
    const mode = String(db.pragma("journal_mode", { simple: true }));
    if (mode.toLowerCase() !== "wal" || file === ":memory:" || file === "") return null;
    // The WAL file exists once the connection has read the database in WAL mode.
    db.pragma("schema_version");
    const wal = `${file}-wal`;
    let fd: number;
    try {
      fd = openSync(wal, "r");
    } catch {
      // No log file where SQLite keeps it (an unusual VFS): the connection stays at FULL, durable inline.
      return null;
    }
    try {
      // The log's directory entry is made durable once, so a crash cannot lose the file itself.
      const dir = openSync(dirname(wal), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
      db.pragma("synchronous = NORMAL");
      return new WalSync(wal, fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Resolves once every commit made before this call is on disk; rejects if it cannot be. */
  durable(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#running === null) {
      this.#running = this.#flush();
      return this.#running;
    }
    // A flush is running, but it may have started before the caller's commit: wait for the one after it.
    this.#next ??= this.#running.then(
      () => this.#startNext(),
      () => this.#startNext(),
    );
    return this.#next;
  }

  /** Flushes completed so far (each serves every commit made before it began). */
  get flushes(): number {
    return this.#flushes;
  }

  /** Closes the log's file descriptor (after the connection itself is done). */
  close(): void {
    closeSync(this.#fd);
  }

  #startNext(): Promise<void> {
    this.#next = null;
    if (this.#failure !== null) return Promise.reject(this.#failure);
    this.#running = this.#flush();
    return this.#running;
  }

  #flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      fsync(this.#fd, (error) => {
        if (this.#running !== null && this.#next === null) this.#running = null;
        if (error !== null) {
          this.#failure ??= new StorageError(
            "STORAGE_SYNC_FAILED",
            "the write-ahead log could not be flushed to disk; no later commit is reported durable",
            { path: this.#path },
            error,
          );
          reject(this.#failure);
        } else {
          this.#flushes += 1;
          resolve();
        }
      });
    });
  }
}
