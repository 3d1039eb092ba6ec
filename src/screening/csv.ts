/**
 * RFC 4180 CSV: comma-separated fields, double-quoted fields with `""` for a quote, LF or CRLF line ends.
 * Anything else (an unterminated quote, text after a closing quote) is refused with the line it is on, so a
 * damaged list is never half read.
 */

/** Why the text is not CSV, on which line (1-based). */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/** The records of `text`, each a list of fields; blank lines are skipped. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let start = 1;
  let i = 0;
  let quoted = false;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== "" || quoted) records.push({ line: start, fields });
    fields = [];
    field = "";
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === "") {
      const open = line;
      quoted = true;
      i++;
      for (;;) {
        if (i >= text.length) throw new CsvSyntaxError(open, "unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          field += '"';
          i += 2;
        } else {
          if (text[i] === "\n") line++;
          field += text[i];
          i++;
        }
      }
      i++;
      const next = text[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new CsvSyntaxError(line, "text after a closing quote");
      }
    } else if (c === ",") {
      fields.push(field);
      field = "";
      i++;
    } else if (c === "\n" || c === "\r") {
      endRecord();
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      start = line;
    } else if (c === '"') {
      throw new CsvSyntaxError(line, "a quote inside an unquoted field");
    } else {
      field += c;
      i++;
    }
  }
  if (field !== "" || fields.length > 0 || quoted) endRecord();
  return records;
}
