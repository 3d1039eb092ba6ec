import { expect } from "chai";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ParticipantOptions } from "../../src/participant";
import { isFrameworkError } from "../../src/errors";
import type { GateDeniedError } from "../../src/signer/gate/errors";
import {
  policyInputOf,
  SanctionsListProvider,
  toParticipantScreening,
  type ScreeningSubject,
} from "../../src/screening";

const travelRule = {
  originator: { name: "Alpha Bank AG", account: "DE89370400440532013000", lei: "529900ALPHABANK00053" },
  beneficiary: { name: "Northwind Trading Bank", account: "KY00NWTB0001", lei: "549300SANCTIONED0043" },
};

async function denial(p: Promise<unknown>): Promise<GateDeniedError> {
  const error = await p.then(
    () => expect.fail("expected a denial"),
    (e: unknown) => e,
  );
  if (!isFrameworkError(error, "GATE_DENIED")) throw error;
  return error as GateDeniedError;
}

describe("a screening provider as the participant's screening option", function () {
  let dir: string;
  let file: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "screening-"));
    file = path.join(dir, "sdn.csv");
    copyFileSync(path.join(__dirname, "fixtures", "sdn.csv"), file);
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the provider's level for a counterparty LEI, and clear for a call without counterparty", async function () {
    const screening = toParticipantScreening(new SanctionsListProvider({ path: file }));
    const option: ParticipantOptions["screening"] = screening;
    expect(option).to.equal(screening);
    expect(await screening("549300SANCTIONED0043")).to.equal("hit");
    expect(await screening("529900BETABANK000022")).to.equal("clear");
    expect(await screening(undefined)).to.equal("clear");
  });

  it("screens the subject the bank builds: the name it holds and the client it acts for", async function () {
    const subjects: ScreeningSubject[] = [];
    const screening = toParticipantScreening(new SanctionsListProvider({ path: file }), {
      subjectOf: (lei) => {
        const subject = {
          counterparty: { id: lei, name: "Beta Bank SA" },
          client: { id: "c-7", name: "Jorg Muller-Ostergaard" },
        };
        subjects.push(subject);
        return subject;
      },
    });
    expect(await screening("529900BETABANK000022")).to.equal("medium");
    expect(subjects).to.have.length(1);
  });

  it("denies on an outage as the gate denies unconfigured screening: GATE_DENIED with the outage's code as reason", async function () {
    rmSync(file);
    const screening = toParticipantScreening(new SanctionsListProvider({ path: file }));
    const error = await denial(screening("529900BETABANK000022"));
    expect(error.reasons).to.have.length(1);
    expect(error.reasons[0]).to.match(/^SCREENING_LIST_UNAVAILABLE: sanctions list .* cannot be read$/);
    expect(error.details).to.deep.include({ intentId: null, decisionId: null });
  });

  it("gives the policy the level, the matches and the travel-rule data as given", async function () {
    const result = await new SanctionsListProvider({ path: file, list: "OFAC SDN" }).screen({
      counterparty: { id: "549300SANCTIONED0043" },
      travelRule,
    });
    if (result.status === "outage") throw result.error;
    expect(policyInputOf(result)).to.deep.equal({
      aml: "hit",
      screening: {
        provider: "OFAC SDN",
        matches: [
          {
            party: "counterparty",
            list: "OFAC SDN",
            entry: "9001",
            name: "NORTHWIND TRADING BANK, LTD.",
            matchedOn: "identifier",
          },
        ],
      },
      travel_rule: travelRule,
    });
    expect(policyInputOf(result).travel_rule).to.equal(travelRule);
  });
});
