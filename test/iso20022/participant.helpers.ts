/**
 * The ISO 20022 set-up on the demo consortium: the chain sample messages and each bank's mapping of them
 * (Alpha ALPHDEFFXXX, Beta BETADEFFXXX, Gamma GAMMGB2LXXX; ISIN DE0001102580 -> B30; EUR -> aEUR).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DemoBank } from "../../src/demo/banks";
import type { DeploymentRecord } from "../../src/deploy";
import { demoIsoMapping } from "../../src/demo/iso-mapping";
import type { MappingConfig } from "../../src/iso20022";

export type ChainMessage = "dvp-beta-deliver" | "dvp-alpha-receive" | "fop-beta-deliver" | "fop-alpha-receive";

export function chainMessage(name: ChainMessage): string {
  return readFileSync(path.join(__dirname, "fixtures", "chain", `${name}.xml`), "utf8");
}

/** The mapping of bank `index` (0 Alpha, 1 Beta, 2 Gamma): the demo's own. */
export const chainMapping: (banks: readonly DemoBank[], index: number, record: DeploymentRecord) => MappingConfig =
  demoIsoMapping;
