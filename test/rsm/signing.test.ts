import { expect } from "chai";
import { Transaction, TypedDataEncoder, Wallet, toBeHex, toUtf8Bytes, verifyMessage, verifyTypedData } from "ethers";
import { ethers, network } from "hardhat";
import { isFrameworkError } from "../../src/errors";
import { RsmRemoteRefusedError } from "../../src/rsm";
import { MAIL } from "../signer/vectors";
import { MIDDLEWARE_ID, RefusingSigner, RsmHarness } from "./helpers";

describe("remote signing module: signing through the HSM", function () {
  let rsm: RsmHarness;

  before(async function () {
    rsm = await RsmHarness.create("rsm-signing");
  });

  after(async function () {
    await rsm.destroy();
  });

  it("signs a transaction that recovers to the HSM key and the Hardhat network accepts", async function () {
    const address = rsm.hsmSigner.address;
    const recipient = Wallet.createRandom().address;
    await network.provider.send("hardhat_setBalance", [address, toBeHex(10n ** 18n)]);
    await network.provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x0"]);
    const raw = await rsm.client().signTransaction({
      type: 0,
      to: recipient,
      value: 4321n,
      gasPrice: 0,
      gasLimit: 21_000,
      nonce: await ethers.provider.getTransactionCount(address),
      chainId: (await ethers.provider.getNetwork()).chainId,
    });
    expect(Transaction.from(raw).from).to.equal(address);
    const receipt = await (await ethers.provider.broadcastTransaction(raw)).wait();
    expect(receipt?.status).to.equal(1);
    expect(receipt?.from).to.equal(address);
    expect(await ethers.provider.getBalance(recipient)).to.equal(4321n);
  });

  it("sends an EIP-1559 transaction through connect(provider) like any ethers signer", async function () {
    const recipient = Wallet.createRandom().address;
    await network.provider.send("hardhat_setBalance", [rsm.hsmSigner.address, toBeHex(10n ** 18n)]);
    const response = await rsm.client().connect(ethers.provider).sendTransaction({ to: recipient, value: 99n });
    const receipt = await response.wait();
    expect(response.type).to.equal(2);
    expect(receipt?.from).to.equal(rsm.hsmSigner.address);
    expect(await ethers.provider.getBalance(recipient)).to.equal(99n);
  });

  it("signs EIP-191 messages, text and bytes, that verify against the HSM address", async function () {
    const client = rsm.client();
    for (const message of ["settle 42", "", toUtf8Bytes("raw bytes")]) {
      expect(verifyMessage(message, await client.signMessage(message))).to.equal(rsm.hsmSigner.address);
    }
  });

  it("signs the EIP-712 Mail vector over its published digest", async function () {
    expect(TypedDataEncoder.hash(MAIL.domain, MAIL.types, MAIL.message)).to.equal(MAIL.digest);
    const signature = await rsm.client().signTypedData(MAIL.domain, MAIL.types, MAIL.message);
    expect(verifyTypedData(MAIL.domain, MAIL.types, MAIL.message, signature)).to.equal(rsm.hsmSigner.address);
  });

  it("audits a signature under its request id with the signed digest", async function () {
    const { jwe, jti } = await rsm.seal({ kind: "message", payload: { text: "audited" } });
    expect((await rsm.post(jwe)).status).to.equal(200);
    const record = (await rsm.records()).find((r) => r.subject === jti);
    expect(record?.kind).to.equal("signature");
    expect(record?.payload).to.deep.include({ outcome: "signed", issuer: MIDDLEWARE_ID, kind: "message" });
    expect(record?.payload).to.deep.include({ digest: ethers.hashMessage("audited"), signer: rsm.hsmSigner.address });
    expect(rsm.logs.some((l) => l.event === "signed" && l.jti === jti)).to.be.true;
  });

  it("refuses with 403 and signs nothing when the policy gate throws a GATE_ error", async function () {
    const gate = new RefusingSigner(rsm.hsmSigner, "GATE_DENIED", "policy denied: limit exceeded");
    await rsm.stop();
    await rsm.start({}, [gate]);
    try {
      const error = await rsm
        .client()
        .signMessage("over the limit")
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(RsmRemoteRefusedError);
      const refused = error as RsmRemoteRefusedError;
      expect([refused.status, refused.remoteCode]).to.deep.equal([403, "GATE_DENIED"]);
      expect(gate.attempts).to.equal(1);
      const jti = refused.details.jti as string;
      const records = (await rsm.records()).filter((r) => r.subject === jti);
      expect(records.map((r) => r.payload)).to.deep.equal([
        {
          module: rsm.module.config.moduleId,
          outcome: "refused",
          code: "GATE_DENIED",
          reason: "policy denied: limit exceeded",
          issuer: MIDDLEWARE_ID,
          kind: "message",
          signer: rsm.hsmSigner.address,
        },
      ]);
    } finally {
      await rsm.stop();
      await rsm.start();
    }
  });

  it("refuses a request replayed after the service restarts (the replay store is durable)", async function () {
    const { jwe, jti } = await rsm.seal({ kind: "message", payload: { text: "once" } });
    expect((await rsm.post(jwe)).status).to.equal(200);
    await rsm.stop();
    await rsm.start();
    expect(await rsm.module.hasSeen(MIDDLEWARE_ID, jti)).to.be.true;
    const replay = await rsm.post(jwe);
    expect([replay.status, replay.code]).to.deep.equal([409, "RSM_REPLAY"]);
    expect(isFrameworkError(new RsmRemoteRefusedError(409, "RSM_REPLAY", "", jti), "RSM_REMOTE_REFUSED")).to.be.true;
  });
});
