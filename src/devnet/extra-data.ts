/**
 * The QBFT `extraData` header field, as Besu and GoQuorum both read it:
 * `RLP([vanity (32 bytes), [validator addresses], vote, round, [committed seals]])`, where the vote is `[]` when
 * there is none or `[recipient, 0xff (add) | 0x00 (drop)]`, and the round is a big-endian integer scalar without
 * leading zeros (round 0 is the empty string, `0x80`). A genesis block carries zero vanity, the validators, no vote,
 * round 0 and no seals.
 */
import { decodeRlp, encodeRlp, getAddress, hexlify, isHexString, toBeHex, type RlpStructuredData } from "ethers";
import { DevnetError } from "./errors";

/** A vote carried in a header: add or drop `recipient` as a validator. */
export interface QbftVote {
  recipient: string;
  add: boolean;
}

/** Every field of a QBFT extraData. */
export interface QbftExtraData {
  /** 32 bytes, 0x hex. */
  vanity: string;
  /** Checksummed addresses, in the order the header lists them. */
  validators: string[];
  vote?: QbftVote;
  round: number;
  /** 65-byte committed seals, 0x hex. */
  seals: string[];
}

const ZERO_VANITY = `0x${"00".repeat(32)}`;
const VOTE_ADD = "0xff";
const VOTE_DROP = "0x00";

/** The genesis extraData naming `validators` (listed in the given order; genesis builders sort them first). */
export function encodeQbftExtraData(validators: readonly string[]): string {
  return encodeQbftExtraDataFields({ vanity: ZERO_VANITY, validators: [...validators], round: 0, seals: [] });
}

/** Encodes every field; the codec Besu's own vectors are checked against. */
export function encodeQbftExtraDataFields(fields: QbftExtraData): string {
  if (!isHexString(fields.vanity, 32)) throw invalid("vanity must be 32 bytes", { vanity: fields.vanity });
  if (!Number.isSafeInteger(fields.round) || fields.round < 0 || fields.round > 0xffffffff) {
    throw invalid("round must be an integer from 0 to 2^32 - 1", { round: fields.round });
  }
  const validators = fields.validators.map((v) => checkedAddress(v, "validator"));
  const vote = fields.vote === undefined ? [] : [checkedAddress(fields.vote.recipient, "vote recipient").toLowerCase()];
  if (fields.vote !== undefined) vote.push(fields.vote.add ? VOTE_ADD : VOTE_DROP);
  for (const seal of fields.seals) {
    if (!isHexString(seal, 65)) throw invalid("a committed seal must be 65 bytes", { seal });
  }
  return encodeRlp([
    fields.vanity,
    validators.map((v) => v.toLowerCase()),
    vote,
    fields.round === 0 ? "0x" : toBeHex(fields.round),
    fields.seals,
  ]);
}

/** Decodes an extraData, refusing anything that is not exactly the five QBFT fields. */
export function decodeQbftExtraData(extraData: string): QbftExtraData {
  if (!isHexString(extraData) || extraData.length <= 2) throw invalid("extraData must be non-empty 0x hex", {});
  let decoded: RlpStructuredData;
  try {
    decoded = decodeRlp(extraData);
  } catch (cause) {
    throw invalid("extraData is not valid RLP", {}, cause);
  }
  if (!Array.isArray(decoded) || decoded.length !== 5) throw invalid("extraData must be an RLP list of 5 items", {});
  const [vanity, validators, vote, round, seals] = decoded;
  if (typeof vanity !== "string" || !isHexString(vanity, 32)) throw invalid("vanity must be 32 bytes", {});
  if (!Array.isArray(validators) || validators.some((v) => typeof v !== "string" || !isHexString(v, 20))) {
    throw invalid("validators must be a list of 20-byte addresses", {});
  }
  if (typeof round !== "string" || round.length > 10 || round.startsWith("0x00")) {
    throw invalid("round must be an integer scalar of at most 4 bytes without leading zeros", { round });
  }
  if (!Array.isArray(seals) || seals.some((s) => typeof s !== "string" || !isHexString(s, 65))) {
    throw invalid("seals must be a list of 65-byte signatures", {});
  }
  return {
    vanity: hexlify(vanity),
    validators: (validators as string[]).map((v) => getAddress(v)),
    ...decodeVote(vote),
    round: round === "0x" ? 0 : Number.parseInt(round.slice(2), 16),
    seals: seals as string[],
  };
}

function decodeVote(vote: RlpStructuredData): { vote?: QbftVote } {
  if (!Array.isArray(vote)) throw invalid("vote must be a list", {});
  if (vote.length === 0) return {};
  const [recipient, kind] = vote;
  if (vote.length !== 2 || typeof recipient !== "string" || !isHexString(recipient, 20) || typeof kind !== "string") {
    throw invalid("vote must be [] or [recipient, type]", {});
  }
  // Besu writes a drop vote as the byte 0x00; an empty string (0x80) decodes to the same value.
  if (kind !== VOTE_ADD && kind !== VOTE_DROP && kind !== "0x")
    throw invalid("vote type must be 0xff or 0x00", { kind });
  return { vote: { recipient: getAddress(recipient), add: kind === VOTE_ADD } };
}

function checkedAddress(value: string, what: string): string {
  try {
    return getAddress(value);
  } catch (cause) {
    throw invalid(`${what} ${value} is not an address`, { [what]: value }, cause);
  }
}

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): DevnetError {
  return new DevnetError("DEVNET_EXTRA_DATA_INVALID", `QBFT extraData: ${message}`, details, cause);
}
