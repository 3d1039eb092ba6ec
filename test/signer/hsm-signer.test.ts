import { expect } from "chai";
import {
  Signature,
  Transaction,
  TypedDataEncoder,
  Wallet,
  getBytes,
  hashMessage,
  keccak256,
  toBeHex,
  toUtf8Bytes,
  verifyMessage,
  verifyTypedData,
} from "ethers";
import { ethers, network } from "hardhat";
import { writeFileSync } from "node:fs";
import path from "node:path";
import * as pkcs11 from "pkcs11js";
import {
  HsmKey,
  HsmSigner,
  SECP256K1_N,
  acquireLibrary,
  generateSecp256k1Key,
  pkcs11EcdsaSign,
  type Pkcs11Library,
} from "../../src/signer";
import { SoftHsm } from "./softhsm";
import { MAIL } from "./vectors";

const TOKEN = "signer-main";

describe("HsmSigner (SoftHSM)", function () {
  let hsm: SoftHsm;
  let signer: HsmSigner;
  let library: Pkcs11Library;
  let generatedAddress: string;
  const config = () => hsm.config(TOKEN, { label: "settlement-key" }, { sessions: 3 });

  before(async function () {
    hsm = SoftHsm.create([TOKEN]);
    generatedAddress = generateSecp256k1Key(hsm.config(TOKEN, { label: "settlement-key" })).address;
    signer = await HsmSigner.create(config());
    library = acquireLibrary(hsm.config(TOKEN, { label: "x" }).modulePath);
  });

  after(async function () {
    await signer.close();
    library.release();
    hsm.destroy();
  });

  it("generates the key inside the token: sensitive, not extractable, on the token, for signing", function () {
    const api = library.api();
    const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trimEnd() === TOKEN);
    const session = api.C_OpenSession(slot as Buffer, pkcs11.CKF_SERIAL_SESSION);
    try {
      api.C_Login(session, pkcs11.CKU_USER, process.env[hsm.pinEnv(TOKEN)]);
    } catch (error) {
      if (!(error instanceof pkcs11.Pkcs11Error && error.code === pkcs11.CKR_USER_ALREADY_LOGGED_IN)) throw error;
    }
    try {
      api.C_FindObjectsInit(session, [
        { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
        { type: pkcs11.CKA_LABEL, value: "settlement-key" },
      ]);
      const [key] = api.C_FindObjects(session, 2);
      api.C_FindObjectsFinal(session);
      const attributes = api.C_GetAttributeValue(session, key, [
        { type: pkcs11.CKA_SENSITIVE },
        { type: pkcs11.CKA_EXTRACTABLE },
        { type: pkcs11.CKA_TOKEN },
        { type: pkcs11.CKA_SIGN },
        { type: pkcs11.CKA_EC_PARAMS },
      ]);
      expect(attributes.map((a) => a.value.toString("hex"))).to.deep.equal(["01", "00", "01", "01", "06052b8104000a"]);
      expect(() => api.C_GetAttributeValue(session, key, [{ type: pkcs11.CKA_VALUE }])).to.throw(
        "CKR_ATTRIBUTE_SENSITIVE",
      );
    } finally {
      api.C_CloseSession(session);
    }
  });

  it("derives the address of the generated key", async function () {
    expect(await signer.getAddress()).to.equal(generatedAddress);
    expect(signer.address).to.match(/^0x[0-9a-fA-F]{40}$/);
  });

  it("opens the same key by CKA_ID with the PIN read from a file", async function () {
    const { id } = generateSecp256k1Key(hsm.config(TOKEN, { label: "by-id-key" }));
    const pinFile = path.join(hsm.dir, "user.pin");
    writeFileSync(pinFile, `${process.env[hsm.pinEnv(TOKEN)]}\n`, { mode: 0o600 });
    const byLabel = await HsmKey.open(hsm.config(TOKEN, { label: "by-id-key" }));
    const byId = await HsmKey.open(hsm.config(TOKEN, { id: `0x${id}` }, { pin: { file: pinFile } }));
    try {
      expect(byId.address).to.equal(byLabel.address);
      const digest = hashMessage("by id");
      expect(ethers.recoverAddress(digest, await byId.signDigest(digest))).to.equal(byLabel.address);
    } finally {
      await Promise.all([byLabel.close(), byId.close()]);
    }
  });

  it("refuses to generate a second key under a used label", function () {
    expect(() => generateSecp256k1Key(hsm.config(TOKEN, { label: "settlement-key" })))
      .to.throw()
      .with.property("code", "HSM_KEY_EXISTS");
  });

  it("signs EIP-191 messages that ethers verifies", async function () {
    for (const message of ["hello", "", toUtf8Bytes("bytes message"), "x".repeat(1000)]) {
      expect(verifyMessage(message, await signer.signMessage(message))).to.equal(signer.address);
    }
  });

  it("normalises high-S HSM output: 200 signatures, every S <= n/2, each recovering to the key", async function () {
    const halfN = SECP256K1_N / 2n;
    let highFromHsm = 0;
    const key = await HsmKey.open(config(), {
      rawSign: async (state, digest) => {
        const raw = await pkcs11EcdsaSign(state, digest);
        if (BigInt(`0x${raw.subarray(32).toString("hex")}`) > halfN) highFromHsm += 1;
        return raw;
      },
    });
    try {
      for (let i = 0; i < 200; i += 1) {
        const digest = keccak256(toBeHex(i, 32));
        const signature = await key.signDigest(digest);
        expect(BigInt(signature.s) <= halfN, `signature ${i} has a high S`).to.be.true;
        expect(ethers.recoverAddress(digest, signature)).to.equal(signer.address);
      }
    } finally {
      await key.close();
    }
    expect(highFromHsm).to.be.greaterThan(0);
  });

  it("matches the EIP-712 Mail vector and signs it", async function () {
    expect(TypedDataEncoder.hash(MAIL.domain, MAIL.types, MAIL.message)).to.equal(MAIL.digest);
    const signature = await signer.signTypedData(MAIL.domain, MAIL.types, MAIL.message);
    expect(ethers.recoverAddress(MAIL.digest, signature)).to.equal(signer.address);
    expect(verifyTypedData(MAIL.domain, MAIL.types, MAIL.message, signature)).to.equal(signer.address);
  });

  it("signs transactions that ethers decodes to the key's address", async function () {
    const to = Wallet.createRandom().address;
    const legacy = await signer.signTransaction({ type: 0, to, gasPrice: 0, gasLimit: 21_000, nonce: 7, chainId: 5 });
    const eip1559 = await signer.signTransaction({
      type: 2,
      to,
      value: 1n,
      maxFeePerGas: 10n,
      maxPriorityFeePerGas: 1n,
      gasLimit: 21_000,
      nonce: 8,
      chainId: 1337,
      from: signer.address,
    });
    expect(Transaction.from(legacy).from).to.equal(signer.address);
    expect(Transaction.from(legacy).type).to.equal(0);
    expect(Transaction.from(eip1559).from).to.equal(signer.address);
    expect(Transaction.from(eip1559).type).to.equal(2);
  });

  it("refuses a transaction whose from is another address", async function () {
    const other = Wallet.createRandom().address;
    await expect(signer.signTransaction({ to: other, from: other, gasPrice: 0, gasLimit: 21_000, chainId: 1 })).to.be
      .rejected;
  });

  it("sends a legacy gas-price-0 transaction accepted by the Hardhat network", async function () {
    const recipient = Wallet.createRandom().address;
    await network.provider.send("hardhat_setBalance", [signer.address, toBeHex(10n ** 18n)]);
    await network.provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x0"]);
    const raw = await signer.signTransaction({
      type: 0,
      to: recipient,
      value: 1234n,
      gasPrice: 0,
      gasLimit: 21_000,
      nonce: await ethers.provider.getTransactionCount(signer.address),
      chainId: (await ethers.provider.getNetwork()).chainId,
    });
    const receipt = await (await ethers.provider.broadcastTransaction(raw)).wait();
    expect(receipt?.status).to.equal(1);
    expect(receipt?.from).to.equal(signer.address);
    expect(await ethers.provider.getBalance(recipient)).to.equal(1234n);
  });

  it("sends an EIP-1559 transaction through connect(provider)", async function () {
    const recipient = Wallet.createRandom().address;
    await network.provider.send("hardhat_setBalance", [signer.address, toBeHex(10n ** 18n)]);
    const connected = signer.connect(ethers.provider);
    const response = await connected.sendTransaction({ to: recipient, value: 5678n });
    const receipt = await response.wait();
    expect(response.type).to.equal(2);
    expect(receipt?.status).to.equal(1);
    expect(receipt?.from).to.equal(signer.address);
    expect(await ethers.provider.getBalance(recipient)).to.equal(5678n);
  });

  it("signs 100 concurrent requests on one key, all valid", async function () {
    const messages = Array.from({ length: 100 }, (_, i) => `concurrent ${i}`);
    const signatures = await Promise.all(messages.map((message) => signer.signMessage(message)));
    signatures.forEach((signature, i) => {
      expect(verifyMessage(messages[i], signature)).to.equal(signer.address);
      expect(BigInt(Signature.from(signature).s) <= SECP256K1_N / 2n).to.be.true;
    });
    expect(new Set(signatures).size).to.equal(100);
  });

  it("runs one operation at a time per session while the sessions sign in parallel", async function () {
    const inFlight = new Map<string, number>();
    let total = 0;
    let maxTotal = 0;
    let maxPerSession = 0;
    const key = await HsmKey.open(config(), {
      rawSign: async (state, digest) => {
        const id = state.session.toString("hex");
        inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
        total += 1;
        maxPerSession = Math.max(maxPerSession, inFlight.get(id) ?? 0);
        maxTotal = Math.max(maxTotal, total);
        try {
          return await pkcs11EcdsaSign(state, digest);
        } finally {
          inFlight.set(id, (inFlight.get(id) ?? 0) - 1);
          total -= 1;
        }
      },
    });
    try {
      await Promise.all(Array.from({ length: 60 }, (_, i) => key.signDigest(hashMessage(`lane ${i}`))));
    } finally {
      await key.close();
    }
    expect(maxPerSession).to.equal(1);
    expect(maxTotal).to.equal(3);
    expect(inFlight.size).to.equal(3);
  });

  it("refuses a digest that is not 32 bytes", async function () {
    await expect(signer.key.signDigest(getBytes("0x1234"))).to.be.rejectedWith("digest must be 32 bytes");
  });
});
