/**
 * Tamper-evident audit log: every policy decision, approval, bundle activation and signature is appended to
 * a hash-chained log (SQLite by default, PostgreSQL when configured) that a bank and its auditors can verify,
 * in the database or from a JSON Lines export, naming the first record that was altered, removed, reordered
 * or inserted. Truncation of the tail is caught only against anchors (heads recorded elsewhere).
 */
export {
  anchorHead,
  AuditAnchorEmptyLogError,
  AuditAnchorNotMinedError,
  bytes32ToHead,
  fetchAnchors,
  headToBytes32,
  type AnchorResult,
} from "./anchor";
export { AuditAnchorSchedule, type AuditAnchorScheduleOptions } from "./anchor-schedule";
export {
  AuditStoreConfigSchema,
  openAuditStore,
  parseAuditStoreConfig,
  PostgresAuditConfigSchema,
  SqliteAuditConfigSchema,
  type AuditStoreConfig,
  type AuditStoreConfigInput,
} from "./config";
export {
  AuditAppendError,
  AuditConfigError,
  AuditEntryInvalidError,
  AuditError,
  AuditExportError,
  AuditExportUnreadableError,
  AuditReadRangeError,
  AuditRecordCorruptError,
  AuditStoreClosedError,
  AuditStoreUnavailableError,
  AuditVerifyFailedError,
  type AuditErrorCode,
} from "./errors";
export { jsonlLine, parseJsonlLine, verifyJsonl, writeJsonl } from "./jsonl";
export { PostgresAuditStore, type PostgresAuditStoreOptions } from "./postgres-store";
export {
  AUDIT_HASH_TAG,
  AUDIT_KINDS,
  encodePayload,
  GENESIS_HASH,
  recordHash,
  type AuditEntry,
  type AuditHead,
  type AuditKind,
  type AuditRecord,
  type JsonValue,
  type StoredRecord,
} from "./record";
export { SqliteAuditStore, type SqliteAuditStoreOptions } from "./sqlite-store";
export { BaseAuditStore, type AuditStore } from "./store";
export { ChainVerifier, type AuditProblem, type AuditViolation, type VerifyOptions, type VerifyResult } from "./verify";
export { WriteSet, type StagedAudit } from "./write-set";
