/**
 * `Participant`: what a bank embeds. One object, opened from one configuration, owns the bank's HSM key (behind
 * double-sign protection and the policy gate), its decision engine with the signed policy bundle, its approval
 * requests and its audit log, and sends every consortium call through them: settlement steps, reversals,
 * governance votes, transfers. Each call is signed only if the bank's policy allowed it, tracked to its
 * receipt, and retried safely: a call already signed is rebroadcast with the same bytes, never signed anew.
 */
import { useAddressMemo } from "../core/addresses";
import { useNativeKeccak } from "../core/keccak";
import { MaxUint256, Transaction, type Provider, type TransactionReceipt } from "ethers";
import { SettlementEngine__factory, type SettlementEngine } from "../../typechain-types";
import { ApprovalStore, type ApprovalFilter, type ApprovalStatus } from "../approvals";
import {
  anchorHead,
  AuditAnchorSchedule,
  openAuditStore,
  type AnchorResult,
  type AuditRecord,
  type AuditStore,
  type VerifyResult,
} from "../audit";
import { IAuditAnchor__factory, PermissionedToken__factory, Consortium__factory } from "../../typechain-types";
import { CustodyWrongModelError } from "../custody";
import { ChainStateError, codeFamily, ConfigError, ErrorCode, isFrameworkError, TransactionError } from "../errors";
import { HealthServer, participantChecks, ParticipantMetrics, type HealthServerConfigInput } from "../observability";
import { logger } from "../observability/log";
import type { HsmKey } from "../signer";
import {
  PolicyEngine,
  PolicyRegistry,
  readBundle,
  SharedParametersSource,
  type PolicyVersion,
  type ReleaseReason,
  type SharedPolicyError,
  type TravelRule,
} from "../policy";
import { formatSettlementId, settlementIdOf, type SettlementTerms } from "../settlement";
import { NonceAllocator, ProtectedSigner, SigningRecordStore } from "../signer";
import {
  callPayloadHash,
  CallDecoder,
  onChainDirectory,
  PolicyGatedSigner,
  settlementLegIds,
  PostgresSigningLedger,
  SigningLedger,
  type AmlResult,
  type Initiator,
  type SignatureLedger,
} from "../orchestrator";
import { LeaderLock } from "../storage";
import { parseParticipantConfig, type ParticipantConfig, type ParticipantConfigInput } from "./config";
import { bookSettlement, type CustodyBooking } from "./custody-booking";
import { KeyGates, ParticipantSigners, type BankSigner } from "./signers";
import { recoverUnsent, type RecoveryResult, type UnresolvedNonce } from "./recover";
import { reportVersionChange } from "./version-change";
import { signNonceFill } from "./nonce-fill";
import { SubmissionStore, type Submission } from "./submissions";
import { Transmitter } from "./transmit";
import { configuredScreening, recordScreening, screeningSetting } from "./screening";

export interface ParticipantOptions {
  provider: Provider;
  /**
   * The bank's AML screening of a counterparty LEI. Without it, screening fails closed (every call with a
   * counterparty is denied) unless the configuration says `screening: "none"`.
   */
  screening?: (counterparty: string | undefined) => Promise<AmlResult> | AmlResult;
  /** Clock of the decision engine and approvals, in Unix seconds (default: the system clock). */
  now?: () => number;
  /**
   * Told of every periodic anchor that failed (configuration `anchoring`); the next round tries again.
   * Default: one JSON log line on stderr (src/observability/log.ts) with the error.
   */
  onAnchorError?: (error: unknown) => void;
  /**
   * Told at once when the consortium's shared-policy version changes in a way the active bundle does not accept
   * (`strict`: any change; `compatible`: a change of what the bundle says it depends on); the change is in the audit
   * log either way. Default: one JSON log line on stderr with the error.
   */
  onSharedConflict?: (error: SharedPolicyError) => void;
  /** With `standby` configured: told once when another process of the bank is active and this one waits. */
  onStandby?: () => void;
}

