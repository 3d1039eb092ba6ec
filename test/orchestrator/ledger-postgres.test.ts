// The signing ledger on PostgreSQL: everything a gated signature writes (decision, reservations, nonce claim,
// signature records with the raw bytes) is in PostgreSQL before the signature is released, concurrent signatures
// share transactions, a reopened ledger continues the nonces, the reservations and the audit chain, and a ledger
// that another process took over, or whose leader lock is lost, signs no more.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { PostgresSigningLedger } from "../../src/orchestrator";
import { readPolicyFiles, writeBundle } from "../../src/policy";
import { generateSecp256k1Key } from "../../src/signer";
import { LeaderLock } from "../../src/storage";
import { isFrameworkError } from "../../src/errors";
import { compliance, complianceKeys, signedBy, unsigned, type BankDocument } from "../policy/bundles";
import { buildBankPolicy } from "../policy/helpers";
import { SoftHsm } from "../signer/softhsm";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { instructCall, LEDGER_BANK_B, LEDGER_CHAIN_ID, openLedgerGate, type LedgerGateSetup } from "./ledger-fixture";

const TOKEN = "ledger-pg-test";
const UNLIMITED = "900000000000000";

describe("PostgresSigningLedger (one PostgreSQL transaction per signature group)", function () {
  this.timeout(120_000);
  let hsm: SoftHsm;
  let pg: TestPostgres;
  let dir: string;
  let bundleDir: string;
  let address: string;
  const envs: string[] = [];

  before(async function () {
    this.timeout(5 * 60_000);
    pg = await startPostgres();
    hsm = SoftHsm.create([TOKEN]);
    dir = await mkdtemp(path.join(tmpdir(), "signing-ledger-pg-"));
    address = generateSecp256k1Key(hsm.config(TOKEN, { label: "settlement" })).address;
    const files = await readPolicyFiles(await buildBankPolicy());
    const data = structuredClone(files.data) as BankDocument & {
      bank: { assets: Record<string, Record<string, unknown>> };
    };
    data.bank.assets.EURT.approval_threshold = UNLIMITED;
    data.bank.counterparties[LEDGER_BANK_B].limits.EURT = { per_settlement: UNLIMITED, daily: UNLIMITED };
    bundleDir = path.join(dir, "bundle");
    await writeBundle(bundleDir, await signedBy(unsigned(files.wasm, data, 1), compliance.slice(0, 2)));
  });

  after(async function () {
    for (const env of envs) delete process.env[env];
    hsm?.destroy();
    pg?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh schema of the test server, its URL in an environment variable (as a configuration names it). */
  async function freshDatabase(): Promise<{ env: string; url: string }> {
    const schema = `l_${randomBytes(6).toString("hex")}`;
    await query(pg.url, `CREATE SCHEMA ${schema}`);
    const url = `${pg.url}${pg.url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const env = `LEDGER_TEST_URL_${schema.toUpperCase()}`;
    process.env[env] = url;
    envs.push(env);
    return { env, url };
  }

  function setup(env: string, lock?: LeaderLock): LedgerGateSetup {
    return {
      ledgerPath: path.join(dir, "unused.sqlite"),
      bundleDir,
      complianceKeys,
      hsm: hsm.config(TOKEN, { label: "settlement" }),
      openLedger: () => PostgresSigningLedger.open({ postgres: { url: { env } }, ...(lock ? { lock } : {}) }),
    };
  }

  it("writes each signature's decision, reservations, nonce claim and raw bytes to PostgreSQL before releasing it", async function () {
    const { env, url } = await freshDatabase();
    const opened = await openLedgerGate<PostgresSigningLedger>(setup(env));
    try {
      const { ledger, gate } = opened;
      const before = ledger.commits;
      const signed = await Promise.all(
        Array.from({ length: 12 }, (_, i) => gate.protectTransaction(instructCall(`pg-concurrent-${i}`))),
      );
      expect(ledger.commits - before, "group commit")
        .to.be.greaterThan(0)
        .and.lessThan(12);
      expect(signed.map((s) => s.nonce).sort((a, b) => a - b)).to.deep.equal([...Array(12).keys()]);
      const claims = await query(url, "SELECT nonce, payload_hash FROM ledger_signing_records ORDER BY nonce");
      expect(claims.map((r) => Number(r.nonce))).to.deep.equal([...Array(12).keys()]);
      for (const s of signed) expect(claims[s.nonce].payload_hash).to.equal(s.payloadHash);
      const audit = await query(url, "SELECT kind, payload FROM audit_log ORDER BY seq");
      const raws = audit
        .filter((r) => r.kind === "signature")
        .map((r) => (JSON.parse(r.payload as string) as { raw: string }).raw);
      expect(raws.sort()).to.deep.equal(signed.map((s) => s.serialized).sort());
      // A DvP reserves both legs: two reservations per signature, counted under its signing key.
      expect(await query(url, "SELECT intent_id FROM ledger_reservations WHERE state = 'reserved'")).to.have.length(24);
      expect(await query(url, "SELECT * FROM ledger_signatures")).to.have.length(12);
      expect((await ledger.audit.verify()).ok).to.equal(true);
    } finally {
      await opened.close();
    }
  });

  it("continues the nonces, the reservations and the audit chain where a closed ledger stopped", async function () {
    const { env, url } = await freshDatabase();
    const first = await openLedgerGate<PostgresSigningLedger>(setup(env));
    const signed = await first.gate.protectTransaction(instructCall("pg-restart-0"));
    await first.close();
    const second = await openLedgerGate<PostgresSigningLedger>(setup(env));
    try {
      const { ledger, gate, engine } = second;
      expect(ledger.records.highestNonce(address, BigInt(LEDGER_CHAIN_ID))).to.equal(signed.nonce);
      const again = await gate.protectTransaction(instructCall("pg-restart-0"));
      const next = await gate.protectTransaction(instructCall("pg-restart-1"));
      expect(again.nonce, "the same call signed again keeps its nonce").to.equal(signed.nonce);
      expect(next.nonce).to.equal(signed.nonce + 1);
      const subjects = await query(url, "SELECT subject FROM audit_log WHERE kind = 'signature' ORDER BY seq");
      expect(engine.reservation(subjects[0].subject as string)?.state).to.equal("reserved");
      expect((await ledger.audit.verify()).ok).to.equal(true);
    } finally {
      await second.close();
    }
  });

  it("writes a nonce slot given back outside a signature through, so the next process reuses it (no gap)", async function () {
    const { env, url } = await freshDatabase();
    const first = await openLedgerGate<PostgresSigningLedger>(setup(env));
    const signed = await first.gate.protectTransaction(instructCall("pg-slot-0"));
    // A signature that never reached the chain gives its slot back (as a nonce fill does), outside any write set.
    first.ledger.records.release(address, BigInt(LEDGER_CHAIN_ID), signed.nonce, signed.payloadHash);
    await first.close();
    const released = await query(url, "SELECT released_at FROM ledger_signing_records");
    expect(released.map((r) => r.released_at === null)).to.deep.equal([false]);
    const second = await openLedgerGate<PostgresSigningLedger>(setup(env));
    try {
      const next = await second.gate.protectTransaction(instructCall("pg-slot-1"));
      expect(next.nonce).to.equal(signed.nonce);
    } finally {
      await second.close();
    }
  });

  it("refuses to commit a signature once another process took the ledger over, and that one continues", async function () {
    const { env, url } = await freshDatabase();
    const old = await openLedgerGate<PostgresSigningLedger>(setup(env));
    const taken = await openLedgerGate<PostgresSigningLedger>(setup(env));
    try {
      expect(taken.ledger.term).to.equal(old.ledger.term + 1);
      const refused = await old.gate.protectTransaction(instructCall("pg-fenced")).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isFrameworkError(refused, "STORAGE_LEADERSHIP_LOST"), String(refused)).to.equal(true);
      const signed = await taken.gate.protectTransaction(instructCall("pg-taken"));
      expect(signed.nonce).to.equal(0);
      const claims = await query(url, "SELECT payload_hash FROM ledger_signing_records");
      expect(claims.map((r) => r.payload_hash)).to.deep.equal([signed.payloadHash]);
      expect(await query(url, "SELECT * FROM audit_log WHERE kind = 'signature'")).to.have.length(1);
    } finally {
      await old.close();
      await taken.close();
    }
  });

  it("refuses to sign once its leader lock is lost", async function () {
    const { env } = await freshDatabase();
    const lock = await LeaderLock.acquire({ bank: `ledger-${env}`, postgres: { url: { env } }, heartbeatMs: 60_000 });
    const opened = await openLedgerGate<PostgresSigningLedger>(setup(env, lock));
    try {
      await opened.gate.protectTransaction(instructCall("pg-lock-0"));
      await lock.release();
      const refused = await opened.gate.protectTransaction(instructCall("pg-lock-1")).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isFrameworkError(refused, "STORAGE_LEADERSHIP_LOST"), String(refused)).to.equal(true);
    } finally {
      await opened.close();
    }
  });
});

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(text)).rows;
  } finally {
    await client.end();
  }
}
