/**
 * Property test of the settlement engine against a model. fast-check generates sequences of instructions,
 * affirmations, settlements, one-call affirm-and-settles, cancellations, releases, reversal proposals and approvals and time jumps across the
 * three banks, both directions, DvP and FoP, with amounts that include zero, the caps, above the caps and above
 * the balances. The model predicts every call's outcome (success or the exact error's name), and after every
 * step the test checks the invariants: supplies conserved, the locked balances are exactly the open legs, a final
 * settlement never changes again, and no address outside the consortium holds a token.
 *
 * CI runs a fixed seed and a small number of runs; set FC_RUNS (and FC_SEED, FC_STEPS) for more.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { CAPS, DAY, deployConsortium, HOUR, Kind, OPENING, SETTINGS, Status, type Terms } from "../../fixtures";

const SEED = Number(process.env.FC_SEED ?? 42);
const RUNS = Number(process.env.FC_RUNS ?? 40);
const STEPS = Number(process.env.FC_STEPS ?? 40);

/** Parties by index: 0..2 the banks' accounts, 3 the outsider, 4 a random address. */
const OUTSIDER = 3;
const STRANGER = 4;
/** Callers by index: 0..2 the banks' operators, 3 the outsider. */
type Caller = number | "right";

type Action =
  | {
      type: "instruct";
      seller: number;
      buyer: number;
      fop: boolean;
      assetAmount: bigint;
      cashAmount: bigint;
      by: "seller" | "buyer" | number;
    }
  | {
      type: "affirm" | "affirmAndSettle" | "settle" | "cancel" | "release" | "propose" | "approve" | "reinstruct";
      target: number;
      anyTarget: boolean;
      by: Caller;
    }
  | { type: "wait"; seconds: number }
  | {
      type: "atBoundary";
      then: "affirm" | "release" | "propose" | "approve";
      target: number;
      offset: -1 | 0 | 1;
      by: Caller;
    };

const bank = fc.integer({ min: 0, max: 2 });
const party = fc.oneof({ weight: 12, arbitrary: bank }, { weight: 1, arbitrary: fc.constantFrom(OUTSIDER, STRANGER) });
/** Seller and buyer: mostly two different banks, sometimes the same bank or an address outside the consortium. */
const parties = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(bank, fc.constantFrom(1, 2)).map(([s, d]) => [s, (s + d) % 3] as const) },
  { weight: 2, arbitrary: fc.tuple(party, party) },
);
const caller: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 5, arbitrary: fc.constant("right" as const) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) },
);
function amount(cap: bigint, balance: bigint, typical: bigint): fc.Arbitrary<bigint> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.bigInt(1n, typical) },
    { weight: 2, arbitrary: fc.bigInt(balance / 2n, balance + balance / 10n) },
    { weight: 1, arbitrary: fc.constantFrom(0n, cap, cap + 1n) },
  );
}
const instruct = fc
  .record({
    parties,
    fop: fc.boolean(),
    assetAmount: amount(CAPS.bond, OPENING.bond, 1_000n),
    cashAmount: amount(CAPS.cash, OPENING.cash, 100_000_00n),
    by: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("seller" as const, "buyer" as const) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) },
    ),
  })
  .map(({ parties: [seller, buyer], ...rest }) => ({ type: "instruct" as const, seller, buyer, ...rest }));
/** The settlements each step applies to (any known settlement for a repeated instruction). */
const STAGE: Record<Exclude<Action["type"], "instruct" | "wait" | "atBoundary">, (s: Sim) => boolean> = {
  affirm: (s) => s.status === Status.Instructed,
  affirmAndSettle: (s) => s.status === Status.Instructed,
  cancel: (s) => s.status === Status.Instructed,
  release: (s) => s.status === Status.Instructed,
  settle: (s) => s.status === Status.Affirmed,
  propose: (s) => s.status === Status.Settled,
  approve: (s) => s.status === Status.Settled && s.approvals.size > 0,
  reinstruct: (s) => s.status !== Status.None,
};
/** `target` counts back from the most recent settlement; `anyTarget` also picks terms that never instructed. */
function targeted(
  type: "affirm" | "affirmAndSettle" | "settle" | "cancel" | "release" | "propose" | "approve" | "reinstruct",
) {
  return fc.record({
    type: fc.constant(type),
    target: fc.nat({ max: 1_000 }),
    anyTarget: fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    by: caller,
  });
}
const wait = fc.record({
  type: fc.constant("wait" as const),
  seconds: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: HOUR }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(SETTINGS.affirmationWindow, SETTINGS.affirmationWindow + 1, DAY - 2, DAY + 1),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 * DAY }) },
  ),
});
/**
 * A step on a settlement one second before, at, or one second after its boundary: the affirmation deadline for
 * affirm and release, the end of the reversal window for propose and approve.
 */
