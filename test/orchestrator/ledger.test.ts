// The signing ledger: every gated signature is committed once (decision, reservation, nonce claim, signature
// records in one transaction of one SQLite file), concurrent signatures share commits, and a crash between the
// signature and its commit leaves nothing behind and releases nothing.
import { expect } from "chai";
import { spawn } from "node:child_process";
import nodeFs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Transaction } from "ethers";
import { readPolicyFiles, writeBundle } from "../../src/policy";
import { generateSecp256k1Key } from "../../src/signer";
import { compliance, complianceKeys, signedBy, unsigned, type BankDocument } from "../policy/bundles";
import { buildBankPolicy } from "../policy/helpers";
import { SoftHsm } from "../signer/softhsm";
import { instructCall, LEDGER_BANK_B, LEDGER_CHAIN_ID, openLedgerGate, type LedgerGateSetup } from "./ledger-fixture";

const TOKEN = "ledger-test";
const WORKER = path.join(__dirname, "ledger-worker.ts");
const HOOK = path.join(__dirname, "..", "support", "ts-cache.js");
const UNLIMITED = "900000000000000";

describe("SigningLedger (one commit per signature)", function () {
  let hsm: SoftHsm;
  let dir: string;
  let bundleDir: string;
  let address: string;
  let runs = 0;

  before(async function () {
    this.timeout(5 * 60_000);
    hsm = SoftHsm.create([TOKEN]);
    dir = await mkdtemp(path.join(tmpdir(), "signing-ledger-"));
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
    hsm?.destroy();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh ledger file for one test. */
  function setup(): LedgerGateSetup {
    runs += 1;
    return {
      ledgerPath: path.join(dir, `ledger-${runs}.sqlite`),
      bundleDir,
      complianceKeys,
      hsm: hsm.config(TOKEN, { label: "settlement" }),
    };
  }

  /** Counts every other way a record could be committed: the audit log's own appends, the engine's batches. */
  function otherCommits(opened: Awaited<ReturnType<typeof openLedgerGate>>): () => number {
    let count = 0;
    const { ledger } = opened;
    const audit = ledger.audit;
    for (const name of ["append", "appendMany"] as const) {
      const original = audit[name].bind(audit) as (...args: unknown[]) => Promise<unknown>;
      (audit as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        count += 1;
        return original(...args);
      };
    }
    const reservations = ledger.reservations;
    const reserveAll = reservations.reserveAll.bind(reservations);
    reservations.reserveAll = (batch) => {
      if (batch.length > 0) count += 1;
      return reserveAll(batch);
    };
    const records = ledger.records;
    const claim = records.claimNextIntents.bind(records);
    records.claimNextIntents = (...args) => {
      count += 1;
      return claim(...args);
    };
    return () => count;
  }

  it("commits each sequential gated signature once: decision, reservation, nonce claim and records together", async function () {
    const opened = await openLedgerGate(setup());
    try {
      const { ledger, gate, engine } = opened;
      const others = otherCommits(opened);
      for (let i = 0; i < 3; i++) {
        const before = ledger.commits;
        const signed = await gate.protectTransaction(instructCall(`sequential-${i}`));
        expect(ledger.commits - before).to.equal(1);
        expect(signed.nonce).to.equal(i);
        expect(ledger.records.intent(address, BigInt(LEDGER_CHAIN_ID), i)?.payloadHash).to.equal(signed.payloadHash);
      }
      expect(others()).to.equal(0);
      const records = [];
      for await (const r of ledger.audit.records()) records.push(r);
      const signatures = records.filter((r) => r.kind === "signature");
      const decisions = records.filter((r) => r.kind === "decision" && r.subject !== null);
      expect(signatures).to.have.length(3);
      // A DvP is decided leg by leg: two allow decisions and two reservations per signature.
      expect(decisions.filter((r) => (r.payload as { outcome: string }).outcome === "allow")).to.have.length(6);
      for (const s of signatures) {
        const intentId = s.subject!;
        expect(engine.reservation(intentId)?.state).to.equal("reserved");
        expect(engine.reservation(`${intentId}:asset`)?.state).to.equal("reserved");
        expect(Transaction.from((s.payload as { raw: string }).raw).from).to.equal(address);
      }
      expect((await ledger.audit.verify()).ok).to.be.true;
    } finally {
      await opened.close();
    }
  });

  it("group-commits 16 concurrent signatures in fewer than 16 transactions, every one recorded", async function () {
    const opened = await openLedgerGate(setup());
    try {
      const { ledger, gate } = opened;
      const before = ledger.commits;
      const signed = await Promise.all(
        Array.from({ length: 16 }, (_, i) => gate.protectTransaction(instructCall(`concurrent-${i}`))),
      );
      const commits = ledger.commits - before;
      expect(commits).to.be.greaterThan(0).and.lessThan(16);
      expect(new Set(signed.map((s) => s.nonce)).size).to.equal(16);
      for (const s of signed) {
        expect(ledger.records.intent(address, BigInt(LEDGER_CHAIN_ID), s.nonce)?.payloadHash).to.equal(s.payloadHash);
      }
      const recorded = new Set<string>();
      for await (const r of ledger.audit.records()) {
        if (r.kind === "signature") recorded.add((r.payload as { txHash: string }).txHash);
      }
      expect(signed.every((s) => recorded.has(s.txHash))).to.be.true;
      expect((await ledger.audit.verify()).ok).to.be.true;
    } finally {
      await opened.close();
    }
  });

  it("leaves no record and releases no signature when the process dies between signing and the commit", async function () {
    this.timeout(120_000);
    const job = setup();
    const out = await new Promise<{ stdout: string; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(process.execPath, ["-r", HOOK, WORKER, JSON.stringify(job)], {
        env: { ...process.env, TS_TRANSPILE_CACHE: path.join(dir, "transpiled") },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.on("error", reject);
      child.on("close", (_code, signal) => resolve({ stdout, signal }));
    });
    // The HSM signed; the process died at the commit, before the gate could release the signature.
    expect(out.signal).to.equal("SIGKILL");
    expect(out.stdout).to.include("hsm-signed");
    expect(out.stdout).not.to.include("released");
    const opened = await openLedgerGate(job);
    try {
      const { ledger, gate, engine } = opened;
      expect(ledger.records.highestNonce(address, BigInt(LEDGER_CHAIN_ID))).to.equal(undefined);
      const kinds: string[] = [];
      for await (const r of ledger.audit.records()) kinds.push(r.kind);
      expect(kinds).not.to.include("signature");
      expect(kinds.filter((k) => k === "decision")).to.have.length(0);
      // The nonce is free again: the same call signs at nonce 0, reserved once.
      const signed = await gate.protectTransaction(instructCall("crash"));
      expect(signed.nonce).to.equal(0);
      const intentId = ledger.records.intent(address, BigInt(LEDGER_CHAIN_ID), 0);
      expect(intentId?.payloadHash).to.equal(signed.payloadHash);
      const reserved = [];
      for await (const r of ledger.audit.records()) if (r.kind === "decision") reserved.push(r.subject);
      expect(reserved.filter((s) => s !== null)).to.have.length(2);
      expect(engine.reservation(reserved[0]!)?.state).to.equal("reserved");
    } finally {
      await opened.close();
    }
  });

  it("releases a signature only after its commit is flushed to disk, and none once a flush has failed", async function () {
    // The disk is the subject here: its flush is held back, then made to fail (EIO), through node:fs itself.
    const fs = nodeFs as unknown as {
      fsync: (fd: number, cb: (error: NodeJS.ErrnoException | null) => void) => void;
    };
    const realFsync = fs.fsync;
    const held: (() => void)[] = [];
    let failing = false;
    fs.fsync = (fd, cb) => {
      if (failing) {
        const error = Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
        held.push(() => cb(error));
      } else held.push(() => realFsync(fd, cb));
    };
    const opened = await openLedgerGate(setup());
    try {
      const { ledger, gate } = opened;
      let released = false;
      const first = gate.protectTransaction(instructCall("flush-held")).then((s) => {
        released = true;
        return s;
      });
      // Committed to SQLite, but not yet on disk: nothing is released while the flush waits.
      while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(ledger.commits).to.equal(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(released).to.equal(false);
      held.shift()!();
      expect((await first).nonce).to.equal(0);

      failing = true;
      const second = gate.protectTransaction(instructCall("flush-fails"));
      while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
      held.shift()!();
      await expect(second).to.be.rejectedWith(/could not flush its commit/);
      failing = false;
      // The disk refused once: nothing committed after it is ever reported durable, so nothing more is signed.
      const third = gate.protectTransaction(instructCall("after-failure"));
      await expect(third).to.be.rejectedWith(/could not flush its commit/);
    } finally {
      fs.fsync = realFsync;
      held.splice(0).forEach((release) => release());
      await opened.close().catch(() => undefined);
    }
  });
});
