// The participant API on real parts: the demo's three banks (SoftHSM keys as operators and accounts, signed
// bundles of the real bank policy, SQLite logs) on the in-process network. Retries never sign a call twice, a
// transaction that never reached the chain is rebroadcast with the same bytes, and bad configuration opens nothing.
import { expect } from "chai";
import { encodeBytes32String, id, Interface, Transaction } from "ethers";
import hre from "hardhat";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DemoBank } from "../../src/demo/banks";
import type { DemoClock } from "../../src/demo/clock";
import type { DeploymentRecord } from "../../src/deploy";
import { isFrameworkError } from "../../src/errors";
import { signApproval } from "../../src/approvals";
import { parseParticipantConfig, Participant, type ParticipantConfigInput } from "../../src/participant";
import { SigningRecordStore } from "../../src/signer";
import { type SharedPolicyError } from "../../src/policy";
import type { SettlementTerms } from "../../src/settlement";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium, reopenBank } from "./helpers";

describe("Participant", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let clock: DemoClock;
  let n = 0;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "participant-"));
    ({ record, clock, banks } = await openDemoConsortium(dir));
  });

  after(async function () {
    for (const b of banks) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  function dvp(seller: DemoBank, buyer: DemoBank, bonds: bigint, cash: bigint): SettlementTerms {
    const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
    return {
      tradeRef: encodeBytes32String(`PARTICIPANT-${++n}`),
      kind: 0,
      seller: seller.address,
      buyer: buyer.address,
      asset: token("B30"),
      assetAmount: bonds,
      cash: token("aEUR"),
      cashAmount: cash,
    };
  }

  async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
    return p.then(
      () => expect.fail("expected a refusal"),
      (e: unknown) => e,
    );
  }

  async function signatures(bank: DemoBank, subject: string): Promise<number> {
    let count = 0;
    for await (const r of bank.participant.auditRecords())
      if (r.kind === "signature" && r.subject === subject) count += 1;
    return count;
  }

  it("settles a DvP through both banks' gates, each step sent by the bank's HSM key", async function () {
    const [alpha, beta] = banks;
    const terms = dvp(beta, alpha, 10n, 1_000_00n);
    const instructed = await beta.participant.instruct(terms);
    const affirmed = await alpha.participant.affirm(terms);
    const settled = await beta.participant.settle(terms);
    expect(instructed.receipt.from).to.equal(beta.address);
    expect(affirmed.receipt.from).to.equal(alpha.address);
    expect([instructed.retried, affirmed.retried, settled.retried]).to.deep.equal([false, false, false]);
    const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
    expect(await engine.statusOf(settled.settlementId)).to.equal(3n);
  });

  it("returns the earlier transaction for a retried call instead of signing it again", async function () {
    const [alpha, beta] = banks;
    const terms = dvp(beta, alpha, 11n, 1_100_00n);
    const first = await beta.participant.instruct(terms);
    const again = await beta.participant.instruct(terms);
    expect(again.retried).to.equal(true);
    expect(again.txHash).to.equal(first.txHash);
    expect(await signatures(beta, first.settlementId)).to.equal(1);
  });

  it("rebroadcasts the same signed bytes when the first transaction never reached a block", async function () {
    const [alpha, beta] = banks;
    const terms = dvp(beta, alpha, 12n, 1_200_00n);
    const file = path.join(beta.dir, "participant.json");
    const config = JSON.parse(await readFile(file, "utf8")) as ParticipantConfigInput;
    await beta.participant.close();
    beta.participant = await Participant.open(
      { ...config, submission: { ...config.submission, receiptTimeoutMs: 300 } },
      { provider: hre.ethers.provider, now: () => clock.now() },
    );
    await hre.network.provider.request({ method: "evm_setAutomine", params: [false] });
    let lost: unknown;
    try {
      await beta.participant.instruct(terms);
    } catch (error) {
      lost = error;
    } finally {
      await hre.network.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    expect(isFrameworkError(lost, "TRANSACTION_FAILED"), String(lost)).to.equal(true);
    const txHash = (lost as { details: { txHash: string } }).details.txHash;
    await hre.network.provider.request({ method: "hardhat_dropTransaction", params: [txHash] });
    const retried = await beta.participant.instruct(terms);
    expect(retried).to.include({ retried: true, txHash });
    expect(retried.receipt.status).to.equal(1);
    expect(await signatures(beta, retried.settlementId)).to.equal(1);
  });

  it("finds at start a transaction signed but never recorded as sent, and sends those bytes instead of signing again", async function () {
    const [alpha, beta] = banks;
    const cash = record.tokens.find((t) => t.symbol === "aEUR")!.address;
    const data = new Interface(["function transfer(address to, uint256 amount)"]).encodeFunctionData("transfer", [
      beta.address,
      1_23n,
    ]);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    // The crash window: the gate signed (and audited) the call, the process died before recording it as sent.
    const populated = await alpha.participant.gate.populateTransaction({ to: cash, data, chainId });
    const signed = Transaction.from(await alpha.participant.gate.signTransaction(populated));
    const config = JSON.parse(
      await readFile(path.join(alpha.dir, "participant.json"), "utf8"),
    ) as ParticipantConfigInput;
    await alpha.participant.close();
    alpha.participant = await Participant.open(config, { provider: hre.ethers.provider, now: () => clock.now() });
    const sent = await alpha.participant.transfer(cash, beta.address, 1_23n);
    expect(sent).to.include({ retried: true, txHash: signed.hash, nonce: signed.nonce });
    expect(sent.receipt.status).to.equal(1);
    expect(await hre.ethers.provider.getTransactionCount(alpha.address)).to.equal(signed.nonce + 1);
    expect((await alpha.participant.pendingSubmissions()).map((p) => p.txHash)).to.not.include(signed.hash);
  });

  /** Reopens `bank`'s participant from its configuration (start-up recovery runs). */
  async function reopen(bank: DemoBank): Promise<void> {
    await reopenBank(bank, clock);
  }

  /** `bank`'s first operations officer approves the open request `approvalId`. */
  async function approveAsOperations(bank: DemoBank, approvalId: string): Promise<void> {
    const [request] = await bank.participant
      .approvalRequests({ state: "pending" })
      .then((all) => all.filter((r) => r.intentId === approvalId));
    expect(request, approvalId).to.not.equal(undefined);
    const officer = bank.officers[0];
    const vote = {
      intentDigest: request.digest,
      approverId: officer.id,
      decision: "approve" as const,
      expiresAt: clock.now() + 600,
    };
    const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    await bank.participant.submitApproval(await signApproval(officer.wallet, approvalId, vote, chainId));
  }

  it("fills a nonce whose signed bytes the node refuses with a no-op, once operations approve it", async function () {
    const [alpha, beta] = banks;
    const cash = record.tokens.find((t) => t.symbol === "aEUR")!.address;
    const data = new Interface(["function transfer(address to, uint256 amount)"]).encodeFunctionData("transfer", [
      beta.address,
      1_24n,
    ]);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    const block = await hre.ethers.provider.getBlock("latest");
    // Signed (and audited) with a gas limit above the block's: no node will ever mine these bytes.
    const populated = await alpha.participant.gate.populateTransaction({
      to: cash,
      data,
      chainId,
      gasLimit: block!.gasLimit + 1n,
    });
    const unmineable = Transaction.from(await alpha.participant.gate.signTransaction(populated));
    await reopen(alpha);
    expect(alpha.participant.unresolvedNonces()).to.deep.equal([
      {
        nonce: unmineable.nonce,
        reason: "unmineable",
        txHash: unmineable.hash,
        error: alpha.participant.unresolvedNonces()[0].error,
      },
    ]);
    // The start-up fill opened a request for operations; nothing was signed for the nonce yet.
    const pending = await rejectionOf(alpha.participant.fillNonce(unmineable.nonce));
    expect(isFrameworkError(pending, "GATE_APPROVALS_PENDING"), String(pending)).to.equal(true);
    await approveAsOperations(alpha, `nonce-fill:${unmineable.nonce}/fill_nonce`);
    const filled = await alpha.participant.fillNonce(unmineable.nonce);
    expect(filled).to.include({ nonce: unmineable.nonce });
    const fill = await hre.ethers.provider.getTransaction(filled.txHash);
    expect(fill).to.include({ to: alpha.address, from: alpha.address, value: 0n, data: "0x" });
    expect(alpha.participant.unresolvedNonces()).to.deep.equal([]);
    expect(await signatures(alpha, `nonce-fill:${unmineable.nonce}`)).to.equal(1);
    // The transactions above it are no longer stuck.
    const next = await alpha.participant.transfer(cash, beta.address, 1_25n);
    expect(next).to.include({ nonce: unmineable.nonce + 1 });
  });

  it("fills a nonce that was allocated but never signed (a crash between the two) once operations approve it", async function () {
    const [alpha] = banks;
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    const gap = await hre.ethers.provider.getTransactionCount(alpha.address, "latest");
    const config = JSON.parse(
      await readFile(path.join(alpha.dir, "participant.json"), "utf8"),
    ) as ParticipantConfigInput;
    await alpha.participant.close();
    // The signing records are in the bank's one store (the audit log's file) unless the configuration names a file.
    const parsed = parseParticipantConfig(config);
    const file = parsed.signingRecords?.path ?? (parsed.audit.backend === "sqlite" ? parsed.audit.path : "");
    const records = SigningRecordStore.open({ path: file });
    records.recordIntent(alpha.address, chainId, gap, id("a payload the crash never signed"));
    records.recordIntent(alpha.address, chainId, gap + 1, id("another"));
    records.close();
    alpha.participant = await Participant.open(config, { provider: hre.ethers.provider, now: () => clock.now() });
    expect(alpha.participant.unresolvedNonces()).to.deep.equal([
      { nonce: gap, reason: "unsigned" },
      { nonce: gap + 1, reason: "unsigned" },
    ]);
    await approveAsOperations(alpha, `nonce-fill:${gap}/fill_nonce`);
    await alpha.participant.fillNonce(gap);
    await rejectionOf(alpha.participant.fillNonce(gap + 1));
    await approveAsOperations(alpha, `nonce-fill:${gap + 1}/fill_nonce`);
    await alpha.participant.fillNonce(gap + 1);
    expect(await hre.ethers.provider.getTransactionCount(alpha.address, "pending")).to.equal(gap + 2);
    expect(alpha.participant.unresolvedNonces()).to.deep.equal([]);
  });

  it("gives back reserved exposure when its settlement is cancelled", async function () {
    const [alpha, beta] = banks;
    const terms = dvp(beta, alpha, 13n, 1_300_00n);
    const { settlementId } = await beta.participant.instruct(terms);
    expect(beta.participant.engine.reservation(settlementId)?.state).to.equal("reserved");
    await beta.participant.cancel(terms, "booked twice");
    expect(beta.participant.engine.reservation(settlementId)).to.include({
      state: "released",
      releasedReason: "cancelled",
    });
    expect(await beta.participant.syncSettlement(terms)).to.equal(8n);
  });

  it("refuses an invalid configuration with CONFIG_INVALID, naming the fields, and opens nothing", async function () {
    const config = JSON.parse(await readFile(path.join(banks[2].dir, "participant.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const broken = { ...config, bank: { name: "", lei: "x" }, hsm: { ...(config.hsm as object), tokenLabel: "" } };
    let error: unknown;
    try {
      await Participant.open(broken as ParticipantConfigInput, { provider: hre.ethers.provider });
    } catch (e) {
      error = e;
    }
    expect(isFrameworkError(error, "CONFIG_INVALID"), String(error)).to.equal(true);
    expect((error as Error).message).to.match(/bank\.name: .*hsm\.tokenLabel: /);
  });

  it("fails closed without screening: a bank that configures none is denied every counterparty, unless it says none", async function () {
    const [alpha, , gamma] = banks;
    const file = path.join(gamma.dir, "participant.json");
    const config = JSON.parse(await readFile(file, "utf8")) as ParticipantConfigInput & { screening?: string };
    const { screening, ...unscreened } = config;
    expect(screening).to.equal("none");
    await gamma.participant.close();
    gamma.participant = await Participant.open(unscreened, { provider: hre.ethers.provider, now: () => clock.now() });
    let denied: unknown;
    try {
      await gamma.participant.instruct(dvp(gamma, alpha, 14n, 1_400_00n));
    } catch (error) {
      denied = error;
    }
    expect(isFrameworkError(denied, "GATE_DENIED"), String(denied)).to.equal(true);
    expect((denied as Error).message).to.match(/SCREENING_NOT_CONFIGURED/);
    await gamma.participant.close();
    gamma.participant = await Participant.open(config, { provider: hre.ethers.provider, now: () => clock.now() });
    const choices: unknown[] = [];
    for await (const r of gamma.participant.auditRecords())
      if (r.subject === "configuration:screening") choices.push((r.payload as { value: string }).value);
    expect(choices.slice(-2)).to.deep.equal(["missing", "none"]);
    expect((await gamma.participant.instruct(dvp(gamma, alpha, 15n, 1_500_00n))).receipt.status).to.equal(1);
  });

  it("verifies its audit log against the head it anchored on chain", async function () {
    const alpha = banks[0];
    const anchored = await alpha.participant.anchorAudit();
    const verified = await alpha.participant.verifyAudit(true);
    expect(verified).to.deep.include({ ok: true });
    expect(anchored.head.seq).to.be.greaterThan(0);
  });

  it("anchors its audit log's head periodically when configured, and refuses anchoring without an AuditAnchor", async function () {
    const gamma = banks[2];
    const config = JSON.parse(await readFile(path.join(gamma.dir, "participant.json"), "utf8")) as {
      consortium: Record<string, unknown>;
    };
    const withoutAnchor = { ...config.consortium, auditAnchor: undefined };
    let error: unknown;
    try {
      const input = { ...config, consortium: withoutAnchor, anchoring: { intervalSeconds: 60 } };
      await Participant.open(input as unknown as ParticipantConfigInput, { provider: hre.ethers.provider });
    } catch (e) {
      error = e;
    }
    expect(isFrameworkError(error, "CONFIG_INVALID"), String(error)).to.equal(true);
    expect((error as Error).message).to.match(/anchoring: periodic anchoring needs consortium\.auditAnchor/);

    await gamma.participant.close();
    const input = { ...config, anchoring: { intervalSeconds: 3600 } } as unknown as ParticipantConfigInput;
    gamma.participant = await Participant.open(input, { provider: hre.ethers.provider, now: () => clock.now() });
    const before = await gamma.participant.audit.head();
    const round = await gamma.participant.anchoring!.tick();
    expect(round?.head).to.deep.equal(before);
    expect(await gamma.participant.anchoring!.tick()).to.equal(null); // nothing new since
    expect(await gamma.participant.verifyAudit(true)).to.deep.include({ ok: true });
  });

  // Last: it moves the consortium to a new shared-policy version, which the other tests' bundles were not signed for.
  it("tells the operator at once when a governance change leaves its bundle behind, and audits the change", async function () {
    const [alpha, beta] = banks;
    const config = JSON.parse(
      await readFile(path.join(alpha.dir, "participant.json"), "utf8"),
    ) as ParticipantConfigInput;
    await alpha.participant.close();
    let told: (error: SharedPolicyError) => void = () => undefined;
    const conflict = new Promise<SharedPolicyError>((resolve) => (told = resolve));
    alpha.participant = await Participant.open(config, {
      provider: hre.ethers.provider,
      now: () => clock.now(),
      onSharedConflict: (error) => told(error),
    });
    const consortium = await hre.ethers.getContractAt("Consortium", record.consortium);
    const before = Number(await consortium.policyVersion());
    const change = consortium.interface.encodeFunctionData("setParameter", [0, 2 * 86_400]);
    await alpha.participant.governance("propose", [change, "longer reversal window"]);
    const proposal = await consortium.proposalCount();
    await beta.participant.governance("approve", [proposal]);
    await clock.advance(Number((await consortium.params()).proposalDelay));
    await alpha.participant.governance("execute", [proposal]);
    // No decision asks: the participant's watch of the shared parameters sees the change and reports it.
    const error = await conflict;
    expect(isFrameworkError(error, "POLICY_SHARED_VERSION_CHANGED"), String(error)).to.equal(true);
    expect(error.details).to.deep.include({ from: before, to: Number(await consortium.policyVersion()) });
    const records: Record<string, unknown>[] = [];
    for await (const r of alpha.participant.auditRecords())
      if (r.subject === "shared-policy:version") records.push(r.payload as Record<string, unknown>);
    expect(records.at(-1)).to.deep.include({ event: "version_changed", outcome: "deny", versionPolicy: "strict" });
  });
});
