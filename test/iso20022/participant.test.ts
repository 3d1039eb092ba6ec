// sese.023 through the participant on the in-process network: Beta instructs from its delivery message, Alpha
// affirms from its receipt message, the settlement settles and the sese.025 is written from its state; a refused
// message sends nothing; the HTTP route answers 202, 400 and 422 over real HTTP.
import { expect } from "chai";
import Fastify, { type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import hre from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Authorize, ApiRole } from "../../src/http/contract";
import type { DemoBank } from "../../src/demo/banks";
import type { DeploymentRecord } from "../../src/deploy";
import {
  Iso20022Error,
  SESE024_NAMESPACE,
  SESE025_NAMESPACE,
  seseStatusFor,
  type MappingConfig,
} from "../../src/iso20022";
import { instructFromSese023 } from "../../src/participant";
import { isoRoutes } from "../../src/api/routes/iso20022";
import { statusName } from "../../src/settlement";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium } from "../participant/helpers";
import { chainMapping, chainMessage } from "./participant.helpers";

/** A test `authorize`: roles from the `x-test-roles` header (none: 401; none of the route's: 403). */
const headerAuthorize: Authorize = (roles) => async (request, reply) => {
  const header = request.headers["x-test-roles"];
  if (typeof header !== "string") return reply.code(401).send({ error: { code: "AUTH", message: "no token" } });
  const held = header.split(",") as ApiRole[];
  if (!held.some((r) => roles.includes(r))) return reply.code(403).send({ error: { code: "AUTH", message: "role" } });
  request.caller = { subject: "desk-7", roles: held };
};

