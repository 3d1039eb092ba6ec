import { expect } from "chai";
import { Wallet, type TransactionLike } from "ethers";
import { ethers } from "hardhat";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  HsmUnavailableError,
  NonceAllocator,
  ProtectedSigner,
  SigningNonceConflictError,
  SigningRecordStore,
} from "../../src/signer";

const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
const SIGNER_DIR = path.resolve(__dirname, "..", "..", "src", "signer");

/** A fully specified legacy transfer on chain 1337 (no provider needed); the nonce is left to the allocator. */
const transfer = (value: number, nonce?: number): TransactionLike<string> => ({
  type: 0,
  to: RECIPIENT,
  value,
  gasLimit: 21_000,
  gasPrice: 0,
  chainId: 1337,
  ...(nonce === undefined ? {} : { nonce }),
});

/**
 * Run in a child process: records the intent for `transfer(7)` through a ProtectedSigner, then dies
 * (SIGKILL) at the moment the inner signer is asked to sign.
 */
const CRASH_WORKER = `
const { Wallet } = require("ethers");
const { SigningRecordStore } = require(${JSON.stringify(path.join(SIGNER_DIR, "protection"))});
const { NonceAllocator } = require(${JSON.stringify(path.join(SIGNER_DIR, "nonce"))});
const { ProtectedSigner } = require(${JSON.stringify(path.join(SIGNER_DIR, "protection-signer"))});
const inner = new Wallet(process.env.PROTECTION_CRASH_KEY);
inner.signTransaction = () => process.kill(process.pid, "SIGKILL");
const store = SigningRecordStore.open({ path: process.env.PROTECTION_CRASH_FILE });
new ProtectedSigner(inner, new NonceAllocator(store)).signTransaction(${JSON.stringify(transfer(7))});
`;

