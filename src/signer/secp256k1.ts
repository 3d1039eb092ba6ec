/**
 * secp256k1 glue between PKCS#11 and Ethereum: curve parameters for key generation, the public point
 * out of CKA_EC_POINT, and turning a raw r||s from CKM_ECDSA into a checked, low-S Ethereum signature.
 */
import { invert, mod } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import {
  computeAddress,
  concat,
  getAddress,
  getBytes,
  hexlify,
  recoverAddress,
  Signature,
  toBeHex,
  toBigInt,
} from "ethers";
import { dirname, sep } from "node:path";
import type * as Libsecp256k1 from "secp256k1";
import { HsmSignatureError } from "./errors";

/** DER of the secp256k1 OID 1.3.132.0.10, the CKA_EC_PARAMS of every key this signer generates. */
export const SECP256K1_EC_PARAMS: Buffer = Buffer.from("06052b8104000a", "hex");

/** Order n of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N >> 1n;

const UNCOMPRESSED_POINT_LENGTH = 65;
const RAW_SIGNATURE_LENGTH = 64;

/**
 * The uncompressed point (0x04 || X || Y) from a CKA_EC_POINT value. PKCS#11 wraps it in a DER octet
 * string (04 41 ...); some modules return it bare. Either way it is the last 65 bytes.
 */
export function uncompressedPoint(ecPoint: Uint8Array): Uint8Array {
  const point = ecPoint.subarray(ecPoint.length - UNCOMPRESSED_POINT_LENGTH);
  if (point.length !== UNCOMPRESSED_POINT_LENGTH || point[0] !== 0x04) {
    throw new TypeError(`CKA_EC_POINT is not an uncompressed secp256k1 point (${ecPoint.length} bytes)`);
  }
  return point;
}

/** Ethereum address (checksummed) of a CKA_EC_POINT value. Throws if the point is not on the curve. */
export function addressFromEcPoint(ecPoint: Uint8Array): string {
  return computeAddress(hexlify(uncompressedPoint(ecPoint)));
}

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;

/** Addresses of public points, by uncompressed hex (a signer has one key; few are held). */
const KEY_ADDRESSES = new Map<string, string>();

/** The address of an uncompressed public point, computed once per point. */
function addressOfPoint(uncompressed: Uint8Array): string {
  const hex = hexlify(uncompressed);
  let address = KEY_ADDRESSES.get(hex);
  if (address === undefined) {
    address = computeAddress(hex);
    KEY_ADDRESSES.set(hex, address);
  }
  return address;
}

/** Public points with their multiplication tables, by uncompressed hex (a signer has one key; few are held). */
const KEY_POINTS = new Map<string, Point>();

function keyPoint(uncompressed: Uint8Array): Point {
  const hex = hexlify(uncompressed);
  let point = KEY_POINTS.get(hex);
  if (point === undefined) {
    point = secp256k1.ProjectivePoint.fromHex(hex.slice(2));
    point.assertValidity();
    // A window of 8 bits makes every later multiplication by this key a few table look-ups.
    point._setWindowSize(8);
    KEY_POINTS.set(hex, point);
  }
  return point;
}

/**
 * libsecp256k1 through the `secp256k1` package's public entry, which loads its native binding (prebuilt for
 * common platforms) and falls back to its own JS (elliptic) when the binary cannot load. Only the native binding
 * is used here: where it did not load, the pure-JS path below proves signatures instead of the package's slower
 * fallback. The binding loaded when the package's directory holds a loaded Node addon (a `.node` module in the
 * require cache). It proves a signature about 30 times faster than the JS arithmetic; both give the same answer.
 */
const NATIVE: typeof Libsecp256k1 | null = (() => {
  let library: typeof Libsecp256k1;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    library = require("secp256k1") as typeof Libsecp256k1;
  } catch {
    return null;
  }
  const directory = dirname(require.resolve("secp256k1")) + sep;
  const addonLoaded = Object.keys(require.cache).some((file) => file.startsWith(directory) && file.endsWith(".node"));
  return addonLoaded ? library : null;
})();

/** Whether signatures are proven by the native libsecp256k1 (true) or by JS arithmetic (false). */
export const NATIVE_SECP256K1: boolean = NATIVE !== null;

