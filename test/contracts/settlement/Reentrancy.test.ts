/**
 * Re-entrancy attacks on the settlement engine. A malicious token calls back into the engine in the middle of
 * every balance change, and a malicious contract that is both a bank's operator and one of its accounts calls
 * back when it receives tokens. Every such call-back must make the outer call revert with OpenZeppelin's
 * `ReentrancyGuardReentrantCall`, with nothing moved.
 *
 * The test double hands control to every receiving contract, the engine included, and the engine has no
 * `onTokenReceived`: a top-level escrow of the token into the engine therefore always fails. The token skips all
 * call-outs while it is inside one, so the fixture escrows it from inside a call-out (see `inCallout`), made by
 * the malicious contract acting as bank C's operator.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Interface } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { CAPS, Kind, LEIS, NAMES, OPENING, SETTINGS, Status, type Bank, type Terms } from "../../fixtures";

const UNITS = 100n;
const PRICE = 1_000_00n;
const TOKEN_CAP = 1_000_000n;

/**
 * A three-bank consortium whose bank C also acts and holds through a `MaliciousReceiver`, with a
 * `ReentrantToken` made eligible during bootstrap next to a permissioned deposit token.
 */
async function reentrancyFixture() {
  const [, ...rest] = await ethers.getSigners();
  const banks = [0, 1, 2].map((i) => ({ id: i + 1, operator: rest[2 * i], account: rest[2 * i + 1] })) as [
    Bank,
    Bank,
    Bank,
  ];
  const [a, b, c] = banks;
  const outsider = rest[6];
  const receiver = await ethers.deployContract("MaliciousReceiver");
  const receiverAddress = await receiver.getAddress();

  const consortium = await ethers.deployContract("Consortium", [
    banks.map((bank, i) => ({
      name: NAMES[i],
      lei: LEIS[i],
      operators: bank === c ? [bank.operator.address, receiverAddress] : [bank.operator.address],
      accounts: bank === c ? [bank.account.address, receiverAddress] : [bank.account.address],
    })),
    SETTINGS,
  ]);
  const engine = await ethers.deployContract("SettlementEngine", [await consortium.getAddress()]);
  const engineAddress = await engine.getAddress();
  const token = await ethers.deployContract("ReentrantToken");
  await token.bind(engineAddress);
  const cash = await ethers.deployContract("PermissionedToken", [
    "Alpha Tokenized Deposit EUR",
    "aEUR",
    2,
    await consortium.getAddress(),
    engineAddress,
    a.operator.address,
  ]);
  await consortium.setAsset(await token.getAddress(), TOKEN_CAP);
  await consortium.setAsset(await cash.getAddress(), CAPS.cash);
  await consortium.completeBootstrap();

  for (const holder of [...banks.map((bank) => bank.account.address), receiverAddress]) {
    await token.mint(holder, OPENING.bond);
    await cash.connect(a.operator).mint(holder, OPENING.cash);
  }
  for (const bank of banks) {
    await token.connect(bank.account).approve(engineAddress, ethers.MaxUint256);
    await cash.connect(bank.account).approve(engineAddress, ethers.MaxUint256);
  }
  await receiver.approveToken(await token.getAddress(), engineAddress, ethers.MaxUint256);
  await receiver.approveToken(await cash.getAddress(), engineAddress, ethers.MaxUint256);

  const holders = [a.account.address, b.account.address, c.account.address, receiverAddress, engineAddress];
  return { consortium, engine, engineAddress, token, cash, receiver, receiverAddress, a, b, c, outsider, holders };
}

type Fixture = Awaited<ReturnType<typeof reentrancyFixture>>;

let refs = 0;

/** Terms in which `seller` delivers the re-entrant token to `buyer`, against the deposit token for a DvP. */
async function terms(f: Fixture, seller: string, buyer: string, kind: "dvp" | "fop"): Promise<Terms> {
  return {
    tradeRef: ethers.id(`reentrancy-${++refs}`),
    kind: kind === "dvp" ? Kind.DvP : Kind.FoP,
    seller,
    buyer,
    asset: await f.token.getAddress(),
    assetAmount: UNITS,
    cash: kind === "dvp" ? await f.cash.getAddress() : ethers.ZeroAddress,
    cashAmount: kind === "dvp" ? PRICE : 0n,
  };
}

function call(f: Fixture, fn: string, args: unknown[]): string {
  return (f.engine.interface as Interface).encodeFunctionData(fn, args);
}

/**
 * Runs an engine call as bank C's malicious operator from inside one of the token's call-outs, where the token
 * moves balances without calling out again. This is how the re-entrant token gets into escrow at all.
 */
async function inCallout(f: Fixture, engineCall: string): Promise<void> {
  await f.token.arm(
    f.receiverAddress,
    f.receiver.interface.encodeFunctionData("execute", [f.engineAddress, engineCall]),
  );
  await f.token.mint(f.outsider.address, 0n);
  await f.token.disarm();
}

