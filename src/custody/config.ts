/**
 * The custody model as configuration, validated once with zod. `omnibus`: one bank address holds every client's
 * tokens and an off-chain ledger (a SQLite file) books each client's position. `segregated`: each client has its
 * own address, from an HD index under the bank's encrypted seed, or from a key in an HSM. Every key carries a
 * tier (hot, warm, cold). Secrets are never literals: passphrases and PINs come from an environment variable
 * or a file.
 */
import { getAddress } from "ethers";
import { z } from "zod";
// The signer's config module only: the signer's index loads the PKCS#11 binding, which tasks must not pay for.
import { HsmSignerConfigSchema, PinSourceSchema } from "../signer/config";
import { exactlyOneLocation, storageLocationFields } from "../storage/config";

/** Key tiers, as the bank policy's `key_tier` field knows them (src/policy/intent.ts `KEY_TIERS`). */
export const KEY_TIERS = ["hot", "warm", "cold"] as const;
export type KeyTier = (typeof KEY_TIERS)[number];

/** Highest non-hardened BIP32 child index: client indexes are the last, non-hardened level of the path. */
export const MAX_CLIENT_INDEX = 2 ** 31 - 1;

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address")
  .transform((a) => getAddress(a.toLowerCase()));

/** Where a secret (keystore passphrase, HSM PIN) comes from: `{ "env": NAME }` or `{ "file": path }`, no literal. */
export const SecretSourceSchema = PinSourceSchema;
export type SecretSource = z.output<typeof SecretSourceSchema>;

const tier = z.enum(KEY_TIERS);

/** The PKCS#11 module shared by every HSM key of the configuration; `pin` is the default for every token. */
export const HsmModuleSchema = HsmSignerConfigSchema.pick({ modulePath: true, sessions: true, retry: true }).extend({
  pin: SecretSourceSchema.optional(),
});

/** One key pair in the HSM: its token and its CKA_LABEL; `pin` overrides the module's default for the token. */
export const HsmKeyRefSchema = z
  .object({
    tokenLabel: z.string().min(1).max(32),
    keyLabel: z.string().min(1),
    pin: SecretSourceSchema.optional(),
  })
  .strict();

/** A client of segregated custody: its address and tier, and either an HD index or an HSM key (not both). */
export const ClientKeySchema = z
  .object({
    address,
    tier,
    hd: z
      .object({ index: z.number().int().min(0).max(MAX_CLIENT_INDEX) })
      .strict()
      .optional(),
    hsm: HsmKeyRefSchema.optional(),
  })
  .strict()
  .refine((c) => (c.hd === undefined) !== (c.hsm === undefined), "needs exactly one of hd or hsm");

const bank = z.string().min(1);
const clientId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "must be a client id (letters, digits, ._:-)");

export const OmnibusCustodySchema = z
  .object({
    model: z.literal("omnibus"),
    bank,
    /** The bank's one address holding every client's tokens; `hsm` names its key when it lives in an HSM. */
    omnibus: z.object({ address, tier, hsm: HsmKeyRefSchema.optional() }).strict(),
    /** The SQLite file of client positions (relative to the configuration file), or a `postgres` database. */
    ledger: z
      .object({
        ...storageLocationFields,
        /** How long a write waits for another connection's lock, in milliseconds. */
        busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
      })
      .strict()
      .refine(...exactlyOneLocation),
    /** Assets to reconcile even before the ledger books them (token address, optional display symbol). */
    assets: z.array(z.object({ address, symbol: z.string().min(1).optional() }).strict()).default([]),
    hsm: HsmModuleSchema.optional(),
  })
  .strict();

export const SegregatedCustodySchema = z
  .object({
    model: z.literal("segregated"),
    bank,
    /** The encrypted BIP39 seed from which HD clients' keys are derived (m/44'/60'/0'/0/<index>). */
    keystore: z
      .object({ path: z.string().min(1), passphrase: SecretSourceSchema })
      .strict()
      .optional(),
    hsm: HsmModuleSchema.optional(),
    /** Client id -> key: the stable mapping of each client to its address, HD index or HSM key. */
    clients: z.record(clientId, ClientKeySchema).refine((c) => Object.keys(c).length > 0, "needs at least one client"),
  })
  .strict();

export const CustodyConfigSchema = z.discriminatedUnion("model", [OmnibusCustodySchema, SegregatedCustodySchema]);

/** Configuration as written by a user (defaults optional). */
export type CustodyConfigInput = z.input<typeof CustodyConfigSchema>;
/** A validated custody configuration (addresses checksummed, defaults applied, paths absolute when loaded). */
export type CustodyConfig = z.output<typeof CustodyConfigSchema>;
export type OmnibusCustodyConfig = z.output<typeof OmnibusCustodySchema>;
export type SegregatedCustodyConfig = z.output<typeof SegregatedCustodySchema>;
export type ClientKeyConfig = z.output<typeof ClientKeySchema>;
export type HsmKeyRef = z.output<typeof HsmKeyRefSchema>;
export type HsmModuleConfig = z.output<typeof HsmModuleSchema>;
export type LedgerConfig = OmnibusCustodyConfig["ledger"];