/** How a signature is proven against the key's public point: libsecp256k1 (the default where it loads) or JS. */
export type SignatureProver = "native" | "js";

/**
 * The recovery id of the low-S signature `rs` (r || s, 64 bytes) over `digest` by the key `publicKey` (uncompressed),
 * with libsecp256k1: the id whose recovered key is `publicKey` (recovery with x = r, never r + n). A key recovered
 * from (r, s, h) is one for which the signature verifies, so a match is the proof. `undefined` when neither is.
 */
function nativeRecoveryId(
  native: typeof Libsecp256k1,
  rs: string,
  digest: string,
  publicKey: Uint8Array,
): 0 | 1 | undefined {
  const [signature, message] = [getBytes(rs), getBytes(digest)];
  for (const id of [0, 1] as const) {
    try {
      if (Buffer.from(native.ecdsaRecover(signature, id, message, false)).equals(publicKey)) return id;
    } catch {
      // No point with x = r for this parity: try the other one.
    }
  }
  return undefined;
}

/**
 * The recovery id of (r, s) over `h` by the key `q`, found by verifying the signature once: the point
 * R = (h/s)·G + (r/s)·Q must have x = r exactly (not r + n, which Ethereum cannot express), and the parity of
 * its y is the recovery id. `undefined` when the signature is not valid for `q`.
 */
function recoveryId(q: Point, h: bigint, r: bigint, s: bigint): 0 | 1 | undefined {
  const n = SECP256K1_N;
  const w = invert(s, n);
  const R = secp256k1.ProjectivePoint.BASE.multiply(mod(mod(h, n) * w, n)).add(q.multiply(mod(r * w, n)));
  if (R.equals(secp256k1.ProjectivePoint.ZERO)) return undefined;
  const { x, y } = R.toAffine();
  if (x !== r) return undefined;
  return (y & 1n) === 1n ? 1 : 0;
}

/**
 * Turns 64 raw bytes r||s from the HSM into an Ethereum signature over `digest` and proves it: S is
 * normalised to the lower half (s = n - s), the recovery id is the one that recovers `address`, and
 * if neither does the signature is refused with `HsmSignatureError`. Nothing unverified leaves here.
 *
 * With the key's public point (`publicKey`, uncompressed, whose address must be `address`), the proof is one
 * ECDSA verification against a precomputed table of the key, which also yields the recovery id; without it,
 * the address is recovered from each candidate recovery id (slower, the same guarantee).
 */
export function checkedSignature(
  raw: Uint8Array,
  digest: string,
  address: string,
  publicKey?: Uint8Array,
  prover: SignatureProver = NATIVE === null ? "js" : "native",
): Signature {
  const expected = getAddress(address);
  if (raw.length !== RAW_SIGNATURE_LENGTH) {
    throw new HsmSignatureError("wrong length", { digest, address: expected, length: raw.length });
  }
  const r = toBigInt(raw.subarray(0, 32));
  let s = toBigInt(raw.subarray(32));
  if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) {
    throw new HsmSignatureError("r or s out of range", { digest, address: expected });
  }
  if (s > HALF_N) s = SECP256K1_N - s;
  if (publicKey !== undefined) {
    if (addressOfPoint(publicKey) !== expected) {
      throw new HsmSignatureError("the public key is not the key's address", { digest, address: expected });
    }
    const v =
      prover === "native" && NATIVE !== null
        ? nativeRecoveryId(NATIVE, concat([raw.subarray(0, 32), toBeHex(s, 32)]), digest, publicKey)
        : recoveryId(keyPoint(publicKey), toBigInt(digest), r, s);
    if (v === undefined) throw new HsmSignatureError("does not verify with the key", { digest, address: expected });
    return Signature.from({ r: toBeHex(r, 32), s: toBeHex(s, 32), v: 27 + v });
  }
  let lastError: unknown;
  for (const v of [27, 28]) {
    try {
      const signature = Signature.from({ r: toBeHex(r, 32), s: toBeHex(s, 32), v });
      if (recoverAddress(digest, signature) === expected) return signature;
    } catch (error) {
      lastError = error;
    }
  }
  throw new HsmSignatureError("does not recover to the key's address", { digest, address: expected }, lastError);
}
