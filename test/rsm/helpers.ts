/**
 * A real remote signing module for one test file: a throw-away SoftHSM token with an HsmSigner, keys written
 * to files (and one passphrase-protected PEM, its passphrase and the middleware key in environment
 * variables), a SQLite replay store and a SQLite audit log in a temporary directory, and the HTTP server on an
 * ephemeral port of 127.0.0.1. `seal` builds requests by hand, so tests can break any part of them.
 * `RefusingSigner` stands in for a policy gate or a failing signer in front of the same key.
 */
import { createPrivateKey, createPublicKey, randomBytes, type JsonWebKey, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AbstractSigner, type Provider, type Signer } from "ethers";
import { SqliteAuditStore, type AuditRecord } from "../../src/audit";
import { FrameworkError, type ErrorCode } from "../../src/errors";
import {
  generateRsmKeys,
  RemoteSigner,
  RemoteSigningModule,
  RSM_CONTENT_TYPE,
  sealRequest,
  SIGN_PATH,
  startRsmServer,
  type RemoteSignerConfigInput,
  type RsmKeySet,
  type RsmLogEntry,
  type RsmServer,
  type RsmServiceConfigInput,
  type SealOptions,
  type SignBody,
} from "../../src/rsm";
import { generateSecp256k1Key, HsmSigner } from "../../src/signer";
import { SoftHsm } from "../signer/softhsm";

export const MODULE_ID = "rsm-bank-a";
export const MIDDLEWARE_ID = "middleware-bank-a";

/** A KeyObject from a generated private JWK. */
export function privateKey(jwk: object): KeyObject {
  return createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" });
}

/** The HSM's key behind a signer that refuses every signature with the framework error `code` (and counts them). */
export class RefusingSigner extends AbstractSigner {
  attempts = 0;

  constructor(
    readonly key: HsmSigner,
    public code: ErrorCode,
    public reason: string,
  ) {
    super(null);
  }

  override getAddress(): Promise<string> {
    return this.key.getAddress();
  }

  override connect(_provider: null | Provider): RefusingSigner {
    return this;
  }

  override signTransaction(): Promise<string> {
    return this.refuse();
  }

  override signMessage(): Promise<string> {
    return this.refuse();
  }

  override signTypedData(): Promise<string> {
    return this.refuse();
  }

  private refuse(): Promise<string> {
    this.attempts += 1;
    return Promise.reject(new FrameworkError(this.code, this.reason));
  }
}

export class RsmHarness {
  readonly logs: RsmLogEntry[] = [];
  readonly #envs: string[] = [];
  module!: RemoteSigningModule;
  server!: RsmServer;

  private constructor(
    readonly dir: string,
    /** The harness's own SoftHSM, or null when the module serves a key of the caller's (`around`). */
    readonly hsm: SoftHsm | null,
    readonly hsmSigner: HsmSigner,
    readonly keys: RsmKeySet,
    readonly audit: SqliteAuditStore,
  ) {}

  /** Creates the token, key, key files and stores, and starts the module in front of the HSM signer. */
  static async create(token: string, config: Partial<RsmServiceConfigInput> = {}): Promise<RsmHarness> {
    const hsm = SoftHsm.create([token]);
    generateSecp256k1Key(hsm.config(token, { label: "rsm-key" }));
    const signer = await HsmSigner.create(hsm.config(token, { label: "rsm-key" }));
    return RsmHarness.build(hsm, signer, config);
  }

  /** A module in front of the caller's HSM signer (its token and key stay the caller's; the signer is closed). */
  static around(signer: HsmSigner, config: Partial<RsmServiceConfigInput> = {}): Promise<RsmHarness> {
    return RsmHarness.build(null, signer, config);
  }

  private static async build(
    hsm: SoftHsm | null,
    signer: HsmSigner,
    config: Partial<RsmServiceConfigInput>,
  ): Promise<RsmHarness> {
    const dir = mkdtempSync(path.join(tmpdir(), "rsm-test-"));
    const audit = SqliteAuditStore.open({
      path: path.join(dir, "audit.db"),
      table: "audit_log",
      pageSize: 100,
      busyTimeoutMs: 1_000,
    });
    const harness = new RsmHarness(dir, hsm, signer, await generateRsmKeys(), audit);
    await harness.start(config);
    return harness;
  }

