import { expect } from "chai";
import { connect } from "node:net";
import { HEALTH_PATH, generateRsmKeys, RsmRemoteRefusedError, SIGN_PATH, type RsmErrorCode } from "../../src/rsm";
import { RsmHarness } from "./helpers";
import { isFrameworkError } from "../../src/errors";

/** Resolves with what `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

/** Sends raw bytes on a fresh connection and resolves with the status line of the answer. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("close", () => resolve(answer.split("\r\n")[0]));
    socket.on("error", reject);
  });
}

describe("remote signing module: HTTP edge and client", function () {
  let rsm: RsmHarness;

  before(async function () {
    rsm = await RsmHarness.create("rsm-http");
  });

  after(async function () {
    await rsm.destroy();
  });

  it("answers the health check", async function () {
    const response = await fetch(`${rsm.server.url}${HEALTH_PATH}`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ status: "ok", moduleId: rsm.module.config.moduleId });
  });

  it("refuses a body over the size limit announced by Content-Length, and audits it", async function () {
    const answer = await rsm.post("x".repeat(20_000));
    expect([answer.status, answer.code]).to.deep.equal([413, "RSM_REQUEST_TOO_LARGE"]);
    const records = await rsm.records();
    expect(records[records.length - 1].payload).to.deep.include({ outcome: "refused", code: "RSM_REQUEST_TOO_LARGE" });
  });

  it("refuses a chunked body once it passes the size limit", async function () {
    const chunk = "x".repeat(20_000);
    const request =
      `POST ${SIGN_PATH} HTTP/1.1\r\nHost: rsm\r\nContent-Type: application/jose\r\n` +
      `Transfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
    expect(await rawExchange(rsm.server.port, request)).to.equal("HTTP/1.1 413 Payload Too Large");
  });

  it("refuses a request without Content-Type application/jose", async function () {
    const { jwe } = await rsm.seal({ kind: "message", payload: { text: "typed wrong" } });
    const answer = await rsm.post(jwe, "application/json");
    expect([answer.status, answer.code]).to.deep.equal([415, "RSM_CONTENT_TYPE_INVALID"]);
  });

  it("refuses other methods on the sign path and unknown paths", async function () {
    const get = await fetch(`${rsm.server.url}${SIGN_PATH}`);
    expect([get.status, get.headers.get("allow")]).to.deep.equal([405, "POST"]);
    expect((await fetch(`${rsm.server.url}/v1/keys`)).status).to.equal(404);
  });

  it("answers 408 when the body does not arrive within the configured time", async function () {
    await rsm.stop();
    await rsm.start({ limits: { maxBodyBytes: 16_384, requestTimeoutMs: 100, headersTimeoutMs: 5_000 } });
    try {
      const request = `POST ${SIGN_PATH} HTTP/1.1\r\nHost: rsm\r\nContent-Type: application/jose\r\nContent-Length: 100\r\n\r\nabc`;
      expect(await rawExchange(rsm.server.port, request)).to.equal("HTTP/1.1 408 Request Timeout");
      expect(rsm.logs[rsm.logs.length - 1]).to.deep.include({ event: "refused", code: "RSM_REQUEST_TIMEOUT" });
    } finally {
      await rsm.stop();
      await rsm.start();
    }
  });

  it("client: surfaces the module's refusal with its status and code", async function () {
    const error = await rejection(rsm.client({ moduleId: "rsm-bank-b" }).signMessage("misdirected"));
    expect(error).to.be.instanceOf(RsmRemoteRefusedError);
    expect([(error as RsmRemoteRefusedError).status, (error as RsmRemoteRefusedError).remoteCode]).to.deep.equal([
      421,
      "RSM_WRONG_AUDIENCE",
    ]);
  });

  it("client: refuses an answer that does not verify with the module's response key", async function () {
    const other = await generateRsmKeys();
    const forgedTrust = {
      kid: rsm.keys.moduleResponse.kid,
      alg: "ES256" as const,
      publicKey: { jwk: other.moduleResponse.publicJwk },
    };
    const error = await rejection(rsm.client({ moduleResponseKey: forgedTrust }).signMessage("trust but verify"));
    expect(isFrameworkError(error, "RSM_RESPONSE_INVALID" satisfies RsmErrorCode)).to.be.true;
  });

  it("client: reports an unreachable module as a transport failure", async function () {
    const error = await rejection(rsm.client({ url: "http://127.0.0.1:1", timeoutMs: 2_000 }).signMessage("anyone?"));
    expect(isFrameworkError(error, "RSM_TRANSPORT_FAILED")).to.be.true;
  });
});
