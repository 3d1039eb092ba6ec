/**
 * How a bank chooses its screening provider in its participant configuration, without code: a local sanctions
 * list, a screening service over HTTP (timeouts, retries and backoff from configuration, an API key from the
 * environment or a file, never in the file), or `none`, the bank's explicit choice to screen nobody.
 */
import path from "node:path";
import { z } from "zod";
import { readSecret, SecretSourceSchema } from "../core/secrets";
import { ScreeningError } from "./errors";
import { HttpScreeningProvider } from "./http";
import type { ScreeningProvider } from "./provider";
import { SanctionsListProvider } from "./sanctions-list";

export const ScreeningConfigSchema = z.discriminatedUnion("provider", [
  z.object({ provider: z.literal("none") }).strict(),
  z
    .object({
      provider: z.literal("sanctions-list"),
      /** The OFAC SDN-style CSV file (relative paths from the process's working directory). */
      file: z.string().min(1),
      /** The list's name as matches report it. */
      list: z.string().min(1).max(64).default("SDN"),
    })
    .strict(),
  z
    .object({
      provider: z.literal("http"),
      name: z.string().min(1).max(64).default("screening-service"),
      url: z.string().url(),
      timeoutMs: z.number().int().min(1).max(60_000),
      retries: z.number().int().min(0).max(10),
      backoffMs: z.number().int().min(0).max(60_000).default(200),
      maxBackoffMs: z.number().int().min(0).max(300_000).default(2_000),
      maxAnswerBytes: z.number().int().min(256).max(1_048_576).default(65_536),
      /** The service's API key, sent as a bearer token: the name of an environment variable or a file. */
      apiKey: SecretSourceSchema.optional(),
    })
    .strict(),
]);
export type ScreeningConfig = z.output<typeof ScreeningConfigSchema>;
export type ScreeningConfigInput = z.input<typeof ScreeningConfigSchema>;

/**
 * The provider `config` names, or null for `none`. An API key that cannot be read refuses to open
 * (SCREENING_CONFIG_INVALID naming where it should have been), so a bank never starts with a service it cannot ask.
 */
export function openScreeningProvider(config: ScreeningConfig): ScreeningProvider | null {
  if (config.provider === "none") return null;
  if (config.provider === "sanctions-list") {
    return new SanctionsListProvider({ path: path.resolve(config.file), list: config.list });
  }
  const { apiKey: source, ...rest } = config;
  const apiKey =
    source === undefined
      ? undefined
      : readSecret(
          source,
          (error) =>
            new ScreeningError(
              "SCREENING_CONFIG_INVALID",
              `the screening service's API key is unavailable: ${error.message}`,
              { provider: rest.name },
              error,
            ),
        );
  const { name, url, timeoutMs, retries, backoffMs, maxBackoffMs, maxAnswerBytes } = rest;
  const settings = { name, url, timeoutMs, retries, backoffMs, maxBackoffMs, maxAnswerBytes };
  return new HttpScreeningProvider({ ...settings, ...(apiKey === undefined ? {} : { apiKey }) });
}
