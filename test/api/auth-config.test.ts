// Token verification as configured, without a server: PEM and JWK public keys and a JWKS file verify the same
// tokens; an algorithm outside the allow-list, a key the configuration does not hold, a wrong audience or a token
// expired beyond the clock tolerance are refused; roles come from the configured claim and unknown ones are
// dropped; a configuration naming no keys, or a JWKS file that is not there, fails at start.
import { expect } from "chai";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ApiAuthConfigSchema, createTokenVerifier, parseApiConfig, type ApiAuthConfigInput } from "../../src/api";
import { isFrameworkError } from "../../src/errors";

const ISSUER = "https://idp.bank.example";
const AUDIENCE = "settlement-api";

describe("API token verification", function () {
  let dir: string;
  let es: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ed: { privateKey: CryptoKey; publicKey: CryptoKey };

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "api-auth-"));
    es = await generateKeyPair("ES256");
    ed = await generateKeyPair("EdDSA");
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  function token(
    key: CryptoKey,
    alg: string,
    claims: Record<string, unknown> = { roles: ["operations"] },
    o: { audience?: string; exp?: number } = {},
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg })
      .setSubject("desk-7")
      .setIssuer(ISSUER)
      .setAudience(o.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(o.exp ?? "5m")
      .sign(key);
  }

  function verifier(input: Partial<ApiAuthConfigInput>) {
    const config = ApiAuthConfigSchema.parse({ issuer: ISSUER, audience: AUDIENCE, ...input });
    return createTokenVerifier(config);
  }

  async function refusal(p: Promise<unknown>): Promise<string> {
    const error = await p.then(
      () => expect.fail("accepted"),
      (e: unknown) => e,
    );
    expect(isFrameworkError(error, "API_UNAUTHENTICATED"), String(error)).to.equal(true);
    return (error as Error).message;
  }

  it("verifies the same token with a PEM key, a JWK and a JWKS file, and reads the caller's subject and roles", async function () {
    const pem = await exportSPKI(es.publicKey);
    const jwk = await exportJWK(es.publicKey);
    const file = path.join(dir, "jwks.json");
    await writeFile(file, JSON.stringify({ keys: [jwk] }));
    const jwt = await token(es.privateKey, "ES256", { roles: ["operations", "trader", "auditor"] });
    const fromFile = parseApiConfig({
      auth: { issuer: ISSUER, audience: AUDIENCE, jwksFile: file },
      idempotency: { path: "x" },
    });
    for (const verify of [
      verifier({ publicKeys: [pem] }),
      verifier({ publicKeys: [jwk] }),
      createTokenVerifier(fromFile.auth, fromFile.jwks),
    ]) {
      expect(await verify(jwt)).to.deep.equal({ subject: "desk-7", roles: ["operations", "auditor"] });
    }
  });

  it("reads roles from the configured claim, as a list or a space-separated string", async function () {
    const verify = verifier({ publicKeys: [await exportJWK(es.publicKey)], rolesClaim: "scope" });
    const jwt = await token(es.privateKey, "ES256", { scope: "compliance openid" });
    expect((await verify(jwt)).roles).to.deep.equal(["compliance"]);
  });

  it("refuses a token signed with an algorithm outside the allow-list, even by a configured key", async function () {
    const verify = verifier({ publicKeys: [await exportJWK(ed.publicKey)], algorithms: ["ES256"] });
    expect(await refusal(verify(await token(ed.privateKey, "EdDSA")))).to.equal("the token's algorithm is not allowed");
  });

  it("refuses a token signed by a key the configuration does not hold", async function () {
    const verify = verifier({ publicKeys: [await exportJWK(es.publicKey)] });
    const other = await generateKeyPair("ES256");
    expect(await refusal(verify(await token(other.privateKey, "ES256")))).to.equal(
      "the token's signature does not verify",
    );
  });

  it("refuses a token for another audience, and one expired beyond the clock tolerance but not within it", async function () {
    const verify = verifier({ publicKeys: [await exportJWK(es.publicKey)], clockToleranceSeconds: 30 });
    expect(await refusal(verify(await token(es.privateKey, "ES256", undefined, { audience: "other" })))).to.equal(
      "the token's aud claim is not accepted",
    );
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(verify(await token(es.privateKey, "ES256", undefined, { exp: now - 120 })))).to.equal(
      "the token has expired",
    );
    expect(await verify(await token(es.privateKey, "ES256", undefined, { exp: now - 5 }))).to.include({
      subject: "desk-7",
    });
  });

  it("fails at start on a configuration without keys, with a symmetric algorithm, or with a JWKS file that is not there", function () {
    const base = { issuer: ISSUER, audience: AUDIENCE };
    for (const auth of [
      base,
      { ...base, publicKeys: ["k"], algorithms: ["HS256"] },
      { ...base, jwksFile: path.join(dir, "absent.json") },
    ]) {
      let error: unknown;
      try {
        parseApiConfig({ auth, idempotency: { path: "x" } });
      } catch (e) {
        error = e;
      }
      expect(isFrameworkError(error, "API_CONFIG_INVALID"), JSON.stringify(auth)).to.equal(true);
    }
  });
});
