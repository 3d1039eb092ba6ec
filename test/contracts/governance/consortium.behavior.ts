/**
 * Helpers and shared behaviours for the Consortium tests: a consortium still in bootstrap, proposals carried
 * through quorum and timelock, and the rule that every governed function answers only to governance.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Consortium } from "../../../typechain-types";
import type { IConsortium } from "../../../typechain-types/contracts/governance/Consortium";
import { DAY, LEIS, NAMES, SETTINGS, deployConsortium, governedCall, type Bank } from "../../fixtures";

/** `IConsortium.Parameter`. */
export const Parameter = { ReversalWindow: 0, AffirmationWindow: 1, ProposalDelay: 2, ProposalLifetime: 3 } as const;
/** `IConsortium.ProposalState`. */
export const ProposalState = { None: 0, Pending: 1, Executed: 2, Cancelled: 3 } as const;
/** `Consortium.MAX_DURATION`. */
export const MAX_DURATION = 365 * DAY;

/** A valid LEI (20 upper-case letters and digits) distinct for every `n`, and from the fixture's LEIs. */
export function lei(n: number): string {
  return `TESTLEI${n.toString().padStart(13, "0")}`;
}

/** The constructor's `InitialMember[]` for banks given as operator/account pairs. */
export function initialMembers(banks: readonly Bank[]): IConsortium.InitialMemberStruct[] {
  return banks.map((b, i) => ({
    name: NAMES[i],
    lei: LEIS[i],
    operators: [b.operator.address],
    accounts: [b.account.address],
  }));
}

export interface BootstrapFixture {
  consortium: Consortium;
  /** The consortium's own address: the actor of every governed call carried out by a proposal. */
  self: string;
  deployer: HardhatEthersSigner;
  banks: [Bank, Bank, Bank];
  outsider: HardhatEthersSigner;
  spare: HardhatEthersSigner[];
}

/** A three-bank consortium, same signers as `deployConsortium`, whose bootstrap is still open. */
export async function deployBootstrapping(): Promise<BootstrapFixture> {
  const [deployer, ...rest] = await ethers.getSigners();
  const banks = [0, 1, 2].map((i) => ({ id: i + 1, operator: rest[2 * i], account: rest[2 * i + 1] })) as [
    Bank,
    Bank,
    Bank,
  ];
  const consortium = await ethers.deployContract("Consortium", [initialMembers(banks), SETTINGS]);
  return {
    consortium,
    self: await consortium.getAddress(),
    deployer,
    banks,
    outsider: rest[6],
    spare: rest.slice(7),
  };
}

/** The shared three-bank consortium (bootstrap completed, policy version 1) with its governance shortcuts. */
export async function governanceFixture() {
  const f = await deployConsortium();
  const self = await f.consortium.getAddress();
  const operators = f.banks.map((b) => b.operator);
  const call = (fn: string, args: unknown[] = []) => governedCall(f.consortium, fn, args);
  return { ...f, self, operators, call };
}

/** As `governanceFixture`, plus a fourth bank (operator spare[0], account spare[1]) admitted by proposal. */
export async function fourMemberFixture() {
  const f = await governanceFixture();
  const [operator, account] = f.spare;
  await enact(f.consortium, f.operators, f.call("addMember", ["Delta Bank", lei(4), [operator.address]]));
  await f.consortium.connect(operator).registerAccount(account.address);
  return { ...f, delta: { id: 4, operator, account }, operators: [...f.operators, operator] };
}

/** A mask with bit `i` set for every id given. */
export function maskOf(ids: number[]): bigint {
  return ids.reduce((m, id) => m | (1n << BigInt(id)), 0n);
}

/** Proposes `data` as `operator` and returns the new proposal's id. */
export async function proposeAs(
  consortium: Consortium,
  operator: HardhatEthersSigner,
  data: string,
  description = "test proposal",
): Promise<bigint> {
  await consortium.connect(operator).propose(data, description);
  return consortium.proposalCount();
}

