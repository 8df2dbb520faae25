// The order form's pure logic: the typed text of a line, the payment split, the
// problems known before any save, and where each problem is shown. No state here:
// the form (components/orders/OrderForm.svelte) owns it.

import type { Draft } from "./bindings/Draft";
import type { FieldError } from "./bindings/FieldError";
import type { OrderLine } from "./bindings/OrderLine";
import type { OrderTerms } from "./bindings/OrderTerms";
import type { PaymentTerms } from "./bindings/PaymentTerms";
import { editable, exponent, parseAmount } from "./money";
import { totalOf } from "./orders";

/** What the buyer typed for a line, kept as text so "12." is not fought. */
export type Row = { key: number; qty: string; price: string };
export type PayKind = PaymentTerms["kind"];
export type SaveState = "idle" | "pending" | "saving" | "saved" | "failed";
/** The footer action under way, if any; the whole form is disabled meanwhile. */
export type Busy = "submit" | "save" | "discard" | null;

/** A new, empty product line. */
export function blankLine(): OrderLine {
  return { product: "", quantity: 1, unit: "pieces", unit_price_minor: 0 };
}

/** The typed text of saved lines (empty where nothing was entered yet). */
export function rowsOf(terms: OrderTerms): Row[] {
  return terms.lines.map((l, key) => ({
    key,
    qty: l.quantity > 0 ? String(l.quantity) : "",
    price: l.unit_price_minor > 0 ? editable(l.unit_price_minor, terms.currency) : "",
  }));
}

// --- typed values ----------------------------------------------------------------------

/** A typed quantity: 0 when empty, null when not a whole number. */
export function quantityOf(text: string): number | null {
  const t = text.trim().replace(/[,\s]/g, "");
  if (t === "") return 0;
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** A typed unit price in minor units: 0 when empty or not an amount. */
export function priceOf(text: string, currency: string): number {
  return text.trim() === "" ? 0 : (parseAmount(text, currency) ?? 0);
}

/** A typed deposit percentage, 1 to 99; null otherwise. */
export function percentFrom(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,2}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 99 ? n : null;
}

/** The deposit percentage a saved draft stands for (30 when it has none). */
export function initialPercent(terms: OrderTerms): number {
  const pay = terms.payment_terms;
  const total = totalOf(terms);
  return pay.kind === "deposit_balance" && total > 0
    ? Math.min(99, Math.max(1, Math.round((pay.deposit_minor * 100) / total)))
    : 30;
}

/** round(total × pct / 100), half up, in exact integer arithmetic. */
export function percentOf(amount: number, percent: number): number {
  if (amount <= 0 || !Number.isInteger(amount)) return 0;
  return Number((BigInt(amount) * BigInt(percent) + 50n) / 100n);
}

export function priceHint(cur: string): string {
  const exp = exponent(cur);
  if (exp === 0) return "Enter the price as a whole number, for example 1250.";
  const example = `12.${"5".padEnd(exp, "0")}`;
  return `Enter the price as a number with at most ${exp} decimals, for example ${example}.`;
}

// --- problems ----------------------------------------------------------------------------

/** Typed text that is not a value: known at once, before any save. */
export function typedErrors(
  rows: Row[],
  currency: string,
  payKind: PayKind,
  pct: number | null,
): FieldError[] {
  const out: FieldError[] = [];
  rows.forEach((r, i) => {
    if (quantityOf(r.qty) === null) {
      out.push({
        field: `lines[${i}].quantity`,
        code: "quantity_invalid",
        message: "Enter the quantity as a whole number, for example 500.",
      });
    }
    if (r.price.trim() !== "" && parseAmount(r.price, currency) === null) {
      out.push({
        field: `lines[${i}].unit_price_minor`,
        code: "unit_price_invalid",
        message: priceHint(currency),
      });
    }
  });
  if (payKind === "deposit_balance" && pct === null) {
    out.push({
      field: "payment_terms",
      code: "deposit_percent_invalid",
      message: "Enter a deposit between 1 and 99 percent.",
    });
  }
  return out;
}

/** Values a draft cannot be stored without (checked when saving). */
export function blockers(d: Draft): FieldError[] {
  const out: FieldError[] = [];
  if (!d.counterparty) {
    out.push({ field: "counterparty", code: "supplier_required", message: "Choose the supplier." });
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d.terms.ship_by)) {
    out.push({ field: "ship_by", code: "ship_by_required", message: "Choose the ship-by date." });
  }
  return out;
}

/** Where a problem is shown: next to its field, under a table or card, or at the top. */
export type Place = "simple" | "cell" | "lines" | "payment" | "documents" | "top";

/** The problems shown, by field, and the fields shown at each place. */
export type Problems = {
  has(field: string): boolean;
  /** The field's messages, each once, as one text. */
  text(field: string): string;
  at: Record<Place, string[]>;
};

const SIMPLE = new Set(["counterparty", "currency", "incoterm", "shipping_method", "ship_by", "remarks"]);
const CELL = /^lines\[(\d+)\]\.(product|quantity|unit|unit_price_minor)$/;

function placeOf(field: string, lineCount: number, upload: boolean): Place {
  if (SIMPLE.has(field)) return "simple";
  const cell = CELL.exec(field);
  if (cell && Number(cell[1]) < lineCount) return "cell";
  if (field === "lines" || field.startsWith("lines[") || field.startsWith("lines.")) return "lines";
  if (field.startsWith("payment_terms")) return "payment";
  if (upload && field.startsWith("documents")) return "documents";
  return "top";
}

/**
 * The problems to show: those typed here, then those the last save answered (unless a
 * typed one names the same field). `upload`: the form has a documents column.
 */
export function problemsOf(
  typed: FieldError[],
  saved: FieldError[],
  lineCount: number,
  upload: boolean,
): Problems {
  const typedFields = new Set(typed.map((e) => e.field));
  const shown = [...typed, ...saved.filter((e) => !typedFields.has(e.field))];

  const byField = new Map<string, string[]>();
  for (const e of shown) {
    const list = byField.get(e.field);
    if (!list) byField.set(e.field, [e.message]);
    else if (!list.includes(e.message)) list.push(e.message);
  }

  const at: Record<Place, string[]> = {
    simple: [],
    cell: [],
    lines: [],
    payment: [],
    documents: [],
    top: [],
  };
  for (const field of byField.keys()) at[placeOf(field, lineCount, upload)].push(field);

  return {
    has: (field) => byField.has(field),
    text: (field) => (byField.get(field) ?? []).join(" "),
    at,
  };
}

/** A field path as a test id and element id part: `lines[0].quantity` → `lines-0--quantity`. */
export const tid = (field: string) => field.replace(/[\[\].]/g, "-");
