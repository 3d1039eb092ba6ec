// Audit and policy routes over real HTTP: the exported JSON Lines parse and verify offline with as many records
// as the log verifies; anchoring through the API shows up among the anchors; a signed bundle is uploaded, staged,
// activated and rolled back, while an unsigned or tampered one is refused and the active bundle stays.
import { expect } from "chai";
import hre from "hardhat";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { verifyJsonl } from "../../src/audit";
import type { DemoApi, DemoApiBank } from "../../src/api/demo";
import { createBundle, readBundle, signBundle, type PolicyBundle } from "../../src/policy";
import { call, useDemoApi } from "./helpers";

describe("API audit and policy", function () {
  const fixture = useDemoApi();
  let api: DemoApi;
  let alpha: DemoApiBank;
  let gamma: DemoApiBank;

  before(function () {
    api = fixture();
    [alpha, , gamma] = api.banks;
  });

  it("exports the audit log as JSON Lines that parse and verify offline, record for record", async function () {
    const verified = await call(alpha, "GET", "/v1/audit/verify", { token: alpha.tokens.auditor });
    expect(verified.body).to.include({ ok: true });
    const exported = await call(alpha, "GET", "/v1/audit/export", { token: alpha.tokens.auditor });
    expect(exported.status).to.equal(200);
    expect(exported.headers.get("content-type")).to.match(/^application\/x-ndjson/);
    const lines = exported.text.trimEnd().split("\n");
    const records = lines.map((l) => JSON.parse(l) as { seq: number });
    expect(records.map((r) => r.seq)).to.deep.equal(records.map((_, i) => i + 1));
    const file = path.join(alpha.bank.dir, "export.jsonl");
    await writeFile(file, exported.text);
    const offline = await verifyJsonl(file);
    expect(offline.ok).to.equal(true);
    expect(offline.ok && offline.count).to.be.at.least((verified.body as { count: number }).count);
  });

  it("anchors the log's head on chain through the bank's gate and lists it among the anchors", async function () {
    const anchored = await call(alpha, "POST", "/v1/audit/anchor", { token: alpha.tokens.operations });
    expect(anchored.status, anchored.text).to.equal(200);
    const { head, txHash } = anchored.body as { head: { seq: number; hash: string }; txHash: string };
    const anchors = await call(alpha, "GET", "/v1/audit/anchors", { token: alpha.tokens.auditor });
    const list = (anchors.body as { anchors: { seq: number; hash: string; transactionHash: string }[] }).anchors;
    expect(list.at(-1)).to.include({ seq: head.seq, hash: head.hash, transactionHash: txHash });
    const verified = await call(alpha, "GET", "/v1/audit/verify", { token: alpha.tokens.compliance });
    expect(verified.body).to.include({ ok: true });
  });

  describe("policy bundles", function () {
    let v1: PolicyBundle;
    let chainId: number;

    before(async function () {
      v1 = await readBundle(path.join(gamma.bank.dir, "bundle-v1"));
      chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    });

    async function signed(version: number, data = v1.data): Promise<PolicyBundle> {
      let bundle = createBundle({ wasm: v1.wasm, data, version, sharedPolicyVersion: v1.manifest.sharedPolicyVersion });
      for (const key of gamma.bank.compliance) bundle = await signBundle(bundle, key, chainId);
      return bundle;
    }

    const asJson = (b: PolicyBundle) => ({
      manifest: b.manifest,
      signatures: b.signatures,
      data: b.data,
      wasm: Buffer.from(b.wasm).toString("base64"),
    });

    const upload = (b: unknown) =>
      call(gamma, "POST", "/v1/policy/bundles", { token: gamma.tokens.compliance, body: b });
    const active = async () =>
      (
        (await call(gamma, "GET", "/v1/policy", { token: gamma.tokens.auditor })).body as {
          active: { version: number };
        }
      ).active.version;

    it("refuses an unsigned or tampered bundle with 422 and keeps the active one", async function () {
      const good = asJson(await signed(2));
      const unsigned = await upload({ ...good, signatures: [good.signatures[0]] });
      expect(unsigned.status, unsigned.text).to.equal(422);
      expect(unsigned.body).to.nested.include({ "error.code": "POLICY_BUNDLE_THRESHOLD_NOT_MET" });
      const tampered = await upload({ ...good, data: { ...good.data, extra: 1 } });
      expect(tampered.status).to.equal(422);
      expect(tampered.body).to.nested.include({ "error.code": "POLICY_BUNDLE_TAMPERED" });
      const notStaged = await call(gamma, "POST", "/v1/policy/activate", {
        token: gamma.tokens.compliance,
        body: { version: 2 },
      });
      expect(notStaged.status).to.equal(404);
      expect(notStaged.body).to.nested.include({ "error.code": "API_BUNDLE_NOT_STAGED" });
      expect(await active()).to.equal(1);
    });

    it("stages a signed bundle, activates it, and rolls back to the one before", async function () {
      const staged = await upload(asJson(await signed(2)));
      expect(staged.status, staged.text).to.equal(201);
      expect(staged.body).to.include({ version: 2 });
      expect(await active()).to.equal(1);
      const activated = await call(gamma, "POST", "/v1/policy/activate", {
        token: gamma.tokens.compliance,
        body: { version: 2 },
      });
      expect(activated.status, activated.text).to.equal(200);
      expect(await active()).to.equal(2);
      const rolled = await call(gamma, "POST", "/v1/policy/rollback", { token: gamma.tokens.compliance });
      expect(rolled.body).to.nested.include({ "active.version": 1 });
      const policy = await call(gamma, "GET", "/v1/policy", { token: gamma.tokens.compliance });
      const history = (policy.body as { history: { kind: string; outcome: string }[] }).history;
      expect(history.map((h) => `${h.kind}:${h.outcome}`)).to.include.members([
        "bundle_activation:activated",
        "bundle_rollback:rolled_back",
      ]);
      const again = await call(gamma, "POST", "/v1/policy/rollback", { token: gamma.tokens.compliance });
      expect(again.status).to.equal(409);
    });
  });
});
