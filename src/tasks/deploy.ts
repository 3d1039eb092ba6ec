/**
 * `deploy`: deploys a consortium from its configuration file with Ignition and records the addresses
 * (`deployments/<network>.json`; memory on the in-process network). Re-running it where the recorded
 * consortium exists and matches sends nothing and says so.
 *
 * The file is given with `--consortium-config`: `--config` is Hardhat's own global option (the Hardhat
 * configuration file) and cannot be a task parameter.
 */
import type { DeployResult } from "../deploy";
import { formatAmount } from "../config";
import { resolveSigner } from "./context";
import { commandTask } from "./define";
import type { Output } from "./output";

interface DeployArgs {
  consortiumConfig: string;
  from?: string;
  json: boolean;
}

/** Human report of a deployment (used by `deploy` and `demo`). */
export function printDeployment(out: Output, result: DeployResult): void {
  const { record } = result;
  if (result.status === "unchanged") {
    out.line(`Consortium "${record.name}" is already deployed on ${result.network} and matches: nothing to do.`);
  } else {
    out.line(`Deployed consortium "${record.name}" on ${result.network} (chain ${record.chainId}).`);
    for (const note of result.notes) out.line(`  note: ${note}`);
  }
  out.line(`  recorded in ${result.location}`);
  out.table(
    ["contract", "address", "what"],
    [
      ["Consortium", record.consortium, `${record.members.length} founding members`],
      ["SettlementEngine", record.engine, "DvP / FoP, escrow, reversal window"],
      ...record.tokens.map((t) => [
        t.symbol,
        t.address,
        `${t.name} (${t.kind}, ${t.decimals} decimals, cap ${formatAmount(BigInt(t.cap), t.decimals, { grouped: true })})`,
      ]),
    ],
  );
  out.table(
    ["member", "name", "LEI", "operators", "accounts"],
    record.members.map((m) => [String(m.id), m.name, m.lei, m.operators.join(" "), m.accounts.join(" ")]),
  );
  const funded = new Map<string, bigint>();
  for (const f of result.funding) funded.set(f.symbol, f.amount);
  for (const [symbol, amount] of funded) {
    const token = record.tokens.find((t) => t.symbol === symbol);
    const text = token === undefined ? String(amount) : formatAmount(amount, token.decimals, { grouped: true });
    out.line(`  funded every member account with ${text} ${symbol} (engine approved)`);
  }
}

commandTask(
  "deploy",
  "Deploy a consortium from its configuration file (idempotent; records addresses per network)",
  (t) =>
    t
      .addParam("consortiumConfig", "Consortium configuration (JSON), e.g. deploy/consortia/demo.json")
      .addOptionalParam("from", "Deployer: signer index or address (default: the configuration's deployer, else 0)"),
  async (args: DeployArgs, out, hre) => {
    // Loaded on use: the deploy library pulls in Ignition, which other tasks do not need.
    const { deployConsortium } = await import("../deploy");
    const from = args.from === undefined ? undefined : (await resolveSigner(hre, args.from)).address;
    const result = await deployConsortium(hre, { configFile: args.consortiumConfig, from });
    printDeployment(out, result);
    return out.result(result);
  },
);
