/**
 * Resolving a validated configuration against a network: `signer:<index>` references become the addresses of
 * that network's signers, amounts become base units, and the consortium gets its deployment key, Ignition
 * module id and a digest that identifies what was deployed.
 */
import { getAddress, id } from "ethers";
import { ConfigError, ErrorCode, jsonSafe } from "../errors";
import { parseAmount } from "./amounts";
import { signerIndex } from "./primitives";
import { formatPath, reportDuplicates, type ConsortiumConfig } from "./schema";

export interface ResolvedMember {
  name: string;
  lei: string;
  operators: string[];
  accounts: string[];
}

export interface ResolvedToken {
  name: string;
  symbol: string;
  decimals: number;
  kind: "deposit" | "security";
  /** Name of the issuing member. */
  issuer: string;
  admin: string;
  /** Cap on one settlement, in base units. */
  cap: bigint;
}

/** A configuration with every address and amount made concrete for one network. */
export interface ResolvedConsortiumConfig {
  name: string;
  /** Deployment key: kebab-case of the name (`deployments/<network>.json`, Ignition deployment id). */
  key: string;
  /** Ignition module id: PascalCase of the name. */
  moduleId: string;
  deployer: string | undefined;
  members: ResolvedMember[];
  settings: { reversalWindow: number; affirmationWindow: number; proposalDelay: number; proposalLifetime: number };
  policyDocument: { hash: string; uri: string };
  tokens: ResolvedToken[];
  /** Opening balances to mint to every member account on a local network, in base units. */
  funding: { symbol: string; amount: bigint }[];
}

/** kebab-case deployment key of a consortium name ("Demo Three-Bank Consortium" -> "demo-three-bank-consortium"). */
export function consortiumKey(name: string): string {
  const words = name.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const key = words.join("-");
  return /^[a-z]/.test(key) ? key : `consortium-${key}`;
}

/** PascalCase Ignition module id of a consortium name ("Demo Three-Bank Consortium" -> "DemoThreeBankConsortium"). */
export function consortiumModuleId(name: string): string {
  const words = name.match(/[A-Za-z0-9]+/g) ?? [];
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z]/.test(pascal) ? pascal : `Consortium${pascal}`;
}

/**
 * Resolves a validated configuration. `signers` are the addresses of the network's signers, in order.
 * Throws a `ConfigError` naming the path of a reference that cannot be resolved or that resolves to an
 * address given elsewhere.
 */
export function resolveConsortiumConfig(
  config: ConsortiumConfig,
  signers: readonly string[],
  source = "<config>",
): ResolvedConsortiumConfig {
  const resolve = (ref: string, path: (string | number)[]): string => {
    const index = signerIndex(ref);
    if (index === undefined) return getAddress(ref);
    const address = signers[index];
    if (address === undefined) {
      throw new ConfigError(
        ErrorCode.ConfigUnresolved,
        `${source}: ${formatPath(path)}: ${ref} does not exist, the network has ${signers.length} signer(s)`,
        { file: source, path: formatPath(path), ref, signers: signers.length },
      );
    }
    return getAddress(address);
  };
  const members = config.members.map((m, i) => ({
    name: m.name,
    lei: m.lei,
    operators: m.operators.map((ref, j) => resolve(ref, ["members", i, "operators", j])),
    accounts: m.accounts.map((ref, j) => resolve(ref, ["members", i, "accounts", j])),
  }));
  checkResolvedDuplicates(members, source);
  const tokens = config.tokens.map((t, i) => ({
    name: t.name,
    symbol: t.symbol,
    decimals: t.decimals,
    kind: t.kind,
    issuer: t.issuer,
    admin: resolve(t.admin, ["tokens", i, "admin"]),
    cap: parseAmount(t.cap, t.decimals) as bigint,
  }));
  const funding = Object.entries(config.funding?.openingBalances ?? {}).map(([symbol, amount]) => {
    const token = tokens.find((t) => t.symbol === symbol) as ResolvedToken;
    return { symbol, amount: parseAmount(amount, token.decimals) as bigint };
  });
  return {
    name: config.name,
    key: consortiumKey(config.name),
    moduleId: consortiumModuleId(config.name),
    deployer: config.deployer === undefined ? undefined : resolve(config.deployer, ["deployer"]),
    members,
    settings: { ...config.settings },
    policyDocument: { ...config.policyDocument },
    tokens,
    funding,
  };
}

/** Digest of what a deployment puts on chain (funding and description excluded): equal digests, equal launch. */
export function configDigest(config: ResolvedConsortiumConfig): string {
  const { name, deployer, members, settings, policyDocument, tokens } = config;
  return id(JSON.stringify(jsonSafe({ name, deployer, members, settings, policyDocument, tokens })));
}

function checkResolvedDuplicates(members: ResolvedMember[], source: string): void {
  for (const role of ["operators", "accounts"] as const) {
    reportDuplicates(
      members.flatMap((m, i) =>
        m[role].map((a, j) => ({ key: a, path: ["members", i, role, j], what: role.slice(0, -1) })),
      ),
      (path, message) => {
        throw new ConfigError(ErrorCode.ConfigInvalid, `${source}: ${formatPath(path)}: ${message}`, {
          file: source,
          path: formatPath(path),
        });
      },
    );
  }
}
