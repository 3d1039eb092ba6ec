/**
 * The three production-readiness questions, answered with evidence gathered by running them: the demo runs
 * (see run.ts), then, while its banks are still open, this module reads what it left and measures more.
 *
 * 1. A settlement rule changed without a redeployment. In a bank's audit log, a bundle activation whose policy
 *    hash differs from the previous bundle's (a rule change, not a re-approval) followed by a decision of the
 *    same kind (same bank, step, counterparty and asset) that came out differently from the last one under the
 *    previous bundle. YES only with such a pair and the runtime code hash of every consortium contract the same
 *    at the block of the earlier decision and at the end, with no contract created in between.
 * 2. Every decision point appears in chain events and in the deciding party's audit log, and every log
 *    verifies. `checkAuditTrail` is pure: each transaction that emitted a demo settlement's events must have a
 *    `signature` record (same txHash, same settlement) in the sending bank's log, preceded by that bank's
 *    `allow` decision for the step the event records; each denial a caller was told of and each approval
 *    request a bank's approval store opened must be in the deciding bank's log, and the reverse (no signature,
 *    denial or approval request in a log that the chain or the callers do not know). Logs are read from their
 *    JSON Lines exports, what a counterparty receives; each must verify as a hash chain, against the heads its
 *    bank anchored on chain, and as an export on its own (`verifyJsonl` with those heads). YES only with zero
 *    gaps. A step the contract refuses while the transaction is simulated (before any policy decision or
 *    signature) is neither a party's decision nor on chain: it is listed, not counted.
 * 3. Time to resume settlement, measured through the participant on the seller's settle step, `samples` times
 *    each: with no fault (the baseline), right after all the bank's PKCS#11 sessions are closed
 *    (C_CloseAllSessions on its token's slot), and right after the module is finalised (C_Finalize, every
 *    bank's sessions). Then once, a token outage: the token's files are moved out of SoftHSM's token directory
 *    for `outageMs` while the bank keeps trying to settle every `retryIntervalMs`, then moved back and the
 *    module re-initialised (SoftHSM reads its token directory only at C_Initialize); the time from that restore
 *    to the next settle mined is measured, up to `resumeTimeoutMs`. It runs last: if settlement does not
 *    resume, the bank stays stuck. A validator stop is NOT MEASURED on the in-process network, which has no validators;
 *    on the QBFT devnet it is (readiness-network.ts), and every fault is answered YES or NO against the stated
 *    recovery time (`rtoMs`).
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { fetchAnchors, verifyJsonl, type AuditRecord, type VerifyResult } from "../audit";
import { formatAmount } from "../config";
import { ErrorCode, FrameworkError } from "../errors";
import { settlementTimeline } from "../settlement";
import { createOutput } from "../tasks/output";
import { runDemo } from "./run";
import type { DemoRun } from "./scenes";
import {
  checkAuditTrail,
  findPolicyChange,
  obj,
  str,
  type AuditTrailEvidence,
  type AuditTrailInput,
  type BankLog,
  type DecisionSample,
  type PolicyChangeEvidence,
  type TradePoints,
  type VerifySummary,
} from "./readiness-checks";
import { measureValidatorFaults } from "./readiness-network";
import { measureRecovery, type ReadinessSettings, type RecoveryEvidence } from "./readiness-recovery";

export * from "./readiness-checks";
export * from "./readiness-network";
export * from "./readiness-recovery";

/** The readiness task answered NO to question 1 or 2. */
export class ReadinessFailedError extends FrameworkError {
  constructor(failed: string[], details: Record<string, unknown>) {
    super(ErrorCode.ReadinessFailed, `not ready: ${failed.join("; ")}`, details);
  }
}

export interface ReadinessEvidence {
  network: string;
  chainId: number;
  consortium: { name: string; address: string; engine: string };
  runDir: string;
  demo: { transcript: string; report: string; scenes: number; trades: number };
  policyChange: PolicyChangeEvidence;
  auditTrail: AuditTrailEvidence;
  recovery: RecoveryEvidence;
}

