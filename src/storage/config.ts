/**
 * Where a store lives: a SQLite file (`path`, as every configuration had it) or a PostgreSQL database
 * (`postgres`, whose URL comes from an environment variable or a file and is never logged). Store
 * configurations embed `storageLocationFields` and check them with `exactlyOneLocation`.
 */
import { z } from "zod";
import { readSecret } from "../core/secrets";
import { schemaIssues } from "../errors";
import { StorageError } from "./errors";

/** `{ "env": NAME }` or `{ "file": path }`: where the PostgreSQL URL is read at open, never a literal. */
export const PostgresUrlSourceSchema = z.union([
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name") }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

export const PostgresLocationSchema = z
  .object({
    url: PostgresUrlSourceSchema,
    /** Connections in the store's pool. */
    poolSize: z.number().int().min(1).max(100).default(4),
  })
  .strict();
export type PostgresLocation = z.output<typeof PostgresLocationSchema>;
export type PostgresLocationInput = z.input<typeof PostgresLocationSchema>;

/** The fields a store's configuration object gains: exactly one of them must be given. */
export const storageLocationFields = {
  /** The SQLite file (created if absent). */
  path: z.string().min(1).optional(),
  /** A PostgreSQL database instead of a file. */
  postgres: PostgresLocationSchema.optional(),
};

/** Refinement for a configuration with `storageLocationFields`: one of `path` and `postgres`, not both. */
export const exactlyOneLocation = [
  (c: { path?: string; postgres?: unknown }): boolean => (c.path === undefined) !== (c.postgres === undefined),
  { message: "needs exactly one of path (SQLite) or postgres" },
] as const;

/** A resolved location: the file, or the server with its URL read from its source. */
export type StorageTarget =
  { dialect: "sqlite"; path: string; busyTimeoutMs: number } | { dialect: "postgres"; url: string; poolSize: number };

/** What a store's options may carry: a SQLite path or a PostgreSQL location, and the SQLite busy timeout. */
export interface StorageLocationInput {
  path?: string;
  postgres?: PostgresLocationInput;
  busyTimeoutMs?: number;
}

/** Checks that exactly one location is given and reads the PostgreSQL URL from its source. */
export function resolveStorageTarget(input: StorageLocationInput): StorageTarget {
  if ((input.path === undefined) === (input.postgres === undefined)) {
    throw new StorageError("STORAGE_CONFIG_INVALID", "a store needs exactly one of path (SQLite) or postgres");
  }
  if (input.path !== undefined) {
    return { dialect: "sqlite", path: input.path, busyTimeoutMs: input.busyTimeoutMs ?? 5_000 };
  }
  const parsed = PostgresLocationSchema.safeParse(input.postgres);
  if (!parsed.success) {
    throw new StorageError("STORAGE_CONFIG_INVALID", "invalid postgres location", {
      issues: schemaIssues(parsed.error),
    });
  }
  const { url: source, poolSize } = parsed.data;
  const url = readSecret(source, (cause) => {
    const from = "env" in source ? { env: source.env } : { file: source.file };
    return new StorageError("STORAGE_CONFIG_INVALID", "the PostgreSQL URL is not available", from, cause);
  });
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new StorageError("STORAGE_CONFIG_INVALID", "the PostgreSQL URL must start with postgres:// or postgresql://");
  }
  return { dialect: "postgres", url, poolSize };
}

/** Where a target points, without credentials: the file, or `host:port/database`. */
export function describeTarget(target: StorageTarget): string {
  if (target.dialect === "sqlite") return target.path;
  try {
    const url = new URL(target.url);
    return `${url.hostname}${url.port === "" ? "" : `:${url.port}`}${url.pathname}`;
  } catch {
    return "the configured PostgreSQL server";
  }
}
