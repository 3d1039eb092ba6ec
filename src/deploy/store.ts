/**
 * Where deployed addresses are recorded: `deployments/<network>.json` for real networks (a committed file, one
 * entry per consortium), and process memory for the in-process `hardhat` network, whose chain dies with the
 * process.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError, ErrorCode } from "../errors";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const tokenRecordSchema = z.object({
  symbol: z.string(),
  name: z.string(),
  decimals: z.number().int(),
  kind: z.enum(["deposit", "security"]),
  address,
  admin: address,
  /** Cap on one settlement at deployment, in base units (decimal string). */
  cap: z.string(),
});

const memberRecordSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  lei: z.string(),
  operators: z.array(address),
  accounts: z.array(address),
});

export const deploymentRecordSchema = z.object({
  name: z.string(),
  key: z.string(),
  moduleId: z.string(),
  chainId: z.number().int(),
  configFile: z.string(),
  configDigest: z.string(),
  deployer: address,
  /** Block of the consortium's deployment (0 if unknown): where event queries start. */
  blockNumber: z.number().int().nonnegative(),
  consortium: address,
  engine: address,
  /** Where members anchor their audit log heads (absent in records written before it was deployed). */
  auditAnchor: address.optional(),
  tokens: z.array(tokenRecordSchema),
  members: z.array(memberRecordSchema),
});

const networkFileSchema = z.object({
  network: z.string(),
  consortia: z.record(z.string(), deploymentRecordSchema),
});

/** Addresses and launch configuration of one deployed consortium. */
export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;
export type TokenRecord = z.infer<typeof tokenRecordSchema>;
export type MemberRecord = z.infer<typeof memberRecordSchema>;

/** Records of deployed consortia, per network, keyed by the consortium's deployment key. */
export interface DeploymentStore {
  /** Where records of `network` are kept, for messages ("deployments/besu.json", "memory"). */
  location(network: string): string;
  list(network: string): Promise<DeploymentRecord[]>;
  put(network: string, record: DeploymentRecord): Promise<void>;
}

/** Keeps records in memory for the life of the process. */
export class MemoryDeploymentStore implements DeploymentStore {
  private readonly records = new Map<string, Map<string, DeploymentRecord>>();

  location(network: string): string {
    return `memory (${network})`;
  }

  list(network: string): Promise<DeploymentRecord[]> {
    return Promise.resolve([...(this.records.get(network)?.values() ?? [])]);
  }

  put(network: string, record: DeploymentRecord): Promise<void> {
    const forNetwork = this.records.get(network) ?? new Map<string, DeploymentRecord>();
    forNetwork.set(record.key, record);
    this.records.set(network, forNetwork);
    return Promise.resolve();
  }
}

/** Keeps records in `<dir>/<network>.json`, written atomically with sorted consortium keys. */
export class FileDeploymentStore implements DeploymentStore {
  constructor(private readonly dir: string) {}

  location(network: string): string {
    return path.relative(process.cwd(), this.file(network)) || this.file(network);
  }

  async list(network: string): Promise<DeploymentRecord[]> {
    return Object.values((await this.read(network)).consortia);
  }

  async put(network: string, record: DeploymentRecord): Promise<void> {
    const current = await this.read(network);
    const consortia = { ...current.consortia, [record.key]: record };
    const sorted = Object.fromEntries(
      Object.keys(consortia)
        .sort()
        .map((k) => [k, consortia[k]]),
    );
    await mkdir(this.dir, { recursive: true });
    const file = this.file(network);
    await writeFile(`${file}.tmp`, `${JSON.stringify({ network, consortia: sorted }, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }

  private file(network: string): string {
    return path.join(this.dir, `${network}.json`);
  }

  private async read(network: string): Promise<z.infer<typeof networkFileSchema>> {
    const file = this.file(network);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { network, consortia: {} };
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(ErrorCode.ConfigMalformed, `${file}: not valid JSON`, { file }, error);
    }
    const parsed = networkFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        `${file}: ${issue.path.join(".")}: ${issue.message}`,
        { file, path: issue.path.join(".") },
        parsed.error,
      );
    }
    return parsed.data;
  }
}

const processStore = new MemoryDeploymentStore();

/**
 * The store for a network: process memory for the in-process `hardhat` network (nothing is written), the
 * `deployments/` folder under the project root otherwise.
 */
export function defaultDeploymentStore(networkName: string, projectRoot: string): DeploymentStore {
  return networkName === "hardhat" ? processStore : new FileDeploymentStore(path.join(projectRoot, "deployments"));
}
