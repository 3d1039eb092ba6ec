/**
 * What the real-network suites share: find a QBFT client or skip the suite with one line saying why, prepare a
 * devnet in a fresh temporary directory with ports and a chain id of the suite's own, keep an operator's
 * `deployments/qbft.json` aside while the suite deploys, and afterwards stop every node (checking none is left),
 * remove what the suite wrote and put the operator's record back.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  findClient,
  initDevnet,
  liveNodes,
  readDevnetState,
  stopDevnet,
  type DevnetClient,
  type DevnetSpecInput,
} from "../../src/devnet";
import { isFrameworkError } from "../../src/errors";

export const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, "..", "..");
export const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");
/** The deployment record of the `qbft` network, which the suites' deploys write. */
export const RECORD = path.join(ROOT, "deployments", "qbft.json");

/** The QBFT client found on this machine, or the suite skipped with one line naming what is missing. */
export async function clientOrSkip(suite: Mocha.Context, name: string): Promise<DevnetClient> {
  try {
    return await findClient("auto");
  } catch (error) {
    if (!isFrameworkError(error, "DEVNET_CLIENT_NOT_FOUND")) throw error;
    console.log(`    ${name} skipped: ${error.message}`);
    return suite.skip();
  }
}

/** A suite's devnet: its directory, the environment its Hardhat processes run in, and what to restore. */
export interface SuiteDevnet {
  client: DevnetClient;
  dir: string;
  /** The suite's environment: DEVNET_DIR set to its directory, QBFT_RPC_URL removed. */
  env: NodeJS.ProcessEnv;
  /** The Ignition journal the suite's deploys write (removed before and after). */
  journal: string;
  recordBackup: string | undefined;
}

/**
 * Skips the suite when no client is found; otherwise initialises (does not start) a devnet of `spec` in a fresh
 * directory, after moving an existing `deployments/qbft.json` aside and removing the suite's Ignition journal.
 */
export async function prepareDevnet(
  suite: Mocha.Context,
  options: { name: string; prefix: string; spec: DevnetSpecInput & { chainId: number }; journalPrefix: string },
): Promise<SuiteDevnet> {
  const client = await clientOrSkip(suite, options.name);
  const dir = await mkdtemp(path.join(os.tmpdir(), `${options.prefix}-`));
  console.log(`    devnet in ${dir} (if this run is killed: DEVNET_DIR=${dir} npx hardhat devnet:stop)`);
  const env: NodeJS.ProcessEnv = { ...process.env, DEVNET_DIR: dir };
  delete env.QBFT_RPC_URL;
  let recordBackup: string | undefined;
  if (existsSync(RECORD)) {
    recordBackup = `${RECORD}.${options.prefix}-backup`;
    await copyFile(RECORD, recordBackup);
    await rm(RECORD);
  }
  const journal = path.join(ROOT, "ignition", "deployments", `${options.journalPrefix}-${options.spec.chainId}`);
  await rm(journal, { recursive: true, force: true });
  await initDevnet(dir, options.spec);
  return { client, dir, env, journal, recordBackup };
}

/** Stops every node of the suite's devnet (and fails if one is left), removes its files, restores the record. */
export async function teardownDevnet(devnet: SuiteDevnet | undefined): Promise<void> {
  if (devnet === undefined) return;
  await stopDevnet(devnet.dir);
  const state = readDevnetState(devnet.dir);
  expect(state === undefined ? [] : liveNodes(devnet.dir, state)).to.deep.equal([]);
  await rm(devnet.dir, { recursive: true, force: true });
  await rm(devnet.journal, { recursive: true, force: true });
  await rm(RECORD, { force: true });
  if (devnet.recordBackup !== undefined) await rename(devnet.recordBackup, RECORD);
}
