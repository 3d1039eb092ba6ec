/**
 * The edge between the framework's typed errors and the command line. Every task action runs `guarded`:
 * a `FrameworkError` or a decodable contract revert becomes a `TaskError` (a Hardhat plugin error with the
 * stable code). When the task is the one the command line asked for, the failure is printed as one line on
 * stderr (plus `{"error": ...}` on stdout with `--json`) and the process exits with the code's exit status
 * from `ERROR_STATUS` (src/errors); Hardhat would otherwise add a stack trace on headless machines. Called through `hre.run`, it throws.
 * `--show-stack-traces` always leaves the error to Hardhat.
 */
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ContractRevertError, ErrorCode, exitStatus, isFrameworkError, jsonSafe, TransactionError } from "../errors";
import { withNames } from "./names";
import { revertDecoder } from "./revert";

export const PLUGIN_NAME = "consortium";

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
      process.exitCode = exitStatus(failure.code);
      return undefined;
    }
  };
}
