/**
 * Typed errors of custody: `FrameworkError`s with a stable `code`, structured `details` and the underlying
 * `cause`. Details carry client ids, addresses, assets, amounts and paths, never a passphrase, mnemonic or key.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error custody raises (the CUSTODY_* members of the framework's `ErrorCode`). */
export type CustodyErrorCode = Extract<ErrorCode, `CUSTODY_${string}`>;

/** Base class of every custody error. Branch with `isFrameworkError(error, code)`. */
export class CustodyError extends FrameworkError<CustodyErrorCode> {}

/** The custody configuration does not match the schema (details list paths and messages, never values). */
export class CustodyConfigError extends CustodyError {
  constructor(source: string, issues: readonly { path: string; message: string }[]) {
    const [first] = issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super("CUSTODY_CONFIG_INVALID", `${source}: ${first.path}: ${first.message}${more}`, { source, issues });
  }
}

/** A key's tier breaks the rule: only a hot key may be a software (HD) key; warm and cold keys live in an HSM. */
export class CustodyKeyTierError extends CustodyError {
  constructor(source: string, path: string, tier: string, kind: string) {
    super(
      "CUSTODY_KEY_TIER_INVALID",
      `${source}: ${path}: a ${tier} key must be an HSM key (a ${kind} key may only be hot)`,
      { source, path, tier, kind },
    );
  }
}

/** The operation needs the other custody model (a ledger for segregated custody, client keys for omnibus). */
export class CustodyWrongModelError extends CustodyError {
  constructor(needed: string, configured: string) {
    super("CUSTODY_WRONG_MODEL", `this needs ${needed} custody; the configuration is ${configured}`, {
      needed,
      configured,
    });
  }
}

/** A movement is malformed: empty id or client, bad asset address, amount not a positive integer. */
export class CustodyMovementInvalidError extends CustodyError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super("CUSTODY_MOVEMENT_INVALID", `invalid ledger movement: ${reason}`, { reason, ...details });
  }
}

/** A movement id was already used for a movement with other content; nothing is booked. */
export class CustodyMovementConflictError extends CustodyError {
  constructor(movementId: string, recorded: Record<string, unknown>, given: Record<string, unknown>) {
    super(
      "CUSTODY_MOVEMENT_CONFLICT",
      `movement ${movementId} was already booked with other content; refusing the new one`,
      { movementId, recorded, given },
    );
  }
}

/** A debit or transfer would take a client's position below zero; nothing is booked. */
export class CustodyInsufficientPositionError extends CustodyError {
  constructor(clientId: string, asset: string, available: bigint, requested: bigint) {
    super(
      "CUSTODY_INSUFFICIENT_POSITION",
      `client ${clientId} holds ${available} of ${asset}, cannot move ${requested}`,
      { clientId, asset, available, requested },
    );
  }
}

/** The ledger database cannot be opened, read or written. */
export class CustodyLedgerUnavailableError extends CustodyError {
  constructor(path: string, reason: string, cause?: unknown) {
    super("CUSTODY_LEDGER_UNAVAILABLE", `omnibus ledger ${path} unavailable: ${reason}`, { path, reason }, cause);
  }
}

/** The ledger was closed. */
export class CustodyLedgerClosedError extends CustodyError {
  constructor(path: string) {
    super("CUSTODY_LEDGER_CLOSED", `omnibus ledger ${path} is closed`, { path });
  }
}

/** A token's balance could not be read on chain (no contract at the address, or the call failed). */
export class CustodyAssetUnreadableError extends CustodyError {
  constructor(asset: string, reason: string, cause?: unknown) {
    super("CUSTODY_ASSET_UNREADABLE", `cannot read asset ${asset} on chain: ${reason}`, { asset, reason }, cause);
  }
}

/** `createKeystore` refuses to replace an existing keystore file. */
export class CustodyKeystoreExistsError extends CustodyError {
  constructor(path: string) {
    super("CUSTODY_KEYSTORE_EXISTS", `keystore ${path} already exists; refusing to overwrite it`, { path });
  }
}

/** The keystore file cannot be read, is not an encrypted JSON keystore, or holds no mnemonic. */
export class CustodyKeystoreUnreadableError extends CustodyError {
  constructor(path: string, reason: string, cause?: unknown) {
    super("CUSTODY_KEYSTORE_UNREADABLE", `keystore ${path} unreadable: ${reason}`, { path, reason }, cause);
  }
}

/** The passphrase source (environment variable or file) is missing or empty. */
export class CustodyPassphraseUnavailableError extends CustodyError {
  constructor(source: { env: string } | { file: string }, cause?: unknown) {
    const where = "env" in source ? `environment variable ${source.env}` : `file ${source.file}`;
    super("CUSTODY_PASSPHRASE_UNAVAILABLE", `keystore passphrase not available from ${where}`, { source }, cause);
  }
}

/** The passphrase does not decrypt the keystore. */
export class CustodyPassphraseWrongError extends CustodyError {
  constructor(path: string, cause?: unknown) {
    super("CUSTODY_PASSPHRASE_WRONG", `the passphrase does not decrypt keystore ${path}`, { path }, cause);
  }
}

/** No client with this id in the configuration. */
export class CustodyClientUnknownError extends CustodyError {
  constructor(clientId: string) {
    super("CUSTODY_CLIENT_UNKNOWN", `no client "${clientId}" in the custody configuration`, { clientId });
  }
}

/** The address is not a key of the directory (neither the omnibus address nor a client's). */
export class CustodyKeyUnknownError extends CustodyError {
  constructor(address: string) {
    super("CUSTODY_KEY_UNKNOWN", `address ${address} is not a key of this bank's custody`, { address });
  }
}

/** A client's key (derived or in the HSM) is not at the address the configuration records for it. */
export class CustodyKeyMismatchError extends CustodyError {
  constructor(clientId: string, configured: string, actual: string) {
    super("CUSTODY_KEY_MISMATCH", `client ${clientId}: configured address ${configured}, but its key is ${actual}`, {
      clientId,
      configured,
      actual,
    });
  }
}
