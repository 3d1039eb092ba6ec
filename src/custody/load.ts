/**
 * Reading a custody configuration: JSON parsed and validated once (schema, then the rules that span fields,
 * then the key-tier rule), relative paths resolved against the configuration file's folder.
 */
import path from "node:path";
import { readJsonFile } from "../core/files";
import { schemaIssues, type SchemaIssue } from "../errors";
import {
  CustodyConfigSchema,
  type CustodyConfig,
  type HsmKeyRef,
  type HsmModuleConfig,
  type KeyTier,
  type SecretSource,
} from "./config";
import { CustodyConfigError, CustodyKeyTierError } from "./errors";

export interface ParseOptions {
  /** Names the configuration in errors (the file, usually). */
  source?: string;
  /** Folder that relative paths are resolved against (default: the working directory). */
  baseDir?: string;
}

/**
 * Validates a custody configuration. Throws `CustodyConfigError` (CUSTODY_CONFIG_INVALID) listing paths and
 * messages, never values, and `CustodyKeyTierError` (CUSTODY_KEY_TIER_INVALID) for a warm or cold software key.
 */
export function parseCustodyConfig(input: unknown, options: ParseOptions = {}): CustodyConfig {
  const source = options.source ?? "<custody config>";
  const parsed = CustodyConfigSchema.safeParse(input);
  if (!parsed.success) throw new CustodyConfigError(source, schemaIssues(parsed.error));
  const config = parsed.data;
  const issues = crossFieldIssues(config);
  if (issues.length > 0) throw new CustodyConfigError(source, issues);
  checkTiers(config, source);
  return resolvePaths(config, path.resolve(options.baseDir ?? "."));
}

/** Reads and validates a configuration file; a missing or non-JSON file is a `ConfigError`. */
export async function loadCustodyConfig(file: string): Promise<CustodyConfig> {
  const json = await readJsonFile(file, "custody configuration file");
  return parseCustodyConfig(json, { source: file, baseDir: path.dirname(path.resolve(file)) });
}

/** Rules spanning fields: unique addresses, HD indexes and HSM keys; the keystore, module and PINs they need. */
function crossFieldIssues(config: CustodyConfig): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const needsModule = (where: string, ref: HsmKeyRef, module: HsmModuleConfig | undefined) => {
    if (module === undefined) issues.push({ path: "hsm", message: `required by ${where}.hsm` });
    else if (ref.pin === undefined && module.pin === undefined) {
      issues.push({ path: `${where}.hsm.pin`, message: "required (or a default hsm.pin)" });
    }
  };
  if (config.model === "omnibus") {
    if (config.omnibus.hsm !== undefined) needsModule("omnibus", config.omnibus.hsm, config.hsm);
    return issues;
  }
  const seen = new Map<string, string>();
  const unique = (key: string, where: string, what: string) => {
    const first = seen.get(key);
    if (first !== undefined) issues.push({ path: where, message: `${what} already used by ${first}` });
    else seen.set(key, where.split(".").slice(0, 2).join("."));
  };
  for (const [id, client] of Object.entries(config.clients)) {
    const where = `clients.${id}`;
    unique(`address:${client.address}`, `${where}.address`, "address");
    if (client.hd !== undefined) {
      unique(`hd:${client.hd.index}`, `${where}.hd.index`, "HD index");
      if (config.keystore === undefined) issues.push({ path: "keystore", message: `required by ${where}.hd` });
    }
    if (client.hsm !== undefined) {
      unique(`hsm:${client.hsm.tokenLabel}/${client.hsm.keyLabel}`, `${where}.hsm`, "HSM key");
      needsModule(where, client.hsm, config.hsm);
    }
  }
  return issues;
}

/** Hot keys may be software (HD) keys; warm and cold keys must be HSM keys. */
function checkTiers(config: CustodyConfig, source: string): void {
  const check = (where: string, tier: KeyTier, inHsm: boolean, kind: string) => {
    if (tier !== "hot" && !inHsm) throw new CustodyKeyTierError(source, `${where}.tier`, tier, kind);
  };
  if (config.model === "omnibus") {
    check("omnibus", config.omnibus.tier, config.omnibus.hsm !== undefined, "software");
    return;
  }
  for (const [id, client] of Object.entries(config.clients)) {
    check(`clients.${id}`, client.tier, client.hsm !== undefined, "software (HD)");
  }
}

function resolvePaths(config: CustodyConfig, baseDir: string): CustodyConfig {
  const file = (p: string) => path.resolve(baseDir, p);
  const secret = (s: SecretSource): SecretSource => ("file" in s ? { file: file(s.file) } : s);
  const optionalSecret = (s: SecretSource | undefined) => (s === undefined ? undefined : secret(s));
  const ref = (r: HsmKeyRef): HsmKeyRef => (r.pin === undefined ? r : { ...r, pin: secret(r.pin) });
  const hsm = config.hsm === undefined ? undefined : { ...config.hsm, pin: optionalSecret(config.hsm.pin) };
  if (config.model === "omnibus") {
    const omnibus =
      config.omnibus.hsm === undefined ? config.omnibus : { ...config.omnibus, hsm: ref(config.omnibus.hsm) };
    return {
      ...config,
      omnibus,
      hsm,
      ledger: { ...config.ledger, path: config.ledger.path === undefined ? undefined : file(config.ledger.path) },
    };
  }
  const keystore =
    config.keystore === undefined
      ? undefined
      : { path: file(config.keystore.path), passphrase: secret(config.keystore.passphrase) };
  const clients = Object.fromEntries(
    Object.entries(config.clients).map(([id, c]) => [id, c.hsm === undefined ? c : { ...c, hsm: ref(c.hsm) }]),
  );
  return { ...config, keystore, hsm, clients };
}
