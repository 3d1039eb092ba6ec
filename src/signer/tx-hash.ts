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
import { getBytes, keccak256, Transaction } from "ethers";

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

/** One item of an RLP list: where its encoding starts and ends in `bytes`, and whether it is a list itself. */
interface RlpItem {
  start: number;
  end: number;
  list: boolean;
  payload: Buffer;
}

/** The items of the RLP list that is exactly `bytes`, or null on anything but one well-formed list. */
function rlpItems(bytes: Buffer): RlpItem[] | null {
  const outer = rlpItemAt(bytes, 0);
  if (outer === null || !outer.list || outer.end !== bytes.length) return null;
  const items: RlpItem[] = [];
  let at = outer.end - outer.payload.length;
  while (at < outer.end) {
    const item = rlpItemAt(bytes, at);
    if (item === null || item.end > outer.end) return null;
    items.push(item);
    at = item.end;
  }
  return items;
}

function rlpItemAt(bytes: Buffer, at: number): RlpItem | null {
  if (at >= bytes.length) return null;
  const lead = bytes[at];
  const item = (header: number, length: number, list: boolean): RlpItem | null => {
    const end = at + header + length;
    if (end > bytes.length) return null;
    return { start: at, end, list, payload: bytes.subarray(at + header, end) };
  };
  const long = (base: number): number | null => {
    const size = lead - base;
    if (at + 1 + size > bytes.length || bytes[at + 1] === 0) return null;
    const length = bytes.readUIntBE(at + 1, size);
    return length < 56 ? null : length;
  };
  if (lead < 0x80) return { start: at, end: at + 1, list: false, payload: bytes.subarray(at, at + 1) };
  if (lead <= 0xb7) return item(1, lead - 0x80, false);
  if (lead <= 0xbf) {
    const length = lead - 0xb7 > 6 ? null : long(0xb7);
    return length === null ? null : item(1 + lead - 0xb7, length, false);
  }
  if (lead <= 0xf7) return item(1, lead - 0xc0, true);
  const length = lead - 0xf7 > 6 ? null : long(0xf7);
  return length === null ? null : item(1 + lead - 0xf7, length, true);
}

/**
 * The unsigned hash of the signed transaction `serialized` (what `Transaction.from(serialized).unsignedHash` gives),
 * taken from its own encoded fields: the unsigned fields are hashed as they stand in the signed bytes. Anything but
 * a well-formed signed legacy or EIP-1559 transaction is left to ethers, which answers or throws as it always does.
 */
export function signedUnsignedHashOf(serialized: string): string {
  const bytes = Buffer.from(serialized.startsWith("0x") ? serialized.slice(2) : serialized, "hex");
  const unsigned = bytes.length > 0 && 2 * bytes.length === serialized.length - 2 ? unsignedOfSigned(bytes) : null;
  return unsigned === null ? Transaction.from(serialized).unsignedHash : keccak256(unsigned);
}

/**
 * A field ethers would read back and encode exactly as it stands: a string in its shortest form (a single byte below
 * 0x80 is its own encoding), an integer without leading zeros, an address of 20 bytes (or none, for `to`).
 */
function canonical(item: RlpItem, kind: "bytes" | "integer" | "to"): boolean {
  if (item.list) return false;
  const p = item.payload;
  if (item.end - item.start === 2 && p.length === 1 && p[0] < 0x80) return false;
  if (kind === "integer") return p.length === 0 || (p[0] !== 0 && p.length <= 32);
  if (kind === "to") return p.length === 0 || p.length === 20;
  return true;
}

/** An EIP-2930 access list as ethers reads it: [[address, [32-byte keys]]], each part canonical. */
function canonicalAccessList(bytes: Buffer, list: RlpItem): boolean {
  const entries = rlpItems(bytes.subarray(list.start, list.end));
  if (entries === null) return false;
  return entries.every((entry) => {
    if (!entry.list) return false;
    const at = list.start + entry.start;
    const parts = rlpItems(bytes.subarray(at, list.start + entry.end));
    if (parts === null || parts.length !== 2 || parts[0].list || parts[0].payload.length !== 20) return false;
    if (!parts[1].list || !canonical(parts[0], "bytes")) return false;
    const keys = rlpItems(bytes.subarray(at + parts[1].start, at + parts[1].end));
    return keys !== null && keys.every((k) => !k.list && k.payload.length === 32);
  });
}

/** v (or y parity), r and s as a signature has them: each a string of at most 32 bytes, r and s not empty. */
function signatureShaped([v, r, s]: readonly RlpItem[]): boolean {
  return v.payload.length <= 32 && [r, s].every((x) => x.payload.length > 0 && x.payload.length <= 32);
}

function unsignedOfSigned(bytes: Buffer): Buffer | null {
  if (bytes[0] === 2) {
    const items = rlpItems(bytes.subarray(1));
    if (items === null || items.length !== 12 || items.slice(0, 8).some((i) => i.list) || !items[8].list) return null;
    if (!signatureShaped(items.slice(9))) return null;
    const kinds = ["integer", "integer", "integer", "integer", "integer", "to", "integer", "bytes"] as const;
    if (kinds.some((kind, i) => !canonical(items[i], kind))) return null;
    if (!canonicalAccessList(bytes.subarray(1), items[8])) return null;
    const body = bytes.subarray(1 + items[0].start, 1 + items[8].end);
    return Buffer.concat([Buffer.from([2]), rlpLength(body.length, 0xc0), body]);
  }
  if (bytes[0] < 0xc0) return null;
  const items = rlpItems(bytes);
  if (items === null || items.length !== 9 || items.some((i) => i.list) || !signatureShaped(items.slice(6)))
    return null;
  const kinds = ["integer", "integer", "integer", "to", "integer", "bytes", "integer"] as const;
  if (kinds.some((kind, i) => !canonical(items[i], kind))) return null;
  const vBytes = items[6].payload;
  if (vBytes.length === 0 || vBytes.length > 32) return null;
  const v = BigInt(`0x${vBytes.toString("hex")}`);
  // 27 or 28 (no chain id) or EIP-155's 35 + 2 * chainId + parity with a chain id above zero; ethers judges the rest.
  if (v !== 27n && v !== 28n && v < 37n) return null;
  const fields = bytes.subarray(items[0].start, items[5].end);
  const noChainId = v === 27n || v === 28n;
  const chainId = noChainId ? Buffer.alloc(0) : uint((v - 35n) / 2n);
  if (chainId === null) return null;
  const tail = noChainId ? Buffer.alloc(0) : Buffer.concat([rlpBytes(chainId), Buffer.from([0x80, 0x80])]);
  const body = Buffer.concat([fields, tail]);
  return Buffer.concat([rlpLength(body.length, 0xc0), body]);
}

/** The bytes `tx` would be signed over, for comparison in tests (`tx.unsignedSerialized` as bytes). */
export function unsignedBytesOf(tx: Transaction): Uint8Array {
  return unsignedPayload(tx) ?? getBytes(tx.unsignedSerialized);
}
