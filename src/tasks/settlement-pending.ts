/**
 * `participant:pending`: what a bank's participant has signed that is not settled on chain yet, after its start-up
 * recovery ran: every submission still waiting for a receipt, and every nonce that rebroadcasting could not fill
 * (its signed bytes refused by the node, or allocated and never signed). `--fill <nonce>` fills one such nonce with
 * a zero-value transfer of the key to itself, which the bank's policy allows only with an operations approval (the
 * first call opens the request and exits 75; once approved, the same call signs and sends it).
 */
import { withActor, type SigningArgs } from "./acting";
import { loadContext } from "./context";
import { operatorTask, PARTICIPANT_FLAG, type CommonArgs } from "./define";
import { TaskInputError, ErrorCode } from "../errors";

interface PendingArgs extends CommonArgs, SigningArgs {
  fill?: string;
}

operatorTask(
  "participant:pending",
  "List a bank's signed transactions without a receipt and the nonces recovery could not fill; --fill fills one",
  (t) =>
    t
      .addParam("participantConfig", PARTICIPANT_FLAG)
      .addOptionalParam("fill", "Fill this nonce with a zero-value self-transfer (needs an operations approval)"),
  async (args: PendingArgs, out, hre) => {
    const fill = args.fill === undefined ? undefined : Number(args.fill);
    if (fill !== undefined && (!Number.isSafeInteger(fill) || fill < 0)) {
      throw new TaskInputError(
        ErrorCode.InputInvalid,
        `--fill must be a nonce (a non-negative integer): ${args.fill}`,
        { fill: args.fill ?? null },
      );
    }
    const ctx = await loadContext(hre, args.consortium);
    return withActor(ctx, { participantConfig: args.participantConfig }, async (actor) => {
      if (actor.kind !== "participant") throw new Error("participant:pending needs --participant-config");
      const { participant } = actor;
      const filled = fill === undefined ? undefined : await participant.fillNonce(fill);
      const pending = (await participant.pendingSubmissions()).map((s) => ({
        key: s.key,
        nonce: s.nonce,
        txHash: s.txHash,
      }));
      const unresolved = participant.unresolvedNonces();
      if (filled !== undefined) out.line(`Nonce ${filled.nonce} filled by ${filled.txHash}`);
      out.line(`${participant.address}: ${pending.length} pending, ${unresolved.length} unresolved nonce(s)`);
      for (const p of pending) out.line(`  pending  nonce ${p.nonce}  ${p.txHash}  ${p.key}`);
      for (const u of unresolved) {
        out.line(`  unresolved nonce ${u.nonce}: ${u.reason}${u.error === undefined ? "" : ` (${u.error})`}`);
      }
      return out.result({
        address: participant.address,
        pending,
        unresolved,
        ...(filled === undefined ? {} : { filled: { nonce: filled.nonce, txHash: filled.txHash } }),
      });
    });
  },
);
