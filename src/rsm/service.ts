/**
 * `RemoteSigningModule`: the transport-free core of the service. For one request body it opens the request
 * (see `request.ts`), finds the signer for the requested address, consumes the request id in the replay
 * store, asks the signer (in production the policy-gated signer, which may refuse), checks the result against
 * the request, signs the answer, and appends the outcome to the audit log before releasing it. Every refusal
 * is logged and audited too. No log line or audit record carries a payload, a key or a passphrase.
 */
import type { Signer } from "ethers";
import type { AuditStore, JsonValue } from "../audit";
import { codeFamily, isFrameworkError } from "../errors";
import { logger } from "../observability/log";
import {
  loadServiceKeys,
  MAX_CLOCK_SKEW_SECONDS,
  parseRsmServiceConfig,
  type RsmServiceConfig,
  type RsmServiceConfigInput,
} from "./config";
import { RsmRequestError, RsmSigningError } from "./errors";
import { checkSignedResult, decodeMessage, decodeTypedData, transactionRequest } from "./payload";
import type { RequestClaims } from "./protocol";
import { ReplayStore } from "./replay";
import { openRequest, type OpenContext } from "./request";
import { signResponse, type KidKey } from "./response";

/** One structured log line: an outcome and its facts, never a payload or key material. */
export interface RsmLogEntry {
  event: "signed" | "refused" | "audit_failed";
  code?: string;
  reason?: string;
  jti?: string;
  iss?: string;
  kind?: string;
  signer?: string;
  digest?: string;
}

/** The outcome of one request: the signed answer (a compact JWS), or the refusal. */
export type RsmOutcome = { ok: true; jti: string; response: string } | { ok: false; error: unknown; jti?: string };

export interface RemoteSigningModuleOptions {
  /** The keys this module signs with, found by address (`signer` claim). */
  signers: readonly Signer[];
  /** Where every outcome is appended (kind "signature"). */
  audit?: AuditStore;
  /** Structured log sink; defaults to the project's logger (one JSON line per outcome on stderr). */
  log?: (entry: RsmLogEntry) => void;
  /** Clock in seconds since the epoch (defaults to the system clock). */
  now?: () => number;
}

const stderrLog = (entry: RsmLogEntry): void =>
  logger().info({ component: "rsm", rsm: entry }, `remote signing ${entry.event}`);

export class RemoteSigningModule {
  readonly config: RsmServiceConfig;
  readonly #keys: Omit<OpenContext, "now" | "clockSkewSeconds" | "maxLifetimeSeconds" | "moduleId">;
  readonly #responseKey: KidKey;
  readonly #signers: ReadonlyMap<string, Signer>;
  readonly #replay: ReplayStore;
  readonly #audit: AuditStore | undefined;
  readonly #log: (entry: RsmLogEntry) => void;
  readonly #now: () => number;
  /** Seconds after a request's `exp` its id is kept: the largest skew any configuration may allow. */
  readonly #retention: number;

