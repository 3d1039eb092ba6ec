// No mutated sese.023 reaches the chain unless it is still valid (fast-check, fixed seed; FC_SEED and
// PARTICIPANT_FC_RUNS for other or more runs): each mutated message is given to Beta's participant. A message the
// reader refuses is refused with the same typed error, and Beta's key sends no transaction; a message it accepts
// is instructed under exactly the terms it reads as, or refused by the policy, the gate or the chain's gas estimate
// before anything is sent.
import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DemoBank } from "../../src/demo/banks";
import { isFrameworkError } from "../../src/errors";
import { Iso20022Error, readSese023, type MappedInstruction, type MappingConfig } from "../../src/iso20022";
import { instructFromSese023, type Sese023Result } from "../../src/participant";
import { formatSettlementId, settlementIdOf } from "../../src/settlement";
import { isolateChain } from "../tasks/helpers";
import { openDemoConsortium } from "../participant/helpers";
import { mutate, mutation } from "./mutation";
import { chainMapping, chainMessage } from "./participant.helpers";

describe("sese.023 under mutation through the participant (fast-check)", function () {
  isolateChain();
  const seed = Number(process.env.FC_SEED ?? 42);
  const numRuns = Number(process.env.PARTICIPANT_FC_RUNS ?? 40);
  let dir: string;
  let banks: DemoBank[];
  let betaMap: MappingConfig;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "iso-property-"));
    const opened = await openDemoConsortium(dir);
    banks = opened.banks;
    betaMap = chainMapping(banks, 1, opened.record);
  });

  after(async function () {
    for (const b of banks) await b.participant.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a mutated message with a typed error and no transaction, or instructs exactly the terms it reads as", async function () {
    const beta = banks[1];
    const sources = {
      "dvp-beta-deliver": chainMessage("dvp-beta-deliver"),
      "fop-beta-deliver": chainMessage("fop-beta-deliver"),
    };
    const counts = { refused: 0, instructed: 0, denied: 0 };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("dvp-beta-deliver" as const, "fop-beta-deliver" as const),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (name, mutations) => {
          // A trade reference of its own per run, so that no run finds another run's settlement.
          const xml = mutations.reduce(mutate, sources[name].replace(/B30-(DVP|FOP)-000\d/g, `PROP-${++run}`));
          let read: MappedInstruction | Iso20022Error;
          try {
            read = readSese023(xml, betaMap);
          } catch (error) {
            if (!(error instanceof Iso20022Error)) throw error;
            read = error;
          }
          const nonce = await hre.ethers.provider.getTransactionCount(beta.address);
          let outcome: Sese023Result | Error;
          try {
            outcome = await instructFromSese023(beta.participant, xml, betaMap);
          } catch (error) {
            outcome = error as Error;
          }
          const after = await hre.ethers.provider.getTransactionCount(beta.address);
          if (read instanceof Iso20022Error) {
            expect(outcome).to.be.instanceOf(Iso20022Error);
            expect((outcome as Iso20022Error).details).to.deep.equal(read.details);
            expect(after, "a refused message sent a transaction").to.equal(nonce);
            counts.refused++;
          } else if (outcome instanceof Error) {
            // Valid but refused downstream, before anything was sent: by the policy or the gate (typed), or by the
            // chain when the gas estimate reverts (a quantity above the seller's unlocked balance).
            const reverted = /reverted with custom error '\w+\(/.test(outcome.message);
            expect(isFrameworkError(outcome) || reverted, String(outcome)).to.equal(true);
            expect(after, "a refused message sent a transaction").to.equal(nonce);
            counts.denied++;
          } else {
            // The settlement id is the hash of the terms: what was instructed is what the message reads as.
            expect(outcome.settlementId).to.equal(formatSettlementId(settlementIdOf(read.terms)));
            expect(outcome.terms).to.deep.equal(read.terms);
            expect(outcome.submitted.receipt.status).to.equal(1);
            counts.instructed++;
          }
        },
      ),
      { seed, numRuns },
    );
    // Both sides of the property occur: it does not pass by refusing everything.
    expect(counts.refused).to.be.above(0);
    expect(counts.instructed).to.be.above(0);
  });
});
