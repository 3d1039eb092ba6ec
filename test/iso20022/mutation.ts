/**
 * Mutations of a sese.023 for the property tests: an element removed, a value or attribute changed to another
 * plausible one (codes, identifiers, numbers, noise), or digits inserted into a value.
 */
import fc from "fast-check";

/** Start tags (`<Name` or `<p:Name`, not closing tags, comments or the declaration) of `xml`, by position. */
function startTags(xml: string): { at: number; name: string }[] {
  return [...xml.matchAll(/<([A-Za-z][\w:]*)[\s>/]/g)].map((m) => ({ at: m.index, name: m[1] }));
}

/** `xml` without the element whose start tag is at `at` (nested elements of the same name counted). */
function removeElement(xml: string, at: number, name: string): string {
  const pattern = new RegExp(`<(/?)${name}[\\s>/]`, "g");
  pattern.lastIndex = at + 1;
  let depth = 1;
  for (let m = pattern.exec(xml); m !== null; m = pattern.exec(xml)) {
    depth += m[1] === "/" ? -1 : 1;
    if (depth === 0) return xml.slice(0, at) + xml.slice(xml.indexOf(">", m.index) + 1);
  }
  return xml;
}

/** Text nodes (a value between `>` and `<`) and attribute values of `xml`, by position and length. */
function values(xml: string): { at: number; length: number }[] {
  const texts = [...xml.matchAll(/>([^<>\s][^<>]*)</g)].map((m) => ({ at: m.index + 1, length: m[1].length }));
  const attributes = [...xml.matchAll(/ Ccy="([^"]*)"/g)].map((m) => ({ at: m.index + 6, length: m[1].length }));
  return [...texts, ...attributes];
}

export type Mutation =
  | { kind: "remove"; pick: number }
  | { kind: "change"; pick: number; value: string }
  | { kind: "digits"; pick: number; offset: number; digits: string };

export function mutate(xml: string, m: Mutation): string {
  if (m.kind === "remove") {
    const tags = startTags(xml);
    const tag = tags[m.pick % Math.max(tags.length, 1)];
    return tag === undefined ? xml : removeElement(xml, tag.at, tag.name);
  }
  const all = values(xml);
  const v = all[m.pick % Math.max(all.length, 1)];
  if (v === undefined) return xml;
  if (m.kind === "change") return xml.slice(0, v.at) + m.value + xml.slice(v.at + v.length);
  const i = v.at + (m.offset % (v.length + 1));
  return xml.slice(0, i) + m.digits + xml.slice(i);
}

/** Values a field could plausibly be changed to: other valid codes and identifiers, numbers, noise. */
const replacement = fc.oneof(
  fc.constantFrom(
    "RECE",
    "DELI",
    "APMT",
    "FREE",
    "CRDT",
    "DBIT",
    "EUR",
    "USD",
    "CHF",
    "US0378331005",
    "DE0001102580",
    "GAMMGB2LXXX",
    "BETADEFF",
    "ALPHDEFFXXX",
    "529900BETABANK000022",
    "529900ALPHABANK00053",
    "ALPHA-CLIENT-07",
    "2026-12-31",
    "0",
    "0.00",
    "-5",
    "1e3",
    "1,5",
    " 7 ",
    "&amp;",
    "",
  ),
  fc.stringMatching(/^\d{1,20}(\.\d{1,20})?$/),
  fc.string({ maxLength: 40 }).filter((s) => !/[<&]/.test(s)),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("change" as const), pick: fc.nat(), value: replacement }),
  fc.record({
    kind: fc.constant("digits" as const),
    pick: fc.nat(),
    offset: fc.nat(),
    digits: fc.stringMatching(/^\d{1,6}$/),
  }),
);