const atBoundary = fc.record({
  type: fc.constant("atBoundary" as const),
  then: fc.constantFrom("affirm" as const, "release" as const, "propose" as const, "approve" as const),
  target: fc.nat({ max: 1_000 }),
  offset: fc.constantFrom(-1 as const, 0 as const, 1 as const),
  by: caller,
});
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: instruct },
  { weight: 4, arbitrary: targeted("affirm") },
  { weight: 4, arbitrary: targeted("settle") },
  { weight: 2, arbitrary: targeted("affirmAndSettle") },
  { weight: 1, arbitrary: targeted("cancel") },
  { weight: 1, arbitrary: targeted("release") },
  { weight: 3, arbitrary: targeted("propose") },
  { weight: 3, arbitrary: targeted("approve") },
  { weight: 1, arbitrary: targeted("reinstruct") },
  { weight: 2, arbitrary: wait },
  { weight: 2, arbitrary: atBoundary },
);
const stranger = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => ethers.getAddress(ethers.hexlify(b)));

async function propertyFixture() {
  const f = await deployConsortium();
  return { ...f, fromBlock: await ethers.provider.getBlockNumber(), engineAddress: await f.engine.getAddress() };
}
type Fixture = Awaited<ReturnType<typeof propertyFixture>>;

/** One settlement as the model sees it. Parties are indices (0..4), members are ids (0 for none). */
interface Sim {
  terms: Terms;
  id: bigint;
  seller: number;
  buyer: number;
  fop: boolean;
  assetAmount: bigint;
  cashAmount: bigint;
  status: number;
  sellerInstructed: boolean;
  deadline: number;
  finalAt: number;
  approvals: Set<number>;
  /** The record as it was when the settlement was first seen final. */
  finalRecord?: unknown[];
}

/** "ok", or the name of the custom error a call reverted with. */
type Outcome = string;

type Token = "cash" | "bond";
/** One token movement of a step: lock or unlock a leg in its owner's account, deliver a locked leg, or move freely. */
type Op =
  | { op: "lock"; token: Token; owner: number; value: bigint }
  | { op: "unlock"; token: Token; owner: number; value: bigint }
  | { op: "deliver"; token: Token; from: number; to: number; value: bigint }
  | { op: "move"; token: Token; from: number; to: number; value: bigint };

class Model {
  /** Balances of the three bank accounts and the engine (index 3, which never holds anything). */
  readonly cash = [OPENING.cash, OPENING.cash, OPENING.cash, 0n];
  readonly bond = [OPENING.bond, OPENING.bond, OPENING.bond, 0n];
  /** The locked part of each balance. */
  readonly locked: Record<Token, bigint[]> = { cash: [0n, 0n, 0n, 0n], bond: [0n, 0n, 0n, 0n] };
  readonly sims: Sim[] = [];
  now = 0;

  static member(partyIndex: number): number {
    return partyIndex < 3 ? partyIndex + 1 : 0;
  }

  /** The status `statusOf` reports at `now`. */
  static reported(s: Sim, now: number): number {
    if (s.status === Status.Instructed && now > s.deadline) return Status.Expired;
    if (s.status === Status.Settled && now >= s.finalAt) return Status.Final;
    return s.status;
  }

  /** What is locked for a settlement, derived from its status alone. */
  static escrow(s: Sim): { cash: bigint; bond: bigint } {
    const sellerLeg = { cash: 0n, bond: s.assetAmount };
    const buyerLeg = { cash: s.fop ? 0n : s.cashAmount, bond: 0n };
    if (s.status === Status.Affirmed) return { cash: buyerLeg.cash, bond: sellerLeg.bond };
    if (s.status === Status.Instructed) return s.sellerInstructed ? sellerLeg : buyerLeg;
    return { cash: 0n, bond: 0n };
  }

  /** The token's refusal when `value` exceeds what `from` may send: its balance less its locked part. */
  private unavailable(token: Token, from: number, value: bigint): Outcome | undefined {
    if (this[token][from] - this.locked[token][from] >= value) return undefined;
    return this.locked[token][from] !== 0n ? "TokenInsufficientUnlocked" : "ERC20InsufficientBalance";
  }

