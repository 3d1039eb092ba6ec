/**
 * One store's part of a write set (`WriteSet` in src/audit): rows a store stages for a transaction that another
 * owner of the same database commits. The store holds the write in memory until it is settled or dropped.
 */
/** One store's part of a write set. */
export interface StagedWrite {
  /** Writes the rows (inside the shared transaction; throws to refuse the whole write set). */
  apply(): void;
  /** The transaction committed: the store stops holding the write in memory. */
  settle(): void;
  /** The transaction will not happen (or failed): the store forgets the write. */
  drop(): void;
}
