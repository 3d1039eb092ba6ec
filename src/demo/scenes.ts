/**
 * The demo's scenes, each through the banks' `Participant`s (so through their HSM keys and policy gates):
 * an allowed DvP, one a counterparty limit denies, one above the approval threshold that two officers approve,
 * a new signed bundle that lowers a limit without touching a contract, a shared parameter changed by proposal,
 * quorum and timelock (with the bundles re-approved against the new shared version), and a reversal by quorum
 * inside the window, then refused after finality.
 */
import { encodeBytes32String, keccak256, type Provider } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { signApproval } from "../approvals";
import { formatAmount } from "../config";
import type { DeploymentRecord } from "../deploy/store";
import { formatSettlementId, settlementIdOf, statusName, type SettlementTerms } from "../settlement";
import { GateApprovalsPendingError } from "../signer/gate";
import type { Output } from "../tasks/output";
import { signedBundleDir, type BankData, type DemoBank } from "./banks";
import type { DemoClock } from "./clock";
import { codeFamily, isFrameworkError } from "../errors";

export interface DemoRun {
  hre: HardhatRuntimeEnvironment;
  out: Output;
  clock: DemoClock;
  record: DeploymentRecord;
  banks: DemoBank[];
  wasm: Uint8Array;
  chainId: number;
  /** Decodes a contract's custom error from a failed call, for one-line messages. */
  decode: (error: unknown) => string;
  trades: DemoTrade[];
  scenes: SceneResult[];
}

/** A trade of the demo and what became of it. */
export interface DemoTrade {
  ref: string;
  terms: SettlementTerms;
  id: string;
  seller: DemoBank;
  buyer: DemoBank;
  bonds: bigint;
  cash: bigint;
  notes: string[];
  /** Steps the chain refused while they were simulated, by whom (the notes say what, not who). */
  refusals: { bank: string; step: string; reason: string }[];
}

export interface SceneResult {
  n: number;
  title: string;
  outcome: string;
}

export const cashText = (cents: bigint): string => `${formatAmount(cents, 2, { grouped: true })} aEUR`;

export function line(run: DemoRun, label: string, text: string): void {
  run.out.line(`  ${label.padEnd(9)} ${text}`);
}

/** A DvP: `seller` delivers `bonds` B30 to `buyer` against `cash` cents of aEUR. */
export function trade(
  run: DemoRun,
  ref: string,
  seller: DemoBank,
  buyer: DemoBank,
  bonds: bigint,
  cash: bigint,
): DemoTrade {
  const token = (symbol: string) => run.record.tokens.find((t) => t.symbol === symbol)!.address;
  const terms: SettlementTerms = {
    tradeRef: encodeBytes32String(ref),
    kind: 0,
    seller: seller.address,
    buyer: buyer.address,
    asset: token("B30"),
    assetAmount: bonds,
    cash: token("aEUR"),
    cashAmount: cash,
  };
  const id = formatSettlementId(settlementIdOf(terms));
  const t: DemoTrade = { ref, terms, id, seller, buyer, bonds, cash, notes: [], refusals: [] };
  run.trades.push(t);
  return t;
}

export const describeTrade = (t: DemoTrade): string =>
  `${t.ref}: ${t.seller.name} delivers ${formatAmount(t.bonds, 0, { grouped: true })} B30 to ${t.buyer.name} for ${cashText(t.cash)}`;

/** The settlement's status name on chain. */
export async function statusOf(run: DemoRun, t: DemoTrade): Promise<string> {
  const engine = await run.hre.ethers.getContractAt("SettlementEngine", run.record.engine);
  return statusName(await engine.statusOf(t.id));
}

type Step = "instruct" | "affirm" | "settle" | "requestReversal" | "approveReversal";

/** One step by `bank`, printed with its policy outcome; approvals are collected from the bank's officers when asked. */
export async function act(run: DemoRun, bank: DemoBank, step: Step, t: DemoTrade, approve = false): Promise<boolean> {
  const p = bank.participant;
  const send = () =>
    step === "requestReversal" ? p.requestReversal(t.terms, "Booked against the wrong client") : p[step](t.terms);
  try {
    const done = await send();
    line(
      run,
      step === "requestReversal" ? "reverse" : step.replace("Reversal", ""),
      `${bank.name}: policy allow, signed by its HSM key, block ${done.receipt.blockNumber}`,
    );
    return true;
  } catch (error) {
    if (isFrameworkError(error, "GATE_APPROVALS_PENDING") && approve) {
      await collectApprovals(run, bank, error);
      return act(run, bank, step, t, false);
    }
    if (isFrameworkError(error, codeFamily("GATE_"))) {
      const reasons = (error.details.reasons as string[] | undefined) ?? [error.message];
      line(run, "denied", `${bank.name}'s policy: ${reasons.join("; ")}`);
      t.notes.push(`${step} denied by ${bank.name}: ${reasons.map((r) => r.split(":")[0]).join(", ")}`);
      return false;
    }
    const decoded = run.decode(error);
    line(run, "refused", `the chain refuses ${bank.name}'s ${step}: ${decoded}`);
    t.notes.push(`${step} refused by the chain: ${decoded}`);
    t.refusals.push({ bank: bank.name, step, reason: decoded });
    return false;
  }
}

/** The bank's officers each sign an EIP-712 approval over the pending call's digest. */
export async function collectApprovals(
  run: DemoRun,
  bank: DemoBank,
  pending: GateApprovalsPendingError,
): Promise<void> {
  const { approvalId, digest, required } = pending.details as { approvalId: string; digest: string; required: number };
  line(
    run,
    "pending",
    `${bank.name}'s policy asks for ${required} approval(s): ${pending.message.split(": ").slice(1).join(": ")}`,
  );
  for (const officer of bank.officers.slice(0, required)) {
    const vote = {
      intentDigest: digest,
      approverId: officer.id,
      decision: "approve" as const,
      expiresAt: run.clock.now() + 600,
    };
    const status = await bank.participant.submitApproval(
      await signApproval(officer.wallet, approvalId, vote, run.chainId),
    );
    line(
      run,
      "approved",
      `${officer.id} signs for digest ${digest.slice(0, 10)}…: ${status.approvals.length}/${status.required}`,
    );
  }
}

/** Compliance signs `data` as the bank's next bundle (against `sharedVersion`) and activates it. */
export async function newBundle(run: DemoRun, bank: DemoBank, data: BankData, sharedVersion: number): Promise<number> {
  const version = bank.bundleVersion + 1;
  const dir = await signedBundleDir(bank, run.wasm, data, version, sharedVersion, run.chainId);
  await bank.participant.activatePolicy(dir, sharedVersion);
  bank.bundleVersion = version;
  bank.data = data;
  return version;
}

/** keccak256 of the runtime code of every consortium contract, by name. */
export async function codeHashes(provider: Provider, record: DeploymentRecord): Promise<Record<string, string>> {
  const contracts: [string, string][] = [
    ["Consortium", record.consortium],
    ["SettlementEngine", record.engine],
    ...record.tokens.map((t): [string, string] => [`PermissionedToken ${t.symbol}`, t.address]),
  ];
  if (record.auditAnchor !== undefined) contracts.push(["AuditAnchor", record.auditAnchor]);
  const out: Record<string, string> = {};
  for (const [name, address] of contracts) out[name] = keccak256(await provider.getCode(address));
  return out;
}
