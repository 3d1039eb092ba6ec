/**
 * Checking a recorded deployment against the chain: the contracts still exist, point at each other, and the
 * consortium's founding members are the ones recorded. Governance may since have changed parameters, caps or
 * membership; what is checked here never changes after deployment.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { DeploymentRecord } from "./store";

/** `absent`: nothing at the consortium address (the chain was reset). `mismatch`: something else is there. */
export type DeploymentCheck =
  | { status: "ok" }
  | { status: "absent" }
  | { status: "wrong-chain"; chainId: number }
  | { status: "mismatch"; problems: string[] };

/** Compares a recorded deployment with what the connected chain holds. */
export async function checkDeployment(
  hre: HardhatRuntimeEnvironment,
  record: DeploymentRecord,
): Promise<DeploymentCheck> {
  const { ethers } = hre;
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  if (chainId !== record.chainId) return { status: "wrong-chain", chainId };
  if ((await ethers.provider.getCode(record.consortium)) === "0x") return { status: "absent" };

  const problems: string[] = [];
  const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
  const hasCode = async (address: string): Promise<boolean> => (await ethers.provider.getCode(address)) !== "0x";

  if (!(await hasCode(record.engine))) {
    problems.push(`no contract at the settlement engine's address ${record.engine}`);
  } else {
    const engine = await ethers.getContractAt("SettlementEngine", record.engine);
    const linked = await engine.consortium().catch(() => "(not a settlement engine)");
    if (!same(linked, record.consortium)) problems.push(`settlement engine serves consortium ${linked}`);
  }

  for (const token of record.tokens) {
    if (!(await hasCode(token.address))) {
      problems.push(`no contract at token ${token.symbol}'s address ${token.address}`);
      continue;
    }
    const contract = await ethers.getContractAt("PermissionedToken", token.address);
    const read = Promise.all([
      contract.symbol(),
      contract.decimals(),
      contract.consortium(),
      contract.settlementEngine(),
    ]);
    const values = await read.catch(() => undefined);
    if (values === undefined) {
      problems.push(`contract at token ${token.symbol}'s address ${token.address} is not a permissioned token`);
      continue;
    }
    const [symbol, decimals, consortium, engine] = values;
    if (symbol !== token.symbol || Number(decimals) !== token.decimals) {
      problems.push(`token at ${token.address} is ${symbol} with ${decimals} decimals, not ${token.symbol}`);
    }
    if (!same(consortium, record.consortium) || !same(engine, record.engine)) {
      problems.push(`token ${token.symbol} is bound to another consortium or engine`);
    }
  }

  const consortium = await ethers.getContractAt("Consortium", record.consortium);
  const count = Number(await consortium.memberIdCount().catch(() => 0n));
  if (count < record.members.length) {
    problems.push(`consortium has ${count} member id(s), ${record.members.length} recorded`);
  } else {
    for (const member of record.members) {
      const onChain = await consortium.member(member.id);
      if (onChain.lei !== member.lei) problems.push(`member ${member.id} has LEI ${onChain.lei}, not ${member.lei}`);
    }
  }
  return problems.length === 0 ? { status: "ok" } : { status: "mismatch", problems };
}
