// The decision engine with its audit log in PostgreSQL (a throwaway cluster, Debian's server binaries): group
// commits land in one chain that verifies, limits hold under concurrency, and the bundle high-water mark is
// read back from the PostgreSQL log after a restart.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAuditStore, type AuditStore } from "../../src/audit";
import { PolicyEngine, PolicyRegistry, readPolicyFiles, reasonCode } from "../../src/policy";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { CHAIN_ID, compliance, complianceKeys, rejection, signedBy, unsigned, type BankDocument } from "./bundles";
import { BANK_B, baseIntent, buildBankPolicy, FRIDAY_11H } from "./helpers";
import { isFrameworkError } from "../../src/errors";

describe("PolicyEngine with a PostgreSQL audit log", function () {
  let pg: TestPostgres | undefined;
  let dir: string;
  let audit: AuditStore;
  let data: BankDocument;
  let wasm: Uint8Array;
  let connection: { connectionString: string; table: string };

  before(async function () {
    pg = await startPostgres();
    dir = await mkdtemp(path.join(tmpdir(), "engine-pg-"));
    const files = await readPolicyFiles(await buildBankPolicy());
    wasm = files.wasm;
    data = structuredClone(files.data as BankDocument);
    data.bank.counterparties[BANK_B].limits.EURT.daily = "60000000";
    connection = { connectionString: pg.url, table: `audit_${randomBytes(6).toString("hex")}` };
    audit = await openAuditStore(connection);
  });

  after(async function () {
    await audit.close();
    pg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("allows exactly what the daily limit holds among concurrent decisions, in one verified chain", async function () {
    const registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
    await registry.activate(await signedBy(unsigned(wasm, data, 3), compliance.slice(0, 2)));
    const engine = PolicyEngine.open({
      config: { reservationsPath: path.join(dir, "reservations.sqlite") },
      registry,
      audit,
      now: () => FRIDAY_11H,
    });
    try {
      const decisions = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const intent: Record<string, unknown> = { ...baseIntent({ intent_id: `pg-${i}`, amount: "25000000" }) };
          delete intent.exposure_used;
          return engine.evaluate(intent);
        }),
      );
      expect(decisions.filter((d) => d.outcome === "allow")).to.have.length(2);
      expect(decisions.filter((d) => d.reasons.map(reasonCode).includes("DAILY_LIMIT_EXCEEDED"))).to.have.length(10);
      const verified = await audit.verify();
      expect(verified).to.deep.include({ ok: true, count: 13 });
      const seqs = decisions.map((d) => d.auditSeq).sort((a, b) => a - b);
      expect(seqs).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 2));
    } finally {
      await engine.close();
    }
  });

  it("refuses after a restart a bundle below the version recorded in the PostgreSQL log", async function () {
    const reopened = await openAuditStore(connection);
    try {
      const registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit: reopened });
      expect(registry.highestVersion).to.equal(3);
      const error = await rejection(registry.activate(await signedBy(unsigned(wasm, data, 2), compliance.slice(0, 2))));
      expect(isFrameworkError(error, "POLICY_BUNDLE_VERSION_NOT_RISING"), String(error)).to.equal(true);
    } finally {
      await reopened.close();
    }
  });
});
