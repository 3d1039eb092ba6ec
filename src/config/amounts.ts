/**
 * Token amounts in human units ("1500.25") against base units (150025n for 2 decimals), both ways.
 */
import { formatUnits, parseUnits } from "ethers";

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Base units of a human amount, or undefined when the text is not a plain non-negative decimal or has more
 * fractional digits than the token has decimals.
 */
export function parseAmount(value: string, decimals: number): bigint | undefined {
  const text = value.replace(/_/g, "");
  if (!DECIMAL.test(text)) return undefined;
  const [whole, fraction = ""] = text.split(".");
  const significant = fraction.replace(/0+$/, "");
  if (significant.length > decimals) return undefined;
  return parseUnits(significant === "" ? whole : `${whole}.${significant}`, decimals);
}

/**
 * Human form of a base-unit amount. Plain: "1500.2" for 150020n at 2 decimals (round-trips through
 * `parseAmount`). Grouped, for display: "1,500.20", every decimal shown.
 */
export function formatAmount(amount: bigint, decimals: number, options: { grouped?: boolean } = {}): string {
  const plain = formatUnits(amount, decimals).replace(/\.0$/, "");
  if (options.grouped !== true) return plain;
  const [whole, fraction = ""] = plain.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return decimals === 0 ? grouped : `${grouped}.${fraction.padEnd(decimals, "0")}`;
}
