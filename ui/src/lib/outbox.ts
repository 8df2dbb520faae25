// What an outbox entry is, in words, and which message it belongs to.

import type { MessageId } from "./bindings/MessageId";
import type { OrderAction } from "./bindings/OrderAction";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import { wordsFor } from "./errors";

function clip(text: string, n = 60): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** An order step, in the words of the button that made it. */
export function orderStepWords(a: OrderAction): string {
  switch (a.action) {
    case "confirm":
      return "Confirm Order";
    case "modify":
      return "Order changed";
    case "request_modification":
      return "Request Modification";
    case "cancel":
      return "Cancel Order";
    case "begin_payment":
      return "Pay Now";
    case "ship":
      return "Shipment";
    case "extend_ship_by":
      return "Extend ship-by date";
    case "extend_receipt":
      return "Extend receiving time";
    case "confirm_receipt":
      return "Confirm Receipt";
    case "leave_feedback":
      return "Feedback";
    case "dispute":
      switch (a.step) {
        case "file":
          return "File dispute";
        case "escalate":
          return "Escalate dispute";
        case "withdraw":
          return "Withdraw dispute";
        case "accept_proposal":
          return "Accept proposal";
        default:
          return "Dispute";
      }
    default:
      return "Order action";
  }
}

/** What an outbox entry does, in words (the status bar's outbox, the order screen's
 *  queued and refused actions). */
export function describeEntry(entry: OutboxEntry): string {
  const m = entry.mutation;
  switch (m.op) {
    case "open_inquiry":
      return `New inquiry: ${clip(m.product, 40)}`;
    case "send_message":
      return `Message: “${clip(m.body)}”`;
    case "mark_read":
      return "Marking messages as read";
    case "submit_order":
      return "Order submission";
    case "order_step":
      return orderStepWords(m.action);
  }
}

/** The chat message an entry sends, if it sends one. */
export function messageOf(entry: OutboxEntry): MessageId | null {
  const m = entry.mutation;
  return m.op === "send_message" || m.op === "open_inquiry" ? m.message : null;
}

export function failureWords(entry: OutboxEntry): string {
  return wordsFor(entry.error_code, entry.error_message ?? "The server refused this.");
}
