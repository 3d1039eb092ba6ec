/**
 * Canonical JSON against published vectors: RFC 8785 appendix B (IEEE 754 values and their text), the RFC's
 * worked examples and the `canonicalize` package's test data (inputs as JSON text, so number parsing and unicode
 * escapes are part of the vector). Then the same bytes as the encoder the audit log, approvals and policy
 * bundles used before, for every plain JSON value (fixed seed; FC_RUNS and FC_SEED for more), so records and
 * signatures already written still verify; and the refusals of values that are not plain JSON.
 */
import { expect } from "chai";
import fc from "fast-check";
import { canonicalJson, MAX_JSON_DEPTH } from "../../src/core";
import { isFrameworkError } from "../../src/errors";

const RUNS = Number(process.env.FC_RUNS ?? 200);
const SEED = Number(process.env.FC_SEED ?? 8785);

/** The project's encoder before RFC 8785 came from `canonicalize`, kept verbatim as the reference for old records. */
function previousEncoder(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("number is not finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => previousEncoder(v)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${previousEncoder(v)}`).join(",")}}`;
  }
  throw new Error(`${typeof value} is not a JSON value`);
}

/** A double from its IEEE 754 bits in hex, as RFC 8785 appendix B lists them. */
const ieee = (hex: string): number => Buffer.from(hex, "hex").readDoubleBE(0);

describe("core: canonical JSON (RFC 8785)", function () {
  it("writes numbers as RFC 8785 appendix B lists them", function () {
    const vectors: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    for (const [bits, text] of vectors) expect(canonicalJson(ieee(bits)), bits).to.equal(text);
  });

  it("refuses NaN and Infinity (RFC 8785 appendix B) with CORE_JSON_INVALID", function () {
    for (const bits of ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]) {
      expect(() => canonicalJson(ieee(bits)), bits)
        .to.throw()
        .that.satisfies((e: unknown) => isFrameworkError(e, "CORE_JSON_INVALID"));
    }
  });

  it("matches the published inputs and outputs, unicode escapes and number forms included", function () {
    // RFC 8785 section 3.2.2 (values) and 3.2.3 (sorting), and the canonicalize package's test/testdata.
    const vectors: [string, string][] = [
      [
        String.raw`{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}`,
        String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
      ],
      [
        String.raw`{"€": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}`,
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      ],
      [String.raw`[56, {"d": true, "10": null, "1": [ ]}]`, String.raw`[56,{"1":[],"10":null,"d":true}]`],
      [
        String.raw`{"peach": "This sorting order", "péché": "is wrong according to French", "pêche": "but canonicalization MUST", "sin": "ignore locale"}`,
        String.raw`{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}`,
      ],
      [
        String.raw`{"1": {"f": {"f": "hi","F": 5} ,"\n": 56.0}, "10": { }, "": "empty", "a": { },
          "111": [ {"e": "yes","E": "no" } ], "A": {"b": "123"}}`,
        String.raw`{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{"b":"123"},"a":{}}`,
      ],
    ];
    for (const [input, output] of vectors) expect(canonicalJson(JSON.parse(input))).to.equal(output);
  });

  it("writes the RFC's values example as the UTF-8 bytes the RFC lists", function () {
    const text = canonicalJson(JSON.parse(String.raw`{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}`));
    // RFC 8785 section 3.2.4: the string "€$\u000f\nA'B\"\\\\\"/" as UTF-8.
    expect(Buffer.from(text, "utf8").toString("hex")).to.equal(
      "7b22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d",
    );
  });

  it("writes every plain JSON value exactly as the previous encoder did, so old records still verify", function () {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => canonicalJson(value) === previousEncoder(value)),
      { seed: SEED, numRuns: RUNS },
    );
    const unicode = fc.jsonValue({ maxDepth: 4, stringUnit: "binary" });
    fc.assert(
      fc.property(unicode, (value) => canonicalJson(value) === previousEncoder(value)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("refuses what canonicalize would silently drop or convert, naming the path", function () {
    const refused: [string, unknown][] = [
      ["undefined in an object", { a: { b: undefined } }],
      ["undefined in an array", { a: [1, undefined] }],
      ["bigint", { a: [1n] }],
      ["Date (toJSON)", { a: new Date(0) }],
      ["Map", { a: new Map([["k", 1]]) }],
      ["function", { a: () => 1 }],
      ["symbol", { a: Symbol("s") }],
    ];
    for (const [name, value] of refused) {
      expect(() => canonicalJson(value, "intent"), name)
        .to.throw()
        .that.satisfies((e: unknown) => isFrameworkError(e, "CORE_JSON_INVALID"))
        .and.has.nested.property("details.path")
        .that.matches(/^intent\.a/);
    }
  });

  it("refuses a value nested deeper than the limit instead of exhausting the stack", function () {
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];
    expect(() => canonicalJson(deep))
      .to.throw()
      .that.satisfies((e: unknown) => isFrameworkError(e, "CORE_JSON_INVALID"));
  });
});
