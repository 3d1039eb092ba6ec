/**
 * Configuration of the audit store, validated once with zod: SQLite (a file path) by default, PostgreSQL
 * when a connection string is given, or `url`, the environment variable or file it is read from.
 */
import { z } from "zod";
import { AuditConfigError } from "./errors";
import { PostgresAuditStore } from "./postgres-store";
import { SqliteAuditStore } from "./sqlite-store";
import { BaseAuditStore, type AuditStore } from "./store";
import { schemaIssues } from "../errors";
import { PostgresUrlSourceSchema, resolveStorageTarget } from "../storage/config";

const common = {
  /** Table holding the log (lowercase SQL identifier). */
  table: z.string().regex(BaseAuditStore.TABLE_NAME, "must be a lowercase SQL identifier").default("audit_log"),
  /** Records fetched per query when iterating, verifying or exporting. */
  pageSize: z.number().int().min(1).max(100_000).default(1_000),
};

export const SqliteAuditConfigSchema = z
  .object({
    backend: z.literal("sqlite"),
    /** The database file (created if absent). */
    path: z.string().min(1),
    /** How long an append waits for another connection's write lock. */
    busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
    ...common,
  })
  .strict();

export const PostgresAuditConfigSchema = z
  .object({
    backend: z.literal("postgres"),
    connectionString: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
    /** Instead of `connectionString`: where the URL is read at open (`{ env }` or `{ file }`), never logged. */
    url: PostgresUrlSourceSchema.optional(),
    /** Connections in the store's pool. */
    poolSize: z.number().int().min(1).max(100).default(4),
    ...common,
  })
  .strict();

/** Fills in `backend` when omitted: PostgreSQL when a connection string is given, SQLite otherwise. */
function withBackend(input: unknown): unknown {
  if (typeof input !== "object" || input === null || "backend" in input) return input;
  return { ...input, backend: "connectionString" in input || "url" in input ? "postgres" : "sqlite" };
}

export const AuditStoreConfigSchema = z.preprocess(
  withBackend,
  z
    .discriminatedUnion("backend", [SqliteAuditConfigSchema, PostgresAuditConfigSchema])
    .refine((c) => c.backend === "sqlite" || (c.connectionString === undefined) !== (c.url === undefined), {
      message: "needs exactly one of connectionString or url",
      path: ["url"],
    }),
);

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
/** Configuration as written by a user (`backend` and defaults optional). */
export type AuditStoreConfigInput =
  | Optional<z.input<typeof SqliteAuditConfigSchema>, "backend">
  | Optional<z.input<typeof PostgresAuditConfigSchema>, "backend">;
/** Configuration after validation, defaults applied. */
export type AuditStoreConfig = z.output<typeof AuditStoreConfigSchema>;

/** Validates a configuration; throws `AuditConfigError` listing paths and messages (never values). */
export function parseAuditStoreConfig(input: unknown): AuditStoreConfig {
  const parsed = AuditStoreConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new AuditConfigError(schemaIssues(parsed.error));
  }
  return parsed.data;
}

/** Opens the configured store: SQLite by default, PostgreSQL when `connectionString` is given. */
export async function openAuditStore(input: AuditStoreConfigInput): Promise<AuditStore> {
  const config = parseAuditStoreConfig(input);
  if (config.backend === "postgres") {
    return PostgresAuditStore.open({ ...config, connectionString: auditConnectionString(config) });
  }
  return SqliteAuditStore.open(config);
}

/** The PostgreSQL URL of a configuration: given literally, or read from its environment variable or file. */
export function auditConnectionString(config: Extract<AuditStoreConfig, { backend: "postgres" }>): string {
  if (config.connectionString !== undefined) return config.connectionString;
  const target = resolveStorageTarget({ postgres: { url: config.url!, poolSize: config.poolSize } });
  return target.dialect === "postgres" ? target.url : "";
}
