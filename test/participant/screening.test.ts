// Screening providers chosen in the participant's configuration, on real parts: a real OFAC SDN-style CSV file and
// a real HTTP screening service on 127.0.0.1 (down, never answering within the timeout, 500 then 200, a hit). The
// gate screens before every decision; a hit is denied naming the list entry, an outage is denied with its code and
// nothing is signed, and what the provider matched and the instruction's travel-rule data reach the policy input.
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import hre from "hardhat";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DemoBank } from "../../src/demo/banks";
import type { DemoClock } from "../../src/demo/clock";
import type { DeploymentRecord } from "../../src/deploy";
import { isFrameworkError } from "../../src/errors";
import type { GateDeniedError } from "../../src/orchestrator";
import { Participant, type ParticipantConfigInput } from "../../src/participant";
import type { SettlementTerms } from "../../src/settlement";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium, reopenBank } from "./helpers";

const HEADER = "ent_num,SDN_Name,SDN_Type,Program,Remarks,LEI,BIC\n";
const BETA_LEI = "DEMO00BETABANK000096";
const travelRule = {
  originator: { name: "Alpha Bank AG", account: "DE89370400440532013000", lei: "DEMO00ALPHABANK00017" },
  beneficiary: { name: "Beta Bank SA", account: "FR7630006000011234567890189", address: "1 Rue de la Paix, Paris" },
};

type Mode = (request: IncomingMessage, response: ServerResponse) => void;

