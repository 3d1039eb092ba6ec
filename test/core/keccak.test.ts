// Native Keccak-256 for ethers: the same digests as ethers' own implementation for every length around the
// sponge's rate (136 bytes) and for arbitrary data, so installing it changes no hash, signature or record.
import { expect } from "chai";
import fc from "fast-check";
import { keccak256 } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3";
import { nativeKeccak256, useNativeKeccak } from "../../src/core/keccak";

const reference = (data: Uint8Array): string => `0x${Buffer.from(keccak_256(data)).toString("hex")}`;

describe("core: native Keccak-256 for ethers", function () {
  it("gives the published digest of the empty input and of 'abc'", function () {
    expect(Buffer.from(nativeKeccak256(new Uint8Array())).toString("hex")).to.equal(
      "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(Buffer.from(nativeKeccak256(Buffer.from("abc"))).toString("hex")).to.equal(
      "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
  });

  it("equals the pure-JavaScript digest at every length up to three blocks, and on views into larger buffers", function () {
    const bytes = Uint8Array.from({ length: 3 * 136 + 2 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let n = 0; n <= bytes.length; n++) {
      const data = bytes.subarray(0, n);
      expect(Buffer.from(nativeKeccak256(data)).toString("hex"), `length ${n}`).to.equal(reference(data).slice(2));
    }
    const view = bytes.subarray(5, 77);
    expect(`0x${Buffer.from(nativeKeccak256(view)).toString("hex")}`).to.equal(reference(view));
  });

  it("keeps each digest intact when the one sponge hashes the next input (no shared output buffer)", function () {
    const first = nativeKeccak256(Buffer.from("first"));
    const copy = Buffer.from(first).toString("hex");
    nativeKeccak256(Buffer.from("second"));
    expect(Buffer.from(first).toString("hex")).to.equal(copy);
    expect(`0x${copy}`).to.equal(reference(Buffer.from("first")));
  });

  it("leaves ethers' keccak256 answering as before once installed", function () {
    expect(useNativeKeccak()).to.equal(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => keccak256(data) === reference(data)),
      { seed: 136, numRuns: 300 },
    );
  });
});
