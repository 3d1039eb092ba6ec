/**
 * A strict decoder for calls whose parameters are all static ABI types (address, bool, uintN, bytesN and tuples
 * of them), the shape of every settlement step and token call the gate decodes. Such calldata is canonical only
 * if it is the selector and exactly one 32-byte word per value, each word in the one form `abi.encode` gives its
 * type; anything else is refused. It answers what decoding with ethers and re-encoding to compare answers, with
 * one pass over the words instead of two ABI codec runs (the largest part of a gate decision's CPU time).
 */
import type { FunctionFragment, ParamType } from "ethers";

/** A decoded value: a bigint, a lower-case hex string (address, bytesN), a boolean, or a tuple by name. */
export type StaticValue = bigint | string | boolean | { [name: string]: StaticValue };

const WORD_HEX = 64;
const UINT = /^uint(\d*)$/;
const BYTES = /^bytes(\d+)$/;

/** Words a static parameter occupies, or `undefined` when it is dynamic or a type this decoder does not take. */
function words(param: ParamType): number | undefined {
  if (param.baseType === "tuple") {
    let total = 0;
    for (const component of param.components ?? []) {
      const n = words(component);
      if (n === undefined) return undefined;
      total += n;
    }
    return total;
  }
  return param.type === "address" || param.type === "bool" || UINT.test(param.type) || BYTES.test(param.type)
    ? 1
    : undefined;
}

/** Parameter words of every fragment that is all static, computed once per fragment. */
const LAYOUT = new WeakMap<FunctionFragment, number | null>();

function layout(fragment: FunctionFragment): number | null {
  let total = LAYOUT.get(fragment);
  if (total === undefined) {
    let sum: number | null = 0;
    for (const input of fragment.inputs) {
      const n = words(input);
      if (n === undefined) {
        sum = null;
        break;
      }
      sum += n;
    }
    total = sum;
    LAYOUT.set(fragment, total);
  }
  return total;
}

/**
 * The arguments of `data` (selector included) for `fragment`: `undefined` when the fragment has a dynamic or
 * unsupported parameter (decode it another way), `null` when the calldata is not the canonical encoding.
 */
export function decodeStaticCall(fragment: FunctionFragment, data: string): StaticValue[] | null | undefined {
  const total = layout(fragment);
  if (total === null) return undefined;
  const hex = data.toLowerCase();
  if (hex.length !== 10 + total * WORD_HEX || !/^0x[0-9a-f]*$/.test(hex)) return null;
  let at = 10;
  const next = (): string => {
    const word = hex.slice(at, at + WORD_HEX);
    at += WORD_HEX;
    return word;
  };
  const read = (param: ParamType): StaticValue | null => {
    if (param.baseType === "tuple") {
      const tuple: { [name: string]: StaticValue } = {};
      for (const component of param.components ?? []) {
        const value = read(component);
        if (value === null) return null;
        tuple[component.name] = value;
      }
      return tuple;
    }
    const word = next();
    if (param.type === "address") return word.startsWith("0".repeat(24)) ? `0x${word.slice(24)}` : null;
    if (param.type === "bool") return word === "0".repeat(63) + "1" ? true : word === "0".repeat(64) ? false : null;
    const uint = UINT.exec(param.type);
    if (uint !== null) {
      const value = BigInt(`0x${word}`);
      return value >> BigInt(uint[1] === "" ? 256 : Number(uint[1])) === 0n ? value : null;
    }
    const size = Number(BYTES.exec(param.type)![1]);
    return /^0*$/.test(word.slice(size * 2)) ? `0x${word.slice(0, size * 2)}` : null;
  };
  const args: StaticValue[] = [];
  for (const input of fragment.inputs) {
    const value = read(input);
    if (value === null) return null;
    args.push(value);
  }
  return args;
}
