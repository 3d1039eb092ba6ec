/**
 * Local durable storage shared by the off-chain modules (audit log, signing records), and the write set one
 * signature stages in several stores and commits in one transaction. Each caller maps failures to its own
 * typed errors.
 */
export { openDurableSqlite } from "./sqlite";
export { WriteSet, type StagedAudit, type StagedWrite } from "./write-set";