/** Both tokens' balances of every bank account, the malicious contract and the engine. */
async function snapshot(f: Fixture): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const token of [f.token, f.cash]) for (const h of f.holders) out.push(await token.balanceOf(h));
  for (const h of f.holders) out.push(await f.cash.lockedOf(h));
  return out;
}

/** Bank C sells to bank A, which instructs as the buyer; C's leg of the re-entrant token is escrowed on affirm. */
async function lockedSaleByC(f: Fixture, kind: "dvp" | "fop"): Promise<Terms> {
  const t = await terms(f, f.c.account.address, f.a.account.address, kind);
  await f.engine.connect(f.a.operator).instruct(t);
  await inCallout(f, call(f, "affirm", [t]));
  return t;
}

/** An instruction by bank C selling the re-entrant token from `seller` (one of C's accounts) to bank A. */
async function instructedByC(f: Fixture, seller: string): Promise<Terms> {
  const t = await terms(f, seller, f.a.account.address, "fop");
  await inCallout(f, call(f, "instruct", [t]));
  return t;
}

/** A FoP from one of bank C's accounts to bank A, settled, with a reversal proposed by bank A. */
async function reversalProposed(f: Fixture, seller: string): Promise<Terms> {
  const t = await instructedByC(f, seller);
  await f.engine.connect(f.a.operator).affirm(t);
  await f.engine.connect(f.a.operator).settle(t);
  await f.engine.connect(f.a.operator).proposeReversal(t, "wrong account");
  return t;
}

/** Asserts that `attempt` reverts on the re-entrancy guard and that no balance or status changed. */
async function expectBlocked(f: Fixture, t: Terms, attempt: () => Promise<unknown>): Promise<void> {
  const id = await f.engine.settlementId(t);
  const before = await snapshot(f);
  const status = await f.engine.statusOf(id);
  await expect(attempt()).to.be.revertedWithCustomError(f.engine, "ReentrancyGuardReentrantCall").withArgs();
  expect(await snapshot(f)).to.deep.equal(before);
  expect(await f.engine.statusOf(id)).to.equal(status);
}

