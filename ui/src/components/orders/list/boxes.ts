// The boxes of the orders screen's left column: the server's boxes (with the seed's
// labels and counts), plus all orders and the drafts kept on this computer.

import type { BoxCount } from "../../../lib/bindings/BoxCount";
import type { OrderBox } from "../../../lib/bindings/OrderBox";
import type { Tone } from "../../parts/Badge.svelte";

/** A box of the list: one of the server's, all orders, or the local drafts. */
export type Shown = OrderBox | "all" | "drafts";

/** The boxes in the order they are listed. */
export const BOXES: Shown[] = [
  "all",
  "waiting_for_me",
  "waiting_for_partner",
  "ordered",
  "awaiting_shipment",
  "shipped",
  "completed",
  "in_dispute",
  "cancelled",
  "drafts",
];

export function boxLabel(box: Shown, counts: BoxCount[]): string {
  if (box === "all") return "All orders";
  if (box === "drafts") return "Drafts";
  return counts.find((c) => c.box === box)?.label ?? box;
}

/** How many orders are in `box`; all orders are the server boxes' sum. */
export function boxCount(box: Shown, counts: BoxCount[], drafts: number): number {
  if (box === "all") return counts.reduce((n, c) => n + c.count, 0);
  if (box === "drafts") return drafts;
  return counts.find((c) => c.box === box)?.count ?? 0;
}

/** The colour of an order's status: what needs the buyer, a dispute, a completed order. */
export function boxTone(box: OrderBox): Tone {
  switch (box) {
    case "waiting_for_me":
    case "ordered":
      return "accent";
    case "in_dispute":
      return "bad";
    case "completed":
      return "ok";
    default:
      return "plain";
  }
}
