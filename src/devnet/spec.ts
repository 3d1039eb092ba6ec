/**
 * The devnet spec: how many validators, which chain, how fast, who is funded, which ports. Validated once with
 * zod; every timeout the devnet waits on comes from here. Defaults give 4 validators on 127.0.0.1 producing a
 * block a second, with the public development accounts (Hardhat's test mnemonic) funded.
 */
import { readFile } from "node:fs/promises";
import { HDNodeWallet, Mnemonic, isAddress } from "ethers";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { DevnetError } from "./errors";

/** The clients the devnet can run. `auto` takes whichever is found (Besu first). */
export const CLIENT_KINDS = ["besu", "goquorum"] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** How the validator set is kept: votes in block headers, or a contract the clients read. */
export const VALIDATOR_SELECTION_MODES = ["blockheader", "contract"] as const;
export type ValidatorSelectionMode = (typeof VALIDATOR_SELECTION_MODES)[number];
/** Where the genesis predeploys the validator set contract (the address of Besu's documentation example). */
export const VALIDATOR_CONTRACT_ADDRESS = "0x0000000000000000000000000000000000007777";

/** Hardhat's public test mnemonic: development accounts only, never for value. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** How many development accounts are funded and offered to Hardhat. */
export const DEV_ACCOUNT_COUNT = 10;

const port = z.number().int().min(1024).max(65535);
const balance = z
  .string()
  .regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, "must be a decimal or 0x hex amount of wei")
  .default("0x33b2e3c9fd0803ce8000000"); // 10^27 wei

const accountSchema = z.object({
  address: z.string().refine((a) => isAddress(a), "must be an address"),
  balance,
  /** Why the account is funded (a bank's HSM settlement key, a deployer, ...). */
  comment: z.string().optional(),
});

export const devnetSpecSchema = z
  .object({
    client: z.enum(["auto", ...CLIENT_KINDS]).default("auto"),
    validators: z.number().int().min(1, "a QBFT network needs at least one validator").max(16).default(4),
    chainId: z.number().int().positive().default(1337),
    blockPeriodSeconds: z.number().int().min(1).default(1),
    /** GoQuorum only: how long to wait before sealing an empty block. */
    emptyBlockPeriodSeconds: z.number().int().min(1).default(1),
    requestTimeoutSeconds: z.number().int().min(1).default(4),
    epochLength: z.number().int().min(1).default(30000),
    host: z.string().ip({ version: "v4" }).default("127.0.0.1"),
    basePorts: z.object({ p2p: port.default(30303), rpc: port.default(8545) }).default({}),
    /** Funded at genesis, in addition to the development accounts. */
    accounts: z.array(accountSchema).default([]),
    /** Fund the development accounts of `DEV_MNEMONIC` (default true). */
    fundDevAccounts: z.boolean().default(true),
    /** Node keys, one per node (validators first, then standby nodes; hex); generated fresh when absent. */
    nodeKeys: z.array(z.string()).optional(),
    /**
     * Nodes that run beside the validators without being genesis validators (they sync, and sign once the
     * validator set admits them). Their ports follow the validators'.
     */
    standbyNodes: z.number().int().min(0).max(8).default(0),
    /**
     * How the validator set is kept: `blockheader` (default: validators vote in block headers, the genesis
     * extraData lists them) or `contract` (the clients read `getValidators()` of the `ValidatorSet` contract
     * predeployed at `validatorContract.address`, governed by the consortium once bound).
     */
    validatorSelection: z.enum(VALIDATOR_SELECTION_MODES).default("blockheader"),
    validatorContract: z
      .object({
        /** Where the genesis predeploys the `ValidatorSet` contract. */
        address: z
          .string()
          .refine((a) => isAddress(a), "must be an address")
          .default(VALIDATOR_CONTRACT_ADDRESS),
        /** The only account that may bind the set's governor (once); default: the first development account. */
        binder: z
          .string()
          .refine((a) => isAddress(a), "must be an address")
          .optional(),
      })
      .strict()
      .default({}),
    /** How long `start` waits for the first new block. */
    startTimeoutSeconds: z.number().int().min(1).default(90),
    /** How long one JSON-RPC call to a node may take (status, readiness polls). */
    rpcTimeoutSeconds: z.number().int().min(1).default(5),
    /** How long `stop` waits for a node to exit before killing it. */
    stopTimeoutSeconds: z.number().int().min(1).default(15),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const n = spec.validators + spec.standbyNodes;
    const { p2p, rpc } = spec.basePorts;
    if (p2p < rpc + n && rpc < p2p + n) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["basePorts"],
        message: `p2p ports ${p2p}-${p2p + n - 1} and RPC ports ${rpc}-${rpc + n - 1} overlap`,
      });
    }
    for (const [name, base] of [
      ["p2p", p2p],
      ["rpc", rpc],
    ] as const) {
      if (base + n - 1 > 65535) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["basePorts", name], message: "ports run past 65535" });
      }
    }
    if (spec.nodeKeys !== undefined && spec.nodeKeys.length !== n) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["nodeKeys"],
        message:
          spec.standbyNodes === 0
            ? `${spec.nodeKeys.length} node keys for ${n} validators`
            : `${spec.nodeKeys.length} node keys for ${spec.validators} validators and ${spec.standbyNodes} standby nodes`,
      });
    }
  });

export type DevnetSpecInput = z.input<typeof devnetSpecSchema>;
export type DevnetSpec = z.output<typeof devnetSpecSchema>;

/** Validates a spec; an unknown client and every other problem become typed errors. */
export function parseDevnetSpec(input: unknown, source = "devnet spec"): DevnetSpec {
  const client = (input as { client?: unknown } | null)?.client;
  if (client !== undefined && !["auto", ...CLIENT_KINDS].includes(client as string)) {
    throw new DevnetError(
      "DEVNET_CLIENT_UNKNOWN",
      `${source}: unknown client ${JSON.stringify(client)} (known: auto, ${CLIENT_KINDS.join(", ")})`,
      { client },
    );
  }
  const parsed = devnetSpecSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    throw new DevnetError("DEVNET_SPEC_INVALID", `${source}: ${issues[0].path}: ${issues[0].message}${more}`, {
      source,
      issues,
    });
  }
  return parsed.data;
}

/** Reads and validates a spec file (JSON). */
export async function loadDevnetSpec(file: string): Promise<DevnetSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new DevnetError("DEVNET_SPEC_INVALID", `${file}: cannot read the devnet spec`, { file }, cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DevnetError("DEVNET_SPEC_INVALID", `${file}: the devnet spec is not JSON`, { file }, cause);
  }
  return parseDevnetSpec(json, file);
}

/** The development accounts' addresses (index 0 to `DEV_ACCOUNT_COUNT - 1` of `DEV_MNEMONIC`). */
export function devAccountAddresses(): string[] {
  const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), "m/44'/60'/0'/0");
  return Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => root.deriveChild(i).address);
}

/** Every account funded at genesis, lower-case address to wei (explicit accounts override the defaults). */
export function genesisBalances(spec: DevnetSpec): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  const devBalance = BigInt(balance.parse(undefined));
  if (spec.fundDevAccounts) for (const a of devAccountAddresses()) balances.set(a.toLowerCase(), devBalance);
  for (const a of spec.accounts) balances.set(a.address.toLowerCase(), BigInt(a.balance));
  return balances;
}
