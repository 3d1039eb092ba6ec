/**
 * One secp256k1 key pair inside an HSM token: its Ethereum address and digest signing through the
 * session pool. Every signature is normalised to low S and recovered to the key's address before it
 * is returned; there is no software-key fallback.
 */
import { assertArgument, getBytes, hexlify, type BytesLike, type Signature } from "ethers";
import * as pkcs11 from "pkcs11js";
import { parseHsmSignerConfig, type HsmSignerConfigInput } from "./config";
import { acquireLibrary } from "./library";
import { addressFromEcPoint, checkedSignature, uncompressedPoint } from "./secp256k1";
import { SessionPool, type SessionState } from "./session-pool";
import { readEcPoint } from "./token";

/** The low-level signing step: raw r||s (64 bytes) for a 32-byte digest, from the HSM. */
export type RawSign = (state: SessionState, digest: Buffer) => Promise<Buffer>;

/** Room for the CKM_ECDSA output (64 bytes for secp256k1; the module slices it). */
const SIGNATURE_BUFFER_BYTES = 128;

/** `RawSign` through PKCS#11: C_SignInit with CKM_ECDSA, then C_Sign off the main thread. */
export const pkcs11EcdsaSign: RawSign = async ({ api, session, privateKey }, digest) => {
  api.C_SignInit(session, { mechanism: pkcs11.CKM_ECDSA }, privateKey);
  return api.C_SignAsync(session, digest, Buffer.alloc(SIGNATURE_BUFFER_BYTES));
};

/** Options that are not configuration: seams for tests and instrumentation. */
export interface HsmKeyOptions {
  /** Replaces the PKCS#11 signing step (a test seam to inject faulty HSM output). */
  readonly rawSign?: RawSign;
}

/** A key pair on a token; create with `HsmKey.open`, release with `close`. */
export class HsmKey {
  /** Checksummed Ethereum address of the key. */
  readonly address: string;
  readonly tokenLabel: string;
  readonly #pool: SessionPool;
  readonly #rawSign: RawSign;
  /** The key's uncompressed public point, read once: every signature is verified against it. */
  readonly #publicKey: Uint8Array;

  private constructor(address: string, tokenLabel: string, pool: SessionPool, rawSign: RawSign, publicKey: Uint8Array) {
    this.address = address;
    this.#publicKey = publicKey;
    this.tokenLabel = tokenLabel;
    this.#pool = pool;
    this.#rawSign = rawSign;
  }

  /** Validates `config`, opens the pool, finds the key pair and derives its address. */
  static async open(config: HsmSignerConfigInput, options: HsmKeyOptions = {}): Promise<HsmKey> {
    const parsed = parseHsmSignerConfig(config);
    const pool = new SessionPool(acquireLibrary(parsed.modulePath), parsed);
    try {
      const ecPoint = await pool.run(({ api, session, publicKey }) => readEcPoint(api, session, publicKey));
      const rawSign = options.rawSign ?? pkcs11EcdsaSign;
      return new HsmKey(addressFromEcPoint(ecPoint), parsed.tokenLabel, pool, rawSign, uncompressedPoint(ecPoint));
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  /** Signs a 32-byte digest; the result is low-S and proven (one verification) to recover to `address`. */
  async signDigest(digest: BytesLike): Promise<Signature> {
    const bytes = getBytes(digest);
    assertArgument(bytes.length === 32, "digest must be 32 bytes", "digest", hexlify(bytes));
    const raw = await this.#pool.run((state) => this.#rawSign(state, Buffer.from(bytes)));
    return checkedSignature(raw, hexlify(bytes), this.address, this.#publicKey);
  }

  /** Handles of the currently open sessions (diagnostics and fault-injection tests). */
  sessionHandles(): Buffer[] {
    return this.#pool.sessionHandles();
  }

  /** Lets queued signatures finish, then closes the sessions. Later calls are refused. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
