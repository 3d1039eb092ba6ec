/**
 * The demo's three banks, each as a real participant would run: its own SoftHSM token and key (the key is the
 * bank's operator and settlement account in the consortium), its own signed policy bundle built from
 * policies/bank with its own data, two compliance keys that sign bundles, two compliance officers who approve,
 * and its own audit log, reservation, approval and signing-record files under the run directory.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Wallet, type Provider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { DeploymentRecord } from "../deploy/store";
import { Participant, type ParticipantConfigInput } from "../participant";
import { createBundle, readPolicyFiles, signBundle, writeBundle } from "../policy";
import { generateSecp256k1Key } from "../signer";
import { IN_PROCESS_NETWORK } from "../tasks/acting";
import type { DemoClock } from "./clock";
import { DemoHsm } from "./softhsm";

const run = promisify(execFile);

/** One demo bank and everything it holds. */
export interface DemoBank {
  name: string;
  short: string;
  lei: string;
  address: string;
  dir: string;
  participant: Participant;
  /** Keys that sign the bank's policy bundles (two of two). */
  compliance: Wallet[];
  /** Officers who approve intents (EIP-712 votes). */
  officers: { id: string; wallet: Wallet }[];
  /** The bank's policy data as activated last. */
  data: BankData;
  bundleVersion: number;
}

/** The `bank` document of a policy bundle. */
export type BankData = Record<string, unknown> & {
  counterparties: Record<
    string,
    { name: string; status: string; limits: Record<string, { per_settlement: string; daily: string }> }
  >;
  assets: Record<string, Record<string, unknown>>;
};

/** The widest business hours the bank policy accepts (HH:MM, opening before closing). */
const ALL_DAY = { open: "00:00", close: "23:59" };

/** Per bank: the per-settlement limit with each counterparty and the cash approval threshold, in cents. */
export interface BankTerms {
  perSettlement: string;
  daily: string;
  cashThreshold: string;
}

/** Builds the bank policy once (fmt, check, tests with coverage, Wasm) into `dir`. */
export async function buildPolicy(root: string, dir: string): Promise<{ wasm: Uint8Array; base: BankData }> {
  await run("bash", [path.join(root, "scripts", "build-policy.sh"), dir], { cwd: root });
  const files = await readPolicyFiles(dir);
  return { wasm: files.wasm, base: (files.data as { bank: BankData }).bank };
}

/**
 * A bank's data: the example bank's rules and hours, the consortium's tokens and the other banks by LEI. With
 * `allDay` (a real network, whose clock the demo cannot move to a Monday morning) the bank is open every day from
 * 00:00 to 23:59 and its cut-offs are at 23:59, so that its hour rules allow whatever hour the demo runs at.
 */
export function bankData(
  base: BankData,
  others: readonly { name: string; lei: string }[],
  terms: BankTerms,
  allDay = false,
): BankData {
  const cutoff = (at: string): string => (allDay ? ALL_DAY.close : at);
  const limits = {
    aEUR: { per_settlement: terms.perSettlement, daily: terms.daily },
    B30: { per_settlement: "20000", daily: "60000" },
  };
  return {
    ...structuredClone(base),
    ...(allDay ? { business_hours: { ...ALL_DAY }, closed_weekdays: [] } : {}),
    assets: {
      aEUR: { enabled: true, cutoff: cutoff("17:00"), approval_threshold: terms.cashThreshold, threshold_approvals: 2 },
      B30: { enabled: true, cutoff: cutoff("16:00"), approval_threshold: "10000", threshold_approvals: 1 },
    },
    counterparties: Object.fromEntries(
      others.map((o) => [o.lei, { name: o.name, status: "active", limits: structuredClone(limits) }]),
    ),
  };
}

export interface DemoBankInput {
  name: string;
  lei: string;
  terms: BankTerms;
}

/** Creates each bank's token and key (before deployment: the keys are the members' operators and accounts). */
export function createBankKeys(hsm: DemoHsm, banks: readonly DemoBankInput[]): { label: string; address: string }[] {
  return banks.map((b) => {
    const label = b.name.split(" ")[0].toLowerCase();
    hsm.initToken(label);
    return { label, address: generateSecp256k1Key(hsm.config(label, "settlement")).address };
  });
}

/** Signs `data` as bundle `version` approved against shared-policy `sharedVersion`, into the bank's directory. */
export async function signedBundleDir(
  bank: Pick<DemoBank, "dir" | "compliance">,
  wasm: Uint8Array,
  data: BankData,
  version: number,
  sharedVersion: number,
  chainId: number,
): Promise<string> {
  let bundle = createBundle({ wasm, data: { bank: data }, version, sharedPolicyVersion: sharedVersion });
  for (const key of bank.compliance) bundle = await signBundle(bundle, key, chainId);
  const dir = path.join(bank.dir, `bundle-v${version}`);
  await writeBundle(dir, bundle);
  return dir;
}

