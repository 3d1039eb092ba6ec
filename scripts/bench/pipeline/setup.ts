/**
 * The pipeline benchmark's consortium, set up as the demo does (src/demo): three banks with SoftHSM keys as
 * their members' operators and accounts, each opened as a `Participant` with its signed policy bundle, audit
 * log and officers, the chain's clock on a Monday morning. Differences from the demo: limits high enough for
 * every intent of the run (with an approval threshold some intents pass), and one extra operator of the
 * instructing bank, a plain ethers `Wallet`, that sends the baseline's transactions.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { encodeBytes32String, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { loadConsortiumConfig } from "../../../src/config";
import { deployConsortium } from "../../../src/deploy";
import type { DeploymentRecord } from "../../../src/deploy/store";
import { buildPolicy, createBankKeys, openBanks, type DemoBank, type DemoBankInput } from "../../../src/demo/banks";
import { DemoClock } from "../../../src/demo/clock";
import { DemoHsm } from "../../../src/demo/softhsm";
import type { SettlementTerms } from "../../../src/settlement";

/** Cash amounts in aEUR cents: an ordinary intent, the approval threshold, and an intent above it. */
export const CASH = { ordinary: 1_000_00n, threshold: 5_000_00n, large: 6_000_00n };

/** Every bank: 10,000.00 aEUR a settlement, a daily limit no run reaches, two approvals above 5,000.00. */
const TERMS = { perSettlement: "1000000", daily: "100000000000000", cashThreshold: CASH.threshold.toString() };

export interface BenchConsortium {
  record: DeploymentRecord;
  clock: DemoClock;
  chainId: number;
  banks: DemoBank[];
  /** Instructs every intent (the seller). */
  seller: DemoBank;
  buyer: DemoBank;
  /** A plain ethers wallet, second operator of the seller's member: the baseline's sender. */
  baseline: Wallet;
  /** DvP terms of trade `ref`: one bond from the seller to the buyer against `cash` cents of aEUR. */
  terms(ref: string, cash: bigint): SettlementTerms;
  close(): Promise<void>;
}

/** Deploys and opens everything under `runDir` (emptied first). */
export async function setUpConsortium(
  hre: HardhatRuntimeEnvironment,
  options: { consortiumConfig: string; runDir: string },
): Promise<BenchConsortium> {
  const { runDir } = options;
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const hsm = DemoHsm.create(path.join(runDir, "hsm"));
  const source = await loadConsortiumConfig(options.consortiumConfig);
  const names = ["Alpha Bank", "Beta Bank", "Gamma Bank"];
  const inputs: DemoBankInput[] = source.members.map((m, i) => ({ name: names[i], lei: m.lei, terms: TERMS }));
  const keys = createBankKeys(hsm, inputs);
  const baseline = new Wallet(Wallet.createRandom().privateKey, hre.ethers.provider);
  const configFile = withOperators(options.consortiumConfig, keys, baseline.address, path.join(runDir, "c.json"));
  const { wasm, base } = await buildPolicy(hre.config.paths.root, path.join(runDir, "policy-build"));
  const { record } = await deployConsortium(hre, { configFile, fresh: true });
  const clock = new DemoClock(hre);
  await clock.toNextMonday(9);
  const banks = await openBanks(hre, { runDir, hsm, record, banks: inputs, keys, wasm, base, clock });
  await hre.network.provider.request({
    method: "hardhat_setBalance",
    params: [baseline.address, "0x56BC75E2D63100000"],
  });
  const [buyer, seller] = banks;
  const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
  return {
    record,
    clock,
    chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
    banks,
    seller,
    buyer,
    baseline,
    terms: (ref, cash) => ({
      tradeRef: encodeBytes32String(ref),
      kind: 0,
      seller: seller.address,
      buyer: buyer.address,
      asset: token("B30"),
      assetAmount: 1n,
      cash: token("aEUR"),
      cashAmount: cash,
    }),
    close: async () => {
      for (const b of banks) await b.participant.close();
    },
  };
}

/**
 * The consortium configuration with each bank's HSM key as its operator and account (as the demo's
 * `consortiumConfigWithKeys`), and `extra` as a second operator of the second member (the seller).
 */
function withOperators(source: string, keys: readonly { address: string }[], extra: string, target: string): string {
  const config = JSON.parse(readFileSync(source, "utf8")) as { members: { operators: string[]; accounts: string[] }[] };
  config.members.forEach((m, i) => {
    m.operators = i === 1 ? [keys[i].address, extra] : [keys[i].address];
    m.accounts = [keys[i].address];
  });
  writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`);
  return target;
}
