/**
 * The demo consortium's ISO 20022 mapping: each bank's BIC, safekeeping account and counterparties, the bond's
 * ISIN and the euro's cash token (Alpha ALPHDEFFXXX, Beta BETADEFFXXX, Gamma GAMMGB2LXXX; ISIN DE0001102580 ->
 * B30; EUR -> aEUR), as a bank's integration team would write it in its mapping configuration.
 */
import type { DeploymentRecord } from "../deploy";
import { parseMappingConfig, type MappingConfig } from "../iso20022";
import type { DemoBank } from "./banks";

export const DEMO_BICS = ["ALPHDEFFXXX", "BETADEFFXXX", "GAMMGB2LXXX"] as const;
const MEMBERS = ["alpha", "beta", "gamma"];

/** The mapping of bank `index` (0 Alpha, 1 Beta, 2 Gamma) over the deployed tokens and the banks' addresses. */
export function demoIsoMapping(banks: readonly DemoBank[], index: number, record: DeploymentRecord): MappingConfig {
  const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
  const safekeeping = `${MEMBERS[index].toUpperCase()}-SAFE-01`;
  return parseMappingConfig({
    bank: { member: MEMBERS[index], ids: [DEMO_BICS[index]], accounts: { [safekeeping]: banks[index].address } },
    counterparties: banks.flatMap((b, i) =>
      i === index ? [] : [{ member: MEMBERS[i], ids: [DEMO_BICS[i]], account: b.address }],
    ),
    securities: [{ isin: "DE0001102580", token: token("B30"), decimals: 0, quantity: "Unit" }],
    currencies: [{ code: "EUR", token: token("aEUR"), decimals: 2 }],
  });
}
