/**
 * The keys behind a participant's gate, built from its configuration: the bank's own key (a key in a local HSM,
 * or one behind the remote signing module, reached over HTTP) and, when the configuration names a custody
 * directory, the key of every account custody holds: a segregated client's own key (HD or HSM), or the omnibus
 * address, which is the bank's own key. Each key signs through its own gate (the same policy engine, approvals,
 * audit log and double-sign protection), at the tier custody gives it.
 */
import { getAddress, type Provider, type Signer } from "ethers";
import {
  ClientSigners,
  KeyDirectory,
  loadCustodyConfig,
  OmnibusLedger,
  type CustodyConfig,
  type KeyTier,
  type OmnibusCustodyConfig,
} from "../custody";
import { ConfigError, ErrorCode } from "../errors";
import { RemoteSigner, RemoteSignerConfigSchema } from "../rsm";
import type { SettlementTerms } from "../settlement";
import { HsmSigner } from "../signer";
import type { PolicyGatedSigner } from "../orchestrator";
import type { ParticipantConfig } from "./config";

/** The bank's own key: in a local HSM, or behind the remote signing module. */
export type BankSigner = HsmSigner | RemoteSigner;

/** Opens the bank's own key as the configuration says (`hsm` or `signer: { kind: "remote" }`). */
async function openBankSigner(config: ParticipantConfig, provider: Provider): Promise<BankSigner> {
  // The configuration was validated whole; `strip` only drops `kind`, which the client's strict schema refuses.
  if (config.signer !== undefined)
    return RemoteSigner.create(RemoteSignerConfigSchema.strip().parse(config.signer), provider);
  // The schema requires exactly one of `hsm` and `signer`.
  return (await HsmSigner.create(config.hsm!)).connect(provider);
}

export class ParticipantSigners {
  /** The bank's own key. */
  readonly own: BankSigner;
  readonly address: string;
  /** The custody configuration named by the participant's, or null. */
  readonly custody: CustodyConfig | null;
  readonly directory: KeyDirectory | null;
  /** The omnibus ledger (omnibus custody only). */
  readonly ledger: OmnibusLedger | null;
  readonly #clients: ClientSigners | null;
  readonly #ownTier: KeyTier;

  private constructor(
    own: BankSigner,
    address: string,
    custody: CustodyConfig | null,
    ledger: OmnibusLedger | null,
    config: ParticipantConfig,
  ) {
    this.own = own;
    this.address = address;
    this.custody = custody;
    this.directory = custody === null ? null : KeyDirectory.fromConfig(custody);
    this.#clients = custody?.model === "segregated" ? ClientSigners.for(custody, own.provider) : null;
    this.ledger = ledger;
    this.#ownTier = config.keyTier;
  }

  /**
   * The bank's own key and, with `custody`, the custody directory (and the omnibus ledger). An omnibus address
   * that is not the bank's own key is refused (CONFIG_INVALID): the omnibus account is signed by the bank's key.
   */
  static async open(config: ParticipantConfig, provider: Provider): Promise<ParticipantSigners> {
    const custody = config.custody === undefined ? null : await loadCustodyConfig(config.custody.config);
    const own = await openBankSigner(config, provider);
    try {
      const address = getAddress(await own.getAddress());
      if (custody?.model === "omnibus" && custody.omnibus.address !== address) {
        throw new ConfigError(
          ErrorCode.ConfigInvalid,
          `custody's omnibus address ${custody.omnibus.address} is not the bank's key ${address}`,
          { omnibus: custody.omnibus.address, key: address },
        );
      }
      const ledger = custody?.model === "omnibus" ? await OmnibusLedger.open(custody.ledger) : null;
      return new ParticipantSigners(own, address, custody, ledger, config);
    } catch (error) {
      if (own instanceof HsmSigner) await own.close();
      throw error;
    }
  }

  /** The omnibus custody configuration, or null under segregated custody or none. */
  get omnibus(): OmnibusCustodyConfig | null {
    return this.custody?.model === "omnibus" ? this.custody : null;
  }

  /** Every account custody holds a key for (none without custody). */
  custodyAccounts(): string[] {
    return this.directory?.entries().map((k) => k.address) ?? [];
  }

  /** The accounts of custody's client keys (segregated custody; none otherwise). */
  clientAccounts(): string[] {
    return this.directory?.entries().flatMap((k) => (k.clientId === undefined ? [] : [k.address])) ?? [];
  }

  /** The custody tier of the key at `address`: custody's for its keys, the configured `keyTier` for the bank's. */
  readonly keyTier = {
    tierOf: (address: string): KeyTier =>
      this.directory?.has(address) === true ? this.directory.tierOf(address) : this.#ownTier,
  };

  /** The party of `terms` held by a custody client key (seller first), or undefined: the bank's key signs. */
  clientAccountOf(terms: Pick<SettlementTerms, "seller" | "buyer">): string | undefined {
    return [terms.seller, terms.buyer].find((a) => this.isClientAccount(a));
  }

  /** True when `address` is the account of a custody client key (segregated custody). */
  isClientAccount(address: string): boolean {
    return this.#clientOf(address) !== undefined;
  }

  /** The signer of `address`: a segregated client's key, or the bank's own key for anything else. */
  async signerFor(address: string | undefined): Promise<Signer> {
    const clientId = address === undefined ? undefined : this.#clientOf(address);
    if (clientId === undefined || this.#clients === null) return this.own;
    return this.#clients.clientSigner(clientId);
  }

  async close(): Promise<void> {
    await this.#clients?.close();
    await this.ledger?.close();
    if (this.own instanceof HsmSigner) await this.own.close();
  }

  #clientOf(address: string): string | undefined {
    if (this.directory?.has(address) !== true) return undefined;
    return this.directory.describe(address).clientId;
  }
}

/** One gate per key (created on first use): the bank's own gate, and one for each custody client key. */
export class KeyGates {
  readonly #signers: ParticipantSigners;
  readonly #build: (inner: Signer) => PolicyGatedSigner;
  readonly #gates = new Map<string, Promise<PolicyGatedSigner>>();
  /** The bank's own key's gate. */
  readonly own: PolicyGatedSigner;

  constructor(signers: ParticipantSigners, build: (inner: Signer) => PolicyGatedSigner) {
    this.#signers = signers;
    this.#build = build;
    this.own = build(signers.own);
  }

  /** The gate of the key that signs for `account` (the bank's own gate when custody holds no client key for it). */
  for(account: string | undefined): Promise<PolicyGatedSigner> {
    if (account === undefined || !this.#signers.isClientAccount(account)) {
      return Promise.resolve(this.own);
    }
    const key = getAddress(account);
    let gate = this.#gates.get(key);
    if (gate === undefined) {
      gate = this.#signers.signerFor(key).then((inner) => this.#build(inner));
      this.#gates.set(key, gate);
      const opening = gate;
      opening.catch(() => {
        if (this.#gates.get(key) === opening) this.#gates.delete(key);
      });
    }
    return gate;
  }
}
