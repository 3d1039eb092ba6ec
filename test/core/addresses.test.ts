// The memo of ethers' getAddress: every input answers as ethers' own function does (the same checksummed address,
// the same error), before and after the memo fills, so installing it changes no address the framework writes.
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, getIcapAddress, Transaction } from "ethers";
import { ethersGetAddress, memoizedGetAddress, useAddressMemo } from "../../src/core/addresses";

/** ethers' answer as a comparable value: the address, or the error's message. */
const outcome = (f: (a: string) => string, input: string): string => {
  try {
    return `ok:${f(input)}`;
  } catch (error) {
    return `error:${(error as Error).message}`;
  }
};

const hex40 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString("hex"));
/** Lower case, upper case, checksummed, checksum broken by one flipped letter, no prefix, ICAP, and junk. */
const inputs = fc.oneof(
  hex40.map((h) => `0x${h}`),
  hex40.map((h) => `0x${h.toUpperCase()}`),
  hex40.map((h) => getAddress(`0x${h}`)),
  hex40.map((h) => {
    const good = getAddress(`0x${h}`);
    const i = good.slice(2).search(/[a-fA-F]/);
    if (i < 0) return good;
    const c = good[i + 2];
    const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
    return `${good.slice(0, i + 2)}${flipped}${good.slice(i + 3)}`;
  }),
  hex40,
  hex40.map((h) => getIcapAddress(`0x${h}`)),
  fc.string({ maxLength: 44 }),
);

describe("core: the getAddress memo", function () {
  it("answers every input as ethers does, the first time and from the memo (addresses and errors alike)", function () {
    // ethers' function itself, not the installed memo that another suite may have put in its place.
    const original = ethersGetAddress;
    if (original === null) throw new Error("ethers' address module was not found");
    const memo = memoizedGetAddress(original);
    fc.assert(
      fc.property(inputs, (input) => {
        const expected = outcome(original, input);
        return outcome(memo, input) === expected && outcome(memo, input) === expected;
      }),
      { seed: 55, numRuns: 2000 },
    );
  });

  it("forgets past its capacity and still answers correctly", function () {
    const memo = memoizedGetAddress(ethersGetAddress ?? getAddress);
    const addresses = Array.from({ length: 5000 }, (_, i) => `0x${i.toString(16).padStart(40, "0")}`);
    for (const a of addresses) memo(a);
    for (const a of [addresses[0], addresses[4999]]) expect(memo(a)).to.equal(getAddress(a));
  });

  it("once installed, serves ethers' own checksumming (a transaction's to) with unchanged answers", function () {
    expect(useAddressMemo()).to.equal(true);
    const lower = "0x8ba1f109551bd432803012645ac136ddd64dba72";
    expect(Transaction.from({ to: lower }).to).to.equal("0x8ba1f109551bD432803012645Ac136ddd64DBA72");
    expect(() => getAddress("0x8Ba1f109551bD432803012645Ac136ddd64DBA72")).to.throw("bad address checksum");
  });
});
