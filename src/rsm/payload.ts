/**
 * Conversion of the payloads between ethers values and their JSON form, and the check, run by the module before
 * it answers and again by the client on the answer, that a result is a signature by the requested key over
 * exactly the requested payload.
 */
import {
  getBigInt,
  getBytes,
  hashMessage,
  hexlify,
  isBytesLike,
  recoverAddress,
  Transaction,
  TypedDataEncoder,
  type TransactionLike,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { RsmRequestError } from "./errors";
import type { MessagePayload, SignBody, TransactionPayload, TypedDataPayload } from "./protocol";

/** JSON form of a value: bigints as decimal strings, bytes as hex, recursively. */
export function toJson(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return hexlify(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

/** The payload of a transaction (every field the signature covers); only types 0, 1 and 2. */
export function encodeTransaction(tx: Transaction): TransactionPayload {
  const type = tx.type ?? tx.inferType();
  if (type !== 0 && type !== 1 && type !== 2) {
    throw new RsmRequestError("RSM_REQUEST_MALFORMED", `transaction type ${type} is not supported`, { type });
  }
  const fees =
    type === 2
      ? { maxFeePerGas: String(tx.maxFeePerGas ?? 0n), maxPriorityFeePerGas: String(tx.maxPriorityFeePerGas ?? 0n) }
      : { gasPrice: String(tx.gasPrice ?? 0n) };
  return {
    type,
    chainId: tx.chainId.toString(),
    nonce: tx.nonce,
    to: tx.to,
    gasLimit: tx.gasLimit.toString(),
    ...fees,
    value: tx.value.toString(),
    data: tx.data,
    ...(type === 0
      ? {}
      : { accessList: (tx.accessList ?? []).map((e) => ({ address: e.address, storageKeys: e.storageKeys })) }),
  };
}

/** The transaction request a payload describes, with integers as bigints (what a signer takes). */
export function transactionRequest(payload: TransactionPayload): TransactionRequest {
  const big = (v: string | undefined) => (v === undefined ? undefined : BigInt(v));
  return {
    ...payload,
    chainId: BigInt(payload.chainId),
    gasLimit: BigInt(payload.gasLimit),
    gasPrice: big(payload.gasPrice),
    maxFeePerGas: big(payload.maxFeePerGas),
    maxPriorityFeePerGas: big(payload.maxPriorityFeePerGas),
    value: BigInt(payload.value),
  };
}

/** The unsigned transaction a payload describes. */
export function decodeTransaction(payload: TransactionPayload): Transaction {
  return Transaction.from(transactionRequest(payload) as TransactionLike<string>);
}

export function encodeMessage(message: string | Uint8Array): MessagePayload {
  return typeof message === "string" ? { text: message } : { bytes: hexlify(message) };
}

export function decodeMessage(payload: MessagePayload): string | Uint8Array {
  return "text" in payload ? payload.text : getBytes(payload.bytes);
}

/** The payload of typed data (names already resolved): domain fields normalised, integers as decimal strings. */
export function encodeTypedData(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  value: Record<string, unknown>,
): TypedDataPayload {
  const fields = {
    name: domain.name ?? undefined,
    version: domain.version ?? undefined,
    chainId: domain.chainId == null ? undefined : getBigInt(domain.chainId).toString(),
    verifyingContract: domain.verifyingContract ?? undefined,
    salt: domain.salt == null ? undefined : hexlify(domain.salt),
  };
  const normalised = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { domain: normalised, types, value: toJson(value) as Record<string, unknown> };
}

/** The typed data a payload describes, as ethers takes it. */
export function decodeTypedData(payload: TypedDataPayload): {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  value: Record<string, unknown>;
} {
  return { domain: payload.domain, types: payload.types, value: payload.value };
}

/**
 * Checks that `result` (a serialized signed transaction, or a signature) is by `signer` over exactly the
 * payload of `body`. Returns the transaction hash or the signed digest, or the reason it is not.
 */
export function checkSignedResult(
  body: SignBody,
  signer: string,
  result: string,
): { ok: true; digest: string } | { ok: false; reason: string } {
  try {
    if (body.kind === "transaction") {
      const signed = Transaction.from(result);
      if (signed.unsignedHash !== decodeTransaction(body.payload).unsignedHash) {
        return { ok: false, reason: "signed transaction differs from the requested one" };
      }
      if (signed.from !== signer) return { ok: false, reason: "transaction not signed by the requested key" };
      return { ok: true, digest: signed.hash as string };
    }
    if (!isBytesLike(result)) return { ok: false, reason: "signature is not hex" };
    const digest =
      body.kind === "message"
        ? hashMessage(decodeMessage(body.payload))
        : TypedDataEncoder.hash(body.payload.domain, body.payload.types, body.payload.value);
    if (recoverAddress(digest, result) !== signer) return { ok: false, reason: "signature not by the requested key" };
    return { ok: true, digest };
  } catch {
    return { ok: false, reason: "result is not a signature over the request" };
  }
}
