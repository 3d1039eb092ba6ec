// CallDecoder on its own: settlement ids read from canonical calldata equal the engine's, every engine step
// maps to its policy action, and non-canonical or foreign calldata is undecodable.
import { expect } from "chai";
import { id, Wallet, ZeroHash, type Interface } from "ethers";
import { settlementIdOf, formatSettlementId, type SettlementTerms } from "../../src/settlement";
import { CallDecoder } from "../../src/signer/gate";
import { PermissionedToken__factory, SettlementEngine__factory } from "../../typechain-types";

const [ours, theirs, engine, bond, cash] = [1, 2, 3, 4, 5].map((i) => new Wallet(id(`decode-${i}`)).address);
const iface = SettlementEngine__factory.createInterface() as Interface;
const decoder = new CallDecoder({ engine, tokens: [bond, cash], accounts: [ours] });
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
