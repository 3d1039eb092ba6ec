/**
 * Governance tasks: propose a change by kind with its arguments by name, approve it, execute it once quorum
 * and timelock allow, and list proposals with their state, approvals, eta, expiry and decoded action.
 */
import type { TransactionReceipt } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { requireSigningPath, sendAs, withActor, type SigningArgs } from "./acting";
import { loadContext, send, type TaskContext } from "./context";
import { operatorTask, signingParams, type CommonArgs } from "./define";
import { formatTime, type Output } from "./output";
import { encodeAction, pickActionFlags, PROPOSAL_KINDS, type ActionFlags } from "./proposal-actions";
import { listProposals, parseProposalId, requireProposal, type ProposalView } from "./proposal-list";

interface ProposeArgs extends CommonArgs, SigningArgs, ActionFlags {
  kind: string;
  description: string;
}

interface IdArgs extends CommonArgs, SigningArgs {
  id: string;
}

/** Governance events a receipt carries (ProposalCreated, ProposalQueued, ...), with their proposal id. */
function governanceEvents(ctx: TaskContext, receipt: TransactionReceipt): { event: string; proposalId: number }[] {
  const address = ctx.record.consortium.toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .flatMap((log) => {
      const parsed = ctx.consortium.interface.parseLog(log);
      if (parsed === null || !parsed.name.startsWith("Proposal")) return [];
      return [{ event: parsed.name, proposalId: Number(parsed.args.proposalId) }];
    });
}

function printProposal(out: Output, p: ProposalView): void {
  out.line(`Proposal #${p.id} ${p.phase}: ${p.action.text}`);
  if (p.description !== "") out.line(`  "${p.description}"`);
  out.line(`  proposed by ${p.proposer}; approvals ${p.approvals}/${p.required} (${p.approvedBy.join(", ")})`);
  const timelock = p.eta === 0 ? "timelock starts at quorum" : `executable from ${formatTime(p.eta)}`;
  out.line(`  ${timelock}; expires ${formatTime(p.expiresAt)}`);
}

async function act(hre: HardhatRuntimeEnvironment, args: IdArgs, out: Output, verb: "approve" | "execute") {
  const id = parseProposalId(args.id);
  requireSigningPath(hre, args);
  const ctx = await loadContext(hre, args.consortium);
  await requireProposal(ctx, id);
  const data =
    verb === "approve"
      ? ctx.consortium.interface.encodeFunctionData("approve", [id])
      : ctx.consortium.interface.encodeFunctionData("execute", [id]);
  const receipt = await withActor(ctx, args, (actor) =>
    sendAs(actor, { to: ctx.record.consortium, data }, (signer) => {
      const consortium = ctx.consortium.connect(signer);
      return send(verb === "approve" ? consortium.approve(id) : consortium.execute(id));
    }),
  );
  const [proposal] = await listProposals(ctx, id);
  const policyVersion = Number(await ctx.consortium.policyVersion());
  printProposal(out, proposal);
  if (verb === "execute") out.line(`  executed; shared-policy version is now ${policyVersion}`);
  return out.result({
    ...proposal,
    events: governanceEvents(ctx, receipt).map((e) => e.event),
    policyVersion,
    transactionHash: receipt.hash,
  });
}

operatorTask(
  "proposal:propose",
  "Propose a governed change; the proposer's bank approves it at once",
  (t) =>
    signingParams(t)
      .addParam("kind", `One of: ${Object.keys(PROPOSAL_KINDS).join(", ")}`)
      .addOptionalParam("description", "Why, recorded in the ProposalCreated event", "")
      .addOptionalParam("name", "add-member: the bank's name")
      .addOptionalParam("lei", "add-member: the bank's LEI")
      .addOptionalParam("operators", "add-member: comma-separated operator addresses")
      .addOptionalParam("member", "remove-member, set-operator: member id, name or LEI")
      .addOptionalParam("operator", "set-operator: the operator address")
      .addOptionalParam("enabled", "set-operator: true (default) to enable, false to disable")
      .addOptionalParam(
        "parameter",
        "set-parameter: ReversalWindow, AffirmationWindow, ProposalDelay or ProposalLifetime",
      )
      .addOptionalParam("value", 'set-parameter: seconds or a duration such as "2d"')
      .addOptionalParam("numerator", "set-quorum: numerator of the quorum fraction")
      .addOptionalParam("denominator", "set-quorum: denominator of the quorum fraction")
      .addOptionalParam("asset", "set-asset: token symbol or address")
      .addOptionalParam("cap", "set-asset: cap on one settlement in the token's units (0: not eligible)")
      .addOptionalParam("documentHash", "set-policy-document: 0x and 64 hex digits")
      .addOptionalParam("documentUri", "set-policy-document: where the document is published")
      .addOptionalParam("validator", "add-validator, remove-validator: the QBFT validator's address (node key)")
      .addOptionalParam("validatorSet", "add-validator, remove-validator: the ValidatorSet contract (default 0x…7777)"),
  async (args: ProposeArgs, out, hre) => {
    requireSigningPath(hre, args);
    const ctx = await loadContext(hre, args.consortium);
    const action = await encodeAction(ctx, args.kind, pickActionFlags(args));
    const data = ctx.consortium.interface.encodeFunctionData("propose", [action.data, args.description]);
    const receipt = await withActor(ctx, args, (actor) =>
      sendAs(actor, { to: ctx.record.consortium, data }, (signer) =>
        send(ctx.consortium.connect(signer).propose(action.data, args.description)),
      ),
    );
    const created = governanceEvents(ctx, receipt).find((e) => e.event === "ProposalCreated");
    const [proposal] = await listProposals(ctx, created?.proposalId ?? Number(await ctx.consortium.proposalCount()));
    printProposal(out, proposal);
    return out.result({
      ...proposal,
      events: governanceEvents(ctx, receipt).map((e) => e.event),
      transactionHash: receipt.hash,
    });
  },
);

operatorTask(
  "proposal:approve",
  "Approve a pending proposal for the signer's bank; quorum starts the timelock",
  (t) => signingParams(t.addParam("id", "Proposal id")),
  (args: IdArgs, out, hre) => act(hre, args, out, "approve"),
);

operatorTask(
  "proposal:execute",
  "Carry out a proposal that has quorum and whose timelock elapsed",
  (t) => signingParams(t.addParam("id", "Proposal id")),
  (args: IdArgs, out, hre) => act(hre, args, out, "execute"),
);

operatorTask(
  "proposal:list",
  "List proposals: state, approvals, eta, expiry and the decoded action",
  (t) => t.addOptionalParam("id", "Only this proposal"),
  async (args: CommonArgs & { id?: string }, out, hre) => {
    const ctx = await loadContext(hre, args.consortium);
    const proposals = await listProposals(ctx, args.id === undefined ? undefined : parseProposalId(args.id));
    const rows = proposals.map((p) => [
      String(p.id),
      p.phase,
      `${p.approvals}/${p.required}`,
      p.eta === 0 ? "-" : formatTime(p.eta),
      formatTime(p.expiresAt),
      p.action.text,
      p.description,
    ]);
    if (rows.length === 0) out.line("No proposals.");
    else out.table(["id", "state", "approvals", "eta", "expires", "action", "description"], rows);
    return out.result({ proposals });
  },
);