  /** The module's configuration: encryption key as a JWK file, response key as an encrypted PEM file. */
  serviceConfig(extra: Partial<RsmServiceConfigInput> = {}): RsmServiceConfigInput {
    const { moduleEncryption, moduleResponse, middleware } = this.keys;
    const passphrase = randomBytes(12).toString("hex");
    const pem = privateKey(moduleResponse.privateJwk).export({
      format: "pem",
      type: "pkcs8",
      cipher: "aes-256-cbc",
      passphrase,
    });
    return {
      moduleId: MODULE_ID,
      listen: { host: "127.0.0.1", port: 0 },
      encryptionKey: {
        kid: moduleEncryption.kid,
        key: { file: this.file("enc.jwk", JSON.stringify(moduleEncryption.privateJwk)) },
      },
      responseKey: {
        kid: moduleResponse.kid,
        alg: "ES256",
        key: { file: this.file("response.pem", pem as string), passphrase: { env: this.env(passphrase) } },
      },
      middleware: [{ id: MIDDLEWARE_ID, kid: middleware.kid, alg: "ES256", publicKey: { jwk: middleware.publicJwk } }],
      clockSkewSeconds: 30,
      maxLifetimeSeconds: 120,
      replayStore: { path: path.join(this.dir, "replay.db") },
      limits: { maxBodyBytes: 16_384, requestTimeoutMs: 5_000, headersTimeoutMs: 5_000 },
      ...extra,
    };
  }

  /** A client configuration: the middleware key from an environment variable, module keys inline. */
  clientConfig(extra: Partial<RemoteSignerConfigInput> = {}): RemoteSignerConfigInput {
    const { moduleEncryption, moduleResponse, middleware } = this.keys;
    return {
      url: this.server.url,
      moduleId: MODULE_ID,
      middlewareId: MIDDLEWARE_ID,
      signer: this.hsmSigner.address,
      signingKey: { kid: middleware.kid, alg: "ES256", key: { env: this.env(JSON.stringify(middleware.privateJwk)) } },
      moduleEncryptionKey: { kid: moduleEncryption.kid, publicKey: { jwk: moduleEncryption.publicJwk } },
      moduleResponseKey: { kid: moduleResponse.kid, alg: "ES256", publicKey: { jwk: moduleResponse.publicJwk } },
      ...extra,
    };
  }

  client(extra: Partial<RemoteSignerConfigInput> = {}): RemoteSigner {
    return RemoteSigner.create(this.clientConfig(extra));
  }

  /** (Re)starts the module and its server on the same replay store and audit log. */
  async start(
    config: Partial<RsmServiceConfigInput> = {},
    signers: readonly Signer[] = [this.hsmSigner],
  ): Promise<void> {
    this.module = await RemoteSigningModule.open(this.serviceConfig(config), {
      signers,
      audit: this.audit,
      log: (entry) => this.logs.push(entry),
    });
    this.server = await startRsmServer(this.module);
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.module.close();
  }

  /** A sealed request with the harness's keys; any option can be overridden to break it. */
  seal(body: SignBody, options: Partial<SealOptions> = {}): Promise<{ jwe: string; jti: string }> {
    const { moduleEncryption, middleware } = this.keys;
    return sealRequest(body, {
      issuer: MIDDLEWARE_ID,
      audience: MODULE_ID,
      signer: this.hsmSigner.address,
      lifetimeSeconds: 60,
      signingKey: { kid: middleware.kid, alg: "ES256", key: privateKey(middleware.privateJwk) },
      encryptionKey: { kid: moduleEncryption.kid, key: createPublicKey(privateKey(moduleEncryption.privateJwk)) },
      ...options,
    });
  }

  /** POSTs a body to /v1/sign; returns the status, the raw text and the parsed error (if JSON). */
  async post(body: string, contentType = RSM_CONTENT_TYPE): Promise<{ status: number; text: string; code?: string }> {
    const response = await fetch(`${this.server.url}${SIGN_PATH}`, {
      method: "POST",
      headers: { "Content-Type": contentType },
      body,
    });
    const text = await response.text();
    const code = response.headers.get("content-type")?.startsWith("application/json")
      ? (JSON.parse(text) as { error?: { code?: string } }).error?.code
      : undefined;
    return { status: response.status, text, code };
  }

  /** Every audit record, oldest first. */
  async records(): Promise<AuditRecord[]> {
    const all: AuditRecord[] = [];
    for await (const record of this.audit.records()) all.push(record);
    return all;
  }

  async destroy(): Promise<void> {
    await this.stop();
    await this.audit.close();
    await this.hsmSigner.close();
    for (const env of this.#envs) delete process.env[env];
    this.hsm?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private file(name: string, content: string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  }

  private env(value: string): string {
    const name = `RSM_TEST_${randomBytes(6).toString("hex").toUpperCase()}`;
    process.env[name] = value;
    this.#envs.push(name);
    return name;
  }
}
