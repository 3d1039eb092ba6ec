/**
 * Local durable storage shared by the off-chain modules (audit log, signing records). Nothing here knows
 * what is stored; each caller maps failures to its own typed errors.
 */
export { openDurableSqlite } from "./sqlite";
