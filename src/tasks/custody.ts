/**
 * `custody:reconcile`: per asset, the omnibus ledger's total of client positions against the omnibus address's
 * balance on chain. Prints the table (or the report with `--json`) either way; on the command line, any
 * mismatch makes the process exit with 65 (sysexits EX_DATAERR, the status guard.ts gives data errors).
 */
import { ErrorCode, TaskInputError } from "../errors";
import { loadCustodyConfig, OmnibusLedger, reconcile, type ReconciliationReport } from "../custody";
import { commandTask } from "./define";
import { short } from "./output";

/** Exit status of a reconciliation that found a mismatch (the data-error status of `ERROR_STATUS` in src/errors). */
export const RECONCILE_MISMATCH_EXIT = 65;

const TASK = "custody:reconcile";

interface ReconcileArgs {
  custodyConfig: string;
  json: boolean;
}

commandTask(
  TASK,
  "Compare the omnibus ledger's total per asset with the omnibus address's balance on chain",
  (t) => t.addParam("custodyConfig", "Custody configuration file (JSON) of an omnibus bank"),
  async (args: ReconcileArgs, out, hre): Promise<ReconciliationReport> => {
    const config = await loadCustodyConfig(args.custodyConfig);
    if (config.model !== "omnibus") {
      throw new TaskInputError(
        ErrorCode.InputInvalid,
        `--custody-config ${args.custodyConfig}: ${config.model} custody has no omnibus ledger to reconcile`,
        { file: args.custodyConfig, model: config.model },
      );
    }
    const ledger = await OmnibusLedger.open({ ...config.ledger, mustExist: true });
    let report: ReconciliationReport;
    try {
      report = await reconcile(ledger, hre.ethers.provider, config);
    } finally {
      await ledger.close();
    }
    const mismatched = report.assets.filter((a) => a.status === "mismatch").map((a) => a.symbol);
    out.line(`Omnibus ${report.omnibus} of ${report.bank}, balances at block ${report.blockNumber}`);
    out.line("Amounts in each token's smallest unit; difference = on chain - ledger.");
    out.line();
    out.table(
      ["asset", "token", "ledger", "on chain", "difference", "status"],
      report.assets.map((a) => [
        a.symbol,
        short(a.asset),
        a.ledgerTotal.toString(),
        a.onChainBalance.toString(),
        a.difference > 0n ? `+${a.difference}` : a.difference.toString(),
        a.status,
      ]),
    );
    out.line();
    out.line(
      report.ok
        ? `All ${report.assets.length} assets reconcile.`
        : `${mismatched.length} of ${report.assets.length} assets mismatch: ${mismatched.join(", ")}.`,
    );
    // Only the command line's own task sets the status: a caller of hre.run reads `ok` from the report.
    if (!report.ok && process.argv.slice(2).includes(TASK)) process.exitCode = RECONCILE_MISMATCH_EXIT;
    return out.result(report);
  },
);
