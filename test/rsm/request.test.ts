import { expect } from "chai";
import { createPublicKey } from "node:crypto";
import {
  generateRsmKeys,
  openRequest,
  sealRequest,
  type OpenContext,
  type RsmKeySet,
  type SealOptions,
} from "../../src/rsm";
import { privateKey } from "./helpers";

const SIGNER = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4";
const T0 = 1_800_000_000;

/** Freshness and replay at their exact boundaries, on a fixed clock. */
describe("remote signing module: request freshness", function () {
  let keys: RsmKeySet;
  let ctx: OpenContext;
  let seal: (options?: Partial<SealOptions>) => Promise<string>;

  before(async function () {
    keys = await generateRsmKeys({ middlewareAlg: "EdDSA" });
    const { moduleEncryption, middleware } = keys;
    ctx = {
      moduleId: "rsm-1",
      encryption: { kid: moduleEncryption.kid, key: privateKey(moduleEncryption.privateJwk) },
      senders: new Map([
        [middleware.kid, { id: "mw", alg: "EdDSA", key: createPublicKey(privateKey(middleware.privateJwk)) }],
      ]),
      clockSkewSeconds: 30,
      maxLifetimeSeconds: 120,
      now: T0,
    };
    seal = async (options = {}) =>
      (
        await sealRequest(
          { kind: "message", payload: { text: "boundary" } },
          {
            issuer: "mw",
            audience: "rsm-1",
            signer: SIGNER,
            lifetimeSeconds: 60,
            signingKey: { kid: middleware.kid, alg: "EdDSA", key: privateKey(middleware.privateJwk) },
            encryptionKey: { kid: moduleEncryption.kid, key: createPublicKey(privateKey(moduleEncryption.privateJwk)) },
            ...options,
          },
        )
      ).jwe;
  });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "accepted",
      (error: unknown) => (error as { code: string }).code,
    );

  it("accepts an EdDSA-signed request and returns its checksummed claims", async function () {
    const claims = await openRequest(await seal({ iat: T0, exp: T0 + 60, jti: "request-0001" }), ctx);
    expect(claims).to.deep.include({ jti: "request-0001", iss: "mw", aud: "rsm-1", signer: SIGNER, kind: "message" });
  });

  it("accepts iat up to the clock skew ahead and refuses one second more", async function () {
    expect(await refusal(openRequest(await seal({ iat: T0 + 30, exp: T0 + 90 }), ctx))).to.equal("accepted");
    expect(await refusal(openRequest(await seal({ iat: T0 + 31, exp: T0 + 91 }), ctx))).to.equal(
      "RSM_REQUEST_NOT_YET_VALID",
    );
  });

  it("accepts exp until the clock skew has passed, then refuses the request as expired", async function () {
    expect(await refusal(openRequest(await seal({ iat: T0 - 90, exp: T0 - 29 }), ctx))).to.equal("accepted");
    expect(await refusal(openRequest(await seal({ iat: T0 - 90, exp: T0 - 30 }), ctx))).to.equal("RSM_REQUEST_EXPIRED");
  });

  it("accepts a lifetime of exactly the maximum and refuses one second more", async function () {
    expect(await refusal(openRequest(await seal({ iat: T0, exp: T0 + 120 }), ctx))).to.equal("accepted");
    expect(await refusal(openRequest(await seal({ iat: T0, exp: T0 + 121 }), ctx))).to.equal("RSM_LIFETIME_TOO_LONG");
    expect(await refusal(openRequest(await seal({ iat: T0, exp: T0 }), ctx))).to.equal("RSM_REQUEST_MALFORMED");
  });
});
