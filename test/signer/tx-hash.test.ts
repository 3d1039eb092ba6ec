// The unsigned hash on bytes: for every legacy and EIP-1559 transaction (with or without chain id, recipient, data,
// access list, signature) it is ethers' own `unsignedHash`, and what ethers refuses it leaves to ethers.
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, hexlify, Signature, Transaction, Wallet } from "ethers";
import { unsignedBytesOf, unsignedHashOf } from "../../src/signer/tx-hash";

const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
/** Small and large values alike: zero, single bytes below and above 0x80, and long ones. */
const amount = fc.oneof(fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n), uint(64), uint(256));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b)));
const data = fc.oneof(
  fc.constant("0x"),
  fc.uint8Array({ maxLength: 1 }).map(hexlify),
  fc.uint8Array({ maxLength: 600 }).map(hexlify),
);
const common = {
  nonce: fc.oneof(fc.constantFrom(0, 1, 127, 128, 255, 256), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  gasLimit: amount,
  to: fc.option(address),
  value: amount,
  data,
  chainId: fc.oneof(fc.constantFrom(0n, 1n, 2026n), uint(64)),
};
const legacy = fc.record({ type: fc.constant(0), gasPrice: amount, ...common });
const eip1559 = fc.record({
  type: fc.constant(2),
  maxPriorityFeePerGas: amount,
  maxFeePerGas: amount,
  accessList: fc.array(
    fc.record({
      address,
      storageKeys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hexlify), { maxLength: 3 }),
    }),
    { maxLength: 3 },
  ),
  ...common,
});

describe("signer: the unsigned hash on bytes", function () {
  it("equals ethers' unsignedHash and unsignedSerialized for legacy and EIP-1559 transactions", function () {
    fc.assert(
      fc.property(fc.oneof(legacy, eip1559), (fields) => {
        const tx = Transaction.from(fields);
        let expected: string;
        try {
          expected = tx.unsignedHash;
        } catch (error) {
          // What ethers refuses (a priority fee above the maximum fee) is refused alike.
          expect(() => unsignedHashOf(tx)).to.throw((error as Error).message.split(" (")[0]);
          return true;
        }
        return unsignedHashOf(tx) === expected && hexlify(unsignedBytesOf(tx)) === tx.unsignedSerialized;
      }),
      { seed: 2026, numRuns: 1500 },
    );
  });

  it("equals ethers on signed transactions, including a legacy one whose chain id comes from its v", async function () {
    const wallet = new Wallet("0x" + "11".repeat(32));
    for (const chainId of [0n, 1n, 2026n]) {
      const signed = Transaction.from(
        await wallet.signTransaction({
          type: 0,
          to: wallet.address,
          chainId,
          nonce: 3,
          gasLimit: 21000n,
          gasPrice: 0n,
        }),
      );
      expect(unsignedHashOf(signed)).to.equal(signed.unsignedHash);
    }
    const preEip155 = Transaction.from({ type: 0, to: wallet.address, nonce: 1, gasLimit: 21000n, gasPrice: 1n });
    preEip155.signature = Signature.from({ r: "0x" + "01".repeat(32), s: "0x" + "02".repeat(32), v: 2026n * 2n + 35n });
    expect(unsignedHashOf(preEip155)).to.equal(preEip155.unsignedHash);
  });

  it("leaves other transaction types to ethers, with ethers' answer", function () {
    const tx = Transaction.from({
      type: 1,
      to: getAddress("0x" + "ab".repeat(20)),
      chainId: 5n,
      gasPrice: 7n,
      gasLimit: 21000n,
    });
    expect(unsignedHashOf(tx)).to.equal(tx.unsignedHash);
  });
});
