// The unsigned hash on bytes: for every legacy and EIP-1559 transaction (with or without chain id, recipient, data,
// access list, signature) it is ethers' own `unsignedHash`, and what ethers refuses it leaves to ethers.
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, hexlify, Signature, Transaction, Wallet } from "ethers";
import { signedUnsignedHashOf, unsignedBytesOf, unsignedHashOf } from "../../src/signer/tx-hash";

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

  describe("of signed bytes", function () {
    const wallet = new Wallet("0x" + "22".repeat(32));
    /** A signed transaction from the generators above (signed with a fixed key, synchronously). */
    const signed = (fields: Parameters<typeof Transaction.from>[0]): string | null => {
      const tx = Transaction.from(fields);
      try {
        tx.signature = wallet.signingKey.sign(tx.unsignedHash);
        return tx.serialized;
      } catch {
        return null; // what ethers itself refuses to serialize
      }
    };
    const ethersAnswer = (serialized: string): string | Error => {
      try {
        return Transaction.from(serialized).unsignedHash;
      } catch (error) {
        return error as Error;
      }
    };

    it("equals Transaction.from(serialized).unsignedHash for every signed legacy and EIP-1559 transaction", function () {
      fc.assert(
        fc.property(fc.oneof(legacy, eip1559), (fields) => {
          const serialized = signed(fields);
          return serialized === null || signedUnsignedHashOf(serialized) === ethersAnswer(serialized);
        }),
        { seed: 7, numRuns: 1000 },
      );
    });

    it("never answers other than ethers for mutated bytes, and never gives the original payload's hash to bytes whose unsigned fields changed", function () {
      const cases = fc.tuple(fc.oneof(legacy, eip1559), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(3));
      fc.assert(
        fc.property(cases, ([fields, where, xor, cut]) => {
          const serialized = signed(fields);
          if (serialized === null) return true;
          const bytes = Buffer.from(serialized.slice(2), "hex");
          const original = Transaction.from(serialized).unsignedHash;
          const i = where % bytes.length;
          bytes[i] ^= xor;
          const mutated = `0x${bytes.subarray(0, bytes.length - (cut === 0 ? 1 : 0)).toString("hex")}`;
          const expected = ethersAnswer(mutated);
          let ours: string | Error;
          try {
            ours = signedUnsignedHashOf(mutated);
          } catch (error) {
            ours = error as Error;
          }
          if (typeof expected === "string") return ours === expected;
          // ethers refuses: so do we, or our hash differs from the original's unless only the signature changed.
          if (ours instanceof Error) return true;
          const signatureStart = serialized.length / 2 - 1 - 3 * 33;
          return ours !== original || i >= signatureStart - 2;
        }),
        { seed: 11, numRuns: 2000 },
      );
    });
  });
});