describe("ProtectedSigner nonce allocation (SQLite records)", function () {
  let dir: string;
  let file: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "signing-records-"));
    file = path.join(dir, "records.sqlite");
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("allocates unique nonces to concurrent requests", async function () {
    const store = SigningRecordStore.open({ path: file });
    try {
      const wallet = new Wallet(Wallet.createRandom().privateKey, ethers.provider);
      const signer = new ProtectedSigner(wallet, new NonceAllocator(store));
      const chainId = (await ethers.provider.getNetwork()).chainId;
      const signed = await Promise.all(
        Array.from({ length: 50 }, (_, i) => signer.protectTransaction({ to: RECIPIENT, value: i + 1, gasPrice: 0 })),
      );
      const nonces = signed.map((s) => s.nonce).sort((a, b) => a - b);
      expect(nonces).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
      expect(signed.every((s) => s.chainId === chainId && s.outcome === "new")).to.be.true;
      for (const s of signed)
        expect(store.intent(wallet.address, chainId, s.nonce)?.payloadHash).to.equal(s.payloadHash);
      expect(store.highestNonce(wallet.address, chainId)).to.equal(49);
    } finally {
      store.close();
    }
  });

  it("leaves no gap and no duplicate after a restart", async function () {
    const wallet = Wallet.createRandom();
    const first = SigningRecordStore.open({ path: file });
    const before = new ProtectedSigner(wallet, new NonceAllocator(first));
    const early = await Promise.all([1, 2, 3, 4, 5].map((v) => before.protectTransaction(transfer(v))));
    first.close();

    const second = SigningRecordStore.open({ path: file });
    try {
      const after = new ProtectedSigner(wallet, new NonceAllocator(second));
      const late = await Promise.all([6, 7, 8, 9, 10].map((v) => after.protectTransaction(transfer(v))));
      const nonces = [...early, ...late].map((s) => s.nonce).sort((a, b) => a - b);
      expect(nonces).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const retried = await after.protectTransaction(transfer(3, early[2].nonce));
      expect(retried.outcome).to.equal("retry");
      await expect(after.protectTransaction(transfer(99, early[2].nonce))).to.be.rejectedWith(
        SigningNonceConflictError,
      );
    } finally {
      second.close();
    }
  });

  it("keeps a crash between recording and signing from allowing a second payload", async function () {
    const wallet = Wallet.createRandom();
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", CRASH_WORKER], {
      cwd: path.resolve(__dirname, "..", ".."),
      env: { ...process.env, PROTECTION_CRASH_KEY: wallet.privateKey, PROTECTION_CRASH_FILE: file },
      encoding: "utf8",
    });
    expect(child.signal, child.stderr).to.equal("SIGKILL");

    const store = SigningRecordStore.open({ path: file });
    try {
      const signer = new ProtectedSigner(wallet, new NonceAllocator(store));
      expect(store.highestNonce(wallet.address, 1337n)).to.equal(0);
      const retried = await signer.protectTransaction(transfer(7, 0));
      expect(retried.outcome).to.equal("retry");
      await expect(signer.protectTransaction(transfer(8, 0))).to.be.rejectedWith(SigningNonceConflictError);
      expect((await signer.protectTransaction(transfer(8))).nonce).to.equal(1);
    } finally {
      store.close();
    }
  });

  it("frees the nonce of a signature the HSM failed to make, so the next transaction takes it (no gap)", async function () {
    const wallet = Wallet.createRandom();
    const store = SigningRecordStore.open({ path: file });
    try {
      // The inner signer is the subject: an HSM that is down for the first two attempts.
      let down = 2;
      const hsm = Object.assign(Object.create(wallet) as Wallet, {
        signTransaction: (tx: TransactionLike<string>) => {
          if (down-- > 0) return Promise.reject(new HsmUnavailableError("bank-a", 3, "CKR_DEVICE_ERROR"));
          return wallet.signTransaction(tx);
        },
      });
      const signer = new ProtectedSigner(hsm, new NonceAllocator(store));
      for (const value of [1, 2]) {
        await expect(signer.protectTransaction(transfer(value))).to.be.rejectedWith(HsmUnavailableError);
      }
      expect(store.intent(wallet.address, 1337n, 0)).to.equal(undefined);
      const signed = await signer.protectTransaction(transfer(3));
      expect(signed).to.include({ nonce: 0, outcome: "new" });
      expect((await signer.protectTransaction(transfer(4))).nonce).to.equal(1);
    } finally {
      store.close();
    }
  });

  it("gives a retried identical payload its recorded nonce, so a call retried after a crash fills its slot", async function () {
    const wallet = Wallet.createRandom();
    const store = SigningRecordStore.open({ path: file });
    try {
      const signer = new ProtectedSigner(wallet, new NonceAllocator(store));
      const first = await signer.protectTransaction(transfer(5));
      const second = await signer.protectTransaction(transfer(6));
      const again = await signer.protectTransaction(transfer(5));
      expect([first.nonce, second.nonce, again.nonce]).to.deep.equal([0, 1, 0]);
      expect(again.outcome).to.equal("retry");
      expect(again.serialized).to.equal(first.serialized);
    } finally {
      store.close();
    }
  });

  it("signs a retried request under its recorded nonce, never under a slot released below it", function () {
    const store = SigningRecordStore.open({ path: file });
    try {
      const key = Wallet.createRandom().address;
      const hash = (x: string) => ethers.id(x);
      const request = (x: string) => ({ requestHash: hash(`request ${x}`), payloadFor: () => hash(x) });
      // Two requests in flight: the first one's signature failed (its slot 0 released), the second was signed at 1.
      store.recordIntent(key, 1n, 0, hash("a"), hash("request a"));
      store.recordIntent(key, 1n, 1, hash("b"), hash("request b"));
      expect(store.release(key, 1n, 0, hash("a"))).to.equal(true);
      expect(store.claimNextIntent(key, 1n, 0, request("b"))).to.deep.equal({ nonce: 1, outcome: "retry" });
      expect(store.claimNextIntent(key, 1n, 0, request("c"))).to.deep.equal({ nonce: 0, outcome: "new" });
      expect(store.claimNextIntent(key, 1n, 0, request("d"))).to.deep.equal({ nonce: 2, outcome: "new" });
    } finally {
      store.close();
    }
  });

  it("finds a retry among records written without a request hash (files of earlier versions)", function () {
    const store = SigningRecordStore.open({ path: file });
    try {
      const key = Wallet.createRandom().address;
      const hash = (x: string) => ethers.id(x);
      store.recordIntent(key, 1n, 0, hash("a@0"));
      store.recordIntent(key, 1n, 1, hash("b@1"));
      const b = { requestHash: hash("request b"), payloadFor: (nonce: number) => hash(`b@${nonce}`) };
      expect(store.claimNextIntent(key, 1n, 0, b)).to.deep.equal({ nonce: 1, outcome: "retry" });
      expect(store.claimNextIntent(key, 1n, 2, b)).to.deep.equal({ nonce: 2, outcome: "new" });
    } finally {
      store.close();
    }
  });

  it("releases only the recorded payload of a slot", function () {
    const store = SigningRecordStore.open({ path: file });
    try {
      const key = Wallet.createRandom().address;
      const hash = (x: string) => ethers.id(x);
      store.recordIntent(key, 1n, 0, hash("a"));
      expect(store.release(key, 1n, 0, hash("b"))).to.equal(false);
      expect(store.intent(key, 1n, 0)?.payloadHash).to.equal(hash("a"));
      expect(store.release(key, 1n, 0, hash("a"))).to.equal(true);
      expect(store.intent(key, 1n, 0)).to.equal(undefined);
      expect(store.recordIntent(key, 1n, 0, hash("c"))).to.equal("new");
    } finally {
      store.close();
    }
  });
});
