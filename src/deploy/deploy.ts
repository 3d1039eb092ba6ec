/**
 * Deploying a consortium from its configuration file with Ignition, idempotently: when the store records the
 * consortium on this network and the chain still holds it as recorded, nothing is sent and the result says so.
 */
import path from "node:path";
import { TASK_COMPILE } from "hardhat/builtin-tasks/task-names";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildConsortiumModule, tokenFutureKey } from "../../deploy/consortium";
import { configDigest, loadConsortiumConfig, resolveConsortiumConfig, type ResolvedConsortiumConfig } from "../config";
import { ChainStateError, ErrorCode, TaskInputError, TransactionError } from "../errors";
import { fundAccounts, type FundingEntry } from "./funding";
import { defaultDeploymentStore, MemoryDeploymentStore, type DeploymentRecord, type DeploymentStore } from "./store";
import { checkDeployment } from "./verify";

export interface DeployOptions {
  /** Path of the consortium configuration (JSON). */
  configFile: string;
  /** Deployer address, overriding the configuration's `deployer`. */
  from?: string;
  /** Where to record addresses; `defaultDeploymentStore` when absent. */
  store?: DeploymentStore;
  /** Deploy a new instance even when a matching one is recorded (the demo does). */
  fresh?: boolean;
  /** Ignition's deployment id (its journal under ignition/deployments); `chain-<id>` when absent. */
  deploymentId?: string;
}

export interface DeployResult {
  /** `unchanged`: a matching deployment was recorded and found on chain; nothing was sent. */
  status: "deployed" | "unchanged";
  network: string;
  /** Where the record is kept. */
  location: string;
  record: DeploymentRecord;
  /** Opening balances minted (first deployment on a local network only). */
  funding: FundingEntry[];
  /** Remarks for the operator, e.g. that a recorded deployment vanished with a chain reset. */
  notes: string[];
}

/** Deploys (or finds already deployed) the consortium that `options.configFile` describes. */
export async function deployConsortium(hre: HardhatRuntimeEnvironment, options: DeployOptions): Promise<DeployResult> {
  const network = hre.network.name;
  const store = options.store ?? defaultDeploymentStore(network, hre.config.paths.root);
  const config = await loadConsortiumConfig(options.configFile);
  const signers = (await hre.ethers.getSigners()).map((s) => s.address);
  const resolved = resolveConsortiumConfig(config, signers, options.configFile);
  const deployer = options.from ?? resolved.deployer ?? signers[0];
  if (deployer === undefined || !signers.some((s) => s.toLowerCase() === deployer.toLowerCase())) {
    throw new TaskInputError(ErrorCode.UnknownSigner, `deployer ${String(deployer)} is not a signer of ${network}`, {
      deployer,
      network,
    });
  }
  const digest = configDigest(resolved);
  const base = { network, location: store.location(network), funding: [] };
  const notes: string[] = [];

  const existing = (await store.list(network)).find((r) => r.key === resolved.key);
  if (existing !== undefined && options.fresh !== true) {
    const check = await checkDeployment(hre, existing);
    const where = `consortium "${existing.name}" recorded in ${base.location} at ${existing.consortium}`;
    if (check.status === "ok" && existing.configDigest === digest) {
      return { ...base, status: "unchanged", record: existing, notes: [`${where} matches: nothing to do`] };
    }
    if (check.status === "ok") {
      throw mismatch(`${where} was deployed from a different configuration; change it through proposals, or rename`);
    }
    if (check.status === "wrong-chain") {
      throw mismatch(`${where} is on chain ${existing.chainId}, but ${network} is chain ${check.chainId}`);
    }
    // A record kept in memory belongs to the in-process chain, which snapshots revert: one that no longer matches
    // the chain is stale, not a conflict. A record in a file (a real network) that does not match is an error.
    if (check.status === "mismatch" && !(store instanceof MemoryDeploymentStore)) {
      throw mismatch(`${where} does not match the chain: ${check.problems[0]}`);
    }
    notes.push(
      check.status === "mismatch"
        ? `${where} no longer matches the in-process chain (reverted?); deploying again`
        : `${where} is gone from the chain (reset?); deploying again`,
    );
  }

  const record = await runIgnition(hre, resolved, {
    deployer,
    digest,
    configFile: options.configFile,
    deploymentId: options.deploymentId,
  });
  const check = await checkDeployment(hre, record);
  if (check.status !== "ok") {
    // Ignition trusts its journal: after a chain reset it reports the old addresses as deployed.
    const journal = path.relative(
      hre.config.paths.root,
      path.join(hre.config.paths.ignition, "deployments", `chain-${record.chainId}`),
    );
    throw mismatch(
      `Ignition reports contracts that are not on chain ${record.chainId}; if the chain was reset, ` +
        `delete its stale journal ${journal} and deploy again`,
      { journal, problems: check.status === "mismatch" ? check.problems : [check.status] },
    );
  }
  const funding = await fundAccounts(hre, record, resolved.funding);
  await store.put(network, record);
  return { ...base, status: "deployed", record, funding, notes };
}

