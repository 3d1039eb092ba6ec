/**
 * An ethers v6 signer whose key lives in an HSM: transactions (legacy type 0, including gas price 0
 * on free-gas networks, and EIP-1559 type 2), EIP-191 messages and EIP-712 typed data, each signed as
 * a digest by `HsmKey` and verified before it is released.
 */
import {
  AbstractSigner,
  assert,
  assertArgument,
  copyRequest,
  getAddress,
  hashMessage,
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
import type { HsmSignerConfigInput } from "./config";
import { HsmKey, type HsmKeyOptions } from "./hsm-key";
import { unsignedHashOf } from "./tx-hash";

/** Signer backed by one HSM key. Signers made by `connect` share the key (and its sessions). */
export class HsmSigner extends AbstractSigner {
  /** The HSM key; `close()` on it (or on any connected signer) ends signing for all of them. */
  readonly key: HsmKey;

  constructor(key: HsmKey, provider?: null | Provider) {
    super(provider);
    this.key = key;
  }

  /** Opens the key described by `config` and returns a signer for it. */
  static async create(
    config: HsmSignerConfigInput,
    options: HsmKeyOptions & { provider?: null | Provider } = {},
  ): Promise<HsmSigner> {
    return new HsmSigner(await HsmKey.open(config, options), options.provider);
  }

  /** Checksummed address of the HSM key. */
  get address(): string {
    return this.key.address;
  }

  override getAddress(): Promise<string> {
    return Promise.resolve(this.key.address);
  }

  override connect(provider: null | Provider): HsmSigner {
    return new HsmSigner(this.key, provider);
  }

  override async signTransaction(tx: TransactionRequest | Transaction): Promise<string> {
    // A transaction object without a sender (as double-sign protection passes it) is signed as it is, unrebuilt.
    if (tx instanceof Transaction && tx.from == null) return this.signUnsigned(tx.clone());
    const request = copyRequest(tx);
    const { to, from } = await resolveProperties({
      to: request.to == null ? undefined : resolveAddress(request.to, this),
      from: request.from == null ? undefined : resolveAddress(request.from, this),
    });
    if (to != null) request.to = to;
    if (from != null) {
      assertArgument(getAddress(from) === this.address, "transaction from address mismatch", "tx.from", from);
    }
    delete request.from;
    return this.signUnsigned(Transaction.from(request as TransactionLike<string>));
  }

  /** Sets the signature of `unsigned` (checked against the key's address) and returns its serialized form. */
  private async signUnsigned(unsigned: Transaction): Promise<string> {
    unsigned.signature = await this.key.signDigest(unsignedHashOf(unsigned));
    return unsigned.serialized;
  }

  override async signMessage(message: string | Uint8Array): Promise<string> {
    return (await this.key.signDigest(hashMessage(message))).serialized;
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
    const digest = TypedDataEncoder.hash(populated.domain, types, populated.value as Record<string, unknown>);
    return (await this.key.signDigest(digest)).serialized;
  }

  /** Closes the key (see `key`). */
  close(): Promise<void> {
    return this.key.close();
  }
}