/** A call that reached the chain. */
export interface Submitted {
  txHash: string;
  nonce: number;
  receipt: TransactionReceipt;
  /** True when this call had been signed before and its transaction was found or rebroadcast. */
  retried: boolean;
}

/** A settlement step that reached the chain, with the settlement's id. */
export interface SettlementSubmitted extends Submitted {
  settlementId: string;
}

export class Participant {
  readonly config: ParticipantConfig;
  readonly address: string;
  readonly provider: Provider;
  readonly audit: AuditStore;
  readonly engine: PolicyEngine;
  readonly approvals: ApprovalStore;
  readonly gate: PolicyGatedSigner;
  /** The bank's own key: in a local HSM, or behind the remote signing module. */
  readonly hsm: BankSigner;
  /** The bank's key and custody's keys, directory and omnibus ledger. */
  readonly signers: ParticipantSigners;
  readonly #gates: KeyGates;
  /** This participant's metrics, on a registry of its own. */
  readonly metrics: ParticipantMetrics;
  #health: HealthServer | null = null;
  readonly #records: SigningRecordStore;
  /** The one store of audit log, reservations and signing records (undefined: separate files). */
  readonly #ledger: SignatureLedger | undefined;
  /** The bank's leader lock, held while this process is the active one (null: no standby configured). */
  readonly leader: LeaderLock | null;
  readonly #submissions: SubmissionStore;
  readonly #transmitter: Transmitter;
  readonly #settlement: SettlementEngine;
  /** The network's chain id, read once at open. */
  readonly #chainId: bigint;
  /** Periodic anchoring of the audit log's head, when configured. */
  readonly anchoring: AuditAnchorSchedule | null;
  /** Nonces start-up recovery could not fill by rebroadcasting, and no fill has taken yet. */
  #unresolved: UnresolvedNonce[] = [];
  /** Stops the watch of the shared parameters (none when they are not configured). */
  #stopWatch: () => void = () => undefined;

  private constructor(parts: {
    config: ParticipantConfig;
    provider: Provider;
    audit: AuditStore;
    engine: PolicyEngine;
    approvals: ApprovalStore;
    gates: KeyGates;
    signers: ParticipantSigners;
    records: SigningRecordStore;
    ledger: SignatureLedger | undefined;
    leader: LeaderLock | null;
    submissions: SubmissionStore;
    address: string;
    chainId: bigint;
    onAnchorError?: (error: unknown) => void;
    metrics: ParticipantMetrics;
  }) {
    this.metrics = parts.metrics;
    this.config = parts.config;
    this.provider = parts.provider;
    this.audit = parts.audit;
    this.engine = parts.engine;
    this.approvals = parts.approvals;
    this.#gates = parts.gates;
    this.gate = parts.gates.own;
    this.signers = parts.signers;
    this.hsm = parts.signers.own;
    this.#records = parts.records;
    this.#ledger = parts.ledger;
    this.leader = parts.leader;
    this.#submissions = parts.submissions;
    this.#transmitter = new Transmitter(parts.provider, parts.submissions, parts.config.submission);
    this.address = parts.address;
    this.#chainId = parts.chainId;
    this.#settlement = SettlementEngine__factory.connect(parts.config.consortium.engine, this.gate);
    const anchoring = parts.config.anchoring;
    this.anchoring =
      anchoring === undefined
        ? null
        : new AuditAnchorSchedule({
            store: parts.audit,
            anchor: () => this.anchorAudit(),
            intervalMs: anchoring.intervalSeconds * 1000,
            minNewRecords: anchoring.minNewRecords,
            onError: parts.onAnchorError ?? reportAnchorError,
          });
    this.anchoring?.start();
  }

