import { expect } from "chai";
import { Transaction, toBeHex, type TransactionLike, type TransactionRequest } from "ethers";
import { ethers, network } from "hardhat";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  HsmSigner,
  NonceAllocator,
  ProtectedSigner,
  SigningNonceConflictError,
  SigningRecordStore,
  generateSecp256k1Key,
} from "../../src/signer";
import { SoftHsm } from "./softhsm";
import { isFrameworkError } from "../../src/errors";

const TOKEN = "protection-main";
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";

/** The inner HSM signer with a counter on `signTransaction` (and a hook run before each call). */
function spiedInner(
  signer: HsmSigner,
  before: () => void = () => undefined,
): { signer: HsmSigner; calls: () => number } {
  let calls = 0;
  const original = signer.signTransaction.bind(signer);
  signer.signTransaction = (tx: TransactionRequest) => {
    calls += 1;
    before();
    return original(tx);
  };
  return { signer, calls: () => calls };
}

describe("ProtectedSigner (SoftHSM, Hardhat network)", function () {
  let hsm: SoftHsm;
  let dir: string;
  let file: string;
  let hsmSigner: HsmSigner;
  let store: SigningRecordStore;
  let allocator: NonceAllocator;
  let chainId: bigint;

  /** A legacy transfer on an unreachable chain (5), signed without a provider: every field given. */
  const offline = (nonce: number, value: bigint): TransactionLike<string> => ({
    type: 0,
    to: RECIPIENT,
    value,
    nonce,
    gasLimit: 21_000,
    gasPrice: 0,
    chainId: 5,
  });

  before(async function () {
    hsm = SoftHsm.create([TOKEN]);
    const config = hsm.config(TOKEN, { label: "settlement-key" });
    generateSecp256k1Key(config);
    hsmSigner = await HsmSigner.create(config, { provider: ethers.provider });
    dir = mkdtempSync(path.join(tmpdir(), "signing-records-"));
    file = path.join(dir, "records.sqlite");
    store = SigningRecordStore.open({ path: file });
    allocator = new NonceAllocator(store);
    chainId = (await ethers.provider.getNetwork()).chainId;
    await network.provider.send("hardhat_setBalance", [hsmSigner.address, toBeHex(10n ** 18n)]);
    await network.provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x0"]);
  });

  after(async function () {
    store.close();
    await hsmSigner.close();
    hsm.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends transactions signed through the protected HSM signer that the Hardhat network accepts", async function () {
    const protectedSigner = new ProtectedSigner(hsmSigner.connect(ethers.provider), allocator);
    const response = await protectedSigner.sendTransaction({ to: RECIPIENT, value: 1234n, gasPrice: 0 });
    const receipt = await response.wait();
    expect(receipt?.status).to.equal(1);
    expect(response.from).to.equal(hsmSigner.address);
    expect(response.nonce).to.equal(0);
    expect(await ethers.provider.getBalance(RECIPIENT)).to.equal(1234n);
    const mined = await ethers.provider.getTransaction(response.hash);
    expect(mined).to.not.be.null;
    const sent = Transaction.from(mined!);
    expect(store.intent(hsmSigner.address, chainId, 0)?.payloadHash).to.equal(sent.unsignedHash);
  });

  it("allocates unique nonces to concurrent requests through the HSM, all accepted by the chain", async function () {
    const protectedSigner = new ProtectedSigner(hsmSigner.connect(ethers.provider), allocator);
    const start = await ethers.provider.getTransactionCount(hsmSigner.address, "pending");
    const signed = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        protectedSigner.protectTransaction({ to: RECIPIENT, value: 100n + BigInt(i), gasPrice: 0 }),
      ),
    );
    // Signatures finish in any order; Hardhat's automining cannot queue a future nonce, so send in nonce order.
    const responses = [];
    for (const s of [...signed].sort((a, b) => a.nonce - b.nonce)) {
      responses.push(await ethers.provider.broadcastTransaction(s.serialized));
    }
    const receipts = await Promise.all(responses.map((response) => response.wait()));
    expect(receipts.map((receipt) => receipt?.status)).to.deep.equal(Array<number>(10).fill(1));
    const nonces = responses.map((response) => response.nonce).sort((a, b) => a - b);
    expect(nonces).to.deep.equal(Array.from({ length: 10 }, (_, i) => start + i));
  });

  it("records the intent durably before the signature is produced", async function () {
    let seenBySecondConnection: string | undefined;
    const nonce = 1;
    const inner = spiedInner(hsmSigner.connect(null), () => {
      const reader = SigningRecordStore.open({ path: file });
      seenBySecondConnection = reader.intent(hsmSigner.address, 5n, nonce)?.payloadHash;
      reader.close();
    });
    const signed = await new ProtectedSigner(inner.signer, allocator).protectTransaction(offline(nonce, 1n));
    expect(inner.calls()).to.equal(1);
    expect(seenBySecondConnection).to.equal(signed.payloadHash);
    expect(Transaction.from(signed.serialized).unsignedHash).to.equal(signed.payloadHash);
  });

  it("signs the identical payload again for a retry", async function () {
    const inner = spiedInner(hsmSigner.connect(null));
    const protectedSigner = new ProtectedSigner(inner.signer, allocator);
    const first = await protectedSigner.protectTransaction(offline(2, 10n));
    const again = await protectedSigner.protectTransaction(offline(2, 10n));
    expect([first.outcome, again.outcome]).to.deep.equal(["new", "retry"]);
    expect(inner.calls()).to.equal(2);
    for (const signed of [first, again]) {
      const tx = Transaction.from(signed.serialized);
      expect(tx.from).to.equal(hsmSigner.address);
      expect(tx.nonce).to.equal(2);
      expect(tx.unsignedHash).to.equal(first.payloadHash);
    }
  });

  it("refuses a second payload for a used nonce", async function () {
    const inner = spiedInner(hsmSigner.connect(null));
    const protectedSigner = new ProtectedSigner(inner.signer, allocator);
    const first = await protectedSigner.protectTransaction(offline(3, 10n));
    const second = Transaction.from(offline(3, 11n));
    const error: unknown = await protectedSigner.signTransaction(offline(3, 11n)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(SigningNonceConflictError);
    expect(isFrameworkError(error, "SIGNING_NONCE_CONFLICT")).to.be.true;
    expect((error as SigningNonceConflictError).details).to.deep.equal({
      key: hsmSigner.address,
      chainId: 5n,
      nonce: 3,
      recordedHash: first.payloadHash,
      requestedHash: second.unsignedHash,
    });
    expect(inner.calls()).to.equal(1);
    expect(store.intent(hsmSigner.address, 5n, 3)?.payloadHash).to.equal(first.payloadHash);
  });

  it("takes the chain's pending nonce when it is ahead", async function () {
    const recorded = store.highestNonce(hsmSigner.address, chainId) ?? -1;
    expect(await ethers.provider.getTransactionCount(hsmSigner.address, "pending")).to.equal(recorded + 1);
    // Two transfers from the key through the bare HSM signer, outside the protection: the chain moves ahead.
    const bare = hsmSigner.connect(ethers.provider);
    for (const value of [1n, 2n]) await (await bare.sendTransaction({ to: RECIPIENT, value, gasPrice: 0 })).wait();
    expect(store.highestNonce(hsmSigner.address, chainId)).to.equal(recorded);
    const protectedSigner = new ProtectedSigner(hsmSigner.connect(ethers.provider), allocator);
    const response = await protectedSigner.sendTransaction({ to: RECIPIENT, value: 3n, gasPrice: 0 });
    expect(response.nonce).to.equal(recorded + 3);
    expect((await response.wait())?.status).to.equal(1);
    expect(store.highestNonce(hsmSigner.address, chainId)).to.equal(recorded + 3);
  });
});
