import { expect } from "chai";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { calculateJwkThumbprint } from "jose";
import { type ErrorCode, FrameworkError, isFrameworkError } from "../../src/errors";
import {
  generateRsmKeys,
  loadPrivateKey,
  loadPublicKey,
  parseRsmServiceConfig,
  rsmHttpStatus,
  RsmRequestError,
} from "../../src/rsm";

/** RFC 7638 section 3.1: the example RSA key and its published SHA-256 thumbprint. */
const RFC7638 = {
  jwk: {
    kty: "RSA",
    e: "AQAB",
    n:
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3" +
      "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZH" +
      "zu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8aw" +
      "apJzKnqDKgw",
  },
  thumbprint: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
};

const code = (error: unknown) => (error as { code?: string }).code;

describe("remote signing module: configuration and keys", function () {
  let dir: string;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "rsm-config-test-"));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  function base(): Record<string, unknown> {
    return {
      moduleId: "rsm-1",
      listen: { port: 0 },
      encryptionKey: { kid: "enc", key: { file: "/etc/rsm/enc.jwk" } },
      responseKey: { kid: "res", alg: "ES256", key: { env: "RSM_RESPONSE_KEY" } },
      middleware: [{ id: "mw", kid: "mw-1", alg: "EdDSA", publicKey: { file: "/etc/rsm/mw.pem" } }],
      replayStore: { path: "/var/lib/rsm/replay.db" },
    };
  }

  it("fills defaults for limits, clock skew and lifetime", function () {
    const config = parseRsmServiceConfig(base());
    expect(config.listen.host).to.equal("127.0.0.1");
    expect([config.clockSkewSeconds, config.maxLifetimeSeconds]).to.deep.equal([30, 120]);
    expect(config.limits).to.deep.equal({ maxBodyBytes: 65_536, requestTimeoutMs: 10_000, headersTimeoutMs: 5_000 });
  });

  it("refuses a private key or a passphrase written into the configuration", function () {
    const d = "secret-private-scalar";
    for (const key of [{ jwk: { kty: "EC", d } }, { file: "/k.pem", passphrase: { value: d } }]) {
      const input = { ...base(), encryptionKey: { kid: "enc", key } };
      const error = (() => {
        try {
          return parseRsmServiceConfig(input);
        } catch (e) {
          return e;
        }
      })();
      expect(code(error)).to.equal("RSM_CONFIG_INVALID");
      expect(JSON.stringify((error as FrameworkError).toJSON())).not.to.include(d);
    }
  });

  it("refuses two middleware entries with the same kid", function () {
    const entry = { id: "mw", kid: "same", alg: "ES256", publicKey: { file: "/a" } };
    expect(() => parseRsmServiceConfig({ ...base(), middleware: [entry, { ...entry, id: "mw2" }] }))
      .to.throw()
      .with.property("code", "RSM_CONFIG_INVALID");
  });

  it("loads an encrypted PEM key with its passphrase from a file, and refuses a wrong passphrase", function () {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "right" });
    const keyFile = path.join(dir, "key.pem");
    writeFileSync(keyFile, pem);
    writeFileSync(path.join(dir, "right"), "right\n");
    writeFileSync(path.join(dir, "wrong"), "wrong\n");
    const loaded = loadPrivateKey("k", { file: keyFile, passphrase: { file: path.join(dir, "right") } }, "ES256");
    expect(loaded.asymmetricKeyDetails?.namedCurve).to.equal("prime256v1");
    const wrong = { file: keyFile, passphrase: { file: path.join(dir, "wrong") } };
    expect(() => loadPrivateKey("k", wrong, "ES256"))
      .to.throw()
      .with.property("code", "RSM_KEY_UNAVAILABLE");
  });

  it("refuses a key of the wrong type for its algorithm, an unset variable, and a private key as public", async function () {
    const keys = await generateRsmKeys({ middlewareAlg: "EdDSA" });
    expect(() => loadPublicKey("mw", { jwk: keys.middleware.publicJwk }, "ES256")).to.throw(/not a P-256 key/);
    expect(() => loadPublicKey("enc", { jwk: keys.moduleEncryption.publicJwk }, "EdDSA")).to.throw(/not a Ed25519/);
    expect(() => loadPrivateKey("k", { env: "RSM_TEST_UNSET_VARIABLE" }, "ES256")).to.throw(/unset/);
    const file = path.join(dir, "private.jwk");
    writeFileSync(file, JSON.stringify(keys.middleware.privateJwk));
    expect(() => loadPublicKey("mw", { file }, "EdDSA")).to.throw(/holds a private key/);
    expect(loadPublicKey("mw", { jwk: keys.middleware.publicJwk }, "EdDSA").asymmetricKeyType).to.equal("ed25519");
  });

  it("names generated keys by their RFC 7638 thumbprint (published vector)", async function () {
    expect(await calculateJwkThumbprint(RFC7638.jwk)).to.equal(RFC7638.thumbprint);
    const keys = await generateRsmKeys();
    for (const pair of [keys.moduleEncryption, keys.moduleResponse, keys.middleware]) {
      const { kty, crv, x, y } = pair.publicJwk;
      expect(pair.kid).to.equal(await calculateJwkThumbprint({ kty, crv, x, y }));
      expect(pair.publicJwk).not.to.have.property("d");
    }
    expect([keys.moduleEncryption.publicJwk.use, keys.middleware.publicJwk.use]).to.deep.equal(["enc", "sig"]);
  });

  it("maps refusals to HTTP statuses only through rsmHttpStatus", function () {
    const gate = (c: string) => new FrameworkError(c as ErrorCode, c);
    const cases: [unknown, number][] = [
      [new RsmRequestError("RSM_REPLAY", "x"), 409],
      [new RsmRequestError("RSM_WRONG_AUDIENCE", "x"), 421],
      [new RsmRequestError("RSM_REQUEST_EXPIRED", "x"), 401],
      [gate("GATE_DENIED"), 403],
      [gate("GATE_APPROVALS_PENDING"), 403],
      [gate("GATE_AUDIT_FAILED"), 503],
      [gate("GATE_CONFIG_INVALID"), 500],
      [gate("APPROVAL_REQUEST_CLOSED"), 403],
      [gate("APPROVAL_STORE_UNAVAILABLE"), 503],
      [gate("HSM_UNAVAILABLE"), 503],
      [gate("HSM_LOGIN_FAILED"), 500],
      [new Error("boom"), 500],
    ];
    expect(cases.map(([error]) => rsmHttpStatus(error))).to.deep.equal(cases.map(([, status]) => status));
    expect(isFrameworkError(cases[0][0], "RSM_REPLAY")).to.be.true;
  });
});
