/**
 * ISO 20022 value types checked exactly: ISIN (ISO 6166, with its check digit), BIC (ISO 9362, BIC8 read as
 * BIC11 with XXX), LEI (ISO 17442, ISO 7064 MOD 97-10), ISODate (a real calendar day) and decimal amounts
 * converted to base units with bigint arithmetic only (never floating point).
 */

/** Greatest number of digits of an ISO 20022 decimal (TotalDigits of DecimalNumber and of the amounts). */
export const ISO_TOTAL_DIGITS = 18;

/** True when `isin` is two letters, nine alphanumerics and a correct check digit. */
export function isIsin(isin: string): boolean {
  if (!/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/.test(isin)) return false;
  const digits = [...isin.slice(0, 11)].map((c) => parseInt(c, 36).toString()).join("");
  let sum = 0;
  // Luhn over the expanded digits, doubling every second digit from the right.
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(digits[i]) * (double ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return (10 - (sum % 10)) % 10 === Number(isin[11]);
}

/** True when `lei` is 18 alphanumerics and two check digits that satisfy ISO 7064 MOD 97-10. */
export function isLei(lei: string): boolean {
  if (!/^[A-Z0-9]{18}[0-9]{2}$/.test(lei)) return false;
  const numeric = [...lei].map((c) => parseInt(c, 36).toString()).join("");
  return BigInt(numeric) % 97n === 1n;
}

/** True when `bic` is a BIC8 or BIC11. */
export function isBic(bic: string): boolean {
  return /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic);
}

/** A party identifier as configured and compared: a BIC as BIC11, an LEI as is; undefined when neither. */
export function partyKey(id: string): string | undefined {
  if (isLei(id)) return id;
  if (isBic(id)) return id.length === 8 ? `${id}XXX` : id;
  return undefined;
}

/** True when `date` is YYYY-MM-DD and names a real day. */
export function isIsoDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === date;
}

/** Why a decimal text cannot be `decimals`-decimal base units, or its base units. */
export type BaseUnits = { units: bigint } | { problem: string };

/** `text` (an ISO decimal such as "1500.25") in base units of a token with `decimals` decimals, exactly. */
export function toBaseUnits(text: string, decimals: number): BaseUnits {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (m === null) return { problem: "not a decimal number (digits, optionally a point and digits)" };
  const whole = m[1];
  const fraction = m[2] ?? "";
  if (whole.replace(/^0+/, "").length + fraction.length > ISO_TOTAL_DIGITS) {
    return { problem: `more than ${ISO_TOTAL_DIGITS} digits` };
  }
  const significant = fraction.replace(/0+$/, "");
  if (significant.length > decimals) {
    return { problem: `${significant.length} decimals, the token has ${decimals}` };
  }
  const units = BigInt(whole + significant.padEnd(decimals, "0"));
  return units === 0n ? { problem: "must be above zero" } : { units };
}

/** Base units back as the shortest decimal text (`150025n`, 2 -> "1500.25"). */
export function fromBaseUnits(units: bigint, decimals: number): string {
  const digits = units.toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  return fraction === "" ? whole : `${whole}.${fraction}`;
}
