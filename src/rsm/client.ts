/**
 * `RemoteSigner`: an ethers v6 signer whose key sits behind a remote signing module. Each signature is one
 * request: sealed (signed with the middleware key, encrypted to the module), POSTed within the configured
 * timeout, and its answer verified (module's response key, request id, kind, signer) and checked against the
 * request (the recovered signer and the signed payload) before it is returned. A refusal throws
 * `RsmRemoteRefusedError` carrying the module's status and code (RSM_*, GATE_*, APPROVAL_*, HSM_*).
 */
import {
  AbstractSigner,
  assert,
  copyRequest,
  getAddress,
  resolveAddress,
  resolveProperties,
  Transaction,
  TypedDataEncoder,
  type Provider,
  type TransactionLike,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import {
  loadClientKeys,
  parseRemoteSignerConfig,
  type RemoteSignerConfig,
  type RemoteSignerConfigInput,
  type RemoteSignerKeys,
} from "./config";
import { RsmRemoteRefusedError, RsmRequestError, RsmResponseInvalidError, RsmTransportError } from "./errors";
import { checkSignedResult, encodeMessage, encodeTransaction, encodeTypedData } from "./payload";
import { RSM_CONTENT_TYPE, SIGN_PATH, type SignBody } from "./protocol";
import { sealRequest } from "./request";
import { verifyResponse } from "./response";

export class RemoteSigner extends AbstractSigner {
  readonly config: RemoteSignerConfig;
  readonly #keys: RemoteSignerKeys;

  private constructor(config: RemoteSignerConfig, keys: RemoteSignerKeys, provider?: null | Provider) {
    super(provider);
    this.config = config;
    this.#keys = keys;
  }

  /** Validates the configuration and loads the keys (throws `RsmConfigError` / `RsmKeyUnavailableError`). */
  static create(input: RemoteSignerConfigInput, provider?: null | Provider): RemoteSigner {
    const config = parseRemoteSignerConfig(input);
    return new RemoteSigner(config, loadClientKeys(config), provider);
  }

  /** Checksummed address of the remote key. */
  get address(): string {
    return this.config.signer;
  }

  override getAddress(): Promise<string> {
    return Promise.resolve(this.config.signer);
  }

  override connect(provider: null | Provider): RemoteSigner {
    return new RemoteSigner(this.config, this.#keys, provider);
  }

  /** Signs a fully populated transaction (chain id, nonce, gas limit, fees); `sendTransaction` populates first. */
  override async signTransaction(tx: TransactionRequest): Promise<string> {
    const request = copyRequest(tx);
    const { to, from } = await resolveProperties({
      to: request.to == null ? undefined : resolveAddress(request.to, this),
      from: request.from == null ? undefined : resolveAddress(request.from, this),
    });
    if (to != null) request.to = to;
    if (from != null && getAddress(from) !== this.address) {
      throw new RsmRequestError("RSM_REQUEST_MALFORMED", "transaction from is not the remote key", { from });
    }
    delete request.from;
    const missing = (["chainId", "nonce", "gasLimit"] as const).filter((field) => request[field] == null);
    if (missing.length > 0) {
      throw new RsmRequestError("RSM_REQUEST_MALFORMED", `transaction lacks ${missing.join(", ")}`, { missing });
    }
    const payload = encodeTransaction(Transaction.from(request as TransactionLike<string>));
    return this.#request({ kind: "transaction", payload });
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.#request({ kind: "message", payload: encodeMessage(message) });
  }

  override async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    const populated = await TypedDataEncoder.resolveNames(domain, types, value, async (name: string) => {
      assert(this.provider != null, "cannot resolve ENS names without a provider", "UNSUPPORTED_OPERATION", {
        operation: "resolveName",
        info: { name },
      });
      const address = await this.provider.resolveName(name);
      assert(address != null, "unconfigured ENS name", "UNCONFIGURED_NAME", { value: name });
      return address;
    });
    const payload = encodeTypedData(populated.domain, types, populated.value as Record<string, unknown>);
    return this.#request({ kind: "typedData", payload });
  }

  async #request(body: SignBody): Promise<string> {
    const { config } = this;
    const { jwe, jti } = await sealRequest(body, {
      issuer: config.middlewareId,
      audience: config.moduleId,
      signer: config.signer,
      lifetimeSeconds: config.requestLifetimeSeconds,
      signingKey: { kid: config.signingKey.kid, alg: config.signingKey.alg, key: this.#keys.signing },
      encryptionKey: { kid: config.moduleEncryptionKey.kid, key: this.#keys.moduleEncryption },
    });
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${config.url.replace(/\/+$/, "")}${SIGN_PATH}`, {
        method: "POST",
        headers: { "Content-Type": RSM_CONTENT_TYPE, Accept: `${RSM_CONTENT_TYPE}, application/json` },
        body: jwe,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new RsmTransportError(config.url, jti, error);
    }
    if (status !== 200) throw refusal(status, text, jti);
    const claims = await verifyResponse(
      text,
      { moduleId: config.moduleId, middlewareId: config.middlewareId, jti, kind: body.kind, signer: config.signer },
      { kid: config.moduleResponseKey.kid, alg: config.moduleResponseKey.alg, key: this.#keys.moduleResponse },
    );
    const checked = checkSignedResult(body, config.signer, claims.result);
    if (!checked.ok) throw new RsmResponseInvalidError(checked.reason, { jti });
    if (checked.digest !== claims.digest)
      throw new RsmResponseInvalidError("digest does not match the result", { jti });
    return claims.result;
  }
}

/** The module's error answer as an `RsmRemoteRefusedError` (the body is unsigned: informational only). */
function refusal(status: number, text: string, jti: string): RsmRemoteRefusedError {
  let error: { code?: unknown; message?: unknown } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    // not JSON (a proxy's page, say): the status alone tells
  }
  const code = typeof error.code === "string" ? error.code : "UNKNOWN";
  const message = typeof error.message === "string" ? error.message.slice(0, 500) : `HTTP ${status}`;
  return new RsmRemoteRefusedError(status, code, message, jti);
}