describe("SettlementEngine re-entrancy", () => {
  describe("a token that calls back into the engine", () => {
    const innerCalls: [string, (f: Fixture, t: Terms, other: Terms) => string][] = [
      ["settle", (f, t) => call(f, "settle", [t])],
      ["proposeReversal", (f, t) => call(f, "proposeReversal", [t, "re-entered"])],
      ["approveReversal", (f, t) => call(f, "approveReversal", [t])],
      ["cancel", (f, t) => call(f, "cancel", [t, "re-entered"])],
      ["release", (f, t) => call(f, "release", [t])],
      ["instruct", (f, _t, other) => call(f, "instruct", [other])],
      ["affirm", (f, _t, other) => call(f, "affirm", [other])],
    ];
    for (const [name, payload] of innerCalls) {
      it(`cannot re-enter ${name} while settle delivers the asset`, async () => {
        const f = await loadFixture(reentrancyFixture);
        const t = await lockedSaleByC(f, "dvp");
        const other = await terms(f, f.c.account.address, f.b.account.address, "fop");
        await f.token.arm(f.engineAddress, payload(f, t, other));
        await expectBlocked(f, t, () => f.engine.connect(f.a.operator).settle(t));

        await f.token.disarm();
        const tx = f.engine.connect(f.a.operator).settle(t);
        await expect(tx).to.changeTokenBalances(f.token, [f.engineAddress, f.a.account.address], [-UNITS, UNITS]);
        await expect(tx).to.changeTokenBalances(f.cash, [f.a.account.address, f.c.account.address], [-PRICE, PRICE]);
        expect(await f.cash.lockedOf(f.a.account.address)).to.equal(0n);
      });
    }

    it("cannot re-enter release while release returns the escrow", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await instructedByC(f, f.c.account.address);
      await time.increase(SETTINGS.affirmationWindow + 1);
      await f.token.arm(f.engineAddress, call(f, "release", [t]));
      await expectBlocked(f, t, () => f.engine.connect(f.outsider).release(t));

      await f.token.disarm();
      await expect(f.engine.connect(f.outsider).release(t)).to.changeTokenBalances(
        f.token,
        [f.engineAddress, f.c.account.address],
        [-UNITS, UNITS],
      );
    });

    it("cannot re-enter cancel while cancel returns the escrow", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await instructedByC(f, f.c.account.address);
      await f.token.arm(f.engineAddress, call(f, "cancel", [t, "twice"]));
      await expectBlocked(f, t, () => f.engine.connect(f.c.operator).cancel(t, "once"));

      await f.token.disarm();
      await expect(f.engine.connect(f.c.operator).cancel(t, "once")).to.changeTokenBalances(
        f.token,
        [f.engineAddress, f.c.account.address],
        [-UNITS, UNITS],
      );
    });

    it("cannot re-enter approveReversal while a reversal restores the legs", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await reversalProposed(f, f.c.account.address);
      await f.token.arm(f.engineAddress, call(f, "approveReversal", [t]));
      await expectBlocked(f, t, () => f.engine.connect(f.b.operator).approveReversal(t));

      await f.token.disarm();
      await f.engine.connect(f.b.operator).approveReversal(t);
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.Reversed);
    });

    it("cannot re-enter approveUnwind or settle while an unwind returns the escrow", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await lockedSaleByC(f, "dvp");
      await f.engine.connect(f.a.operator).proposeUnwind(t, "wrong price");
      for (const engineCall of [call(f, "approveUnwind", [t]), call(f, "settle", [t])]) {
        await f.token.arm(f.engineAddress, engineCall);
        await expectBlocked(f, t, () => f.engine.connect(f.b.operator).approveUnwind(t));
      }

      await f.token.disarm();
      const tx = f.engine.connect(f.b.operator).approveUnwind(t);
      await expect(tx).to.changeTokenBalances(f.token, [f.engineAddress, f.c.account.address], [-UNITS, UNITS]);
      await expect(tx).to.changeTokenBalances(f.cash, [f.a.account.address], [0n]);
      expect(await f.cash.lockedOf(f.a.account.address)).to.equal(0n);
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.Unwound);
    });

    it("cannot re-enter instruct while instruct takes the escrow", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await terms(f, f.c.account.address, f.a.account.address, "fop");
      const other = await terms(f, f.c.account.address, f.b.account.address, "fop");
      await f.token.arm(f.engineAddress, call(f, "instruct", [other]));
      await expectBlocked(f, t, () => f.engine.connect(f.c.operator).instruct(t));
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.None);
      expect(await f.engine.statusOf(await f.engine.settlementId(other))).to.equal(Status.None);
    });

    it("cannot re-enter settle while affirm locks the second leg", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await terms(f, f.c.account.address, f.a.account.address, "dvp");
      await f.engine.connect(f.a.operator).instruct(t);
      await f.token.arm(f.engineAddress, call(f, "settle", [t]));
      await expectBlocked(f, t, () => f.engine.connect(f.c.operator).affirm(t));
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.Instructed);
    });
  });

  describe("a member's contract account that calls back on receipt", () => {
    /** Arms the malicious contract to call the engine, as bank C's operator, when it receives tokens. */
    async function armReceiver(f: Fixture, engineCall: string): Promise<void> {
      await f.receiver.arm(f.engineAddress, engineCall);
    }

    async function asReceiver(f: Fixture, engineCall: string): Promise<unknown> {
      return f.receiver.execute(f.engineAddress, engineCall);
    }

    it("acts for bank C and holds for it", async () => {
      const f = await loadFixture(reentrancyFixture);
      expect(await f.consortium.operatorMember(f.receiverAddress)).to.equal(f.c.id);
      expect(await f.consortium.accountMember(f.receiverAddress)).to.equal(f.c.id);
    });

    it("cannot re-enter cancel when its own cancellation returns its escrow", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await instructedByC(f, f.receiverAddress);
      await armReceiver(f, call(f, "cancel", [t, "twice"]));
      await expectBlocked(f, t, () => asReceiver(f, call(f, "cancel", [t, "once"])));

      await f.receiver.arm(ethers.ZeroAddress, "0x");
      await expect(asReceiver(f, call(f, "cancel", [t, "once"]))).to.changeTokenBalances(
        f.token,
        [f.engineAddress, f.receiverAddress],
        [-UNITS, UNITS],
      );
    });

    it("cannot re-instruct when a release returns its escrow", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await instructedByC(f, f.receiverAddress);
      await time.increase(SETTINGS.affirmationWindow + 1);
      const again = await terms(f, f.receiverAddress, f.b.account.address, "dvp");
      await armReceiver(f, call(f, "instruct", [again]));
      await expectBlocked(f, t, () => f.engine.connect(f.outsider).release(t));
      expect(await f.engine.statusOf(await f.engine.settlementId(again))).to.equal(Status.None);

      await f.receiver.arm(ethers.ZeroAddress, "0x");
      await f.engine.connect(f.outsider).release(t);
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.Released);
    });

    it("cannot re-enter the engine when a reversal returns the asset to it", async () => {
      const f = await loadFixture(reentrancyFixture);
      const t = await reversalProposed(f, f.receiverAddress);
      for (const engineCall of [call(f, "approveReversal", [t]), call(f, "settle", [t])]) {
        await armReceiver(f, engineCall);
        await expectBlocked(f, t, () => f.engine.connect(f.b.operator).approveReversal(t));
      }

      await f.receiver.arm(ethers.ZeroAddress, "0x");
      await expect(f.engine.connect(f.b.operator).approveReversal(t)).to.changeTokenBalances(
        f.token,
        [f.a.account.address, f.receiverAddress],
        [-UNITS, UNITS],
      );
    });
  });
});
