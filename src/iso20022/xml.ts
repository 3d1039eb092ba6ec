/**
 * Reading an ISO 20022 document: well-formedness, the `Document` root and its namespace (default or prefixed),
 * then element access by name that records the XML path of every element it reaches, so each refusal names its
 * element. Values stay strings (no number parsing); a repeated element where one is expected is refused.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Iso20022MessageError } from "./errors";

type XmlObject = { [name: string]: XmlValue };
type XmlValue = string | XmlObject | XmlValue[];

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/** A parsed ISO 20022 document: its namespace (`urn:iso:std:iso:20022:tech:xsd:sese.023.001.09`) and root. */
export interface XmlDocument {
  namespace: string;
  root: XmlElement;
}

/** Parses `xml` into its `Document` root; refuses what is not well-formed or declares a DTD or entities. */
export function readDocument(xml: string, rootPath = "Document"): XmlDocument {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new Iso20022MessageError("ISO20022_MALFORMED", rootPath, "a DTD or entity declaration is not accepted");
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new Iso20022MessageError("ISO20022_MALFORMED", rootPath, `not well-formed XML (${line}:${col}): ${msg}`);
  }
  let parsed: XmlObject;
  try {
    parsed = parser.parse(xml) as XmlObject;
  } catch (error) {
    throw new Iso20022MessageError("ISO20022_MALFORMED", rootPath, "not readable as XML", error);
  }
  const roots = Object.keys(parsed).filter((k) => !k.startsWith("?"));
  const rootName = roots.length === 1 ? roots[0] : undefined;
  const prefix = rootName?.includes(":") === true ? rootName.slice(0, rootName.indexOf(":")) : undefined;
  if (rootName === undefined || rootName.slice(prefix === undefined ? 0 : prefix.length + 1) !== "Document") {
    throw new Iso20022MessageError("ISO20022_MALFORMED", rootPath, "the root element is not one Document");
  }
  const node = parsed[rootName];
  if (typeof node !== "object" || Array.isArray(node)) {
    throw new Iso20022MessageError("ISO20022_MALFORMED", rootPath, "the Document element is empty");
  }
  const namespace = node[prefix === undefined ? "@xmlns" : `@xmlns:${prefix}`];
  return {
    namespace: typeof namespace === "string" ? namespace : "",
    root: new XmlElement("", unprefixed(node, prefix) as XmlObject),
  };
}

/** The tree with the document's own namespace prefix removed from element names (other prefixes are kept). */
function unprefixed(value: XmlValue, prefix: string | undefined): XmlValue {
  if (prefix === undefined || typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((v) => unprefixed(v, prefix));
  const head = `${prefix}:`;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.startsWith(head) ? k.slice(head.length) : k, unprefixed(v, prefix)]),
  );
}

/** One element and its path from the message root (`SctiesSttlmTxInstr/TradDtls`). */
export class XmlElement {
  constructor(
    readonly path: string,
    private readonly node: XmlObject,
  ) {}

  /** Path of a child or attribute of this element. */
  pathOf(name: string): string {
    return this.path === "" ? name : `${this.path}/${name}`;
  }

  /** The child element `name`, or undefined when absent; refuses a repeated or text-only child. */
  child(name: string): XmlElement | undefined {
    const value = this.#single(name);
    if (value === undefined) return undefined;
    if (typeof value === "string") {
      throw new Iso20022MessageError("ISO20022_ELEMENT_INVALID", this.pathOf(name), "expected child elements");
    }
    return new XmlElement(this.pathOf(name), value);
  }

  /** The child element `name`; refuses its absence. */
  need(name: string): XmlElement {
    const child = this.child(name);
    if (child === undefined) throw missing(this.pathOf(name));
    return child;
  }

  /** The text of child `name` (trimmed), or undefined when absent; refuses an empty or structured child. */
  text(name: string): string | undefined {
    const value = this.#single(name);
    if (value === undefined) return undefined;
    const text = typeof value === "string" ? value : value["#text"];
    const structured = typeof value !== "string" && Object.keys(value).some((k) => k !== "#text" && !k.startsWith("@"));
    if (typeof text !== "string" || text === "" || structured) {
      throw new Iso20022MessageError("ISO20022_ELEMENT_INVALID", this.pathOf(name), "expected a non-empty value");
    }
    return text;
  }

  /** The text of child `name`; refuses its absence. */
  needText(name: string): string {
    const text = this.text(name);
    if (text === undefined) throw missing(this.pathOf(name));
    return text;
  }

  /** Attribute `name` of child `element`, or undefined. */
  attribute(element: string, name: string): string | undefined {
    const value = this.#single(element);
    if (value === undefined || typeof value === "string") return undefined;
    const attribute = value[`@${name}`];
    return typeof attribute === "string" ? attribute : undefined;
  }

  /** True when child `name` is present. */
  has(name: string): boolean {
    return this.node[name] !== undefined;
  }

  #single(name: string): string | XmlObject | undefined {
    const value = this.node[name];
    if (Array.isArray(value)) {
      throw new Iso20022MessageError("ISO20022_ELEMENT_INVALID", this.pathOf(name), "repeated where one is expected");
    }
    return value;
  }
}

function missing(path: string): Iso20022MessageError {
  return new Iso20022MessageError("ISO20022_ELEMENT_MISSING", path, "required element is missing");
}