/** Opens every bank as a `Participant` on the deployed consortium and lets the engine escrow its tokens. */
export async function openBanks(
  hre: HardhatRuntimeEnvironment,
  options: {
    runDir: string;
    hsm: DemoHsm;
    record: DeploymentRecord;
    banks: readonly DemoBankInput[];
    keys: readonly { label: string; address: string }[];
    wasm: Uint8Array;
    base: BankData;
    clock: DemoClock;
  },
): Promise<DemoBank[]> {
  const provider: Provider = hre.ethers.provider;
  const chainId = Number((await provider.getNetwork()).chainId);
  const consortium = await hre.ethers.getContractAt("Consortium", options.record.consortium);
  const sharedVersion = Number(await consortium.policyVersion());
  const opened: DemoBank[] = [];
  for (const [i, input] of options.banks.entries()) {
    const { label, address } = options.keys[i];
    const dir = path.join(options.runDir, label);
    mkdirSync(dir, { recursive: true });
    const compliance = [1, 2].map(() => Wallet.createRandom() as unknown as Wallet);
    const officers = [1, 2].map((n) => ({
      id: `${label}-officer-${n}`,
      wallet: Wallet.createRandom() as unknown as Wallet,
    }));
    const others = options.banks.filter((_, j) => j !== i);
    const data = bankData(options.base, others, input.terms, !options.clock.movable);
    const bundleDir = await signedBundleDir({ dir, compliance }, options.wasm, data, 1, sharedVersion, chainId);
    const config: ParticipantConfigInput = {
      consortium: {
        consortium: options.record.consortium,
        engine: options.record.engine,
        auditAnchor: options.record.auditAnchor,
        tokens: options.record.tokens.map((t) => ({ symbol: t.symbol, address: t.address })),
        fromBlock: options.record.blockNumber,
      },
      bank: { name: input.name, lei: input.lei },
      hsm: options.hsm.config(label, "settlement"),
      initiator: { id: `${label}-desk`, roles: ["trader"] },
      // The demo screens nobody, and says so: without it every call with a counterparty would be denied.
      screening: "none",
      policy: { bundleDir, complianceKeys: compliance.map((w) => w.address), threshold: 2 },
      // One store: the audit log, the reservations and the signing records, committed once per signature.
      audit: { path: path.join(dir, "audit.sqlite") },
      engine: {},
      sharedParameters: { refreshIntervalSeconds: 1, maxAgeSeconds: 60 },
      approvals: {
        path: path.join(dir, "approvals.sqlite"),
        config: {
          chainId,
          requestTtlSeconds: 3600,
          approvers: officers.map((o) => ({
            id: o.id,
            address: o.wallet.address,
            roles: ["compliance_officer", "operations_manager"],
          })),
        },
      },
      submission: { path: path.join(dir, "submissions.sqlite") },
    };
    writeFileSync(path.join(dir, "participant.json"), `${JSON.stringify(config, null, 2)}\n`);
    const participant = await Participant.open(config, { provider, now: () => options.clock.now() });
    await fundForGas(hre, address);
    await participant.approveEngine();
    opened.push({
      name: input.name,
      short: label,
      lei: input.lei,
      address,
      dir,
      participant,
      compliance,
      officers,
      data,
      bundleVersion: 1,
    });
  }
  return opened;
}

/**
 * Gives the bank's HSM key ether for gas: set directly on the in-process network; on a real network sent by the
 * deployer, and only when the network charges for gas (a QBFT devnet's price is 0, so nothing is sent there).
 */
async function fundForGas(hre: HardhatRuntimeEnvironment, address: string): Promise<void> {
  if (hre.network.name === IN_PROCESS_NETWORK) {
    await hre.network.provider.request({ method: "hardhat_setBalance", params: [address, "0x56BC75E2D63100000"] });
    return;
  }
  const { gasPrice } = await hre.ethers.provider.getFeeData();
  if (gasPrice === null || gasPrice === 0n) return;
  const [funder] = await hre.ethers.getSigners();
  await (await funder.sendTransaction({ to: address, value: 10n ** 20n })).wait();
}

/** The demo consortium configuration with each bank's HSM key as its operator and account. */
export function consortiumConfigWithKeys(source: string, keys: readonly { address: string }[], target: string): string {
  const config = JSON.parse(readFileSync(source, "utf8")) as { members: { operators: string[]; accounts: string[] }[] };
  config.members.forEach((m, i) => {
    m.operators = [keys[i].address];
    m.accounts = [keys[i].address];
  });
  writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`);
  return target;
}
