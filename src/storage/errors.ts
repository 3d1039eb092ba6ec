/**
 * Typed errors of the storage layer: `FrameworkError`s with a stable STORAGE_* `code` and structured details
 * (the store, the database's and the code's schema versions, where the database is; never a connection URL).
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the storage layer raises (the STORAGE_* members of `ErrorCode`). */
export type StorageErrorCode = Extract<ErrorCode, `STORAGE_${string}`>;

/** Base class of every storage error. Branch with `isFrameworkError(error, code)`. */
export class StorageError extends FrameworkError<StorageErrorCode> {}

/** The database holds migrations of `store` this code does not know: it was written by a newer release. */
export class StorageSchemaTooNewError extends StorageError {
  constructor(store: string, databaseVersion: number, codeVersion: number, unknown: readonly string[]) {
    super(
      "STORAGE_SCHEMA_TOO_NEW",
      `the ${store} store's schema is at version ${databaseVersion}, newer than version ${codeVersion} this code ` +
        "knows: upgrade the software before opening this database",
      { store, databaseVersion, codeVersion, unknownMigrations: [...unknown] },
    );
  }
}
