// The policy gate end to end on real parts: a SoftHSM key (Alpha Bank's operator, made one by governance)
// behind double-sign protection, the real bank policy as a signed bundle in the decision engine, real SQLite
// audit, reservation, approval and signing-record files, and the contracts on the Hardhat network.
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { id, Wallet, type Interface, type TransactionRequest } from "ethers";
import { ethers } from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ApprovalStore, signApproval } from "../../src/approvals";
import { openAuditStore, type AuditRecord, type AuditStore } from "../../src/audit";
import { PolicyEngine, PolicyRegistry, readPolicyFiles } from "../../src/policy";
import { generateSecp256k1Key, HsmSigner, NonceAllocator, ProtectedSigner, SigningRecordStore } from "../../src/signer";
import {
  CallDecoder,
  onChainDirectory,
  PolicyGatedSigner,
  type AmlResult,
  type GateApprovalsPendingError,
  type GateDeniedError,
  type KeyTier,
} from "../../src/orchestrator";
import { enact } from "../contracts/governance/consortium.behavior";
import {
  deployConsortium,
  dvpTerms,
  fopTerms,
  governedCall,
  LEIS,
  type ConsortiumFixture,
  type Terms,
} from "../fixtures";
import { CHAIN_ID, compliance, complianceKeys, signedBy, unsigned, type BankDocument } from "../policy/bundles";
import { buildBankPolicy, FRIDAY_11H } from "../policy/helpers";
import { SoftHsm } from "../signer/softhsm";
import { codeFamily, isFrameworkError } from "../../src/errors";

const TOKEN = "gate-alpha";
/** Above 1,000,000.00 aEUR (cents) a settlement needs two compliance officers; Beta's limit is 3,000,000.00. */
const THRESHOLD = "100000000";
const LIMIT = "300000000";

/** Alpha Bank's policy data for the fixture's consortium: Beta and Gamma by LEI, aEUR and B30 by symbol. */
function alphaData(base: BankDocument): Record<string, unknown> {
  const bank = structuredClone(base.bank) as unknown as Record<string, unknown>;
  const limits = {
    aEUR: { per_settlement: LIMIT, daily: "2000000000" },
    B30: { per_settlement: "20000", daily: "40000" },
  };
  bank.assets = {
    aEUR: { enabled: true, approval_threshold: THRESHOLD, threshold_approvals: 2 },
    B30: { enabled: true, approval_threshold: "10000", threshold_approvals: 1 },
  };
  bank.counterparties = {
    [LEIS[1]]: { name: "Beta Bank", status: "active", limits },
    [LEIS[2]]: { name: "Gamma Bank", status: "suspended", limits },
  };
  return { bank };
}

