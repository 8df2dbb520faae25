// What the order screen derives from an `OrderDetail` before showing it: the supplier's
// latest change, whose confirmation is missing, payment calls still processing, and the
// file transfer that belongs to the order. Pure functions; the rules themselves arrive from Rust in `OrderView`.

import type { OrderDetail } from "./bindings/OrderDetail";
import type { Order } from "./bindings/Order";
import type { OrderVersion } from "./bindings/OrderVersion";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { PaymentStatus } from "./bindings/PaymentStatus";
import type { PendingPaymentCall } from "./bindings/PendingPaymentCall";
import type { Transfer } from "./bindings/Transfer";
import { SHIPPING_METHODS, termsDiff, type Change } from "./orders";

/** Which inline step is open under the actions: a confirmation, a note, or Pay Now. */
export type Step = null | "confirm" | "request_modification" | "cancel" | "confirm_receipt" | "feedback" | "pay";

/** Buyer protection lasts this long after receipt is confirmed. */
export const PROTECTION_DAYS = 30;

/** The payment list's word for each status. */
export const PAYMENT_WORDS: Record<PaymentStatus, string> = {
  processing: "Processing",
  succeeded: "Received",
  declined: "Declined",
  failed: "Failed",
};

/** Whether a dispute step of this order waits among the queued entries. */
export function disputeQueued(queued: OutboxEntry[]): boolean {
  return queued.some((e) => e.mutation.op === "order_step" && e.mutation.action.action === "dispute");
}

export type Modification = {
  at: string;
  changes: Change[];
  /** False once the buyer confirmed after it. */
  current: boolean;
};

/** The supplier's latest modification, against the version before it. */
export function latestModification(history: OrderVersion[]): Modification | null {
  const h = history;
  for (let i = h.length - 1; i > 0; i--) {
    if (h[i].event.action === "modify" && h[i].event.actor === "supplier") {
      const changes = termsDiff(h[i - 1].snapshot.terms, h[i].snapshot.terms);
      const current =
        i === h.length - 1 || !h.slice(i + 1).some((x) => x.event.action === "confirm" && x.event.actor === "buyer");
      return { at: h[i].event.at, changes, current };
    }
  }
  return null;
}

/** Whose confirmation is missing, in words; null unless the order awaits confirmation. */
export function waitingWords(order: Order): string | null {
  if (order.status !== "awaiting_confirmation") return null;
  if (!order.buyer_confirmed && !order.supplier_confirmed) return "Neither you nor the supplier has confirmed yet.";
  if (!order.buyer_confirmed) return "The supplier has confirmed. Your confirmation is missing.";
  return "You have confirmed. The supplier's confirmation is missing.";
}

/**
 * Pay Now calls made here whose outcome has not arrived, other than those whose payment
 * is already listed (that row shows its own status): shown as processing until they
 * resolve, also after a restart.
 */
export function processingCalls(detail: OrderDetail): PendingPaymentCall[] {
  return (detail.pending_payments ?? []).filter(
    (c) => !c.payment_id || !detail.payments.some((p) => p.id === c.payment_id),
  );
}

/** The engine's current transfer when it moves one of this order's files, else null. */
export function transferOf(t: Transfer | null | undefined, order: Order): Transfer | null {
  if (!t) return null;
  const mine = order.terms.documents.includes(t.document) || order.dispute?.evidence.includes(t.document);
  return mine ? t : null;
}

/** A shipping method's label, or its code when unknown. */
export const shippingLabel = (m: string) => SHIPPING_METHODS.find((s) => s.value === m)?.label ?? m;

/** When buyer protection would end if receipt were confirmed at `now` (ms). */
export const protectionEndsAt = (now: number) => new Date(now + PROTECTION_DAYS * 86_400_000).toISOString();
