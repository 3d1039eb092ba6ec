/**
 * Node keys: a validator's secp256k1 key, its address (the validator address in extraData) and its public key
 * (the id in its enode URL). Keys come from the spec (reproducible networks) or are generated fresh.
 */
import { computeAddress, hexlify, randomBytes, SigningKey } from "ethers";
import { DevnetError } from "./errors";

/** One node's identity. */
export interface NodeKey {
  /** 0x and 64 hex digits. */
  privateKey: string;
  /** Checksummed validator address. */
  address: string;
  /** The 64-byte public key without the 0x04 prefix, as 128 hex digits (the enode id). */
  publicKey: string;
}

const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A node key from its hex form (with or without 0x); refuses anything that is not a valid secp256k1 scalar. */
export function nodeKeyFromHex(hex: string, index?: number): NodeKey {
  const digits = hex.trim().replace(/^0x/i, "");
  const where = index === undefined ? "node key" : `node key ${index}`;
  if (!/^[0-9a-fA-F]{64}$/.test(digits)) {
    throw new DevnetError("DEVNET_KEY_INVALID", `${where} must be 64 hex digits (32 bytes)`, {
      index,
      length: digits.length,
    });
  }
  const scalar = BigInt(`0x${digits}`);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new DevnetError("DEVNET_KEY_INVALID", `${where} is outside the secp256k1 range (1 to n - 1)`, { index });
  }
  const privateKey = `0x${digits.toLowerCase()}`;
  const signingKey = new SigningKey(privateKey);
  return {
    privateKey,
    address: computeAddress(signingKey.publicKey),
    publicKey: signingKey.publicKey.slice(4),
  };
}

/** A fresh random node key. */
export function generateNodeKey(): NodeKey {
  for (;;) {
    const candidate = hexlify(randomBytes(32));
    const scalar = BigInt(candidate);
    if (scalar !== 0n && scalar < CURVE_ORDER) return nodeKeyFromHex(candidate);
  }
}

/** The enode URL of a node: GoQuorum's form adds `?discport=0` (discovery off), Besu's is plain. */
export function enodeUrl(key: Pick<NodeKey, "publicKey">, host: string, port: number, discport0 = false): string {
  return `enode://${key.publicKey}@${host}:${port}${discport0 ? "?discport=0" : ""}`;
}
