// Where the secp256k1 package cannot load its native binary, the signer notices through the package's public
// entry and proves signatures with its own JS arithmetic by default. The binary is kept from loading the way the
// package's loader (node-gyp-build) allows: SECP256K1_PREBUILD pointing at a directory without one.
import { expect } from "chai";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { tempDir } from "../tasks/helpers";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..");

/** In a fresh process: which prover loaded, and whether the default one proves a low-S and a high-S signature. */
const PROBE = `
const { addressFromEcPoint, checkedSignature, NATIVE_SECP256K1, SECP256K1_N } = require("./src/signer/secp256k1");
const { concat, getBytes, keccak256, SigningKey, toBeHex, toUtf8Bytes } = require("ethers");
const key = new SigningKey(keccak256(toUtf8Bytes("fallback-key")));
const digest = keccak256(toUtf8Bytes("fallback-digest"));
const good = key.sign(digest);
const publicKey = getBytes(key.publicKey);
const address = addressFromEcPoint(publicKey);
const highS = toBeHex(SECP256K1_N - BigInt(good.s), 32);
const low = checkedSignature(getBytes(concat([good.r, good.s])), digest, address, publicKey);
const high = checkedSignature(getBytes(concat([good.r, highS])), digest, address, publicKey);
let refused = "";
try {
  const other = new SigningKey(toBeHex(777n, 32)).sign(digest);
  checkedSignature(getBytes(concat([other.r, other.s])), digest, address, publicKey);
} catch (error) {
  refused = error.code;
}
console.log(JSON.stringify({
  native: NATIVE_SECP256K1,
  low: low.serialized === good.serialized,
  high: high.serialized === good.serialized,
  refused,
}));
`;

async function probe(env: Record<string, string>): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", PROBE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("secp256k1 prover selection", function () {
  it("proves with libsecp256k1 where the package's native binary loads", async function () {
    expect(await probe({})).to.deep.equal({ native: true, low: true, high: true, refused: "HSM_SIGNATURE_INVALID" });
  });

  it("falls back to the JS proof when the native binary cannot load", async function () {
    const empty = await tempDir("no-secp256k1-binary-");
    expect(await probe({ SECP256K1_PREBUILD: empty })).to.deep.equal({
      native: false,
      low: true,
      high: true,
      refused: "HSM_SIGNATURE_INVALID",
    });
  });
});
