import { expect } from "chai";
import hre from "hardhat";
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { openAuditStore, type AuditRecord } from "../../src/audit";
import { loadConsortiumConfig } from "../../src/config";
import { buildPolicy, consortiumConfigWithKeys, createBankKeys, openBanks, type DemoBank } from "../../src/demo/banks";
import { DemoClock } from "../../src/demo/clock";
import { DemoHsm } from "../../src/demo/softhsm";
import { deployConsortium } from "../../src/deploy";
import { ErrorCode } from "../../src/errors";
import { DEMO_CONFIG, dvpFlags, expectTaskError, isolateChain, runJson, SIGNER, tempDir } from "./helpers";

/** Beta Bank delivers 10 B30 to Alpha Bank for 1,010.00 aEUR, within both banks' limits. */
const dvp = (tradeRef: string) => dvpFlags(tradeRef, "10", "1010.00");

async function auditRecords(file: string): Promise<AuditRecord[]> {
  const store = await openAuditStore({ path: file });
  try {
    const records: AuditRecord[] = [];
    for await (const record of store.records()) records.push(record);
    return records;
  } finally {
    await store.close();
  }
}

describe("operator tasks through a bank's participant", function () {
  isolateChain();
  let banks: DemoBank[];
  const configOf = (short: string) => path.join(banks.find((b) => b.short === short)!.dir, "participant.json");
  const auditOf = (short: string) => path.join(banks.find((b) => b.short === short)!.dir, "audit.sqlite");

  before(async function () {
    // Three banks as the demo sets them up (SoftHSM tokens, signed bundles, audit logs), then closed, so that
    // each task opens its bank from the configuration file the way an operator's command does.
    this.timeout(10 * 60_000);
    const dir = await tempDir("participant-cli-");
    const hsm = DemoHsm.create(path.join(dir, "hsm"));
    const source = await loadConsortiumConfig(DEMO_CONFIG);
    const terms = { perSettlement: "100000000", daily: "300000000", cashThreshold: "50000000" };
    const inputs = source.members.map((m) => ({ name: m.name, lei: m.lei, terms }));
    const keys = createBankKeys(hsm, inputs);
    const configFile = consortiumConfigWithKeys(DEMO_CONFIG, keys, path.join(dir, "consortium.json"));
    const { wasm, base } = await buildPolicy(hre.config.paths.root, path.join(dir, "policy-build"));
    const { record } = await deployConsortium(hre, { configFile, fresh: true });
    const clock = new DemoClock(hre);
    await clock.toNextMonday(9);
    banks = await openBanks(hre, { runDir: dir, hsm, record, banks: inputs, keys, wasm, base, clock });
    for (const bank of banks) await bank.participant.close();
  });

  it("instructs, affirms and settles from the command line, each step decided, signed and audited by its bank", async function () {
    const instructed = await runJson<{ id: string; status: string; transactionHash: string }>("settlement:instruct", {
      ...dvp("CLI-DVP-1"),
      participantConfig: configOf("beta"),
    });
    expect(instructed.status).to.equal("Instructed");
    const affirmed = await runJson<{ status: string; transactionHash: string }>("settlement:affirm", {
      id: instructed.id,
      participantConfig: configOf("alpha"),
    });
    expect(affirmed.status).to.equal("Affirmed");
    const settled = await runJson<{ status: string; transactionHash: string }>("settlement:settle", {
      id: instructed.id,
      participantConfig: configOf("beta"),
    });
    expect(settled.status).to.equal("Settled");

    const beta = await auditRecords(auditOf("beta"));
    const decisions = beta.filter((r) => r.kind === "decision" && r.subject === instructed.id);
    const signatures = beta.filter((r) => r.kind === "signature" && r.subject === instructed.id);
    expect(decisions.map((d) => (d.payload as { outcome: string }).outcome)).to.deep.equal(["allow", "allow"]);
    const signed = signatures.map((s) => s.payload as { txHash: string; decisionId: string });
    expect(signed.map((s) => s.txHash)).to.deep.equal([instructed.transactionHash, settled.transactionHash]);
    const decisionIds = decisions.map((d) => (d.payload as { decisionId: string }).decisionId);
    expect(signed.map((s) => s.decisionId)).to.deep.equal(decisionIds);

    const alpha = await auditRecords(auditOf("alpha"));
    const alphaSigned = alpha
      .filter((r) => r.kind === "signature" && r.subject === instructed.id)
      .map((r) => (r.payload as { txHash: string }).txHash);
    expect(alphaSigned).to.deep.equal([affirmed.transactionHash]);
  });

  it("a step the bank's policy denies is refused before anything is signed, and the denial is in its log", async function () {
    const before = (await auditRecords(auditOf("beta"))).filter((r) => r.kind === "signature").length;
    // Alpha's policy allows 1,000,000.00 aEUR a trade with Beta; this one is above it.
    const error = await expectTaskError(
      hre.run("settlement:instruct", {
        ...dvp("CLI-DVP-2"),
        seller: "Beta Bank",
        buyer: "Alpha Bank",
        assetAmount: "15000",
        cashAmount: "1515000.00",
        participantConfig: configOf("alpha"),
      }),
      ErrorCode.GateDenied,
      /SETTLEMENT_LIMIT_EXCEEDED/,
    );
    expect(error.details.reasons).to.be.an("array").that.is.not.empty;
    const alpha = await auditRecords(auditOf("alpha"));
    const denials = alpha.filter((r) => r.kind === "decision" && (r.payload as { outcome: string }).outcome === "deny");
    expect(denials).to.have.length(1);
    expect((await auditRecords(auditOf("beta"))).filter((r) => r.kind === "signature")).to.have.length(before);
  });

  it("unwinds an affirmed settlement through both banks' policies and gives its exposure back", async function () {
    const { id } = await runJson<{ id: string }>("settlement:instruct", {
      ...dvp("CLI-UNWIND-1"),
      participantConfig: configOf("beta"),
    });
    await runJson("settlement:affirm", { id, participantConfig: configOf("alpha") });
    const proposed = await runJson<{ status: string; action: string }>("settlement:unwind", {
      id,
      reason: "cash account frozen",
      participantConfig: configOf("alpha"),
    });
    expect(proposed).to.include({ action: "unwind proposed", status: "Affirmed" });
    const approved = await runJson<{ status: string }>("settlement:unwind", {
      id,
      participantConfig: configOf("beta"),
    });
    expect(approved.status).to.equal("Unwound");
    const beta = await auditRecords(auditOf("beta"));
    const unwind = beta.filter((r) => r.kind === "decision" && r.subject === id).at(-1)!;
    expect(unwind.payload).to.deep.include({ outcome: "allow" });
    expect((unwind.payload as { intent: { action: string } }).intent.action).to.equal("approve_unwind");
    // Its exposure was given back when the unwind executed.
    const released = beta.filter((r) => r.kind === "reservation" && r.subject === id);
    expect(released.map((r) => (r.payload as { reason: string }).reason)).to.include("unwound");
  });

  it("lists what a bank has pending, and fills a nonce only once operations approve it", async function () {
    const listed = await runJson<{ pending: unknown[]; unresolved: unknown[] }>("participant:pending", {
      participantConfig: configOf("gamma"),
    });
    expect(listed).to.deep.include({ pending: [], unresolved: [] });
    const gamma = banks.find((b) => b.short === "gamma")!;
    const nonce = await hre.ethers.provider.getTransactionCount(gamma.address, "latest");
    await expectTaskError(
      hre.run("participant:pending", { participantConfig: configOf("gamma"), fill: String(nonce) }),
      ErrorCode.GateApprovalsPending,
      /NONCE_FILL_REQUIRES_APPROVAL|approvals pending/,
    );
    expect(await hre.ethers.provider.getTransactionCount(gamma.address, "pending")).to.equal(nonce);
  });

  it("anchors the bank's own audit log head through its participant", async function () {
    const anchored = await runJson<{ head: { seq: number }; blockNumber: number }>("audit:anchor", {
      participantConfig: configOf("gamma"),
    });
    const gamma = await auditRecords(auditOf("gamma"));
    expect(anchored.head.seq).to.be.greaterThan(0);
    expect(gamma.some((r) => r.kind === "signature")).to.equal(true);
  });

  it("refuses --from beside --participant-config", async function () {
    await expectTaskError(
      hre.run("settlement:instruct", { ...dvp("CLI-DVP-3"), from: SIGNER.beta, participantConfig: configOf("beta") }),
      ErrorCode.InputInvalid,
      /--from names a software key and --participant-config a bank's HSM key/,
    );
  });

  it("refuses a participant configuration for another consortium", async function () {
    const other = path.join(await tempDir(), "participant.json");
    const config = JSON.parse(await readFile(configOf("beta"), "utf8")) as {
      consortium: { consortium: string };
    };
    config.consortium.consortium = "0x000000000000000000000000000000000000dEaD";
    await writeFile(other, JSON.stringify(config));
    await expectTaskError(
      hre.run("settlement:instruct", { ...dvp("CLI-DVP-4"), participantConfig: other }),
      ErrorCode.DeploymentMismatch,
      /is for consortium 0x000000000000000000000000000000000000dEaD/,
    );
  });
});

describe("software keys outside the in-process network", function () {
  it("refuses to sign with a Hardhat account on a real network, before contacting it", function () {
    // Port 9 (discard) on loopback: nothing is expected to answer, and nothing may be asked.
    const env: NodeJS.ProcessEnv = { ...process.env, RPC_URL: "http://127.0.0.1:9" };
    for (const key of Object.keys(env)) if (key.startsWith("HARDHAT_")) delete env[key];
    const id = `0x${"ab".repeat(32)}`;
    const run = spawnSync("npx", ["hardhat", "settlement:affirm", "--id", id, "--network", "rpc"], {
      cwd: hre.config.paths.root,
      env,
      encoding: "utf8",
    });
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));
    expect(lines).to.deep.equal([
      "Error INPUT_MISSING: on rpc a task signs through a bank's participant: give --participant-config <file> " +
        "(software keys are for the in-process network only)",
    ]);
    expect(run.status).to.equal(64);
  });
});
