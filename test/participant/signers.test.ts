// The keys behind a participant, on real parts: the demo's banks on the in-process network with SoftHSM keys,
// Gamma Bank reopened with segregated client keys from its custody directory, with an omnibus ledger, and with
// its key behind a remote signing module served over HTTP on 127.0.0.1.
import { expect } from "chai";
import { encodeBytes32String, Transaction } from "ethers";
import hre from "hardhat";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createKeystore, type CustodyConfigInput } from "../../src/custody";
import type { DemoBank } from "../../src/demo/banks";
import type { DemoClock } from "../../src/demo/clock";
import { SOFTHSM_MODULE, type DemoHsm } from "../../src/demo/softhsm";
import type { DeploymentRecord } from "../../src/deploy";
import { isFrameworkError, type FrameworkError } from "../../src/errors";
import type { ParticipantConfigInput } from "../../src/participant";
import { formatSettlementId, settlementIdOf, type SettlementTerms } from "../../src/settlement";
import { generateSecp256k1Key, HsmSigner } from "../../src/signer";
import { PermissionedToken__factory } from "../../typechain-types";
import { dropEnv, envWith } from "../custody/helpers";
import { RsmHarness } from "../rsm/helpers";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium, reopenBank } from "./helpers";

/** Gamma Bank's PIN variable (DemoHsm names it after the token). */
const GAMMA_PIN = { env: "DEMO_HSM_PIN_GAMMA" };

