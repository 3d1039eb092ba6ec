/**
 * The bank's BIP39 seed for segregated client wallets, kept only in an encrypted JSON keystore (ethers' scrypt +
 * AES-128-CTR format, the mnemonic in its encrypted `x-ethers` part). The file is written once, mode 0600,
 * through a temporary file linked into place, so it is never replaced and never half-written. The passphrase
 * comes from an environment variable or a file, is handed to the KDF only, and is never stored or logged.
 * Client wallets are derived on m/44'/60'/0'/0/<clientIndex> (BIP44, Ethereum coin type 60, account 0).
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { decryptKeystoreJson, HDNodeWallet, isError, isKeystoreJson, Mnemonic } from "ethers";
import { MAX_CLIENT_INDEX, type SecretSource } from "./config";
import { readSecret } from "../core/secrets";
import {
  CustodyKeystoreExistsError,
  CustodyKeystoreUnreadableError,
  CustodyPassphraseUnavailableError,
  CustodyPassphraseWrongError,
} from "./errors";

/** Parent of every client wallet: client `i` is at `${CLIENT_PATH_PREFIX}/${i}`. */
export const CLIENT_PATH_PREFIX = "m/44'/60'/0'/0";

/** Entropy of a generated mnemonic: 32 bytes, 24 words. */
const ENTROPY_BYTES = 32;

/** Where the keystore is and where its passphrase comes from. */
export interface KeystoreLocation {
  path: string;
  passphrase: SecretSource;
}

/** What writing a keystore reports: its file and the address of client index 0 (public, as in the file). */
export interface KeystoreInfo {
  path: string;
  firstAddress: string;
}

/** The derivation path of client `index`. */
export function clientPath(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_CLIENT_INDEX) {
    throw new RangeError(`client index must be an integer from 0 to ${MAX_CLIENT_INDEX}`);
  }
  return `${CLIENT_PATH_PREFIX}/${index}`;
}

/** Reads the passphrase from its source. Returned to the caller only, never stored or logged. */
export function resolvePassphrase(source: SecretSource): string {
  return readSecret(source, (cause) => new CustodyPassphraseUnavailableError(source, cause));
}

/** Generates a new 24-word mnemonic and writes it, encrypted, to a new keystore file (refuses to overwrite). */
export async function createKeystore(location: KeystoreLocation): Promise<KeystoreInfo> {
  return writeKeystore(location, () => Mnemonic.fromEntropy(randomBytes(ENTROPY_BYTES)));
}

/** Writes a new keystore for an existing mnemonic (recovery from the offline backup); refuses to overwrite. */
export async function restoreKeystore(location: KeystoreLocation, phrase: string): Promise<KeystoreInfo> {
  return writeKeystore(location, () => Mnemonic.fromPhrase(phrase));
}

/** Decrypts the keystore and returns the account node m/44'/60'/0'/0 that client wallets derive from. */
export async function openKeystore(location: KeystoreLocation): Promise<HDNodeWallet> {
  const passphrase = resolvePassphrase(location.passphrase);
  let json: string;
  try {
    json = await readFile(location.path, "utf8");
  } catch (error) {
    throw new CustodyKeystoreUnreadableError(location.path, "cannot read the file", error);
  }
  if (!isKeystoreJson(json)) throw new CustodyKeystoreUnreadableError(location.path, "not a JSON keystore");
  let entropy: string | undefined;
  try {
    entropy = (await decryptKeystoreJson(json, passphrase)).mnemonic?.entropy;
  } catch (error) {
    if (isError(error, "INVALID_ARGUMENT") && error.argument === "password") {
      throw new CustodyPassphraseWrongError(location.path);
    }
    throw new CustodyKeystoreUnreadableError(location.path, "cannot decrypt", error);
  }
  if (entropy === undefined) throw new CustodyKeystoreUnreadableError(location.path, "holds no mnemonic");
  return HDNodeWallet.fromMnemonic(Mnemonic.fromEntropy(entropy), CLIENT_PATH_PREFIX);
}

/** Client `index`'s wallet under an account node from `openKeystore` (or a mnemonic, for tests and tools). */
export function deriveClientWallet(from: HDNodeWallet | Mnemonic, index: number): HDNodeWallet {
  const pathOfClient = clientPath(index);
  if (from instanceof Mnemonic) return HDNodeWallet.fromMnemonic(from, pathOfClient);
  if (from.path !== CLIENT_PATH_PREFIX) {
    throw new RangeError(`derive clients from the account node ${CLIENT_PATH_PREFIX}, not ${String(from.path)}`);
  }
  return from.deriveChild(index);
}

async function writeKeystore(location: KeystoreLocation, mnemonic: () => Mnemonic): Promise<KeystoreInfo> {
  const passphrase = resolvePassphrase(location.passphrase);
  const target = path.resolve(location.path);
  if (await exists(target)) throw new CustodyKeystoreExistsError(target);
  const wallet = HDNodeWallet.fromMnemonic(mnemonic(), clientPath(0));
  const json = await wallet.encrypt(passphrase);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temporary, "wx", 0o600);
  try {
    try {
      await handle.writeFile(json, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // link() fails when the target exists: a keystore created meanwhile is never replaced.
    await link(temporary, target).catch((error: NodeJS.ErrnoException) => {
      throw error.code === "EEXIST" ? new CustodyKeystoreExistsError(target) : error;
    });
    await syncDirectory(path.dirname(target));
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  return { path: target, firstAddress: wallet.address };
}

/** Makes the new directory entry durable (the file's own data was synced before it was linked). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