  private constructor(
    config: RsmServiceConfig,
    signers: Map<string, Signer>,
    replay: { store: ReplayStore; retention: number },
    options: RemoteSigningModuleOptions,
  ) {
    const keys = loadServiceKeys(config);
    this.config = config;
    this.#keys = { encryption: { kid: config.encryptionKey.kid, key: keys.encryption }, senders: keys.senders };
    this.#responseKey = { kid: config.responseKey.kid, alg: config.responseKey.alg, key: keys.response };
    this.#signers = signers;
    this.#replay = replay.store;
    this.#retention = replay.retention;
    this.#audit = options.audit;
    this.#log = options.log ?? stderrLog;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Validates the configuration, loads the keys, resolves the signers' addresses and opens the replay store. */
  static async open(input: RsmServiceConfigInput, options: RemoteSigningModuleOptions): Promise<RemoteSigningModule> {
    const config = parseRsmServiceConfig(input);
    const signers = new Map(await Promise.all(options.signers.map(async (s) => [await s.getAddress(), s] as const)));
    const store = await ReplayStore.open(config.replayStore);
    try {
      const retention = await store.retention(Math.max(config.clockSkewSeconds, MAX_CLOCK_SKEW_SECONDS));
      return new RemoteSigningModule(config, signers, { store, retention }, options);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /**
   * Handles one request body (a compact JWE). Resolves with the signed answer, or with the refusal (already
   * logged and audited) and the request id when it was authenticated. Rejects only if logging itself throws.
   */
  async sign(body: string): Promise<RsmOutcome> {
    let claims: RequestClaims | undefined;
    try {
      const now = await this.#replay.observe(this.#now());
      const { moduleId, clockSkewSeconds, maxLifetimeSeconds } = this.config;
      claims = await openRequest(body, { ...this.#keys, moduleId, clockSkewSeconds, maxLifetimeSeconds, now });
      const { jti, iss, kind } = claims;
      const signer = this.#signers.get(claims.signer);
      if (signer === undefined) {
        throw new RsmRequestError("RSM_UNKNOWN_SIGNER", "no such signing key", { jti, iss, signer: claims.signer });
      }
      await this.#replay.consume(iss, jti, claims.exp + this.#retention, now);
      const result = await this.#invoke(signer, claims);
      const checked = checkSignedResult(claims, claims.signer, result);
      if (!checked.ok) throw new RsmSigningError("RSM_SIGNER_OUTPUT_INVALID", checked.reason, { jti });
      const facts = { jti, iss, kind, signer: claims.signer, digest: checked.digest };
      const response = await signResponse(
        { ...facts, iss: moduleId, aud: iss, iat: this.#now(), result },
        this.#responseKey,
      );
      const audited = { module: moduleId, outcome: "signed", issuer: iss, kind, signer: claims.signer };
      await this.#audit?.append({ kind: "signature", subject: jti, payload: { ...audited, digest: checked.digest } });
      this.#log({ event: "signed", ...facts });
      return { ok: true, jti, response };
    } catch (error) {
      await this.refused(error, claims);
      return { ok: false, error, jti: claims?.jti ?? (error instanceof RsmRequestError ? error.jti : undefined) };
    }
  }

  /**
   * Logs and audits a refusal (also those the HTTP layer raises before a request is opened). The subject is
   * the request id once its signature was verified, never an unauthenticated claim. Never throws.
   */
  async refused(error: unknown, claims?: Pick<RequestClaims, "jti" | "iss" | "kind" | "signer">): Promise<void> {
    const code = isFrameworkError(error) ? error.code : "UNEXPECTED";
    const reason = isFrameworkError(error) ? error.message : undefined;
    const jti = claims?.jti ?? (error instanceof RsmRequestError ? error.jti : undefined);
    const iss =
      claims?.iss ??
      (isFrameworkError(error, codeFamily("RSM_")) && typeof error.details.iss === "string"
        ? error.details.iss
        : undefined);
    const facts = { code, reason, jti, iss, kind: claims?.kind, signer: claims?.signer };
    this.#log({ event: "refused", ...facts });
    if (this.#audit === undefined) return;
    const payload: Record<string, JsonValue> = { module: this.config.moduleId, outcome: "refused", code };
    for (const [key, value] of Object.entries({ reason, issuer: iss, kind: facts.kind, signer: facts.signer })) {
      if (value !== undefined) payload[key] = value;
    }
    try {
      await this.#audit.append({ kind: "signature", subject: jti, payload });
    } catch (auditError) {
      this.#log({ event: "audit_failed", code: isFrameworkError(auditError) ? auditError.code : "UNEXPECTED", jti });
    }
  }

  async #invoke(signer: Signer, claims: RequestClaims): Promise<string> {
    try {
      if (claims.kind === "transaction") return await signer.signTransaction(transactionRequest(claims.payload));
      if (claims.kind === "message") return await signer.signMessage(decodeMessage(claims.payload));
      const { domain, types, value } = decodeTypedData(claims.payload);
      return await signer.signTypedData(domain, types, value);
    } catch (error) {
      if (isFrameworkError(error)) throw error;
      throw new RsmSigningError("RSM_SIGNING_FAILED", "the signer failed", { jti: claims.jti }, error);
    }
  }

  /** True when the request id is remembered by the replay store. */
  hasSeen(issuer: string, jti: string): Promise<boolean> {
    return this.#replay.has(issuer, jti);
  }

  /** Closes the replay store (the signers and the audit store belong to the caller). */
  async close(): Promise<void> {
    await this.#replay.close();
  }
}
