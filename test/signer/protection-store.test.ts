import { expect } from "chai";
import { Wallet, copyRequest, keccak256, toUtf8Bytes, type TransactionRequest } from "ethers";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  KeyedMutex,
  NonceAllocator,
  ProtectedSigner,
  SigningConfigError,
  SigningNonceConflictError,
  SigningPayloadMismatchError,
  SigningRecordStore,
  SigningRequestInvalidError,
  SigningStoreClosedError,
  SigningStoreUnavailableError,
} from "../../src/signer";

const KEY = "0x000000000000000000000000000000000000dEaD";
const hash = (text: string) => keccak256(toUtf8Bytes(text));
/** A request whose payload is `text` at every nonce. */
const request = (text: string) => ({ requestHash: hash(`request ${text}`), payloadFor: () => hash(text) });
const transfer = (value: number, nonce?: number): TransactionRequest => ({
  type: 0,
  to: KEY,
  value,
  gasLimit: 21_000,
  gasPrice: 0,
  chainId: 1337,
  nonce,
});

describe("SigningRecordStore", function () {
  let dir: string;
  let file: string;
  let store: SigningRecordStore;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "signing-records-"));
    file = path.join(dir, "records.sqlite");
    store = SigningRecordStore.open({ path: file });
  });

  afterEach(function () {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records a new intent, a retry of the same payload, and keeps them per key and chain", function () {
    expect(store.recordIntent(KEY, 1n, 0, hash("a"))).to.equal("new");
    expect(store.recordIntent(KEY.toLowerCase(), 1n, 0, hash("a").toUpperCase().replace("0X", "0x"))).to.equal("retry");
    expect(store.recordIntent(KEY, 2n, 0, hash("b"))).to.equal("new");
    expect(store.highestNonce(KEY, 1n)).to.equal(0);
    expect(store.highestNonce(KEY, 3n)).to.be.undefined;
    expect(store.intent(KEY, 1n, 0)).to.include({ keyAddress: KEY, chainId: 1n, nonce: 0, payloadHash: hash("a") });
  });

  it("refuses a second payload for a used nonce recorded through another connection", function () {
    const other = SigningRecordStore.open({ path: file });
    try {
      expect(other.recordIntent(KEY, 1n, 5, hash("first"))).to.equal("new");
      expect(() => store.recordIntent(KEY, 1n, 5, hash("second"))).to.throw(SigningNonceConflictError);
      expect(store.intent(KEY, 1n, 5)?.payloadHash).to.equal(hash("first"));
    } finally {
      other.close();
    }
  });

  it("refuses malformed hashes and nonces", function () {
    expect(() => store.recordIntent(KEY, 1n, 0, "0x1234")).to.throw(SigningRequestInvalidError);
    expect(() => store.recordIntent(KEY, 1n, -1, hash("a"))).to.throw(SigningRequestInvalidError);
    expect(() => store.recordIntent(KEY, 1n, 1.5, hash("a"))).to.throw(SigningRequestInvalidError);
  });

  it("refuses invalid options and an unopenable file", function () {
    expect(() => SigningRecordStore.open({ path: "" })).to.throw(SigningConfigError);
    expect(() => SigningRecordStore.open({ path: file, busyTimeoutMs: 0 })).to.throw(SigningConfigError);
    expect(() => SigningRecordStore.open({ path: path.join(dir, "missing", "x.sqlite") })).to.throw(
      SigningStoreUnavailableError,
    );
  });

  it("refuses every call once closed", function () {
    store.close();
    expect(() => store.recordIntent(KEY, 1n, 0, hash("a"))).to.throw(SigningStoreClosedError);
    expect(() => store.highestNonce(KEY, 1n)).to.throw(SigningStoreClosedError);
    expect(() => store.intent(KEY, 1n, 0)).to.throw(SigningStoreClosedError);
  });
});

