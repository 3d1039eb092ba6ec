/**
 * Configuration of the remote signing module and of its client, validated once with zod. Private keys and
 * passphrases are never literals (only files or environment variables); every limit (clock skew, request
 * lifetime, body size, timeouts) comes from here.
 */
import type { KeyObject } from "node:crypto";
import { getAddress } from "ethers";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { exactlyOneLocation, storageLocationFields } from "../storage/config";
import { RsmConfigError } from "./errors";
import {
  loadPrivateKey,
  loadPublicKey,
  PrivateKeySourceSchema,
  PublicKeySourceSchema,
  SIGNING_ALGORITHMS,
  type RsmSigningAlgorithm,
} from "./keys";

const id = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 of A-Z a-z 0-9 . _ : -");
const kid = z.string().min(1).max(128);
const alg = z.enum(SIGNING_ALGORITHMS);
/** The largest clock skew a configuration may allow: request ids are kept at least this long past `exp`. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** The module's configuration. */
export const RsmServiceConfigSchema = z
  .object({
    /** This module's id: the `aud` every request must carry and the `iss` of every answer. */
    moduleId: id,
    listen: z
      .object({ host: z.string().min(1).default("127.0.0.1"), port: z.number().int().min(0).max(65_535) })
      .strict(),
    /** P-256 key requests are encrypted to (ECDH-ES+A256KW); `kid` must match the JWE header. */
    encryptionKey: z.object({ kid, key: PrivateKeySourceSchema }).strict(),
    /** Key that signs every answer, so the middleware can trust it. */
    responseKey: z.object({ kid, alg, key: PrivateKeySourceSchema }).strict(),
    /** Middleware instances allowed to send requests: issuer id, the `kid` of its key, its algorithm and key. */
    middleware: z
      .array(z.object({ id, kid, alg, publicKey: PublicKeySourceSchema }).strict())
      .min(1)
      .superRefine((list, ctx) => {
        list.forEach((m, i) => {
          if (list.findIndex((other) => other.kid === m.kid) !== i) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, "kid"], message: "duplicate kid" });
          }
        });
      }),
    /** Tolerated clock difference with the middleware, for `iat` and `exp`. */
    clockSkewSeconds: z.number().int().min(0).max(MAX_CLOCK_SKEW_SECONDS).default(30),
    /** Longest accepted `exp - iat`: bounds how long a request (and its replay record) lives. */
    maxLifetimeSeconds: z.number().int().min(1).max(3_600).default(120),
    /** Where used request ids are kept: a SQLite `path` or a `postgres` database. */
    replayStore: z
      .object({ ...storageLocationFields, busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000) })
      .strict()
      .refine(...exactlyOneLocation),
    limits: z
      .object({
        /** Largest accepted request body; larger ones are refused with 413 without being read to the end. */
        maxBodyBytes: z.number().int().min(1_024).max(1_048_576).default(65_536),
        /** Time allowed to receive a request body once its headers arrived. */
        requestTimeoutMs: z.number().int().min(10).max(300_000).default(10_000),
        /** Time allowed to receive the request headers. */
        headersTimeoutMs: z.number().int().min(10).max(300_000).default(5_000),
      })
      .strict()
      .default({}),
  })
  .strict();

/** The client's (`RemoteSigner`) configuration. */
export const RemoteSignerConfigSchema = z
  .object({
    /** Base URL of the module, for example `https://rsm.bank.internal:8443`. */
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL"),
    moduleId: id,
    /** This middleware's id: the `iss` of its requests and the `aud` of the answers. */
    middlewareId: id,
    /** Address of the key (served by the module) this signer signs with. */
    signer: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address")
      .transform((a) => getAddress(a.toLowerCase())),
    signingKey: z.object({ kid, alg, key: PrivateKeySourceSchema }).strict(),
    moduleEncryptionKey: z.object({ kid, publicKey: PublicKeySourceSchema }).strict(),
    moduleResponseKey: z.object({ kid, alg, publicKey: PublicKeySourceSchema }).strict(),
    /** `exp - iat` of each request; must not exceed the module's `maxLifetimeSeconds`. */
    requestLifetimeSeconds: z.number().int().min(1).max(3_600).default(60),
    /** Time allowed for one request, from sending to the verified answer. */
    timeoutMs: z.number().int().min(10).max(300_000).default(10_000),
  })
  .strict();

export type RsmServiceConfigInput = z.input<typeof RsmServiceConfigSchema>;
export type RsmServiceConfig = z.output<typeof RsmServiceConfigSchema>;
export type RemoteSignerConfigInput = z.input<typeof RemoteSignerConfigSchema>;
export type RemoteSignerConfig = z.output<typeof RemoteSignerConfigSchema>;

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new RsmConfigError(schemaIssues(parsed.error));
  return parsed.data as z.output<T>;
}

/** Validates the module's configuration; throws `RsmConfigError` listing paths and messages (never values). */
export function parseRsmServiceConfig(input: unknown): RsmServiceConfig {
  return parse(RsmServiceConfigSchema, input);
}

/** Validates the client's configuration; throws `RsmConfigError` listing paths and messages (never values). */
export function parseRemoteSignerConfig(input: unknown): RemoteSignerConfig {
  return parse(RemoteSignerConfigSchema, input);
}

/** A middleware key the module accepts. */
export interface TrustedSender {
  id: string;
  alg: RsmSigningAlgorithm;
  key: KeyObject;
}

/** The module's keys, loaded and checked. */
export interface RsmServiceKeys {
  encryption: KeyObject;
  response: KeyObject;
  /** Trusted middleware keys by `kid`. */
  senders: ReadonlyMap<string, TrustedSender>;
}

/** Loads the module's keys (throws `RsmKeyUnavailableError`, naming the key but never its content). */
export function loadServiceKeys(config: RsmServiceConfig): RsmServiceKeys {
  return {
    encryption: loadPrivateKey("encryptionKey", config.encryptionKey.key, "ECDH-ES"),
    response: loadPrivateKey("responseKey", config.responseKey.key, config.responseKey.alg),
    senders: new Map(
      config.middleware.map((m, i) => [
        m.kid,
        { id: m.id, alg: m.alg, key: loadPublicKey(`middleware.${i}.publicKey`, m.publicKey, m.alg) },
      ]),
    ),
  };
}

/** The client's keys, loaded and checked. */
export interface RemoteSignerKeys {
  signing: KeyObject;
  moduleEncryption: KeyObject;
  moduleResponse: KeyObject;
}

/** Loads the client's keys (throws `RsmKeyUnavailableError`). */
export function loadClientKeys(config: RemoteSignerConfig): RemoteSignerKeys {
  return {
    signing: loadPrivateKey("signingKey", config.signingKey.key, config.signingKey.alg),
    moduleEncryption: loadPublicKey("moduleEncryptionKey", config.moduleEncryptionKey.publicKey, "ECDH-ES"),
    moduleResponse: loadPublicKey(
      "moduleResponseKey",
      config.moduleResponseKey.publicKey,
      config.moduleResponseKey.alg,
    ),
  };
}
