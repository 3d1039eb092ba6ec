/**
 * Liveness property of the settlement engine: from every reachable state, some sequence of permitted calls
 * unlocks every open leg in the account it belongs to. fast-check generates sequences of
 * instructions, affirmations, settlements (also in one call with the affirmation), cancellations, releases,
 * unwind requests and approvals and time jumps, interleaved at any step with the accidents that used to trap
 * legs: a member removed by proposal, an account or the engine frozen whole or in part, a token paused, the
 * consortium paused. Calls may fail; after every step the invariants hold (supply conserved, the locked balances
 * are exactly the open legs and the engine holds nothing, every account holds its opening balance moved only by
 * what settled, final settlements never change, no address outside the consortium ever holds a token). At the end,
 * without lifting any freeze, pause or removal, the test releases every open instruction after its deadline and
 * unwinds every affirmed settlement through the active members, each call required to succeed, and checks that
 * nothing is locked any more and every leg is home.
 *
 * CI runs a fixed seed and a small number of runs; set FC_RUNS (and FC_SEED, FC_STEPS) for more.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployConsortium, governedCall, Kind, OPENING, Status, type Terms } from "../../fixtures";
import { enact } from "../governance/consortium.behavior";

const SEED = Number(process.env.FC_SEED ?? 7);
const RUNS = Number(process.env.FC_RUNS ?? 12);
const STEPS = Number(process.env.FC_STEPS ?? 30);

type Token = "cash" | "bond";
/** Freeze targets: 0..2 the banks' accounts, 3 the engine. */
const ENGINE = 3;

type Action =
  | {
      type: "instruct";
      seller: number;
      buyerOffset: number;
      fop: boolean;
      bonds: bigint;
      cash: bigint;
      bySeller: boolean;
    }
  | { type: "affirm" | "affirmAndSettle" | "cancel" | "release"; target: number }
  | { type: "settle"; target: number; bySeller: boolean }
  | { type: "proposeUnwind" | "approveUnwind"; target: number; by: number }
  | { type: "wait"; seconds: number }
  | { type: "removeMember"; member: number }
  | { type: "freeze"; token: Token; who: number; whole: boolean; on: boolean }
  | { type: "pauseToken"; token: Token; on: boolean }
  | { type: "pauseConsortium"; on: boolean };

const target = fc.nat({ max: 1_000 });
const bank = fc.integer({ min: 0, max: 2 });
const token = fc.constantFrom<Token>("cash", "bond");
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("instruct" as const),
      seller: bank,
      buyerOffset: fc.constantFrom(1, 2),
      fop: fc.boolean(),
      bonds: fc.bigInt(1n, 1_000n),
      cash: fc.bigInt(1n, 1_000_000_00n),
      bySeller: fc.boolean(),
    }),
  },
  { weight: 5, arbitrary: fc.record({ type: fc.constant("affirm" as const), target }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("affirmAndSettle" as const), target }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("settle" as const), target, bySeller: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom("cancel" as const, "release" as const), target }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constantFrom("proposeUnwind" as const, "approveUnwind" as const),
      target,
      by: bank,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 3 * 60 * 60 }) }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("removeMember" as const), member: bank }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("freeze" as const),
      token,
      who: fc.integer({ min: 0, max: ENGINE }),
      whole: fc.boolean(),
      on: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("pauseToken" as const), token, on: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("pauseConsortium" as const),
      on: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
);

async function livenessFixture() {
  const f = await deployConsortium();
  return { ...f, fromBlock: await ethers.provider.getBlockNumber(), engineAddress: await f.engine.getAddress() };
}
type Fixture = Awaited<ReturnType<typeof livenessFixture>>;

interface Sim {
  terms: Terms;
  id: bigint;
  seller: number;
  buyer: number;
  fop: boolean;
  bonds: bigint;
  cash: bigint;
  /** The stored record when the settlement was first seen final. */
  finalRecord?: unknown[];
}

/** Sends a transaction; true when it succeeded. Reverts are allowed here: the property is about what follows. */
async function attempt(send: () => Promise<ContractTransactionResponse>): Promise<boolean> {
  try {
    await (await send()).wait();
    return true;
  } catch {
    return false;
  }
}

/** Stored status of every settlement. */
async function statuses(f: Fixture, sims: Sim[]): Promise<number[]> {
  return Promise.all(sims.map(async (s) => Number((await f.engine.record(s.id)).status)));
}

/**
 * What each bank account and the engine must hold, and how much of it is locked, derived from the stored statuses
 * alone: an open leg is locked in its owner's account, a settled one moved, anything else (released, cancelled,
 * unwound, reversed) is home and unlocked. The engine never holds or locks anything.
 */
