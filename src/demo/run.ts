/**
 * The demo, end to end on one consortium: three banks, each with its own SoftHSM token, signed policy bundle and
 * audit log, settle a tokenized bond against a tokenized deposit through six scenes (see scenes.ts), then anchor
 * and verify their logs and write the HTML report. Everything is under the run directory.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deployConsortium } from "../deploy";
import { IN_PROCESS_NETWORK } from "../tasks/acting";
import { loadContext } from "../tasks/context";
import { encodeAction } from "../tasks/proposal-actions";
import { revertDecoder } from "../tasks/revert";
import type { Output } from "../tasks/output";
import { buildPolicy, consortiumConfigWithKeys, createBankKeys, openBanks, type DemoBankInput } from "./banks";
import { DemoClock, durationText } from "./clock";
import { collectDemoEvidence, type DemoEvidence } from "./evidence";
import { act, cashText, codeHashes, describeTrade, line, newBundle, statusOf, trade, type DemoRun } from "./scenes";
import { DemoHsm } from "./softhsm";

export interface DemoOptions {
  consortiumConfig: string;
  runDir: string;
  /** Runs after the evidence is collected, while the banks are still open (the readiness task measures there). */
  beforeClose?: (run: DemoRun, evidence: DemoEvidence) => Promise<void>;
}

/** Alpha is strict with Beta and Gamma (1,000,000.00 a trade, 500,000.00 before two approvals); Beta is not. */
const BANKS = (leis: readonly string[]): DemoBankInput[] => [
  {
    name: "Alpha Bank",
    lei: leis[0],
    terms: { perSettlement: "100000000", daily: "300000000", cashThreshold: "50000000" },
  },
  {
    name: "Beta Bank",
    lei: leis[1],
    terms: { perSettlement: "200000000", daily: "600000000", cashThreshold: "100000000" },
  },
  {
    name: "Gamma Bank",
    lei: leis[2],
    terms: { perSettlement: "200000000", daily: "600000000", cashThreshold: "100000000" },
  },
];

export async function runDemo(
  hre: HardhatRuntimeEnvironment,
  out: Output,
  options: DemoOptions,
): Promise<DemoEvidence> {
  rmSync(options.runDir, { recursive: true, force: true });
  mkdirSync(options.runDir, { recursive: true });
  const root = hre.config.paths.root;
  out.line("[setup] Three banks: a SoftHSM token and key each, the bank policy built and tested with OPA");
  const hsm = DemoHsm.create(path.join(options.runDir, "hsm"));
  const source = await import("../config").then((c) => c.loadConsortiumConfig(options.consortiumConfig));
  const inputs = BANKS(source.members.map((m) => m.lei));
  const keys = createBankKeys(hsm, inputs);
  const configFile = consortiumConfigWithKeys(
    options.consortiumConfig,
    keys,
    path.join(options.runDir, "consortium.json"),
  );
  const { wasm, base } = await buildPolicy(root, path.join(options.runDir, "policy-build"));
  // The in-process chain starts empty on every run; a devnet keeps its chain, and the demo's journal there is
  // its own (every run deploys afresh with new HSM keys, which Ignition would refuse to reconcile).
  let deploymentId: string | undefined;
  if (hre.network.name !== IN_PROCESS_NETWORK) {
    deploymentId = `demo-chain-${(await hre.ethers.provider.getNetwork()).chainId}`;
    rmSync(path.join(hre.config.paths.ignition, "deployments", deploymentId), { recursive: true, force: true });
  }
  const deployment = await deployConsortium(hre, { configFile, fresh: true, deploymentId });
  const record = deployment.record;
  line0(out, `consortium ${record.name} at ${record.consortium}; engine ${record.engine}`);
  const clock = new DemoClock(hre, (message) => line0(out, message));
  await clock.toNextMonday(9);
  const banks = await openBanks(hre, { runDir: options.runDir, hsm, record, banks: inputs, keys, wasm, base, clock });
  for (const b of banks)
    line0(
      out,
      `${b.name}: HSM key ${b.address} (token "${b.short}"), bundle v1, audit ${path.relative(root, b.dir)}/audit.sqlite`,
    );
  const decode = revertDecoder(hre);
  const run: DemoRun = {
    hre,
    out,
    clock,
    record,
    banks,
    wasm,
    chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
    decode: (error) => decode(error)?.message ?? String((error as Error).message ?? error).split("\n")[0],
    trades: [],
    scenes: [],
  };
  try {
    await scenes(run);
    const evidence = await collectDemoEvidence(run, options.runDir);
    await options.beforeClose?.(run, evidence);
    return evidence;
  } finally {
    for (const b of banks) await b.participant.close();
  }
}

