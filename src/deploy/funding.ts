/**
 * Opening balances for local networks: each configured token's admin mints the configured amount to every
 * member account, and every account that is a signer of the network lets the settlement engine move its tokens
 * (escrow needs an allowance). Needs the admins to be signers of the network, which is what `signer:<index>`
 * gives; accounts held elsewhere (a bank's HSM) give their allowance through their own signer.
 */
import { MaxUint256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ConfigError, ErrorCode } from "../errors";
import type { DeploymentRecord } from "./store";

/** One account's opening balance of one token, in base units. */
export interface FundingEntry {
  symbol: string;
  account: string;
  amount: bigint;
}

/** Mints `balances` to every member account and approves the engine; returns what was minted. */
export async function fundAccounts(
  hre: HardhatRuntimeEnvironment,
  record: DeploymentRecord,
  balances: readonly { symbol: string; amount: bigint }[],
): Promise<FundingEntry[]> {
  if (balances.length === 0) return [];
  const local = new Set((await hre.ethers.getSigners()).map((s) => s.address.toLowerCase()));
  const requireLocal = async (address: string, role: string) => {
    if (!local.has(address.toLowerCase())) {
      throw new ConfigError(
        ErrorCode.ConfigUnresolved,
        `funding needs ${role} ${address} to be a signer of network ${hre.network.name}`,
        { address, role, network: hre.network.name },
      );
    }
    return hre.ethers.getSigner(address);
  };

  const accounts = record.members.flatMap((m) => m.accounts);
  const minted: FundingEntry[] = [];
  for (const { symbol, amount } of balances) {
    const token = record.tokens.find((t) => t.symbol === symbol);
    if (token === undefined) continue;
    const contract = await hre.ethers.getContractAt("PermissionedToken", token.address);
    const admin = await requireLocal(token.admin, `the admin of ${symbol}`);
    for (const account of accounts) {
      await (await contract.connect(admin).mint(account, amount)).wait();
      minted.push({ symbol, account, amount });
    }
  }
  // Accounts that are signers of the network approve the engine here; others (keys in a bank's HSM) approve it
  // themselves, through their own signer, before their first settlement.
  for (const account of accounts.filter((a) => local.has(a.toLowerCase()))) {
    const holder = await hre.ethers.getSigner(account);
    for (const token of record.tokens) {
      const contract = await hre.ethers.getContractAt("PermissionedToken", token.address);
      await (await contract.connect(holder).approve(record.engine, MaxUint256)).wait();
    }
  }
  return minted;
}
