/**
 * Keccak-256 for ethers from the native `keccak` binding instead of ethers' pure-JavaScript one: the same digests
 * (a test compares them), about four times faster. The signing path hashes a transaction, its payload, addresses'
 * checksums and the audit chain dozens of times a signature, so a participant installs it when it opens.
 * `ethers.keccak256` is process-wide: installing replaces it for every user of ethers in the process, which is
 * why it is done once and left alone when the application has locked ethers' implementation.
 */
import { dirname } from "node:path";
import { keccak256 } from "ethers";
import createKeccak from "keccak";

let installed = false;

/** The sponge of the `keccak` package's native addon (its stream API allocates a Node stream per hash). */
interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

/**
 * One native sponge, reused by every hash: a hash runs start to end in one synchronous call, so no two can
 * interleave on it. `null` when the addon does not load (then the package's own entry point is used).
 */
const sponge: KeccakState | null = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const State = load(dirname(require.resolve("keccak/package.json")));
    return typeof State === "function" ? new (State as new () => KeccakState)() : null;
  } catch {
    return null;
  }
})();

/** The native digest of `data`, as ethers expects it from a registered implementation. */
export function nativeKeccak256(data: Uint8Array): Uint8Array {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (sponge === null) return new Uint8Array(createKeccak("keccak256").update(bytes).digest());
  // Keccak-256: rate 1088 bits, capacity 512, the original padding (domain bits 0x01), 32 bytes out.
  sponge.initialize(1088, 512);
  sponge.absorb(bytes);
  sponge.absorbLastFewBits(0x01);
  return sponge.squeeze(32);
}

/**
 * Makes ethers' `keccak256` use the native binding, once per process. Returns false when ethers' implementation
 * was locked by the application (then it stays as it is).
 */
export function useNativeKeccak(): boolean {
  if (installed) return true;
  try {
    keccak256.register(nativeKeccak256);
  } catch {
    return false;
  }
  installed = true;
  return true;
}
