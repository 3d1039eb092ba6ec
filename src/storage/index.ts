/**
 * The storage layer shared by the off-chain stores: one kysely database on SQLite (a durable file) or
 * PostgreSQL, versioned migrations kept in code per store, durable serialised writes, and the leader lock
 * that lets a standby process take over from the active one; and the write set one signature stages in several
 * stores and commits in one transaction.
 */
export { openDurableSqlite } from "./sqlite";
export { WalSync } from "./wal-sync";
export {
  describeTarget,
  exactlyOneLocation,
  PostgresLocationSchema,
  PostgresUrlSourceSchema,
  resolveStorageTarget,
  storageLocationFields,
  type PostgresLocation,
  type PostgresLocationInput,
  type StorageLocationInput,
  type StorageTarget,
} from "./config";
export { openStoreDatabase, StorageDatabase } from "./database";
export { StorageError, StorageSchemaTooNewError, type StorageErrorCode } from "./errors";
export {
  defineStoreSchema,
  execStatements,
  migrateStore,
  migrationTable,
  migrationVersion,
  type StorageDialect,
  type StoreMigration,
  type StoreSchema,
  type UntypedKysely,
} from "./migrations";
export {
  LeaderConfigSchema,
  leaderKey,
  LeaderLock,
  type LeaderConfig,
  type LeaderConfigInput,
  type LeaderWaitOptions,
} from "./leader";
export type { StagedWrite } from "./staged-write";
