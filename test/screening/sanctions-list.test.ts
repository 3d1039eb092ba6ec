import { expect } from "chai";
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { normaliseName, SanctionsListProvider, type ScreeningResult } from "../../src/screening";

const SDN = path.join(__dirname, "fixtures", "sdn.csv");
const HEADER = "ent_num,SDN_Name,SDN_Type,Program,LEI,BIC\n";
const travelRule = {
  originator: { name: "Alpha Bank AG", account: "DE89370400440532013000", lei: "529900ALPHABANK00053" },
  beneficiary: { name: "Beta Bank SA", account: "FR1420041010050500013M02606" },
};

function outage(result: ScreeningResult) {
  expect(result.status).to.equal("outage");
  if (result.status !== "outage") throw new Error("not an outage");
  return result.error;
}

describe("sanctions-list provider (SDN-style CSV)", function () {
  let dir: string;
  let file: string;
  let provider: SanctionsListProvider;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "sdn-"));
    file = path.join(dir, "sdn.csv");
    copyFileSync(SDN, file);
    provider = new SanctionsListProvider({ path: file, list: "OFAC SDN" });
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports a listed LEI as a hit with the list and entry", async function () {
    const result = await provider.screen({ counterparty: { id: "549300SANCTIONED0043" } });
    expect(result).to.deep.equal({
      status: "hit",
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
    });
  });

  it("matches a listed BIC8 given as its BIC11", async function () {
    const result = await provider.screen({ counterparty: { id: "nwtbkykyxxx" } });
    expect(result.status).to.equal("hit");
  });

  it("reports a name equal after normalisation (case, punctuation, diacritics, word order) as medium", async function () {
    expect(normaliseName("MÜLLER-ÖSTERGAARD, Jörg")).to.equal("jorg muller ostergaard");
    const result = await provider.screen({
      counterparty: { id: "529900BETABANK000022", name: "Beta Bank" },
      client: { id: "client-7", name: "jorg muller ostergaard" },
    });
    expect(result).to.deep.include({ status: "medium" });
    expect(result.status !== "outage" && result.matches).to.deep.equal([
      { party: "client", list: "OFAC SDN", entry: "9002", name: "MÜLLER-ÖSTERGAARD, Jörg", matchedOn: "name" },
    ]);
  });

  it("a hit outranks a medium when both parties match", async function () {
    const result = await provider.screen({
      counterparty: { id: "549300SANCTIONED0043", name: "Northwind Trading Bank Ltd" },
      client: { id: "c", name: "Ocean Star" },
    });
    expect(result.status).to.equal("hit");
    expect(result.status !== "outage" && result.matches.map((m) => [m.party, m.entry, m.matchedOn])).to.deep.equal([
      ["counterparty", "9001", "identifier"],
      ["counterparty", "9001", "name"],
      ["client", "9003", "name"],
    ]);
  });

  it("clears a party on no list, with the travel-rule data passed through unchanged", async function () {
    const result = await provider.screen({
      counterparty: { id: "529900BETABANK000022", name: "Beta Bank SA" },
      travelRule,
    });
    expect(result).to.deep.equal({ status: "clear", provider: "OFAC SDN", matches: [], travelRule });
    expect(result.travelRule).to.equal(travelRule);
  });

  it("re-reads the list when the file changes", async function () {
    expect((await provider.screen({ counterparty: { id: "529900BETABANK000022" } })).status).to.equal("clear");
    const next = path.join(dir, "next.csv");
    writeFileSync(next, `${HEADER}9100,"BETA BANK SA",-0-,TEST,529900BETABANK000022,-0-\n`);
    renameSync(next, file);
    expect((await provider.screen({ counterparty: { id: "529900BETABANK000022" } })).status).to.equal("hit");
    expect(await provider.size()).to.equal(1);
  });

  it("fails closed when the file is rewritten in place with a damaged list, never keeping the old one", async function () {
    expect((await provider.screen({ counterparty: { id: "549300SANCTIONED0043" } })).status).to.equal("hit");
    writeFileSync(file, `${HEADER}9100,"BETA BANK SA\n`);
    const error = outage(await provider.screen({ counterparty: { id: "549300SANCTIONED0043" } }));
    expect(error.code).to.equal("SCREENING_LIST_UNAVAILABLE");
    writeFileSync(file, `${HEADER}9100,"BETA BANK SA",-0-,TEST,529900BETABANK000022,-0-\n`);
    expect((await provider.screen({ counterparty: { id: "549300SANCTIONED0043" } })).status).to.equal("clear");
    expect((await provider.screen({ counterparty: { id: "529900BETABANK000022" } })).status).to.equal("hit");
  });

  it("fails closed when the file is missing, even after a good read", async function () {
    expect((await provider.screen({ counterparty: { id: "x" } })).status).to.equal("clear");
    unlinkSync(file);
    const error = outage(await provider.screen({ counterparty: { id: "x" }, travelRule }));
    expect(error.code).to.equal("SCREENING_LIST_UNAVAILABLE");
    expect(error.details).to.deep.include({ path: file, reason: "cannot be read" });
  });

  const malformed: [string, string, RegExp][] = [
    ["an unterminated quote", `${HEADER}1,"OPEN,-0-,X,-0-,-0-\n`, /is not CSV \(line 2: unterminated quoted field\)/],
    ["a row with too few fields", `${HEADER}1,NAME,-0-\n`, /line 2 has 3 fields, the header 6/],
    ["no header row", `1,NAME,-0-,X,-0-,-0-\n`, /no header row with ent_num and SDN_Name/],
    ["an entry without name", `${HEADER}1,-0-,-0-,X,-0-,-0-\n`, /line 2 has no ent_num or SDN_Name/],
    ["an empty file", "", /no header row/],
  ];
  for (const [what, text, reason] of malformed) {
    it(`fails closed on a list with ${what}`, async function () {
      writeFileSync(file, text);
      const error = outage(await provider.screen({ counterparty: { id: "529900BETABANK000022" } }));
      expect(error.code).to.equal("SCREENING_LIST_UNAVAILABLE");
      expect(error.message).to.match(reason);
    });
  }

  it("refuses a configuration without a path", function () {
    expect(() => new SanctionsListProvider({ path: "" })).to.throw(/invalid sanctions list configuration: path/);
  });
});
