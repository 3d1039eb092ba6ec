/**
 * Governance actions by name: each proposal kind's arguments, given as task flags, become a call to one of
 * the consortium's governed functions (`encodeAction`), and a proposal's stored call data reads back as the
 * same action (`describeAction`).
 */
import { getAddress, isAddress, isHexString, type Interface } from "ethers";
import { durationSchema, formatAmount, isValidLei, parseAmount } from "../config";
import type { TokenRecord } from "../deploy/store";
import { ErrorCode, TaskInputError } from "../errors";
import type { TaskContext } from "./context";
import { resolveToken } from "./context";
import { memberLabel, resolveMember, type MemberInfo } from "./members";
import { formatDuration } from "./output";

/** Flags of `proposal:propose` that carry a governed call's arguments. */
export interface ActionFlags {
  name?: string;
  lei?: string;
  operators?: string;
  member?: string;
  operator?: string;
  enabled?: string;
  parameter?: string;
  value?: string;
  numerator?: string;
  denominator?: string;
  asset?: string;
  cap?: string;
  documentHash?: string;
  documentUri?: string;
  validator?: string;
  validatorSet?: string;
}

type Flag = keyof ActionFlags;

const ACTION_FLAGS: readonly Flag[] = [
  "name",
  "lei",
  "operators",
  "member",
  "operator",
  "enabled",
  "parameter",
  "value",
  "numerator",
  "denominator",
  "asset",
  "cap",
  "documentHash",
  "documentUri",
  "validator",
  "validatorSet",
];

/** The action flags among a task's arguments. */
export function pickActionFlags(args: ActionFlags): ActionFlags {
  return Object.fromEntries(ACTION_FLAGS.map((flag) => [flag, args[flag]]));
}

/** Every kind, with the flags it requires (`enabled` is optional for set-operator). */
export const PROPOSAL_KINDS: Record<string, { fn: string; flags: Flag[] }> = {
  "add-member": { fn: "addMember", flags: ["name", "lei", "operators"] },
  "remove-member": { fn: "removeMember", flags: ["member"] },
  "set-operator": { fn: "setOperator", flags: ["member", "operator"] },
  "set-parameter": { fn: "setParameter", flags: ["parameter", "value"] },
  "set-quorum": { fn: "setQuorum", flags: ["numerator", "denominator"] },
  "set-asset": { fn: "setAsset", flags: ["asset", "cap"] },
  "set-policy-document": { fn: "setPolicyDocument", flags: ["documentHash", "documentUri"] },
  pause: { fn: "pause", flags: [] },
  unpause: { fn: "unpause", flags: [] },
  "add-validator": { fn: "setValidator", flags: ["validator"] },
  "remove-validator": { fn: "setValidator", flags: ["validator"] },
};

/** Where the devnet's genesis predeploys the QBFT validator set (`--validator-set` overrides it). */
export const DEFAULT_VALIDATOR_SET = "0x0000000000000000000000000000000000007777";
const VALIDATOR_KINDS = new Set(["add-validator", "remove-validator"]);

export const PARAMETERS = ["ReversalWindow", "AffirmationWindow", "ProposalDelay", "ProposalLifetime"] as const;

export interface EncodedAction {
  fn: string;
  args: unknown[];
  data: string;
}

const kebab = (flag: string): string => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function invalid(flag: Flag | "kind", value: string, why: string): TaskInputError {
  return new TaskInputError(ErrorCode.InputInvalid, `${kebab(flag)} ${value}: ${why}`, { flag, value });
}

function address(flag: Flag, value: string): string {
  if (!isAddress(value)) throw invalid(flag, value, "not an address");
  return getAddress(value);
}

function integer(flag: Flag, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) throw invalid(flag, value, `not an integer from 0 to ${max}`);
  return Number(value);
}

/** Checks the flags given for `kind` and encodes the governed call. */
export async function encodeAction(ctx: TaskContext, kind: string, flags: ActionFlags): Promise<EncodedAction> {
  const spec = PROPOSAL_KINDS[kind];
  if (spec === undefined) throw invalid("kind", kind, `not one of ${Object.keys(PROPOSAL_KINDS).join(", ")}`);
  const allowed = new Set<Flag>([
    ...spec.flags,
    ...(kind === "set-operator" ? (["enabled"] as Flag[]) : []),
    ...(VALIDATOR_KINDS.has(kind) ? (["validatorSet"] as Flag[]) : []),
  ]);
  for (const [flag, value] of Object.entries(flags) as [Flag, string | undefined][]) {
    if (value !== undefined && !allowed.has(flag)) throw invalid(flag, value, `does not apply to --kind ${kind}`);
  }
  const missing = spec.flags.filter((f) => flags[f] === undefined);
  if (missing.length > 0) {
    throw new TaskInputError(ErrorCode.InputMissing, `--kind ${kind} needs ${missing.map(kebab).join(", ")}`, {
      kind,
      missing,
    });
  }
  const f = flags as Required<ActionFlags>;
  const args = await actionArgs(ctx, kind, f);
  const iface: Interface = ctx.consortium.interface;
  return { fn: spec.fn, args, data: iface.encodeFunctionData(spec.fn, args) };
}

