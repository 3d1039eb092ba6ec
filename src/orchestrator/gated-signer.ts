/**
 * `PolicyGatedSigner`: wraps the HSM signer behind double-sign protection (`ProtectedSigner`) so
 * that nothing is signed that the bank's policy did not allow. For a transaction it decodes the calldata
 * (`CallDecoder`), builds the settlement intent (counterparty and asset from the `GateDirectory`, AML result
 * from the bank's screening, the key's tier, the approvals collected for this exact call), asks the
 * `PolicyEngine`, and signs only on allow. On approval-required it opens (or finds) the approval request
 * for the call and throws GATE_APPROVALS_PENDING; once the approvers have signed, the same call is allowed.
 * Every gate decision and every signature is in the audit log; a signature whose record cannot be written is
 * withheld. Messages and typed data carry no intent and are refused unless configuration allows them.
 *
 * Per signature, never per payload: every signature of an intent is counted under a signing key (a settlement
 * step: its id and action; otherwise the caller's explicit intent id, or the call's payload hash) in the
 * engine's reservation file, and signatures under one key are decided one at a time. Signature n (from 0) of
 * a key is its own intent: a token call's intent id is the key, then `key#2`, `key#3`..., so each signature
 * reserves its own exposure; an approval request's id is numbered the same way, so each signature needs votes
 * of its own (the digest covers the id: an earlier vote cannot be replayed). An approval is consumed (approved ->
 * consumed, atomically in the approval store) before the key signs. A settlement's exposure stays reserved once
 * under its on-chain id, since the chain executes a settlement once whatever number of steps are signed.
 */