async function expected(f: Fixture, sims: Sim[]): Promise<Record<Token | "lockedCash" | "lockedBond", bigint[]>> {
  const out: Record<Token | "lockedCash" | "lockedBond", bigint[]> = {
    cash: [OPENING.cash, OPENING.cash, OPENING.cash, 0n],
    bond: [OPENING.bond, OPENING.bond, OPENING.bond, 0n],
    lockedCash: [0n, 0n, 0n, 0n],
    lockedBond: [0n, 0n, 0n, 0n],
  };
  const move = (t: Token, from: number, to: number, value: bigint) => {
    out[t][from] -= value;
    out[t][to] += value;
  };
  const lock = (t: Token, owner: number, value: bigint) => {
    out[t === "cash" ? "lockedCash" : "lockedBond"][owner] += value;
  };
  const stored = await statuses(f, sims);
  for (const [i, s] of sims.entries()) {
    const sellerInstructed = (await f.engine.record(s.id)).sellerInstructed;
    const status = stored[i];
    if (status === Status.Instructed || status === Status.Affirmed) {
      if (status === Status.Affirmed || sellerInstructed) lock("bond", s.seller, s.bonds);
      if (status === Status.Affirmed || !sellerInstructed) lock("cash", s.buyer, s.cash);
    } else if (status === Status.Settled) {
      move("bond", s.seller, s.buyer, s.bonds);
      move("cash", s.buyer, s.seller, s.cash);
    }
  }
  return out;
}

async function checkInvariants(f: Fixture, sims: Sim[]): Promise<void> {
  const want = await expected(f, sims);
  const holders = [...f.banks.map((b) => b.account.address), f.engineAddress];
  for (const [name, contract] of [
    ["cash", f.cash],
    ["bond", f.bond],
  ] as const) {
    expect(await contract.totalSupply()).to.equal(3n * OPENING[name]);
    const locked = name === "cash" ? want.lockedCash : want.lockedBond;
    for (const [i, holder] of holders.entries()) {
      expect(await contract.balanceOf(holder), `${name} of holder ${i}`).to.equal(want[name][i]);
      expect(await contract.lockedOf(holder), `${name} locked by holder ${i}`).to.equal(locked[i]);
    }
  }
  const now = await time.latest();
  for (const s of sims) {
    const record = [...(await f.engine.record(s.id))];
    if (s.finalRecord === undefined) {
      if (Number(record[0]) === Status.Settled && now >= Number(record[3])) s.finalRecord = record;
      continue;
    }
    expect(await f.engine.isFinal(s.id)).to.equal(true);
    expect(record).to.deep.equal(s.finalRecord);
  }
  const seen = new Set<string>();
  for (const contract of [f.cash, f.bond]) {
    for (const log of await contract.queryFilter(contract.filters.Transfer(), f.fromBlock)) {
      seen.add(log.args.from);
      seen.add(log.args.to);
    }
  }
  seen.delete(ethers.ZeroAddress);
  for (const address of seen) expect(holders, `${address} held a token`).to.include(address);
}

/** Operators of the members still active, in member order. */
async function activeOperators(f: Fixture): Promise<HardhatEthersSigner[]> {
  const mask = await f.consortium.activeMemberMask();
  return f.banks.filter((b) => (mask >> BigInt(b.id)) & 1n).map((b) => b.operator);
}