  private apply(o: Op): Outcome {
    const ledger = this[o.token];
    const locked = this.locked[o.token];
    if (o.op === "lock") {
      const refused = this.unavailable(o.token, o.owner, o.value);
      if (refused !== undefined) return refused;
      locked[o.owner] += o.value;
    } else if (o.op === "unlock") {
      locked[o.owner] -= o.value;
    } else {
      if (o.op === "move") {
        const refused = this.unavailable(o.token, o.from, o.value);
        if (refused !== undefined) return refused;
      } else {
        locked[o.from] -= o.value;
      }
      ledger[o.from] -= o.value;
      ledger[o.to] += o.value;
    }
    return "ok";
  }

  /** Applies several movements, all or none, like one transaction. */
  private applyAll(ops: Op[]): Outcome {
    const saved = [this.cash, this.bond, this.locked.cash, this.locked.bond].map((a) => [...a]);
    for (const o of ops) {
      const outcome = this.apply(o);
      if (outcome !== "ok") {
        [this.cash, this.bond, this.locked.cash, this.locked.bond].forEach((a, k) =>
          saved[k].forEach((v, i) => (a[i] = v)),
        );
        return outcome;
      }
    }
    return "ok";
  }

  private leg(s: Sim, sellerSide: boolean, op: "lock" | "unlock"): Op[] {
    // One literal per call keeps `Op` a union TypeScript can narrow on `op`.
    if (op === "lock") {
      if (sellerSide) return [{ op, token: "bond", owner: s.seller, value: s.assetAmount }];
      return s.fop ? [] : [{ op, token: "cash", owner: s.buyer, value: s.cashAmount }];
    }
    if (sellerSide) return [{ op, token: "bond", owner: s.seller, value: s.assetAmount }];
    if (s.fop) return [];
    return [{ op, token: "cash", owner: s.buyer, value: s.cashAmount }];
  }

  instruct(s: Sim, m: number): Outcome {
    if (m === 0) return "SettlementNotMember";
    const sm = Model.member(s.seller);
    const bm = Model.member(s.buyer);
    if (sm === 0 || bm === 0) return "SettlementAccountNotRegistered";
    if (sm === bm) return "SettlementSameMember";
    if (s.assetAmount === 0n || (!s.fop && s.cashAmount === 0n)) return "SettlementInvalidTerms";
    if (s.assetAmount > CAPS.bond || (!s.fop && s.cashAmount > CAPS.cash)) return "SettlementCapExceeded";
    if (s.status !== Status.None) return "SettlementDuplicate";
    if (m !== sm && m !== bm) return "SettlementNotParty";
    const sellerInstructed = m === sm;
    const outcome = this.applyAll(this.leg({ ...s, sellerInstructed }, sellerInstructed, "lock"));
    if (outcome !== "ok") return outcome;
    Object.assign(s, {
      status: Status.Instructed,
      sellerInstructed,
      deadline: this.now + SETTINGS.affirmationWindow,
    });
    return "ok";
  }

  affirm(s: Sim, m: number): Outcome {
    if (m === 0) return "SettlementNotMember";
    if (s.status === Status.None) return "SettlementUnknown";
    if (s.status !== Status.Instructed) return "SettlementWrongStatus";
    if (this.now > s.deadline) return "SettlementAffirmationExpired";
    if (m !== Model.member(s.sellerInstructed ? s.buyer : s.seller)) return "SettlementNotParty";
    const outcome = this.applyAll(this.leg(s, !s.sellerInstructed, "lock"));
    if (outcome === "ok") s.status = Status.Affirmed;
    return outcome;
  }

  /** Affirm and settle in one call: the locked leg is delivered, the other goes straight across. */
  affirmAndSettle(s: Sim, m: number): Outcome {
    if (m === 0) return "SettlementNotMember";
    if (s.status === Status.None) return "SettlementUnknown";
    if (s.status !== Status.Instructed) return "SettlementWrongStatus";
    if (this.now > s.deadline) return "SettlementAffirmationExpired";
    if (m !== Model.member(s.sellerInstructed ? s.buyer : s.seller)) return "SettlementNotParty";
    const bond: Op = {
      op: s.sellerInstructed ? "deliver" : "move",
      token: "bond",
      from: s.seller,
      to: s.buyer,
      value: s.assetAmount,
    };
    const cash: Op[] = s.fop
      ? []
      : [
          {
            op: s.sellerInstructed ? "move" : "deliver",
            token: "cash",
            from: s.buyer,
            to: s.seller,
            value: s.cashAmount,
          },
        ];
    const outcome = this.applyAll([bond, ...cash]);
    if (outcome === "ok") Object.assign(s, { status: Status.Settled, finalAt: this.now + SETTINGS.reversalWindow });
    return outcome;
  }

