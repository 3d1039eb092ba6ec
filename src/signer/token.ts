/**
 * Token-level PKCS#11 steps: find the slot by token label, open a session, log in, find a key pair
 * by label or id and read its public point. Each step maps the token's refusals to typed errors.
 */
import * as pkcs11 from "pkcs11js";
import { keySelectorBytes, resolvePin, type KeySelector, type PinSource } from "./config";
import { HsmKeyNotFoundError, HsmLoginError, HsmTokenNotFoundError } from "./errors";
import { isCkr } from "./library";

type Api = pkcs11.PKCS11;

/** Return values of C_Login that mean the PIN itself is refused (never retried). */
const PIN_REFUSALS = new Set<number>([
  pkcs11.CKR_PIN_INCORRECT,
  pkcs11.CKR_PIN_INVALID,
  pkcs11.CKR_PIN_LEN_RANGE,
  pkcs11.CKR_PIN_EXPIRED,
  pkcs11.CKR_PIN_LOCKED,
]);

/** Slot holding the token labelled `tokenLabel`; slots whose token cannot be read are skipped. */
export function findSlot(api: Api, tokenLabel: string): Buffer {
  for (const slot of api.C_GetSlotList(true)) {
    let label: string;
    try {
      label = api.C_GetTokenInfo(slot).label.trimEnd();
    } catch {
      continue;
    }
    if (label === tokenLabel) return slot;
  }
  throw new HsmTokenNotFoundError(tokenLabel);
}

/** Opens a session on the token and logs the user in (already logged in through another session is fine). */
export function openLoggedInSession(
  api: Api,
  tokenLabel: string,
  pin: PinSource,
  options: { readWrite?: boolean } = {},
): Buffer {
  const slot = findSlot(api, tokenLabel);
  const flags = pkcs11.CKF_SERIAL_SESSION | (options.readWrite === true ? pkcs11.CKF_RW_SESSION : 0);
  const session = api.C_OpenSession(slot, flags);
  try {
    api.C_Login(session, pkcs11.CKU_USER, resolvePin(pin));
  } catch (error) {
    if (!isCkr(error, pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
      closeQuietly(api, session);
      if (error instanceof pkcs11.Pkcs11Error && PIN_REFUSALS.has(error.code)) {
        throw new HsmLoginError(tokenLabel, error.message, error);
      }
      throw error;
    }
  }
  return session;
}

/** Closes a session, ignoring errors (it may already be gone). */
export function closeQuietly(api: Api, session: Buffer): void {
  try {
    api.C_CloseSession(session);
  } catch {
    // The session is unusable either way.
  }
}

/** Handles of the objects of `objectClass` that match the selector. */
export function findKeys(api: Api, session: Buffer, objectClass: number, key: KeySelector): Buffer[] {
  const { label, id } = keySelectorBytes(key);
  const template: pkcs11.Template = [
    { type: pkcs11.CKA_CLASS, value: objectClass },
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
  ];
  if (label !== undefined) template.push({ type: pkcs11.CKA_LABEL, value: label });
  if (id !== undefined) template.push({ type: pkcs11.CKA_ID, value: id });
  api.C_FindObjectsInit(session, template);
  try {
    return api.C_FindObjects(session, 2);
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

/** The one private key and the one public key matching the selector (else `HsmKeyNotFoundError`). */
export function findKeyPair(
  api: Api,
  session: Buffer,
  tokenLabel: string,
  key: KeySelector,
): { privateKey: Buffer; publicKey: Buffer } {
  const privateKeys = findKeys(api, session, pkcs11.CKO_PRIVATE_KEY, key);
  const publicKeys = findKeys(api, session, pkcs11.CKO_PUBLIC_KEY, key);
  if (privateKeys.length !== 1 || publicKeys.length !== 1) {
    const matches = privateKeys.length !== 1 ? privateKeys.length : publicKeys.length;
    throw new HsmKeyNotFoundError(tokenLabel, { ...key }, matches);
  }
  return { privateKey: privateKeys[0], publicKey: publicKeys[0] };
}

/** CKA_EC_POINT of a public key object (DER octet string around the uncompressed point). */
export function readEcPoint(api: Api, session: Buffer, publicKey: Buffer): Buffer {
  const [attribute] = api.C_GetAttributeValue(session, publicKey, [{ type: pkcs11.CKA_EC_POINT }]);
  return attribute.value;
}
