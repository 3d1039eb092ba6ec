/**
 * Reading a consortium configuration: a JSON file is read, parsed and validated once, and every failure
 * becomes a `ConfigError` naming the file and the path of the bad field.
 */
import type { ZodIssue } from "zod";
import { ConfigError, ErrorCode } from "../errors";
import { readTextFile } from "../core/files";
import { consortiumConfigSchema, formatPath, type ConsortiumConfig } from "./schema";

/** One problem found in a configuration, at a dotted path such as `members[1].lei`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Reads, parses and validates a consortium configuration file. */
export async function loadConsortiumConfig(file: string): Promise<ConsortiumConfig> {
  return parseConsortiumConfig(await readTextFile(file, "configuration file"), file);
}

/** Parses and validates configuration text; `source` names it in errors. */
export function parseConsortiumConfig(text: string, source = "<config>"): ConsortiumConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const where = jsonErrorLocation(text, (error as Error).message);
    throw new ConfigError(
      ErrorCode.ConfigMalformed,
      `${source}: not valid JSON${where} (${(error as Error).message})`,
      { file: source },
      error,
    );
  }
  return validateConsortiumConfig(json, source);
}

/** Validates an already parsed value against the schema. */
export function validateConsortiumConfig(value: unknown, source = "<config>"): ConsortiumConfig {
  const result = consortiumConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => toConfigIssue(issue, value));
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  throw new ConfigError(
    ErrorCode.ConfigInvalid,
    `${source}: ${first.path}: ${first.message}${more}`,
    { file: source, path: first.path, issues },
    result.error,
  );
}

function toConfigIssue(issue: ZodIssue, input: unknown): ConfigIssue {
  const path = issue.path.length === 0 ? "(root)" : formatPath(issue.path);
  const given = issue.path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined),
    input,
  );
  if (given === undefined && ["invalid_type", "invalid_union"].includes(issue.code)) {
    return { path, message: "is required" };
  }
  if (issue.code === "unrecognized_keys") return { path, message: `unknown field(s) ${issue.keys.join(", ")}` };
  return { path, message: issue.message };
}

/** " at line L, column C" from the position in a JSON.parse message, or "" when it names none. */
function jsonErrorLocation(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  if (match === null) return "";
  const before = text.slice(0, Number(match[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column}`;
}