function mismatch(message: string, details: Record<string, unknown> = {}): ChainStateError {
  return new ChainStateError(ErrorCode.DeploymentMismatch, message, details);
}

/**
 * Compiles if the sources or compiler settings changed, as `hardhat run` does, so Ignition deploys artifacts
 * that match the sources (a coverage run leaves instrumented ones behind). The compiler's messages are
 * diagnostics: they go to stderr, so a `--json` document on stdout stays alone.
 */
async function compileArtifacts(hre: HardhatRuntimeEnvironment): Promise<void> {
  const log = console.log;
  console.log = (...parts: unknown[]) => console.error(...parts);
  try {
    await hre.run(TASK_COMPILE, { quiet: true });
  } finally {
    console.log = log;
  }
}

async function runIgnition(
  hre: HardhatRuntimeEnvironment,
  config: ResolvedConsortiumConfig,
  meta: { deployer: string; digest: string; configFile: string; deploymentId?: string },
): Promise<DeploymentRecord> {
  await compileArtifacts(hre);
  const provider = hre.ethers.provider;
  const startBlock = await provider.getBlockNumber();
  let contracts: Record<string, { getAddress(): Promise<string> }>;
  try {
    contracts = await hre.ignition.deploy(buildConsortiumModule(config), {
      defaultSender: meta.deployer,
      deploymentId: meta.deploymentId,
    });
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, " ").trim();
    throw new TransactionError(ErrorCode.TransactionFailed, `Ignition could not deploy: ${reason}`, {}, error);
  }
  const consortium = await contracts.consortium.getAddress();
  const logs = await provider.getLogs({ address: consortium, fromBlock: startBlock, toBlock: "latest" });
  const tokens = [];
  for (const token of config.tokens) {
    const address = await contracts[tokenFutureKey(token.symbol)].getAddress();
    tokens.push({ ...token, address, cap: token.cap.toString() });
  }
  return {
    name: config.name,
    key: config.key,
    moduleId: config.moduleId,
    chainId: Number((await provider.getNetwork()).chainId),
    configFile: path.relative(hre.config.paths.root, path.resolve(meta.configFile)),
    configDigest: meta.digest,
    deployer: meta.deployer,
    blockNumber: logs.length > 0 ? logs[0].blockNumber : 0,
    consortium,
    engine: await contracts.engine.getAddress(),
    auditAnchor: await contracts.auditAnchor.getAddress(),
    tokens: tokens.map(({ symbol, name, decimals, kind, address, admin, cap }) => ({
      symbol,
      name,
      decimals,
      kind,
      address,
      admin,
      cap,
    })),
    members: config.members.map((m, i) => ({ id: i + 1, ...m })),
  };
}
