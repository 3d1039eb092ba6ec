/**
 * Reading the files operators hand in (configurations, data documents): a missing file is CONFIG_NOT_FOUND, an
 * unreadable or non-JSON one CONFIG_MALFORMED, the codes every task maps to the same exit statuses. Secrets are
 * read by `readSecret` (./secrets).
 */
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