function line0(out: Output, text: string): void {
  out.line(`  ${text}`);
}

async function scenes(run: DemoRun): Promise<void> {
  const [alpha, beta, gamma] = run.banks;
  const scene = (n: number, title: string): void => {
    run.out.line();
    run.out.line(`[${n}/6] ${title}`);
  };
  const done = (n: number, title: string, outcome: string): void => {
    run.scenes.push({ n, title, outcome });
  };

  scene(1, "A DvP both banks' policies allow, settled");
  const t1 = trade(run, "DEMO-DVP-0001", beta, alpha, 1_000n, 101_000_00n);
  line(run, "trade", describeTrade(t1));
  await inOrder(
    () => act(run, beta, "instruct", t1),
    () => act(run, alpha, "affirm", t1),
    () => act(run, beta, "settle", t1),
  );
  done(1, "allowed DvP", `${t1.ref} ${await statusOf(run, t1)}`);

  scene(2, "A DvP denied by a bank's counterparty limit");
  const t2 = trade(run, "DEMO-DVP-0002", gamma, alpha, 6_000n, 1_500_000_00n);
  line(run, "trade", describeTrade(t2));
  await act(run, alpha, "instruct", t2);
  done(2, "denied by a counterparty limit", `${t2.ref} ${await statusOf(run, t2)}: ${t2.notes.join("; ")}`);

  scene(3, "Above the approval threshold: two compliance officers approve, then it is signed");
  const t3 = trade(run, "DEMO-DVP-0003", beta, alpha, 4_000n, 800_000_00n);
  line(run, "trade", describeTrade(t3));
  await inOrder(
    () => act(run, alpha, "instruct", t3, true),
    () => act(run, beta, "affirm", t3),
    () => act(run, beta, "settle", t3),
  );
  done(3, "approved above the threshold", `${t3.ref} ${await statusOf(run, t3)}`);

  scene(4, "Compliance activates a new signed bundle: a lower limit, no contract redeployed");
  const before = await codeHashes(run.hre.ethers.provider, run.record);
  const stricter = structuredClone(alpha.data);
  stricter.counterparties[beta.lei].limits.aEUR.per_settlement = "5000000";
  const shared = Number(
    await (await run.hre.ethers.getContractAt("Consortium", run.record.consortium)).policyVersion(),
  );
  const v = await newBundle(run, alpha, stricter, shared);
  line(
    run,
    "activate",
    `Alpha Bank's bundle v${v}: per-settlement limit with Beta Bank ${cashText(5_000_000n)} (was ${cashText(100_000_000n)}), signed by 2 of 2 compliance keys`,
  );
  const t4 = trade(run, "DEMO-DVP-0004", beta, alpha, 750n, 75_000_00n);
  line(run, "trade", describeTrade(t4));
  await inOrder(
    () => act(run, beta, "instruct", t4),
    () => act(run, alpha, "affirm", t4),
  );
  await beta.participant.cancel(t4.terms, "Counterparty's limit");
  line(run, "cancel", `Beta Bank cancels ${t4.ref}; its escrow and reserved exposure are released`);
  const after = await codeHashes(run.hre.ethers.provider, run.record);
  const unchanged = Object.keys(before).every((k) => before[k] === after[k]);
  for (const [name, hash] of Object.entries(after))
    line(run, "code", `${name} ${hash.slice(0, 18)}… ${before[name] === hash ? "unchanged" : "CHANGED"}`);
  done(
    4,
    "new bundle, no redeployment",
    `${t4.ref} ${await statusOf(run, t4)}; code hashes ${unchanged ? "unchanged" : "changed"}`,
  );

  scene(5, "A shared parameter changed by proposal, quorum and timelock");
  await governance(run);
  const t5 = trade(run, "DEMO-DVP-0005", beta, alpha, 200n, 20_000_00n);
  line(run, "trade", describeTrade(t5));
  await act(run, beta, "instruct", t5);
  const consortium = await run.hre.ethers.getContractAt("Consortium", run.record.consortium);
  const version = Number(await consortium.policyVersion());
  for (const bank of run.banks) {
    const bv = await newBundle(run, bank, bank.data, version);
    line(
      run,
      "activate",
      `${bank.name}: compliance re-approves its rules against shared version ${version} (bundle v${bv})`,
    );
  }
  await inOrder(
    () => act(run, beta, "instruct", t5),
    () => act(run, alpha, "affirm", t5),
    () => act(run, beta, "settle", t5),
  );
  done(5, "shared parameter by quorum and timelock", `shared version ${version}; ${t5.ref} ${await statusOf(run, t5)}`);

  scene(6, "A reversal by quorum inside the window, and one refused after finality");
  const t6 = trade(run, "DEMO-DVP-0006", beta, alpha, 400n, 40_200_00n);
  line(run, "trade", describeTrade(t6));
  await inOrder(
    () => act(run, beta, "instruct", t6),
    () => act(run, alpha, "affirm", t6),
    () => act(run, beta, "settle", t6),
  );
  await inOrder(
    () => act(run, alpha, "requestReversal", t6, true),
    () => act(run, gamma, "approveReversal", t6, true),
  );
  for (const bank of [alpha, beta]) await bank.participant.syncSettlement(t6.terms);
  line(
    run,
    "reversed",
    `${t6.ref}: ${await statusOf(run, t6)} by Alpha Bank and Gamma Bank (a quorum); both legs returned, exposure released`,
  );
  const window = Number((await consortium.params()).reversalWindow);
  await run.clock.advance(window + run.clock.margin, `the reversal window of ${t1.ref} to close`);
  line(
    run,
    "window",
    `${durationText(window)} later the reversal window of ${t1.ref} has closed: ${await statusOf(run, t1)}`,
  );
  await act(run, alpha, "requestReversal", t1);
  done(
    6,
    "reversal by quorum; refused after finality",
    `${t6.ref} ${await statusOf(run, t6)}; ${t1.ref} ${await statusOf(run, t1)}`,
  );
}