async function runSequence(actions: Action[]): Promise<void> {
  const f = await loadFixture(livenessFixture);
  const sims: Sim[] = [];
  const tokens = { cash: f.cash, bond: f.bond };
  const issuers = { cash: f.banks[0].operator, bond: f.banks[1].operator };
  const pick = (n: number) => sims[sims.length - 1 - (n % sims.length)];
  let refs = 0;

  for (const a of actions) {
    switch (a.type) {
      case "instruct": {
        const buyer = (a.seller + a.buyerOffset) % 3;
        const terms: Terms = {
          tradeRef: ethers.id(`liveness-${++refs}`),
          kind: a.fop ? Kind.FoP : Kind.DvP,
          seller: f.banks[a.seller].account.address,
          buyer: f.banks[buyer].account.address,
          asset: await f.bond.getAddress(),
          assetAmount: a.bonds,
          cash: a.fop ? ethers.ZeroAddress : await f.cash.getAddress(),
          cashAmount: a.fop ? 0n : a.cash,
        };
        const by = f.banks[a.bySeller ? a.seller : buyer].operator;
        if (await attempt(() => f.engine.connect(by).instruct(terms))) {
          const cash = a.fop ? 0n : a.cash;
          sims.push({
            terms,
            id: await f.engine.settlementId(terms),
            seller: a.seller,
            buyer,
            fop: a.fop,
            bonds: a.bonds,
            cash,
          });
        }
        break;
      }
      case "affirm":
      case "affirmAndSettle":
      case "cancel":
      case "release":
      case "settle": {
        if (sims.length === 0) break;
        const s = pick(a.target);
        const sellerInstructed = (await f.engine.record(s.id)).sellerInstructed;
        const instructor = f.banks[sellerInstructed ? s.seller : s.buyer].operator;
        const counterparty = f.banks[sellerInstructed ? s.buyer : s.seller].operator;
        if (a.type === "affirm") await attempt(() => f.engine.connect(counterparty).affirm(s.terms));
        if (a.type === "affirmAndSettle") await attempt(() => f.engine.connect(counterparty).affirmAndSettle(s.terms));
        if (a.type === "cancel") await attempt(() => f.engine.connect(instructor).cancel(s.terms, "property"));
        if (a.type === "release") await attempt(() => f.engine.connect(f.outsider).release(s.terms));
        if (a.type === "settle") {
          const by = f.banks[a.bySeller ? s.seller : s.buyer].operator;
          await attempt(() => f.engine.connect(by).settle(s.terms));
        }
        break;
      }
      case "proposeUnwind":
      case "approveUnwind": {
        if (sims.length === 0) break;
        const s = pick(a.target);
        const engine = f.engine.connect(f.banks[a.by].operator);
        await attempt(() =>
          a.type === "proposeUnwind" ? engine.proposeUnwind(s.terms, "property") : engine.approveUnwind(s.terms),
        );
        break;
      }
      case "wait":
        await time.increase(a.seconds);
        break;
      case "removeMember": {
        const operators = await activeOperators(f);
        const id = f.banks[a.member].id;
        if (operators.length < 2 || !(await f.consortium.member(id)).active) break;
        await enact(f.consortium, operators, governedCall(f.consortium, "removeMember", [id]));
        break;
      }
      case "freeze": {
        const who = a.who === ENGINE ? f.engineAddress : f.banks[a.who].account.address;
        const freezer = tokens[a.token].connect(issuers[a.token]);
        if (a.whole) await freezer.setAddressFrozen(who, a.on);
        else await freezer.setFrozenTokens(who, a.on ? OPENING[a.token] : 0n);
        break;
      }
      case "pauseToken": {
        const pauser = tokens[a.token].connect(issuers[a.token]);
        if ((await pauser.paused()) !== a.on) await (a.on ? pauser.pause() : pauser.unpause());
        break;
      }
      case "pauseConsortium":
        if ((await f.consortium.paused()) !== a.on) {
          await enact(
            f.consortium,
            await activeOperators(f),
            governedCall(f.consortium, a.on ? "pause" : "unpause", []),
          );
        }
        break;
    }
    await checkInvariants(f, sims);
  }

  // Liveness: with every freeze, pause and removal left in place, permitted calls bring every leg home.
  const stored = await statuses(f, sims);
  for (const [i, s] of sims.entries()) {
    if (stored[i] === Status.Instructed) {
      const { affirmDeadline } = await f.engine.record(s.id);
      if (BigInt(await time.latest()) <= affirmDeadline) await time.increaseTo(affirmDeadline + 1n);
      await f.engine.connect(f.outsider).release(s.terms);
    } else if (stored[i] === Status.Affirmed) {
      const operators = await activeOperators(f);
      if ((await f.engine.unwindApprovals(s.id)) === 0n) {
        await f.engine.connect(operators[0]).proposeUnwind(s.terms, "liveness");
      }
      for (const operator of operators) {
        if ((await f.engine.record(s.id)).status !== BigInt(Status.Affirmed)) break;
        const member = await f.consortium.operatorMember(operator.address);
        if (((await f.engine.unwindApprovals(s.id)) >> member) & 1n) continue;
        await f.engine.connect(operator).approveUnwind(s.terms);
      }
      expect((await f.engine.record(s.id)).status).to.equal(Status.Unwound);
    }
  }
  await checkInvariants(f, sims);
  for (const contract of [f.cash, f.bond]) {
    expect(await contract.balanceOf(f.engineAddress)).to.equal(0n);
    for (const holder of f.banks) expect(await contract.lockedOf(holder.account.address)).to.equal(0n);
  }
  for (const status of await statuses(f, sims)) {
    expect([Status.Instructed, Status.Affirmed]).not.to.include(status);
  }
}

describe("SettlementEngine liveness property", () => {
  it("from every reachable state, removals, freezes and pauses included, permitted calls return every leg", async function () {
    this.timeout(0);
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: STEPS, size: "max" }), runSequence), {
      seed: SEED,
      numRuns: RUNS,
    });
  });
});
