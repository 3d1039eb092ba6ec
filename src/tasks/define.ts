/**
 * Declaring tasks. Operator tasks take `--from` (acting signer), `--consortium` (which recorded consortium,
 * when several are) and `--json`; every action runs guarded (one-line failures) with an `Output`, after the
 * contracts' artifacts and bindings are made sure to exist (a fresh clone has neither).
 */
import { task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { ensureCompiled } from "./compile";
import { guarded } from "./guard";
import { createOutput, type Output } from "./output";

/** Arguments every operator task has. */
export interface CommonArgs {
  from?: string;
  consortium?: string;
  json: boolean;
}

type Params = (definition: ConfigurableTaskDefinition) => ConfigurableTaskDefinition;
type Action<A, R> = (args: A, out: Output, hre: HardhatRuntimeEnvironment) => Promise<R>;

/** A task with `--json` only (deploy, demo). */
export function commandTask<A extends { json: boolean }, R>(
  name: string,
  description: string,
  params: Params,
  action: Action<A, R>,
): void {
  params(task(name, description))
    .addFlag("json", "Print one JSON document on stdout instead of human-readable output")
    .setAction(
      guarded(name, async (args: A, hre: HardhatRuntimeEnvironment) => {
        await ensureCompiled(hre);
        return action(args, createOutput(args.json), hre);
      }),
    );
}

/** The help text of `--participant-config`. */
export const PARTICIPANT_FLAG =
  "Sign through this bank's participant (its configuration file): HSM key, policy gate, approvals, audit log";

/** Adds `--participant-config` to a task that signs (see acting.ts). */
export function signingParams(definition: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return definition.addOptionalParam("participantConfig", PARTICIPANT_FLAG);
}

/** A task acting on the recorded consortium, with `--from`, `--consortium` and `--json`. */
export function operatorTask<A extends CommonArgs, R>(
  name: string,
  description: string,
  params: Params,
  action: Action<A, R>,
): void {
  commandTask(
    name,
    description,
    (definition) =>
      params(definition)
        .addOptionalParam(
          "from",
          "Acting signer: an index into the network's signers or a signer's address (default 0)",
        )
        .addOptionalParam("consortium", "Which recorded consortium (name or key), when several are deployed"),
    action,
  );
}
