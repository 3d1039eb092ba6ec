import { expect } from "chai";
import { encodeBytes32String, ZeroAddress } from "ethers";
import {
  fromBaseUnits,
  isBic,
  isIsin,
  isLei,
  parseMappingConfig,
  readSese023,
  toBaseUnits,
  type MappingConfigInput,
} from "../../src/iso20022";
import { fixture, mapping, refusal } from "./helpers";

const ALPHA_SAFE = "0x1111111111111111111111111111111111111111";
const ALPHA_CLIENT = "0x1111111111111111111111111111111111111117";
const BETA = "0x2222222222222222222222222222222222222222";
const GAMMA = "0x3333333333333333333333333333333333333333";
const BUND = "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa";
const AAPL = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB";
const EUR = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC";
const USD = "0xDDdDddDdDdddDDddDDddDDDDdDdDDdDDdDDDDDDd";

describe("sese.023 into settlement terms", function () {
  it("maps a DVP receive: the bank buys from the delivering party, cash debited", function () {
    const { terms, instruction } = readSese023(fixture("dvp-receive"), mapping());
    expect(terms).to.deep.equal({
      tradeRef: encodeBytes32String("BUND-2026-7781"),
      kind: 0,
      seller: BETA,
      buyer: ALPHA_SAFE,
      asset: BUND,
      assetAmount: 100_000_000n,
      cash: EUR,
      cashAmount: 98_543_050n,
    });
    expect(instruction).to.deep.equal({
      transactionId: "ALPHA-20261201-0042",
      movement: "RECE",
      payment: "APMT",
      tradeRef: "BUND-2026-7781",
      tradeDate: "2026-12-01",
      settlementDate: "2026-12-03",
      isin: "DE0001102580",
      quantity: "1000000.00",
      safekeepingAccount: "ALPHA-SAFE-01",
      counterparty: { member: "beta", id: "BETADEFFXXX" },
      settlementAmount: { currency: "EUR", amount: "985430.50" },
    });
  });

  it("maps a DVP deliver from a client account, trade reference from TradId, BIC8 read as BIC11", function () {
    const { terms, instruction } = readSese023(fixture("dvp-deliver"), mapping());
    expect(terms).to.deep.equal({
      tradeRef: encodeBytes32String("AAPL-BLK-55120"),
      kind: 0,
      seller: ALPHA_CLIENT,
      buyer: GAMMA,
      asset: AAPL,
      assetAmount: 250n,
      cash: USD,
      cashAmount: 47_312_125_000n,
    });
    expect(instruction.counterparty).to.deep.equal({ member: "gamma", id: "GAMMGB2LXXX" });
  });

  it("maps a FOP deliver written with a namespace prefix: no cash leg", function () {
    const { terms, instruction } = readSese023(fixture("fop-deliver"), mapping());
    expect(terms).to.deep.equal({
      tradeRef: encodeBytes32String("COLL-MOVE-31"),
      kind: 1,
      seller: ALPHA_SAFE,
      buyer: BETA,
      asset: BUND,
      assetAmount: 5_000_000n,
      cash: ZeroAddress,
      cashAmount: 0n,
    });
    expect(instruction.settlementAmount).to.equal(undefined);
    expect(instruction.tradeDate).to.equal(undefined);
  });

  describe("refusals name their element", function () {
    const R = "SctiesSttlmTxInstr";
    const cases: [string, (xml: string) => string, string, string][] = [
      ["not well-formed XML", (x) => x.replace("</TxId>", ""), "ISO20022_MALFORMED", "Document"],
      [
        "a DTD",
        (x) => x.replace("<Document", '<!DOCTYPE d [<!ENTITY e "x">]><Document'),
        "ISO20022_MALFORMED",
        "Document",
      ],
      [
        "another message version",
        (x) => x.replace("sese.023.001.09", "sese.023.001.07"),
        "ISO20022_UNSUPPORTED",
        "Document",
      ],
      [
        "another message",
        (x) => x.replace(/SctiesSttlmTxInstr>/g, "SctiesSttlmTxCxlReq>"),
        "ISO20022_ELEMENT_MISSING",
        R,
      ],
      ["no TxId", (x) => x.replace(/<TxId>.*<\/TxId>/, ""), "ISO20022_ELEMENT_MISSING", `${R}/TxId`],
      [
        "a TxId over 35 characters",
        (x) => x.replace("ALPHA-20261201-0042", "A".repeat(36)),
        "ISO20022_ELEMENT_INVALID",
        `${R}/TxId`,
      ],
      [
        "a value mixed with elements",
        (x) => x.replace("<TxId>ALPHA-20261201-0042", "<TxId>ALPHA-20261201-0042<Extra>1</Extra>"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/TxId`,
      ],
      [
        "an unknown movement",
        (x) => x.replace(">RECE<", ">RECV<"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmTpAndAddtlParams/SctiesMvmntTp`,
      ],
      [
        "an unknown payment",
        (x) => x.replace(">APMT<", ">AGNT<"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmTpAndAddtlParams/Pmt`,
      ],
      [
        "a trade reference over 31 bytes",
        (x) => x.replace("BUND-2026-7781", "B".repeat(32)),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmTpAndAddtlParams/CmonId`,
      ],
      [
        "no trade reference at all",
        (x) => x.replace(/<CmonId>.*<\/CmonId>/, "").replace(/<TradId>.*<\/TradId>/, ""),
        "ISO20022_ELEMENT_MISSING",
        `${R}/SttlmTpAndAddtlParams/CmonId`,
      ],
      [
        "a trade date that is no day",
        (x) => x.replace("2026-12-01", "2026-02-30"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/TradDtls/TradDt/Dt/Dt`,
      ],
      [
        "no settlement date",
        (x) => x.replace(/<SttlmDt>[\s\S]*?<\/SttlmDt>/, ""),
        "ISO20022_ELEMENT_MISSING",
        `${R}/TradDtls/SttlmDt`,
      ],
      [
        "two ISINs",
        (x) => x.replace("<ISIN>", "<ISIN>US0378331005</ISIN><ISIN>"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/FinInstrmId/ISIN`,
      ],
      [
        "an ISIN with a wrong check digit",
        (x) => x.replace("DE0001102580", "DE0001102581"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/FinInstrmId/ISIN`,
      ],
      [
        "an unmapped ISIN",
        (x) => x.replace("DE0001102580", "US5949181045"),
        "ISO20022_UNMAPPED",
        `${R}/FinInstrmId/ISIN`,
      ],
      [
        "a quantity in units for a face-amount security",
        (x) => x.replace(/FaceAmt>/g, "Unit>"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/QtyAndAcctDtls/SttlmQty/Qty/Unit`,
      ],
      [
        "more quantity decimals than the token",
        (x) => x.replace("1000000.00", "1000000.005"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/QtyAndAcctDtls/SttlmQty/Qty/FaceAmt`,
      ],
      [
        "a zero quantity",
        (x) => x.replace("1000000.00", "0.00"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/QtyAndAcctDtls/SttlmQty/Qty/FaceAmt`,
      ],
      [
        "a signed quantity",
        (x) => x.replace("1000000.00", "-1000000.00"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/QtyAndAcctDtls/SttlmQty/Qty/FaceAmt`,
      ],
      [
        "a quantity over 18 digits",
        (x) => x.replace("1000000.00", "1234567890123456789"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/QtyAndAcctDtls/SttlmQty/Qty/FaceAmt`,
      ],
      [
        "a safekeeping account not the bank's",
        (x) => x.replace("ALPHA-SAFE-01", "BETA-SAFE-01"),
        "ISO20022_UNMAPPED",
        `${R}/QtyAndAcctDtls/SfkpgAcct/Id`,
      ],
      [
        "an account owner that is not the bank",
        (x) => x.replace(/<AcctOwnr>[\s\S]*?<\/AcctOwnr>/, "<AcctOwnr><Id><AnyBIC>BETADEFF</AnyBIC></Id></AcctOwnr>"),
        "ISO20022_UNMAPPED",
        `${R}/AcctOwnr`,
      ],
      [
        "a counterparty BIC that is no BIC",
        (x) => x.replace("BETADEFFXXX", "BETA-DE"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/DlvrgSttlmPties/Pty1/Id/AnyBIC`,
      ],
      [
        "a counterparty LEI with wrong check digits",
        (x) => x.replace("529900BETABANK000022", "529900BETABANK000023"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/DlvrgSttlmPties/Pty1/LEI`,
      ],
      [
        "an unknown counterparty",
        (x) => x.replace("BETADEFFXXX", "ZETADEFFXXX").replace(/<LEI>529900BETA.*<\/LEI>/, ""),
        "ISO20022_UNMAPPED",
        `${R}/DlvrgSttlmPties/Pty1/Id/AnyBIC`,
      ],
      [
        "a BIC and an LEI of two members",
        (x) => x.replace("BETADEFFXXX", "GAMMGB2LXXX"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/DlvrgSttlmPties/Pty1/LEI`,
      ],
      [
        "the bank as its own counterparty",
        (x) => x.replace("BETADEFFXXX", "ALPHDEFFXXX"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/DlvrgSttlmPties/Pty1`,
      ],
      [
        "no counterparty",
        (x) => x.replace(/<DlvrgSttlmPties>[\s\S]*?<\/DlvrgSttlmPties>/, ""),
        "ISO20022_ELEMENT_MISSING",
        `${R}/DlvrgSttlmPties`,
      ],
      [
        "against payment without an amount",
        (x) => x.replace(/<SttlmAmt>[\s\S]*?<\/SttlmAmt>/, ""),
        "ISO20022_ELEMENT_MISSING",
        `${R}/SttlmAmt`,
      ],
      [
        "an amount without currency",
        (x) => x.replace(' Ccy="EUR"', ""),
        "ISO20022_ELEMENT_MISSING",
        `${R}/SttlmAmt/Amt/@Ccy`,
      ],
      [
        "an unmapped currency",
        (x) => x.replace('Ccy="EUR"', 'Ccy="CHF"'),
        "ISO20022_UNMAPPED",
        `${R}/SttlmAmt/Amt/@Ccy`,
      ],
      [
        "more cash decimals than the token",
        (x) => x.replace("985430.50", "985430.505"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmAmt/Amt`,
      ],
      [
        "an amount in exponent form",
        (x) => x.replace("985430.50", "9.8543050E5"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmAmt/Amt`,
      ],
      [
        "a receive credited with cash",
        (x) => x.replace(">DBIT<", ">CRDT<"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmAmt/CdtDbtInd`,
      ],
      [
        "free of payment with an amount",
        (x) => x.replace(">APMT<", ">FREE<"),
        "ISO20022_ELEMENT_INVALID",
        `${R}/SttlmAmt`,
      ],
    ];
    for (const [what, mutate, code, element] of cases) {
      it(`refuses ${what} (${code} at ${element})`, function () {
        const xml = mutate(fixture("dvp-receive"));
        const error = refusal(() => readSese023(xml, mapping()), code, element);
        expect(error.message).to.match(new RegExp(`^${element.replace(/[/@]/g, "\\$&")}: .+`));
      });
    }
  });

  it("reads trailing zeros beyond the token's decimals exactly (no floating point)", function () {
    expect(toBaseUnits("985430.5000", 2)).to.deep.equal({ units: 98_543_050n });
    expect(toBaseUnits("0.000000000000000001", 18)).to.deep.equal({ units: 1n });
    expect(toBaseUnits("123456789012345678", 0)).to.deep.equal({ units: 123_456_789_012_345_678n });
    expect(toBaseUnits("0.1", 0)).to.deep.equal({ problem: "1 decimals, the token has 0" });
    expect(fromBaseUnits(98_543_050n, 2)).to.equal("985430.5");
    expect(fromBaseUnits(1n, 18)).to.equal("0.000000000000000001");
  });

  it("checks identifiers against published ISINs and LEIs", function () {
    // Apple, Microsoft, SAP, Roche; a changed check digit fails.
    for (const isin of ["US0378331005", "US5949181045", "DE0007164600", "CH0012032048"])
      expect(isIsin(isin)).to.equal(true);
    expect(isIsin("US0378331006")).to.equal(false);
    // Apple Inc. and Bloomberg Finance L.P. in the GLEIF register.
    expect(isLei("HWUPKR0MPOU8FGXBT394")).to.equal(true);
    expect(isLei("5493001KJTIIGC8Y1R12")).to.equal(true);
    expect(isLei("5493001KJTIIGC8Y1R13")).to.equal(false);
    expect([isBic("DEUTDEFF"), isBic("DEUTDEFF500"), isBic("DEUTDEF"), isBic("deutdeff")]).to.deep.equal([
      true,
      true,
      false,
      false,
    ]);
  });

  describe("mapping configuration", function () {
    const base = (): MappingConfigInput => JSON.parse(JSON.stringify(mapping())) as MappingConfigInput;
    const issues = (input: MappingConfigInput) => {
      try {
        parseMappingConfig(input);
      } catch (error) {
        return (error as { code: string; details: { issues: { path: string }[] } }).details.issues.map((i) => i.path);
      }
      return [];
    };

    it("refuses an identifier given to two parties", function () {
      const m = base();
      m.counterparties[1].ids.push("BETADEFFXXX");
      expect(issues(m)).to.deep.equal(["counterparties.1.ids.1"]);
    });

    it("refuses a counterparty holding one of the bank's accounts", function () {
      const m = base();
      m.counterparties[0].account = ALPHA_SAFE;
      expect(issues(m)).to.deep.equal(["counterparties.0.account"]);
    });

    it("refuses an ISIN with a wrong check digit, a duplicate currency and a non-address token", function () {
      const m = base();
      m.securities[0].isin = "DE0001102581";
      m.currencies.push({ ...m.currencies[0], token: "0x1234" });
      expect(issues(m)).to.deep.equal(["securities.0.isin", "currencies.2.token"]);
      m.currencies[2].token = EUR;
      expect(issues(m)).to.deep.equal(["securities.0.isin", "currencies.2.code"]);
    });
  });
});