/**
 * Carries `data` through governance: `operators[0]` proposes, the others approve until the proposal is queued,
 * the timelock elapses, and `operators[0]` executes. Returns the execution transaction.
 */
export async function enact(
  consortium: Consortium,
  operators: HardhatEthersSigner[],
  data: string,
): Promise<ContractTransactionResponse> {
  const id = await proposeAs(consortium, operators[0], data);
  for (const operator of operators.slice(1)) {
    if ((await consortium.proposal(id)).eta !== 0n) break;
    await consortium.connect(operator).approve(id);
  }
  const { eta } = await consortium.proposal(id);
  expect(eta, `proposal ${id} reached no quorum`).to.not.equal(0n);
  if (BigInt(await time.latest()) < eta) await time.increaseTo(eta);
  return consortium.connect(operators[0]).execute(id);
}

/** One governed function with arguments that succeed on a fresh three-bank consortium, and the event it emits. */
export interface GovernedCall {
  fn: string;
  event: string;
  args(f: BootstrapFixture): unknown[];
}

export const GOVERNED_CALLS: GovernedCall[] = [
  { fn: "addMember", event: "MemberAdded", args: (f) => ["Delta Bank", lei(4), [f.spare[0].address]] },
  { fn: "removeMember", event: "MemberRemoved", args: () => [3] },
  { fn: "setOperator", event: "OperatorSet", args: (f) => [1, f.spare[0].address, true] },
  { fn: "setParameter", event: "ParameterChanged", args: () => [Parameter.ReversalWindow, 2 * DAY] },
  { fn: "setQuorum", event: "QuorumChanged", args: () => [1, 2] },
  // Any contract is a valid asset; the consortium itself is at hand.
  { fn: "setAsset", event: "AssetConfigured", args: (f) => [f.self, 1_000n] },
  { fn: "setPolicyDocument", event: "PolicyDocumentChanged", args: () => [ethers.id("v2"), "ipfs://v2"] },
  { fn: "pause", event: "ConsortiumPaused", args: () => [] },
  { fn: "unpause", event: "ConsortiumUnpaused", args: () => [] },
  { fn: "reassignAccount", event: "AccountReassigned", args: (f) => [f.spare[0].address, 1, "new client"] },
];

/** Shared behaviour: the deployer may call governed functions only until bootstrap completes; nobody else may. */
export function shouldAnswerOnlyToGovernance(): void {
  for (const call of GOVERNED_CALLS) {
    describe(call.fn, () => {
      it("lets the deployer call it directly during bootstrap, at policy version 1", async () => {
        const f = await loadFixture(deployBootstrapping);
        await expect(f.consortium.getFunction(call.fn)(...call.args(f))).to.emit(f.consortium, call.event);
        expect(await f.consortium.policyVersion()).to.equal(1n);
      });

      it("refuses a member's operator during bootstrap", async () => {
        const f = await loadFixture(deployBootstrapping);
        const operator = f.banks[0].operator;
        await expect(f.consortium.connect(operator).getFunction(call.fn)(...call.args(f)))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOnlyGovernance")
          .withArgs(operator.address);
      });

      it("refuses the deployer once bootstrap completed", async () => {
        const f = await loadFixture(deployBootstrapping);
        await f.consortium.completeBootstrap();
        await expect(f.consortium.getFunction(call.fn)(...call.args(f)))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOnlyGovernance")
          .withArgs(f.deployer.address);
      });

      it("runs through an executed proposal once bootstrap completed", async () => {
        const f = await loadFixture(deployBootstrapping);
        await f.consortium.completeBootstrap();
        const data = governedCall(f.consortium, call.fn, call.args(f));
        const operators = f.banks.map((b) => b.operator);
        await expect(enact(f.consortium, operators, data)).to.emit(f.consortium, call.event);
      });
    });
  }
}
