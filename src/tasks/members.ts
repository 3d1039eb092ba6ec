/**
 * Member lookups for tasks: operators name a bank by id, name or LEI, and an account by address or by its
 * bank (the bank's first registered account, from `AccountSet` events).
 */
import { getAddress, isAddress } from "ethers";
import { ErrorCode, TaskInputError } from "../errors";
import type { TaskContext } from "./context";

export interface MemberInfo {
  id: number;
  name: string;
  lei: string;
  active: boolean;
}

/** Every member ever admitted, removed ones included. */
export async function listMembers(ctx: TaskContext): Promise<MemberInfo[]> {
  const count = Number(await ctx.consortium.memberIdCount());
  const members: MemberInfo[] = [];
  for (let id = 1; id <= count; id++) {
    const m = await ctx.consortium.member(id);
    members.push({ id, name: m.name, lei: m.lei, active: m.active });
  }
  return members;
}

/** `Alpha Bank (1)`, `member 7` when unknown, `no member` for 0. */
export function memberLabel(members: readonly MemberInfo[], id: number | bigint): string {
  if (Number(id) === 0) return "no member";
  const member = members.find((m) => m.id === Number(id));
  return member === undefined ? `member ${id}` : `${member.name} (${member.id})`;
}

/** A member by id, name (any case) or LEI; throws `UNKNOWN_MEMBER` listing the members otherwise. */
export async function resolveMember(ctx: TaskContext, ref: string, flag: string): Promise<MemberInfo> {
  const members = await listMembers(ctx);
  const wanted = ref.trim().toLowerCase();
  const member = members.find(
    (m) => String(m.id) === wanted || m.name.toLowerCase() === wanted || m.lei.toLowerCase() === wanted,
  );
  if (member === undefined) {
    const known = members.map((m) => `${m.id} ${m.name}`).join(", ");
    throw new TaskInputError(ErrorCode.UnknownMember, `${flag} ${ref}: no such member (members: ${known})`, {
      flag,
      ref,
      members: members.map((m) => m.name),
    });
  }
  return member;
}

/** Accounts currently registered to a member, in registration order. */
export async function memberAccounts(ctx: TaskContext, memberId: number): Promise<string[]> {
  const events = await ctx.consortium.queryFilter(ctx.consortium.filters.AccountSet(memberId), ctx.fromBlock);
  const registered = new Set<string>();
  for (const e of events) {
    if (e.args.registered) registered.add(e.args.account);
    else registered.delete(e.args.account);
  }
  return [...registered];
}

/** An account given as an address, or as a member (id, name or LEI) meaning its first registered account. */
export async function resolveAccount(ctx: TaskContext, ref: string, flag: string): Promise<string> {
  const text: string = ref;
  if (isAddress(ref)) return getAddress(ref);
  const member = await resolveMember(ctx, text, flag);
  const [account] = await memberAccounts(ctx, member.id);
  if (account === undefined) {
    throw new TaskInputError(ErrorCode.UnknownMember, `${flag} ${text}: ${member.name} has no registered account`, {
      flag,
      ref: text,
      memberId: member.id,
    });
  }
  return account;
}
