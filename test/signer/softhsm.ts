/**
 * A throw-away SoftHSM for one test file: a temporary token directory and config, `SOFTHSM2_CONF`
 * pointing at it (set before the PKCS#11 module is loaded), tokens initialised with random PINs that
 * reach the signer only through environment variables. `destroy()` removes all of it.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PKCS11 } from "pkcs11js";
import type { HsmSignerConfigInput, KeySelector } from "../../src/signer";

export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

export class SoftHsm {
  readonly dir: string;
  readonly confPath: string;
  readonly #pinEnv = new Map<string, string>();

  private constructor(dir: string) {
    this.dir = dir;
    this.confPath = path.join(dir, "softhsm2.conf");
  }

  /** A SoftHSM with one initialised token per label. Call before any signer in the file is opened. */
  static create(tokenLabels: readonly string[]): SoftHsm {
    const hsm = new SoftHsm(mkdtempSync(path.join(tmpdir(), "hsm-signer-test-")));
    const tokenDir = path.join(hsm.dir, "tokens");
    mkdirSync(tokenDir);
    writeFileSync(hsm.confPath, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = hsm.confPath;
    for (const label of tokenLabels) hsm.initToken(label);
    return hsm;
  }

  /** Initialises a token; the module must be (re)initialised afterwards to see it. */
  initToken(label: string): void {
    const pin = randomBytes(8).toString("hex");
    const env = `HSM_TEST_PIN_${randomBytes(6).toString("hex").toUpperCase()}`;
    const soPin = randomBytes(8).toString("hex");
    this.softhsmUtil(["--init-token", "--free", "--label", label, "--so-pin", soPin, "--pin", pin]);
    process.env[env] = pin;
    this.#pinEnv.set(label, env);
  }

  /** Deletes a token's files (the running module notices on its next access). */
  deleteToken(label: string): void {
    this.softhsmUtil(["--delete-token", "--token", label]);
  }

  /** Name of the environment variable holding the token's user PIN. */
  pinEnv(label: string): string {
    const env = this.#pinEnv.get(label);
    if (env === undefined) throw new Error(`no token ${label}`);
    return env;
  }

  /** Signer configuration for a key on one of the tokens (PIN by environment variable). */
  config(tokenLabel: string, key: KeySelector, extra: Partial<HsmSignerConfigInput> = {}): HsmSignerConfigInput {
    return {
      modulePath: SOFTHSM_MODULE,
      tokenLabel,
      pin: { env: this.pinEnv(tokenLabel) },
      key,
      retry: { maxRetries: 3, backoffMs: 1 },
      ...extra,
    };
  }

  /** Removes the token directory and the PIN variables. */
  destroy(): void {
    for (const env of this.#pinEnv.values()) delete process.env[env];
    if (process.env.SOFTHSM2_CONF === this.confPath) delete process.env.SOFTHSM2_CONF;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private softhsmUtil(args: string[]): void {
    execFileSync("softhsm2-util", args, { env: { ...process.env, SOFTHSM2_CONF: this.confPath }, stdio: "pipe" });
  }
}

/** Slot of the token labelled `label` (for fault injection through the shared module). */
export function slotOf(api: PKCS11, label: string): Buffer {
  const slot = api.C_GetSlotList(true).find((candidate) => api.C_GetTokenInfo(candidate).label.trimEnd() === label);
  if (slot === undefined) throw new Error(`no token ${label}`);
  return slot;
}
