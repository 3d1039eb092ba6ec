/**
 * The unsigned hash of a transaction (the digest its signature covers), computed on bytes. ethers' own
 * `Transaction.unsignedHash` re-encodes the transaction through hex strings on every read (each field parsed from
 * hex, the RLP list joined as hex, the result parsed again to hash it), and the signing path reads it several times a
 * signature: for the request hash, the nonce claim, the signature and the check of the signed bytes.
 *
 * Legacy (type 0, EIP-155 when it has a chain id) and EIP-1559 (type 2) transactions are encoded here; any other
 * type, or a field ethers would refuse to serialize, is left to ethers (which then answers or throws as it always
 * does). A property test holds both to the same digest.
 */
import { getBytes, keccak256, type Transaction } from "ethers";

const MAX_UINT256 = (1n << 256n) - 1n;

/** RLP of a byte string. */
function rlpBytes(bytes: Buffer): Buffer {
  if (bytes.length === 1 && bytes[0] < 0x80) return bytes;
  return Buffer.concat([rlpLength(bytes.length, 0x80), bytes]);
}

/** RLP of a list whose items are already encoded. */
function rlpList(items: readonly Buffer[]): Buffer {
  const body = Buffer.concat(items);
  return Buffer.concat([rlpLength(body.length, 0xc0), body]);
}

function rlpLength(length: number, offset: number): Buffer {
  if (length < 56) return Buffer.from([offset + length]);
  const hex = length.toString(16);
  const bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
  return Buffer.concat([Buffer.from([offset + 55 + bytes.length]), bytes]);
}

/** The minimal big-endian bytes of a non-negative integer (empty for zero); null when out of uint256 range. */
function uint(value: bigint | number | null | undefined): Buffer | null {
  const n = BigInt(value ?? 0);
  if (n < 0n || n > MAX_UINT256) return null;
  if (n === 0n) return Buffer.alloc(0);
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}

function hexBytes(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

/** The fields of `tx` as encoded RLP items, or null when ethers should handle it. */
function unsignedPayload(tx: Transaction): Buffer | null {
  // The type ethers would serialize as, with its refusals (conflicting fee fields) thrown as ethers throws them.
  const type = tx.inferType();
  const numbers = {
    nonce: uint(tx.nonce),
    gasLimit: uint(tx.gasLimit),
    value: uint(tx.value),
    chainId: uint(tx.chainId),
  };
  if (Object.values(numbers).some((n) => n === null)) return null;
  const to = tx.to === null ? Buffer.alloc(0) : hexBytes(tx.to);
  const data = hexBytes(tx.data);
  if (type === 0) {
    // A legacy transaction without a chain id takes the one its signature's v carries: ethers knows how.
    if (tx.chainId === 0n && tx.signature !== null) return null;
    const gasPrice = uint(tx.gasPrice);
    if (gasPrice === null) return null;
    const fields = [numbers.nonce!, gasPrice, numbers.gasLimit!, to, numbers.value!, data].map(rlpBytes);
    if (tx.chainId !== 0n)
      fields.push(rlpBytes(numbers.chainId!), rlpBytes(Buffer.alloc(0)), rlpBytes(Buffer.alloc(0)));
    return rlpList(fields);
  }
  if (type === 2) {
    const [priority, max] = [uint(tx.maxPriorityFeePerGas), uint(tx.maxFeePerGas)];
    if (priority === null || max === null) return null;
    const access = rlpList(
      (tx.accessList ?? []).map((entry) =>
        rlpList([rlpBytes(hexBytes(entry.address)), rlpList(entry.storageKeys.map((k) => rlpBytes(hexBytes(k))))]),
      ),
    );
    const fields = [numbers.chainId!, numbers.nonce!, priority, max, numbers.gasLimit!, to, numbers.value!, data];
    return Buffer.concat([Buffer.from([2]), rlpList([...fields.map(rlpBytes), access])]);
  }
  return null;
}

/** `tx.unsignedHash`, the same digest, without ethers' hex round trips for types 0 and 2. */
export function unsignedHashOf(tx: Transaction): string {
  const payload = unsignedPayload(tx);
  return payload === null ? tx.unsignedHash : keccak256(payload);
}

/** The bytes `tx` would be signed over, for comparison in tests (`tx.unsignedSerialized` as bytes). */
export function unsignedBytesOf(tx: Transaction): Uint8Array {
  return unsignedPayload(tx) ?? getBytes(tx.unsignedSerialized);
}
