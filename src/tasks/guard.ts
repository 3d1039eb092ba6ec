/**
 * The edge between the framework's typed errors and the command line. Every task action runs `guarded`:
 * a `FrameworkError` or a decodable contract revert becomes a `TaskError` (a Hardhat plugin error with the
 * stable code). When the task is the one the command line asked for, the failure is printed as one line on
 * stderr (plus `{"error": ...}` on stdout with `--json`) and the process exits with the code's exit status;
 * Hardhat would otherwise add a stack trace on headless machines. Called through `hre.run`, it throws.
 * `--show-stack-traces` always leaves the error to Hardhat.
 */
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ContractRevertError, ErrorCode, isFrameworkError, jsonSafe, TransactionError } from "../errors";
import { withNames } from "./names";
import { revertDecoder } from "./revert";

export const PLUGIN_NAME = "consortium";

/**
 * Exit status per code (sysexits.h): usage 64, data 65, no input 66, unavailable 69, software 70, can't create 73, temporary 75, config 78.
 * Codes other modules add later exit with 1 until they are mapped here.
 */
export const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  CONFIG_NOT_FOUND: 66,
  CONFIG_MALFORMED: 78,
  CONFIG_INVALID: 78,
  CONFIG_UNRESOLVED: 78,
  INPUT_INVALID: 64,
  INPUT_MISSING: 64,
  UNKNOWN_SIGNER: 64,
  UNKNOWN_MEMBER: 64,
  UNKNOWN_TOKEN: 64,
  WRONG_NETWORK: 64,
  DEPLOYMENT_NOT_FOUND: 65,
  DEPLOYMENT_MISMATCH: 65,
  PROPOSAL_NOT_FOUND: 65,
  SETTLEMENT_NOT_FOUND: 65,
  CONTRACT_REVERTED: 65,
  TRANSACTION_FAILED: 75,
  AUDIT_CONFIG_INVALID: 78,
  AUDIT_STORE_UNAVAILABLE: 66,
  AUDIT_VERIFY_FAILED: 65,
  POLICY_LOAD_FAILED: 66,
  POLICY_BUNDLE_NOT_FOUND: 66,
  POLICY_BUNDLE_MALFORMED: 65,
  POLICY_BUNDLE_UNSIGNED: 65,
  POLICY_BUNDLE_SIGNATURE_INVALID: 65,
  POLICY_BUNDLE_UNKNOWN_SIGNER: 65,
  POLICY_BUNDLE_THRESHOLD_NOT_MET: 65,
  POLICY_BUNDLE_TAMPERED: 65,
  POLICY_BUNDLE_UNPARSEABLE: 65,
  POLICY_BUNDLE_VERSION_NOT_RISING: 65,
  POLICY_BUNDLE_SHARED_VERSION_MISMATCH: 65,
  POLICY_BUNDLE_CONFIG_INVALID: 78,
  POLICY_BUNDLE_AUDIT_UNVERIFIED: 65,
  POLICY_SHARED_CONFLICTS: 65,
  POLICY_SHARED_READ_FAILED: 75,
  CUSTODY_CONFIG_INVALID: 78,
  CUSTODY_KEY_TIER_INVALID: 78,
  CUSTODY_LEDGER_UNAVAILABLE: 66,
  CUSTODY_ASSET_UNREADABLE: 65,
  CUSTODY_PASSPHRASE_UNAVAILABLE: 78,
  READINESS_FAILED: 65,
  // Signing through a bank's participant: a refusal by its policy is about the request (65); approvals still
  // to come and an HSM that is away are temporary (75); a key, PIN or token that is not there is configuration.
  GATE_DENIED: 65,
  GATE_UNDECODABLE: 65,
  GATE_APPROVALS_PENDING: 75,
  GATE_CONFIG_INVALID: 78,
  GATE_AUDIT_FAILED: 75,
  HSM_UNAVAILABLE: 75,
  HSM_CONFIG_INVALID: 78,
  HSM_PIN_UNAVAILABLE: 78,
  HSM_LOGIN_FAILED: 78,
  HSM_MODULE_LOAD_FAILED: 78,
  HSM_TOKEN_NOT_FOUND: 78,
  HSM_KEY_NOT_FOUND: 78,
  SIGNING_CONFIG_INVALID: 78,
  SIGNING_STORE_UNAVAILABLE: 75,
  SIGNING_NONCE_CONFLICT: 65,
  SIGNING_PAYLOAD_MISMATCH: 65,
  APPROVAL_CONFIG_INVALID: 78,
  APPROVAL_STORE_UNAVAILABLE: 75,
  POLICY_ENGINE_CONFIG_INVALID: 78,
  POLICY_RESERVATIONS_UNAVAILABLE: 75,
  POLICY_SHARED_STALE: 75,
  DEVNET_SPEC_INVALID: 78,
  DEVNET_KEY_INVALID: 78,
  DEVNET_PORT_BUSY: 75,
  DEVNET_CLIENT_UNKNOWN: 64,
  DEVNET_CLIENT_NOT_FOUND: 69,
  DEVNET_EXTRA_DATA_INVALID: 65,
  DEVNET_NOT_INITIALISED: 66,
  DEVNET_STATE_INVALID: 65,
  DEVNET_EXISTS: 73,
  DEVNET_ALREADY_RUNNING: 75,
  DEVNET_START_FAILED: 70,
  DEVNET_STOP_FAILED: 70,
  DEVNET_VALIDATOR_CONTRACT_MISSING: 66,
  UNEXPECTED: 70,
};

