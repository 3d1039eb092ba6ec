import { isFrameworkError } from "../../src/errors";
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import { XMLParser } from "fast-xml-parser";
import {
  adviceOf,
  buildSese024,
  buildSese025,
  Iso20022Error,
  readSese023,
  rejectionOf,
  SESE024_NAMESPACE,
  SESE025_NAMESPACE,
  toBaseUnits,
} from "../../src/iso20022";
import { formatSettlementId, settlementIdOf } from "../../src/settlement/terms";
import { fixture, mapping } from "./helpers";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false });
type Tree = { [name: string]: unknown };

/** The value at `path` (names joined by /) of a parsed tree, undefined where a step is missing. */
function pick(tree: unknown, path: string): unknown {
  return path.split("/").reduce<unknown>((node, name) => (node as Tree | undefined)?.[name], tree);
}

function read(xml: string, root: string, namespace: string): Tree {
  expect(pick(parser.parse(xml), "Document/@xmlns")).to.equal(namespace);
  return pick(parser.parse(xml), `Document/${root}`) as Tree;
}

describe("sese.024 and sese.025 from a settlement", function () {
  for (const name of ["dvp-receive", "dvp-deliver", "fop-deliver"] as const) {
    it(`confirms ${name} with the instruction's references and amounts (sese.023 -> terms -> sese.025)`, function () {
      const m = mapping();
      const { instruction, terms } = readSese023(fixture(name), m);
      const id = settlementIdOf(terms);
      const xml = buildSese025({
        instructionId: instruction.transactionId,
        settlementId: id,
        terms,
        state: "Settled",
        settledOn: "2026-12-03",
        settlementDate: instruction.settlementDate,
        mapping: m,
      });
      const conf = read(xml, "SctiesSttlmTxConf", SESE025_NAMESPACE);
      expect(pick(conf, "TxIdDtls")).to.deep.equal({
        AcctOwnrTxId: instruction.transactionId,
        SctiesMvmntTp: instruction.movement,
        Pmt: instruction.payment,
      });
      expect(pick(conf, "TradDtls/TradId")).to.equal(instruction.tradeRef);
      expect(pick(conf, "TradDtls/SttlmDt/Dt/Dt")).to.equal(instruction.settlementDate);
      expect(pick(conf, "TradDtls/EfctvSttlmDt/Dt/Dt")).to.equal("2026-12-03");
      expect(pick(conf, "FinInstrmId/ISIN")).to.equal(instruction.isin);
      const security = m.securities.find((sec) => sec.isin === instruction.isin)!;
      const qty = pick(conf, "QtyAndAcctDtls/SttldQty/Qty") as Record<string, string>;
      expect(Object.keys(qty)).to.deep.equal([security.quantity]);
      const same = (a: string, b: string, decimals: number) =>
        expect(toBaseUnits(a, decimals)).to.deep.equal(toBaseUnits(b, decimals));
      same(qty[security.quantity], instruction.quantity, security.decimals);
      expect(pick(conf, "QtyAndAcctDtls/SfkpgAcct/Id")).to.equal(instruction.safekeepingAccount);
      const counterpartySide = instruction.movement === "RECE" ? "DlvrgSttlmPties" : "RcvgSttlmPties";
      const counterparty = pick(conf, `${counterpartySide}/Pty1`) as Tree;
      expect(pick(counterparty, "LEI") ?? pick(counterparty, "Id/AnyBIC")).to.equal(
        m.counterparties.find((c) => c.member === instruction.counterparty.member)!.ids[0],
      );
      if (instruction.settlementAmount === undefined) {
        expect(pick(conf, "SttldAmt")).to.equal(undefined);
      } else {
        expect(pick(conf, "SttldAmt/Amt/@Ccy")).to.equal(instruction.settlementAmount.currency);
        const currency = m.currencies.find((c) => c.code === instruction.settlementAmount!.currency)!;
        same(pick(conf, "SttldAmt/Amt/#text") as string, instruction.settlementAmount.amount, currency.decimals);
        expect(pick(conf, "SttldAmt/CdtDbtInd")).to.equal(instruction.movement === "RECE" ? "DBIT" : "CRDT");
      }
      expect(pick(conf, "SplmtryData/Envlp/SttlmId")).to.equal(formatSettlementId(id));
    });
  }

  it("refuses to confirm a settlement that is not settled", function () {
    const m = mapping();
    const { instruction, terms } = readSese023(fixture("dvp-receive"), m);
    const input = {
      instructionId: instruction.transactionId,
      settlementId: 1n,
      terms,
      settledOn: "2026-12-03",
      mapping: m,
    };
    expect(() => buildSese025({ ...input, state: "Affirmed" })).to.throw(/not settled/);
    expect(() => buildSese025({ ...input, state: "Final", settledOn: "2026-13-01" })).to.throw(/settledOn/);
  });

  it("refuses terms the mapping cannot express (an unknown asset)", function () {
    const m = mapping();
    const { terms } = readSese023(fixture("dvp-receive"), m);
    const stranger = { ...terms, asset: "0x4444444444444444444444444444444444444444" };
    try {
      buildSese025({
        instructionId: "X",
        settlementId: 1n,
        terms: stranger,
        state: "Settled",
        settledOn: "2026-12-03",
        mapping: m,
      });
      expect.fail("built a confirmation for an unmapped asset");
    } catch (error) {
      expect(isFrameworkError(error, "ISO20022_UNMAPPED")).to.equal(true);
      expect((error as { details: { element: string } }).details.element).to.equal("terms.asset");
    }
  });

  it("advises an instructed settlement as accepted and pending the counterparty (CMIS)", function () {
    const m = mapping();
    const { instruction, terms } = readSese023(fixture("dvp-receive"), m);
    const id = settlementIdOf(terms);
    const xml = buildSese024({
      instructionId: instruction.transactionId,
      status: adviceOf("Instructed"),
      settlement: { id, terms, mapping: m },
    });
    const advice = read(xml, "SctiesSttlmTxStsAdvc", SESE024_NAMESPACE);
    expect(pick(advice, "TxId")).to.deep.equal({ AcctOwnrTxId: "ALPHA-20261201-0042" });
    expect(pick(advice, "PrcgSts")).to.deep.equal({ AckdAccptd: { NoSpcfdRsn: "NORE" } });
    expect(pick(advice, "SttlmSts")).to.deep.equal({ Pdg: { Rsn: { Cd: { Cd: "CMIS" } } } });
    expect(pick(advice, "TxDtls/TradId")).to.equal("BUND-2026-7781");
    expect(pick(advice, "TxDtls/SttlmAmt/Amt")).to.deep.equal({ "#text": "985430.5", "@Ccy": "EUR" });
    expect(pick(advice, "SplmtryData/Envlp/SttlmId")).to.equal(formatSettlementId(id));
    expect(terms.tradeRef).to.equal(encodeBytes32String(pick(advice, "TxDtls/TradId") as string));
  });

  it("rejects a refused instruction with the reason code of its element and the refusal as text", function () {
    let error: unknown;
    try {
      readSese023(fixture("dvp-receive").replace("DE0001102580", "US5949181045"), mapping());
    } catch (e) {
      error = e;
    }
    if (!(error instanceof Iso20022Error)) throw error;
    const status = rejectionOf(error);
    expect(status).to.deep.equal({
      kind: "rejected",
      reason: "DSEC",
      text: "SctiesSttlmTxInstr/FinInstrmId/ISIN: ISIN US5949181045 is not in the mapping",
    });
    const advice = read(
      buildSese024({ instructionId: "ALPHA-20261201-0042", status }),
      "SctiesSttlmTxStsAdvc",
      SESE024_NAMESPACE,
    );
    expect(pick(advice, "PrcgSts")).to.deep.equal({
      Rjctd: { Rsn: { Cd: { Cd: "DSEC" }, AddtlRsnInf: status.kind === "rejected" ? status.text : "" } },
    });
    expect(pick(advice, "SttlmSts")).to.equal(undefined);
    expect(pick(advice, "TxDtls")).to.equal(undefined);
  });

  it("escapes text from the instruction and refuses a reason that is no code", function () {
    const xml = buildSese024({ instructionId: "A<&>B", status: { kind: "rejected", reason: "OTHR", text: "x</Cd>" } });
    const advice = read(xml, "SctiesSttlmTxStsAdvc", SESE024_NAMESPACE);
    expect(pick(advice, "TxId/AcctOwnrTxId")).to.equal("A<&>B");
    expect(pick(advice, "PrcgSts/Rjctd/Rsn/AddtlRsnInf")).to.equal("x</Cd>");
    expect(() => buildSese024({ instructionId: "A", status: { kind: "pending", reason: "<x>" } })).to.throw(
      /four-character/,
    );
    expect(() => adviceOf("Settled")).to.throw(/no status advice/);
    expect(adviceOf("Expired")).to.deep.equal({ kind: "rejected", reason: "OTHR", text: "settlement Expired" });
  });
});
