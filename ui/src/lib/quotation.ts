// A supplier's quotation as the thread's card shows it. Amounts stay in minor units
// (money.ts formats them); whether it has expired comes from Rust with the thread
// (`ThreadMessage.quotation_expired`, today as a UTC date), not from this machine's
// local date.

import type { PriceTier } from "./bindings/PriceTier";
import type { Quotation } from "./bindings/Quotation";
import { count } from "./format";
import { money } from "./money";

export type TierRow = {
  /** "300–999" or, for the last tier, "5,000+" (pieces). */
  quantity: string;
  /** "USD 6.05". */
  unitPrice: string;
  tier: PriceTier;
};

/** Each tier with the quantities it prices (up to the next tier's minimum). */
export function tierRows(q: Pick<Quotation, "tiers" | "currency">): TierRow[] {
  return q.tiers.map((tier, i) => {
    const next = q.tiers[i + 1];
    const quantity = next
      ? next.min_quantity - 1 > tier.min_quantity
        ? `${count(tier.min_quantity)}–${count(next.min_quantity - 1)}`
        : count(tier.min_quantity)
      : `${count(tier.min_quantity)}+`;
    return { quantity, unitPrice: money(tier.unit_price_minor, q.currency), tier };
  });
}

/** "Free sample", "USD 15.00", or null when no sample is offered. */
export function samplePrice(q: Pick<Quotation, "sample_price_minor" | "currency">): string | null {
  if (q.sample_price_minor === null) return null;
  return q.sample_price_minor === 0 ? "Free" : money(q.sample_price_minor, q.currency);
}
