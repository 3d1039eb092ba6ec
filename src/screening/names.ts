/**
 * Normal forms for matching against a list: names compared without case, punctuation, diacritics or word
 * order ("SMITH, Jöhn" and "john smith" are one name); identifiers compared in capitals without spaces, a BIC8
 * as its BIC11 (branch XXX).
 */

/** The words of `name`, decomposed (NFKD), without marks, lower case, sorted and joined by one space. */
export function normaliseName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== "")
    .sort()
    .join(" ");
}

/** An LEI or BIC as compared: capitals, no spaces, a BIC8 completed to BIC11. */
export function normaliseIdentifier(id: string): string {
  const compact = id.replace(/\s+/g, "").toUpperCase();
  return /^[A-Z]{6}[A-Z0-9]{2}$/.test(compact) ? `${compact}XXX` : compact;
}
