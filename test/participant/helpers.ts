/**
 * Shared set-up of the participant tests: the demo's three banks (SoftHSM keys as operators and accounts, signed
 * bundles of the real bank policy, SQLite logs) deployed on the in-process network, and reopening a bank's
 * participant from its configuration file, changed or not.
 */
import { writeFileSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import hre from "hardhat";
import {
  buildPolicy,
  consortiumConfigWithKeys,
  createBankKeys,
  openBanks,
  type DemoBank,
  type DemoBankInput,
} from "../../src/demo/banks";
import { DEMO_API_BANKS } from "../../src/api/demo";
import { DemoClock } from "../../src/demo/clock";
import { DemoHsm } from "../../src/demo/softhsm";
import { deployConsortium, type DeploymentRecord } from "../../src/deploy";
import { Participant, type ParticipantConfigInput } from "../../src/participant";
import { DEMO_CONFIG } from "../tasks/helpers";

/** The demo's three banks and their terms with each other: the ones `npm run api` serves. */
export const DEMO_BANKS: readonly DemoBankInput[] = DEMO_API_BANKS;

export interface DemoConsortium {
  hsm: DemoHsm;
  record: DeploymentRecord;
  clock: DemoClock;
  banks: DemoBank[];
}

/**
 * Deploys the demo consortium under `dir` (a fresh deployment) and opens its three banks on Monday at 9:00.
 * `accounts`, called once the banks' tokens exist, may create more keys in them and returns, per bank, more
 * addresses to register for it as accounts and operators (a segregated client's key holds its tokens and signs the
 * settlement steps of its account, so the settlement engine must know it as one of the bank's operators).
 */
export async function openDemoConsortium(
  dir: string,
  accounts: (hsm: DemoHsm) => readonly (readonly string[])[] = () => [],
): Promise<DemoConsortium> {
  const hsm = DemoHsm.create(path.join(dir, "hsm"));
  const keys = createBankKeys(hsm, DEMO_BANKS);
  const configFile = consortiumConfigWithKeys(DEMO_CONFIG, keys, path.join(dir, "consortium.json"));
  const extra = accounts(hsm);
  const config = JSON.parse(readFileSync(configFile, "utf8")) as {
    members: { operators: string[]; accounts: string[] }[];
  };
  config.members.forEach((m, i) => {
    m.operators.push(...(extra[i] ?? []));
    m.accounts.push(...(extra[i] ?? []));
  });
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const { wasm, base } = await buildPolicy(hre.config.paths.root, path.join(dir, "policy"));
  const record = (await deployConsortium(hre, { configFile, fresh: true })).record;
  const clock = new DemoClock(hre);
  await clock.toNextMonday(9);
  const banks = await openBanks(hre, { runDir: dir, hsm, record, banks: DEMO_BANKS, keys, wasm, base, clock });
  return { hsm, record, clock, banks };
}

/** Closes `bank`'s participant and opens it again from its configuration file, as `edit` changes it. */
export async function reopenBank(
  bank: DemoBank,
  clock: DemoClock,
  edit: (config: ParticipantConfigInput) => ParticipantConfigInput = (config) => config,
): Promise<Participant> {
  const file = path.join(bank.dir, "participant.json");
  const config = JSON.parse(await readFile(file, "utf8")) as ParticipantConfigInput;
  await bank.participant.close();
  bank.participant = await Participant.open(edit(config), { provider: hre.ethers.provider, now: () => clock.now() });
  return bank.participant;
}
