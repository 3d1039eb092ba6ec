/**
 * Readiness question 3 (see readiness.ts): the time to resume settlement after an HSM fault, measured through
 * the participant, and why the validator stop is not measured here.
 */
import { readdirSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeBytes32String } from "ethers";
import { z } from "zod";
import { ErrorCode, isFrameworkError, schemaIssues, TaskInputError } from "../errors";
import type { SettlementTerms } from "../settlement";
import { acquireLibrary, type Pkcs11Library } from "../signer";
import { findSlot } from "../signer/token";
import type { DemoBank } from "./banks";
import type { DemoRun } from "./scenes";
import type { NetworkRecoveryEvidence } from "./readiness-network";
import { SOFTHSM_MODULE } from "./softhsm";

/** Measurement settings, validated once. */
export const ReadinessSettingsSchema = z
  .object({
    samples: z.number().int().min(1).max(50).default(5),
    outageMs: z.number().int().min(0).max(60_000).default(1_000),
    retryIntervalMs: z.number().int().min(10).max(10_000).default(250),
    resumeTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  })
  .strict();
export type ReadinessSettings = z.output<typeof ReadinessSettingsSchema>;

export function parseReadinessSettings(input: unknown): ReadinessSettings {
  const parsed = ReadinessSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    throw new TaskInputError(ErrorCode.InputInvalid, issues.map((i) => `${i.path}: ${i.message}`).join("; "), {
      issues,
    });
  }
  return parsed.data;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * The recovery time objective the bank states (`--rto`): "30s", "2m", "1h", "500ms". Anything else, zero, or more
 * than a day is refused with `INPUT_INVALID`.
 */
export function parseRecoveryObjective(text: string): number {
  const m = DURATION.exec(text.trim());
  const ms = m === null ? NaN : Math.round(Number(m[1]) * DURATION_MS[m[2]]);
  if (!(ms > 0 && ms <= 86_400_000)) {
    throw new TaskInputError(
      ErrorCode.InputInvalid,
      `--rto ${JSON.stringify(text)}: give a recovery time such as 30s, 2m or 1h (more than zero, at most a day)`,
      { rto: text },
    );
  }
  return ms;
}

export interface RecoverySample {
  fault: string;
  bank: string;
  samplesMs: number[];
  p50Ms: number;
  maxMs: number;
}

export interface OutageEvidence {
  status: "resumed" | "not resumed" | "not measured";
  bank: string;
  outageMs: number;
  refusedAttempts: number;
  /** Time each refused attempt took to fail (bounded retries in the signer), p50. */
  refusedAfterMs: number;
  signedDuringOutage: number;
  resumedAfterRestoreMs: number | null;
  resumeTimeoutMs: number;
  reason: string | null;
}

export interface RecoveryEvidence {
  /** YES or NO against the obligation on a QBFT network; PARTLY MEASURED in-process (no validator to stop). */
  answer: "PARTLY MEASURED" | "YES" | "NO";
  /** The recovery time the bank states, in milliseconds. */
  rtoMs: number;
  hsm: RecoverySample[];
  outage: OutageEvidence;
  /** The token outage against the obligation: resumed within it. */
  outageAnswer: "YES" | "NO";
  validator: { status: "NOT MEASURED" | "MEASURED"; reason: string; wouldMeasure: string };
  /** The validator faults measured on a real QBFT network; null in-process. */
  network: NetworkRecoveryEvidence | null;
}

const VALIDATOR: RecoveryEvidence["validator"] = {
  status: "NOT MEASURED",
  reason:
    "the in-process Hardhat network has one built-in block producer and no validator to stop; a validator stop " +
    "is measured on a QBFT network of four or more validators",
  wouldMeasure:
    "on four QBFT validators (f = 1): stop one while settlements run and time the next block and the next " +
    "settlement receipt through the participant; three of four are still a quorum, so blocks continue after at " +
    "most one round-change timeout (when the stopped validator was the proposer)",
};

// ------------------------------------------------------------------ question 3

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A small DvP the measurements settle: 10 B30 from `seller` to `buyer` for 1,000.00 aEUR. */
export function probeTerms(run: DemoRun, ref: string, seller: DemoBank, buyer: DemoBank): SettlementTerms {
  const token = (symbol: string) => run.record.tokens.find((t) => t.symbol === symbol)!.address;
  return {
    tradeRef: encodeBytes32String(ref),
    kind: 0,
    seller: seller.address,
    buyer: buyer.address,
    asset: token("B30"),
    assetAmount: 10n,
    cash: token("aEUR"),
    cashAmount: 1_000_00n,
  };
}

const failureText = (error: unknown): string =>
  isFrameworkError(error) ? `${error.code}: ${error.message}` : String((error as Error).message ?? error);

