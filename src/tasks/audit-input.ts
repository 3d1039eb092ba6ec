/**
 * Which audit log a task reads: `--audit <file>` for a bank's SQLite log, or `--audit-config <file>` for a JSON
 * store configuration (the way to reach PostgreSQL, whose connection string, with its password, belongs in a
 * file or the environment and never on a command line). A SQLite path must exist: a task never creates a log.
 */
import { existsSync } from "node:fs";
import { openAuditStore, type AuditStore } from "../audit";
import { readJsonFile } from "../core/files";
import { ConfigError, ErrorCode, TaskInputError } from "../errors";

export interface AuditArgs {
  audit?: string;
  auditConfig?: string;
}

/** Opens the log the arguments name; exactly one of `--audit` and `--audit-config` must be given. */
export async function openTaskAudit(args: AuditArgs): Promise<AuditStore> {
  if ((args.audit === undefined) === (args.auditConfig === undefined)) {
    throw new TaskInputError(
      ErrorCode.InputMissing,
      "give exactly one of --audit <sqlite file> and --audit-config <file>",
    );
  }
  if (args.audit !== undefined) {
    if (!existsSync(args.audit)) {
      throw new ConfigError(ErrorCode.ConfigNotFound, `--audit ${args.audit}: no such audit log`, { path: args.audit });
    }
    return openAuditStore({ path: args.audit });
  }
  const config = await readJsonFile(args.auditConfig!, "audit store configuration");
  return openAuditStore(config as Parameters<typeof openAuditStore>[0]);
}
