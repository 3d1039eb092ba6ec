/**
 * Audit log tasks for a bank and its auditors: `audit:verify` (a log, or a JSON Lines export of one, optionally
 * against the heads the bank anchored on chain), `audit:export` (JSON Lines) and `audit:anchor` (post the
 * current head to the consortium's AuditAnchor). A log that does not verify fails the task, naming the first
 * record that was altered, removed, reordered or inserted.
 */
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { anchorHead, AuditVerifyFailedError, fetchAnchors, verifyJsonl, type AuditHead } from "../audit";
import { ChainStateError, ErrorCode, TaskInputError } from "../errors";
import { openTaskAudit, type AuditArgs } from "./audit-input";
import { requireSigningPath, withActor, type SigningArgs } from "./acting";
import { loadContext, type TaskContext } from "./context";
import { commandTask, operatorTask, signingParams, type CommonArgs } from "./define";

const auditParams = (t: ConfigurableTaskDefinition): ConfigurableTaskDefinition =>
  t
    .addOptionalParam("audit", "The bank's SQLite audit log file")
    .addOptionalParam("auditConfig", "A JSON audit store configuration (SQLite path or PostgreSQL connection string)");

async function anchorContract(ctx: TaskContext) {
  if (ctx.record.auditAnchor === undefined) {
    throw new ChainStateError(
      ErrorCode.DeploymentNotFound,
      `consortium "${ctx.record.name}" has no AuditAnchor recorded`,
      { consortium: ctx.record.key },
    );
  }
  return ctx.hre.ethers.getContractAt("IAuditAnchor", ctx.record.auditAnchor);
}

type VerifyArgs = AuditArgs & { jsonl?: string; member?: string; consortium?: string; json: boolean };

commandTask(
  "audit:verify",
  "Verify an audit log (or a JSON Lines export) and, with --member, against the heads anchored on chain",
  (t) =>
    auditParams(t)
      .addOptionalParam("jsonl", "Verify this JSON Lines export instead of a database")
      .addOptionalParam("member", "Member id whose anchored heads the log must contain")
      .addOptionalParam("consortium", "Which recorded consortium (name or key), when several are deployed"),
  async (args: VerifyArgs, out, hre) => {
    let anchors: AuditHead[] = [];
    if (args.member !== undefined) {
      if (!/^\d+$/.test(args.member)) {
        throw new TaskInputError(ErrorCode.InputInvalid, `--member ${args.member}: not a member id`);
      }
      const ctx = await loadContext(hre, args.consortium);
      anchors = await fetchAnchors(await anchorContract(ctx), Number(args.member), ctx.fromBlock);
    }
    let source: string;
    let result;
    if (args.jsonl !== undefined) {
      source = args.jsonl;
      result = await verifyJsonl(args.jsonl, { anchors });
    } else {
      const store = await openTaskAudit(args);
      source = args.audit ?? "the configured audit log";
      try {
        result = await store.verify({ anchors });
      } finally {
        await store.close();
      }
    }
    if (!result.ok) throw new AuditVerifyFailedError(result.firstBad, source);
    out.line(`${source}: ${result.count} records verify; head ${result.head.seq} ${result.head.hash}`);
    if (args.member !== undefined)
      out.line(`checked against ${anchors.length} anchored heads of member ${args.member}`);
    return out.result({ ok: true, source, count: result.count, head: result.head, anchors: anchors.length });
  },
);

commandTask(
  "audit:export",
  "Write every record of an audit log as one JSON line to a file, for the counterparty or an auditor",
  (t) => auditParams(t).addParam("out", "The JSON Lines file to write"),
  async (args: AuditArgs & { out: string; json: boolean }, out) => {
    const store = await openTaskAudit(args);
    try {
      const count = await store.exportJsonl(args.out);
      const head = await store.head();
      out.line(`wrote ${count} records to ${args.out}; head ${head.seq} ${head.hash}`);
      return out.result({ file: args.out, count, head });
    } finally {
      await store.close();
    }
  },
);

operatorTask(
  "audit:anchor",
  "Post the audit log's current head (seq and hash) to the consortium's AuditAnchor as a member's operator",
  (t) => signingParams(auditParams(t)),
  async (args: CommonArgs & SigningArgs & AuditArgs, out, hre) => {
    requireSigningPath(hre, args);
    const ctx = await loadContext(hre, args.consortium);
    const contract = await anchorContract(ctx);
    if (args.participantConfig !== undefined && (args.audit !== undefined || args.auditConfig !== undefined)) {
      throw new TaskInputError(
        ErrorCode.InputInvalid,
        "with --participant-config the bank anchors its own audit log: leave out --audit and --audit-config",
        { participantConfig: args.participantConfig },
      );
    }
    const anchored = await withActor(ctx, args, async (actor) => {
      if (actor.kind === "participant") return actor.participant.anchorAudit();
      const store = await openTaskAudit(args);
      try {
        return await anchorHead(store, contract, actor.signer);
      } finally {
        await store.close();
      }
    });
    out.line(
      `anchored head ${anchored.head.seq} ${anchored.head.hash} in block ${anchored.blockNumber} (${anchored.txHash})`,
    );
    return out.result({ head: anchored.head, txHash: anchored.txHash, blockNumber: anchored.blockNumber });
  },
);
