// CallDecoder on its own: settlement ids read from canonical calldata equal the engine's, every engine step
// maps to its policy action, and non-canonical or foreign calldata is undecodable.
import { expect } from "chai";
import { id, Wallet, ZeroHash, type Interface } from "ethers";
import { settlementIdOf, formatSettlementId, type SettlementTerms } from "../../src/settlement";
import { CallDecoder } from "../../src/orchestrator";
import { Consortium__factory, PermissionedToken__factory, SettlementEngine__factory } from "../../typechain-types";

const [ours, theirs, engine, bond, cash, consortium, third] = [1, 2, 3, 4, 5, 6, 7].map(
  (i) => new Wallet(id(`decode-${i}`)).address,
);
const iface = SettlementEngine__factory.createInterface() as Interface;
const governance = Consortium__factory.createInterface() as Interface;
const decoder = new CallDecoder({
  engine,
  consortium,
  tokens: [bond, cash],
  accounts: [ours],
  allowedTargets: [consortium],
});
const terms: SettlementTerms = {
  tradeRef: id("T-1"),
  kind: 0,
  seller: theirs,
  buyer: ours,
  asset: bond,
  assetAmount: 7n,
  cash,
  cashAmount: 700n,
};

describe("CallDecoder", function () {
  it("reads each engine step's settlement id and action from the calldata", function () {
    const steps: [string, unknown[], string][] = [
      ["instruct", [terms], "instruct"],
      ["affirm", [terms], "affirm"],
      ["settle", [terms], "settle"],
      ["release", [terms], "release"],
      ["cancel", [terms, "booked twice"], "cancel"],
      ["proposeReversal", [terms, "wrong client"], "reverse"],
      ["approveReversal", [terms], "approve_reversal"],
      ["affirmAndSettle", [terms], "affirm_and_settle"],
      ["proposeUnwind", [terms, "cash leg frozen"], "unwind"],
      ["approveUnwind", [terms], "approve_unwind"],
    ];
    for (const [fn, args, action] of steps) {
      const decoded = decoder.decode({ to: engine, data: iface.encodeFunctionData(fn, args), value: 0n });
      expect(decoded, fn).to.deep.include({
        kind: "intent",
        action,
        settlementId: formatSettlementId(settlementIdOf(terms)),
        token: cash,
        amount: 700n,
        counterpartyAccount: theirs,
      });
    }
  });

  it("measures free of payment in the delivered asset", function () {
    const fop = { ...terms, kind: 1, cash: "0x0000000000000000000000000000000000000000", cashAmount: 0n };
    const decoded = decoder.decode({ to: engine, data: iface.encodeFunctionData("instruct", [fop]), value: 0n });
    expect(decoded).to.deep.include({ token: bond, amount: 7n });
  });

  it("refuses calldata with trailing bytes, a dirty address word, value sent, or an unknown selector", function () {
    const good = iface.encodeFunctionData("instruct", [terms]);
    const dirty = good.slice(0, 10 + 2 * 64) + "ff" + good.slice(10 + 2 * 64 + 2);
    for (const [data, value] of [
      [good + "00", 0n],
      [dirty, 0n],
      [good, 1n],
      ["0x12345678" + ZeroHash.slice(2), 0n],
    ] as const) {
      expect(decoder.decode({ to: engine, data, value }).kind, data.slice(0, 20)).to.equal("undecodable");
    }
    const transfer = (PermissionedToken__factory.createInterface() as Interface).encodeFunctionData("transfer", [
      theirs,
      5n,
    ]);
    expect(decoder.decode({ to: bond, data: transfer, value: 0n })).to.deep.include({
      kind: "intent",
      action: "transfer",
    });
    expect(decoder.decode({ to: theirs, data: transfer, value: 0n }).kind).to.equal("undecodable");
  });
});

describe("CallDecoder: unwind, affirm-and-settle and governed calls", function () {
  it("lets a member that is not a party ask for and vote on an unwind, but never affirm-and-settle for others", function () {
    const others = { ...terms, buyer: third };
    const decode = (fn: string, args: unknown[]) =>
      decoder.decode({ to: engine, data: iface.encodeFunctionData(fn, args), value: 0n });
    expect(decode("proposeUnwind", [others, "quorum"])).to.deep.include({ kind: "intent", action: "unwind" });
    expect(decode("approveUnwind", [others])).to.deep.include({ kind: "intent", action: "approve_unwind" });
    expect(decode("affirmAndSettle", [others])).to.deep.include({ kind: "refused", function: "affirmAndSettle" });
  });

  it("never decodes the token's engine-only lock, unlock and transferLocked or the engine's recoverStray: only the engine and the consortium call them", function () {
    const token = PermissionedToken__factory.createInterface() as Interface;
    const engineOnly: [string, unknown[]][] = [
      ["lock", [ours, 5n, 1n]],
      ["unlock", [ours, 5n, 1n]],
      ["transferLocked", [ours, theirs, 5n]],
    ];
    for (const [fn, args] of engineOnly) {
      const data = token.encodeFunctionData(fn, args);
      expect(decoder.decode({ to: bond, data, value: 0n }).kind, fn).to.equal("undecodable");
    }
    const stray = iface.encodeFunctionData("recoverStray", [bond, ours, 5n]);
    expect(decoder.decode({ to: engine, data: stray, value: 0n }).kind).to.equal("undecodable");
  });

  it("sends a proposal to reassign an account, recover stray tokens or reset an anchor through policy", function () {
    const calls: [string, unknown[]][] = [
      ["reassignAccount", [theirs, 2, "member removed"]],
      ["recoverStray", [engine, bond, ours, 5n]],
      ["resetAnchor", [third, 1, 3n, id("head"), "wrong head anchored"]],
    ];
    for (const [fn, args] of calls) {
      const data = governance.encodeFunctionData("propose", [governance.encodeFunctionData(fn, args), fn]);
      expect(decoder.decode({ to: consortium, data, value: 0n }), fn).to.deep.equal({
        kind: "governance",
        function: "propose",
        governed: fn,
      });
    }
    // Any other governed call stays under the target rules (the consortium is an allowed target here).
    const other = governance.encodeFunctionData("propose", [governance.encodeFunctionData("setQuorum", [2, 3]), "q"]);
    expect(decoder.decode({ to: consortium, data: other, value: 0n }).kind).to.equal("allowed");
  });

  it("leaves a vote on a proposal to the gate, which reads what the proposal calls", function () {
    for (const fn of ["approve", "queue", "execute"]) {
      const data = governance.encodeFunctionData(fn, [7n]);
      expect(decoder.decode({ to: consortium, data, value: 0n }), fn).to.deep.equal({
        kind: "governance",
        function: fn,
        proposalId: 7n,
      });
    }
    const withdraw = governance.encodeFunctionData("cancel", [7n, "no longer needed"]);
    expect(decoder.decode({ to: consortium, data: withdraw, value: 0n }).kind).to.equal("allowed");
    expect(decoder.policyGoverned(governance.encodeFunctionData("resetAnchor", [third, 1, 3n, id("h"), "r"]))).to.equal(
      "resetAnchor",
    );
    expect(decoder.policyGoverned(governance.encodeFunctionData("setQuorum", [2, 3]))).to.equal(undefined);
  });
});
