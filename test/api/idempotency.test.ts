// Idempotency of POST /v1/settlements over real HTTP: the same key and body replay the first answer and the
// chain holds one instruction; another body under the key is 409 and changes nothing; concurrent duplicates
// instruct once; a refused request leaves its key free; the keys survive a restart of the server.
import { expect } from "chai";
import hre from "hardhat";
import path from "node:path";
import { createApiServer } from "../../src/api";
import { DEMO_ISSUER, type DemoApi, type DemoApiBank } from "../../src/api/demo";
import { call, useDemoApi } from "./helpers";

describe("API idempotency", function () {
  const fixture = useDemoApi();
  let api: DemoApi;
  let alpha: DemoApiBank;
  let beta: DemoApiBank;
  let n = 0;

  before(function () {
    api = fixture();
    [alpha, beta] = api.banks;
  });

  function dvp(bonds: string, cash: string) {
    return {
      tradeRef: `IDEM-${++n}`,
      kind: "DvP",
      seller: beta.bank.address,
      buyer: alpha.bank.address,
      asset: "B30",
      assetAmount: bonds,
      cash: "aEUR",
      cashAmount: cash,
    };
  }

  function instruct(bank: DemoApiBank, key: string | undefined, body: unknown) {
    return call(bank, "POST", "/v1/settlements", {
      token: bank.tokens.operations,
      headers: key === undefined ? {} : { "idempotency-key": key },
      body,
    });
  }

  async function instructions(id: string): Promise<number> {
    const engine = await hre.ethers.getContractAt("SettlementEngine", api.record.engine);
    return (await engine.queryFilter(engine.filters.SettlementInstructed(id))).length;
  }

  async function statusOf(id: string): Promise<bigint> {
    const engine = await hre.ethers.getContractAt("SettlementEngine", api.record.engine);
    return engine.statusOf(id);
  }

  it("replays the first answer to the same key and body, with one instruction on chain", async function () {
    const body = dvp("3", "303.00");
    const first = await instruct(beta, "idem-same-body-0001", body);
    const again = await instruct(beta, "idem-same-body-0001", body);
    expect(first.status).to.equal(201);
    expect(again.status).to.equal(201);
    expect(again.body).to.deep.equal(first.body);
    expect(again.headers.get("idempotent-replayed")).to.equal("true");
    expect(await instructions((first.body as { settlementId: string }).settlementId)).to.equal(1);
  });

  it("refuses another body under a used key with 409 API_IDEMPOTENCY_CONFLICT and instructs nothing", async function () {
    const first = await instruct(beta, "idem-other-body-0001", dvp("4", "404.00"));
    expect(first.status).to.equal(201);
    const block = await hre.ethers.provider.getBlockNumber();
    const other = dvp("5", "505.00");
    const refused = await instruct(beta, "idem-other-body-0001", other);
    expect(refused.status).to.equal(409);
    expect(refused.body).to.nested.include({ "error.code": "API_IDEMPOTENCY_CONFLICT" });
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
    const elsewhere = await instruct(beta, "idem-other-body-0002", other);
    expect(elsewhere.status).to.equal(201);
  });

  it("instructs once when duplicates under one key arrive together", async function () {
    const body = dvp("6", "606.00");
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => instruct(beta, "idem-concurrent-0001", body)));
    const statuses = answers.map((a) => a.status);
    expect(statuses).to.include(201);
    for (const a of answers) {
      if (a.status === 409) expect(a.body).to.nested.include({ "error.code": "API_IDEMPOTENCY_IN_PROGRESS" });
      else expect(a.status).to.equal(201);
    }
    const ok = answers.filter((a) => a.status === 201).map((a) => a.body);
    for (const body2 of ok) expect(body2).to.deep.equal(ok[0]);
    const id = (ok[0] as { settlementId: string }).settlementId;
    expect(await instructions(id)).to.equal(1);
    const later = await instruct(beta, "idem-concurrent-0001", body);
    expect(later.body).to.deep.equal(ok[0]);
  });

  it("refuses an instruction without an Idempotency-Key with 400 naming the header, and instructs nothing", async function () {
    const block = await hre.ethers.provider.getBlockNumber();
    const refused = await instruct(beta, undefined, dvp("7", "707.00"));
    expect(refused.status).to.equal(400);
    expect(refused.body).to.nested.include({ "error.code": "API_REQUEST_INVALID" });
    const issues = (refused.body as { error: { details: { issues: { path: string }[] } } }).error.details.issues;
    expect(issues.map((i) => i.path)).to.include("idempotency-key");
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
  });

  it("leaves the key of a refused request free, so the corrected request runs under it", async function () {
    const wrong = { ...dvp("8", "808.001") };
    const refused = await instruct(beta, "idem-refused-0001", wrong);
    expect(refused.status).to.equal(400);
    const fixed = await instruct(beta, "idem-refused-0001", { ...wrong, cashAmount: "808.00" });
    expect(fixed.status).to.equal(201);
    expect(await statusOf((fixed.body as { settlementId: string }).settlementId)).to.equal(1n);
  });

  it("keeps its keys across a restart of the server: the answer is replayed, nothing is instructed again", async function () {
    const file = path.join(beta.bank.dir, "api-idempotency-restart.sqlite");
    const config = {
      auth: { issuer: DEMO_ISSUER, audience: beta.audience, publicKeys: [api.issuerJwk] },
      idempotency: { path: file },
    };
    const body = dvp("9", "909.00");
    const start = async () => {
      const app = await createApiServer({ participant: beta.bank.participant, config });
      const url = await app.listen({ host: "127.0.0.1", port: 0 });
      return { app, bank: { ...beta, url } };
    };
    const one = await start();
    const first = await instruct(one.bank, "idem-restart-0001", body);
    await one.app.close();
    const two = await start();
    try {
      const again = await instruct(two.bank, "idem-restart-0001", body);
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers.get("idempotent-replayed")).to.equal("true");
    } finally {
      await two.app.close();
    }
    expect(await instructions((first.body as { settlementId: string }).settlementId)).to.equal(1);
  });
});
