/**
 * What every operator task starts from: the recorded deployment of the network (contracts bound to it), the
 * acting signer chosen with `--from`, and lookups of tokens and members by the names operators use.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { getAddress, isAddress, type ContractTransactionResponse, type TransactionReceipt } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Consortium, PermissionedToken, SettlementEngine } from "../../typechain-types";
import { defaultDeploymentStore, type DeploymentRecord } from "../deploy/store";
import { ChainStateError, ErrorCode, TaskInputError, TransactionError } from "../errors";
import { rememberContext } from "./names";

export interface TaskContext {
  hre: HardhatRuntimeEnvironment;
  network: string;
  record: DeploymentRecord;
  consortium: Consortium;
  engine: SettlementEngine;
  /** Block to start event queries from (the deployment's). */
  fromBlock: number;
}

/** The recorded consortium of the network (`--consortium <name or key>` when several are recorded). */
export async function loadContext(hre: HardhatRuntimeEnvironment, which?: string): Promise<TaskContext> {
  const network = hre.network.name;
  const store = defaultDeploymentStore(network, hre.config.paths.root);
  const records = await store.list(network);
  const location = store.location(network);
  if (records.length === 0) {
    throw new ChainStateError(
      ErrorCode.DeploymentNotFound,
      `no consortium deployment recorded in ${location}; run "hardhat deploy --consortium-config <file>" first`,
      { network, location },
    );
  }
  const wanted = which?.toLowerCase();
  const matches = records.filter((r) => wanted === undefined || r.key === wanted || r.name.toLowerCase() === wanted);
  if (matches.length !== 1) {
    const known = records.map((r) => r.key).join(", ");
    throw new TaskInputError(
      wanted === undefined ? ErrorCode.InputMissing : ErrorCode.InputInvalid,
      wanted === undefined
        ? `several consortia are recorded for ${network} (${known}): choose one with --consortium`
        : `no consortium "${which}" recorded for ${network} (recorded: ${known})`,
      { network, known: records.map((r) => r.key) },
    );
  }
  const record = matches[0];
  if ((await hre.ethers.provider.getCode(record.consortium)) === "0x") {
    throw new ChainStateError(
      ErrorCode.DeploymentNotFound,
      `consortium "${record.name}" recorded in ${location} has no code at ${record.consortium} (chain reset?)`,
      { network, consortium: record.consortium },
    );
  }
  const ctx: TaskContext = {
    hre,
    network,
    record,
    consortium: await hre.ethers.getContractAt("Consortium", record.consortium),
    engine: await hre.ethers.getContractAt("SettlementEngine", record.engine),
    fromBlock: record.blockNumber,
  };
  rememberContext(ctx);
  return ctx;
}

/** The signer `--from` names: an index into the network's signers or one of their addresses (default: first). */
export async function resolveSigner(hre: HardhatRuntimeEnvironment, from?: string): Promise<HardhatEthersSigner> {
  const signers = await hre.ethers.getSigners();
  const ref = from ?? "0";
  const signer = /^\d+$/.test(ref)
    ? signers[Number(ref)]
    : isAddress(ref)
      ? signers.find((s) => s.address.toLowerCase() === ref.toLowerCase())
      : undefined;
  if (signer === undefined) {
    throw new TaskInputError(
      ErrorCode.UnknownSigner,
      `--from ${ref}: not a signer of ${hre.network.name} (give an index below ${signers.length} or a signer's address)`,
      { from: ref, signers: signers.length },
    );
  }
  return signer;
}

export interface TokenRef {
  address: string;
  symbol: string;
  decimals: number;
  contract: PermissionedToken;
}

/** A token by symbol (as recorded) or address. */
export async function resolveToken(ctx: TaskContext, ref: string, flag: string): Promise<TokenRef> {
  const recorded = ctx.record.tokens.find(
    (t) => t.symbol.toLowerCase() === ref.toLowerCase() || t.address.toLowerCase() === ref.toLowerCase(),
  );
  const address = recorded?.address ?? (isAddress(ref) ? getAddress(ref) : undefined);
  if (address === undefined || (await ctx.hre.ethers.provider.getCode(address)) === "0x") {
    const known = ctx.record.tokens.map((t) => t.symbol).join(", ");
    throw new TaskInputError(ErrorCode.UnknownToken, `${flag} ${ref}: not a token (known: ${known})`, { flag, ref });
  }
  const contract = await ctx.hre.ethers.getContractAt("PermissionedToken", address);
  const [symbol, decimals] = recorded
    ? [recorded.symbol, recorded.decimals]
    : [await contract.symbol(), Number(await contract.decimals())];
  return { address, symbol, decimals, contract };
}

/** Sends a transaction and waits for its receipt. */
export async function send(pending: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const tx = await pending;
  const receipt = await tx.wait();
  if (receipt === null) {
    throw new TransactionError(ErrorCode.TransactionFailed, `transaction ${tx.hash} was dropped`, { hash: tx.hash });
  }
  return receipt;
}
