/**
 * Generates a secp256k1 key pair inside the token (CKM_EC_KEY_PAIR_GEN). The private key is a token
 * object, sensitive and not extractable: it never exists outside the HSM.
 */
import { randomBytes } from "node:crypto";
import * as pkcs11 from "pkcs11js";
import { keySelectorBytes, parseHsmSignerConfig, type HsmSignerConfigInput } from "./config";
import { HsmKeyExistsError } from "./errors";
import { acquireLibrary } from "./library";
import { addressFromEcPoint, SECP256K1_EC_PARAMS } from "./secp256k1";
import { closeQuietly, findKeys, openLoggedInSession, readEcPoint } from "./token";

/** Length of the random CKA_ID given to a key selected by label. */
const GENERATED_ID_BYTES = 16;

/** What key generation produced. */
export interface GeneratedKey {
  /** Checksummed Ethereum address of the new key. */
  readonly address: string;
  /** CKA_ID of both objects, hex without 0x. */
  readonly id: string;
  /** CKA_LABEL of both objects, when the selector was a label. */
  readonly label?: string;
}

/**
 * Generates the key pair that `config.key` selects (by label: with a random id; by id: without a
 * label). Refuses with `HsmKeyExistsError` when a key already matches, so a selector stays unique.
 */
export function generateSecp256k1Key(config: HsmSignerConfigInput): GeneratedKey {
  const parsed = parseHsmSignerConfig(config);
  const library = acquireLibrary(parsed.modulePath);
  try {
    const api = library.api();
    const session = openLoggedInSession(api, parsed.tokenLabel, parsed.pin, { readWrite: true });
    try {
      const existing = [pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY].flatMap((objectClass) =>
        findKeys(api, session, objectClass, parsed.key),
      );
      if (existing.length > 0) throw new HsmKeyExistsError(parsed.tokenLabel, { ...parsed.key });
      const { label, id = randomBytes(GENERATED_ID_BYTES) } = keySelectorBytes(parsed.key);
      const naming: pkcs11.Template = [{ type: pkcs11.CKA_ID, value: id }];
      if (label !== undefined) naming.push({ type: pkcs11.CKA_LABEL, value: label });
      const { publicKey } = api.C_GenerateKeyPair(
        session,
        { mechanism: pkcs11.CKM_EC_KEY_PAIR_GEN },
        [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PUBLIC_KEY },
          { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
          { type: pkcs11.CKA_TOKEN, value: true },
          { type: pkcs11.CKA_PRIVATE, value: false },
          { type: pkcs11.CKA_VERIFY, value: true },
          { type: pkcs11.CKA_EC_PARAMS, value: SECP256K1_EC_PARAMS },
          ...naming,
        ],
        [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
          { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
          { type: pkcs11.CKA_TOKEN, value: true },
          { type: pkcs11.CKA_PRIVATE, value: true },
          { type: pkcs11.CKA_SIGN, value: true },
          { type: pkcs11.CKA_SENSITIVE, value: true },
          { type: pkcs11.CKA_EXTRACTABLE, value: false },
          ...naming,
        ],
      );
      const address = addressFromEcPoint(readEcPoint(api, session, publicKey));
      return { address, id: id.toString("hex"), ...(label === undefined ? {} : { label }) };
    } finally {
      closeQuietly(api, session);
    }
  } finally {
    library.release();
  }
}
