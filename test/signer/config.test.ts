import { expect } from "chai";
import { SigningKey, concat, getBytes, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameworkError, isFrameworkError } from "../../src/errors";
import {
  HsmError,
  SECP256K1_N,
  addressFromEcPoint,
  checkedSignature,
  NATIVE_SECP256K1,
  parseHsmSignerConfig,
  resolvePin,
} from "../../src/signer";

const BASE = {
  modulePath: "/usr/lib/softhsm/libsofthsm2.so",
  tokenLabel: "bank-a",
  pin: { env: "BANK_A_HSM_PIN" },
  key: { label: "settlement" },
};

/** Private key 1: its public key is the generator G and its address is well known. */
const G_POINT =
  "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" +
  "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
const G_ADDRESS = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";

function configError(input: unknown): HsmError {
  try {
    parseHsmSignerConfig(input);
  } catch (error) {
    expect(error).to.be.instanceOf(HsmError);
    return error as HsmError;
  }
  throw new Error("expected HSM_CONFIG_INVALID");
}

describe("HSM signer configuration", function () {
  it("applies the pool and retry defaults", function () {
    const config = parseHsmSignerConfig(BASE);
    expect(config.sessions).to.equal(2);
    expect(config.retry).to.deep.equal({ maxRetries: 3, backoffMs: 20 });
  });

  it("accepts a key by hex id and a PIN from a file", function () {
    const config = parseHsmSignerConfig({ ...BASE, key: { id: "0xa1b2" }, pin: { file: "/run/secrets/pin" } });
    expect(config.key).to.deep.equal({ id: "0xa1b2" });
  });

  it("rejects a literal PIN without echoing it", function () {
    for (const pin of ["4921-secret", { value: "4921-secret" }, { env: "X", value: "4921-secret" }]) {
      const error = configError({ ...BASE, pin });
      expect(error).to.be.instanceOf(FrameworkError);
      expect(isFrameworkError(error, "HSM_CONFIG_INVALID")).to.be.true;
      expect(error.message + JSON.stringify(error.details)).not.to.include("4921-secret");
    }
  });

  it("rejects unknown keys, a bad key id and an out-of-range retry count", function () {
    expect(configError({ ...BASE, extra: 1 }).code).to.equal("HSM_CONFIG_INVALID");
    expect(configError({ ...BASE, key: { id: "xyz" } }).details)
      .to.have.property("issues")
      .that.deep.includes({ path: "key.id", message: "must be hex bytes" });
    expect(configError({ ...BASE, retry: { maxRetries: -1 } }).details)
      .to.have.property("issues")
      .with.length(1);
  });

  it("reads the PIN from an environment variable or a file, and reports a missing one by source", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "hsm-pin-"));
    try {
      const file = path.join(dir, "pin");
      writeFileSync(file, "from-file\n");
      expect(resolvePin({ file })).to.equal("from-file");
      process.env.HSM_TEST_CONFIG_PIN = "from-env";
      expect(resolvePin({ env: "HSM_TEST_CONFIG_PIN" })).to.equal("from-env");
      expect(() => resolvePin({ file: path.join(dir, "missing") }))
        .to.throw()
        .with.property("code", "HSM_PIN_UNAVAILABLE");
      expect(() => resolvePin({ env: "HSM_TEST_CONFIG_PIN_UNSET" }))
        .to.throw()
        .with.property("code", "HSM_PIN_UNAVAILABLE");
    } finally {
      delete process.env.HSM_TEST_CONFIG_PIN;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("secp256k1 glue", function () {
  const key = new SigningKey(toBeHex(12345n, 32));
  const address = addressFromEcPoint(getBytes(key.publicKey));
  const digest = keccak256(toUtf8Bytes("vector"));
  const good = key.sign(digest);

  it("derives the address of private key 1 from a DER-wrapped and a bare EC point", function () {
    expect(addressFromEcPoint(getBytes(`0x0441${G_POINT}`))).to.equal(G_ADDRESS);
    expect(addressFromEcPoint(getBytes(`0x${G_POINT}`))).to.equal(G_ADDRESS);
    expect(() => addressFromEcPoint(getBytes("0x0441" + "02" + G_POINT.slice(2)))).to.throw();
  });

  const publicKey = getBytes(key.publicKey);
  it("proves signatures with the native libsecp256k1 on this platform (prebuilt binary loaded)", function () {
    expect(NATIVE_SECP256K1).to.equal(true);
  });

  for (const [path, point, prover] of [
    ["by recovery", undefined, "js"],
    ["by one verification against the public key (JS)", publicKey, "js"],
    ["by recovery against the public key (libsecp256k1)", publicKey, "native"],
  ] as const) {
    describe(path, function () {
      it("keeps a low-S signature and finds its recovery id", function () {
        const checked = checkedSignature(getBytes(concat([good.r, good.s])), digest, address, point, prover);
        expect(checked.serialized).to.equal(good.serialized);
      });

      it("normalises a high S (s = n - s) and flips the recovery id", function () {
        const highS = toBeHex(SECP256K1_N - BigInt(good.s), 32);
        const checked = checkedSignature(getBytes(concat([good.r, highS])), digest, address, point, prover);
        expect(checked.s).to.equal(good.s);
        expect(checked.v).to.equal(good.v);
      });

      it("refuses a valid signature by another key", function () {
        const other = new SigningKey(toBeHex(777n, 32)).sign(digest);
        expect(() => checkedSignature(getBytes(concat([other.r, other.s])), digest, address, point, prover))
          .to.throw()
          .with.property("code", "HSM_SIGNATURE_INVALID");
      });
    });
  }

  for (const prover of ["js", "native"] as const) {
    it(`finds the recovery id ethers finds, for 100 keys and digests (seeded, ${prover})`, function () {
      for (let i = 1; i <= 100; i++) {
        const k = new SigningKey(keccak256(toUtf8Bytes(`key-${i}`)));
        const d = keccak256(toUtf8Bytes(`digest-${i}`));
        const sig = k.sign(d);
        const raw = getBytes(concat([sig.r, sig.s]));
        const pub = getBytes(k.publicKey);
        const checked = checkedSignature(raw, d, addressFromEcPoint(pub), pub, prover);
        expect(checked.serialized, `pair ${i}`).to.equal(sig.serialized);
      }
    });
  }

  it("refuses a public key that is not the key's address", function () {
    const other = getBytes(new SigningKey(toBeHex(777n, 32)).publicKey);
    expect(() => checkedSignature(getBytes(concat([good.r, good.s])), digest, address, other))
      .to.throw()
      .with.property("code", "HSM_SIGNATURE_INVALID");
  });
});
