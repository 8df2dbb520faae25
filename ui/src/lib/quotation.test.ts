import { describe, expect, it } from "vitest";

import { calendarDate } from "./format";
import { samplePrice, tierRows } from "./quotation";

describe("quotation card", () => {
  const q = {
    currency: "USD",
    tiers: [
      { min_quantity: 300, unit_price_minor: 605 },
      { min_quantity: 1000, unit_price_minor: 580 },
      { min_quantity: 1001, unit_price_minor: 579 },
      { min_quantity: 5000, unit_price_minor: 512345 },
    ],
  };

  it("shows each tier's quantities and its unit price from minor units", () => {
    expect(tierRows(q).map((r) => [r.quantity, r.unitPrice])).toEqual([
      ["300–999", "USD 6.05"],
      ["1,000", "USD 5.80"],
      ["1,001–4,999", "USD 5.79"],
      ["5,000+", "USD 5,123.45"],
    ]);
  });

  it("uses the currency's own minor units", () => {
    const yen = { currency: "JPY", tiers: [{ min_quantity: 10, unit_price_minor: 1200 }] };
    expect(tierRows(yen)[0].unitPrice).toBe("JPY 1,200");
  });

  it("names a free sample, a priced one, and none", () => {
    expect(samplePrice({ currency: "USD", sample_price_minor: 0 })).toBe("Free");
    expect(samplePrice({ currency: "USD", sample_price_minor: 1500 })).toBe("USD 15.00");
    expect(samplePrice({ currency: "USD", sample_price_minor: null })).toBeNull();
  });

  it("shows a valid-until date as that UTC date", () => {
    const shown = calendarDate("2026-07-31");
    expect(shown).toContain("31");
    expect(shown).toContain("2026");
    expect(shown).not.toContain("30");
    expect(calendarDate("2026-01-01")).toContain("2026");
    expect(calendarDate("not a date")).toBe("not a date");
  });
});