async function actionArgs(ctx: TaskContext, kind: string, f: Required<ActionFlags>): Promise<unknown[]> {
  switch (kind) {
    case "add-member": {
      if (!isValidLei(f.lei)) throw invalid("lei", f.lei, "not a 20-character LEI with valid check digits");
      const operators = f.operators.split(",").map((o) => address("operators", o.trim()));
      return [f.name, f.lei, operators];
    }
    case "remove-member":
      return [(await resolveMember(ctx, f.member, "--member")).id];
    case "set-operator": {
      const enabled = f.enabled === undefined ? "true" : f.enabled.toLowerCase();
      if (!["true", "false"].includes(enabled)) throw invalid("enabled", f.enabled, "not true or false");
      const member = await resolveMember(ctx, f.member, "--member");
      return [member.id, address("operator", f.operator), enabled === "true"];
    }
    case "set-parameter": {
      const index = PARAMETERS.findIndex((p) => p.toLowerCase() === f.parameter.replace(/-/g, "").toLowerCase());
      if (index < 0) throw invalid("parameter", f.parameter, `not one of ${PARAMETERS.join(", ")}`);
      const seconds = durationSchema.safeParse(/^\d+$/.test(f.value) ? Number(f.value) : f.value);
      if (!seconds.success) throw invalid("value", f.value, seconds.error.issues[0].message);
      return [index, seconds.data];
    }
    case "set-quorum":
      return [integer("numerator", f.numerator, 255), integer("denominator", f.denominator, 255)];
    case "set-asset": {
      const token = await resolveToken(ctx, f.asset, "--asset");
      const cap = parseAmount(f.cap, token.decimals);
      if (cap === undefined) throw invalid("cap", f.cap, `not an amount with at most ${token.decimals} decimals`);
      return [token.address, cap];
    }
    case "set-policy-document":
      if (!isHexString(f.documentHash, 32)) throw invalid("documentHash", f.documentHash, "not 0x and 64 hex digits");
      return [f.documentHash, f.documentUri];
    case "add-validator":
    case "remove-validator": {
      const set = address("validatorSet", f.validatorSet ?? DEFAULT_VALIDATOR_SET);
      return [set, address("validator", f.validator), kind === "add-validator"];
    }
    default:
      return [];
  }
}

/** A proposal's call as operators read it: `setParameter(ReversalWindow, 2d)`. */
export function describeAction(
  ctx: TaskContext,
  data: string,
  members: readonly MemberInfo[],
): { fn: string; args: string[]; text: string } {
  const parsed = ctx.consortium.interface.parseTransaction({ data });
  if (parsed === null) return { fn: "unknown", args: [data.slice(0, 10)], text: `unknown call ${data.slice(0, 10)}` };
  const a = parsed.args;
  const token = (addr: string): TokenRecord | undefined =>
    ctx.record.tokens.find((t) => t.address.toLowerCase() === String(addr).toLowerCase());
  let args: string[];
  switch (parsed.name) {
    case "addMember":
      args = [JSON.stringify(a[0]), String(a[1]), `[${(a[2] as string[]).join(", ")}]`];
      break;
    case "removeMember":
      args = [memberLabel(members, a[0] as bigint)];
      break;
    case "setOperator":
      args = [memberLabel(members, a[0] as bigint), String(a[1]), String(a[2])];
      break;
    case "setParameter":
      args = [PARAMETERS[Number(a[0])] ?? String(a[0]), formatDuration(Number(a[1]))];
      break;
    case "setAsset": {
      const t = token(a[0] as string);
      const cap = t === undefined ? String(a[1]) : `${formatAmount(a[1] as bigint, t.decimals, { grouped: true })}`;
      args = [t === undefined ? String(a[0]) : t.symbol, cap];
      break;
    }
    default:
      args = [...a].map(String);
  }
  return { fn: parsed.name, args, text: `${parsed.name}(${args.join(", ")})` };
}
