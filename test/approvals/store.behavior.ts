/**
 * The approval store's behaviour, run by store.test.ts on SQLite and on PostgreSQL, with a real SQLite audit
 * log and fixed-key ethers Wallets as approvers: each failure mode by name, state across reopening, and the
 * audit trail.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AuditRecord } from "../../src/audit";
import { approvalDomain, APPROVAL_TYPES, intentDigest, type ApprovalErrorCode } from "../../src/approvals";
import { isFrameworkError } from "../../src/errors";
import type { TestBackend } from "../support/storage";
import { CHAIN_ID, intent, openHarness, quorumOfTwo, T0, TTL, vote, wallets, type Harness } from "./helpers";

async function expectRefusal(promise: Promise<unknown>, code: ApprovalErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(isFrameworkError(caught, code), `expected ${code}, got ${String(caught)}`).to.equal(true);
}

async function events(h: Harness): Promise<{ event: string; code?: string }[]> {
  const records: AuditRecord[] = [];
  for await (const r of h.audit.records()) records.push(r);
  expect(records.every((r) => r.kind === "approval")).to.equal(true);
  return records.map((r) => r.payload as { event: string; code?: string });
}

export function shouldBehaveLikeAnApprovalStore(backend: TestBackend): void {
  let runDir: string;
  let counter = 0;
  let h: Harness;
  const subject = intent();
  const digest = intentDigest(subject);

  before(function () {
    runDir = mkdtempSync(path.join(tmpdir(), "approvals-"));
  });

  after(function () {
    rmSync(runDir, { recursive: true, force: true });
  });

  beforeEach(async function () {
    counter += 1;
    h = await openHarness(path.join(runDir, `case-${counter}`), await backend.location());
    await h.store.request(subject, quorumOfTwo);
  });

  afterEach(async function () {
    await h.close();
  });

  it("reaches a quorum of two with two distinct compliance officers", async function () {
    const first = await h.store.submit(await vote("carol", "intent-0001", digest));
    expect(first.state).to.equal("pending");
    const second = await h.store.submit(await vote("dave", "intent-0001", digest));
    expect(second.state).to.equal("approved");
    expect(second.approvals).to.deep.equal([
      { id: "u-carol", roles: ["compliance_officer"] },
      { id: "u-dave", roles: ["compliance_officer"] },
    ]);
    expect(intentDigest({ ...subject, approvals: second.approvals })).to.equal(digest);
  });

  it("refuses an approval signed for another transaction", async function () {
    const other = intentDigest(intent({ amount: "99000000" }));
    await expectRefusal(h.store.submit(await vote("carol", "intent-0001", other)), "APPROVAL_DIGEST_MISMATCH");
    expect((await h.store.status("intent-0001")).votes).to.deep.equal([]);
  });

  it("refuses the initiator's own approval", async function () {
    await expectRefusal(h.store.submit(await vote("alice", "intent-0001", digest)), "APPROVAL_SELF_APPROVAL");
  });

  it("counts a duplicate approval from one approver once", async function () {
    const carol = await vote("carol", "intent-0001", digest);
    await h.store.submit(carol);
    const again = await h.store.submit(carol);
    expect(again.state).to.equal("pending");
    expect(again.votes).to.have.length(1);
    const later = await vote("carol", "intent-0001", digest, { expiresAt: T0 + 3 * TTL });
    await expectRefusal(h.store.submit(later), "APPROVAL_DUPLICATE_VOTE");
    expect((await h.store.status("intent-0001")).state).to.equal("pending");
  });

  it("refuses an approval from an unknown key", async function () {
    const forged = await vote("carol", "intent-0001", digest, { signer: wallets.mallory });
    await expectRefusal(h.store.submit(forged), "APPROVAL_SIGNATURE_INVALID");
  });

  it("refuses an approval signed with another approver's key for this approver id", async function () {
    const borrowed = await vote("carol", "intent-0001", digest, { signer: wallets.dave });
    await expectRefusal(h.store.submit(borrowed), "APPROVAL_SIGNATURE_INVALID");
  });

  it("refuses an approver id missing from the directory", async function () {
    const message = { ...(await vote("carol", "intent-0001", digest)).message, approverId: "u-zed" };
    const types = { Approval: APPROVAL_TYPES.Approval.map((f) => ({ ...f })) };
    const signature = await wallets.mallory.signTypedData(approvalDomain(CHAIN_ID), types, message);
    await expectRefusal(h.store.submit({ intentId: "intent-0001", message, signature }), "APPROVAL_UNKNOWN_APPROVER");
  });

  it("refuses an approval signed on another chain id", async function () {
    const foreign = await vote("carol", "intent-0001", digest, { chainId: CHAIN_ID + 1 });
    await expectRefusal(h.store.submit(foreign), "APPROVAL_SIGNATURE_INVALID");
  });

  it("refuses an approver without an accepted role", async function () {
    await expectRefusal(h.store.submit(await vote("erin", "intent-0001", digest)), "APPROVAL_ROLE_NOT_ACCEPTED");
  });

  it("refuses an approval whose own signature has expired", async function () {
    const stale = await vote("carol", "intent-0001", digest, { expiresAt: T0 - 1 });
    await expectRefusal(h.store.submit(stale), "APPROVAL_EXPIRED");
  });

  it("refuses new approvals on an expired request and reports it expired", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest));
    h.clock.now = T0 + TTL;
    await expectRefusal(h.store.submit(await vote("dave", "intent-0001", digest)), "APPROVAL_EXPIRED");
    const status = await h.store.status("intent-0001");
    expect(status.state).to.equal("expired");
    expect(status.votes).to.have.length(1);
    expect((await h.store.list({ state: "expired" })).map((s) => s.intentId)).to.deep.equal(["intent-0001"]);
  });

  it("does not accept an approved request past its expiry", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest));
    expect((await h.store.submit(await vote("dave", "intent-0001", digest))).state).to.equal("approved");
    h.clock.now = T0 + TTL;
    const status = await h.store.status("intent-0001");
    expect(status.state).to.equal("expired");
    await expectRefusal(h.store.consume("intent-0001"), "APPROVAL_EXPIRED");
  });

  it("does not count a vote past its own expiresAt", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest, { expiresAt: T0 + 60 }));
    await h.store.submit(await vote("dave", "intent-0001", digest));
    h.clock.now = T0 + 60;
    const status = await h.store.status("intent-0001");
    expect(status.state).to.equal("expired");
    expect(status.approvals.map((a) => a.id)).to.deep.equal(["u-dave"]);
    await expectRefusal(h.store.consume("intent-0001"), "APPROVAL_EXPIRED");
  });

  it("grants an approval to exactly one signature: a second consume is refused", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest));
    await h.store.submit(await vote("dave", "intent-0001", digest));
    expect((await h.store.consume("intent-0001", { txHash: "0x01" })).state).to.equal("consumed");
    await expectRefusal(h.store.consume("intent-0001"), "APPROVAL_REQUEST_CLOSED");
    await expectRefusal(h.store.submit(await vote("erin", "intent-0001", digest)), "APPROVAL_REQUEST_CLOSED");
  });

  it("opens an expired request afresh when the same intent is asked for again", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest));
    h.clock.now = T0 + TTL;
    expect((await h.store.status("intent-0001")).state).to.equal("expired");
    const reopened = await h.store.request(subject, quorumOfTwo);
    expect(reopened).to.include({ state: "pending", expiresAt: T0 + 2 * TTL });
    expect(reopened.votes).to.deep.equal([]);
  });

  it("closes the request as rejected on a rejection", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest));
    const rejected = await h.store.submit(await vote("dave", "intent-0001", digest, { decision: "reject" }));
    expect(rejected.state).to.equal("rejected");
    expect(rejected.approvals.map((a) => a.id)).to.deep.equal(["u-carol"]);
    await expectRefusal(h.store.submit(await vote("erin", "intent-0001", digest)), "APPROVAL_REQUEST_CLOSED");
  });

  it("keeps one request per intent id and refuses a different digest for the same id", async function () {
    const again = await h.store.request(subject, quorumOfTwo);
    expect(again.digest).to.equal(digest);
    expect(await h.store.list()).to.have.length(1);
    await expectRefusal(h.store.request(intent({ amount: "1" }), quorumOfTwo), "APPROVAL_REQUEST_CONFLICT");
  });

  it("refuses to open a request for a decision that needs no approval", async function () {
    const allow = { ...quorumOfTwo, outcome: "allow" as const, approvals: { required: 0, roles: [], pending: [] } };
    await expectRefusal(h.store.request(intent({ intent_id: "intent-0002" }), allow), "APPROVAL_NOT_REQUIRED");
  });

  it("keeps its state across reopening the store", async function () {
    await h.store.submit(await vote("carol", "intent-0001", digest));
    await h.close();
    h = await h.reopen();
    const status = await h.store.status("intent-0001");
    expect(status.state).to.equal("pending");
    expect(status.votes.map((v) => v.approverId)).to.deep.equal(["u-carol"]);
    expect((await h.store.submit(await vote("dave", "intent-0001", digest))).state).to.equal("approved");
  });

  it("records every step in the audit log and the chain verifies", async function () {
    await expectRefusal(h.store.submit(await vote("alice", "intent-0001", digest)), "APPROVAL_SELF_APPROVAL");
    await h.store.submit(await vote("carol", "intent-0001", digest));
    await h.store.submit(await vote("dave", "intent-0001", digest));
    await h.store.request(intent({ intent_id: "intent-0002" }), quorumOfTwo);
    await h.store.submit(
      await vote("carol", "intent-0002", intentDigest(intent({ intent_id: "intent-0002" })), {
        decision: "reject",
      }),
    );
    await h.store.request(intent({ intent_id: "intent-0003" }), quorumOfTwo);
    h.clock.now = T0 + TTL;
    expect((await h.store.status("intent-0003")).state).to.equal("expired");
    const log = await events(h);
    expect(log.map((e) => e.event)).to.deep.equal([
      "requested",
      "refused",
      "approved",
      "approved",
      "completed",
      "requested",
      "rejected",
      "requested",
      "expired",
    ]);
    expect(log[1].code).to.equal("APPROVAL_SELF_APPROVAL");
    expect((await h.audit.verify()).ok).to.equal(true);
  });

  it("refuses a database written by a newer release with STORAGE_SCHEMA_TOO_NEW", async function () {
    const location = await backend.location();
    const dir = path.join(runDir, `future-${counter}`);
    await (await openHarness(dir, location)).close();
    await backend.sql(
      location,
      "INSERT INTO storage_migrations_approvals (name, timestamp) VALUES ('approvals/0099_future', 'later')",
    );
    const error: unknown = await openHarness(dir, location).catch((e: unknown) => e);
    expect(isFrameworkError(error, "STORAGE_SCHEMA_TOO_NEW")).to.equal(true);
    expect((error as { details: unknown }).details).to.include({
      store: "approvals",
      databaseVersion: 99,
      codeVersion: 1,
    });
  });
}