/** Runs the steps in order, stopping at the first one refused. */
async function inOrder(...steps: (() => Promise<boolean>)[]): Promise<boolean> {
  for (const step of steps) if (!(await step())) return false;
  return true;
}

async function governance(run: DemoRun): Promise<void> {
  const [alpha, beta] = run.banks;
  const ctx = await loadContext(run.hre, run.record.key);
  const consortium = ctx.consortium;
  // Twice the configured window: 2 d for the demo consortium, seconds on a devnet where the demo waits for real.
  const longer = 2 * Number((await consortium.params()).reversalWindow);
  const value = longer % 86_400 === 0 ? `${longer / 86_400}d` : `${longer}s`;
  const action = await encodeAction(ctx, "set-parameter", { parameter: "ReversalWindow", value });
  await alpha.participant.governance("propose", [action.data, "Longer reversal window for bond trades"]);
  const id = await consortium.proposalCount();
  const required = await consortium.requiredApprovals();
  line(run, "propose", `Alpha Bank proposes #${id} setParameter(ReversalWindow, ${value}): approvals 1/${required}`);
  await beta.participant.governance("approve", [id]);
  line(
    run,
    "approve",
    `Beta Bank approves: quorum ${await consortium.approvalCount(id)}/${required}, timelock running`,
  );
  try {
    await alpha.participant.governance("execute", [id]);
  } catch (error) {
    line(run, "execute", `too early, refused: ${run.decode(error)}`);
  }
  const delay = Number((await consortium.params()).proposalDelay);
  await run.clock.advance(delay, `the timelock of proposal #${id}`);
  await alpha.participant.governance("execute", [id]);
  await run.clock.advance(run.clock.margin, "the banks to read the new shared parameters");
  const params = await consortium.params();
  line(
    run,
    "execute",
    `after ${durationText(delay)} Alpha Bank executes: reversal window ${durationText(Number(params.reversalWindow))}, shared version ${params.policyVersion}`,
  );
}
