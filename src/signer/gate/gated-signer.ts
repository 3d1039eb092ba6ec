/**
 * `PolicyGatedSigner`: wraps any ethers signer (the HSM signer, usually behind double-sign protection) so
 * that nothing is signed that the bank's policy did not allow. For a transaction it decodes the calldata
 * (`CallDecoder`), builds the settlement intent (counterparty and asset from the `GateDirectory`, AML result
 * from the bank's screening, the key's tier, the approvals collected for this exact call), asks the
 * `PolicyEngine`, and signs only on allow. On approval-required it opens (or finds) the approval request
 * for the call and throws GATE_APPROVALS_PENDING; once the approvers have signed, the same call is allowed.
 * Every gate decision and every signature is in the audit log; a signature whose record cannot be written is
 * withheld. Messages and typed data carry no intent and are refused unless configuration allows them.
 */
import {
  AbstractSigner,
  copyRequest,
  getAddress,
  getBigInt,
  resolveAddress,
  Transaction,
  TypedDataEncoder,
  type Provider,
  type Signer,
  type TransactionLike,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { intentDigest, isApprovalError, type ApprovalStatus, type ApprovalStore } from "../../approvals";
import type { AuditStore, JsonValue } from "../../audit";
import type { EngineDecision, PolicyEngine } from "../../policy";
import type { CallDecoder, CallToSign, DecodedCall } from "./decode";
import type { GateDirectory } from "./directory";
import { callPayloadHash } from "./payload";
import { GateApprovalsPendingError, GateDeniedError, GateError } from "./errors";

export type KeyTier = "hot" | "warm" | "cold";
export type AmlResult = "clear" | "medium" | "hit";

/** Who asks for a signature: the policy's `initiator`. */
export interface Initiator {
  id: string;
  roles: string[];
}

export interface PolicyGatedSignerOptions {
  inner: Signer;
  engine: PolicyEngine;
  decoder: CallDecoder;
  directory: GateDirectory;
  audit: AuditStore;
  /** Where approval requests are opened and votes collected; without it, approval-required is a deny. */
  approvals?: ApprovalStore;
  initiator: Initiator;
  /** The signing key's custody tier, or a directory of tiers by address (custody's `KeyDirectory`). */
  keyTier: KeyTier | { tierOf(address: string): KeyTier };
  /** The bank's AML screening of a counterparty (undefined for mint and burn). */
  screening: (counterparty: string | undefined) => Promise<AmlResult> | AmlResult;
  /** Sign EIP-191 messages (default: refused). */
  allowMessages?: boolean;
  /** EIP-712 domains (name and chain id) whose typed data may be signed (default: none). */
  allowedTypedData?: readonly { name: string; chainId: number }[];
}

/** What one call to sign is about, with an explicit intent id when the caller has one. */
export interface SigningContext {
  initiator?: Initiator;
  /** For calls with no natural id (token transfers): identical calls under one id count once. */
  intentId?: string;
}

export class PolicyGatedSigner extends AbstractSigner {
  readonly #o: PolicyGatedSignerOptions;
  readonly #context: SigningContext;

  constructor(options: PolicyGatedSignerOptions, context: SigningContext = {}) {
    super(options.inner.provider);
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
    const request = copyRequest(tx);
    if (request.to == null) throw await this.#refuse("contract creation", "contract creation is never signed");
    const to = getAddress(await resolveAddress(request.to, this));
    const chainId = request.chainId ?? (await this.#chainId());
    const call: CallToSign = { to, data: request.data ?? "0x", value: getBigInt(request.value ?? 0) };
    const payloadHash = callPayloadHash(getBigInt(chainId), to, call.value, call.data);
    const decoded = this.#o.decoder.decode(call);
    if (decoded.kind === "undecodable") throw await this.#refuse(call.data.slice(0, 10), decoded.reason, payloadHash);
    if (decoded.kind === "refused") throw await this.#refuse(decoded.function, decoded.reason, payloadHash);
    let decision: EngineDecision | null = null;
    if (decoded.kind === "intent") decision = await this.#decide(decoded, payloadHash);
    else await this.#record("decision", payloadHash, { stage: "gate", outcome: "allow", reason: decoded.reason });
    let serialized: string;
    try {
      serialized = await this.#o.inner.signTransaction({ ...request, to, chainId });
    } catch (error) {
      if (decision?.reservation?.state === "reserved") await this.#o.engine.release(decision.intentId!, "failed");
      throw error;
    }
    const signed = Transaction.from(serialized);
    await this.#record("signature", decision?.intentId ?? payloadHash, {
      decisionId: decision?.decisionId ?? null,
      payloadHash,
      txHash: signed.hash,
      nonce: signed.nonce,
      chainId: Number(signed.chainId),
      signer: await this.getAddress(),
    });
    return serialized;
  }

  override async signMessage(message: string | Uint8Array): Promise<string> {
    if (this.#o.allowMessages !== true) throw await this.#refuse("message", "messages are not signed through the gate");
    const signature = await this.#o.inner.signMessage(message);
    await this.#record("signature", undefined, { kind: "message", signature });
    return signature;
  }

  override async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    const allowed = (this.#o.allowedTypedData ?? []).some(
      (d) => d.name === domain.name && domain.chainId != null && BigInt(d.chainId) === getBigInt(domain.chainId),
    );
    if (!allowed) throw await this.#refuse("typed data", `EIP-712 domain ${String(domain.name)} is not allowed`);
    const signature = await this.#o.inner.signTypedData(domain, types, value);
    await this.#record("signature", undefined, {
      kind: "typedData",
      digest: TypedDataEncoder.hash(domain, types, value),
      signature,
    });
    return signature;
  }

  async #decide(decoded: Extract<DecodedCall, { kind: "intent" }>, payloadHash: string): Promise<EngineDecision> {
    const directory = this.#o.directory;
    const [asset, counterparty] = await Promise.all([
      directory.symbolOf(decoded.token),
      decoded.counterpartyAccount === undefined ? undefined : directory.counterpartyOf(decoded.counterpartyAccount),
    ]);
    if (asset === undefined || (decoded.counterpartyAccount !== undefined && counterparty === undefined)) {
      throw await this.#refuse(
        decoded.function,
        "UNKNOWN_PARTY_OR_ASSET: the call names an unknown account or token",
        payloadHash,
      );
    }
    const signer = await this.getAddress();
    const tier = typeof this.#o.keyTier === "string" ? this.#o.keyTier : this.#o.keyTier.tierOf(signer);
    const intent = {
      action: decoded.action,
      intent_id: this.#context.intentId ?? decoded.settlementId ?? `call:${payloadHash}`,
      initiator: this.#context.initiator ?? this.#o.initiator,
      ...(counterparty === undefined ? {} : { counterparty }),
      asset,
      amount: decoded.amount.toString(),
      aml: await this.#o.screening(counterparty),
      key_tier: tier,
      payload_hash: payloadHash,
    };
    // What approvers sign: the call's intent without the engine's time, exposure and the approvals themselves,
    // under an id per step (a settlement's instruct and settle are approved separately).
    const subject = { ...intent, intent_id: `${intent.intent_id}/${intent.action}` };
    const status = await this.#approvalStatus(subject.intent_id, intentDigest(subject));
    const decision = await this.#o.engine.evaluate({ ...intent, approvals: status?.approvals ?? [] });
    if (decision.outcome === "allow") return decision;
    if (decision.outcome === "deny" || this.#o.approvals === undefined) {
      throw new GateDeniedError(decision.reasons, {
        intentId: decision.intentId,
        decisionId: decision.decisionId,
        action: decoded.action,
      });
    }
    const opened = await this.#o.approvals.request(subject, decision);
    throw new GateApprovalsPendingError({
      intentId: intent.intent_id,
      approvalId: subject.intent_id,
      digest: opened.digest,
      required: decision.approvals.required,
      roles: decision.approvals.roles,
      approved: opened.approvals.length,
      decisionId: decision.decisionId,
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
      if (isApprovalError(error, "APPROVAL_REQUEST_NOT_FOUND")) return undefined;
      throw error;
    }
  }

  async #chainId(): Promise<bigint> {
    const provider = this.provider;
    if (provider == null) throw new GateError("GATE_CONFIG_INVALID", "no chain id given and no provider to ask");
    return (await provider.getNetwork()).chainId;
  }

  /** Audits the refusal of an undecodable or disallowed call and returns the error to throw. */
  async #refuse(what: string, reason: string, payloadHash?: string): Promise<GateError> {
    await this.#record("decision", payloadHash, { stage: "gate", outcome: "deny", call: what, reason });
    const code = reason.startsWith("NOT_A_PARTY") || reason.startsWith("UNKNOWN_") ? "GATE_DENIED" : "GATE_UNDECODABLE";
    return new GateError(code, `refused to sign ${what}: ${reason}`, {
      call: what,
      reason,
      payloadHash: payloadHash ?? null,
    });
  }

  async #record(
    kind: "decision" | "signature",
    subject: string | undefined,
    payload: Record<string, JsonValue>,
  ): Promise<void> {
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
