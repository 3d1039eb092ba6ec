/**
 * A SoftHSM2 for the demo and the benchmarks: a token directory and configuration under the run directory,
 * `SOFTHSM2_CONF` pointing at it (set before the PKCS#11 module is first loaded), and one token per bank
 * initialised with a random user PIN that reaches the signer only through an environment variable.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, ErrorCode } from "../errors";
import type { HsmSignerConfigInput } from "../signer/config";

/** Debian's softhsm2 package (installed by scripts/setup.sh). */
export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

export class DemoHsm {
  readonly #pins = new Map<string, string>();

  private constructor(readonly dir: string) {}

  /** Creates the token directory and points SOFTHSM2_CONF at it. */
  static create(dir: string): DemoHsm {
    if (!existsSync(SOFTHSM_MODULE)) {
      throw new ConfigError(
        ErrorCode.ConfigNotFound,
        `SoftHSM2 is not installed (${SOFTHSM_MODULE}); run scripts/setup.sh`,
      );
    }
    const tokens = path.join(dir, "tokens");
    mkdirSync(tokens, { recursive: true });
    const conf = path.join(dir, "softhsm2.conf");
    writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = conf;
    return new DemoHsm(dir);
  }

  /** Initialises a token labelled `label`; its PIN is put in the environment variable this returns. */
  initToken(label: string): string {
    const env = `DEMO_HSM_PIN_${label.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
    const pin = randomBytes(8).toString("hex");
    execFileSync(
      "softhsm2-util",
      ["--init-token", "--free", "--label", label, "--so-pin", randomBytes(8).toString("hex"), "--pin", pin],
      { stdio: "pipe", env: process.env },
    );
    process.env[env] = pin;
    this.#pins.set(label, env);
    return env;
  }

  /** Signer configuration of the key `keyLabel` on token `tokenLabel`. */
  config(tokenLabel: string, keyLabel: string, extra: Partial<HsmSignerConfigInput> = {}): HsmSignerConfigInput {
    const env = this.#pins.get(tokenLabel);
    if (env === undefined) throw new ConfigError(ErrorCode.ConfigInvalid, `no demo token ${tokenLabel}`);
    return { modulePath: SOFTHSM_MODULE, tokenLabel, pin: { env }, key: { label: keyLabel }, ...extra };
  }
}