describe("Participant signers: custody keys and the remote signer", function () {
  isolateChain();
  let dir: string;
  let hsm: DemoHsm;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let clock: DemoClock;
  let client: string;
  /** A hot client of Gamma Bank whose key is derived (HD index 0) from the bank's encrypted seed. */
  let hdClient: string;
  let passphraseEnv: string;
  /** Gamma Bank's participant configuration with segregated custody of clients c1 (HSM) and c2 (HD). */
  let segregated: (config: ParticipantConfigInput) => ParticipantConfigInput;
  let n = 0;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "participant-signers-"));
    passphraseEnv = envWith(randomBytes(12).toString("hex"));
    const keystore = { path: path.join(dir, "gamma-seed.json"), passphrase: { env: passphraseEnv } };
    hdClient = (await createKeystore(keystore)).firstAddress;
    ({ hsm, record, clock, banks } = await openDemoConsortium(dir, (demoHsm) => {
      // A client of Gamma Bank with its own HSM key; both clients' keys act for Gamma and hold its clients' tokens.
      client = generateSecp256k1Key(demoHsm.config("gamma", "client-c1")).address;
      return [[], [], [client, hdClient]];
    }));
    const file = await custodyFile("custody-segregated.json", {
      model: "segregated",
      bank: "Gamma Bank",
      hsm: { modulePath: SOFTHSM_MODULE, pin: GAMMA_PIN },
      keystore,
      clients: {
        c1: { address: client, tier: "warm", hsm: { tokenLabel: "gamma", keyLabel: "client-c1" } },
        c2: { address: hdClient, tier: "hot", hd: { index: 0 } },
      },
    });
    segregated = (config) => ({ ...config, custody: { config: file } });
  });

  after(async function () {
    for (const b of banks) await b.participant.close();
    dropEnv(passphraseEnv);
    await rm(dir, { recursive: true, force: true });
  });

  const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;

  function dvp(seller: string, buyer: string, bonds: bigint, cash: bigint): SettlementTerms {
    const tradeRef = encodeBytes32String(`SIGNERS-${++n}`);
    return {
      tradeRef,
      kind: 0,
      seller,
      buyer,
      asset: token("B30"),
      assetAmount: bonds,
      cash: token("aEUR"),
      cashAmount: cash,
    };
  }

  /** Writes a custody configuration beside Gamma's participant configuration; returns its path. */
  async function custodyFile(name: string, config: CustodyConfigInput): Promise<string> {
    const file = path.join(banks[2].dir, name);
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
    return file;
  }

  async function signatureSigners(bank: DemoBank, subject: string): Promise<string[]> {
    const signers: string[] = [];
    for await (const r of bank.participant.auditRecords())
      if (r.kind === "signature" && r.subject === subject) signers.push((r.payload as { signer: string }).signer);
    return signers;
  }

  /** `seller` instructs `terms`; returns them. */
  async function instructed(seller: DemoBank, terms: SettlementTerms): Promise<SettlementTerms> {
    await seller.participant.instruct(terms);
    return terms;
  }

  it("signs a client's side of a DvP with the client's own key from the custody directory, HSM or HD", async function () {
    const [, beta, gamma] = banks;
    const participant = await reopenBank(gamma, clock, segregated);
    for (const key of [client, hdClient]) {
      await hre.network.provider.request({ method: "hardhat_setBalance", params: [key, "0x56BC75E2D63100000"] });
    }
    const approvals = await participant.approveEngine();
    const approvers = approvals.filter((a) => !a.retried).map((a) => a.receipt.from);
    expect(approvers).to.deep.equal([client, hdClient, client, hdClient]);
    const terms = dvp(beta.address, client, 5n, 500_00n);
    await beta.participant.instruct(terms);
    const affirmed = await participant.affirm(terms);
    const settled = await beta.participant.settle(terms);
    expect(affirmed.receipt.from).to.equal(client);
    expect(await signatureSigners(gamma, affirmed.settlementId)).to.deep.equal([client]);
    const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
    expect(await engine.statusOf(settled.settlementId)).to.equal(3n);
    const b30 = await hre.ethers.getContractAt("PermissionedToken", token("B30"));
    expect(await b30.balanceOf(client)).to.equal(50_005n);
    const hot = await participant.affirm(await instructed(beta, dvp(beta.address, hdClient, 4n, 400_00n)));
    expect(hot.receipt.from).to.equal(hdClient);
    expect(await signatureSigners(gamma, hot.settlementId)).to.deep.equal([hdClient]);
    // The bank's own key still signs for the bank's own account.
    const own = await participant.affirm(await instructed(beta, dvp(beta.address, gamma.address, 6n, 600_00n)));
    expect(own.receipt.from).to.equal(gamma.address);
  });

  it("screens a segregated client whose key signs beside the counterparty, and denies a hit on the client", async function () {
    const [, beta, gamma] = banks;
    const subjects: { client?: { id: string } }[] = [];
    // The bank's screening service knows its clients by their custody id: client c1 is a hit, everyone else clear.
    const service = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const subject = JSON.parse(body) as { client?: { id: string } };
        subjects.push(subject);
        const match = { party: "client", list: "KYC-EXIT", entry: "K-17", name: "CLIENT C1", matchedOn: "identifier" };
        const hit = subject.client?.id === "c1";
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(hit ? { result: "hit", matches: [match] } : { result: "clear", matches: [] }));
      });
    });
    await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/screen`;
    try {
      const participant = await reopenBank(gamma, clock, (config) => ({
        ...segregated(config),
        screening: { provider: "http", url, timeoutMs: 2_000, retries: 0 },
      }));
      const denied = await participant.affirm(await instructed(beta, dvp(beta.address, client, 3n, 300_00n))).then(
        () => expect.fail("expected a denial"),
        (e: unknown) => e as FrameworkError & { reasons: { code: string; message: string }[] },
      );
      expect(isFrameworkError(denied, "GATE_DENIED"), String(denied)).to.equal(true);
      expect(denied.reasons.map((r) => `${r.code}: ${r.message}`)).to.include(
        "AML_HIT: the AML screening returned a hit: KYC-EXIT entry K-17 (CLIENT C1) matched the client",
      );
      const clear = await participant.affirm(await instructed(beta, dvp(beta.address, hdClient, 2n, 200_00n)));
      expect(clear.receipt.from).to.equal(hdClient);
      expect(subjects.map((s) => s.client?.id)).to.deep.equal(["c1", "c2"]);
    } finally {
      service.closeAllConnections();
      await new Promise((resolve) => service.close(resolve));
    }
  });

  it("finds at start a client key's transaction signed but never recorded as sent, and sends those bytes", async function () {
    const [, beta, gamma] = banks;
    const data = PermissionedToken__factory.createInterface().encodeFunctionData("transfer", [beta.address, 1_23n]);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    // The crash window: the client's gate signed (and audited) the call, the process died before recording it as sent.
    const gate = await (await reopenBank(gamma, clock, segregated)).gateFor(client);
    const populated = await gate.populateTransaction({ to: token("aEUR"), data, chainId });
    const signed = Transaction.from(await gate.signTransaction(populated));
    const participant = await reopenBank(gamma, clock, segregated);
    const sent = await participant.send({ to: token("aEUR"), data }, { from: client });
    expect(sent).to.include({ retried: true, txHash: signed.hash, nonce: signed.nonce });
    expect(sent.receipt.from).to.equal(client);
    expect(await hre.ethers.provider.getTransactionCount(client)).to.equal(signed.nonce + 1);
  });

  it("takes a client key's tier from the custody directory: a cold client key signs only with approvals", async function () {
    const [, beta, gamma] = banks;
    const file = await custodyFile("custody-cold.json", {
      model: "segregated",
      bank: "Gamma Bank",
      hsm: { modulePath: SOFTHSM_MODULE, pin: GAMMA_PIN },
      clients: { c1: { address: client, tier: "cold", hsm: { tokenLabel: "gamma", keyLabel: "client-c1" } } },
    });
    const participant = await reopenBank(gamma, clock, (config) => ({ ...config, custody: { config: file } }));
    const terms = await instructed(beta, dvp(beta.address, client, 9n, 900_00n));
    const pending = await participant.affirm(terms).then(
      () => expect.fail("expected approvals to be asked"),
      (error: unknown) => error,
    );
    expect(isFrameworkError(pending, "GATE_APPROVALS_PENDING"), String(pending)).to.equal(true);
    // The bank's own key is warm (its configuration's keyTier): only custody's directory makes this key cold.
    expect((pending as FrameworkError).details).to.deep.include({ required: 2, roles: ["custody_officer"] });
    expect(await signatureSigners(gamma, formatSettlementId(settlementIdOf(terms)))).to.deep.equal([]);
  });

  it("refuses a configuration with both a local HSM key and a remote signer, or an omnibus address not its key", async function () {
    const [alpha, , gamma] = banks;
    const omnibus = await custodyFile("custody-elsewhere.json", {
      model: "omnibus",
      bank: "Gamma Bank",
      omnibus: { address: alpha.address, tier: "hot" },
      ledger: { path: "elsewhere-ledger.sqlite" },
    });
    const rsm = await RsmHarness.around(await HsmSigner.create(hsm.config("gamma", "settlement")));
    try {
      const both = reopenBank(gamma, clock, (config) => ({
        ...config,
        signer: { kind: "remote", ...rsm.clientConfig() },
      }));
      const error = await both.then(
        () => expect.fail("expected CONFIG_INVALID"),
        (e: unknown) => e,
      );
      expect(isFrameworkError(error, "CONFIG_INVALID"), String(error)).to.equal(true);
      expect((error as Error).message).to.match(/hsm: needs exactly one of hsm or signer/);
      const elsewhere = reopenBank(gamma, clock, (config) => ({ ...config, custody: { config: omnibus } }));
      const refused = await elsewhere.then(
        () => expect.fail("expected CONFIG_INVALID"),
        (e: unknown) => e,
      );
      expect(isFrameworkError(refused, "CONFIG_INVALID"), String(refused)).to.equal(true);
      expect((refused as Error).message).to.include(`omnibus address ${alpha.address} is not the bank's key`);
    } finally {
      await reopenBank(gamma, clock);
      await rsm.destroy();
    }
  });

  it("books an omnibus settlement in the ledger once it is final, exactly once across retries and restarts", async function () {
    const [, beta, gamma] = banks;
    const file = await custodyFile("custody-omnibus.json", {
      model: "omnibus",
      bank: "Gamma Bank",
      omnibus: { address: gamma.address, tier: "warm", hsm: { tokenLabel: "gamma", keyLabel: "settlement" } },
      ledger: { path: "omnibus-ledger.sqlite" },
      hsm: { modulePath: SOFTHSM_MODULE, pin: GAMMA_PIN },
    });
    const withOmnibus = (config: ParticipantConfigInput) => ({ ...config, custody: { config: file } });
    let participant = await reopenBank(gamma, clock, withOmnibus);
    const ledger = () => participant.signers.ledger!;
    await ledger().credit({ movementId: "deposit-7", clientId: "client-7", asset: token("aEUR"), amount: 1_000_00n });
    const terms = await instructed(beta, dvp(beta.address, gamma.address, 7n, 700_00n));
    await participant.affirm(terms);
    await beta.participant.settle(terms);
    const early = await participant.bookFinal(terms, "client-7");
    expect(early).to.deep.include({ status: 3n, movements: [] });
    expect(await ledger().position("client-7", token("B30"))).to.equal(0n);

    const consortium = await hre.ethers.getContractAt("Consortium", record.consortium);
    await clock.advance(Number((await consortium.params()).reversalWindow) + 1);
    const booked = await participant.bookFinal(terms, "client-7");
    expect(booked.status).to.equal(4n);
    expect(booked.movements.map((m) => [m.movement.kind, m.movement.amount, m.applied])).to.deep.equal([
      ["debit", 700_00n, true],
      ["credit", 7n, true],
    ]);
    const again = await participant.bookFinal(terms, "client-7");
    expect(again.movements.map((m) => m.applied)).to.deep.equal([false, false]);
    participant = await reopenBank(gamma, clock, withOmnibus);
    const afterRestart = await participant.bookFinal(terms, "client-7");
    expect(afterRestart.movements.map((m) => m.applied)).to.deep.equal([false, false]);
    expect(await ledger().position("client-7", token("B30"))).to.equal(7n);
    expect(await ledger().position("client-7", token("aEUR"))).to.equal(300_00n);
    expect((await ledger().journal()).map((m) => m.movementId)).to.deep.equal([
      "deposit-7",
      `settlement:${booked.settlementId}:cash`,
      `settlement:${booked.settlementId}:asset`,
    ]);
  });

  it("signs through the remote signing module over HTTP, and a policy deny never reaches the module", async function () {
    const [alpha, beta, gamma] = banks;
    const rsm = await RsmHarness.around(await HsmSigner.create(hsm.config("gamma", "settlement")));
    try {
      const participant = await reopenBank(gamma, clock, ({ hsm: _local, ...config }) => ({
        ...config,
        signer: { kind: "remote", ...rsm.clientConfig() },
      }));
      expect(participant.address).to.equal(gamma.address);
      const terms = await instructed(beta, dvp(beta.address, gamma.address, 8n, 800_00n));
      const affirmed = await participant.affirm(terms);
      expect(affirmed.receipt.from).to.equal(gamma.address);
      const signed = (await rsm.records()).filter((r) => (r.payload as { outcome?: string }).outcome === "signed");
      expect(signed).to.have.length(1);
      expect(rsm.logs.map((l) => l.event)).to.deep.equal(["signed"]);

      // Above the per-settlement limit of B30 (20000): the bank's policy denies it before any request is sealed.
      let denied: unknown;
      try {
        await participant.instruct(dvp(gamma.address, alpha.address, 30_000n, 900_00n));
      } catch (error) {
        denied = error;
      }
      expect(isFrameworkError(denied, "GATE_DENIED"), String(denied)).to.equal(true);
      expect(await rsm.records()).to.have.length(1);
      expect(rsm.logs).to.have.length(1);
    } finally {
      await reopenBank(gamma, clock);
      await rsm.destroy();
    }
  });
});