import { useAddressMemo } from "../core/addresses";
import { useNativeKeccak } from "../core/keccak";
import {
  AbstractSigner,
  copyRequest,
  getAddress,
  getBigInt,
  resolveAddress,
  TypedDataEncoder,
  type Provider,
  type TransactionLike,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { intentDigest, type ApprovalStatus, type ApprovalStore } from "../approvals";
import type { AuditStore, JsonValue } from "../audit";
import type { EngineDecision, PolicyEngine, ScreeningInput, TravelRule } from "../policy";
import type { ProtectedSignature, ProtectedSigner } from "../signer";
import { WriteSet } from "../audit";
import type { SignatureLedger } from "./ledger";
import type { CallDecoder, CallToSign, DecodedCall } from "./decode";
import type { GateDirectory } from "./directory";
import { callPayloadHash } from "./payload";
import { GateApprovalsPendingError, GateDeniedError, GateError } from "./errors";
import { parseReason, reasonText, type DenyReason } from "./reasons";
import { ASSET_LEG, numbered, serialize, signingKeyOf } from "./signing-keys";
import { codeFamily, isFrameworkError } from "../errors";

export type KeyTier = "hot" | "warm" | "cold";

/** A call the policy judges: a settlement step or token call, or a governed call of the consortium. */
type Judged =
  | Extract<DecodedCall, { kind: "intent" }>
  | { kind: "governance"; action: "govern"; function: string; governed: string; settlementId?: undefined }
  | { kind: "nonce_fill"; action: "fill_nonce"; function: "fillNonce"; nonce: number; settlementId?: undefined };

/** The intents of one signature, the approval id they share and what approvers sign. */
interface Prepared {
  intents: ({ intent_id: string; initiator: Initiator } & Record<string, unknown>)[];
  step: string;
  subject: { intent_id: string; initiator: Initiator } & Record<string, unknown>;
}
export type AmlResult = "clear" | "medium" | "hit";

/** A screening answer with what the provider matched, both entering the policy input. */
export interface ScreeningOutcome {
  aml: AmlResult;
  screening?: ScreeningInput;
}

/** Who asks for a signature: the policy's `initiator`. */
export interface Initiator {
  id: string;
  roles: string[];
}

export interface PolicyGatedSignerOptions {
  /** Double-sign protection around the key: it allocates the nonce, records it, signs. */
  inner: ProtectedSigner;
  engine: PolicyEngine;
  decoder: CallDecoder;
  directory: GateDirectory;
  audit: AuditStore;
  /**
   * The signing path's one store (`SigningLedger` or `PostgresSigningLedger`): with it, everything a signature writes (decision,
   * reservation, nonce claim, signature records) is committed in one transaction before the signature is
   * released. Then `engine`, `audit` and `inner`'s records must be the ledger's.
   */
  ledger?: SignatureLedger;
  /** Where approval requests are opened and votes collected; without it, approval-required is a deny. */
  approvals?: ApprovalStore;
  initiator: Initiator;
  /** The signing key's custody tier, or a directory of tiers by address (custody's `KeyDirectory`). */
  keyTier: KeyTier | { tierOf(address: string): KeyTier };
  /**
   * The bank's AML screening of a counterparty (undefined for mint and burn). Without it screening fails
   * closed: every call with a counterparty is denied (SCREENING_NOT_CONFIGURED).
   */
  screening?: (
    counterparty: string | undefined,
    context: { signer: string },
  ) => Promise<AmlResult | ScreeningOutcome> | AmlResult | ScreeningOutcome;
  /**
   * The chain id of the configured network: every transaction is signed for it and a request naming any other
   * (0 included) is refused. Without it, the provider's network is asked; with neither, nothing is signed.
   */
  chainId?: number | bigint;
  /** Sign EIP-191 messages (default: refused). */
  allowMessages?: boolean;
  /**
   * EIP-712 domains whose typed data may be signed (default: none): name and chain id, and the verifying
   * contract when one is given (then a domain without it, or with another, is refused).
   */
  allowedTypedData?: readonly { name: string; chainId: number; verifyingContract?: string }[];
}

/** What one call to sign is about, with an explicit intent id when the caller has one. */
export interface SigningContext {
  initiator?: Initiator;
  /** For calls with no natural id (token transfers): the id their signatures are counted under, each its own intent. */
  intentId?: string;
  /** Travel-rule data of the instruction, passed to the policy as `travel_rule`. */
  travelRule?: TravelRule;
}

export class PolicyGatedSigner extends AbstractSigner {
  readonly #o: PolicyGatedSignerOptions;
  readonly #context: SigningContext;

  constructor(options: PolicyGatedSignerOptions, context: SigningContext = {}) {
    super(options.inner.provider);
    useNativeKeccak();
    useAddressMemo();
    if (options.chainId !== undefined && BigInt(options.chainId) <= 0n) {
      throw new GateError("GATE_CONFIG_INVALID", "the configured chain id must be positive", {
        chainId: options.chainId.toString(),
      });
    }
    this.#o = options;
    this.#context = context;
  }

  /** The same gate acting for `context` (another initiator, or an explicit intent id). */
  withContext(context: SigningContext): PolicyGatedSigner {
    return new PolicyGatedSigner(this.#o, { ...this.#context, ...context });
  }

  override getAddress(): Promise<string> {
    return this.#o.inner.getAddress();
  }

  /** Population is the inner signer's (double-sign protection leaves the nonce to be allocated when signing). */
  override populateTransaction(tx: TransactionRequest): Promise<TransactionLike<string>> {
    return this.#o.inner.populateTransaction(tx);
  }

  /**
   * Signs through `signTransaction` and broadcasts. (The default would turn a missing nonce into 0 before
   * signing; the nonce is left to double-sign protection, which allocates it.)
   */
  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const provider = this.provider;
    if (provider == null) throw new GateError("GATE_CONFIG_INVALID", "sending needs a provider");
    return provider.broadcastTransaction(await this.signTransaction(await this.populateTransaction(tx)));
  }

  override connect(provider: null | Provider): PolicyGatedSigner {
    return new PolicyGatedSigner({ ...this.#o, inner: this.#o.inner.connect(provider) }, this.#context);
  }

  /** Decides on `tx` and signs it only if allowed (see the module comment). */
  override async signTransaction(tx: TransactionRequest): Promise<string> {
    return (await this.protectTransaction(tx)).serialized;
  }

  /**
   * `signTransaction` with what double-sign protection made: the signed bytes, their nonce, chain id and
   * transaction hash, from the one transaction object built for this signature (nothing is parsed back).
   */
  async protectTransaction(tx: TransactionRequest): Promise<ProtectedSignature> {
    const request = copyRequest(tx);
    if (request.to == null) {
      const reason = { code: "CONTRACT_CREATION", message: "contract creation is never signed" };
      throw await this.#refuse("contract creation", "GATE_UNDECODABLE", reason);
    }
    const to = getAddress(await resolveAddress(request.to, this));
    const chainId = await this.#chainId();
    const call: CallToSign = { to, data: request.data ?? "0x", value: getBigInt(request.value ?? 0) };
    const payloadHash = callPayloadHash(chainId, to, call.value, call.data);
    if (request.chainId != null && getBigInt(request.chainId) !== chainId) {
      const reason = {
        code: "CHAIN_ID_MISMATCH",
        message: `the call names chain ${request.chainId}, the configured network is ${chainId}`,
      };
      throw await this.#refuse("transaction", "GATE_DENIED", reason, payloadHash);
    }
    const signable = { ...request, to, chainId };
    if (to === (await this.getAddress()) && call.value === 0n && call.data === "0x") {
      // A zero-value transfer to itself fills a nonce: only with the nonce named, and only as operations allow.
      if (request.nonce == null) {
        const reason = { code: "NONCE_FILL_WITHOUT_NONCE", message: "a nonce fill names its nonce" };
        throw await this.#refuse("nonce fill", "GATE_UNDECODABLE", reason, payloadHash);
      }
      const judged: Judged = { kind: "nonce_fill", action: "fill_nonce", function: "fillNonce", nonce: request.nonce };
      const key = signingKeyOf(judged, this.#context.intentId, payloadHash);
      return serialize(this.#o.engine, key, () => this.#signIntent(judged, signable, key, payloadHash));
    }
    let decoded = this.#o.decoder.decode(call);
    if (decoded.kind === "governance") {
      const governed = decoded.governed ?? (await this.#proposalGoverned(decoded.proposalId!, payloadHash));
      if (governed !== undefined) {
        const judged: Judged = { kind: "governance", action: "govern", function: decoded.function, governed };
        const key = signingKeyOf(judged, this.#context.intentId, payloadHash);
        return serialize(this.#o.engine, key, () => this.#signIntent(judged, signable, key, payloadHash));
      }
      decoded = this.#o.decoder.byTarget(call);
    }
    if (decoded.kind === "undecodable") {
      throw await this.#refuse(call.data.slice(0, 10), "GATE_UNDECODABLE", parseReason(decoded.reason), payloadHash);
    }
    if (decoded.kind === "refused") {
      throw await this.#refuse(decoded.function, "GATE_DENIED", parseReason(decoded.reason, "REFUSED"), payloadHash);
    }
    if (decoded.kind === "allowed" && call.value !== 0n) {
      const reason = { code: "VALUE_NOT_ALLOWED", message: "value is never sent with an allowed call" };
      throw await this.#refuse(decoded.function, "GATE_DENIED", reason, payloadHash);
    }
    if (decoded.kind === "intent") {
      const intent = decoded;
      const key = signingKeyOf(intent, this.#context.intentId, payloadHash);
      return serialize(this.#o.engine, key, () => this.#signIntent(intent, signable, key, payloadHash));
    }
    if (decoded.kind !== "allowed") {
      const reason = { code: "UNDECODABLE", message: "not decodable" };
      throw await this.#refuse(decoded.function, "GATE_UNDECODABLE", reason, payloadHash);
    }
    const allowed = decoded;
    return this.#committed(async (writes) => {
      const decision = { stage: "gate", outcome: "allow", reason: allowed.reason };
      await this.#record("decision", payloadHash, decision, writes);
      const signed = await this.#o.inner.protectTransaction(signable, writes);
      await this.#recordSignature(signed, payloadHash, null, payloadHash, writes);
      return signed;
    });
  }

  /**
   * Runs one signature's steps with a write set when the gate has a ledger, and commits it once: on success
   * before the signature is released, on failure before the error is thrown (decisions, and reservations with
   * their releases, are recorded either way; a nonce claimed for a signature that failed is not).
   */
  async #committed<T>(steps: (writes: WriteSet | undefined) => Promise<T>): Promise<T> {
    const ledger = this.#o.ledger;
    if (ledger === undefined) return steps(undefined);
    const writes = new WriteSet();
    let result: T;
    try {
      result = await steps(writes);
    } catch (error) {
      await ledger.commit(writes);
      throw error;
    }
    await ledger.commit(writes);
    return result;
  }

  /**
   * One signature of an intent: the n-th signature under `key` is decided as its own intent (its own
   * reservation and approvals), an approval it relies on is consumed before the key signs, and the signature
   * is counted under `key` before it is released.
   */
  async #signIntent(
    decoded: Judged,
    request: TransactionRequest,
    key: string,
    payloadHash: string,
  ): Promise<ProtectedSignature> {
    return this.#committed((writes) => this.#signIntentWith(decoded, request, key, payloadHash, writes));
  }

  async #signIntentWith(
    decoded: Judged,
    request: TransactionRequest,
    key: string,
    payloadHash: string,
    writes: WriteSet | undefined,
  ): Promise<ProtectedSignature> {
    const ordinal = this.#o.engine.signatures(key);
    const { decisions, approval } = await this.#decide(decoded, payloadHash, key, ordinal, writes);
    const decision = decisions[0];
    let signed: ProtectedSignature;
    try {
      if (approval !== undefined) {
        await this.#o.approvals!.consume(approval, { decisionId: decision.decisionId, payloadHash });
      }
      signed = await this.#o.inner.protectTransaction(request, writes);
    } catch (error) {
      await this.#releaseNew(decisions, writes);
      if (isFrameworkError(error, codeFamily("APPROVAL_"))) {
        throw new GateDeniedError([{ code: "APPROVAL_LAPSED", message: error.message }], {
          intentId: decision.intentId,
          decisionId: decision.decisionId,
          action: decoded.action,
        });
      }
      throw error;
    }
    if (writes === undefined) this.#o.engine.recordSignature(key, ordinal, decision.intentId!, signed.txHash);
    else this.#o.engine.stageSignature(writes, key, ordinal, decision.intentId!, signed.txHash);
    await this.#recordSignature(signed, decision.intentId!, decision.decisionId, payloadHash, writes);
    return signed;
  }

  async #recordSignature(
    signed: ProtectedSignature,
    subject: string,
    decisionId: string | null,
    payloadHash: string,
    writes: WriteSet | undefined,
  ): Promise<void> {
    const serialized = signed.serialized;
    const payload: Record<string, JsonValue> = {
      decisionId,
      payloadHash,
      txHash: signed.txHash,
      nonce: signed.nonce,
      chainId: Number(signed.chainId),
      signer: await this.getAddress(),
      // The signed bytes, so that a transaction signed but never sent (a crash in between) can be found and
      // sent as it is, and the caller's explicit id the call was signed under, if any.
      raw: serialized,
      operationId: this.#context.intentId ?? null,
    };
    await this.#record("signature", subject, payload, writes);
  }

  override async signMessage(message: string | Uint8Array): Promise<string> {
    if (this.#o.allowMessages !== true) {
      const reason = { code: "MESSAGE_NOT_ALLOWED", message: "messages are not signed through the gate" };
      throw await this.#refuse("message", "GATE_UNDECODABLE", reason);
    }
    const signature = await this.#o.inner.signMessage(message);
    await this.#record("signature", undefined, { kind: "message", signature });
    return signature;
  }

  override async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    const chainId = await this.#chainId();
    const contract = domain.verifyingContract == null ? undefined : getAddress(domain.verifyingContract);
    const allowed =
      domain.chainId != null &&
      getBigInt(domain.chainId) === chainId &&
      (this.#o.allowedTypedData ?? []).some(
        (d) =>
          d.name === domain.name &&
          BigInt(d.chainId) === chainId &&
          (d.verifyingContract === undefined ||
            (contract !== undefined && getAddress(d.verifyingContract) === contract)),
      );
    if (!allowed) {
      const reason = {
        code: "TYPED_DATA_NOT_ALLOWED",
        message: `EIP-712 domain ${String(domain.name)} is not allowed`,
      };
      throw await this.#refuse("typed data", "GATE_UNDECODABLE", reason);
    }
    const signature = await this.#o.inner.signTypedData(domain, types, value);
    await this.#record("signature", undefined, {
      kind: "typedData",
      digest: TypedDataEncoder.hash(domain, types, value),
      signature,
    });
    return signature;
  }

  /**
   * Decides every leg of the call (a DvP's cash leg, then its asset leg; one leg otherwise), each with the
   * approvals collected for the whole call (one request covers both legs). Resolves with the allow decisions
   * and the approval they rely on; otherwise throws the deny, or the pending approval request, after giving back
   * what the legs reserved.
   */
  async #decide(
    decoded: Judged,
    payloadHash: string,
    key: string,
    ordinal: number,
    writes: WriteSet | undefined,
  ): Promise<{ decisions: EngineDecision[]; approval?: string }> {
    const { intents, step, subject } =
      decoded.kind === "intent"
        ? await this.#settlementIntents(decoded, payloadHash, key, ordinal)
        : await this.#operationalIntent(
            decoded.action,
            decoded.kind === "governance" ? { governed_function: decoded.governed } : { nonce: decoded.nonce },
            payloadHash,
            numbered(key, ordinal),
          );
    const status = await this.#approvalStatus(step, intentDigest(subject));
    const decisions: EngineDecision[] = [];
    let demand: EngineDecision | undefined;
    for (const intent of intents) {
      const decision = await this.#o.engine.evaluate({ ...intent, approvals: status?.approvals ?? [] }, writes);
      if (decision.outcome === "allow") decisions.push(decision);
      else if (decision.outcome === "deny" || this.#o.approvals === undefined) {
        await this.#releaseNew(decisions, writes);
        throw new GateDeniedError(
          decision.reasons.map((r) => parseReason(r, "POLICY_DENIED")),
          {
            intentId: decision.intentId,
            decisionId: decision.decisionId,
            action: decoded.action,
          },
        );
      } else if (demand === undefined || decision.approvals.required > demand.approvals.required) demand = decision;
    }
    if (demand === undefined) return { decisions, ...(status?.state === "approved" ? { approval: step } : {}) };
    await this.#releaseNew(decisions, writes);
    const opened = await this.#o.approvals!.request(subject, demand);
    throw new GateApprovalsPendingError({
      intentId: intents[0].intent_id,
      approvalId: step,
      digest: opened.digest,
      required: demand.approvals.required,
      roles: demand.approvals.roles,
      approved: opened.approvals.length,
      decisionId: demand.decisionId,
    });
  }

  /** The governed function a proposal calls when the policy judges it (undefined: the target rules apply). */
  async #proposalGoverned(proposalId: bigint, payloadHash: string): Promise<string | undefined> {
    const directory = this.#o.directory;
    if (directory.proposalData === undefined) return undefined;
    let data: string;
    try {
      data = await directory.proposalData(proposalId);
    } catch (error) {
      const reason = {
        code: "UNKNOWN_PROPOSAL",
        message: `proposal ${proposalId} could not be read (${(error as Error).message})`,
      };
      throw await this.#refuse("proposal", "GATE_DENIED", reason, payloadHash);
    }
    return this.#o.decoder.policyGoverned(data);
  }

  /** A governed call's or nonce fill's one intent: no counterparty, asset or amount; approvals under `id/<action>`. */
  async #operationalIntent(
    action: "govern" | "fill_nonce",
    fields: { governed_function: string } | { nonce: number },
    payloadHash: string,
    id: string,
  ): Promise<Prepared> {
    const signer = await this.getAddress();
    const tier = typeof this.#o.keyTier === "string" ? this.#o.keyTier : this.#o.keyTier.tierOf(signer);
    const intent = {
      action,
      intent_id: id,
      initiator: this.#context.initiator ?? this.#o.initiator,
      ...fields,
      aml: "clear",
      key_tier: tier,
      payload_hash: payloadHash,
    };
    const step = `${id}/${action}`;
    return { intents: [intent], step, subject: { ...intent, intent_id: step } };
  }

  /** A settlement step's or token call's intents: one per leg (a DvP's cash leg, then its asset leg). */
  async #settlementIntents(
    decoded: Extract<DecodedCall, { kind: "intent" }>,
    payloadHash: string,
    key: string,
    ordinal: number,
  ): Promise<Prepared> {
    const directory = this.#o.directory;
    const legs = [{ token: decoded.token, amount: decoded.amount, suffix: "" }];
    if (decoded.assetLeg !== undefined) legs.push({ ...decoded.assetLeg, suffix: ASSET_LEG });
    const [counterparty, ...assets] = await Promise.all([
      decoded.counterpartyAccount === undefined ? undefined : directory.counterpartyOf(decoded.counterpartyAccount),
      ...legs.map((l) => directory.symbolOf(l.token)),
    ]);
    if (assets.includes(undefined) || (decoded.counterpartyAccount !== undefined && counterparty === undefined)) {
      const reason = {
        code: "UNKNOWN_PARTY_OR_ASSET",
        message: "the call names an unknown account or a token not in the bank's configured list",
      };
      throw await this.#refuse(decoded.function, "GATE_DENIED", reason, payloadHash);
    }
    const signer = await this.getAddress();
    const tier = typeof this.#o.keyTier === "string" ? this.#o.keyTier : this.#o.keyTier.tierOf(signer);
    const screened = await this.#screen(counterparty, decoded.action, signer);
    const travelRule = this.#context.travelRule;
    const id = decoded.settlementId ?? numbered(key, ordinal);
    const intents = legs.map((leg, i) => ({
      action: decoded.action,
      intent_id: `${id}${leg.suffix}`,
      initiator: this.#context.initiator ?? this.#o.initiator,
      ...(counterparty === undefined ? {} : { counterparty }),
      asset: assets[i]!,
      amount: leg.amount.toString(),
      ...screened,
      ...(travelRule === undefined ? {} : { travel_rule: travelRule }),
      key_tier: tier,
      payload_hash: payloadHash,
    }));
    // What approvers sign: the call's intent (both legs) without the engine's time, exposure and the approvals
    // themselves, under an id per step and per signature (a settlement's instruct and settle are approved
    // separately, and a second signature of the same step needs approvals of its own).
    const step = decoded.settlementId === undefined ? `${id}/${decoded.action}` : numbered(key, ordinal);
    const [first, second] = intents;
    const subject = {
      ...first,
      intent_id: step,
      ...(second === undefined ? {} : { asset_leg: { asset: second.asset, amount: second.amount } }),
    };
    return { intents, step, subject };
  }

  /** Gives back the reservations these decisions made (not those they found held by an earlier signature). */
  async #releaseNew(decisions: readonly EngineDecision[], writes: WriteSet | undefined): Promise<void> {
    for (const d of decisions) {
      if (d.reservation?.state === "reserved") await this.#o.engine.release(d.intentId!, "failed", writes);
    }
  }

  /** The screening result of `counterparty`; denies when none is configured and there is a counterparty. */
  async #screen(counterparty: string | undefined, action: string, signer: string): Promise<ScreeningOutcome> {
    const screening = this.#o.screening;
    if (screening !== undefined) {
      const result = await screening(counterparty, { signer });
      return typeof result === "string" ? { aml: result } : result;
    }
    if (counterparty === undefined) return { aml: "clear" };
    const reason = { code: "SCREENING_NOT_CONFIGURED", message: "the bank has configured no AML screening" };
    throw new GateDeniedError([reason], {
      intentId: null,
      decisionId: null,
      action,
    });
  }

  /** Votes already collected for exactly this call (none when the request is for another digest or closed). */
  async #approvalStatus(approvalId: string, digest: string): Promise<ApprovalStatus | undefined> {
    if (this.#o.approvals === undefined) return undefined;
    try {
      const status = await this.#o.approvals.status(approvalId);
      return status.digest === digest && (status.state === "approved" || status.state === "pending")
        ? status
        : undefined;
    } catch (error) {
      if (isFrameworkError(error, "APPROVAL_REQUEST_NOT_FOUND")) return undefined;
      throw error;
    }
  }

  /** The configured network's chain id (or the provider's, when none is configured). */
  async #chainId(): Promise<bigint> {
    if (this.#o.chainId !== undefined) return BigInt(this.#o.chainId);
    const provider = this.provider;
    if (provider == null) throw new GateError("GATE_CONFIG_INVALID", "no chain id configured and no provider to ask");
    return (await provider.getNetwork()).chainId;
  }

  /**
   * Audits the refusal of an undecodable (`GATE_UNDECODABLE`) or disallowed (`GATE_DENIED`) call and returns the
   * error to throw.
   */
  async #refuse(
    what: string,
    code: "GATE_DENIED" | "GATE_UNDECODABLE",
    reason: DenyReason,
    payloadHash?: string,
  ): Promise<GateError> {
    const text = reasonText(reason);
    await this.#record("decision", payloadHash, { stage: "gate", outcome: "deny", call: what, reason: text });
    return new GateError(code, `refused to sign ${what}: ${text}`, {
      call: what,
      reason: text,
      code: reason.code,
      payloadHash: payloadHash ?? null,
    });
  }

  async #record(
    kind: "decision" | "signature",
    subject: string | undefined,
    payload: Record<string, JsonValue>,
    writes?: WriteSet,
  ): Promise<void> {
    if (writes !== undefined) {
      writes.record({ kind, subject, payload });
      return;
    }
    try {
      await this.#o.audit.append({ kind, subject, payload });
    } catch (error) {
      throw new GateError(
        "GATE_AUDIT_FAILED",
        `the ${kind} could not be recorded in the audit log; nothing was signed`,
        {},
        error,
      );
    }
  }
}