  settle(s: Sim, m: number): Outcome {
    if (m === 0) return "SettlementNotMember";
    if (s.status === Status.None) return "SettlementUnknown";
    if (s.status !== Status.Affirmed) return "SettlementWrongStatus";
    if (m !== Model.member(s.seller) && m !== Model.member(s.buyer)) return "SettlementNotParty";
    const outcome = this.applyAll([
      { op: "deliver", token: "bond", from: s.seller, to: s.buyer, value: s.assetAmount },
      ...(s.fop ? [] : [{ op: "deliver", token: "cash", from: s.buyer, to: s.seller, value: s.cashAmount } as Op]),
    ]);
    if (outcome === "ok") Object.assign(s, { status: Status.Settled, finalAt: this.now + SETTINGS.reversalWindow });
    return outcome;
  }

  cancel(s: Sim, m: number): Outcome {
    if (s.status === Status.None) return "SettlementUnknown";
    if (s.status !== Status.Instructed) return "SettlementWrongStatus";
    if (m === 0 || m !== Model.member(s.sellerInstructed ? s.seller : s.buyer)) return "SettlementNotParty";
    const outcome = this.applyAll(this.leg(s, s.sellerInstructed, "unlock"));
    if (outcome === "ok") s.status = Status.Cancelled;
    return outcome;
  }

  release(s: Sim): Outcome {
    if (s.status === Status.None) return "SettlementUnknown";
    if (s.status !== Status.Instructed) return "SettlementWrongStatus";
    if (this.now <= s.deadline) return "SettlementNotExpired";
    const outcome = this.applyAll(this.leg(s, s.sellerInstructed, "unlock"));
    if (outcome === "ok") s.status = Status.Released;
    return outcome;
  }

  reversal(s: Sim, m: number, propose: boolean): Outcome {
    if (m === 0) return "SettlementNotMember";
    if (s.status === Status.None) return "SettlementUnknown";
    if (s.status !== Status.Settled) return "SettlementWrongStatus";
    if (this.now >= s.finalAt) return "SettlementFinal";
    if (propose && s.approvals.size !== 0) return "SettlementReversalAlreadyRequested";
    if (!propose && s.approvals.size === 0) return "SettlementReversalNotRequested";
    if (!propose && s.approvals.has(m)) return "SettlementReversalAlreadyApproved";
    const approvals = new Set([...s.approvals, m]);
    const byParties = approvals.has(Model.member(s.seller)) && approvals.has(Model.member(s.buyer));
    // Three active members: a quorum of two thirds is two approvals.
    if (byParties || approvals.size >= 2) {
      const outcome = this.applyAll([
        { op: "move", token: "bond", from: s.buyer, to: s.seller, value: s.assetAmount },
        ...(s.fop ? [] : [{ op: "move", token: "cash", from: s.seller, to: s.buyer, value: s.cashAmount } as Op]),
      ]);
      if (outcome !== "ok") return outcome;
      s.status = Status.Reversed;
    }
    s.approvals = approvals;
    return "ok";
  }
}

/** Sends a transaction and names its outcome: "ok" or the custom error it reverted with. */
async function outcomeOf(f: Fixture, send: () => Promise<ContractTransactionResponse>): Promise<Outcome> {
  try {
    await (await send()).wait();
    return "ok";
  } catch (e) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string") {
      for (const iface of [f.engine.interface, f.cash.interface]) {
        const parsed = iface.parseError(data);
        if (parsed !== null) return parsed.name;
      }
    }
    return `unexpected: ${(e as Error).message}`;
  }
}