export interface ReadinessOptions {
  consortiumConfig: string;
  runDir: string;
  settings: ReadinessSettings;
  /** The recovery time the bank states, in milliseconds (`--rto`). */
  rtoMs: number;
  /** On a QBFT devnet: its state directory, where the validator faults are measured. */
  devnetDir?: string;
  /** Progress of the measurements that take long (the validator faults). */
  onProgress?: (message: string) => void;
}

/** Runs the demo (its transcript to `runDir`/demo.txt), then answers the three questions on its network and banks. */
export async function runReadiness(
  hre: HardhatRuntimeEnvironment,
  options: ReadinessOptions,
): Promise<ReadinessEvidence> {
  const transcript: string[] = [];
  let answers: Pick<ReadinessEvidence, "policyChange" | "auditTrail" | "recovery"> | undefined;
  const demo = await runDemo(
    hre,
    createOutput(false, (text) => transcript.push(text)),
    {
      consortiumConfig: options.consortiumConfig,
      runDir: options.runDir,
      beforeClose: async (run) => {
        const input = await gatherAuditTrail(run, path.join(options.runDir, "exports"));
        const auditTrail = checkAuditTrail(input);
        const policyChange = await checkPolicyChange(run, input);
        const devnetDir = options.devnetDir;
        const validators =
          devnetDir === undefined
            ? undefined
            : () =>
                measureValidatorFaults(run, {
                  devnetDir,
                  samples: options.settings.samples,
                  rtoMs: options.rtoMs,
                  onProgress: options.onProgress ?? (() => undefined),
                });
        answers = { policyChange, auditTrail, recovery: await measureRecovery(run, { ...options, validators }) };
      },
    },
  );
  const file = path.join(options.runDir, "demo.txt");
  writeFileSync(file, transcript.join(""));
  return {
    network: demo.network,
    chainId: demo.chainId,
    consortium: { name: demo.consortium.name, address: demo.consortium.address, engine: demo.consortium.engine },
    runDir: options.runDir,
    demo: { transcript: file, report: demo.report, scenes: demo.scenes.length, trades: demo.trades.length },
    ...answers!,
  };
}

const summary = (v: VerifyResult): VerifySummary =>
  v.ok
    ? { ok: true, problem: null }
    : { ok: false, problem: `record ${v.firstBad.seq} ${v.firstBad.problem}: ${v.firstBad.detail}` };

const STEP_ACTIONS: Record<string, string> = { requestReversal: "reverse", approveReversal: "approve_reversal" };

/** Each bank's exported log with its verifications, and each demo trade's transactions, denials and approvals. */
async function gatherAuditTrail(run: DemoRun, dir: string): Promise<AuditTrailInput> {
  mkdirSync(dir, { recursive: true });
  const { ethers } = run.hre;
  const engine = await ethers.getContractAt("SettlementEngine", run.record.engine);
  const consortium = await ethers.getContractAt("Consortium", run.record.consortium);
  const anchor = run.record.auditAnchor && (await ethers.getContractAt("IAuditAnchor", run.record.auditAnchor));
  const logs: BankLog[] = [];
  for (const bank of run.banks) {
    const file = path.join(dir, `${bank.short}.jsonl`);
    await bank.participant.audit.exportJsonl(file);
    const lines = readFileSync(file, "utf8").split("\n");
    const records = lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as AuditRecord);
    const member = Number(await consortium.accountMember(bank.address));
    const anchors = anchor ? await fetchAnchors(anchor, member, run.record.blockNumber) : [];
    logs.push({
      bank: bank.name,
      address: bank.address,
      records,
      file,
      hashChain: summary(await bank.participant.verifyAudit(false)),
      anchored: { ...summary(await bank.participant.verifyAudit(true)), anchors: anchors.length },
      exported: summary(await verifyJsonl(file, { anchors })),
    });
  }
  const trades: TradePoints[] = [];
  for (const t of run.trades) {
    const transactions: TradePoints["transactions"] = [];
    for (const e of await settlementTimeline(engine, BigInt(t.id), run.record.blockNumber)) {
      let tx = transactions.find((x) => x.txHash === e.transactionHash);
      if (tx === undefined) {
        const from = (await ethers.provider.getTransaction(e.transactionHash))?.from ?? "an unknown account";
        tx = { txHash: e.transactionHash, from, blockNumber: e.blockNumber, events: [] };
        transactions.push(tx);
      }
      tx.events.push(e.event);
    }
    const approvals: TradePoints["approvals"] = [];
    for (const bank of run.banks)
      for (const s of await bank.participant.approvalRequests())
        if (s.intentId.toLowerCase().startsWith(`${t.id.toLowerCase()}/`))
          approvals.push({ bank: bank.name, action: s.intentId.split("/")[1], votes: s.votes.length, state: s.state });
    const step = (s: string) => STEP_ACTIONS[s] ?? s;
    const denials = t.notes.flatMap((n) => {
      const m = /^(\w+) denied by (.+?): /.exec(n);
      return m === null ? [] : [{ bank: m[2], action: step(m[1]) }];
    });
    const refusedBeforeSigning = t.notes.flatMap((n) => {
      const m = /^(\w+) refused by the chain: (.*)$/.exec(n);
      return m === null ? [] : [{ action: step(m[1]), reason: m[2] }];
    });
    trades.push({ ref: t.ref, id: t.id, transactions, denials, approvals, refusedBeforeSigning });
  }
  return { trades, logs };
}

