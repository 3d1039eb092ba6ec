/**
 * What a log line must never carry: the value of any field named like a secret (pin, passphrase, password,
 * secret, token, authorization, private key, connection string, mnemonic, api key), at any depth, and the
 * password of a URL with credentials (`postgres://user:password@host`) in any string, the message included.
 */

/** The text written in place of a secret. */
export const REDACTED = "[REDACTED]";

/** Field names (as lowercase word sequences) whose value is a secret; matched against a name's last words. */
const SECRET_NAMES: readonly (readonly string[])[] = [
  ["pin"],
  ["passphrase"],
  ["password"],
  ["passwd"],
  ["secret"],
  ["token"],
  ["authorization"],
  ["cookie"],
  ["mnemonic"],
  ["private", "key"],
  ["privatekey"],
  ["api", "key"],
  ["apikey"],
  ["connection", "string"],
  ["connectionstring"],
  ["database", "url"],
  ["seed"],
];

const DEPTH_LIMIT = 12;
/** `scheme://user:password@` and `scheme://:password@`: the password part is replaced. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** The words of a field name (`hsmPin` -> hsm, pin; `private_key` -> private, key; `X-Api-Key` -> x, api, key). */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "")
    .map((w) => w.toLowerCase());
}

/** True when a field of this name holds a secret (`pin`, `hsmPin`, `PASSWORD`, `x-api-key`, not `tokenLabel`). */
export function isSecretName(name: string): boolean {
  const parts = words(name);
  return SECRET_NAMES.some(
    (secret) => parts.length >= secret.length && secret.every((w, i) => parts[parts.length - secret.length + i] === w),
  );
}

/** `text` with the password of every URL with credentials replaced. */
export function redactText(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
}

/** A copy of `value` with every secret field's value and every URL password replaced (errors become plain objects). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= DEPTH_LIMIT) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const source: Record<string, unknown> =
    value instanceof Error
      ? {
          type: value.name,
          message: value.message,
          stack: value.stack,
          ...(value as unknown as Record<string, unknown>),
        }
      : (value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(source)) {
    out[key] = isSecretName(key) ? REDACTED : redactValue(v, depth + 1);
  }
  if (value instanceof Error && value.cause !== undefined) out.cause = redactValue(value.cause, depth + 1);
  return out;
}