async function checkInvariants(f: Fixture, model: Model): Promise<void> {
  const chainNow = await time.latest();
  const holders = [...f.banks.map((b) => b.account.address), f.engineAddress];
  for (const [token, ledger, opening] of [
    [f.cash, model.cash, OPENING.cash],
    [f.bond, model.bond, OPENING.bond],
  ] as const) {
    expect(await token.totalSupply()).to.equal(3n * opening);
    for (let i = 0; i < holders.length; i++) expect(await token.balanceOf(holders[i])).to.equal(ledger[i]);
  }
  // The locked balances are exactly the open legs, derived from the statuses alone, each in its owner's account
  // as the model has it; the engine holds and locks nothing.
  const escrow = model.sims
    .map((s) => Model.escrow(s))
    .reduce((x, y) => ({ cash: x.cash + y.cash, bond: x.bond + y.bond }), {
      cash: 0n,
      bond: 0n,
    });
  for (const [name, token] of [
    ["cash", f.cash],
    ["bond", f.bond],
  ] as const) {
    let total = 0n;
    for (let i = 0; i < holders.length; i++) {
      const locked = await token.lockedOf(holders[i]);
      expect(locked, `${name} locked by holder ${i}`).to.equal(model.locked[name][i]);
      expect(locked <= (await token.balanceOf(holders[i]))).to.equal(true);
      total += locked;
    }
    expect(total).to.equal(escrow[name]);
    expect(await token.balanceOf(f.engineAddress)).to.equal(0n);
  }

  // A settlement seen final stays final with the same record; one that becomes final is remembered.
  for (const s of model.sims) {
    if (s.finalRecord === undefined && Model.reported(s, chainNow) !== Status.Final) continue;
    const record = [...(await f.engine.record(s.id))];
    expect(await f.engine.statusOf(s.id)).to.equal(Status.Final);
    expect(await f.engine.isFinal(s.id)).to.equal(true);
    if (s.finalRecord === undefined) s.finalRecord = record;
    expect(record).to.deep.equal(s.finalRecord);
  }

  // Every address that ever held a token is the engine or an eligible account.
  const seen = new Set<string>();
  for (const token of [f.cash, f.bond]) {
    for (const log of await token.queryFilter(token.filters.Transfer(), f.fromBlock)) {
      seen.add(log.args.from);
      seen.add(log.args.to);
    }
  }
  seen.delete(ethers.ZeroAddress);
  for (const address of seen) {
    if (address === f.engineAddress) continue;
    expect(await f.consortium.isEligibleHolder(address), `${address} received a token`).to.equal(true);
  }
  expect(await f.cash.balanceOf(f.outsider.address)).to.equal(0n);
  expect(await f.bond.balanceOf(f.outsider.address)).to.equal(0n);
}

