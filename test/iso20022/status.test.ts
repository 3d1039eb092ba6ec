import { expect } from "chai";
import { XMLParser } from "fast-xml-parser";
import {
  Iso20022Error,
  readSese023,
  seseRejectionFor,
  seseStatusFor,
  type SettlementStateChange,
} from "../../src/iso20022";
import { settlementIdOf, type StatusName } from "../../src/settlement/terms";
import { fixture, mapping } from "./helpers";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false });

/** The status advice of a parsed sese.024. */
function advice(xml: string): Record<string, unknown> {
  return (parser.parse(xml) as { Document: { SctiesSttlmTxStsAdvc: Record<string, unknown> } }).Document
    .SctiesSttlmTxStsAdvc;
}

describe("the sese message owed by a settlement's state change", function () {
  const m = mapping();
  const { instruction, terms } = readSese023(fixture("dvp-receive"), m);
  const change = (state: StatusName): SettlementStateChange => ({
    instructionId: instruction.transactionId,
    settlementId: settlementIdOf(terms),
    terms,
    state,
    on: "2026-12-03",
  });

  it("accepts an instruction not yet on chain, without a matching or settlement status", function () {
    const out = seseStatusFor(change("None"), m);
    expect(out).to.deep.include({ message: "sese.024", status: { kind: "accepted" } });
    const body = advice(out.xml);
    expect(body.PrcgSts).to.deep.equal({ AckdAccptd: { NoSpcfdRsn: "NORE" } });
    expect(body).to.not.have.any.keys("MtchgSts", "SttlmSts");
  });

  it("reports an instruction unmatched until the counterparty affirms, then matched and pending settlement", function () {
    const instructed = advice(seseStatusFor(change("Instructed"), m).xml);
    expect(instructed.MtchgSts).to.deep.equal({ Umtchd: { NoSpcfdRsn: "NORE" } });
    expect(instructed.SttlmSts).to.deep.equal({ Pdg: { Rsn: { Cd: { Cd: "CMIS" } } } });
    const affirmed = advice(seseStatusFor(change("Affirmed"), m).xml);
    expect(affirmed.MtchgSts).to.deep.equal({ Mtchd: { NoSpcfdRsn: "NORE" } });
    expect(affirmed.SttlmSts).to.deep.equal({ Pdg: { Rsn: { Cd: { Cd: "FUTU" } } } });
  });

  for (const state of ["Cancelled", "Released", "Expired", "Unwound", "Reversed"] as const) {
    it(`rejects a settlement ${state}, with the state as the reason`, function () {
      const body = advice(seseStatusFor(change(state), m).xml);
      expect(body.PrcgSts).to.deep.equal({
        Rjctd: { Rsn: { Cd: { Cd: "OTHR" }, AddtlRsnInf: `settlement ${state}` } },
      });
    });
  }

  for (const state of ["Settled", "Final"] as const) {
    it(`confirms a settlement ${state} with sese.025, effective on the day it settled`, function () {
      const out = seseStatusFor({ ...change(state), settlementDate: "2026-12-02" }, m);
      expect(out.message).to.equal("sese.025");
      const body = (parser.parse(out.xml) as { Document: { SctiesSttlmTxConf: { TradDtls: unknown } } }).Document
        .SctiesSttlmTxConf;
      expect(body.TradDtls).to.deep.include({
        SttlmDt: { Dt: { Dt: "2026-12-02" } },
        EfctvSttlmDt: { Dt: { Dt: "2026-12-03" } },
      });
    });
  }

  it("rejects a refused instruction with the reason code of the element that failed", function () {
    let refused: Iso20022Error | undefined;
    try {
      readSese023(fixture("dvp-receive").replace("DE0001102580", "DE0001102581"), m);
    } catch (error) {
      refused = error as Iso20022Error;
    }
    const out = seseRejectionFor(instruction.transactionId, refused!);
    expect(out).to.deep.include({ message: "sese.024" });
    const body = advice(out.xml);
    expect((body.PrcgSts as { Rjctd: { Rsn: { Cd: { Cd: string } } } }).Rjctd.Rsn.Cd.Cd).to.equal("DSEC");
  });
});
