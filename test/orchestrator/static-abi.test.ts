// The gate's own encodings against ethers: the strict static-ABI decoder gives the arguments ethers decodes and
// refuses exactly the calldata that does not survive ethers' decode and re-encode (differential, fast-check with a
// fixed seed; FC_RUNS for more runs), and the call payload hash equals keccak256 of AbiCoder.encode.
import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, getAddress, keccak256, type FunctionFragment, type Interface, type ParamType } from "ethers";
import { callPayloadHash } from "../../src/orchestrator";
import { decodeStaticCall } from "../../src/orchestrator/static-abi";
import { PermissionedToken__factory, SettlementEngine__factory } from "../../typechain-types";

const engine = SettlementEngine__factory.createInterface() as Interface;
const token = PermissionedToken__factory.createInterface() as Interface;
const fragment = (iface: Interface, name: string): FunctionFragment => iface.getFunction(name)!;

/** A value ethers decoded, with tuples as objects by component name. */
function shape(param: ParamType, value: unknown): unknown {
  if (param.baseType !== "tuple") return value;
  const fields = value as readonly unknown[];
  return Object.fromEntries((param.components ?? []).map((c, i) => [c.name, shape(c, fields[i])]));
}

/** ethers' verdict: the arguments if the calldata decodes and re-encodes to itself, else null. */
function ethersDecode(iface: Interface, f: FunctionFragment, data: string): unknown[] | null {
  try {
    const args = iface.decodeFunctionData(f, data);
    if (iface.encodeFunctionData(f, args).toLowerCase() !== data.toLowerCase()) return null;
    return f.inputs.map((input, i) => shape(input, args[i]));
  } catch {
    return null;
  }
}

/** The static decoder's values in ethers' shapes (checksummed addresses, tuples by name). */
function normalise(value: unknown): unknown {
  if (typeof value === "string" && value.length === 42) return getAddress(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

const word = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
const terms = fc.record({
  tradeRef: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
  kind: fc.constantFrom(0, 1),
  seller: word,
  buyer: word,
  asset: word,
  assetAmount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  cash: word,
  cashAmount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
});

/** Calldata with one hex digit changed, or cut short, or with bytes appended. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("digit" as const), at: fc.nat(), digit: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), at: fc.integer({ min: 1, max: 64 }) }),
);
function mutate(data: string, m: { kind: string; at: number; digit?: number }): string {
  const body = data.slice(10);
  if (m.kind === "cut") return data.slice(0, 10 + (m.at % body.length));
  if (m.kind === "append") return data + "0".repeat(m.at * 2);
  const i = 10 + (m.at % body.length);
  return data.slice(0, i) + m.digit!.toString(16) + data.slice(i + 1);
}

describe("static ABI decoder (differential against ethers)", function () {
  const runs = Number(process.env.FC_RUNS ?? 300);
  const seed = Number(process.env.FC_SEED ?? 42);

  it("decodes every settlement step with static arguments as ethers does", function () {
    fc.assert(
      fc.property(terms, fc.constantFrom("instruct", "affirm", "settle", "release", "approveReversal"), (t, name) => {
        const f = fragment(engine, name);
        const data = engine.encodeFunctionData(f, [t]);
        expect(normalise(decodeStaticCall(f, data))).to.deep.equal(ethersDecode(engine, f, data));
      }),
      { seed, numRuns: runs },
    );
  });

  it("refuses exactly the mutated calldata that ethers does not decode and re-encode to itself", function () {
    fc.assert(
      fc.property(terms, mutation, (t, m) => {
        const f = fragment(engine, "instruct");
        const data = mutate(engine.encodeFunctionData(f, [t]), m);
        const expected = ethersDecode(engine, f, data);
        const actual = decodeStaticCall(f, data);
        expect(actual === null, data).to.equal(expected === null);
        if (expected !== null) expect(normalise(actual)).to.deep.equal(expected);
      }),
      { seed, numRuns: runs },
    );
  });

  it("decodes token calls and leaves functions with dynamic arguments to ethers", function () {
    const transfer = fragment(token, "transfer");
    const to = "0x00000000000000000000000000000000000000aa";
    expect(decodeStaticCall(transfer, token.encodeFunctionData(transfer, [to, 5n]))).to.deep.equal([to, 5n]);
    const cancel = fragment(engine, "cancel");
    expect(decodeStaticCall(cancel, "0x")).to.equal(undefined);
  });
});

describe("callPayloadHash", function () {
  it("is keccak256 of abi.encode(chainId, to, value, data), for empty, word-aligned and ragged data", function () {
    const to = "0x00000000000000000000000000000000000000aa";
    for (const data of [
      "0x",
      `0x${"ab".repeat(32)}`,
      `0x${"cd".repeat(33)}`,
      engine.encodeFunctionData("cancel", [
        {
          tradeRef: `0x${"11".repeat(32)}`,
          kind: 1,
          seller: to,
          buyer: to,
          asset: to,
          assetAmount: 1n,
          cash: to,
          cashAmount: 2n,
        },
        "booked twice",
      ]),
    ]) {
      for (const [chainId, value] of [
        [1n, 0n],
        [2026n, 10n ** 30n],
      ]) {
        const expected = keccak256(
          AbiCoder.defaultAbiCoder().encode(["uint256", "address", "uint256", "bytes"], [chainId, to, value, data]),
        );
        expect(callPayloadHash(chainId, to, value, data), `${data.length} ${chainId}`).to.equal(expected);
      }
    }
  });
});
