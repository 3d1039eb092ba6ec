/**
 * A participant bank's configuration, validated once when it opens: the consortium's addresses, the bank's own
 * identity and accounts, its HSM key, the signed policy bundle and who may sign bundles, its audit log (with the
 * reservations and signing records in the same SQLite file or PostgreSQL database, or in files of their own), its
 * approval file, how transactions are submitted, and whether a standby process may take over.
 */
import { getAddress } from "ethers";
import { z } from "zod";
import { approvalConfigSchema } from "../approvals/config";
import { AuditStoreConfigSchema } from "../audit/config";
import { ConfigError, ErrorCode, schemaIssues } from "../errors";
import { engineConfigSchema } from "../policy/engine-config";
import { sharedSourceConfigSchema } from "../policy/shared-source";
import { RemoteSignerConfigSchema } from "../rsm/config";
import { ScreeningConfigSchema } from "../screening/config";
import { HsmSignerConfigSchema } from "../signer/config";
import { exactlyOneLocation, storageLocationFields } from "../storage/config";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address")
  .transform((a) => getAddress(a.toLowerCase()));

const partySchema = z.object({ id: z.string().min(1), roles: z.array(z.string().min(1)) }).strict();

export const participantConfigSchema = z
  .object({
    consortium: z
      .object({
        consortium: address,
        engine: address,
        auditAnchor: address.optional(),
        tokens: z.array(z.object({ symbol: z.string().min(1), address }).strict()).min(1),
        /** Block where event queries start. */
        fromBlock: z.number().int().nonnegative().default(0),
      })
      .strict(),
    bank: z
      .object({
        name: z.string().min(1),
        /** The bank's LEI, as the consortium registered it. */
        lei: z.string().min(1),
        /** Accounts holding the bank's positions (default: the HSM key's own address). */
        accounts: z.array(address).default([]),
      })
      .strict(),
    /** The bank's key in a local HSM; or `signer` names a key behind the remote signing module (exactly one). */
    hsm: HsmSignerConfigSchema.optional(),
    /** The bank's key behind the remote signing module (`src/rsm`); credentials from files or the environment. */
    signer: RemoteSignerConfigSchema.extend({ kind: z.literal("remote") }).optional(),
    /**
     * The custody configuration file (`src/custody`): the accounts custody holds are signed by their own keys
     * (segregated client keys; the omnibus address is the bank's key) at their custody tier.
     */
    custody: z
      .object({ config: z.string().min(1) })
      .strict()
      .optional(),
    /** The custody tier of the bank's own key (the custody directory gives its own keys' tiers). */
    keyTier: z.enum(["hot", "warm", "cold"]).default("warm"),
    /**
     * The screening provider run before every decision, for the counterparty and a segregated client:
     * `{ provider: "sanctions-list", file }`, `{ provider: "http", url, timeoutMs, retries, apiKey? }`, or `"none"`
     * (also `{ provider: "none" }`): the bank explicitly screens no counterparty (every one screens clear). The
     * choice is audited at every start. Without it, a screening function must be given to `Participant.open`, or
     * every call with a counterparty is denied.
     */
    screening: z.union([z.literal("none"), ScreeningConfigSchema]).optional(),
    /** Who initiates calls made through this object (the policy's `initiator`). */
    initiator: partySchema,
    policy: z
      .object({
        /** Directory of the signed bundle to activate at start (policy.wasm, data.json, manifest, signatures). */
        bundleDir: z.string().min(1),
        complianceKeys: z.array(address).min(1),
        threshold: z.number().int().min(1),
      })
      .strict(),
    audit: AuditStoreConfigSchema,
    /** Anchor the audit log's head on chain periodically (needs `consortium.auditAnchor`). */
    anchoring: z
      .object({
        intervalSeconds: z.number().int().positive(),
        /** Records appended since the last anchored head that make the next round anchor. */
        minNewRecords: z.number().int().positive().default(1),
      })
      .strict()
      .optional(),
    engine: engineConfigSchema,
    sharedParameters: sharedSourceConfigSchema.optional(),
    approvals: z
      .object({ ...storageLocationFields, config: approvalConfigSchema })
      .strict()
      .refine(...exactlyOneLocation),
    /**
     * A separate file of signing records. Omitted (with `engine.reservationsPath`), the signing records and the
     * reservations live in the audit log's SQLite file, and each signature is committed there once.
     */
    signingRecords: z
      .object({ path: z.string().min(1), busyTimeoutMs: z.number().int().positive().default(5000) })
      .strict()
      .optional(),
    /**
     * Two processes of the bank on one PostgreSQL, one active, the other waiting: the bank's leader lock is taken
     * before anything is opened, tried every `pollMs`, and checked every `heartbeatMs`; once it is lost, nothing
     * more is signed. Needs the signing ledger on PostgreSQL (`audit.url`, no separate files).
     */
    standby: z
      .object({
        pollMs: z.number().int().min(10).max(600_000).default(1_000),
        heartbeatMs: z.number().int().min(10).max(600_000).default(1_000),
      })
      .strict()
      .optional(),
    submission: z
      .object({
        /** Where signed transactions are kept by call (a SQLite `path` or `postgres`), so a retried call rebroadcasts the same bytes. */
        ...storageLocationFields,
        confirmations: z.number().int().min(1).default(1),
        receiptTimeoutMs: z.number().int().min(1).default(120_000),
        broadcastAttempts: z.number().int().min(1).max(20).default(3),
        backoffMs: z.number().int().min(0).default(500),
      })
      .strict()
      .refine(...exactlyOneLocation),
  })
  .strict()
  .refine((c) => (c.hsm === undefined) !== (c.signer === undefined), {
    message: "needs exactly one of hsm or signer",
    path: ["hsm"],
  })
  .refine((c) => c.anchoring === undefined || c.consortium.auditAnchor !== undefined, {
    message: "periodic anchoring needs consortium.auditAnchor",
    path: ["anchoring"],
  })
  .refine((c) => (c.signingRecords === undefined) === (c.engine.reservationsPath === undefined), {
    message: "give both signingRecords and engine.reservationsPath (separate files), or neither (one store)",
    path: ["signingRecords"],
  })
  .refine((c) => c.signingRecords !== undefined || c.audit.backend === "sqlite" || c.audit.url !== undefined, {
    message: "the signing ledger on PostgreSQL reads its URL from audit.url (an environment variable or a file)",
    path: ["audit", "url"],
  })
  .refine((c) => c.standby === undefined || (c.signingRecords === undefined && c.audit.backend === "postgres"), {
    message: "a standby needs the signing ledger on PostgreSQL (audit.url, no signingRecords)",
    path: ["standby"],
  });

export type ParticipantConfig = z.output<typeof participantConfigSchema>;
export type ParticipantConfigInput = z.input<typeof participantConfigSchema>;

/** Validates a participant configuration; throws CONFIG_INVALID listing paths and messages (never values). */
export function parseParticipantConfig(input: unknown): ParticipantConfig {
  const parsed = participantConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error);
  throw new ConfigError(
    ErrorCode.ConfigInvalid,
    `invalid participant configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}
