/**
 * `demo`: the README's main job. On the in-process Hardhat network, three banks, each with its own SoftHSM
 * token, signed policy bundle and audit log, settle a tokenized bond against a tokenized deposit on one
 * consortium: an allowed DvP, one denied by a counterparty limit, one approved by two compliance officers, a
 * new policy bundle without redeployment, a shared parameter changed by quorum and timelock, and a reversal by
 * quorum inside the window, refused after finality. It prints each step and a summary, and writes an HTML
 * report of every trade's chain events beside both banks' audit records (under --run-dir). With `--network qbft`
 * the same scenes run on the local QBFT devnet (deploy/consortia/devnet.json: windows and timelocks of seconds),
 * where the demo waits for the chain's own clock instead of moving it.
 */
import path from "node:path";
import { ChainStateError, ErrorCode } from "../errors";
import { commandTask } from "../tasks/define";
import { DEMO_CONSORTIUM_CONFIGS } from "./networks";

interface DemoArgs {
  consortiumConfig?: string;
  runDir: string;
  json: boolean;
}

commandTask(
  "demo",
  "Three banks settle end to end through their HSM keys and policy gates, with approvals, a policy change, governance and reversals",
  (t) =>
    t
      .addOptionalParam(
        "consortiumConfig",
        "Consortium configuration (JSON; default deploy/consortia/demo.json, on qbft deploy/consortia/devnet.json)",
      )
      .addOptionalParam(
        "runDir",
        "Where the banks' tokens, logs and the report are written (emptied first)",
        "reports/demo",
      ),
  async (args: DemoArgs, out, hre) => {
    const config = DEMO_CONSORTIUM_CONFIGS[hre.network.name];
    if (config === undefined) {
      throw new ChainStateError(
        ErrorCode.WrongNetwork,
        `the demo deploys afresh with development keys, so it runs on the in-process network or the qbft devnet, not ${hre.network.name}`,
        { network: hre.network.name },
      );
    }
    const { runDemo } = await import("./run");
    const evidence = await runDemo(hre, out, {
      consortiumConfig: args.consortiumConfig ?? config,
      runDir: path.resolve(hre.config.paths.root, args.runDir),
    });
    return out.result(evidence);
  },
);
