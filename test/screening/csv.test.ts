import { expect } from "chai";
import { parseCsv } from "../../src/screening/csv";

describe("CSV records (RFC 4180)", function () {
  it("reads quoted commas, doubled quotes, line breaks inside quotes and CRLF line ends", function () {
    const text = 'a,b,c\r\n1,"x, ""y""",z\r\n\r\n2,"two\nlines",""\n';
    expect(parseCsv(text)).to.deep.equal([
      { line: 1, fields: ["a", "b", "c"] },
      { line: 2, fields: ["1", 'x, "y"', "z"] },
      { line: 4, fields: ["2", "two\nlines", ""] },
    ]);
  });

  it("keeps a last record without a line end and a record of one quoted empty field", function () {
    expect(parseCsv('a\n""\nb')).to.deep.equal([
      { line: 1, fields: ["a"] },
      { line: 2, fields: [""] },
      { line: 3, fields: ["b"] },
    ]);
  });

  it("refuses an unterminated quote, text after a closing quote and a quote inside an unquoted field", function () {
    expect(() => parseCsv('a\n"open\n')).to.throw("line 2: unterminated quoted field");
    expect(() => parseCsv('"a"b,c')).to.throw("line 1: text after a closing quote");
    expect(() => parseCsv('a,b"c')).to.throw("line 1: a quote inside an unquoted field");
  });
});