describe("PolicyGatedSigner", function () {
  let hsm: SoftHsm;
  let dir: string;
  let bundleData: Record<string, unknown>;
  let wasm: Uint8Array;
  const officers = [new Wallet(id("officer-1")), new Wallet(id("officer-2")), new Wallet(id("officer-3"))];

  before(async function () {
    hsm = SoftHsm.create([TOKEN]);
    dir = await mkdtemp(path.join(tmpdir(), "policy-gate-"));
    const files = await readPolicyFiles(await buildBankPolicy());
    wasm = files.wasm;
    bundleData = alphaData(files.data as BankDocument);
  });

  after(async function () {
    for (const signer of hsmSigners.values()) await signer.close();
    hsm.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  let runs = 0;
  const hsmSigners = new Map<string, HsmSigner>();

  /** The consortium with an HSM key made Alpha Bank's operator by governance (chain state, snapshotted). */
  async function chainFixture() {
    const f = await deployConsortium();
    const label = "operator";
    const hsmAddress = generateSecp256k1Key(hsm.config(TOKEN, { label })).address;
    const operators = f.banks.map((b) => b.operator);
    await enact(f.consortium, operators, governedCall(f.consortium, "setOperator", [1, hsmAddress, true]));
    await setBalance(hsmAddress, ethers.parseEther("10"));
    return { f, label, hsmAddress };
  }

  /** Fresh stores for one test and a gate around the HSM key. */
  async function gateFor(chain: Awaited<ReturnType<typeof chainFixture>>) {
    const { f, label, hsmAddress } = chain;
    runs += 1;
    let hsmSigner = hsmSigners.get(label);
    if (hsmSigner === undefined) {
      hsmSigner = (await HsmSigner.create(hsm.config(TOKEN, { label }))).connect(ethers.provider);
      hsmSigners.set(label, hsmSigner);
    }
    const records = SigningRecordStore.open({ path: path.join(dir, `records-${runs}.sqlite`) });
    const inner = new ProtectedSigner(hsmSigner, new NonceAllocator(records));
    const audit = await openAuditStore({ path: path.join(dir, `audit-${runs}.sqlite`) });
    const registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
    await registry.activate(
      await signedBy(unsigned(wasm, bundleData as unknown as BankDocument, 1), compliance.slice(0, 2)),
    );
    const engine = PolicyEngine.open({
      config: { reservationsPath: path.join(dir, `reservations-${runs}.sqlite`) },
      registry,
      audit,
      now: () => FRIDAY_11H,
    });
    const approvalClock = { now: FRIDAY_11H };
    const approvals = await ApprovalStore.open({
      path: path.join(dir, `approvals-${runs}.sqlite`),
      config: {
        chainId: 31337,
        requestTtlSeconds: 3600,
        approvers: officers.map((w, i) => ({
          id: `officer-${i + 1}`,
          address: w.address,
          roles: ["compliance_officer", "custody_officer"],
        })),
      },
      audit,
      now: () => approvalClock.now,
    });
    const aml = new Map<string, AmlResult>();
    const tier: { value: KeyTier } = { value: "warm" };
    const decoder = new CallDecoder({
      engine: await f.engine.getAddress(),
      tokens: [await f.cash.getAddress(), await f.bond.getAddress()],
      accounts: [f.banks[0].account.address],
      consortium: await f.consortium.getAddress(),
      allowedTargets: [await f.consortium.getAddress()],
    });
    const gate = new PolicyGatedSigner({
      inner,
      engine,
      decoder,
      directory: onChainDirectory(await f.consortium.getAddress(), ethers.provider, [
        { symbol: "aEUR", address: await f.cash.getAddress() },
        { symbol: "B30", address: await f.bond.getAddress() },
      ]),
      audit,
      approvals,
      initiator: { id: "trader-1", roles: ["trader"] },
      keyTier: { tierOf: () => tier.value },
      screening: (cp) => aml.get(cp ?? "") ?? "clear",
      allowedTypedData: [
        { name: "Allowed", chainId: 31337 },
        { name: "Bound", chainId: 31337, verifyingContract: await f.engine.getAddress() },
      ],
      chainId: 31337,
    });
    const close = async (): Promise<void> => {
      await engine.close();
      await approvals.close();
      records.close();
      await audit.close();
    };
    return { f, gate, audit, engine, approvals, approvalClock, records, aml, tier, hsmAddress, close };
  }

  type G = Awaited<ReturnType<typeof gateFor>>;
  let g: G;

  beforeEach(async function () {
    g = await gateFor(await loadFixture(chainFixture));
  });

  afterEach(async function () {
    await g.close();
  });

  /** Alpha (buyer) pays `cash` cents for `bonds` B30 from Beta. */
  const buyFromBeta = (f: ConsortiumFixture, bonds: bigint, cash: bigint): Promise<Terms> =>
    dvpTerms(f, f.banks[1], f.banks[0], bonds, cash);

  async function records(audit: AuditStore): Promise<AuditRecord[]> {
    const all: AuditRecord[] = [];
    for await (const r of audit.records()) all.push(r);
    return all;
  }

  async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
    return p.then(
      () => expect.fail("expected a refusal"),
      (e: unknown) => e,
    );
  }

  it("signs an allowed instruction with the HSM key; the chain accepts it and the log holds decision and signature", async function () {
    const terms = await buyFromBeta(g.f, 100n, 50_000_00n);
    const tx = await g.f.engine.connect(g.gate).instruct(terms);
    const receipt = await tx.wait();
    expect(receipt?.status).to.equal(1);
    expect(receipt?.from).to.equal(g.hsmAddress);
    const log = await records(g.audit);
    const decision = log.find((r) => r.kind === "decision" && (r.payload as { stage?: string }).stage === "policy");
    const signature = log.find((r) => r.kind === "signature");
    expect(decision?.payload).to.deep.include({ outcome: "allow" });
    expect(signature?.payload).to.deep.include({
      txHash: receipt?.hash,
      decisionId: (decision?.payload as { decisionId: string }).decisionId,
    });
    const settlementId = (signature?.subject ?? "").toLowerCase();
    expect(g.engine.reservation(settlementId)?.amount).to.equal(50_000_00n);
    expect(await g.audit.verify()).to.include({ ok: true });
  });

  it("never signs a call the policy denies (counterparty limit), and the chain sees nothing", async function () {
    const terms = await buyFromBeta(g.f, 100n, 4_000_000_00n);
    const before = await ethers.provider.getTransactionCount(g.hsmAddress);
    const error = await rejectionOf(g.f.engine.connect(g.gate).instruct(terms));
    expect(isFrameworkError(error, "GATE_DENIED"), String(error)).to.be.true;
    expect((error as GateDeniedError).reasons.map((r) => r.code)).to.include("SETTLEMENT_LIMIT_EXCEEDED");
    expect(await ethers.provider.getTransactionCount(g.hsmAddress)).to.equal(before);
    expect((await records(g.audit)).filter((r) => r.kind === "signature")).to.have.length(0);
  });

  it("denies a suspended counterparty, an AML hit, and a settlement the bank is not a party to", async function () {
    const suspended = await dvpTerms(g.f, g.f.banks[2], g.f.banks[0], 10n, 1_000_00n);
    const e1 = await rejectionOf(g.f.engine.connect(g.gate).instruct(suspended));
    expect((e1 as GateDeniedError).reasons.map((r) => r.code)).to.include("COUNTERPARTY_NOT_ALLOWED");
    g.aml.set(LEIS[1], "hit");
    const e2 = await rejectionOf(g.f.engine.connect(g.gate).instruct(await buyFromBeta(g.f, 10n, 1_000_00n)));
    expect((e2 as GateDeniedError).reasons.map((r) => r.code)).to.include("AML_HIT");
    const others = await dvpTerms(g.f, g.f.banks[1], g.f.banks[2], 10n, 1_000_00n);
    // The chain would refuse it too, so it is signed directly, without a gas estimate.
    const data = g.f.engine.interface.encodeFunctionData("instruct", [others]);
    const request = { to: await g.f.engine.getAddress(), data, gasLimit: 300_000n, gasPrice: 0n, chainId: 31337n };
    const e3 = await rejectionOf(g.gate.signTransaction(request));
    expect(isFrameworkError(e3, "GATE_DENIED") && e3.message).to.match(/NOT_A_PARTY/);
  });

  it("refuses undecodable calldata unless its target is allowed, and audits both", async function () {
    const base: TransactionRequest = { gasLimit: 100_000n, gasPrice: 0n, chainId: 31337n };
    const outsider = g.f.outsider.address;
    const e1 = await rejectionOf(g.gate.signTransaction({ ...base, to: outsider, data: "0xdeadbeef" }));
    expect(isFrameworkError(e1, "GATE_UNDECODABLE"), String(e1)).to.be.true;
    const cash = await g.f.cash.getAddress();
    const freeze = g.f.cash.interface.encodeFunctionData("setAddressFrozen", [outsider, true]);
    expect(
      isFrameworkError(
        await rejectionOf(g.gate.signTransaction({ ...base, to: cash, data: freeze })),
        "GATE_UNDECODABLE",
      ),
    ).to.be.true;
    const padded = g.f.cash.interface.encodeFunctionData("transfer", [outsider, 1n]) + "00";
    expect(
      isFrameworkError(
        await rejectionOf(g.gate.signTransaction({ ...base, to: cash, data: padded })),
        "GATE_UNDECODABLE",
      ),
    ).to.be.true;
    const toOutsider = g.f.cash.interface.encodeFunctionData("approve", [outsider, 1n]);
    expect(
      isFrameworkError(
        await rejectionOf(g.gate.signTransaction({ ...base, to: cash, data: toOutsider })),
        "GATE_UNDECODABLE",
      ),
    ).to.be.true;
    const toEngine = g.f.cash.interface.encodeFunctionData("approve", [await g.f.engine.getAddress(), 1n]);
    expect(await g.gate.signTransaction({ ...base, to: cash, data: toEngine })).to.match(/^0x/);
    const governance = g.f.consortium.interface.encodeFunctionData("approve", [1n]);
    expect(await g.gate.signTransaction({ ...base, to: await g.f.consortium.getAddress(), data: governance })).to.match(
      /^0x/,
    );
    const gateDecisions = (await records(g.audit)).filter((r) => (r.payload as { stage?: string }).stage === "gate");
    expect(gateDecisions.map((r) => (r.payload as { outcome: string }).outcome)).to.deep.equal([
      "deny",
      "deny",
      "deny",
      "deny",
      "allow",
      "allow",
    ]);
  });

  it("holds a settlement above the threshold until two officers approve that exact call, then signs it", async function () {
    const terms = await buyFromBeta(g.f, 1_000n, 2_000_000_00n);
    const pending = (await rejectionOf(g.f.engine.connect(g.gate).instruct(terms))) as GateApprovalsPendingError;
    expect(isFrameworkError(pending, "GATE_APPROVALS_PENDING"), String(pending)).to.be.true;
    const { approvalId, digest } = pending.details as { approvalId: string; digest: string };
    expect(pending.details).to.include({ required: 2, approved: 0 });
    // A vote signed for another call's digest is refused and changes nothing.
    const other = {
      intentDigest: id("another call"),
      approverId: "officer-1",
      decision: "approve" as const,
      expiresAt: FRIDAY_11H + 600,
    };
    const wrong = await signApproval(officers[0], approvalId, other, 31337);
    expect(await rejectionOf(g.approvals.submit(wrong))).to.have.property("code", "APPROVAL_DIGEST_MISMATCH");
    for (const [i, officer] of officers.slice(0, 2).entries()) {
      const vote = {
        intentDigest: digest,
        approverId: `officer-${i + 1}`,
        decision: "approve" as const,
        expiresAt: FRIDAY_11H + 600,
      };
      await g.approvals.submit(await signApproval(officer, approvalId, vote, 31337));
    }
    const receipt = await (await g.f.engine.connect(g.gate).instruct(terms)).wait();
    expect(receipt?.status).to.equal(1);
    // The approvals are bound to that call: the same trade with another amount asks again.
    const changed = { ...terms, tradeRef: terms.tradeRef, cashAmount: 2_000_000_01n };
    const again = await rejectionOf(g.f.engine.connect(g.gate).instruct(changed));
    expect(isFrameworkError(again, "GATE_APPROVALS_PENDING"), String(again)).to.be.true;
  });

  /** Both officers approve the pending request `pending` (votes valid for ten minutes). */
  async function approveBoth(pending: GateApprovalsPendingError): Promise<void> {
    const { approvalId, digest } = pending.details as { approvalId: string; digest: string };
    for (const [i, officer] of officers.slice(0, 2).entries()) {
      const vote = {
        intentDigest: digest,
        approverId: `officer-${i + 1}`,
        decision: "approve" as const,
        expiresAt: FRIDAY_11H + 600,
      };
      await g.approvals.submit(await signApproval(officer, approvalId, vote, 31337));
    }
  }

  it("refuses to sign on approvals whose votes expired before the signature", async function () {
    const terms = await buyFromBeta(g.f, 1_000n, 2_000_000_00n);
    const data = g.f.engine.interface.encodeFunctionData("instruct", [terms]);
    const request = { to: await g.f.engine.getAddress(), data, gasLimit: 500_000n, gasPrice: 0n, chainId: 31337n };
    await approveBoth((await rejectionOf(g.gate.signTransaction(request))) as GateApprovalsPendingError);
    g.approvalClock.now = FRIDAY_11H + 2 * 3600;
    const late = await rejectionOf(g.gate.signTransaction(request));
    expect(isFrameworkError(late, "GATE_APPROVALS_PENDING"), String(late)).to.be.true;
    expect((late as GateApprovalsPendingError).details).to.include({ approved: 0 });
    expect((await records(g.audit)).filter((r) => r.kind === "signature")).to.have.length(0);
  });

  it("spends one approval on exactly one signature: the same approved call sent again waits for new votes", async function () {
    const terms = await buyFromBeta(g.f, 1_000n, 2_000_000_00n);
    const data = g.f.engine.interface.encodeFunctionData("instruct", [terms]);
    const request = { to: await g.f.engine.getAddress(), data, gasLimit: 500_000n, gasPrice: 0n, chainId: 31337n };
    const first = (await rejectionOf(g.gate.signTransaction(request))) as GateApprovalsPendingError;
    await approveBoth(first);
    expect(await g.gate.signTransaction(request)).to.match(/^0x/);
    for (let i = 0; i < 3; i += 1) {
      const again = await rejectionOf(g.gate.signTransaction(request));
      expect(isFrameworkError(again, "GATE_APPROVALS_PENDING"), String(again)).to.be.true;
      expect((again as GateApprovalsPendingError).details).to.include({ approved: 0 });
      expect((again as GateApprovalsPendingError).details.approvalId).to.not.equal(first.details.approvalId);
    }
    expect((await g.approvals.status(first.details.approvalId as string)).state).to.equal("consumed");
    expect((await records(g.audit)).filter((r) => r.kind === "signature")).to.have.length(1);
  });

  it("reserves exposure per signature: identical transfers sent straight to the gate stop at the daily limit", async function () {
    // 900,000.00 aEUR to Beta, below the approval threshold; Beta's daily aEUR limit is 20,000,000.00.
    const cash = await g.f.cash.getAddress();
    const data = g.f.cash.interface.encodeFunctionData("transfer", [g.f.banks[1].account.address, 900_000_00n]);
    const request = { to: cash, data, gasLimit: 100_000n, gasPrice: 0n, chainId: 31337n };
    const signed: string[] = [];
    let refusal: unknown;
    for (let i = 0; i < 30 && refusal === undefined; i += 1) {
      try {
        signed.push(await g.gate.signTransaction(request));
      } catch (error) {
        refusal = error;
      }
    }
    expect(signed).to.have.length(22);
    expect(isFrameworkError(refusal, "GATE_DENIED"), String(refusal)).to.be.true;
    expect((refusal as GateDeniedError).reasons.map((r) => r.code)).to.include("DAILY_LIMIT_EXCEEDED");
    const signatures = (await records(g.audit)).filter((r) => r.kind === "signature");
    expect(new Set(signatures.map((r) => r.subject)).size).to.equal(22);
    let reserved = 0n;
    for (const s of signatures) reserved += g.engine.reservation(s.subject!)?.amount ?? 0n;
    expect(reserved).to.equal(22n * 900_000_00n);
  });

  it("signs for the configured chain id only: a request for chain 0 or another chain is refused, even offline", async function () {
    const cash = await g.f.cash.getAddress();
    const data = g.f.cash.interface.encodeFunctionData("transfer", [g.f.banks[1].account.address, 1_00n]);
    const offline = g.gate.connect(null);
    for (const signer of [g.gate, offline]) {
      for (const chainId of [0n, 1n, 31338n]) {
        const refused = await rejectionOf(
          signer.signTransaction({ to: cash, data, gasLimit: 100_000n, gasPrice: 0n, chainId }),
        );
        expect(isFrameworkError(refused, "GATE_DENIED") && refused.message, String(refused)).to.match(
          /CHAIN_ID_MISMATCH/,
        );
      }
    }
    const signed = ethers.Transaction.from(
      await offline.signTransaction({ to: cash, data, gasLimit: 100_000n, gasPrice: 0n, nonce: 0 }),
    );
    expect(signed.chainId).to.equal(31337n);
    expect((await records(g.audit)).filter((r) => r.kind === "signature")).to.have.length(1);
  });

  it("never sends value with a call to an allowed target", async function () {
    const governance = g.f.consortium.interface.encodeFunctionData("approve", [1n]);
    const to = await g.f.consortium.getAddress();
    const base = { to, data: governance, gasLimit: 100_000n, gasPrice: 0n, chainId: 31337n };
    const refused = await rejectionOf(g.gate.signTransaction({ ...base, value: 1n }));
    expect(isFrameworkError(refused, "GATE_DENIED") && refused.message, String(refused)).to.match(/VALUE_NOT_ALLOWED/);
  });

  it("identifies a token by its address, never its symbol(): bonds are not delivered against a look-alike aEUR", async function () {
    const lookalike = await ethers.deployContract("PermissionedToken", [
      "Look-alike EUR",
      "aEUR",
      2,
      await g.f.consortium.getAddress(),
      await g.f.engine.getAddress(),
      g.f.outsider.address,
    ]);
    const terms = { ...(await dvpTerms(g.f, g.f.banks[0], g.f.banks[1], 10n, 1_000_00n)) };
    terms.cash = await lookalike.getAddress();
    const data = g.f.engine.interface.encodeFunctionData("instruct", [terms]);
    const request = { to: await g.f.engine.getAddress(), data, gasLimit: 500_000n, gasPrice: 0n, chainId: 31337n };
    const refused = await rejectionOf(g.gate.signTransaction(request));
    expect(isFrameworkError(refused, "GATE_DENIED") && refused.message, String(refused)).to.match(
      /UNKNOWN_PARTY_OR_ASSET/,
    );
    expect((await records(g.audit)).filter((r) => r.kind === "signature")).to.have.length(0);
  });

  it("puts both legs of a DvP through policy: bonds above their limit are denied even against little cash", async function () {
    const over = await buyFromBeta(g.f, 30_000n, 1_000_00n);
    const denied = await rejectionOf(g.f.engine.connect(g.gate).instruct(over));
    expect(isFrameworkError(denied, "GATE_DENIED"), String(denied)).to.be.true;
    expect((denied as GateDeniedError).reasons.map((r) => r.code)).to.include("SETTLEMENT_LIMIT_EXCEEDED");
    const terms = await buyFromBeta(g.f, 100n, 1_000_00n);
    await (await g.f.engine.connect(g.gate).instruct(terms)).wait();
    const signature = (await records(g.audit)).find((r) => r.kind === "signature")!;
    expect(g.engine.reservation(signature.subject!)?.amount).to.equal(1_000_00n);
    expect(g.engine.reservation(`${signature.subject!}:asset`)).to.include({ asset: "B30", amount: 100n });
  });

  it("asks for two approvals for a cold key, and one for a medium AML result", async function () {
    g.tier.value = "cold";
    const cold = await rejectionOf(g.f.engine.connect(g.gate).instruct(await buyFromBeta(g.f, 10n, 1_000_00n)));
    expect((cold as GateApprovalsPendingError).details).to.include({ required: 2 });
    g.tier.value = "warm";
    g.aml.set(LEIS[1], "medium");
    const medium = await rejectionOf(g.f.engine.connect(g.gate).instruct(await buyFromBeta(g.f, 11n, 1_000_00n)));
    expect((medium as GateApprovalsPendingError).details).to.include({ required: 1 });
  });

  it("holds a governed call that reassigns an account until operations approve it, proposed or voted on", async function () {
    const to = await g.f.consortium.getAddress();
    const reassign = governedCall(g.f.consortium, "reassignAccount", [g.f.outsider.address, 1, "merger"]);
    const propose = g.f.consortium.interface.encodeFunctionData("propose", [reassign, "merger"]);
    const base: TransactionRequest = { to, gasLimit: 500_000n, gasPrice: 0n, chainId: 31337n };
    const pending = (await rejectionOf(
      g.gate.signTransaction({ ...base, data: propose }),
    )) as GateApprovalsPendingError;
    expect(isFrameworkError(pending, "GATE_APPROVALS_PENDING"), String(pending)).to.be.true;
    expect(pending.details).to.include({ required: 1, approved: 0 });
    const decision = (await records(g.audit)).filter((r) => r.kind === "decision").at(-1)!;
    expect(decision.payload).to.deep.include({ outcome: "approval_required" });
    expect((decision.payload as { intent: Record<string, unknown> }).intent).to.include({
      action: "govern",
      governed_function: "reassignAccount",
    });
    const { approvalId, digest } = pending.details as { approvalId: string; digest: string };
    const vote = {
      intentDigest: digest,
      approverId: "officer-1",
      decision: "approve" as const,
      expiresAt: FRIDAY_11H + 600,
    };
    await g.approvals.submit(await signApproval(officers[0], approvalId, vote, 31337));
    const receipt = await (await g.gate.sendTransaction({ ...base, data: propose })).wait();
    expect(receipt?.status).to.equal(1);
    const proposalId = await g.f.consortium.proposalCount();
    // Another member's proposal to reassign an account: the vote is judged by what the proposal calls.
    await g.f.consortium.connect(g.f.banks[1].operator).propose(reassign, "merger, again");
    const vote2 = g.f.consortium.interface.encodeFunctionData("approve", [proposalId + 1n]);
    const held = await rejectionOf(g.gate.signTransaction({ ...base, data: vote2 }));
    expect(isFrameworkError(held, "GATE_APPROVALS_PENDING"), String(held)).to.be.true;
    // A vote on a proposal of any other governed call stays under the target rules.
    await g.f.consortium.connect(g.f.banks[1].operator).propose(governedCall(g.f.consortium, "setQuorum", [2, 3]), "q");
    const vote3 = g.f.consortium.interface.encodeFunctionData("approve", [proposalId + 2n]);
    expect(await g.gate.signTransaction({ ...base, data: vote3 })).to.match(/^0x/);
  });

  it("puts affirm-and-settle through policy as an affirmation: both legs decided, exposure reserved", async function () {
    const base: TransactionRequest = { to: await g.f.engine.getAddress(), gasLimit: 500_000n, gasPrice: 0n };
    const affirmAndSettle = (terms: Terms) => ({
      ...base,
      data: g.f.engine.interface.encodeFunctionData("affirmAndSettle", [terms]),
    });
    const over = await buyFromBeta(g.f, 30_000n, 1_000_00n);
    const denied = await rejectionOf(g.gate.signTransaction(affirmAndSettle(over)));
    expect(isFrameworkError(denied, "GATE_DENIED"), String(denied)).to.be.true;
    expect((denied as GateDeniedError).reasons.map((r) => r.code)).to.include("SETTLEMENT_LIMIT_EXCEEDED");
    const terms = await buyFromBeta(g.f, 100n, 1_000_00n);
    await g.gate.signTransaction(await g.gate.populateTransaction(affirmAndSettle(terms)));
    const signature = (await records(g.audit)).filter((r) => r.kind === "signature").at(-1)!;
    expect(g.engine.reservation(signature.subject!)?.amount).to.equal(1_000_00n);
    expect(g.engine.reservation(`${signature.subject!}:asset`)).to.include({ asset: "B30", amount: 100n });
  });

  it("signs typed data only for allowed domains and never plain messages", async function () {
    const types = { Note: [{ name: "text", type: "string" }] };
    const ok = await g.gate.signTypedData({ name: "Allowed", chainId: 31337 }, types, { text: "hi" });
    expect(ethers.verifyTypedData({ name: "Allowed", chainId: 31337 }, types, { text: "hi" }, ok)).to.equal(
      g.hsmAddress,
    );
    expect(
      isFrameworkError(
        await rejectionOf(g.gate.signTypedData({ name: "Other", chainId: 31337 }, types, { text: "hi" })),
        codeFamily("GATE_"),
      ),
    ).to.be.true;
    expect(
      isFrameworkError(
        await rejectionOf(g.gate.signTypedData({ name: "Allowed", chainId: 1 }, types, { text: "hi" })),
        codeFamily("GATE_"),
      ),
    ).to.be.true;
    expect(isFrameworkError(await rejectionOf(g.gate.signMessage("hello")), "GATE_UNDECODABLE")).to.be.true;
  });

  it("signs typed data of a domain bound to a contract only for that verifying contract", async function () {
    const types = { Note: [{ name: "text", type: "string" }] };
    const engine = await g.f.engine.getAddress();
    const bound = { name: "Bound", chainId: 31337, verifyingContract: engine };
    expect(await g.gate.signTypedData(bound, types, { text: "hi" })).to.match(/^0x/);
    for (const domain of [
      { ...bound, verifyingContract: await g.f.cash.getAddress() },
      { name: "Bound", chainId: 31337 },
    ]) {
      expect(
        isFrameworkError(await rejectionOf(g.gate.signTypedData(domain, types, { text: "hi" })), codeFamily("GATE_")),
        JSON.stringify(domain),
      ).to.be.true;
    }
  });

  it("never lets signatures under one explicit intent id share a reservation, nor a settlement take the caller's id", async function () {
    const cash = await g.f.cash.getAddress();
    const request = (amount: bigint) => ({
      to: cash,
      data: g.f.cash.interface.encodeFunctionData("transfer", [g.f.banks[1].account.address, amount]),
      gasLimit: 100_000n,
      gasPrice: 0n,
      chainId: 31337n,
    });
    const op = g.gate.withContext({ intentId: "payment-7" });
    await op.signTransaction(request(100_00n));
    await op.signTransaction(request(100_00n));
    await op.signTransaction(request(250_00n));
    expect(g.engine.reservation("payment-7")?.amount).to.equal(100_00n);
    expect(g.engine.reservation("payment-7#2")?.amount).to.equal(100_00n);
    expect(g.engine.reservation("payment-7#3")?.amount).to.equal(250_00n);
    const terms = await buyFromBeta(g.f, 10n, 1_000_00n);
    const instruct = g.f.engine.interface.encodeFunctionData("instruct", [terms]);
    const engine = await g.f.engine.getAddress();
    await op.signTransaction({ ...request(0n), to: engine, data: instruct, gasLimit: 500_000n });
    const id = (await records(g.audit)).filter((r) => r.kind === "signature").at(-1)!.subject!;
    expect(id).to.equal(await g.f.engine.settlementId(terms).then((v) => ethers.toBeHex(v, 32)));
    expect(g.engine.reservation("payment-7#4")).to.equal(undefined);
  });

  const fcOptions = (runs: number) => ({
    seed: Number(process.env.FC_SEED ?? 42),
    numRuns: Number(process.env.FC_RUNS ?? runs),
  });

  it("no approval yields more signatures than it granted (fast-check)", async function () {
    const engine = await g.f.engine.getAddress();
    let trades = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("sign", "sign", "approve"), { minLength: 1, maxLength: 8 }),
        async (steps) => {
          const terms = await buyFromBeta(g.f, 1_000n + BigInt(++trades), 2_000_000_00n);
          const data = g.f.engine.interface.encodeFunctionData("instruct", [terms]);
          const request = { to: engine, data, gasLimit: 500_000n, gasPrice: 0n, chainId: 31337n };
          let pending: GateApprovalsPendingError | undefined;
          let granted = 0;
          let signed = 0;
          for (const step of steps) {
            if (step === "approve" && pending !== undefined) {
              await approveBoth(pending);
              pending = undefined;
              granted += 1;
            } else if (step === "sign") {
              try {
                await g.gate.signTransaction(request);
                signed += 1;
              } catch (error) {
                expect(isFrameworkError(error, "GATE_APPROVALS_PENDING"), String(error)).to.be.true;
                pending = error as GateApprovalsPendingError;
              }
            }
          }
          expect(signed).to.be.at.most(granted);
        },
      ),
      fcOptions(10),
    );
  });

  it("exposure reserved equals the sum of the signed legs (fast-check)", async function () {
    const cash = await g.f.cash.getAddress();
    const beta = g.f.banks[1].account.address;
    const signedLegs = new Map<string, bigint>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          dvp: fc.boolean(),
          amount: fc.bigInt({ min: 1n, max: 50_000_00n }),
          times: fc.integer({ min: 1, max: 3 }),
        }),
        async (c) => {
          for (let i = 0; i < c.times; i += 1) {
            if (c.dvp) {
              const terms = await buyFromBeta(g.f, (c.amount % 5_000n) + 1n, c.amount);
              const raw = await g.gate.signTransaction({
                to: await g.f.engine.getAddress(),
                data: g.f.engine.interface.encodeFunctionData("instruct", [terms]),
                gasLimit: 500_000n,
                gasPrice: 0n,
              });
              expect(raw).to.match(/^0x/);
              const id = (await records(g.audit)).filter((r) => r.kind === "signature").at(-1)!.subject!;
              signedLegs.set(id, c.amount);
              signedLegs.set(`${id}:asset`, (c.amount % 5_000n) + 1n);
            } else {
              const data = g.f.cash.interface.encodeFunctionData("transfer", [beta, c.amount]);
              await g.gate.signTransaction({ to: cash, data, gasLimit: 100_000n, gasPrice: 0n });
              const id = (await records(g.audit)).filter((r) => r.kind === "signature").at(-1)!.subject!;
              expect(signedLegs.has(id), `a second signature under ${id}`).to.be.false;
              signedLegs.set(id, c.amount);
            }
          }
          let reserved = 0n;
          let legs = 0n;
          for (const [id, amount] of signedLegs) {
            const r = g.engine.reservation(id);
            if (r?.state === "reserved") reserved += r.amount;
            legs += amount;
          }
          expect(reserved).to.equal(legs);
        },
      ),
      fcOptions(20),
    );
  });

  it("no signature for a chain id other than the configured one (fast-check)", async function () {
    const cash = await g.f.cash.getAddress();
    const data = g.f.cash.interface.encodeFunctionData("transfer", [g.f.banks[1].account.address, 1_00n]);
    let nonce = 1_000;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(undefined), fc.constant(31337n), fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 64n })),
        fc.boolean(),
        async (chainId, offline) => {
          const signer = offline ? g.gate.connect(null) : g.gate;
          // Offline there is no provider to allocate from: each request names a nonce of its own.
          const request = { to: cash, data, gasLimit: 100_000n, gasPrice: 0n, ...(offline ? { nonce: ++nonce } : {}) };
          try {
            const raw = await signer.signTransaction(chainId === undefined ? request : { ...request, chainId });
            expect(ethers.Transaction.from(raw).chainId).to.equal(31337n);
          } catch (error) {
            expect(chainId === undefined || chainId === 31337n, String(error)).to.be.false;
            expect(isFrameworkError(error, "GATE_DENIED"), String(error)).to.be.true;
          }
        },
      ),
      fcOptions(30),
    );
  });

  it("never signs an intent the policy did not allow, across random calls (fast-check)", async function () {
    const f = g.f;
    const cash = await f.cash.getAddress();
    const bond = await f.bond.getAddress();
    const base: TransactionRequest = { gasLimit: 500_000n, gasPrice: 0n, chainId: 31337n };
    const seed = Number(process.env.FC_SEED ?? 42);
    const numRuns = Number(process.env.FC_RUNS ?? 40);
    let signedCount = 0;
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          fn: fc.constantFrom("instruct", "affirm", "settle", "cancel", "proposeReversal", "transfer", "mint"),
          counterparty: fc.constantFrom(1, 2),
          alphaSells: fc.boolean(),
          fop: fc.boolean(),
          amount: fc.bigInt({ min: 1n, max: 10_000_000_00n }),
          aml: fc.constantFrom<AmlResult>("clear", "clear", "medium", "hit"),
          tier: fc.constantFrom<KeyTier>("hot", "warm", "cold"),
        }),
        async (c) => {
          g.aml.set(LEIS[c.counterparty], c.aml);
          g.tier.value = c.tier;
          const [seller, buyer] = c.alphaSells
            ? [f.banks[0], f.banks[c.counterparty]]
            : [f.banks[c.counterparty], f.banks[0]];
          const terms = c.fop
            ? await fopTerms(f, seller, buyer, c.amount)
            : await dvpTerms(f, seller, buyer, c.amount, c.amount);
          const data =
            c.fn === "transfer"
              ? f.cash.interface.encodeFunctionData("transfer", [f.banks[c.counterparty].account.address, c.amount])
              : c.fn === "mint"
                ? f.bond.interface.encodeFunctionData("mint", [f.banks[0].account.address, c.amount])
                : c.fn === "cancel" || c.fn === "proposeReversal"
                  ? (f.engine.interface as Interface).encodeFunctionData(c.fn, [terms, "r"])
                  : (f.engine.interface as Interface).encodeFunctionData(c.fn, [terms]);
          const to = c.fn === "transfer" ? cash : c.fn === "mint" ? bond : await f.engine.getAddress();
          try {
            await g.gate.signTransaction({ ...base, to, data });
            signedCount += 1;
          } catch (error) {
            expect(isFrameworkError(error, codeFamily("GATE_")), String(error)).to.be.true;
            refusedCount += 1;
          }
        },
      ),
      { seed, numRuns },
    );
    // Every signature in the log follows an allow decision with the same id, and no deny was ever signed.
    const log = await records(g.audit);
    const decisions = new Map(
      log
        .filter((r) => r.kind === "decision")
        .map((r) => [(r.payload as { decisionId?: string }).decisionId, r.payload as { outcome: string }]),
    );
    const signatures = log.filter((r) => r.kind === "signature");
    expect(signatures).to.have.length(signedCount);
    expect(signedCount, "some random calls are allowed").to.be.greaterThan(0);
    expect(refusedCount, "some random calls are refused").to.be.greaterThan(0);
    for (const s of signatures) {
      const decisionId = (s.payload as { decisionId: string | null }).decisionId;
      expect(decisionId, "every signed call had a policy decision").to.not.equal(null);
      expect(decisions.get(decisionId!)?.outcome).to.equal("allow");
    }
  });
});