describe("sese.023 through the participant", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let alphaMap: MappingConfig;
  let betaMap: MappingConfig;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "iso-participant-"));
    ({ record, banks } = await openDemoConsortium(dir));
    alphaMap = chainMapping(banks, 0, record);
    betaMap = chainMapping(banks, 1, record);
  });

  after(async function () {
    for (const b of banks) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  const nonceOf = (bank: DemoBank) => hre.ethers.provider.getTransactionCount(bank.address);
  const engine = () => hre.ethers.getContractAt("SettlementEngine", record.engine);

  for (const kind of ["dvp", "fop"] as const) {
    it(`settles a ${kind.toUpperCase()} instructed by Beta's sese.023 and affirmed by Alpha's, then confirms it with sese.025`, async function () {
      const [alpha, beta] = banks;
      const instructed = await instructFromSese023(beta.participant, chainMessage(`${kind}-beta-deliver`), betaMap);
      expect(instructed.step).to.equal("instruct");
      const instructedState = statusName(await (await engine()).statusOf(instructed.settlementId));
      const advice = seseStatusFor(
        {
          instructionId: instructed.instruction.transactionId,
          settlementId: BigInt(instructed.settlementId),
          terms: instructed.terms,
          state: instructedState,
          on: "2026-12-01",
        },
        betaMap,
      );
      expect(advice).to.deep.include({
        message: "sese.024",
        matched: false,
        status: { kind: "pending", reason: "CMIS" },
      });
      expect(advice.xml).to.include(SESE024_NAMESPACE).and.include("<Umtchd>");

      const affirmed = await instructFromSese023(alpha.participant, chainMessage(`${kind}-alpha-receive`), alphaMap);
      expect(affirmed).to.deep.include({ step: "affirm", settlementId: instructed.settlementId });
      expect(affirmed.terms).to.deep.equal(instructed.terms);
      const matched = seseStatusFor(
        {
          instructionId: affirmed.instruction.transactionId,
          settlementId: BigInt(affirmed.settlementId),
          terms: affirmed.terms,
          state: statusName(await (await engine()).statusOf(affirmed.settlementId)),
          on: "2026-12-01",
        },
        alphaMap,
      );
      expect(matched.xml).to.include("<Mtchd>").and.include("<Cd>FUTU</Cd>");

      await beta.participant.settle(instructed.terms);
      const state = statusName(await (await engine()).statusOf(instructed.settlementId));
      expect(state).to.equal("Settled");
      const confirmation = seseStatusFor(
        {
          instructionId: affirmed.instruction.transactionId,
          settlementId: BigInt(affirmed.settlementId),
          terms: affirmed.terms,
          state,
          on: "2026-12-03",
          settlementDate: affirmed.instruction.settlementDate,
        },
        alphaMap,
      );
      expect(confirmation.message).to.equal("sese.025");
      expect(confirmation.xml).to.include(SESE025_NAMESPACE);
      expect(confirmation.xml).to.include(`<AcctOwnrTxId>${affirmed.instruction.transactionId}</AcctOwnrTxId>`);
      expect(confirmation.xml).to.include("<SctiesMvmntTp>RECE</SctiesMvmntTp>");
      expect(confirmation.xml).to.include(`<Unit>${kind === "dvp" ? 40 : 15}</Unit>`);
      if (kind === "dvp") expect(confirmation.xml).to.match(/<Amt Ccy="EUR">4120<\/Amt>/);
      else expect(confirmation.xml).to.not.include("SttldAmt");
    });
  }

  it("answers a retried message with the recorded transaction, never a second signature", async function () {
    const beta = banks[1];
    const xml = chainMessage("dvp-beta-deliver").replaceAll("B30-DVP-0001", "B30-DVP-0003");
    const first = await instructFromSese023(beta.participant, xml, betaMap);
    const nonce = await nonceOf(beta);
    const again = await instructFromSese023(beta.participant, xml, betaMap);
    expect(again.step).to.equal("instruct");
    expect(again.submitted).to.include({ retried: true, txHash: first.submitted.txHash });
    expect(await nonceOf(beta)).to.equal(nonce);
  });

  it("refuses an unmapped ISIN naming the element, and sends nothing", async function () {
    const beta = banks[1];
    const nonce = await nonceOf(beta);
    const xml = chainMessage("dvp-beta-deliver").replace("DE0001102580", "US0378331005");
    const error = await instructFromSese023(beta.participant, xml, betaMap).then(
      () => expect.fail("expected a refusal"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(Iso20022Error);
    expect((error as Iso20022Error).details).to.deep.include({ element: "SctiesSttlmTxInstr/FinInstrmId/ISIN" });
    expect((error as Iso20022Error).code).to.equal("ISO20022_UNMAPPED");
    expect(await nonceOf(beta)).to.equal(nonce);
  });

  it("refuses terms already settled with ISO20022_SETTLEMENT_EXISTS, and sends nothing", async function () {
    const alpha = banks[0];
    const nonce = await nonceOf(alpha);
    const error = await instructFromSese023(alpha.participant, chainMessage("fop-alpha-receive"), alphaMap).then(
      () => expect.fail("expected a refusal"),
      (e: unknown) => e,
    );
    expect((error as Iso20022Error).code).to.equal("ISO20022_SETTLEMENT_EXISTS");
    expect((error as Iso20022Error).details.reason).to.match(/already Settled$/);
    expect(await nonceOf(alpha)).to.equal(nonce);
  });

  describe("POST /v1/iso20022/sese.023", function () {
    let app: FastifyInstance;
    let url: string;

    before(async function () {
      app = Fastify();
      app.setValidatorCompiler(validatorCompiler);
      app.setSerializerCompiler(serializerCompiler);
      await app.register(isoRoutes, {
        prefix: "/v1",
        participant: banks[1].participant,
        authorize: headerAuthorize,
        mapping: betaMap,
      });
      url = `${await app.listen({ port: 0, host: "127.0.0.1" })}/v1/iso20022/sese.023`;
    });
    after(async function () {
      await app.close();
    });

    const post = (body: string, roles?: string, type = "application/xml") =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": type, ...(roles === undefined ? {} : { "x-test-roles": roles }) },
        body,
      });

    it("answers 202 with the settlement id of the instruction it made", async function () {
      const xml = chainMessage("dvp-beta-deliver").replaceAll("B30-DVP-0001", "B30-DVP-0004");
      const response = await post(xml, "operations");
      expect(response.status).to.equal(202);
      const body = (await response.json()) as { settlementId: string; step: string; transactionId: string };
      expect(body).to.include({ step: "instruct", transactionId: "BETA-20261201-0001" });
      expect(statusName(await (await engine()).statusOf(body.settlementId))).to.equal("Instructed");
    });

    it("answers 400 for a message that is not XML, naming the element and the reason", async function () {
      const response = await post("<Document><unclosed></Document>", "operations");
      expect(response.status).to.equal(400);
      const body = (await response.json()) as { error: { code: string; details: { element: string; reason: string } } };
      expect(body.error.code).to.equal("ISO20022_MALFORMED");
      expect(body.error.details.element).to.equal("Document");
      expect(body.error.details.reason).to.match(/^not well-formed XML/);
    });

    it("answers 422 for an unmapped counterparty, and sends nothing", async function () {
      const nonce = await nonceOf(banks[1]);
      const xml = chainMessage("dvp-beta-deliver")
        .replaceAll("B30-DVP-0001", "B30-DVP-0005")
        .replace("<AnyBIC>ALPHDEFFXXX</AnyBIC>", "<AnyBIC>DEUTDEFFXXX</AnyBIC>");
      const response = await post(xml, "operations");
      expect(response.status).to.equal(422);
      const body = (await response.json()) as { error: { code: string; details: Record<string, string> } };
      expect(body.error).to.deep.include({ code: "ISO20022_UNMAPPED" });
      expect(body.error.details).to.deep.equal({
        element: "SctiesSttlmTxInstr/RcvgSttlmPties/Pty1/Id/AnyBIC",
        reason: "party DEUTDEFFXXX is not in the mapping",
      });
      expect(await nonceOf(banks[1])).to.equal(nonce);
    });

    it("refuses a caller without the operations role, and another content type", async function () {
      const xml = chainMessage("dvp-beta-deliver");
      expect((await post(xml)).status).to.equal(401);
      expect((await post(xml, "auditor")).status).to.equal(403);
      expect((await post(xml, "operations", "application/json")).status).to.equal(415);
    });
  });
});
