/**
 * The identity of a call to sign: keccak256 of abi.encode(uint256 chainId, address to, uint256 value, bytes data).
 * Approvals are bound to it (the intent's `payload_hash`) and the participant keys its submissions by it. The
 * encoding is written out word by word (head of four words, then the length and the padded bytes), the bytes
 * `AbiCoder.encode` gives, without running the ABI codec on the signing path.
 */
import { dataLength, getAddress, keccak256, toBeHex } from "ethers";

const word = (value: bigint | number): string => toBeHex(value, 32).slice(2);

/** keccak256 of abi.encode(chainId, to, value, data). */
export function callPayloadHash(chainId: bigint, to: string, value: bigint, data: string): string {
  const length = dataLength(data);
  const padded = data
    .slice(2)
    .toLowerCase()
    .padEnd(Math.ceil(length / 32) * 64, "0");
  const address = getAddress(to).slice(2).toLowerCase().padStart(64, "0");
  return keccak256(`0x${word(chainId)}${address}${word(value)}${word(4 * 32)}${word(length)}${padded}`);
}
