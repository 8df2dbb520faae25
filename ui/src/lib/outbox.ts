// What an outbox entry is, in words, and which message it belongs to.

import type { MessageId } from "./bindings/MessageId";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import { wordsFor } from "./errors";

function clip(text: string, n = 60): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

const ORDER_ACTIONS: Record<string, string> = {
  confirm: "Confirm order",
  modify: "Modify order",
  request_modification: "Request a modification",
  cancel: "Cancel order",
  begin_payment: "Pay Now",
  ship: "Shipment",
  extend_ship_by: "Extend ship-by date",
  extend_receipt: "Extend receiving time",
  confirm_receipt: "Confirm Receipt",
  leave_feedback: "Feedback",
  dispute: "Dispute",
};

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
      return ORDER_ACTIONS[m.action.action] ?? "Order action";
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
