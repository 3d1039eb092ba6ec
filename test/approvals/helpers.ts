/**
 * Shared fixtures of the approval tests: fixed-key approvers, an intent and a decision demanding approvals,
 * a store at a location (a SQLite file or a PostgreSQL schema) with a real SQLite audit log beside it, and a
 * clock the test moves by hand.
 */
import { id, Wallet } from "ethers";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { SqliteAuditStore } from "../../src/audit";
import { ApprovalStore, signApproval, type SignedApproval, type Vote } from "../../src/approvals";
import type { Decision, IntentInput } from "../../src/policy";
import type { StorageLocationInput } from "../../src/storage";

export const CHAIN_ID = 2026;
export const TTL = 3600;
export const T0 = 1_800_000_000;

/** Fixed keys, so runs are reproducible. */
export const wallets = {
  alice: new Wallet(id("approvals-test/alice")),
  carol: new Wallet(id("approvals-test/carol")),
  dave: new Wallet(id("approvals-test/dave")),
  erin: new Wallet(id("approvals-test/erin")),
  mallory: new Wallet(id("approvals-test/mallory")),
};
export type Person = Exclude<keyof typeof wallets, "mallory">;

export function config(chainId = CHAIN_ID): {
  chainId: number;
  requestTtlSeconds: number;
  approvers: { id: string; address: string; roles: string[] }[];
} {
  return {
    chainId,
    requestTtlSeconds: TTL,
    approvers: [
      { id: "u-alice", address: wallets.alice.address, roles: ["trader", "compliance_officer"] },
      { id: "u-carol", address: wallets.carol.address, roles: ["compliance_officer"] },
      { id: "u-dave", address: wallets.dave.address, roles: ["compliance_officer"] },
      { id: "u-erin", address: wallets.erin.address, roles: ["ops"] },
    ],
  };
}

export function intent(patch: Partial<IntentInput> = {}): IntentInput {
  return {
    action: "settle",
    intent_id: "intent-0001",
    initiator: { id: "u-alice", roles: ["trader"] },
    counterparty: "BANKBXXX",
    asset: "EURT",
    amount: "25000000",
    exposure_used: "0",
    time_unix: T0,
    aml: "clear",
    key_tier: "hot",
    approvals: [],
    ...patch,
  };
}

export const quorumOfTwo: Decision = {
  outcome: "approval_required",
  reasons: ["COMPLIANCE_QUORUM: two compliance officers must approve"],
  approvals: { required: 2, roles: ["compliance_officer"], pending: ["COMPLIANCE_QUORUM"] },
};

/** A vote by `who` (signed with `signer`, default their own key) for `digest`. */
export function vote(
  who: Person,
  intentId: string,
  digest: string,
  options: { decision?: Vote; signer?: Wallet; chainId?: number; expiresAt?: number } = {},
): Promise<SignedApproval> {
  const message = {
    intentDigest: digest,
    approverId: `u-${who}`,
    decision: options.decision ?? "approve",
    expiresAt: options.expiresAt ?? T0 + 2 * TTL,
  };
  return signApproval(options.signer ?? wallets[who], intentId, message, options.chainId ?? CHAIN_ID);
}

/** A store at its location and its audit log in `dir`, with a clock at `clock.now`. */
export interface Harness {
  store: ApprovalStore;
  audit: SqliteAuditStore;
  clock: { now: number };
  reopen(): Promise<Harness>;
  close(): Promise<void>;
}

export async function openHarness(dir: string, location: StorageLocationInput, clock = { now: T0 }): Promise<Harness> {
  mkdirSync(dir, { recursive: true });
  const audit = SqliteAuditStore.open({
    path: path.join(dir, "audit.db"),
    table: "audit_log",
    pageSize: 100,
    busyTimeoutMs: 1000,
  });
  const store = await ApprovalStore.open({ ...location, config: config(), audit, now: () => clock.now }).catch(
    async (error: unknown) => {
      await audit.close();
      throw error;
    },
  );
  return {
    store,
    audit,
    clock,
    reopen() {
      return openHarness(dir, location, clock);
    },
    async close() {
      await store.close();
      await audit.close();
    },
  };
}
