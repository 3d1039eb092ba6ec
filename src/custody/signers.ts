/**
 * `ClientSigners`: the ethers signer of each client of segregated custody. An HD client's wallet is derived from
 * the bank's keystore (decrypted once, on first use, and kept in memory until `close`); an HSM client's signer is
 * an `HsmSigner` on its token and key label. Either way the key must be at the address the configuration
 * records for the client, or nothing is returned.
 */
import type { HDNodeWallet, Provider, Signer } from "ethers";
import type { HsmSignerConfigInput } from "../signer/config";
import type { HsmSigner } from "../signer/hsm-signer";
import type { ClientKeyConfig, CustodyConfig, HsmKeyRef, SegregatedCustodyConfig } from "./config";
import {
  CustodyClientUnknownError,
  CustodyConfigError,
  CustodyKeyMismatchError,
  CustodyWrongModelError,
} from "./errors";
import { deriveClientWallet, openKeystore } from "./keystore";

/** Names the configuration in the errors of a configuration that bypassed `parseCustodyConfig`. */
const SOURCE = "<custody config>";

export class ClientSigners {
  readonly #config: SegregatedCustodyConfig;
  readonly #provider: Provider | null;
  #account: Promise<HDNodeWallet> | undefined;
  readonly #hsm = new Map<string, Promise<HsmSigner>>();

  private constructor(config: SegregatedCustodyConfig, provider: Provider | null) {
    this.#config = config;
    this.#provider = provider;
  }

  /** Signers for a segregated configuration; an omnibus one has no client keys (CUSTODY_WRONG_MODEL). */
  static for(config: CustodyConfig, provider: Provider | null = null): ClientSigners {
    if (config.model !== "segregated") throw new CustodyWrongModelError("segregated", config.model);
    return new ClientSigners(config, provider);
  }

  /** The signer of `clientId`, connected to the provider: an HD wallet or an HSM signer (shared per client). */
  async clientSigner(clientId: string): Promise<Signer> {
    const client = Object.hasOwn(this.#config.clients, clientId) ? this.#config.clients[clientId] : undefined;
    if (client === undefined) throw new CustodyClientUnknownError(clientId);
    if (client.hd !== undefined) {
      const wallet = deriveClientWallet(await this.#accountNode(), client.hd.index);
      checkAddress(clientId, client, wallet.address);
      return wallet.connect(this.#provider);
    }
    return this.#hsmSigner(clientId, client, client.hsm as HsmKeyRef);
  }

  /** Closes every HSM signer opened here and forgets the decrypted seed. */
  async close(): Promise<void> {
    const opened = [...this.#hsm.values()];
    this.#hsm.clear();
    this.#account = undefined;
    const signers = await Promise.allSettled(opened);
    const closing = signers.flatMap((s) => (s.status === "fulfilled" ? [s.value.close()] : []));
    await Promise.all(closing);
  }

  #accountNode(): Promise<HDNodeWallet> {
    const keystore = this.#config.keystore;
    // parseCustodyConfig requires a keystore whenever a client has an HD index.
    if (keystore === undefined) throw new CustodyConfigError(SOURCE, [{ path: "keystore", message: "required" }]);
    if (this.#account === undefined) {
      const opening = openKeystore(keystore);
      this.#account = opening;
      // A failed decryption (wrong passphrase) is not remembered: the next call tries again.
      opening.catch(() => {
        if (this.#account === opening) this.#account = undefined;
      });
    }
    return this.#account;
  }

  #hsmSigner(clientId: string, client: ClientKeyConfig, ref: HsmKeyRef): Promise<HsmSigner> {
    let signer = this.#hsm.get(clientId);
    if (signer === undefined) {
      signer = this.#openHsmSigner(clientId, client, ref);
      this.#hsm.set(clientId, signer);
      const opening = signer;
      opening.catch(() => {
        if (this.#hsm.get(clientId) === opening) this.#hsm.delete(clientId);
      });
    }
    return signer;
  }

  async #openHsmSigner(clientId: string, client: ClientKeyConfig, ref: HsmKeyRef): Promise<HsmSigner> {
    const module = this.#config.hsm;
    const pin = ref.pin ?? module?.pin;
    // parseCustodyConfig requires the module, and a PIN on the key or the module, for every HSM client.
    if (module === undefined || pin === undefined) {
      throw new CustodyConfigError(SOURCE, [{ path: `clients.${clientId}.hsm`, message: "needs hsm and a PIN" }]);
    }
    const config: HsmSignerConfigInput = {
      modulePath: module.modulePath,
      tokenLabel: ref.tokenLabel,
      pin,
      key: { label: ref.keyLabel },
      sessions: module.sessions,
      retry: module.retry,
    };
    // Loaded on first use: the PKCS#11 binding stays out of processes that never sign with an HSM.
    const { HsmSigner } = await import("../signer/hsm-signer");
    const signer = await HsmSigner.create(config, { provider: this.#provider });
    try {
      checkAddress(clientId, client, signer.address);
    } catch (error) {
      await signer.close();
      throw error;
    }
    return signer;
  }
}

function checkAddress(clientId: string, client: ClientKeyConfig, actual: string): void {
  if (actual !== client.address) throw new CustodyKeyMismatchError(clientId, client.address, actual);
}
