/**
 * Secrets operators hand in (HSM PINs, keystore passphrases, private keys): never literals in a configuration,
 * only the name of an environment variable or a file. The value goes to the caller only; errors say where it
 * should have been and why it was not there, never what it was.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { CoreSecretUnavailableError } from "./errors";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where a secret comes from. Strict: a `{ pin: "1234" }` or `{ value: ... }` literal is rejected. */
export const SecretSourceSchema = z.union([
  z.object({ env: z.string().regex(ENV_NAME, "must be an environment variable name") }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretSource = z.output<typeof SecretSourceSchema>;

/**
 * The secret at `source` (a file's one trailing newline removed). When the variable is unset or empty, or the
 * file is unreadable or empty, throws `CoreSecretUnavailableError`, or what `unavailable` makes of it (a module's
 * own error, with the core error as its cause).
 */
export function readSecret(
  source: SecretSource,
  unavailable: (error: CoreSecretUnavailableError) => Error = (error) => error,
  env: NodeJS.ProcessEnv = process.env,
): string {
  let value: string | undefined;
  if ("env" in source) {
    value = env[source.env];
    if (value === undefined) throw unavailable(new CoreSecretUnavailableError(source, "unset"));
  } else {
    try {
      value = readFileSync(source.file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw unavailable(new CoreSecretUnavailableError(source, "unreadable", error));
    }
  }
  if (value === "") throw unavailable(new CoreSecretUnavailableError(source, "empty"));
  return value;
}
