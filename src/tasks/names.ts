/**
 * Names for the addresses a contract error mentions. A revert names accounts and operators by address; the
 * operator reading it knows banks by name. Each task's recorded deployment is remembered per runtime
 * environment when it is loaded, and a decoded revert's address arguments are labelled from it: the member an
 * account or operator belongs to, a token's symbol, or the consortium's own contracts. Lookups that fail leave
 * the address as it is.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ContractRevertError, type RevertArgument } from "../errors";
import type { TaskContext } from "./context";

const contexts = new WeakMap<HardhatRuntimeEnvironment, TaskContext>();

/** Remembers the deployment a task works on, so that its failures can name addresses. */
export function rememberContext(ctx: TaskContext): void {
  contexts.set(ctx.hre, ctx);
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** `error` with its address arguments labelled, or `error` itself when nothing could be named. */
export async function withNames(
  error: ContractRevertError,
  hre: HardhatRuntimeEnvironment,
): Promise<ContractRevertError> {
  const ctx = contexts.get(hre);
  if (ctx === undefined || !error.args.some((a) => ADDRESS.test(a.value))) return error;
  const args: RevertArgument[] = [];
  for (const arg of error.args) {
    const label = ADDRESS.test(arg.value) ? await nameOf(ctx, arg.value).catch(() => undefined) : undefined;
    args.push(label === undefined ? arg : { ...arg, label });
  }
  if (args.every((a) => a.label === undefined)) return error;
  return new ContractRevertError(error.errorName, args, error.cause);
}

async function nameOf(ctx: TaskContext, address: string): Promise<string | undefined> {
  const lower = address.toLowerCase();
  const token = ctx.record.tokens.find((t) => t.address.toLowerCase() === lower);
  if (token !== undefined) return `token ${token.symbol}`;
  if (ctx.record.engine.toLowerCase() === lower) return "settlement engine";
  if (ctx.record.consortium.toLowerCase() === lower) return "consortium";
  const account = Number(await ctx.consortium.accountMember(address));
  if (account !== 0) return `account of ${(await ctx.consortium.member(account)).name}`;
  const operator = Number(await ctx.consortium.operatorMember(address));
  if (operator !== 0) return `operator of ${(await ctx.consortium.member(operator)).name}`;
  return undefined;
}