async function runSequence(actions: Action[], strangerAddress: string): Promise<void> {
  const f = await loadFixture(propertyFixture);
  const model = new Model();
  model.now = await time.latest();
  const partyAddress = (i: number) =>
    i < 3 ? f.banks[i].account.address : i === OUTSIDER ? f.outsider.address : strangerAddress;
  const signer = (i: number): HardhatEthersSigner => (i < 3 ? f.banks[i].operator : f.outsider);
  const cashAddress = await f.cash.getAddress();
  const bondAddress = await f.bond.getAddress();
  let refs = 0;

  const simOf = async (a: Extract<Action, { type: "instruct" }>): Promise<Sim> => {
    const terms: Terms = {
      tradeRef: ethers.id(`property-${++refs}`),
      kind: a.fop ? Kind.FoP : Kind.DvP,
      seller: partyAddress(a.seller),
      buyer: partyAddress(a.buyer),
      asset: bondAddress,
      assetAmount: a.assetAmount,
      cash: a.fop ? ethers.ZeroAddress : cashAddress,
      cashAmount: a.fop ? 0n : a.cashAmount,
    };
    return {
      terms,
      id: await f.engine.settlementId(terms),
      seller: a.seller,
      buyer: a.buyer,
      fop: a.fop,
      assetAmount: a.assetAmount,
      cashAmount: a.fop ? 0n : a.cashAmount,
      status: Status.None,
      sellerInstructed: false,
      deadline: 0,
      finalAt: 0,
      approvals: new Set(),
    };
  };
  /** Operator index of a party's member, or the outsider for a party outside the consortium. */
  const operatorOf = (partyIndex: number) => (partyIndex < 3 ? partyIndex : OUTSIDER);

  for (let a of actions) {
    if (a.type === "wait") {
      model.now += a.seconds;
      continue;
    }
    let forced: Sim | undefined;
    if (a.type === "atBoundary") {
      const open = model.sims.filter(STAGE[a.then]);
      if (open.length === 0) continue;
      forced = open[open.length - 1 - (a.target % open.length)];
      const boundary = a.then === "affirm" || a.then === "release" ? forced.deadline : forced.finalAt;
      model.now = Math.max(model.now, boundary + a.offset - 1);
      a = { type: a.then, target: a.target, anyTarget: false, by: a.by };
    }
    model.now += 1;
    await time.setNextBlockTimestamp(model.now);

    let s: Sim;
    let by: number;
    if (a.type === "instruct") {
      s = await simOf(a);
      model.sims.push(s);
      by = a.by === "seller" ? operatorOf(a.seller) : a.by === "buyer" ? operatorOf(a.buyer) : a.by;
    } else {
      // With no settlement yet, the target is terms never instructed.
      if (model.sims.length === 0) {
        model.sims.push(
          await simOf({ type: "instruct", seller: 0, buyer: 1, fop: true, assetAmount: 1n, cashAmount: 0n, by: 0 }),
        );
      }
      // Mostly a settlement in the status the step applies to, so that sequences get deep into the lifecycle.
      const ready = model.sims.filter(STAGE[a.type]);
      const pool = a.anyTarget || ready.length === 0 ? model.sims : ready;
      s = forced ?? pool[pool.length - 1 - (a.target % pool.length)];
      const instructor = s.sellerInstructed ? s.seller : s.buyer;
      const counterparty = s.sellerInstructed ? s.buyer : s.seller;
      const firstNotApproved = [0, 1, 2].find((i) => !s.approvals.has(i + 1)) ?? 0;
      const right: Record<typeof a.type, number> = {
        affirm: operatorOf(counterparty),
        affirmAndSettle: operatorOf(counterparty),
        settle: operatorOf(a.target % 2 === 0 ? s.seller : s.buyer),
        cancel: operatorOf(instructor),
        release: OUTSIDER,
        propose: a.target % 3,
        approve: firstNotApproved,
        reinstruct: operatorOf(s.seller),
      };
      by = a.by === "right" ? right[a.type] : a.by;
    }
    const m = by < 3 ? by + 1 : 0;
    const engine = f.engine.connect(signer(by));
    const wasFinal = s.finalRecord !== undefined;

    let expected: Outcome;
    let actual: Outcome;
    switch (a.type) {
      case "instruct":
      case "reinstruct":
        expected = model.instruct(s, m);
        actual = await outcomeOf(f, () => engine.instruct(s.terms));
        break;
      case "affirm":
        expected = model.affirm(s, m);
        actual = await outcomeOf(f, () => engine.affirm(s.terms));
        break;
      case "affirmAndSettle":
        expected = model.affirmAndSettle(s, m);
        actual = await outcomeOf(f, () => engine.affirmAndSettle(s.terms));
        break;
      case "settle":
        expected = model.settle(s, m);
        actual = await outcomeOf(f, () => engine.settle(s.terms));
        break;
      case "cancel":
        expected = model.cancel(s, m);
        actual = await outcomeOf(f, () => engine.cancel(s.terms, "property"));
        break;
      case "release":
        expected = model.release(s);
        actual = await outcomeOf(f, () => engine.release(s.terms));
        break;
      case "propose":
      case "approve":
        expected = model.reversal(s, m, a.type === "propose");
        actual = await outcomeOf(f, () =>
          a.type === "propose" ? engine.proposeReversal(s.terms, "property") : engine.approveReversal(s.terms),
        );
        break;
    }
    expect(actual, `${a.type} by ${by}`).to.equal(expected);
    if (wasFinal) expect(actual, "a step on a final settlement").not.to.equal("ok");
    if (s.status !== Status.None) expect((await f.engine.record(s.id)).status).to.equal(s.status);
    await checkInvariants(f, model);
  }

  // At the end, every settlement's stored and reported status matches the model.
  const chainNow = await time.latest();
  for (const s of model.sims) {
    expect((await f.engine.record(s.id)).status).to.equal(s.status);
    expect(await f.engine.statusOf(s.id)).to.equal(Model.reported(s, chainNow));
    expect(await f.engine.reversalApprovals(s.id)).to.equal(
      [...s.approvals].reduce((x, i) => x | (1n << BigInt(i)), 0n),
    );
  }
}

describe("SettlementEngine properties", () => {
  it("conserves supply, locks exactly the open legs, keeps final settlements final and tokens inside the consortium", async function () {
    this.timeout(0);
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: STEPS, size: "max" }), stranger, runSequence),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
