// Words and small derivations for the order screens: labels of actions, deadlines and
// dispute reasons, countdowns, and the "what changed" diff between two versions' terms.
// Pure functions; the rules themselves live in Rust (trade-model) and arrive as
// `OrderView.available_actions`, `next_deadline`, `status_label`.

import type { ActionKind } from "./bindings/ActionKind";
import type { DeadlineKind } from "./bindings/DeadlineKind";
import type { DisputeReason } from "./bindings/DisputeReason";
import type { Order } from "./bindings/Order";
import type { OrderTerms } from "./bindings/OrderTerms";
import type { Partner } from "./bindings/Partner";
import type { PaymentTerms } from "./bindings/PaymentTerms";
import type { ShippingMethod } from "./bindings/ShippingMethod";
import { money } from "./money";

/** The timeline's words for each event. */
export const EVENT_WORDS: Record<ActionKind, string> = {
  create: "Order created",
  confirm: "Confirmed",
  modify: "Order modified",
  request_modification: "Modification requested",
  cancel: "Cancelled",
  pay_now: "Payment started",
  payment_succeeded: "Payment received",
  payment_failed: "Payment failed",
  ship: "Shipped",
  extend_ship_by: "Ship-by date extended",
  extend_receipt: "Receiving time extended",
  confirm_receipt: "Receipt confirmed",
  leave_feedback: "Feedback left",
  file_dispute: "Dispute filed",
  propose_settlement: "Settlement proposed",
  accept_proposal: "Proposal accepted",
  escalate_dispute: "Dispute escalated to Trade Center",
  decide_dispute: "Trade Center decided the dispute",
  withdraw_dispute: "Dispute withdrawn",
  apply_deadline: "Deadline reached",
};

export const ACTOR_WORDS: Record<string, string> = {
  buyer: "You",
  supplier: "Supplier",
  operator: "Trade Center",
  system: "Trade Center",
};

export const DEADLINE_WORDS: Record<DeadlineKind, string> = {
  confirmation_expires: "Cancelled if not confirmed by both",
  payment_expires: "Cancelled if not paid",
  payment_processing_expires: "Payment fails if not cleared",
  balance_due: "Balance due",
  ship_by: "Supplier ships by",
  receipt_auto_complete: "Completes automatically",
  protection_ends: "Buyer protection ends",
  dispute_auto_escalation: "Escalated to Trade Center automatically",
};

export const DISPUTE_REASONS: { value: DisputeReason; label: string }[] = [
  { value: "not_shipped", label: "Not shipped" },
  { value: "not_received", label: "Not received" },
  { value: "not_as_described", label: "Not as described" },
  { value: "quality_problem", label: "Quality problem" },
  { value: "quantity_short", label: "Quantity short" },
  { value: "damaged", label: "Damaged" },
  { value: "other", label: "Other" },
];

export const SHIPPING_METHODS: { value: ShippingMethod; label: string }[] = [
  { value: "sea", label: "Sea" },
  { value: "air", label: "Air" },
  { value: "express", label: "Express" },
  { value: "land", label: "Land" },
  { value: "rail", label: "Rail" },
];

/** The Incoterms the platform accepts (trade-model `Incoterm::KNOWN`). */
export { INCOTERMS } from "./bindings/rules";

/** "3d 4h", "5h 12m", "12m", "overdue" until `iso` from `now`. */
export function countdown(iso: string, now: number = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return "";
  if (ms <= 0) return "due now";
  const mins = Math.floor(ms / 60_000);
  const days = Math.floor(mins / 1440);
  const hours = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${m}m`;
  return `${Math.max(m, 1)}m`;
}

/** A short number for an order: the last 8 characters of its id, upper case. */
export function orderNumber(id: string): string {
  return id.replace(/-/g, "").slice(-8).toUpperCase();
}

export function partnerName(partners: Partner[], id: string): string {
  const p = partners.find((x) => x.id === id);
  return p ? p.company || p.name : "Supplier";
}

export function productsOf(order: Order): string {
  const names = order.terms.lines.map((l) => l.product).filter(Boolean);
  if (names.length === 0) return "Order";
  return names.length === 1 ? names[0] : `${names[0]} + ${names.length - 1} more`;
}

export function paymentTermsText(t: PaymentTerms, currency: string): string {
  return t.kind === "full"
    ? "Full payment"
    : `Deposit ${money(t.deposit_minor, currency)} + balance ${money(t.balance_minor, currency)}`;
}

export function totalOf(terms: OrderTerms): number {
  return terms.lines.reduce((sum, l) => sum + l.quantity * l.unit_price_minor, 0);
}

export type Change = { field: string; before: string; after: string };

/** What differs between two versions' terms, in words a buyer reads. */
export function termsDiff(a: OrderTerms, b: OrderTerms): Change[] {
  const out: Change[] = [];
  const cur = b.currency;
  const push = (field: string, before: string, after: string) => {
    if (before !== after) out.push({ field, before, after });
  };
  const n = Math.max(a.lines.length, b.lines.length);
  for (let i = 0; i < n; i++) {
    const x = a.lines[i];
    const y = b.lines[i];
    const label = `Line ${i + 1}`;
    if (!x || !y) {
      const line = (x ?? y)!;
      const text = `${line.product}: ${line.quantity} ${line.unit} × ${money(line.unit_price_minor, cur)}`;
      push(label, x ? text : "—", y ? text : "—");
      continue;
    }
    push(`${label} product`, x.product, y.product);
    push(`${label} quantity`, `${x.quantity} ${x.unit}`, `${y.quantity} ${y.unit}`);
    push(`${label} unit price`, money(x.unit_price_minor, a.currency), money(y.unit_price_minor, cur));
  }
  push("Total", money(totalOf(a), a.currency), money(totalOf(b), cur));
  push("Currency", a.currency, b.currency);
  push("Incoterm", a.incoterm, b.incoterm);
  push("Shipping method", a.shipping_method, b.shipping_method);
  push("Ship by", a.ship_by, b.ship_by);
  push("Payment terms", paymentTermsText(a.payment_terms, a.currency), paymentTermsText(b.payment_terms, cur));
  push("Remarks", a.remarks, b.remarks);
  push("Documents", `${a.documents.length} file(s)`, `${b.documents.length} file(s)`);
  return out;
}
