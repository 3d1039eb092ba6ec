/**
 * A participant's metrics and health endpoint on real parts: the demo's three banks (SoftHSM keys, signed
 * bundles of the real bank policy, SQLite logs) on the in-process network, read over real HTTP. The counters
 * equal what the bank's audit log holds; HSM retries are counted after a real session loss; the health answer
 * turns 503 naming the HSM once its key is closed.
 */
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DemoBank } from "../../src/demo/banks";
import { SOFTHSM_MODULE } from "../../src/demo/softhsm";
import type { DeploymentRecord } from "../../src/deploy";
import type { HealthServer } from "../../src/observability";
import { acquireLibrary, HsmSigner } from "../../src/signer";
import { findSlot } from "../../src/signer/token";
import { isFrameworkError } from "../../src/errors";
import { openDemoConsortium, reopenBank } from "../participant/helpers";
import { isolateChain } from "../tasks/helpers";

/** The sum of the samples of `name` whose labels include `labels`, in a Prometheus text exposition. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const has = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

describe("observability: a participant's metrics and health", function () {
  isolateChain();
  let dir: string;
  let banks: DemoBank[];
  let record: DeploymentRecord;
  let server: HealthServer;
  let clock: Awaited<ReturnType<typeof openDemoConsortium>>["clock"];

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "observability-"));
    ({ record, banks, clock } = await openDemoConsortium(dir));
    server = await banks[0].participant.startHealthServer({ port: 0 });
  });

  after(async function () {
    for (const b of banks ?? []) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function metrics(): Promise<string> {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).to.equal(200);
    return res.text();
  }

  it("answers 200 with the four checks ok", async function () {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      status: "ok",
      checks: {
        audit_log_writable: { status: "ok" },
        policy_bundle_active: { status: "ok" },
        hsm_session_usable: { status: "ok" },
        chain_reachable: { status: "ok" },
      },
    });
  });

  it("counts decisions, signatures and commits exactly as the bank's audit log holds them", async function () {
    const [alpha, beta] = banks;
    const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
    const terms = {
      tradeRef: encodeBytes32String("OBSERVED-1"),
      kind: 0,
      seller: beta.address,
      buyer: alpha.address,
      asset: token("B30"),
      assetAmount: 10n,
      cash: token("aEUR"),
      cashAmount: 1_000_00n,
    };
    await beta.participant.instruct(terms);
    await alpha.participant.affirm(terms);
    // Over Alpha's per-settlement limit: denied by Alpha's policy, nothing signed.
    const tooLarge = { ...terms, tradeRef: encodeBytes32String("OBSERVED-2"), cashAmount: 100_000_001n };
    const refused = await alpha.participant
      .instruct({ ...tooLarge, seller: alpha.address, buyer: beta.address })
      .catch((e: unknown) => e);
    expect(isFrameworkError(refused, "GATE_DENIED"), String(refused)).to.equal(true);
    await alpha.participant.anchorAudit();
    const counts = { signature: 0, anchor: 0, allow: 0, deny: 0, approval_required: 0, records: 0 };
    for await (const r of alpha.participant.auditRecords()) {
      counts.records += 1;
      if (r.kind === "signature" || r.kind === "anchor") counts[r.kind] += 1;
      const outcome = (r.payload as { outcome?: string }).outcome;
      if (r.kind === "decision" && outcome !== undefined && outcome in counts) counts[outcome as "allow"] += 1;
    }
    const text = await metrics();
    const alphaOnly = { participant: "Alpha Bank" };
    expect(counts.signature).to.be.greaterThan(0);
    expect(counts.deny).to.be.greaterThan(0);
    expect(sample(text, "consortium_signatures_total", alphaOnly)).to.equal(counts.signature);
    for (const outcome of ["allow", "deny", "approval_required"] as const) {
      expect(sample(text, "consortium_decisions_total", { ...alphaOnly, outcome }), outcome).to.equal(counts[outcome]);
    }
    const commits = sample(text, "consortium_durable_commits_total", { ...alphaOnly, store: "audit" });
    expect(commits).to.be.within(1, counts.records);
    // Every signature but the anchor's (posted by the audit anchoring, not a settlement call) was timed.
    const timed = sample(text, "consortium_signing_duration_seconds_count", { ...alphaOnly, result: "ok" });
    expect(timed).to.equal(counts.signature - counts.anchor);
    const age = sample(text, "consortium_anchor_age_seconds", alphaOnly);
    expect(age).to.be.at.least(0).and.below(600);
    // Beta's registry is its own: Alpha's endpoint carries none of Beta's series.
    expect(text).not.to.include('participant="Beta Bank"');
  });

  it("reports the age of the anchor made before a restart, not 'no anchor yet'", async function () {
    const beta = banks[1];
    await beta.participant.anchorAudit();
    const reopened = await reopenBank(beta, clock);
    const own = await reopened.startHealthServer({ port: 0 });
    try {
      const text = await (await fetch(`${own.url}/metrics`)).text();
      const age = sample(text, "consortium_anchor_age_seconds", { participant: "Beta Bank" });
      // The chain's clock is the demo's (moved to a Monday morning): the age is a number, never NaN.
      expect(Number.isFinite(age), `anchor age ${age}`).to.equal(true);
      expect(age).to.be.at.least(0);
    } finally {
      await own.close();
    }
  });

  it("counts an HSM retry after every session of the token was closed, and signs on", async function () {
    const [alpha] = banks;
    const before = await metrics();
    const labels = { participant: "Alpha Bank", code: "CKR_SESSION_HANDLE_INVALID" };
    const library = acquireLibrary(SOFTHSM_MODULE);
    try {
      library.api().C_CloseAllSessions(findSlot(library.api(), alpha.short));
    } finally {
      library.release();
    }
    expect((await fetch(`${server.url}/health`)).status).to.equal(200);
    const retries = (text: string): number => sample(text, "consortium_hsm_retries_total", labels);
    expect(retries(await metrics())).to.equal(retries(before) + 1);
    expect(sample(await metrics(), "consortium_hsm_errors_total")).to.equal(0);
  });

  it("answers 503 naming the HSM once its key is closed", async function () {
    const own = banks[0].participant.hsm;
    expect(own).to.be.instanceOf(HsmSigner);
    await (own as HsmSigner).close();
    const res = await fetch(`${server.url}/health`);
    expect(res.status).to.equal(503);
    const body = (await res.json()) as { status: string; failing: string[]; checks: Record<string, unknown> };
    expect(body.status).to.equal("failing");
    expect(body.failing).to.deep.equal(["hsm_session_usable"]);
    expect(body.checks.hsm_session_usable).to.include({ status: "failing", code: "HSM_SIGNER_CLOSED" });
  });
});
