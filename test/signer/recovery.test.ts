import { expect } from "chai";
import { hashMessage, recoverAddress } from "ethers";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import * as pkcs11 from "pkcs11js";
import {
  HsmError,
  HsmKey,
  HsmSigner,
  acquireLibrary,
  generateSecp256k1Key,
  pkcs11EcdsaSign,
  type Pkcs11Library,
  type RawSign,
} from "../../src/signer";
import { SOFTHSM_MODULE, SoftHsm, slotOf } from "./softhsm";

const MAIN = "recovery-main";
const DOOMED = "recovery-doomed";
const PIN_TEST = "recovery-pin";
const KEY = { label: "recovery-key" };
const RETRY = { maxRetries: 3, backoffMs: 1 };

/** The typed error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<HsmError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(HsmError);
    return error as HsmError;
  }
  throw new Error("expected a rejection");
}

describe("HsmSigner fault recovery (SoftHSM)", function () {
  let hsm: SoftHsm;
  let library: Pkcs11Library;
  let signer: HsmSigner;
  const opened: HsmKey[] = [];

  async function signsAgain(count = 1): Promise<void> {
    const digests = Array.from({ length: count }, () => hashMessage(randomBytes(16)));
    const signatures = await Promise.all(digests.map((digest) => signer.key.signDigest(digest)));
    signatures.forEach((signature, i) => expect(recoverAddress(digests[i], signature)).to.equal(signer.address));
  }

  async function open(config: Parameters<typeof HsmKey.open>[0], rawSign?: RawSign): Promise<HsmKey> {
    const key = await HsmKey.open(config, { rawSign });
    opened.push(key);
    return key;
  }

  before(async function () {
    hsm = SoftHsm.create([MAIN, DOOMED, PIN_TEST]);
    for (const token of [MAIN, DOOMED, PIN_TEST]) generateSecp256k1Key(hsm.config(token, KEY));
    signer = await HsmSigner.create(hsm.config(MAIN, KEY, { sessions: 2, retry: RETRY }));
    library = acquireLibrary(SOFTHSM_MODULE);
    await signsAgain(4);
  });

  after(async function () {
    await Promise.all([signer.close(), ...opened.map((key) => key.close())]);
    library.release();
    hsm.destroy();
  });

  it("recovers when every session was closed (C_CloseAllSessions)", async function () {
    const api = library.api();
    api.C_CloseAllSessions(slotOf(api, MAIN));
    await signsAgain(10);
  });

  it("recovers when an operation was left active on the pooled sessions (C_SignInit without C_Sign)", async function () {
    const api = library.api();
    const handles = signer.key.sessionHandles();
    expect(handles).to.have.length(2);
    for (const session of handles) {
      api.C_FindObjectsInit(session, [{ type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY }]);
      const [privateKey] = api.C_FindObjects(session, 1);
      api.C_FindObjectsFinal(session);
      api.C_SignInit(session, { mechanism: pkcs11.CKM_ECDSA }, privateKey);
      expect(() => api.C_SignInit(session, { mechanism: pkcs11.CKM_ECDSA }, privateKey)).to.throw(
        "CKR_OPERATION_ACTIVE",
      );
    }
    await signsAgain(10);
  });

  it("re-initialises the module after C_Finalize", async function () {
    const api = library.api();
    api.C_Finalize();
    expect(() => api.C_GetSlotList(true)).to.throw("CKR_CRYPTOKI_NOT_INITIALIZED");
    await signsAgain(10);
  });

  it("fails with HSM_UNAVAILABLE after the bounded retries when the token is removed, signing nothing", async function () {
    let released = 0;
    const counting: RawSign = async (state, digest) => {
      const raw = await pkcs11EcdsaSign(state, digest);
      released += 1;
      return raw;
    };
    const doomed = await open(hsm.config(DOOMED, KEY, { retry: RETRY }), counting);
    await doomed.signDigest(hashMessage("before removal"));
    const api = library.api();
    const slot = slotOf(api, DOOMED);
    hsm.deleteToken(DOOMED);
    api.C_CloseAllSessions(slot);
    const error = await rejection(doomed.signDigest(hashMessage("after removal")));
    expect(error.code).to.equal("HSM_UNAVAILABLE");
    expect(error.details).to.include({ tokenLabel: DOOMED, attempts: RETRY.maxRetries + 1 });
    expect(released).to.equal(1);
    await signsAgain(2);
  });

  it("recovers from a device error by reopening the session and signing again", async function () {
    let calls = 0;
    const flaky = await open(hsm.config(MAIN, KEY, { retry: RETRY }), async (state, digest) => {
      calls += 1;
      if (calls === 1) throw new pkcs11.Pkcs11Error("CKR_DEVICE_ERROR:48", pkcs11.CKR_DEVICE_ERROR, "C_Sign");
      return pkcs11EcdsaSign(state, digest);
    });
    const digest = hashMessage("after a device error");
    expect(recoverAddress(digest, await flaky.signDigest(digest))).to.equal(signer.address);
    expect(calls).to.equal(2);
  });

  it("gives up with HSM_UNAVAILABLE after exactly maxRetries + 1 attempts when the device stays removed", async function () {
    let calls = 0;
    const removed = await open(hsm.config(MAIN, KEY, { retry: RETRY }), () => {
      calls += 1;
      return Promise.reject(new pkcs11.Pkcs11Error("CKR_DEVICE_REMOVED:50", pkcs11.CKR_DEVICE_REMOVED, "C_Sign"));
    });
    const error = await rejection(removed.signDigest(hashMessage("never signed")));
    expect(error.code).to.equal("HSM_UNAVAILABLE");
    expect(error.details).to.deep.equal({ tokenLabel: MAIN, attempts: 4, lastError: "CKR_DEVICE_REMOVED" });
    expect(calls).to.equal(RETRY.maxRetries + 1);
  });

  it("fails with HSM_UNAVAILABLE after the bounded retries when the module path is a broken library", async function () {
    const broken = path.join(hsm.dir, "broken-pkcs11.so");
    writeFileSync(broken, "not a shared object");
    const error = await rejection(HsmSigner.create(hsm.config(MAIN, KEY, { modulePath: broken, retry: RETRY })));
    expect(error.code).to.equal("HSM_UNAVAILABLE");
    expect(error.details).to.deep.equal({ tokenLabel: MAIN, attempts: 4, lastError: "HSM_MODULE_LOAD_FAILED" });
  });

  it("refuses a wrong PIN with HSM_LOGIN_FAILED and keeps the PIN out of the error", async function () {
    const wrongPin = `wrong-${randomBytes(8).toString("hex")}`;
    const env = `HSM_TEST_WRONG_PIN_${randomBytes(4).toString("hex").toUpperCase()}`;
    process.env[env] = wrongPin;
    try {
      const error = await rejection(HsmSigner.create(hsm.config(PIN_TEST, KEY, { pin: { env }, retry: RETRY })));
      expect(error.code).to.equal("HSM_LOGIN_FAILED");
      expect(error.details).to.deep.equal({ tokenLabel: PIN_TEST, reason: "CKR_PIN_INCORRECT" });
      const everything = [error.message, error.stack, JSON.stringify(error.details), String(error.cause)].join();
      expect(everything).not.to.include(wrongPin);
    } finally {
      delete process.env[env];
    }
  });

  it("fails with HSM_PIN_UNAVAILABLE when the PIN variable is not set", async function () {
    const error = await rejection(HsmSigner.create(hsm.config(PIN_TEST, KEY, { pin: { env: "HSM_TEST_UNSET_PIN" } })));
    expect(error.code).to.equal("HSM_PIN_UNAVAILABLE");
  });

  it("fails with HSM_KEY_NOT_FOUND for a label that is not on the token", async function () {
    const error = await rejection(HsmSigner.create(hsm.config(MAIN, { label: "no-such-key" })));
    expect(error.code).to.equal("HSM_KEY_NOT_FOUND");
    expect(error.details).to.deep.include({ tokenLabel: MAIN, matches: 0 });
  });

  describe("refuses a tampered HSM signature and releases nothing", function () {
    const tamperings: Record<string, (raw: Buffer) => Buffer> = {
      "one bit of s flipped": (raw) => Buffer.concat([raw.subarray(0, 63), Buffer.from([raw[63] ^ 1])]),
      "r and s swapped": (raw) => Buffer.concat([raw.subarray(32), raw.subarray(0, 32)]),
      "all zeros": () => Buffer.alloc(64),
      "s equal to n": (raw) =>
        Buffer.concat([
          raw.subarray(0, 32),
          Buffer.from("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", "hex"),
        ]),
      "63 bytes": (raw) => raw.subarray(0, 63),
      "random bytes": () => randomBytes(64),
    };
    for (const [name, tamper] of Object.entries(tamperings)) {
      it(`refuses ${name}`, async function () {
        const faulty = await open(hsm.config(MAIN, KEY), async (state, digest) =>
          tamper(await pkcs11EcdsaSign(state, digest)),
        );
        const error = await rejection(faulty.signDigest(hashMessage(name)));
        expect(error.code).to.equal("HSM_SIGNATURE_INVALID");
        expect(error.details).to.include({ address: signer.address, digest: hashMessage(name) });
      });
    }
  });

  it("refuses to sign after close with HSM_SIGNER_CLOSED", async function () {
    const key = await HsmKey.open(hsm.config(MAIN, KEY));
    await key.close();
    const error = await rejection(key.signDigest(hashMessage("closed")));
    expect(error.code).to.equal("HSM_SIGNER_CLOSED");
  });
});
