/**
 * A memo of ethers' `getAddress` (EIP-55 checksumming). ethers checksums every address it touches (a transaction's
 * `to`, each ABI-encoded address, each resolved name) and the signing path checksums the same few addresses (the
 * engine, the tokens, the bank's accounts) many times a signature; each checksum is a Keccak-256 of the address and
 * a walk over its characters. The memo answers a repeated input from a bounded map and leaves every other input,
 * and every error, to ethers' own function, so no result changes (a test compares them).
 *
 * Installing it replaces `getAddress` in ethers' CommonJS address module, which every part of ethers (and every
 * `import { getAddress } from "ethers"`) reads at each call: it is process-wide, done once, and skipped when the
 * module is not where this version of ethers keeps it.
 */
import { dirname, join } from "node:path";

type GetAddress = (address: string) => string;

/** Distinct inputs remembered before the memo starts again (a bank's path uses a few dozen). */
const CAPACITY = 4096;

let installed = false;

/** ethers' address module (a path, not a package subpath: ethers' export map does not list it), or null. */
const ethersAddress: { getAddress?: unknown } | null = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(dirname(require.resolve("ethers")), "address", "address.js")) as { getAddress?: unknown };
  } catch {
    return null;
  }
})();

/** ethers' own `getAddress`, as it was before any memo was installed (the reference the memo is tested against). */
export const ethersGetAddress: GetAddress | null =
  typeof ethersAddress?.getAddress === "function" ? (ethersAddress.getAddress as GetAddress) : null;

/** A memoizing form of `original`: the same answers, the same errors. */
export function memoizedGetAddress(original: GetAddress): GetAddress {
  const memo = new Map<string, string>();
  return (address: string): string => {
    const known = memo.get(address);
    if (known !== undefined) return known;
    const result = original(address);
    if (typeof address === "string") {
      if (memo.size >= CAPACITY) memo.clear();
      memo.set(address, result);
    }
    return result;
  };
}

/** Installs the memo in ethers, once per process. Returns false when ethers' address module was not found. */
export function useAddressMemo(): boolean {
  if (installed) return true;
  if (ethersAddress === null || ethersGetAddress === null) return false;
  ethersAddress.getAddress = memoizedGetAddress(ethersGetAddress);
  installed = true;
  return true;
}
