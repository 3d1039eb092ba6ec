/**
 * Who signs what a task sends. On any network but the in-process one, a task that signs goes through a bank's
 * participant (`--participant-config <file>`): its HSM key, its policy gate and approvals, its signing records
 * and its audit log, exactly as the bank's own services do. Software keys (`--from`, Hardhat's accounts) are
 * accepted on the in-process network only, where nothing is at stake; anywhere else they are refused.
 */
import type { TransactionReceipt } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Participant } from "../participant";
import { readJsonFile } from "../core/files";
import { ChainStateError, ErrorCode, TaskInputError } from "../errors";
import { resolveSigner, type TaskContext } from "./context";

/** The flags of a task that signs. */
export interface SigningArgs {
  from?: string;
  participantConfig?: string;
}

/** The network whose software keys a task may use. */
export const IN_PROCESS_NETWORK = "hardhat";

/** A bank's participant, opened for one task. */
export interface ParticipantActor {
  kind: "participant";
  address: string;
  participant: Participant;
}

/** A software key of the in-process network. */
export interface SoftwareActor {
  kind: "software";
  address: string;
  signer: HardhatEthersSigner;
}

export type Actor = ParticipantActor | SoftwareActor;

/**
 * Opens the actor the flags name, runs `fn` with it and closes it. A participant's configuration must name the
 * deployment the task works on (the same consortium and engine).
 */
export async function withActor<R>(ctx: TaskContext, args: SigningArgs, fn: (actor: Actor) => Promise<R>): Promise<R> {
  requireSigningPath(ctx.hre, args);
  if (args.participantConfig === undefined) return fn(await softwareActor(ctx, args.from));
  const participant = await openParticipant(ctx, args.participantConfig);
  try {
    return await fn({ kind: "participant", address: participant.address, participant });
  } finally {
    await participant.close();
  }
}

/**
 * Refuses, before anything is read from the chain, flags that cannot sign on this network: software keys
 * outside the in-process network, and `--from` beside `--participant-config`.
 */
export function requireSigningPath(hre: HardhatRuntimeEnvironment, args: SigningArgs): void {
  if (args.participantConfig !== undefined) {
    if (args.from === undefined) return;
    throw new TaskInputError(
      ErrorCode.InputInvalid,
      "--from names a software key and --participant-config a bank's HSM key: give one of them",
      { from: args.from, participantConfig: args.participantConfig },
    );
  }
  if (hre.network.name !== IN_PROCESS_NETWORK) {
    throw new TaskInputError(
      ErrorCode.InputMissing,
      `on ${hre.network.name} a task signs through a bank's participant: give --participant-config <file> ` +
        `(software keys are for the in-process network only)`,
      { network: hre.network.name },
    );
  }
}

async function softwareActor(ctx: TaskContext, from: string | undefined): Promise<SoftwareActor> {
  const signer = await resolveSigner(ctx.hre, from);
  return { kind: "software", address: signer.address, signer };
}

/** Opens the participant configured in `file` on the task's network, after checking it names the deployment. */
async function openParticipant(ctx: TaskContext, file: string): Promise<Participant> {
  const input = await readJsonFile(file, "participant configuration");
  const { Participant, parseParticipantConfig } = await import("../participant");
  const config = parseParticipantConfig(input);
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (
    !same(config.consortium.consortium, ctx.record.consortium) ||
    !same(config.consortium.engine, ctx.record.engine)
  ) {
    throw new ChainStateError(
      ErrorCode.DeploymentMismatch,
      `${file} is for consortium ${config.consortium.consortium} (engine ${config.consortium.engine}), ` +
        `not the one recorded for ${ctx.network} (${ctx.record.consortium}, engine ${ctx.record.engine})`,
      { file, configured: config.consortium.consortium, recorded: ctx.record.consortium },
    );
  }
  const provider = ctx.hre.ethers.provider;
  // On the in-process network the chain's clock is the one that counts (tests and the demo move it), so the
  // bank's business-hours rules read the latest block's time; elsewhere the bank's own clock.
  let now: (() => number) | undefined;
  if (ctx.network === IN_PROCESS_NETWORK) {
    const latest = await provider.getBlock("latest");
    const offset = (latest?.timestamp ?? 0) - Math.floor(Date.now() / 1000);
    now = () => Math.floor(Date.now() / 1000) + offset;
  }
  return Participant.open(config, { provider, now });
}

/** The receipt of a call sent by `actor` (software keys send directly, a participant through its gate). */
export async function sendAs(
  actor: Actor,
  call: { to: string; data: string },
  sendSoftware: (signer: HardhatEthersSigner) => Promise<TransactionReceipt>,
): Promise<TransactionReceipt> {
  if (actor.kind === "software") return sendSoftware(actor.signer);
  return (await actor.participant.send(call)).receipt;
}
