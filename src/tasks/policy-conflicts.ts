/**
 * `policy:conflicts`: holds a bank's policy data (and, if given, its approval configuration) against the shared
 * parameters of the recorded consortium, read from the chain, and prints every conflict. With at least one it
 * fails with POLICY_SHARED_CONFLICTS, carrying the whole report in its details (exit status 65); with none it
 * succeeds. A missing file is CONFIG_NOT_FOUND, a malformed one CONFIG_INVALID or CONFIG_MALFORMED.
 */
import { parseApprovalConfig } from "../approvals/config";
import { formatAmount } from "../config";
import { readJsonFile } from "../core/files";
import { ConfigError, ErrorCode, isFrameworkError } from "../errors";
import { findConflicts, type SharedConflict } from "../policy/conflicts";
import { readSharedParameters } from "../policy/shared";
import { SharedPolicyError } from "../policy/shared-errors";
import { loadContext } from "./context";
import { commandTask } from "./define";
import { formatDuration } from "./output";

interface ConflictsArgs {
  policyData: string;
  approvalConfig?: string;
  consortium?: string;
  json: boolean;
}

/** What the task reports (and returns), with or without conflicts. */
export interface ConflictsReport {
  network: string;
  consortium: { key: string; name: string; address: string };
  policyData: string;
  approvalConfig: string | null;
  shared: {
    policyVersion: number;
    reversalWindow: number;
    affirmationWindow: number;
    paused: boolean;
    blockNumber: number;
    readAt: number;
    /** Per-settlement cap in base units by symbol ("0": not eligible). */
    caps: Record<string, string>;
  };
  conflicts: SharedConflict[];
}

commandTask(
  "policy:conflicts",
  "Report every conflict between a bank's policy data and the consortium's shared parameters on chain",
  (t) =>
    t
      .addParam("policyData", "The bank's policy data document, e.g. policies/bank/data.json")
      .addOptionalParam("approvalConfig", "The approval configuration (JSON), to check its requestTtlSeconds")
      .addOptionalParam("consortium", "Which recorded consortium (name or key), when several are deployed"),
  async (args: ConflictsArgs, out, hre) => {
    const data = await readJsonFile(args.policyData);
    const approvalTtlSeconds = args.approvalConfig === undefined ? undefined : await approvalTtl(args.approvalConfig);
    const ctx = await loadContext(hre, args.consortium);
    const tokens = ctx.record.tokens;
    const shared = await readSharedParameters(ctx.consortium, tokens);
    let conflicts: SharedConflict[];
    try {
      conflicts = findConflicts(data, shared, { approvalTtlSeconds });
    } catch (error) {
      if (!isFrameworkError(error, "POLICY_SHARED_DATA_INVALID")) throw error;
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        `${args.policyData}: ${error.message}`,
        { file: args.policyData, ...error.details },
        error,
      );
    }
    const report: ConflictsReport = {
      network: ctx.network,
      consortium: { key: ctx.record.key, name: ctx.record.name, address: ctx.record.consortium },
      policyData: args.policyData,
      approvalConfig: args.approvalConfig ?? null,
      shared: {
        policyVersion: shared.policyVersion,
        reversalWindow: shared.reversalWindow,
        affirmationWindow: shared.affirmationWindow,
        paused: shared.paused,
        blockNumber: shared.blockNumber,
        readAt: shared.readAt,
        caps: Object.fromEntries([...shared.caps].map(([symbol, cap]) => [symbol, cap.toString()])),
      },
      conflicts,
    };

    out.line(`Policy data ${args.policyData} against consortium "${ctx.record.name}" on ${ctx.network}`);
    out.line(
      `  shared-policy version ${shared.policyVersion} at block ${shared.blockNumber}, affirmation window ` +
        `${formatDuration(shared.affirmationWindow)}, reversal window ${formatDuration(shared.reversalWindow)}, ` +
        `${shared.paused ? "settlement paused" : "settlement running"}`,
    );
    const caps = tokens.map((t) => {
      const cap = shared.caps.get(t.symbol) ?? 0n;
      return `${t.symbol} ${cap === 0n ? "not eligible" : `${formatAmount(cap, t.decimals, { grouped: true })} (${cap})`}`;
    });
    out.line(`  per-settlement caps: ${caps.length === 0 ? "no tokens recorded" : caps.join(", ")}`);
    out.line();
    if (conflicts.length === 0) {
      out.line("No conflicts.");
      return out.result(report);
    }
    out.table(
      ["code", "path", "bank", "on chain", "message"],
      conflicts.map((c) => [c.code, c.path, c.bankValue, c.sharedValue, c.message]),
    );
    out.line();
    throw new SharedPolicyError(
      "POLICY_SHARED_CONFLICTS",
      `${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"} between ${args.policyData} and the shared ` +
        `parameters of "${ctx.record.name}" (${[...new Set(conflicts.map((c) => c.code))].join(", ")})`,
      { ...report },
    );
  },
);

/** `requestTtlSeconds` of the approval configuration in `file`. */
async function approvalTtl(file: string): Promise<number> {
  const json = await readJsonFile(file);
  try {
    return parseApprovalConfig(json).requestTtlSeconds;
  } catch (error) {
    if (!isFrameworkError(error, "APPROVAL_CONFIG_INVALID")) throw error;
    throw new ConfigError(ErrorCode.ConfigInvalid, `${file}: ${error.message}`, { file, ...error.details }, error);
  }
}
