/**
 * Reading what operators hand in as files or environment variables: a JSON document (a missing file is
 * CONFIG_NOT_FOUND, an unreadable or non-JSON one CONFIG_MALFORMED) and a secret (a PIN, a passphrase) from
 * an environment variable or a file, whose value is returned to the caller only and never logged.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ConfigError, ErrorCode } from "../errors";

/** Reads a text file; `what` names it in messages ("configuration file"). */
export async function readTextFile(file: string, what = "file"): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new ConfigError(
      missing ? ErrorCode.ConfigNotFound : ErrorCode.ConfigMalformed,
      missing ? `${file}: no such ${what}` : `${file}: cannot read (${(error as Error).message})`,
      { file },
      error,
    );
  }
}

/** Reads and parses a JSON file; `what` names it in messages ("custody configuration file"). */
export async function readJsonFile(file: string, what = "file"): Promise<unknown> {
  const text = await readTextFile(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(
      ErrorCode.ConfigMalformed,
      `${file}: not valid JSON (${(error as Error).message})`,
      { file },
      error,
    );
  }
}

/** Where a secret comes from: an environment variable or a file (never a literal). */
export type SecretSource = { env: string } | { file: string };

/**
 * The secret at `source` (a file's one trailing newline removed), or the error `unavailable` builds when the
 * variable is unset or empty or the file cannot be read or is empty.
 */
export function readSecret(source: SecretSource, unavailable: (cause?: unknown) => Error): string {
  let value: string | undefined;
  if ("env" in source) {
    value = process.env[source.env];
  } else {
    try {
      value = readFileSync(source.file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw unavailable(error);
    }
  }
  if (value === undefined || value === "") throw unavailable();
  return value;
}