describe("Participant screening from its configuration", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let clock: DemoClock;
  let n = 0;
  let server: Server;
  let serviceUrl: string;
  let mode: Mode;
  const requests: { authorization?: string; body: unknown }[] = [];

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "participant-screening-"));
    ({ record, clock, banks } = await openDemoConsortium(dir));
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        requests.push({ authorization: request.headers.authorization, body: JSON.parse(body) as unknown });
        mode(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/screen`;
  });

  after(async function () {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    for (const b of banks) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A DvP Alpha instructs as buyer from Beta: Beta's LEI is the counterparty Alpha screens. */
  function dvp(): SettlementTerms {
    const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
    return {
      tradeRef: encodeBytes32String(`SCREENING-${++n}`),
      kind: 0,
      seller: banks[1].address,
      buyer: banks[0].address,
      asset: token("B30"),
      assetAmount: 5n,
      cash: token("aEUR"),
      cashAmount: 500_00n,
    };
  }

  const withScreening = (screening: ParticipantConfigInput["screening"]) =>
    reopenBank(banks[0], clock, (config) => ({ ...config, screening }));

  const nonce = () => hre.ethers.provider.getTransactionCount(banks[0].address);

  async function denial(p: Promise<unknown>): Promise<GateDeniedError> {
    const before = await nonce();
    const error = await p.then(
      () => expect.fail("expected a denial"),
      (e: unknown) => e,
    );
    if (!isFrameworkError(error, "GATE_DENIED")) throw error;
    expect(await nonce(), "a denied call sent a transaction").to.equal(before);
    return error as GateDeniedError;
  }

  /** The policy input of the last decision on `subject` in Alpha's audit log. */
  async function lastIntent(participant: Participant, subject: string): Promise<Record<string, unknown>> {
    let intent: Record<string, unknown> | undefined;
    for await (const r of participant.auditRecords()) {
      if (r.kind === "decision" && r.subject === subject)
        intent = (r.payload as { intent: Record<string, unknown> }).intent;
    }
    return intent!;
  }

  const answer =
    (status: number, body: unknown): Mode =>
    (_request, response) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };

  describe("sanctions list", function () {
    let file: string;
    beforeEach(function () {
      file = path.join(dir, `sdn-${n}.csv`);
    });

    it("denies a counterparty on the list, naming the list entry, and signs nothing", async function () {
      await writeFile(file, `${HEADER}7001,"BETA BANK TEST ENTRY",-0-,SDGT,-0-,${BETA_LEI},-0-\n`);
      const alpha = await withScreening({ provider: "sanctions-list", file, list: "OFAC SDN" });
      const error = await denial(alpha.instruct(dvp()));
      expect(error.reasons.map((r) => `${r.code}: ${r.message}`)).to.include(
        "AML_HIT: the AML screening returned a hit: OFAC SDN entry 7001 (BETA BANK TEST ENTRY) matched the counterparty",
      );
    });

    it("denies with SCREENING_LIST_UNAVAILABLE while the list file is missing, never clears", async function () {
      const alpha = await withScreening({ provider: "sanctions-list", file: path.join(dir, "absent.csv") });
      const error = await denial(alpha.instruct(dvp()));
      expect(error.reasons.map((r) => r.code)).to.deep.equal(["SCREENING_LIST_UNAVAILABLE"]);
      const records = [];
      for await (const r of alpha.auditRecords()) if (r.subject === `screening:${BETA_LEI}`) records.push(r.payload);
      expect(records).to.have.length(1);
      expect(records[0]).to.deep.include({ stage: "screening", outcome: "deny", provider: "SDN" });
      expect((records[0] as { reasons: string[] }).reasons[0]).to.match(/^SCREENING_LIST_UNAVAILABLE: sanctions list /);
    });

    it("instructs a counterparty the list does not name, with the matches and the travel-rule data in the policy input", async function () {
      await writeFile(file, `${HEADER}36,"AEROCARIBBEAN AIRLINES",-0-,CUBA,-0-,-0-,-0-\n`);
      const alpha = await withScreening({ provider: "sanctions-list", file });
      const done = await alpha.instruct(dvp(), undefined, travelRule);
      expect(done.receipt.status).to.equal(1);
      const intent = await lastIntent(alpha, done.settlementId);
      expect(intent).to.deep.include({
        aml: "clear",
        screening: { provider: "SDN", matches: [] },
        travel_rule: travelRule,
      });
      let value: unknown;
      for await (const r of alpha.auditRecords())
        if (r.subject === "configuration:screening") value = (r.payload as { value: string }).value;
      expect(value).to.equal("sanctions-list");
    });
  });

  describe("screening service over HTTP", function () {
    const http = (url: string) =>
      ({
        provider: "http",
        url,
        timeoutMs: 300,
        retries: 1,
        backoffMs: 0,
        apiKey: { env: "SCREENING_TEST_KEY" },
      }) as const;

    beforeEach(function () {
      process.env.SCREENING_TEST_KEY = "test-key-1";
      requests.length = 0;
    });
    afterEach(function () {
      delete process.env.SCREENING_TEST_KEY;
    });

    it("denies with SCREENING_UNAVAILABLE when the service is down, after its retries", async function () {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const alpha = await withScreening(http(`http://127.0.0.1:${port}/screen`));
      const error = await denial(alpha.instruct(dvp()));
      expect(error.reasons.map((r) => r.code)).to.deep.equal(["SCREENING_UNAVAILABLE"]);
      expect(error.reasons[0].message).to.match(/is unreachable$/);
    });

    it("denies with SCREENING_TIMEOUT when the service does not answer within the timeout", async function () {
      mode = () => undefined; // never answers: every attempt ends at its timeout
      const alpha = await withScreening(http(serviceUrl));
      const error = await denial(alpha.instruct(dvp()));
      expect(error.reasons.map((r) => r.code)).to.deep.equal(["SCREENING_TIMEOUT"]);
      expect(requests).to.have.length(2);
    });

    it("retries a 500 and instructs on the 200 that follows, sending the API key as a bearer token", async function () {
      let calls = 0;
      mode = (request, response) =>
        (++calls === 1 ? answer(500, { error: "busy" }) : answer(200, { result: "clear", matches: [] }))(
          request,
          response,
        );
      const alpha = await withScreening(http(serviceUrl));
      const done = await alpha.instruct(dvp());
      expect(done.receipt.status).to.equal(1);
      expect(requests.map((r) => r.authorization)).to.deep.equal(["Bearer test-key-1", "Bearer test-key-1"]);
      expect(requests[0].body).to.deep.equal({ counterparty: { id: BETA_LEI } });
    });

    it("denies a hit the service reports, naming its list entry", async function () {
      const match = {
        party: "counterparty",
        list: "EU FSF",
        entry: "EU.4711.12",
        name: "BETA BANK",
        matchedOn: "identifier",
      };
      mode = answer(200, { result: "hit", matches: [match] });
      const alpha = await withScreening(http(serviceUrl));
      const error = await denial(alpha.instruct(dvp()));
      expect(error.reasons.map((r) => `${r.code}: ${r.message}`)).to.include(
        "AML_HIT: the AML screening returned a hit: EU FSF entry EU.4711.12 (BETA BANK) matched the counterparty",
      );
    });

    it("refuses to open when the API key's variable is unset (SCREENING_CONFIG_INVALID)", async function () {
      delete process.env.SCREENING_TEST_KEY;
      const error = await withScreening(http(serviceUrl)).then(
        () => expect.fail("expected a refusal"),
        (e: unknown) => e,
      );
      expect(isFrameworkError(error, "SCREENING_CONFIG_INVALID"), String(error)).to.equal(true);
      // The bank keeps running with a provider it can use.
      process.env.SCREENING_TEST_KEY = "test-key-1";
      mode = answer(200, { result: "clear", matches: [] });
      await withScreening(http(serviceUrl));
    });
  });
});
