// Money in minor units (integers), as Rust keeps it: formatting for display and exact
// parsing of what a buyer types. No floating point touches an amount.

import { CURRENCY_EXPONENTS as EXPONENTS } from "./bindings/rules";

export const CURRENCIES = Object.keys(EXPONENTS);

export function exponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/** "12,345.60" for 1234560 USD (no symbol). */
export function amount(minor: number, currency: string): string {
  const exp = exponent(currency);
  const negative = minor < 0;
  const digits = Math.abs(Math.trunc(minor)).toString().padStart(exp + 1, "0");
  const whole = digits.slice(0, digits.length - exp) || "0";
  const frac = exp > 0 ? digits.slice(digits.length - exp) : "";
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${grouped}${frac ? "." + frac : ""}`;
}

/** "USD 12,345.60". */
export function money(minor: number, currency: string): string {
  return `${currency} ${amount(minor, currency)}`;
}

/**
 * Exact parse of a typed amount ("1,234.5", "1234.50", "12") into minor units; null when
 * it is not an amount or has more decimals than the currency.
 */
export function parseAmount(text: string, currency: string): number | null {
  const t = text.trim().replace(/[,\s]/g, "");
  const exp = exponent(currency);
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > exp) return null;
  const minor = Number(m[1] + frac.padEnd(exp, "0"));
  return Number.isSafeInteger(minor) ? minor : null;
}

/** The typed form of an amount in minor units ("1234.50"), for editing. */
export function editable(minor: number, currency: string): string {
  return amount(minor, currency).replace(/,/g, "");
}