  /**
   * Validates `input`, opens every store, logs in to the HSM, and activates the signed bundle (against the
   * on-chain shared-policy version when shared parameters are configured). Anything opened is closed again
   * if a later step fails.
   */
  static async open(input: ParticipantConfigInput, options: ParticipantOptions): Promise<Participant> {
    const config = parseParticipantConfig(input);
    // The signing path hashes dozens of times a signature: native Keccak-256, the same digests, for ethers.
    useNativeKeccak();
    useAddressMemo();
    const { provider } = options;
    const chainId = Number((await provider.getNetwork()).chainId);
    const closers: (() => Promise<void> | void)[] = [];
    try {
      const metrics = new ParticipantMetrics({ participant: config.bank.name });
      closers.push(() => metrics.close());
      // With a standby configured, nothing is opened (no state read) before this process is the active one.
      const leader = config.standby === undefined ? null : await acquireLeadership(config, options.onStandby);
      if (leader !== null) closers.push(() => leader.release());
      // One store (the signing ledger: audit log, reservations and signing records in one SQLite file or PostgreSQL
      // database), unless the configuration names separate files for the reservations and the signing records.
      const ledger = config.signingRecords === undefined ? await openLedger(config, leader) : undefined;
      if (ledger !== undefined) closers.push(() => ledger.close());
      const audit = metrics.observeAudit(ledger?.audit ?? (await openAuditStore(config.audit)));
      if (ledger === undefined) closers.push(() => audit.close());
      await recordScreening(audit, screeningSetting(config, options.screening !== undefined));
      const registry = await PolicyRegistry.open({
        complianceKeys: config.policy.complianceKeys,
        threshold: config.policy.threshold,
        chainId,
        audit,
      });
      const { consortium: c } = config;
      const shared: SharedParametersSource | undefined =
        config.sharedParameters === undefined
          ? undefined
          : SharedParametersSource.forConsortium(
              { address: c.consortium, provider },
              c.tokens,
              config.sharedParameters,
              options.now,
              (change): Promise<void> =>
                reportVersionChange(change, registry, shared!, audit, options.onSharedConflict),
            );
      const strict = shared?.config.versionPolicy === "strict";
      const onChainVersion = shared === undefined || !strict ? undefined : (await shared.current()).policyVersion;
      await registry.activate(await readBundle(config.policy.bundleDir), { onChainVersion });
      const engine = PolicyEngine.open({
        config: config.engine,
        registry,
        audit,
        shared: shared?.asGuard(),
        now: options.now,
        reservations: ledger?.reservations,
      });
      closers.push(() => engine.close());
      const approvals = await ApprovalStore.open({ ...config.approvals, audit, now: options.now });
      closers.push(() => approvals.close());
      if (config.hsm !== undefined) metrics.observeHsm(config.hsm.tokenLabel);
      const signers = await ParticipantSigners.open(config, provider);
      closers.push(() => signers.close());
      const records = ledger?.records ?? SigningRecordStore.open(config.signingRecords!);
      if (ledger === undefined) closers.push(() => records.close());
      const submissions = await SubmissionStore.open(config.submission);
      closers.push(() => submissions.close());
      const address = signers.address;
      const decoder = new CallDecoder({
        engine: c.engine,
        consortium: c.consortium,
        tokens: c.tokens.map((t) => t.address),
        accounts: [
          ...(config.bank.accounts.length > 0 ? config.bank.accounts : [address]),
          ...signers.custodyAccounts(),
        ],
        allowedTargets: [c.consortium, ...(c.auditAnchor === undefined ? [] : [c.auditAnchor])],
      });
      const allocator = new NonceAllocator(records);
      const gateOptions = {
        engine,
        decoder,
        directory: onChainDirectory(c.consortium, provider, c.tokens),
        audit,
        ledger,
        approvals,
        initiator: config.initiator,
        keyTier: signers.keyTier,
        chainId,
        screening: options.screening ?? configuredScreening(config, signers, audit),
      };
      const gates = new KeyGates(
        signers,
        (inner) => new PolicyGatedSigner({ ...gateOptions, inner: new ProtectedSigner(inner, allocator) }),
      );
      const participant = new Participant({
        config,
        provider,
        audit,
        engine,
        approvals,
        gates,
        signers,
        records,
        ledger,
        leader,
        submissions,
        address,
        chainId: BigInt(chainId),
        onAnchorError: options.onAnchorError,
        metrics,
      });
      closers.push(() => participant.anchoring?.stop());
      if (shared !== undefined) participant.#stopWatch = shared.watch();
      closers.push(() => participant.#stopWatch());
      const { unresolved } = await participant.recoverUnsent();
      await participant.#fillAtStart(unresolved);
      await participant.#seedAnchorAge();
      return participant;
    } catch (error) {
      for (const close of closers.reverse()) await close();
      throw error;
    }
  }

  /** The gate of the key that signs for `account`: a custody client's key, or the bank's own (`gate`). */
  gateFor(account: string): Promise<PolicyGatedSigner> {
    return this.#gates.for(account);
  }

  /** The active policy bundle's version and hash. */
  get policyVersion(): PolicyVersion | null {
    return this.engine.registry.active;
  }

  // ------------------------------------------------------------------ settlement steps

  /** Instructs `terms`; `travelRule` (originator and beneficiary) reaches the policy input as `travel_rule`. */
  instruct(terms: SettlementTerms, initiator?: Initiator, travelRule?: TravelRule): Promise<SettlementSubmitted> {
    return this.#step("instruct", [terms], terms, initiator, travelRule);
  }

  affirm(terms: SettlementTerms, initiator?: Initiator, travelRule?: TravelRule): Promise<SettlementSubmitted> {
    return this.#step("affirm", [terms], terms, initiator, travelRule);
  }

  settle(terms: SettlementTerms, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#step("settle", [terms], terms, initiator);
  }

  /** Affirms and settles in one call, as the counterparty: an affirmation (both legs through policy, exposure). */
  affirmAndSettle(terms: SettlementTerms, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#step("affirmAndSettle", [terms], terms, initiator);
  }

  /**
   * Asks to unwind an affirmed settlement (both escrowed legs go back); counts as this bank's approval. Like cancel,
   * it only gives escrow back: a shared-policy version change never blocks it. Released once it executes.
   */
  async requestUnwind(terms: SettlementTerms, reason: string, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#unwound(await this.#step("proposeUnwind", [terms, reason], terms, initiator));
  }

  /** Approves a requested unwind; when it executes, the bank's reserved exposure for the trade is released. */
  async approveUnwind(terms: SettlementTerms, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#unwound(await this.#step("approveUnwind", [terms], terms, initiator));
  }

  async cancel(terms: SettlementTerms, reason: string, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#released(await this.#step("cancel", [terms, reason], terms, initiator), "cancelled");
  }

  async release(terms: SettlementTerms, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#released(await this.#step("release", [terms], terms, initiator), "expired");
  }

  /** Proposes reversing a settled trade inside the reversal window (always needs the bank's approval). */
  requestReversal(terms: SettlementTerms, reason: string, initiator?: Initiator): Promise<SettlementSubmitted> {
    return this.#step("proposeReversal", [terms, reason], terms, initiator);
  }

  /** Approves a proposed reversal; when it executes, the bank's reserved exposure for the trade is released. */
  async approveReversal(terms: SettlementTerms, initiator?: Initiator): Promise<SettlementSubmitted> {
    const done = await this.#step("approveReversal", [terms], terms, initiator);
    const status = await this.#settlement.statusOf(done.settlementId);
    return status === 5n ? this.#released(done, "reversed") : done;
  }

  /**
   * Brings the bank's reserved exposure for `terms` in line with the chain: a settlement that was reversed,
   * cancelled, released or expired gives its usage back (each once). Returns the on-chain status code.
   */
  async syncSettlement(terms: SettlementTerms): Promise<bigint> {
    const id = formatSettlementId(settlementIdOf(terms));
    const status = await this.#settlement.statusOf(id);
    const reason: Partial<Record<string, ReleaseReason>> = {
      "5": "reversed",
      "6": "expired",
      "7": "expired",
      "8": "cancelled",
      "9": "unwound",
    };
    const release = reason[status.toString()];
    if (release !== undefined) await this.#releaseLegs(id, release);
    return status;
  }

  /**
   * Books a final settlement of the omnibus account for `clientId` in the custody ledger (see custody-booking.ts):
   * once, by settlement id; before it is final nothing is booked. Needs omnibus custody (CUSTODY_WRONG_MODEL).
   */
  async bookFinal(terms: SettlementTerms, clientId: string): Promise<CustodyBooking> {
    const { ledger, omnibus } = this.signers;
    if (ledger === null || omnibus === null) {
      throw new CustodyWrongModelError("omnibus", this.signers.custody?.model ?? "no");
    }
    const settlementId = formatSettlementId(settlementIdOf(terms));
    const status = await this.#settlement.statusOf(settlementId);
    return bookSettlement(ledger, omnibus.omnibus.address, { terms, settlementId, clientId, status });
  }

  // ------------------------------------------------------------------ tokens and governance

  /** Lets the settlement engine escrow this bank's tokens (once per token and key). */
  async approveEngine(): Promise<Submitted[]> {
    const done: Submitted[] = [];
    for (const token of this.config.consortium.tokens) {
      const data = PermissionedToken__factory.createInterface().encodeFunctionData("approve", [
        this.config.consortium.engine,
        MaxUint256,
      ]);
      // The bank's key, then each custody client key (their legs are locked in their own accounts).
      for (const from of [undefined, ...this.signers.clientAccounts()]) {
        done.push(await this.send({ to: token.address, data }, { from }));
      }
    }
    return done;
  }

  /** Transfers `amount` of `token` to `to`; `operationId` tells two identical transfers apart. */
  transfer(token: string, to: string, amount: bigint, operationId?: string): Promise<Submitted> {
    const data = PermissionedToken__factory.createInterface().encodeFunctionData("transfer", [to, amount]);
    return this.send({ to: token, data }, { operationId });
  }

  /** Governance through the gate (the consortium is an allowed target): propose, approve, execute. */
  governance(fn: "propose" | "approve" | "execute", args: readonly unknown[]): Promise<Submitted> {
    const data = Consortium__factory.createInterface().encodeFunctionData(fn as "approve", args as [bigint]);
    return this.send({ to: this.config.consortium.consortium, data });
  }

  // ------------------------------------------------------------------ approvals, policy, audit

  approvalRequests(filter: ApprovalFilter = {}): Promise<ApprovalStatus[]> {
    return this.approvals.list(filter);
  }

  /** Counts one approver's signed vote (see `signApproval` in src/approvals). */
  submitApproval(signed: unknown): Promise<ApprovalStatus> {
    return this.approvals.submit(signed);
  }

  /** Activates a new signed bundle (verified, audited); the next decision uses it. */
  async activatePolicy(bundleDir: string, onChainVersion?: number): Promise<PolicyVersion> {
    return this.engine.registry.activate(await readBundle(bundleDir), { onChainVersion });
  }

  verifyAudit(anchors = true): Promise<VerifyResult> {
    return this.#anchorsFor(anchors).then((list) => this.audit.verify({ anchors: list }));
  }

  async *auditRecords(fromSeq = 1): AsyncIterableIterator<AuditRecord> {
    yield* this.audit.records(fromSeq);
  }

  /** Posts the audit log's head to the consortium's AuditAnchor through the gate. */
  anchorAudit(): Promise<AnchorResult> {
    const anchor = this.config.consortium.auditAnchor;
    if (anchor === undefined) throw new ChainStateError(ErrorCode.DeploymentNotFound, "no AuditAnchor configured");
    return anchorHead(this.audit, IAuditAnchor__factory.connect(anchor, this.provider), this.gate);
  }

  /**
   * Serves GET /health (audit log writable, policy bundle active, HSM session usable, chain reachable) and
   * GET /metrics on `config.port` (0, the default: any free port; see `HealthServer.url`). Stopped by `close`.
   */
  async startHealthServer(config: HealthServerConfigInput = {}): Promise<HealthServer> {
    if (this.#health !== null) return this.#health;
    const checks = participantChecks({
      audit: this.audit,
      auditConfig: this.config.audit,
      policyVersion: () => this.policyVersion,
      signDigest: "key" in this.hsm ? (digest) => (this.hsm as { key: HsmKey }).key.signDigest(digest) : undefined,
      provider: this.provider,
    });
    this.#health = await HealthServer.start(config, { checks, metrics: () => this.metrics.exposition() });
    return this.#health;
  }

  async close(): Promise<void> {
    await this.#health?.close();
    this.metrics.close();
    this.#stopWatch();
    await this.anchoring?.stop();
    await this.engine.close();
    await this.approvals.close();
    await this.signers.close();
    await this.#submissions.close();
    if (this.#ledger !== undefined) await this.#ledger.close();
    else {
      this.#records.close();
      await this.audit.close();
    }
    await this.leader?.release();
  }

  // ------------------------------------------------------------------ submission

  /** Every signed transaction still waiting for its receipt (recorded, or found unsent at start). */
  pendingSubmissions(): Promise<Submission[]> {
    return this.#submissions.pending();
  }

  /**
   * Resolves, at start, every transaction this key signed that was never recorded as sent (a crash between
   * signing and recording): the exact signed bytes from the audit log's signature record are recorded under
   * the call's key, so that the retried call finds them and sends them instead of signing anew (retries are
   * matched by chain, target, value and calldata, or the operation id, never by gas or fee), and every pending
   * transaction whose nonce is still open is broadcast again. Returns the transactions recovered.
   */
  async recoverUnsent(): Promise<RecoveryResult> {
    const parts = {
      audit: this.audit,
      submissions: this.#submissions,
      records: this.#records,
      provider: this.provider,
      chainId: this.#chainId,
    };
    const result = await recoverUnsent({ ...parts, address: this.address });
    // Custody client keys: their calls' transactions are recovered the same way (their nonces are theirs).
    for (const client of this.signers.clientAccounts()) {
      const { recovered } = await recoverUnsent({ ...parts, address: client, keyPrefix: `${client}:` });
      result.recovered.push(...recovered);
    }
    return result;
  }

  /** Nonces that start-up recovery could not fill by rebroadcasting and that no fill has taken yet. */
  unresolvedNonces(): UnresolvedNonce[] {
    return [...this.#unresolved];
  }

  /**
   * Fills `nonce`, whose transaction can no longer be mined (or was never signed), with a zero-value transfer of
   * the key to itself, so that the transactions above it are not stuck behind a gap. The fill goes through the
   * gate as a `fill_nonce` intent, which the bank's policy allows only with an operations approval (the first call
   * opens the request and throws GATE_APPROVALS_PENDING; once approved, the same call signs). The allocation the
   * nonce held is given up only for the fill's signature, and taken back if the gate does not sign. Audited like
   * every signature; tracked to its receipt like every submission (`nonce-fill:<nonce>`).
   */
  async fillNonce(nonce: number, initiator?: Initiator): Promise<Submitted> {
    const key = `nonce-fill:${nonce}`;
    const earlier = await this.#submissions.get(key);
    if (earlier !== undefined) {
      const done = await this.#transmitter.track(key, earlier.raw, earlier.txHash, earlier.nonce, true);
      this.#unresolved = this.#unresolved.filter((u) => u.nonce !== nonce);
      return done;
    }
    const gate = this.gate.withContext({ initiator, intentId: key });
    const raw = await signNonceFill(gate, this.#records, this.address, this.#chainId, nonce);
    const tx = Transaction.from(raw);
    await this.#submissions.record(key, tx.hash!, raw, tx.nonce);
    const done = await this.#transmitter.track(key, raw, tx.hash!, tx.nonce, false);
    this.#unresolved = this.#unresolved.filter((u) => u.nonce !== nonce);
    return done;
  }

  /** At start: tries to fill each unresolved nonce; one still waiting for its approval stays listed. */
  async #fillAtStart(unresolved: readonly UnresolvedNonce[]): Promise<void> {
    this.#unresolved = [...unresolved];
    for (const u of unresolved) {
      try {
        await this.fillNonce(u.nonce);
      } catch (error) {
        // Waiting for operations (or denied): the nonces above it wait too, and stay listed for the operator.
        if (isFrameworkError(error, codeFamily("GATE_"))) break;
        throw error;
      }
    }
  }

  /**
   * Signs `call` through the gate and submits it, tracked to a receipt. A call signed before (same chain,
   * target, value and calldata, or the same `operationId`) is not signed again: its transaction is looked up
   * and rebroadcast with the same bytes. `from` names an account custody holds a client key for: that key signs
   * (default: the bank's own key).
   */
  async send(
    call: { to: string; data: string },
    context: { operationId?: string; initiator?: Initiator; from?: string; travelRule?: TravelRule } = {},
  ): Promise<Submitted> {
    const chainId = this.#chainId;
    const keyGate = await this.#gates.for(context.from);
    // A custody client key's calls are its own: the same call from the bank's key is another transaction.
    const by = keyGate === this.gate ? "" : `${await keyGate.getAddress()}:`;
    const key = context.operationId ?? `${by}${callPayloadHash(chainId, call.to, 0n, call.data)}`;
    const earlier = await this.#submissions.get(key);
    if (earlier !== undefined) return this.#transmitter.track(key, earlier.raw, earlier.txHash, earlier.nonce, true);
    const { initiator, operationId: intentId, travelRule } = context;
    const gate = keyGate.withContext({ initiator, intentId, ...(travelRule === undefined ? {} : { travelRule }) });
    const populated = await gate.populateTransaction({ to: call.to, data: call.data, chainId });
    const signed = await this.metrics.timeSigning(() => gate.protectTransaction(populated));
    await this.#submissions.record(key, signed.txHash, signed.serialized, signed.nonce);
    return this.#transmitter.track(key, signed.serialized, signed.txHash, signed.nonce, false);
  }

  async #step(
    fn:
      | "instruct"
      | "affirm"
      | "affirmAndSettle"
      | "settle"
      | "cancel"
      | "release"
      | "proposeReversal"
      | "approveReversal"
      | "proposeUnwind"
      | "approveUnwind",
    args: readonly unknown[],
    terms: SettlementTerms,
    initiator?: Initiator,
    travelRule?: TravelRule,
  ): Promise<SettlementSubmitted> {
    const data = this.#settlement.interface.encodeFunctionData(fn as "settle", args as [SettlementTerms]);
    const settlementId = formatSettlementId(settlementIdOf(terms));
    try {
      const from = this.signers.clientAccountOf(terms);
      const sent = await this.send({ to: this.config.consortium.engine, data }, { initiator, from, travelRule });
      return { ...sent, settlementId };
    } catch (error) {
      if (error instanceof TransactionError && (fn === "instruct" || fn === "affirm" || fn === "affirmAndSettle")) {
        await this.#releaseLegs(settlementId, "failed");
      }
      throw error;
    }
  }

  /** Releases the trade's exposure when the unwind executed in this call (status Unwound). */
  async #unwound(done: SettlementSubmitted): Promise<SettlementSubmitted> {
    const status = await this.#settlement.statusOf(done.settlementId);
    return status === 9n ? this.#released(done, "unwound") : done;
  }

  async #released(done: SettlementSubmitted, reason: ReleaseReason): Promise<SettlementSubmitted> {
    await this.#releaseLegs(done.settlementId, reason);
    return done;
  }

  /** Gives back the exposure of both legs of a settlement. */
  async #releaseLegs(settlementId: string, reason: ReleaseReason): Promise<void> {
    for (const id of settlementLegIds(settlementId)) await this.engine.release(id, reason);
  }

