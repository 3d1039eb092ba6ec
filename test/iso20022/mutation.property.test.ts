import { expect } from "chai";
import { decodeBytes32String, getAddress, ZeroAddress } from "ethers";
import fc from "fast-check";
import {
  Iso20022Error,
  readSese023,
  toBaseUnits,
  type MappedInstruction,
  type MappingConfig,
} from "../../src/iso20022";
import { settlementIdOf } from "../../src/settlement/terms";
import { fixture, mapping } from "./helpers";
import { mutate, mutation } from "./mutation";

/** Terms that the engine would accept as a settlement of this bank, and that say what the instruction says. */
function expectValid({ terms, instruction }: MappedInstruction, m: MappingConfig): void {
  const ours = Object.values(m.bank.accounts);
  const theirs = m.counterparties.map((c) => c.account);
  const [own, other] = instruction.movement === "RECE" ? [terms.buyer, terms.seller] : [terms.seller, terms.buyer];
  expect(ours).to.include(own);
  expect(theirs).to.include(other);
  expect(m.counterparties.find((c) => c.account === other)?.member).to.equal(instruction.counterparty.member);
  expect(decodeBytes32String(terms.tradeRef)).to.equal(instruction.tradeRef).and.not.equal("");
  const security = m.securities.find((s) => s.token === terms.asset)!;
  expect(security.isin).to.equal(instruction.isin);
  expect(toBaseUnits(instruction.quantity, security.decimals)).to.deep.equal({ units: terms.assetAmount });
  expect(terms.assetAmount > 0n).to.equal(true);
  if (terms.kind === 0) {
    const currency = m.currencies.find((c) => c.token === terms.cash)!;
    expect(currency.code).to.equal(instruction.settlementAmount?.currency);
    expect(toBaseUnits(instruction.settlementAmount!.amount, currency.decimals)).to.deep.equal({
      units: terms.cashAmount,
    });
  } else {
    expect([terms.kind, terms.cash, terms.cashAmount, instruction.settlementAmount]).to.deep.equal([
      1,
      ZeroAddress,
      0n,
      undefined,
    ]);
  }
  for (const a of [terms.seller, terms.buyer, terms.asset, terms.cash]) expect(getAddress(a)).to.equal(a);
  expect(typeof settlementIdOf(terms)).to.equal("bigint");
}

describe("sese.023 under mutation (fast-check)", function () {
  const seed = Number(process.env.FC_SEED ?? 42);
  const numRuns = Number(process.env.FC_RUNS ?? 200);
  const m = mapping();
  const sources = {
    "dvp-receive": fixture("dvp-receive"),
    "dvp-deliver": fixture("dvp-deliver"),
    "fop-deliver": fixture("fop-deliver"),
  };
  let accepted = 0;
  let refused = 0;

  it("a mutated message is refused with a named element, or maps to the same valid terms on every read", function () {
    fc.assert(
      fc.property(
        fc.constantFrom("dvp-receive", "dvp-deliver", "fop-deliver" as const),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (name, mutations) => {
          const xml = mutations.reduce(mutate, sources[name]);
          let first: MappedInstruction;
          try {
            first = readSese023(xml, m);
          } catch (error) {
            if (!(error instanceof Iso20022Error)) throw error;
            expect(error.details.element).to.be.a("string").and.not.equal("");
            expect(error.details.reason).to.be.a("string").and.not.equal("");
            refused++;
            return;
          }
          expect(readSese023(xml, m)).to.deep.equal(first);
          expectValid(first, m);
          accepted++;
        },
      ),
      { seed, numRuns },
    );
    // Both outcomes occur: the property is not passing by refusing everything.
    expect(accepted).to.be.above(0);
    expect(refused).to.be.above(0);
  });
});
