/**
 * Shared contract fixture: a three-bank consortium with a tokenized deposit (cash leg) and a tokenized bond
 * (asset leg), balances minted, and the engine approved by every account. Use it through `loadFixture`.
 */
import { ethers } from "hardhat";
import type { AddressLike, ContractTransactionResponse, Interface } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Consortium, PermissionedToken, SettlementEngine } from "../typechain-types";
import type { ISettlementEngine } from "../typechain-types/contracts/settlement/SettlementEngine";

export const DAY = 24 * 60 * 60;
export const HOUR = 60 * 60;

export const SETTINGS = {
  reversalWindow: DAY,
  affirmationWindow: 2 * HOUR,
  proposalDelay: DAY,
  proposalLifetime: 7 * DAY,
  documentHash: ethers.id("shared-policy-v1"),
  documentUri: "ipfs://shared-policy-v1",
};

export const LEIS = ["5493001KJTIIGC8Y1R12", "529900T8BM49AURSDO55", "7LTWFZYICNSX8D621K86"] as const;
export const NAMES = ["Alpha Bank", "Beta Bank", "Gamma Bank"] as const;

/** Cap on one settlement, per asset. */
export const CAPS = { cash: 10_000_000_00n, bond: 100_000n };
/** Opening balances of every bank account. */
export const OPENING = { cash: 5_000_000_00n, bond: 50_000n };

export const Kind = { DvP: 0, FoP: 1 } as const;
export const Status = {
  None: 0,
  Instructed: 1,
  Affirmed: 2,
  Settled: 3,
  Final: 4,
  Reversed: 5,
  Expired: 6,
  Released: 7,
  Cancelled: 8,
  Unwound: 9,
} as const;

export type Terms = ISettlementEngine.TermsStruct;

export interface Bank {
  /** Member id in the consortium (1, 2, 3). */
  id: number;
  /** Address that acts for the bank (proposes, instructs, affirms). */
  operator: HardhatEthersSigner;
  /** The bank's omnibus account: holds tokens, approves the engine. */
  account: HardhatEthersSigner;
}

export interface ConsortiumFixture {
  consortium: Consortium;
  engine: SettlementEngine;
  /** Tokenized deposit, 2 decimals, issued by bank A. */
  cash: PermissionedToken;
  /** Tokenized bond, 0 decimals, issued by bank B. */
  bond: PermissionedToken;
  deployer: HardhatEthersSigner;
  banks: [Bank, Bank, Bank];
  /** An address registered nowhere. */
  outsider: HardhatEthersSigner;
  /** Spare signers for tests that need more addresses. */
  spare: HardhatEthersSigner[];
}

/** Deploys the consortium (bootstrap completed), engine and two tokens; every bank funded and approving. */
export async function deployConsortium(): Promise<ConsortiumFixture> {
  const signers = await ethers.getSigners();
  const [deployer, ...rest] = signers;
  const banks = [0, 1, 2].map((i) => ({ id: i + 1, operator: rest[2 * i], account: rest[2 * i + 1] })) as [
    Bank,
    Bank,
    Bank,
  ];
  const outsider = rest[6];
  const spare = rest.slice(7);

  const consortium = await ethers.deployContract("Consortium", [
    banks.map((b, i) => ({
      name: NAMES[i],
      lei: LEIS[i],
      operators: [b.operator.address],
      accounts: [b.account.address],
    })),
    SETTINGS,
  ]);
  const engine = await ethers.deployContract("SettlementEngine", [await consortium.getAddress()]);
  const cash = await ethers.deployContract("PermissionedToken", [
    "Alpha Tokenized Deposit EUR",
    "aEUR",
    2,
    await consortium.getAddress(),
    await engine.getAddress(),
    banks[0].operator.address,
  ]);
  const bond = await ethers.deployContract("PermissionedToken", [
    "Beta 3% 2030 Bond",
    "B30",
    0,
    await consortium.getAddress(),
    await engine.getAddress(),
    banks[1].operator.address,
  ]);
  await consortium.setAsset(await cash.getAddress(), CAPS.cash);
  await consortium.setAsset(await bond.getAddress(), CAPS.bond);
  await consortium.completeBootstrap();

  for (const b of banks) {
    await cash.connect(banks[0].operator).mint(b.account.address, OPENING.cash);
    await bond.connect(banks[1].operator).mint(b.account.address, OPENING.bond);
    await cash.connect(b.account).approve(await engine.getAddress(), ethers.MaxUint256);
    await bond.connect(b.account).approve(await engine.getAddress(), ethers.MaxUint256);
  }
  return { consortium, engine, cash, bond, deployer, banks, outsider, spare };
}

let tradeCounter = 0;

/** DvP terms: `seller` delivers `bondAmount` bonds against `cashAmount` of the deposit token from `buyer`. */
export async function dvpTerms(
  f: ConsortiumFixture,
  seller: Bank,
  buyer: Bank,
  bondAmount: bigint,
  cashAmount: bigint,
  tradeRef?: string,
): Promise<Terms> {
  return {
    tradeRef: tradeRef ?? ethers.id(`trade-${++tradeCounter}`),
    kind: Kind.DvP,
    seller: seller.account.address,
    buyer: buyer.account.address,
    asset: await f.bond.getAddress(),
    assetAmount: bondAmount,
    cash: await f.cash.getAddress(),
    cashAmount,
  };
}

/** FoP terms: `seller` delivers `bondAmount` bonds to `buyer`, nothing paid. */
export async function fopTerms(
  f: ConsortiumFixture,
  seller: Bank,
  buyer: Bank,
  bondAmount: bigint,
  tradeRef?: string,
): Promise<Terms> {
  return {
    tradeRef: tradeRef ?? ethers.id(`trade-${++tradeCounter}`),
    kind: Kind.FoP,
    seller: seller.account.address,
    buyer: buyer.account.address,
    asset: await f.bond.getAddress(),
    assetAmount: bondAmount,
    cash: ethers.ZeroAddress,
    cashAmount: 0n,
  };
}

/** Encodes a governed call for `Consortium.propose`. */
/**
 * How one transaction changed the locked balances of `accounts` in `token`: each account's `lockedOf` in the
 * transaction's block less the block before (the locked-balance counterpart of `changeTokenBalances`).
 */
export async function lockedChanges(
  token: PermissionedToken,
  accounts: readonly AddressLike[],
  tx: Promise<ContractTransactionResponse>,
): Promise<bigint[]> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  const at = receipt.blockNumber;
  return Promise.all(
    accounts.map(
      async (a) => (await token.lockedOf(a, { blockTag: at })) - (await token.lockedOf(a, { blockTag: at - 1 })),
    ),
  );
}

export function governedCall(consortium: Consortium, fn: string, args: readonly unknown[]): string {
  // The Interface's typed overloads want a literal function name; tests pass names as data.
  return (consortium.interface as Interface).encodeFunctionData(fn, args);
}

/** The consortium fixture with an `AuditAnchor` deployed beside it. */
export async function anchorFixture() {
  const f = await deployConsortium();
  const anchor = await ethers.deployContract("AuditAnchor", [await f.consortium.getAddress()]);
  return { ...f, anchor };
}
