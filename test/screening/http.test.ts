import { expect } from "chai";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  HttpScreeningProvider,
  toParticipantScreening,
  type HttpScreeningConfig,
  type ScreeningResult,
} from "../../src/screening";
import { isFrameworkError } from "../../src/errors";
import type { GateDeniedError } from "../../src/signer/gate/errors";

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A real HTTP screening service on 127.0.0.1 whose answers `handler` decides; counts the requests it got. */
async function service(handler: Handler): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      hits++;
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/screen`,
    hits: () => hits,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (response: ServerResponse, status: number, value: unknown) => {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(value));
};

const HIT = {
  result: "hit",
  matches: [{ party: "counterparty", list: "EU", entry: "EU.1234.56", name: "NORTHWIND", matchedOn: "identifier" }],
};
const subject = { counterparty: { id: "549300SANCTIONED0043", name: "Northwind Trading Bank" } };

function outage(result: ScreeningResult) {
  if (result.status !== "outage") throw new Error(`expected an outage, got ${result.status}`);
  return result.error;
}

describe("HTTP screening provider (fails closed)", function () {
  const open: { close: () => Promise<void> }[] = [];
  afterEach(async function () {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  async function provider(handler: Handler, more: Partial<HttpScreeningConfig> = {}) {
    const s = await service(handler);
    open.push(s);
    const config = { url: s.url, timeoutMs: 2_000, retries: 2, backoffMs: 1, maxBackoffMs: 4, ...more };
    return { s, p: new HttpScreeningProvider(config) };
  }

  it("passes the subject as JSON and returns the service's verdict with its matches", async function () {
    let received: unknown;
    const { p } = await provider((_q, body, r) => {
      received = JSON.parse(body);
      json(r, 200, HIT);
    });
    const travelRule = {
      originator: { name: "Alpha Bank AG", account: "A-1" },
      beneficiary: { name: "Northwind", account: "N-9", lei: "549300SANCTIONED0043" },
    };
    const result = await p.screen({ ...subject, travelRule });
    expect(received).to.deep.equal({ counterparty: subject.counterparty });
    expect(result).to.deep.equal({ status: "hit", provider: "screening-service", matches: HIT.matches, travelRule });
  });

  it("denies with SCREENING_TIMEOUT when the service does not answer in time, after its retries", async function () {
    const { s, p } = await provider(() => undefined, { timeoutMs: 150, retries: 1 });
    const error = outage(await p.screen(subject));
    expect(error.code).to.equal("SCREENING_TIMEOUT");
    expect(error.details).to.deep.include({ attempts: 2, timeoutMs: 150 });
    expect(s.hits()).to.equal(2);
  });

  it("denies with SCREENING_TIMEOUT when the service stalls in the middle of its answer", async function () {
    const { s, p } = await provider(
      (_q, _b, r) => {
        r.writeHead(200, { "content-type": "application/json" });
        r.write('{"result":"cle');
      },
      { timeoutMs: 150, retries: 0 },
    );
    expect(outage(await p.screen(subject)).code).to.equal("SCREENING_TIMEOUT");
    expect(s.hits()).to.equal(1);
  });

  it("denies with SCREENING_UNAVAILABLE when the service is down", async function () {
    const { s, p } = await provider(() => undefined);
    await s.close();
    const error = outage(await p.screen(subject));
    expect(error.code).to.equal("SCREENING_UNAVAILABLE");
    expect(error.details).to.deep.include({ reason: "is unreachable", attempts: 3 });
  });

  it("denies with SCREENING_UNAVAILABLE after a bounded number of retries of a 500", async function () {
    const { s, p } = await provider((_q, _b, r) => json(r, 500, { error: "internal" }));
    const error = outage(await p.screen(subject));
    expect(error.code).to.equal("SCREENING_UNAVAILABLE");
    expect(error.details).to.deep.include({ status: 500, attempts: 3 });
    expect(s.hits()).to.equal(3);
  });

  it("answers once a retried 503 is followed by a verdict", async function () {
    const { s, p } = await provider((_q, _b, r) => (s.hits() === 1 ? json(r, 503, {}) : json(r, 200, HIT)));
    expect((await p.screen(subject)).status).to.equal("hit");
    expect(s.hits()).to.equal(2);
  });

  it("does not retry a 4xx and denies with its status", async function () {
    const { s, p } = await provider((_q, _b, r) => json(r, 400, { error: "bad request" }));
    expect(outage(await p.screen(subject)).details).to.deep.include({ status: 400, attempts: 1 });
    expect(s.hits()).to.equal(1);
  });

  const garbage: [string, (r: ServerResponse) => void][] = [
    ["text that is not JSON", (r) => r.end("<html>maintenance</html>")],
    ["a verdict outside the schema", (r) => json(r, 200, { result: "ok" })],
    ["a hit without matches", (r) => json(r, 200, { result: "hit", matches: [] })],
    ["a clear that lists a match", (r) => json(r, 200, { ...HIT, result: "clear" })],
    ["an unknown field", (r) => json(r, 200, { result: "clear", matches: [], score: 0 })],
    ["an answer over its size limit", (r) => json(r, 200, { result: "clear", matches: [], pad: "x".repeat(70_000) })],
  ];
  for (const [what, answer] of garbage) {
    it(`denies with SCREENING_ANSWER_INVALID on ${what}, never clear`, async function () {
      const { s, p } = await provider((_q, _b, r) => answer(r));
      const error = outage(await p.screen(subject));
      expect(error.code).to.equal("SCREENING_ANSWER_INVALID");
      expect(s.hits()).to.equal(1);
    });
  }

  const outages: [string, Handler, Partial<HttpScreeningConfig>, string][] = [
    ["a slow service", () => undefined, { timeoutMs: 100, retries: 0 }, "SCREENING_TIMEOUT"],
    ["a failing service", (_q, _b, r) => json(r, 502, {}), {}, "SCREENING_UNAVAILABLE"],
    ["a service answering garbage", (_q, _b, r) => r.end("{"), {}, "SCREENING_ANSWER_INVALID"],
  ];
  for (const [what, handler, config, code] of outages) {
    it(`${what} denies the participant's call with ${code} as its reason`, async function () {
      const { p } = await provider(handler, config);
      const error = await toParticipantScreening(p)("549300SANCTIONED0043").then(
        () => expect.fail("a call was screened during an outage"),
        (e: unknown) => e,
      );
      if (!isFrameworkError(error, "GATE_DENIED")) throw error;
      expect((error as GateDeniedError).reasons[0]).to.match(new RegExp(`^${code}: screening service`));
    });
  }

  it("refuses a configuration without limits", function () {
    expect(() => new HttpScreeningProvider({ url: "not a url" } as HttpScreeningConfig)).to.throw(
      /invalid screening service configuration: url, timeoutMs, retries, backoffMs, maxBackoffMs/,
    );
  });
});