  /** The member this participant acts for (by its account or operator address); 0 when it is none. */
  async #memberId(): Promise<bigint> {
    const registry = Consortium__factory.connect(this.config.consortium.consortium, this.provider);
    const id = await registry.accountMember(this.address);
    return id !== 0n ? id : registry.operatorMember(this.address);
  }

  /**
   * Starts the anchor-age metric from the chain's latest anchor of this member, so that a restarted participant
   * reports the age of the anchor it made before (not "no anchor yet") until it anchors again.
   */
  async #seedAnchorAge(): Promise<void> {
    const anchor = this.config.consortium.auditAnchor;
    if (anchor === undefined) return;
    try {
      const memberId = await this.#memberId();
      if (memberId === 0n) return;
      const latest = await IAuditAnchor__factory.connect(anchor, this.provider).latest(memberId);
      if (latest.anchoredAt > 0n) this.metrics.anchored(Number(latest.anchoredAt) * 1000);
    } catch (error) {
      logger().warn({ err: error }, "the latest audit anchor could not be read; anchor age starts at the next anchor");
    }
  }

  async #anchorsFor(anchors: boolean) {
    const anchor = this.config.consortium.auditAnchor;
    if (!anchors || anchor === undefined) return [];
    const memberId = await this.#memberId();
    if (memberId === 0n) return [];
    const contract = IAuditAnchor__factory.connect(anchor, this.provider);
    const events = await contract.queryFilter(
      contract.filters.AuditHeadAnchored(memberId),
      this.config.consortium.fromBlock,
    );
    return events.map((e) => ({ seq: Number(e.args.seq), hash: e.args.head.replace(/^0x/, "").toLowerCase() }));
  }
}

