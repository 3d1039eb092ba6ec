import { expect } from "chai";
import { Mnemonic, hexlify } from "ethers";
import { ethers } from "hardhat";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ErrorCode } from "../../src/errors";
import {
  createKeystore,
  deriveClientWallet,
  openKeystore,
  restoreKeystore,
  type KeystoreLocation,
} from "../../src/custody";
import { ABANDON_MNEMONIC, HARDHAT_MNEMONIC, cleanTempDirs, dropEnv, envWith, expectCode, tempFolder } from "./helpers";

/** Every string value of a parsed JSON document (keys are fixed by the format and not checked). */
function stringValues(node: unknown): string[] {
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(stringValues);
  if (node !== null && typeof node === "object") return Object.values(node).flatMap(stringValues);
  return [];
}

describe("custody keystore and HD client wallets", function () {
  cleanTempDirs();
  let passphraseEnv: string;
  let location: KeystoreLocation;
  let created: { path: string; firstAddress: string };

  before(async function () {
    passphraseEnv = envWith("correct horse battery staple");
    location = { path: path.join(tempFolder(), "keys", "seed.json"), passphrase: { env: passphraseEnv } };
    created = await createKeystore(location);
  });

  after(function () {
    dropEnv(passphraseEnv);
  });

  it("derives m/44'/60'/0'/0/0 of the BIP39 test mnemonic to the published address", function () {
    const wallet = deriveClientWallet(Mnemonic.fromPhrase(ABANDON_MNEMONIC), 0);
    expect(wallet.address).to.equal("0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
    expect(wallet.path).to.equal("m/44'/60'/0'/0/0");
  });

  it("derives clients on m/44'/60'/0'/0/<index> exactly as Hardhat derives its accounts", async function () {
    const signers = await ethers.getSigners();
    const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
    expect(deriveClientWallet(mnemonic, 0).address).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    for (const index of [0, 1, 7, 19]) {
      expect(deriveClientWallet(mnemonic, index).address).to.equal(signers[index].address);
    }
  });

  it("writes the keystore with mode 0600 and holds no mnemonic, word, entropy or seed in clear", async function () {
    expect(statSync(created.path).mode & 0o777).to.equal(0o600);
    const bytes = readFileSync(created.path);
    const text = bytes.toString("utf8");
    const account = await openKeystore(location);
    const mnemonic = account.mnemonic as Mnemonic;
    expect(mnemonic.phrase.split(" ")).to.have.length(24);
    const secrets = [
      mnemonic.phrase,
      mnemonic.phrase.replaceAll(" ", ""),
      mnemonic.entropy,
      mnemonic.entropy.slice(2),
      mnemonic.computeSeed(),
      mnemonic.computeSeed().slice(2),
      account.privateKey.slice(2),
      deriveClientWallet(account, 0).privateKey.slice(2),
    ];
    for (const secret of secrets) {
      expect(text.toLowerCase()).to.not.include(secret.toLowerCase());
      expect(bytes.includes(Buffer.from(secret))).to.equal(false);
    }
    const values = stringValues(JSON.parse(text) as unknown);
    for (const word of mnemonic.phrase.split(" ")) {
      const whole = new RegExp(`(^|[^a-z])${word}([^a-z]|$)`, "i");
      expect(
        values.filter((v) => whole.test(v)),
        `word "${word}"`,
      ).to.deep.equal([]);
    }
    expect(created.firstAddress).to.equal(deriveClientWallet(account, 0).address);
  });

  it("refuses to overwrite an existing keystore and leaves it untouched", async function () {
    const before = readFileSync(created.path);
    await expectCode(createKeystore(location), ErrorCode.CustodyKeystoreExists);
    await expectCode(restoreKeystore(location, ABANDON_MNEMONIC), ErrorCode.CustodyKeystoreExists);
    expect(readFileSync(created.path).equals(before)).to.equal(true);
  });

  it("restores a keystore from a backup phrase and derives the same clients, passphrase from a file", async function () {
    const dir = tempFolder();
    const passphraseFile = path.join(dir, "passphrase");
    writeFileSync(passphraseFile, "from a file\n", { mode: 0o600 });
    const restored = { path: path.join(dir, "restored.json"), passphrase: { file: passphraseFile } };
    const info = await restoreKeystore(restored, ABANDON_MNEMONIC);
    expect(info.firstAddress).to.equal("0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
    const account = await openKeystore(restored);
    expect(account.path).to.equal("m/44'/60'/0'/0");
    expect(deriveClientWallet(account, 5).address).to.equal(
      deriveClientWallet(Mnemonic.fromPhrase(ABANDON_MNEMONIC), 5).address,
    );
    expect(hexlify(readFileSync(restored.path))).to.not.include(Mnemonic.fromPhrase(ABANDON_MNEMONIC).entropy.slice(2));
  });

  it("refuses a wrong passphrase with a typed error that does not carry it", async function () {
    const wrong = envWith("not the passphrase");
    try {
      const error = await expectCode(
        openKeystore({ ...location, passphrase: { env: wrong } }),
        ErrorCode.CustodyPassphraseWrong,
      );
      expect(JSON.stringify(error.details)).to.not.include("not the passphrase");
      expect(error.message).to.not.include("not the passphrase");
    } finally {
      dropEnv(wrong);
    }
  });

  it("refuses when the passphrase variable is missing or empty, before touching any file", async function () {
    const fresh = { path: path.join(tempFolder(), "never.json"), passphrase: { env: "CUSTODY_TEST_UNSET_VARIABLE" } };
    await expectCode(
      openKeystore({ ...location, passphrase: fresh.passphrase }),
      ErrorCode.CustodyPassphraseUnavailable,
    );
    await expectCode(createKeystore(fresh), ErrorCode.CustodyPassphraseUnavailable);
    const empty = envWith("");
    try {
      await expectCode(
        openKeystore({ ...location, passphrase: { env: empty } }),
        ErrorCode.CustodyPassphraseUnavailable,
      );
    } finally {
      dropEnv(empty);
    }
    await expectCode(
      openKeystore({ ...location, passphrase: { file: path.join(tempFolder(), "absent") } }),
      ErrorCode.CustodyPassphraseUnavailable,
    );
    expect(() => statSync(fresh.path)).to.throw(/ENOENT/);
  });

  it("refuses a file that is not an encrypted keystore", async function () {
    const file = path.join(tempFolder(), "plain.json");
    writeFileSync(file, JSON.stringify({ mnemonic: "do not do this" }));
    await expectCode(openKeystore({ ...location, path: file }), ErrorCode.CustodyKeystoreUnreadable);
    await expectCode(
      openKeystore({ ...location, path: path.join(tempFolder(), "absent.json") }),
      ErrorCode.CustodyKeystoreUnreadable,
    );
  });
});