/** What a task reports when it fails: a stable code, one line of text, structured details. */
export class TaskError extends HardhatPluginError {
  readonly code: ErrorCode;
  /** The message without the code. */
  readonly reason: string;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown>, cause?: Error) {
    super(PLUGIN_NAME, `${code}: ${oneLine(message)}`, cause);
    // HardhatPluginError pins its own prototype; restore the subclass so that `instanceof TaskError` holds.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "TaskError";
    this.code = code;
    this.reason = oneLine(message);
    this.details = jsonSafe(details) as Record<string, unknown>;
  }
}

/** Collapses whitespace so that a message stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The `TaskError` that reports `error`. */
export function toTaskError(error: unknown, hre: HardhatRuntimeEnvironment): TaskError {
  if (error instanceof TaskError) return error;
  if (isFrameworkError(error)) return new TaskError(error.code, error.message, error.details, error);
  const decoded = decodeRevert(error, hre);
  if (decoded !== undefined) return new TaskError(decoded.code, decoded.message, decoded.details, decoded);
  const cause = error instanceof Error ? error : undefined;
  const shortMessage = (error as { shortMessage?: unknown } | null)?.shortMessage;
  if (typeof shortMessage === "string") {
    const failed = new TransactionError(ErrorCode.TransactionFailed, shortMessage, {}, error);
    return new TaskError(failed.code, failed.message, failed.details, failed);
  }
  const message = cause === undefined ? String(error) : cause.message.split("\n")[0];
  return new TaskError(ErrorCode.Unexpected, message, {}, cause);
}

/**
 * The contract error `error` carries, decoded; undefined when it carries none or when decoding itself fails
 * (no artifacts yet, say), so that the failure reported is always the one the task met.
 */
function decodeRevert(error: unknown, hre: HardhatRuntimeEnvironment): ContractRevertError | undefined {
  try {
    return revertDecoder(hre)(error);
  } catch {
    return undefined;
  }
}

/** `failure` with the addresses of its contract error named, where the task's deployment knows them. */
async function named(failure: TaskError, hre: HardhatRuntimeEnvironment): Promise<TaskError> {
  const revert = failure.parent;
  if (!(revert instanceof ContractRevertError)) return failure;
  const labelled = await withNames(revert, hre);
  return labelled === revert ? failure : new TaskError(labelled.code, labelled.message, labelled.details, labelled);
}

/** True when `name` is the task the command line asked for (not one run through `hre.run`). */
function isCommandLineTask(name: string): boolean {
  return process.argv.slice(2).includes(name);
}

/** Wraps a task action so that every failure leaves it as one clear line (see the module comment). */
export function guarded<A extends { json: boolean }, R>(
  name: string,
  action: (args: A, hre: HardhatRuntimeEnvironment) => Promise<R>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<R | undefined> {
  return async (args, hre) => {
    try {
      return await action(args, hre);
    } catch (error) {
      const failure = await named(toTaskError(error, hre), hre);
      if (!isCommandLineTask(name) || hre.hardhatArguments.showStackTraces) throw failure;
      if (args.json) {
        const document = { error: { code: failure.code, message: failure.reason, details: failure.details } };
        process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      }
      process.stderr.write(`Error ${failure.message}\n`);
      process.exitCode = EXIT_CODES[failure.code] ?? 1;
      return undefined;
    }
  };
}
