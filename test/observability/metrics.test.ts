/**
 * A participant's metrics on their own: a registry per participant (two never mix, the global default registry
 * stays empty), decisions and signatures read from committed records, HSM events of the participant's own token
 * only, failed signatures timed apart, and the anchor age from the last anchor record on a fixed clock.
 */
import { expect } from "chai";
import { register } from "prom-client";
import type { AuditRecord } from "../../src/audit";
import { ParticipantMetrics } from "../../src/observability";
import { reportHsmFailure } from "../../src/signer";

const at = "2026-12-01T10:00:00.000Z";
const rec = (seq: number, kind: AuditRecord["kind"], payload: AuditRecord["payload"]): AuditRecord => ({
  seq,
  kind,
  at,
  subject: null,
  payload,
  prevHash: "0".repeat(64),
  hash: "0".repeat(64),
});

async function value(metrics: ParticipantMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values
    .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

describe("observability: participant metrics", function () {
  let now: number;
  let alpha: ParticipantMetrics;
  let beta: ParticipantMetrics;

  beforeEach(function () {
    now = Date.parse(at);
    alpha = new ParticipantMetrics({ participant: "Alpha Bank", now: () => now });
    beta = new ParticipantMetrics({ participant: "Beta Bank" });
  });

  afterEach(function () {
    alpha.close();
    beta.close();
  });

  it("counts decisions by outcome and signatures from one commit, on the participant's registry only", async function () {
    alpha.recordCommit([
      rec(1, "decision", { stage: "policy", outcome: "allow" }),
      rec(2, "decision", { stage: "gate", outcome: "deny" }),
      rec(3, "decision", { stage: "policy", outcome: "approval_required" }),
      rec(4, "decision", { stage: "policy", outcome: "maybe" }),
      rec(5, "signature", { txHash: "0x01" }),
      rec(6, "approval", { vote: "approve" }),
    ]);
    expect(await value(alpha, "consortium_decisions_total", { outcome: "allow", stage: "policy" })).to.equal(1);
    expect(await value(alpha, "consortium_decisions_total", { outcome: "deny", stage: "gate" })).to.equal(1);
    expect(await value(alpha, "consortium_decisions_total")).to.equal(3);
    expect(await value(alpha, "consortium_signatures_total")).to.equal(1);
    expect(await value(alpha, "consortium_durable_commits_total", { store: "audit" })).to.equal(1);
    expect(await value(beta, "consortium_decisions_total")).to.equal(0);
    expect(await register.metrics()).not.to.include("consortium_");
  });

  it("counts HSM retries and errors of its own token only", async function () {
    alpha.observeHsm("alpha");
    reportHsmFailure("alpha", "retry", new Error("CKR_SESSION_HANDLE_INVALID"));
    reportHsmFailure("alpha", "error", Object.assign(new Error("gone"), { code: "HSM_UNAVAILABLE" }));
    reportHsmFailure("beta", "retry", new Error("CKR_DEVICE_REMOVED"));
    expect(await value(alpha, "consortium_hsm_retries_total", { code: "CKR_SESSION_HANDLE_INVALID" })).to.equal(1);
    expect(await value(alpha, "consortium_hsm_retries_total")).to.equal(1);
    expect(await value(alpha, "consortium_hsm_errors_total", { code: "HSM_UNAVAILABLE" })).to.equal(1);
    alpha.close();
    reportHsmFailure("alpha", "retry", new Error("CKR_SESSION_HANDLE_INVALID"));
    expect(await value(alpha, "consortium_hsm_retries_total")).to.equal(1);
  });

  it("times a failed signature apart from the signed ones and rethrows its error", async function () {
    expect(await alpha.timeSigning(() => Promise.resolve("0xsigned"))).to.equal("0xsigned");
    const failure = new Error("denied");
    expect(await alpha.timeSigning(() => Promise.reject(failure)).catch((e: unknown) => e)).to.equal(failure);
    const text = await alpha.registry.metrics();
    expect(text).to.include('consortium_signing_duration_seconds_count{participant="Alpha Bank",result="ok"} 1');
    expect(text).to.include('consortium_signing_duration_seconds_count{participant="Alpha Bank",result="error"} 1');
  });

  it("reports the anchor age from the last anchor record, NaN before the first", async function () {
    expect(await value(alpha, "consortium_anchor_age_seconds")).to.be.NaN;
    alpha.recordCommit([rec(7, "anchor", { seq: 6 })]);
    now += 90_000;
    expect(await value(alpha, "consortium_anchor_age_seconds")).to.equal(90);
  });
});
