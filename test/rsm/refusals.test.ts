import { expect } from "chai";
import { createPublicKey } from "node:crypto";
import { generateRsmKeys, type RsmKeySet, type SignBody } from "../../src/rsm";
import { privateKey, RsmHarness } from "./helpers";

const now = () => Math.floor(Date.now() / 1000);
const body = (text = "refuse me"): SignBody => ({ kind: "message", payload: { text } });

describe("remote signing module: refusals", function () {
  let rsm: RsmHarness;
  /** Keys of another module and another middleware, unknown to this module. */
  let other: RsmKeySet;

  before(async function () {
    rsm = await RsmHarness.create("rsm-refusals");
    other = await generateRsmKeys();
  });

  after(async function () {
    await rsm.destroy();
  });

  /** Posts `jwe` and asserts the status and code, a refusal log line and a refusal audit record. */
  async function expectRefused(jwe: string, status: number, code: string, subject: string | null = null) {
    const answer = await rsm.post(jwe);
    expect([answer.status, answer.code]).to.deep.equal([status, code]);
    expect(rsm.logs[rsm.logs.length - 1]).to.deep.include({ event: "refused", code });
    const records = await rsm.records();
    const last = records[records.length - 1];
    expect([last.kind, last.subject]).to.deep.equal(["signature", subject]);
    expect(last.payload).to.deep.include({ outcome: "refused", code });
  }

  it("refuses a replayed request with 409 and logs it", async function () {
    const { jwe, jti } = await rsm.seal(body("pay once"));
    expect((await rsm.post(jwe)).status).to.equal(200);
    await expectRefused(jwe, 409, "RSM_REPLAY", jti);
    const outcomes = (await rsm.records()).filter((r) => r.subject === jti).map((r) => r.payload);
    expect(outcomes).to.have.length(2);
    expect(outcomes[0]).to.deep.include({ outcome: "signed" });
  });

  it("refuses an expired request", async function () {
    const { jwe, jti } = await rsm.seal(body(), { iat: now() - 600, exp: now() - 540 });
    await expectRefused(jwe, 401, "RSM_REQUEST_EXPIRED", jti);
  });

  it("refuses a request issued far in the future", async function () {
    const { jwe, jti } = await rsm.seal(body(), { iat: now() + 3_600, exp: now() + 3_660 });
    await expectRefused(jwe, 401, "RSM_REQUEST_NOT_YET_VALID", jti);
  });

  it("refuses a request whose lifetime exceeds the configured maximum", async function () {
    const { jwe, jti } = await rsm.seal(body(), { iat: now(), exp: now() + 3_600 });
    await expectRefused(jwe, 400, "RSM_LIFETIME_TOO_LONG", jti);
  });

  it("refuses tampered ciphertext", async function () {
    const parts = (await rsm.seal(body())).jwe.split(".");
    parts[3] = (parts[3][0] === "A" ? "B" : "A") + parts[3].slice(1);
    await expectRefused(parts.join("."), 400, "RSM_DECRYPTION_FAILED");
  });

  it("refuses a request encrypted to another module's key", async function () {
    const key = createPublicKey(privateKey(other.moduleEncryption.privateJwk));
    const { jwe } = await rsm.seal(body(), { encryptionKey: { kid: other.moduleEncryption.kid, key } });
    await expectRefused(jwe, 421, "RSM_WRONG_RECIPIENT");
  });

  it("refuses a request encrypted to another key under this module's kid", async function () {
    const key = createPublicKey(privateKey(other.moduleEncryption.privateJwk));
    const { jwe } = await rsm.seal(body(), { encryptionKey: { kid: rsm.keys.moduleEncryption.kid, key } });
    await expectRefused(jwe, 400, "RSM_DECRYPTION_FAILED");
  });

  it("refuses a request signed by an unknown middleware key", async function () {
    const { kid, privateJwk } = other.middleware;
    const { jwe } = await rsm.seal(body(), { signingKey: { kid, alg: "ES256", key: privateKey(privateJwk) } });
    await expectRefused(jwe, 401, "RSM_UNKNOWN_SENDER");
  });

  it("refuses a request signed by another key under the trusted middleware kid", async function () {
    const key = privateKey(other.middleware.privateJwk);
    const { jwe } = await rsm.seal(body(), { signingKey: { kid: rsm.keys.middleware.kid, alg: "ES256", key } });
    await expectRefused(jwe, 401, "RSM_SIGNATURE_INVALID");
  });

  it("refuses a request whose issuer does not own the signing key", async function () {
    const { jwe, jti } = await rsm.seal(body(), { issuer: "middleware-bank-b" });
    await expectRefused(jwe, 401, "RSM_UNKNOWN_SENDER", jti);
  });

  it("refuses a request addressed to another module", async function () {
    const { jwe, jti } = await rsm.seal(body(), { audience: "rsm-bank-b" });
    await expectRefused(jwe, 421, "RSM_WRONG_AUDIENCE", jti);
  });

  it("refuses a request for a key the module does not serve, without spending its request id", async function () {
    const unknown = await rsm.seal(body(), { signer: "0x000000000000000000000000000000000000dEaD" });
    await expectRefused(unknown.jwe, 404, "RSM_UNKNOWN_SIGNER", unknown.jti);
    const retried = await rsm.seal(body(), { jti: unknown.jti });
    expect((await rsm.post(retried.jwe)).status).to.equal(200);
  });

  it("refuses a request whose claims do not match the schema", async function () {
    const payload = { to: null, nonce: 0, gasLimit: "21000", value: "1", data: "0x" };
    const { jwe, jti } = await rsm.seal({ kind: "transaction", payload } as unknown as SignBody);
    await expectRefused(jwe, 400, "RSM_REQUEST_MALFORMED");
    expect(jti).to.be.a("string");
  });

  it("refuses a body that is not a JWE", async function () {
    await expectRefused("not.a.jwe", 400, "RSM_REQUEST_MALFORMED");
  });

  it("keeps payloads and key material out of the log and the audit records", async function () {
    const secretText = "wire 1000000 to account 12345";
    const { jwe } = await rsm.seal(body(secretText));
    expect((await rsm.post(jwe)).status).to.equal(200);
    await rsm.post(jwe);
    const written = JSON.stringify(rsm.logs) + JSON.stringify(await rsm.records());
    expect(written).not.to.include(secretText);
    for (const pair of [rsm.keys.middleware, rsm.keys.moduleEncryption, rsm.keys.moduleResponse]) {
      expect(pair.privateJwk.d).to.be.a("string").with.length.above(20);
      expect(written).not.to.include(pair.privateJwk.d);
    }
  });
});
