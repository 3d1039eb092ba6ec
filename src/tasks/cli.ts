/**
 * The command line's own refusals in the project's form. Hardhat reports a missing or unknown flag, a value
 * of the wrong type and an unknown network with a stack trace (on headless machines) and exit status 1.
 * Started from the command line, they are printed here as one line (`Error INPUT_MISSING: ...`, plus the JSON
 * document with `--json`) and exit with the project's status: 64 for usage. Hardhat's argument parsing is
 * wrapped once; the network is checked against the configured networks as the configuration loads.
 */
import { ArgumentsParser } from "hardhat/internal/cli/ArgumentsParser";
import { HardhatError } from "hardhat/internal/core/errors";
import { ErrorCode, exitStatus } from "../errors";

/** True when this process is Hardhat's command line (not a test runner or a script importing Hardhat). */
function isHardhatCli(): boolean {
  const entry = (process.argv[1] ?? "").replace(/\\/g, "/");
  return /hardhat\/(internal\/cli\/(cli|bootstrap)\.js|dist\/src\/cli)/.test(entry) || entry.endsWith("/.bin/hardhat");
}

/** Prints a refusal as every task does, and ends the process with the code's exit status. */
function refuse(code: ErrorCode, message: string, details: Record<string, unknown>): never {
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ error: { code, message, details } }, null, 2)}\n`);
  }
  process.stderr.write(`Error ${code}: ${message}\n`);
  process.exit(exitStatus(code));
}

/** Hardhat's numbers for the argument errors that get their own wording. */
const UNRECOGNIZED_PARAM_NAME = 305;
const MISSING_TASK_ARGUMENT = 306;

/** The one-line form of an argument error Hardhat raised while parsing a task's flags. */
function argumentRefusal(error: HardhatError, task: string): [ErrorCode, string, Record<string, unknown>] {
  const args = error.messageArguments as Record<string, string | undefined>;
  const help = `(npx hardhat help ${task} lists its flags)`;
  switch (error.errorDescriptor.number) {
    case MISSING_TASK_ARGUMENT:
      return [ErrorCode.InputMissing, `${task} needs ${args.param} ${help}`, { task, flag: args.param }];
    case UNRECOGNIZED_PARAM_NAME:
      return [ErrorCode.InputInvalid, `${task} has no flag ${args.param} ${help}`, { task, flag: args.param }];
    default:
      return [ErrorCode.InputInvalid, `${task}: ${error.message.replace(/^HH\d+: /, "")}`, { task }];
  }
}

let installed = false;

/**
 * Installs the command-line refusals (once, and only in Hardhat's command line). `networks` are the names
 * the configuration defines; Hardhat's own `hardhat` and `localhost` are always known.
 */
export function installCliErrors(networks: readonly string[]): void {
  if (installed || !isHardhatCli()) return;
  installed = true;
  const known = [...new Set(["hardhat", "localhost", ...networks])];
  const flag = process.argv.indexOf("--network");
  const network = flag >= 0 ? process.argv[flag + 1] : process.env.HARDHAT_NETWORK;
  if (network !== undefined && !known.includes(network)) {
    refuse(ErrorCode.WrongNetwork, `--network ${network}: no such network (networks: ${known.join(", ")})`, {
      network,
      known,
    });
  }
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const parse = ArgumentsParser.prototype.parseTaskArguments;
  ArgumentsParser.prototype.parseTaskArguments = function (this: ArgumentsParser, definition, rawArgs) {
    try {
      // Hardhat types a task's arguments as `any`; they pass through unchanged.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-return
      return parse.call(this, definition, rawArgs);
    } catch (error) {
      if (!HardhatError.isHardhatError(error)) throw error;
      return refuse(...argumentRefusal(error, definition.name));
    }
  };
}
