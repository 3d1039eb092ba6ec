import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { HDNodeWallet, Wallet, id, toBeHex } from "ethers";
import { ethers, network } from "hardhat";
import path from "node:path";
import { ErrorCode } from "../../src/errors";
import { HsmSigner, generateSecp256k1Key } from "../../src/signer";
import {
  ClientSigners,
  KeyDirectory,
  createKeystore,
  deriveClientWallet,
  openKeystore,
  parseCustodyConfig,
  type CustodyConfig,
  type CustodyConfigInput,
} from "../../src/custody";
import { deployConsortium } from "../fixtures";
import { SOFTHSM_MODULE, SoftHsm } from "../signer/softhsm";
import { cleanTempDirs, dropEnv, envWith, expectCode, tempFolder } from "./helpers";

const TOKEN = "custody-clients";
const RETAIL_INDEX = 4;

describe("ClientSigners (segregated custody)", function () {
  cleanTempDirs();
  let hsm: SoftHsm;
  let passphraseEnv: string;
  let input: CustodyConfigInput;
  let config: CustodyConfig;
  let signers: ClientSigners;
  let vip: string;
  let retail: string;

  before(async function () {
    hsm = SoftHsm.create([TOKEN]);
    vip = generateSecp256k1Key(hsm.config(TOKEN, { label: "client-vip" })).address;
    passphraseEnv = envWith("segregated custody passphrase");
    const keystore = { path: path.join(tempFolder(), "seed.json"), passphrase: { env: passphraseEnv } };
    await createKeystore(keystore);
    retail = deriveClientWallet(await openKeystore(keystore), RETAIL_INDEX).address;
    input = {
      model: "segregated",
      bank: "Alpha Bank",
      keystore,
      hsm: { modulePath: SOFTHSM_MODULE, pin: { env: hsm.pinEnv(TOKEN) }, retry: { maxRetries: 3, backoffMs: 1 } },
      clients: {
        retail: { address: retail, tier: "hot", hd: { index: RETAIL_INDEX } },
        vip: { address: vip, tier: "cold", hsm: { tokenLabel: TOKEN, keyLabel: "client-vip" } },
      },
    };
    config = parseCustodyConfig(input);
    signers = ClientSigners.for(config, ethers.provider);
  });

  after(async function () {
    await signers.close();
    hsm.destroy();
    dropEnv(passphraseEnv);
  });

  /** The fixture, with both clients registered as Alpha Bank accounts and holding gas money. */
  async function registeredClients() {
    const f = await loadFixture(deployConsortium);
    const alpha = f.banks[0];
    for (const client of [vip, retail]) {
      await f.consortium.connect(alpha.operator).registerAccount(client);
      await network.provider.send("hardhat_setBalance", [client, toBeHex(10n ** 18n)]);
    }
    await f.cash.connect(alpha.account).transfer(vip, 1_000n);
    return f;
  }

  it("an HSM-backed client key signs a token transfer that Hardhat accepts", async function () {
    const f = await registeredClients();
    const signer = await signers.clientSigner("vip");
    expect(signer).to.be.instanceOf(HsmSigner);
    expect(await signer.getAddress()).to.equal(vip);
    expect(KeyDirectory.fromConfig(config).describe(vip)).to.include({ clientId: "vip", tier: "cold", kind: "hsm" });

    const receipt = await (await f.cash.connect(signer).transfer(retail, 400n)).wait();
    expect(receipt?.status).to.equal(1);
    expect(receipt?.from).to.equal(vip);
    expect(await f.cash.balanceOf(vip)).to.equal(600n);
    expect(await f.cash.balanceOf(retail)).to.equal(400n);
    expect(await signers.clientSigner("vip")).to.equal(signer);
  });

  it("an HD client's signer is its wallet on m/44'/60'/0'/0/<index>, and Hardhat accepts its transaction", async function () {
    const f = await registeredClients();
    await f.cash.connect(await signers.clientSigner("vip")).transfer(retail, 250n);
    const signer = await signers.clientSigner("retail");
    expect(signer).to.be.instanceOf(HDNodeWallet);
    expect((signer as HDNodeWallet).path).to.equal(`m/44'/60'/0'/0/${RETAIL_INDEX}`);
    const receipt = await (await f.cash.connect(signer).transfer(vip, 100n)).wait();
    expect(receipt?.from).to.equal(retail);
    expect(await f.cash.balanceOf(retail)).to.equal(150n);
  });

  it("refuses a client whose key is not at the configured address (HD or HSM)", async function () {
    const elsewhere = new Wallet(id("custody-signers/elsewhere")).address;
    const clients = input.model === "segregated" ? input.clients : {};
    const wrong = ClientSigners.for(
      parseCustodyConfig({
        ...input,
        clients: {
          retail: { ...clients.retail, address: elsewhere },
          vip: { ...clients.vip, address: new Wallet(id("custody-signers/vip-elsewhere")).address },
        },
      }),
      ethers.provider,
    );
    try {
      const error = await expectCode(wrong.clientSigner("retail"), ErrorCode.CustodyKeyMismatch);
      expect(error.details).to.deep.equal({ clientId: "retail", configured: elsewhere, actual: retail });
      await expectCode(wrong.clientSigner("vip"), ErrorCode.CustodyKeyMismatch);
    } finally {
      await wrong.close();
    }
  });

  it("refuses an unknown client, and client keys of an omnibus configuration", async function () {
    await expectCode(signers.clientSigner("mallory"), ErrorCode.CustodyClientUnknown);
    await expectCode(signers.clientSigner("__proto__"), ErrorCode.CustodyClientUnknown);
    const omnibus = parseCustodyConfig({
      model: "omnibus",
      bank: "Alpha Bank",
      omnibus: { address: vip, tier: "hot" },
      ledger: { path: "ledger.sqlite" },
    });
    await expectCode(() => ClientSigners.for(omnibus), ErrorCode.CustodyWrongModel);
  });

  it("refuses a wrong keystore passphrase, and signs once the right one is given", async function () {
    const keystore = input.model === "segregated" ? input.keystore : undefined;
    const wrongEnv = envWith("wrong passphrase");
    const wrong = ClientSigners.for(
      parseCustodyConfig({ ...input, keystore: { path: keystore?.path ?? "", passphrase: { env: wrongEnv } } }),
    );
    try {
      await expectCode(wrong.clientSigner("retail"), ErrorCode.CustodyPassphraseWrong);
      process.env[wrongEnv] = "segregated custody passphrase";
      expect(await (await wrong.clientSigner("retail")).getAddress()).to.equal(retail);
    } finally {
      dropEnv(wrongEnv);
      await wrong.close();
    }
  });
});
