/**
 * Configuration of the HSM signer, validated once with zod. The PIN is never a literal: the config
 * names an environment variable or a file, read only when a session logs in.
 */
import { z } from "zod";
import { HsmConfigError, HsmPinUnavailableError } from "./errors";
import { schemaIssues } from "../errors";
import { readSecret, SecretSourceSchema } from "../core/secrets";

const HEX_ID = /^(0x)?([0-9a-fA-F]{2})+$/;

/** Where the user PIN comes from. Strict: a `{ pin: "1234" }` or `{ value: ... }` literal is rejected. */
export const PinSourceSchema = SecretSourceSchema;

/** Which key pair on the token: by CKA_LABEL or by CKA_ID (hex). */
export const KeySelectorSchema = z.union([
  z.object({ label: z.string().min(1) }).strict(),
  z.object({ id: z.string().regex(HEX_ID, "must be hex bytes") }).strict(),
]);

/** Full signer configuration; defaults fill the pool size and retry policy. */
export const HsmSignerConfigSchema = z
  .object({
    /** Path of the PKCS#11 module (shared library). */
    modulePath: z.string().min(1),
    /** CKA label of the token (PKCS#11 pads labels to 32 characters). */
    tokenLabel: z.string().min(1).max(32),
    pin: PinSourceSchema,
    key: KeySelectorSchema,
    /** Sessions kept open on the token; each runs one operation at a time. */
    sessions: z.number().int().min(1).max(64).default(2),
    retry: z
      .object({
        /** Recovery attempts after the first failure (so `maxRetries + 1` attempts in all). */
        maxRetries: z.number().int().min(0).max(20).default(3),
        /** Pause before retry k is `k * backoffMs`. */
        backoffMs: z.number().int().min(0).max(60_000).default(20),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Configuration as written by a user (defaults optional). */
export type HsmSignerConfigInput = z.input<typeof HsmSignerConfigSchema>;
/** Configuration after validation, defaults applied. */
export type HsmSignerConfig = z.output<typeof HsmSignerConfigSchema>;
export type PinSource = z.output<typeof PinSourceSchema>;
export type KeySelector = z.output<typeof KeySelectorSchema>;

/** Validates a configuration; throws `HsmConfigError` listing paths and messages (never values). */
export function parseHsmSignerConfig(input: unknown): HsmSignerConfig {
  const parsed = HsmSignerConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new HsmConfigError(schemaIssues(parsed.error));
  }
  return parsed.data;
}

/** Reads the PIN from its source. The value is returned to the caller only, never stored or logged. */
export function resolvePin(source: PinSource): string {
  return readSecret(source, (cause) => new HsmPinUnavailableError(source, cause));
}

/** The selector as CKA_LABEL / CKA_ID attribute values. */
export function keySelectorBytes(key: KeySelector): { label?: string; id?: Buffer } {
  if ("label" in key) return { label: key.label };
  return { id: Buffer.from(key.id.replace(/^0x/, ""), "hex") };
}