/** Waits until this process holds the bank's leader lock (the URL is the signing ledger's). */
async function acquireLeadership(config: ParticipantConfig, onStandby: (() => void) | undefined): Promise<LeaderLock> {
  const { audit, standby } = config;
  if (audit.backend !== "postgres" || audit.url === undefined || standby === undefined) {
    throw new ConfigError(ErrorCode.ConfigInvalid, "a standby needs the signing ledger on PostgreSQL (audit.url)");
  }
  return LeaderLock.acquire(
    {
      bank: config.bank.name,
      postgres: { url: audit.url },
      pollIntervalMs: standby.pollMs,
      heartbeatMs: standby.heartbeatMs,
    },
    onStandby === undefined ? {} : { onStandby },
  );
}

/** The signing ledger in the audit log's SQLite file or PostgreSQL database. */
async function openLedger(config: ParticipantConfig, leader: LeaderLock | null): Promise<SignatureLedger> {
  const { audit } = config;
  if (audit.backend === "sqlite") return SigningLedger.open({ ...audit });
  if (audit.url === undefined) {
    throw new ConfigError(ErrorCode.ConfigInvalid, "the signing ledger on PostgreSQL reads its URL from audit.url");
  }
  return PostgresSigningLedger.open({
    postgres: { url: audit.url, poolSize: audit.poolSize },
    table: audit.table,
    pageSize: audit.pageSize,
    ...(leader === null ? {} : { lock: leader }),
  });
}

/** The default report of a failed periodic anchor: one log line with the error. */
function reportAnchorError(error: unknown): void {
  logger().error({ err: error }, "audit anchoring failed");
}