describe("KeyedMutex", function () {
  it("runs callers of one key one at a time, in arrival order, and survives a failing caller", async function () {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const step = (name: string, fail = false) =>
      mutex.run("k", async () => {
        events.push(`${name}:start`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`${name}:end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step("a"), step("b", true), step("c")]);
    expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(events).to.deep.equal(["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
  });
});

describe("NonceAllocator", function () {
  let dir: string;
  let file: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "signing-records-"));
    file = path.join(dir, "records.sqlite");
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("allocates unique nonces to concurrent requests from two stores on one file", async function () {
    // Each allocator has its own lock; the chain answers asynchronously, so their requests interleave.
    const chain = {
      getTransactionCount: () => new Promise<number>((resolve) => setImmediate(() => resolve(0))),
    };
    const stores = [SigningRecordStore.open({ path: file }), SigningRecordStore.open({ path: file })];
    try {
      const allocators = stores.map((store) => new NonceAllocator(store));
      const nonces = await Promise.all(
        Array.from({ length: 40 }, (_, i) => allocators[i % 2].allocate(KEY, 1n, chain, request(`payload ${i}`))),
      );
      expect([...nonces].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i));
      expect(await allocators[0].nextNonce(KEY, 1n, chain)).to.equal(40);
    } finally {
      for (const store of stores) store.close();
    }
  });

  it("records concurrent claims together, in arrival order, refusing an invalid one alone", async function () {
    const store = SigningRecordStore.open({ path: file });
    try {
      const allocator = new NonceAllocator(store);
      let reads = 0;
      const chain = { getTransactionCount: () => Promise.resolve(reads++ * 0) };
      const claims = Array.from({ length: 20 }, (_, i) =>
        allocator.claim(KEY, 1n, chain, i === 7 ? { ...request("bad"), requestHash: "0x12" } : request(`p${i}`)),
      );
      const results = await Promise.allSettled(claims);
      const refused = results[7] as PromiseRejectedResult;
      expect(refused.status).to.equal("rejected");
      expect(refused.reason).to.be.instanceOf(SigningRequestInvalidError);
      const nonces = results.filter((r) => r.status === "fulfilled").map((r) => r.value.nonce);
      expect(nonces).to.deep.equal(Array.from({ length: 19 }, (_, i) => i));
      // Claims made together are committed together: the pending nonce is read once for all of them.
      expect(reads).to.equal(1);
      expect(await allocator.claim(KEY, 1n, chain, request("p3"))).to.deep.equal({ nonce: 3, outcome: "retry" });
    } finally {
      store.close();
    }
  });

  it("takes the chain's pending nonce when it is ahead", async function () {
    const store = SigningRecordStore.open({ path: file });
    try {
      const allocator = new NonceAllocator(store);
      const chain = (pending: number) => ({ getTransactionCount: () => Promise.resolve(pending) });
      expect(await allocator.allocate(KEY, 1n, chain(0), request("a"))).to.equal(0);
      expect(await allocator.allocate(KEY, 1n, chain(7), request("b"))).to.equal(7);
      expect(await allocator.allocate(KEY, 1n, chain(3), request("c"))).to.equal(8);
    } finally {
      store.close();
    }
  });
});

describe("ProtectedSigner without a provider", function () {
  let dir: string;
  let store: SigningRecordStore;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "signing-records-"));
    store = SigningRecordStore.open({ path: path.join(dir, "records.sqlite") });
  });

  afterEach(function () {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a request that is missing fields it cannot populate", async function () {
    const signer = new ProtectedSigner(Wallet.createRandom(), new NonceAllocator(store));
    await expect(signer.signTransaction({ to: KEY, gasPrice: 0, chainId: 1337 })).to.be.rejectedWith(
      SigningRequestInvalidError,
    );
    await expect(signer.sendTransaction(transfer(1))).to.be.rejectedWith(SigningRequestInvalidError);
  });

  it("refuses a request from another address", async function () {
    const signer = new ProtectedSigner(Wallet.createRandom(), new NonceAllocator(store));
    await expect(signer.signTransaction({ ...transfer(1), from: KEY })).to.be.rejectedWith(SigningRequestInvalidError);
  });

  it("withholds a signature over a payload other than the recorded one", async function () {
    const wallet = Wallet.createRandom();
    const tampering = Object.assign(Object.create(wallet) as Wallet, {
      signTransaction: (tx: TransactionRequest) => wallet.signTransaction({ ...copyRequest(tx), value: 999n }),
    });
    const signer = new ProtectedSigner(tampering, new NonceAllocator(store));
    await expect(signer.signTransaction(transfer(1))).to.be.rejectedWith(SigningPayloadMismatchError);
  });
});