const EMPTY_CODE = keccak256("0x");

/** Question 1: the changed decision from the logs, and every contract's code at its block and now. */
async function checkPolicyChange(run: DemoRun, input: AuditTrailInput): Promise<PolicyChangeEvidence> {
  const refs = new Map(run.trades.map((t) => [t.id.toLowerCase(), t.ref]));
  const found = findPolicyChange(input.logs, (id) => refs.get(id) ?? id);
  const names = new Map(run.banks.map((b) => [b.lei, b.name]));
  const decimals = new Map(run.record.tokens.map((t) => [t.symbol, t.decimals]));
  const shown = (d: DecisionSample): DecisionSample => ({
    ...d,
    counterparty: names.get(d.counterparty) ?? d.counterparty,
    amount: /^\d+$/.test(d.amount)
      ? formatAmount(BigInt(d.amount), decimals.get(d.asset) ?? 0, { grouped: true })
      : d.amount,
  });
  const change = found && { ...found, before: shown(found.before), after: shown(found.after) };
  const provider = run.hre.ethers.provider;
  let before = run.record.blockNumber;
  if (change !== null) {
    const records = input.logs.find((l) => l.bank === change.bank)!.records;
    const decisionId = str(obj(records.find((r) => r.seq === change.before.auditSeq)?.payload).decisionId);
    const sig = records.find(
      (r) => r.kind === "signature" && decisionId !== "" && obj(r.payload).decisionId === decisionId,
    );
    const receipt = sig && (await provider.getTransactionReceipt(str(obj(sig.payload).txHash)));
    if (receipt) before = receipt.blockNumber;
  }
  const after = await provider.getBlockNumber();
  const contracts: [string, string][] = [
    ["Consortium", run.record.consortium],
    ["SettlementEngine", run.record.engine],
    ...run.record.tokens.map((t): [string, string] => [`PermissionedToken ${t.symbol}`, t.address]),
    ...(run.record.auditAnchor === undefined ? [] : [["AuditAnchor", run.record.auditAnchor] as [string, string]]),
  ];
  const code: PolicyChangeEvidence["code"] = [];
  for (const [contract, address] of contracts) {
    const [b, a] = [
      keccak256(await provider.getCode(address, before)),
      keccak256(await provider.getCode(address, after)),
    ];
    code.push({ contract, address, before: b, after: a, unchanged: a === b && a !== EMPTY_CODE });
  }
  let deployments = 0;
  for (let n = before + 1; n <= after; n++)
    deployments +=
      (await provider.getBlock(n, true))?.prefetchedTransactions.filter((tx) => tx.to === null).length ?? 0;
  const decisionChanged = change !== null && change.before.outcome !== change.after.outcome;
  const answer = decisionChanged && code.every((c) => c.unchanged) && deployments === 0 ? "YES" : "NO";
  return { answer, change, decisionChanged, code, blocks: { before, after }, deployments };
}
