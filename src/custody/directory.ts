/**
 * `KeyDirectory`: every key of the bank's custody by address, with its tier and kind, built from the validated
 * configuration alone (no passphrase, PIN or chain needed). The policy gate asks it for the `key_tier` of the
 * key that will sign an intent; an address custody does not know is refused, never given a default tier.
 */
import { getAddress, isAddress } from "ethers";
import type { CustodyConfig, KeyTier } from "./config";
import { CustodyKeyUnknownError } from "./errors";

/** How a key is held: the omnibus address, a client's HD wallet under the bank's seed, or a key in an HSM. */
export type KeyKind = "omnibus" | "hd" | "hsm";

/** What the directory knows of a key. `clientId` is absent for the omnibus address. */
export interface KeyDescription {
  address: string;
  clientId?: string;
  tier: KeyTier;
  kind: KeyKind;
}

export class KeyDirectory {
  readonly #keys: ReadonlyMap<string, KeyDescription>;

  private constructor(keys: readonly KeyDescription[]) {
    this.#keys = new Map(keys.map((k) => [k.address, Object.freeze({ ...k })]));
  }

  /** The directory of a configuration (validated by `parseCustodyConfig`, so addresses are unique). */
  static fromConfig(config: CustodyConfig): KeyDirectory {
    if (config.model === "omnibus") {
      return new KeyDirectory([{ address: config.omnibus.address, tier: config.omnibus.tier, kind: "omnibus" }]);
    }
    return new KeyDirectory(
      Object.entries(config.clients).map(([clientId, client]) => ({
        address: client.address,
        clientId,
        tier: client.tier,
        kind: client.hsm === undefined ? "hd" : "hsm",
      })),
    );
  }

  /** The tier of the key at `address` (any case); `CustodyKeyUnknownError` when custody does not hold it. */
  tierOf(address: string): KeyTier {
    return this.describe(address).tier;
  }

  /** Client, tier and kind of the key at `address` (any case); `CustodyKeyUnknownError` when unknown. */
  describe(address: string): KeyDescription {
    const key = isAddress(address) ? this.#keys.get(getAddress(address.toLowerCase())) : undefined;
    if (key === undefined) throw new CustodyKeyUnknownError(String(address));
    return key;
  }

  /** True when custody holds the key at `address`. */
  has(address: string): boolean {
    return isAddress(address) && this.#keys.has(getAddress(address.toLowerCase()));
  }

  /** The address of a client's key, or undefined. */
  addressOf(clientId: string): string | undefined {
    return this.entries().find((k) => k.clientId === clientId)?.address;
  }

  /** Every key, in configuration order. */
  entries(): KeyDescription[] {
    return [...this.#keys.values()];
  }
}
