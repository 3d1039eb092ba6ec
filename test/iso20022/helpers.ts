import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Iso20022Error, parseMappingConfig, type MappingConfig } from "../../src/iso20022";

const FIXTURES = path.join(__dirname, "fixtures");

/** A sample message of the fixtures directory. */
export function fixture(name: "dvp-receive" | "dvp-deliver" | "fop-deliver"): string {
  return readFileSync(path.join(FIXTURES, `${name}.xml`), "utf8");
}

/** The mapping of the fixtures: bank alpha, counterparties beta and gamma, a Bund and Apple shares, EUR and USD. */
export function mapping(): MappingConfig {
  return parseMappingConfig(JSON.parse(readFileSync(path.join(FIXTURES, "mapping.json"), "utf8")));
}

/** Asserts `run` throws an ISO 20022 error with `code` naming `element`; returns it. */
export function refusal(run: () => unknown, code: string, element: string) {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Iso20022Error)) throw error;
    expect({ code: error.code, element: error.details.element }).to.deep.equal({ code, element });
    return error;
  }
  expect.fail(`expected ${code} at ${element}, nothing was refused`);
}
