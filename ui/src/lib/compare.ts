// Comparing quotations: the table's columns, how a header click sorts, and exact parsing
// of what the buyer types (a duty percentage, transit days). Every amount is computed
// in Rust (trade_model::quotation::compare) and arrives in minor units; this file only
// words and formats it. No floating point touches an amount or a percentage.

import type { ComparisonTerms } from "./bindings/ComparisonTerms";
import type { Duty } from "./bindings/Duty";
import type { Estimates } from "./bindings/Estimates";
import type { Money } from "./bindings/Money";
import type { PricingError } from "./bindings/PricingError";
import type { SheetColumn } from "./bindings/SheetColumn";
import type { SortDirection } from "./bindings/SortDirection";
import { count } from "./format";
import { money } from "./money";

export type Column = {
  key: SheetColumn;
  label: string;
  /** Right-aligned figures. */
  numeric: boolean;
  /** The direction a first click sorts in: cheapest, soonest, most experienced first. */
  first: SortDirection;
};

/** The table's columns, left to right: what it costs delivered first, then how. */
export const COLUMNS: readonly Column[] = [
  { key: "supplier", label: "Supplier", numeric: false, first: "ascending" },
  { key: "product", label: "Product", numeric: false, first: "ascending" },
  { key: "landed_per_unit", label: "Landed per unit", numeric: true, first: "ascending" },
  { key: "landed_total", label: "Landed total", numeric: true, first: "ascending" },
  { key: "unit_price", label: "Unit price", numeric: true, first: "ascending" },
  { key: "goods_total", label: "Goods", numeric: true, first: "ascending" },
  { key: "freight", label: "Freight", numeric: true, first: "ascending" },
  { key: "duty", label: "Duty", numeric: true, first: "ascending" },
  { key: "moq", label: "MOQ", numeric: true, first: "ascending" },
  { key: "lead_time", label: "Lead time", numeric: true, first: "ascending" },
  { key: "earliest_arrival", label: "Earliest arrival", numeric: false, first: "ascending" },
  { key: "valid_until", label: "Valid until", numeric: false, first: "descending" },
  { key: "years_on_platform", label: "Years on platform", numeric: true, first: "descending" },
  { key: "median_reply", label: "Median reply", numeric: true, first: "ascending" },
  { key: "completed_orders", label: "Completed orders", numeric: true, first: "descending" },
  { key: "disputes_lost", label: "Disputes lost", numeric: true, first: "ascending" },
];

export type Sort = { column: SheetColumn; direction: SortDirection };

/** The comparison opens cheapest delivered first. */
export const DEFAULT_SORT: Sort = { column: "landed_per_unit", direction: "ascending" };

/** A header clicked: the same column turns around, another sorts its own first way. */
export function nextSort(current: Sort, clicked: Column): Sort {
  if (current.column === clicked.key) {
    return {
      column: clicked.key,
      direction: current.direction === "ascending" ? "descending" : "ascending",
    };
  }
  return { column: clicked.key, direction: clicked.first };
}

/** The header's aria-sort. */
export function ariaSort(current: Sort, column: SheetColumn): "ascending" | "descending" | "none" {
  return current.column === column ? current.direction : "none";
}

/** Why a row has no cost, in words. */
export function problemText(p: PricingError): string {
  switch (p.kind) {
    case "below_moq":
      return `${count(p.quantity)} is below the minimum order of ${count(p.moq)}`;
    case "missing_rate":
      return `No exchange rate for ${p.currency} in the rate table`;
    case "overflow":
      return "Too large to compute";
    case "no_tiers":
      return "The quotation has no prices";
    case "bad_freight":
      return "The freight cannot be negative";
    case "bad_duty":
      return "The duty must be from 0 to 1000 %";
    case "bad_transit_days":
      return "The transit can be at most 365 days";
  }
}

/** Basis points as the buyer reads and edits them: 650 → "6.5", 500 → "5", 1 → "0.01". */
export function percentText(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const frac = String(basisPoints % 100).padStart(2, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Exact parse of a typed percentage ("6.5", "6,5", "12 %") into basis points; null when
 *  it is not one (more than two decimals, negative, not a number). */
export function parsePercent(text: string): number | null {
  const t = text.trim().replace(/\s*%$/, "").replace(",", ".");
  const m = /^(\d{1,6})(?:\.(\d{0,2}))?$/.exec(t);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

/** Whole days from 0 to 365 as typed; "" is no estimate (null), anything else undefined. */
export function parseDays(text: string): number | null | undefined {
  const t = text.trim();
  if (t === "") return null;
  if (!/^\d{1,3}$/.test(t)) return undefined;
  const days = Number(t);
  return days <= 365 ? days : undefined;
}

/** Whether two estimates say the same (the field order of Rust's JSON aside). */
export function sameEstimates(a: Estimates, b: Estimates): boolean {
  const sameMoney = (x: Money, y: Money) => x.minor === y.minor && x.currency === y.currency;
  const sameDuty =
    a.duty.kind === "percent"
      ? b.duty.kind === "percent" && a.duty.basis_points === b.duty.basis_points
      : b.duty.kind === "amount" && sameMoney(a.duty.amount, b.duty.amount);
  return sameMoney(a.freight, b.freight) && sameDuty && a.transit_days === b.transit_days;
}

/** Whether two comparisons' terms say the same. */
export function sameTerms(a: ComparisonTerms, b: ComparisonTerms): boolean {
  return a.name === b.name && a.quantity === b.quantity && a.currency === b.currency;
}

/** "6.5 %" or "USD 120.00" (a fixed duty per shipment). */
export function dutyText(duty: Duty): string {
  return duty.kind === "percent"
    ? `${percentText(duty.basis_points)} %`
    : money(duty.amount.minor, duty.amount.currency);
}

/** A median first-reply time: "45 min", "3 h", "2 days". */
export function replyTime(secs: number | null): string {
  if (secs === null) return "No replies yet";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${Math.max(mins, 1)} min`;
  const hours = Math.round(secs / 3600);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(secs / 86_400)} days`;
}

/** "1 year", "3 years", "Less than a year". */
export function yearsText(years: number): string {
  if (years === 0) return "Less than a year";
  return years === 1 ? "1 year" : `${years} years`;
}

/** The supplier as the first column names it: the company, else the person. */
export function supplierLabel(row: { supplier_company: string; supplier_name: string }): string {
  return row.supplier_company || row.supplier_name || "Unknown supplier";
}