export async function measureRecovery(
  run: DemoRun,
  options: {
    runDir: string;
    settings: ReadinessSettings;
    rtoMs: number;
    /** Measures the validator faults on a real network; absent in-process. */
    validators?: () => Promise<NetworkRecoveryEvidence>;
  },
): Promise<RecoveryEvidence> {
  const [alpha, beta] = run.banks;
  const library = acquireLibrary(SOFTHSM_MODULE);
  try {
    const faults: [string, () => void][] = [
      ["none (baseline)", () => undefined],
      [
        "all PKCS#11 sessions of its token closed (C_CloseAllSessions)",
        () => library.api().C_CloseAllSessions(findSlot(library.api(), beta.short)),
      ],
      ["PKCS#11 module finalised (C_Finalize, every bank's sessions)", () => library.api().C_Finalize()],
    ];
    const hsm: RecoverySample[] = [];
    let n = 0;
    for (const [fault, inject] of faults) {
      const samplesMs: number[] = [];
      for (let i = 0; i < options.settings.samples; i++) {
        const terms = probeTerms(run, `READY-${++n}`, beta, alpha);
        await beta.participant.instruct(terms);
        await alpha.participant.affirm(terms);
        inject();
        const start = performance.now();
        await beta.participant.settle(terms);
        samplesMs.push(round(performance.now() - start));
      }
      hsm.push({ fault, bank: beta.name, samplesMs, p50Ms: percentile(samplesMs, 50), maxMs: Math.max(...samplesMs) });
    }
    const outage = await measureOutage(run, library, probeTerms(run, `READY-${++n}`, beta, alpha), options);
    const outageAnswer =
      outage.status === "resumed" && (outage.resumedAfterRestoreMs ?? Infinity) <= options.rtoMs ? "YES" : "NO";
    const base = { rtoMs: options.rtoMs, hsm, outage, outageAnswer } as const;
    if (options.validators === undefined) {
      return { ...base, answer: "PARTLY MEASURED", validator: VALIDATOR, network: null };
    }
    const network = await options.validators();
    const yes =
      outageAnswer === "YES" &&
      network.killed.answer === "YES" &&
      network.halt.answer === "YES" &&
      network.recoveryPoint.lost.length === 0 &&
      network.restored;
    const validator = {
      status: "MEASURED" as const,
      reason: `measured on ${network.validators} QBFT validators of the devnet`,
      wouldMeasure: "",
    };
    return { ...base, answer: yes ? "YES" : "NO", validator, network };
  } finally {
    library.release();
  }
}

/** The demo token's directory under the run directory, found by its label (or why it cannot be). */
function tokenDirectory(label: string, runDir: string): string | { dir: string } {
  const conf = process.env.SOFTHSM2_CONF;
  const tokens = conf && /^directories\.tokendir\s*=\s*(.+)$/m.exec(readFileSync(conf, "utf8"))?.[1].trim();
  if (!tokens || path.relative(runDir, tokens).startsWith("..")) return "the SoftHSM token directory is not the demo's";
  const padded = Buffer.from(label.padEnd(32));
  const found = readdirSync(tokens).filter((d) => {
    try {
      return readFileSync(path.join(tokens, d, "token.object")).includes(padded);
    } catch {
      return false;
    }
  });
  if (found.length !== 1) return `${found.length} token directories carry the label ${label}`;
  return { dir: path.join(tokens, found[0]) };
}

/** The token outage (see the module comment): refused attempts while it lasts, then the time to resume. */
async function measureOutage(
  run: DemoRun,
  library: Pkcs11Library,
  terms: SettlementTerms,
  options: { runDir: string; settings: ReadinessSettings },
): Promise<OutageEvidence> {
  const [alpha, beta] = run.banks;
  const { outageMs, retryIntervalMs, resumeTimeoutMs } = options.settings;
  const result: OutageEvidence = {
    status: "not measured",
    bank: beta.name,
    outageMs,
    refusedAttempts: 0,
    refusedAfterMs: 0,
    signedDuringOutage: 0,
    resumedAfterRestoreMs: null,
    resumeTimeoutMs,
    reason: null,
  };
  const located = tokenDirectory(beta.short, options.runDir);
  if (typeof located === "string") return { ...result, reason: located };
  await beta.participant.instruct(terms);
  await alpha.participant.affirm(terms);
  const signatures = async () => {
    let count = 0;
    for await (const r of beta.participant.auditRecords()) if (r.kind === "signature") count += 1;
    return count;
  };
  const signedBefore = await signatures();
  const slot = findSlot(library.api(), beta.short);
  const offline = path.join(path.dirname(path.dirname(located.dir)), `offline-${path.basename(located.dir)}`);
  const refused: number[] = [];
  let restoredAt = 0;
  renameSync(located.dir, offline);
  try {
    library.api().C_CloseAllSessions(slot);
    const start = performance.now();
    while (performance.now() - start < outageMs && result.reason === null) {
      const attempt = performance.now();
      try {
        await beta.participant.settle(terms);
        result.reason = "a settle was mined while the token was offline";
      } catch (error) {
        if (isFrameworkError(error, "HSM_UNAVAILABLE")) refused.push(round(performance.now() - attempt));
        else result.reason = `unexpected failure while the token was offline: ${failureText(error)}`;
      }
      await sleep(retryIntervalMs);
    }
  } finally {
    renameSync(offline, located.dir);
    try {
      library.api().C_Finalize();
    } catch {
      // Already finalised: the next operation initialises the module again either way.
    }
    restoredAt = performance.now();
  }
  Object.assign(result, {
    refusedAttempts: refused.length,
    refusedAfterMs: refused.length === 0 ? 0 : percentile(refused, 50),
    signedDuringOutage: (await signatures()) - signedBefore,
  });
  if (result.reason !== null) return result;
  let last: unknown;
  while (performance.now() - restoredAt < resumeTimeoutMs) {
    try {
      await beta.participant.settle(terms);
      return { ...result, status: "resumed", resumedAfterRestoreMs: round(performance.now() - restoredAt) };
    } catch (error) {
      last = error;
      await sleep(retryIntervalMs);
    }
  }
  const chainNonce = await run.hre.ethers.provider.getTransactionCount(beta.address, "latest");
  const nonce = isFrameworkError(last) ? Number(last.details.nonce) : NaN;
  const gap =
    nonce > chainNonce
      ? `; its signed transaction has nonce ${nonce} while the chain expects ${chainNonce}: the ${nonce - chainNonce} ` +
        "nonce(s) in between went to signing attempts the HSM refused and were never signed (a nonce gap)"
      : "";
  return {
    ...result,
    status: "not resumed",
    reason: `no settle mined within ${resumeTimeoutMs} ms of the restore (last: ${failureText(last)})${gap}`,
  };
}
