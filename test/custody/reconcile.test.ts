import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ErrorCode } from "../../src/errors";
import {
  OmnibusLedger,
  parseCustodyConfig,
  reconcile,
  type OmnibusCustodyConfig,
  type ReconciliationReport,
} from "../../src/custody";
import { RECONCILE_MISMATCH_EXIT } from "../../src/tasks/custody";
import { OPENING, deployConsortium, type ConsortiumFixture } from "../fixtures";
import { captureStdout, expectTaskError, runHuman, runJson } from "../tasks/helpers";
import { cleanTempDirs, expectCode, tempFolder } from "./helpers";

const TASK = "custody:reconcile";

interface Setup {
  f: ConsortiumFixture;
  file: string;
  config: OmnibusCustodyConfig;
}

describe("omnibus reconciliation", function () {
  cleanTempDirs();

  /** The fixture, Alpha Bank's account as the omnibus address, and a ledger booking its whole opening balance. */
  async function omnibusBank(): Promise<Setup> {
    const f = await loadFixture(deployConsortium);
    const dir = tempFolder();
    const input = {
      model: "omnibus",
      bank: "Alpha Bank",
      omnibus: { address: f.banks[0].account.address, tier: "hot" },
      ledger: { path: "ledger.sqlite" },
      assets: [{ address: await f.cash.getAddress(), symbol: "aEUR" }],
    };
    const file = path.join(dir, "custody.json");
    writeFileSync(file, JSON.stringify(input));
    const config = parseCustodyConfig(input, { source: file, baseDir: dir }) as OmnibusCustodyConfig;
    const ledger = await OmnibusLedger.open(config.ledger);
    try {
      const cash = await f.cash.getAddress();
      await ledger.credit({
        movementId: "open-1",
        clientId: "client-1",
        asset: cash,
        amount: OPENING.cash - 2_500_00n,
      });
      await ledger.credit({ movementId: "open-2", clientId: "client-2", asset: cash, amount: 2_500_00n });
      await ledger.credit({
        movementId: "open-3",
        clientId: "client-1",
        asset: await f.bond.getAddress(),
        amount: OPENING.bond,
      });
      await ledger.transfer({
        movementId: "t-1",
        fromClientId: "client-1",
        toClientId: "client-2",
        asset: cash,
        amount: 1n,
      });
    } finally {
      await ledger.close();
    }
    return { f, file, config };
  }

  /** An on-chain transfer out of the omnibus address that the ledger never books. */
  async function unbookedTransfer(f: ConsortiumFixture, amount: bigint): Promise<void> {
    await f.cash.connect(f.banks[0].account).transfer(f.banks[1].account.address, amount);
  }

  /** Runs the task as if the command line had asked for it; returns what it printed and the exit status. */
  async function onCommandLine(file: string): Promise<{ stdout: string; exitCode: number | undefined }> {
    const [argv, exitCode] = [process.argv, process.exitCode];
    process.argv = [...argv, TASK, "--custody-config", file];
    process.exitCode = undefined;
    try {
      const { stdout } = await captureStdout(() => hre.run(TASK, { custodyConfig: file, json: false }));
      return { stdout, exitCode: process.exitCode as number | undefined };
    } finally {
      process.argv = argv;
      process.exitCode = exitCode;
    }
  }

  it("reports every asset ok when the ledger's totals equal the omnibus balances", async function () {
    const { f, config } = await omnibusBank();
    const ledger = await OmnibusLedger.open(config.ledger);
    const report = await reconcile(ledger, ethers.provider, config).finally(() => ledger.close());
    expect(report.ok).to.equal(true);
    const cash = report.assets.find((a) => a.symbol === "aEUR");
    expect(cash).to.deep.include({ ledgerTotal: OPENING.cash, onChainBalance: OPENING.cash, difference: 0n });
    // The bond is not configured: the ledger books it, so it is reconciled under the symbol read on chain.
    expect(report.assets.find((a) => a.asset === config.assets[0].address)?.status).to.equal("ok");
    expect(report.assets.map((a) => a.symbol).sort()).to.deep.equal(["B30", "aEUR"]);
    expect(report.omnibus).to.equal(f.banks[0].account.address);
  });

  it("reports a mismatch after an on-chain transfer the ledger never booked", async function () {
    const { f, config } = await omnibusBank();
    await unbookedTransfer(f, 1_234n);
    const ledger = await OmnibusLedger.open(config.ledger);
    const report = await reconcile(ledger, ethers.provider, config).finally(() => ledger.close());
    expect(report.ok).to.equal(false);
    const bySymbol = Object.fromEntries(report.assets.map((a) => [a.symbol, a]));
    expect(bySymbol.aEUR).to.deep.include({
      ledgerTotal: OPENING.cash,
      onChainBalance: OPENING.cash - 1_234n,
      difference: -1_234n,
      status: "mismatch",
    });
    expect(bySymbol.B30.status).to.equal("ok");
  });

  it("refuses an asset address without a contract (wrong network) instead of reading a zero balance", async function () {
    const { f, config } = await omnibusBank();
    const ledger = await OmnibusLedger.open(config.ledger);
    const assets = [{ address: f.outsider.address, symbol: "GHOST" }];
    await expectCode(
      reconcile(ledger, ethers.provider, { ...config, assets }).finally(() => ledger.close()),
      ErrorCode.CustodyAssetUnreadable,
    );
  });

  it("custody:reconcile prints a table per asset and the report as one JSON document", async function () {
    const { file } = await omnibusBank();
    const human = await runHuman(TASK, { custodyConfig: file });
    expect(human).to.match(/asset\s+token\s+ledger\s+on chain\s+difference\s+status/);
    expect(human).to.match(/aEUR\s+0x\S+\s+500000000\s+500000000\s+0\s+ok/);
    expect(human).to.include("All 2 assets reconcile.");
    const json = await runJson<{ ok: boolean; assets: { symbol: string; ledgerTotal: string; status: string }[] }>(
      TASK,
      { custodyConfig: file },
    );
    expect(json.ok).to.equal(true);
    expect(json.assets.find((a) => a.symbol === "aEUR")).to.include({ ledgerTotal: "500000000", status: "ok" });
  });

  it("custody:reconcile reports the mismatching asset and its difference", async function () {
    const { f, file } = await omnibusBank();
    await unbookedTransfer(f, 700n);
    const json = await runJson<ReconciliationReport & { assets: { difference: string }[] }>(TASK, {
      custodyConfig: file,
    });
    expect(json.ok).to.equal(false);
    expect(json.assets.find((a) => a.symbol === "aEUR")).to.include({ difference: "-700", status: "mismatch" });
    const human = await runHuman(TASK, { custodyConfig: file });
    expect(human).to.match(/aEUR\s+0x\S+\s+500000000\s+499999300\s+-700\s+mismatch/);
    expect(human).to.include("1 of 2 assets mismatch: aEUR.");
  });

  it("custody:reconcile on the command line exits 65 when an asset mismatches, 0 when all reconcile", async function () {
    const { f, file } = await omnibusBank();
    const ok = await onCommandLine(file);
    expect(ok.exitCode).to.equal(undefined);
    await unbookedTransfer(f, 1n);
    const mismatch = await onCommandLine(file);
    expect(RECONCILE_MISMATCH_EXIT).to.equal(65);
    expect(mismatch.exitCode).to.equal(RECONCILE_MISMATCH_EXIT);
    expect(mismatch.stdout).to.include("mismatch");
  });

  it("custody:reconcile refuses a segregated configuration, a missing ledger and a missing file", async function () {
    const dir = tempFolder();
    const segregated = path.join(dir, "segregated.json");
    writeFileSync(
      segregated,
      JSON.stringify({
        model: "segregated",
        bank: "Alpha Bank",
        keystore: { path: "seed.json", passphrase: { env: "UNUSED" } },
        clients: { alice: { address: (await ethers.getSigners())[9].address, tier: "hot", hd: { index: 0 } } },
      }),
    );
    await expectTaskError(hre.run(TASK, { custodyConfig: segregated }), ErrorCode.InputInvalid, /no omnibus ledger/);
    const noLedger = path.join(dir, "no-ledger.json");
    writeFileSync(
      noLedger,
      JSON.stringify({
        model: "omnibus",
        bank: "Alpha Bank",
        omnibus: { address: (await ethers.getSigners())[2].address, tier: "hot" },
        ledger: { path: "absent.sqlite" },
      }),
    );
    await expectTaskError(
      hre.run(TASK, { custodyConfig: noLedger }),
      ErrorCode.CustodyLedgerUnavailable,
      /no such file/,
    );
    await expectTaskError(hre.run(TASK, { custodyConfig: path.join(dir, "none.json") }), ErrorCode.ConfigNotFound);

    // The real command line (a fresh process): one line on stderr and the input-error status.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("HARDHAT_")));
    const run = spawnSync("npx", ["hardhat", TASK, "--custody-config", segregated], {
      cwd: hre.config.paths.root,
      env,
      encoding: "utf8",
    });
    expect(run.status).to.equal(64);
    expect(run.stderr).to.include(`Error INPUT_INVALID: --custody-config ${segregated}: segregated custody has no`);
  });
});
