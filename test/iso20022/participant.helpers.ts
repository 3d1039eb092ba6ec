/**
 * The ISO 20022 set-up on the demo consortium: the chain sample messages and each bank's mapping of them
 * (Alpha ALPHDEFFXXX, Beta BETADEFFXXX, Gamma GAMMGB2LXXX; ISIN DE0001102580 -> B30; EUR -> aEUR).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DemoBank } from "../../src/demo/banks";
import type { DeploymentRecord } from "../../src/deploy";
import { parseMappingConfig, type MappingConfig } from "../../src/iso20022";

export type ChainMessage = "dvp-beta-deliver" | "dvp-alpha-receive" | "fop-beta-deliver" | "fop-alpha-receive";

export function chainMessage(name: ChainMessage): string {
  return readFileSync(path.join(__dirname, "fixtures", "chain", `${name}.xml`), "utf8");
}

const BICS = ["ALPHDEFFXXX", "BETADEFFXXX", "GAMMGB2LXXX"];
const MEMBERS = ["alpha", "beta", "gamma"];

/** The mapping of bank `index` (0 Alpha, 1 Beta, 2 Gamma) over the deployed tokens and the banks' addresses. */
export function chainMapping(banks: readonly DemoBank[], index: number, record: DeploymentRecord): MappingConfig {
  const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
  const safekeeping = `${MEMBERS[index].toUpperCase()}-SAFE-01`;
  return parseMappingConfig({
    bank: { member: MEMBERS[index], ids: [BICS[index]], accounts: { [safekeeping]: banks[index].address } },
    counterparties: banks.flatMap((b, i) =>
      i === index ? [] : [{ member: MEMBERS[i], ids: [BICS[i]], account: b.address }],
    ),
    securities: [{ isin: "DE0001102580", token: token("B30"), decimals: 0, quantity: "Unit" }],
    currencies: [{ code: "EUR", token: token("aEUR"), decimals: 2 }],
  });
}
