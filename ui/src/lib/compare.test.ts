import { describe, expect, it } from "vitest";

import {
  COLUMNS,
  DEFAULT_SORT,
  ariaSort,
  dutyText,
  nextSort,
  parseDays,
  parsePercent,
  percentText,
  problemText,
  replyTime,
  sameEstimates,
  sameTerms,
  supplierLabel,
  yearsText,
} from "./compare";

const column = (key: string) => {
  const c = COLUMNS.find((c) => c.key === key);
  if (!c) throw new Error(key);
  return c;
};

describe("comparison sorting", () => {
  it("opens cheapest delivered first", () => {
    expect(DEFAULT_SORT).toEqual({ column: "landed_per_unit", direction: "ascending" });
    expect(ariaSort(DEFAULT_SORT, "landed_per_unit")).toBe("ascending");
    expect(ariaSort(DEFAULT_SORT, "freight")).toBe("none");
  });

  it("turns the same column around and sorts another its own first way", () => {
    const down = nextSort(DEFAULT_SORT, column("landed_per_unit"));
    expect(down).toEqual({ column: "landed_per_unit", direction: "descending" });
    expect(nextSort(down, column("landed_per_unit")).direction).toBe("ascending");
    expect(nextSort(down, column("completed_orders"))).toEqual({
      column: "completed_orders",
      direction: "descending",
    });
    expect(nextSort(down, column("freight"))).toEqual({ column: "freight", direction: "ascending" });
  });

  it("has one header for each column, none twice", () => {
    const keys = COLUMNS.map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("landed_per_unit");
    expect(keys).toContain("disputes_lost");
  });
});

describe("what the buyer types", () => {
  it("reads percentages exactly, in basis points", () => {
    expect(parsePercent("6.5")).toBe(650);
    expect(parsePercent("6,5")).toBe(650);
    expect(parsePercent(" 12 % ")).toBe(1200);
    expect(parsePercent("0.01")).toBe(1);
    expect(parsePercent("5.")).toBe(500);
    expect(parsePercent("0")).toBe(0);
    // 0.1 + 0.2 style float trouble cannot happen: digits are joined, not multiplied.
    expect(parsePercent("0.29")).toBe(29);
    for (const bad of ["", "-1", "6.555", "abc", "1e3", ".5"]) {
      expect(parsePercent(bad), bad).toBeNull();
    }
  });

  it("writes basis points back as typed", () => {
    expect(percentText(650)).toBe("6.5");
    expect(percentText(500)).toBe("5");
    expect(percentText(1)).toBe("0.01");
    expect(percentText(0)).toBe("0");
    expect(percentText(100_000)).toBe("1000");
    for (const bp of [1, 29, 650, 1234, 99_999]) {
      expect(parsePercent(percentText(bp))).toBe(bp);
    }
  });

  it("reads transit days from 0 to 365, empty as no estimate", () => {
    expect(parseDays("30")).toBe(30);
    expect(parseDays(" 0 ")).toBe(0);
    expect(parseDays("")).toBeNull();
    expect(parseDays("366")).toBeUndefined();
    expect(parseDays("2.5")).toBeUndefined();
    expect(parseDays("-3")).toBeUndefined();
  });
});

describe("words", () => {
  it("names each pricing problem", () => {
    expect(problemText({ kind: "missing_rate", currency: "GBP" })).toBe(
      "No exchange rate for GBP in the rate table",
    );
    expect(problemText({ kind: "below_moq", quantity: 400, moq: 1000 })).toBe(
      "400 is below the minimum order of 1,000",
    );
    expect(problemText({ kind: "overflow" })).toBe("Too large to compute");
  });

  it("words duties, reply times, years and suppliers", () => {
    expect(dutyText({ kind: "percent", basis_points: 650 })).toBe("6.5 %");
    expect(dutyText({ kind: "amount", amount: { minor: 12000, currency: "EUR" } })).toBe("EUR 120.00");
    expect(replyTime(null)).toBe("No replies yet");
    expect(replyTime(20)).toBe("1 min");
    expect(replyTime(45 * 60)).toBe("45 min");
    expect(replyTime(3 * 3600)).toBe("3 h");
    expect(replyTime(5 * 86_400)).toBe("5 days");
    expect(yearsText(0)).toBe("Less than a year");
    expect(yearsText(1)).toBe("1 year");
    expect(yearsText(4)).toBe("4 years");
    expect(supplierLabel({ supplier_company: "Ningbo Valves", supplier_name: "Li" })).toBe("Ningbo Valves");
    expect(supplierLabel({ supplier_company: "", supplier_name: "Li" })).toBe("Li");
  });
});

describe("sameEstimates", () => {
  const base = {
    freight: { minor: 95_000, currency: "USD" },
    duty: { kind: "percent", basis_points: 300 },
    transit_days: 12,
  } as const;
  it("is the same whatever the order of the fields", () => {
    const reordered = {
      transit_days: 12,
      duty: { basis_points: 300, kind: "percent" },
      freight: { currency: "USD", minor: 95_000 },
    } as const;
    expect(sameEstimates(base, reordered)).toBe(true);
  });
  it("tells every field apart", () => {
    expect(sameEstimates(base, { ...base, freight: { minor: 95_001, currency: "USD" } })).toBe(false);
    expect(sameEstimates(base, { ...base, freight: { minor: 95_000, currency: "EUR" } })).toBe(false);
    expect(sameEstimates(base, { ...base, duty: { kind: "percent", basis_points: 0 } })).toBe(false);
    expect(
      sameEstimates(base, { ...base, duty: { kind: "amount", amount: { minor: 300, currency: "USD" } } }),
    ).toBe(false);
    expect(sameEstimates(base, { ...base, transit_days: null })).toBe(false);
    const fixed = { ...base, duty: { kind: "amount", amount: { minor: 300, currency: "USD" } } } as const;
    expect(sameEstimates(fixed, fixed)).toBe(true);
    expect(sameEstimates(fixed, { ...fixed, duty: { kind: "amount", amount: { minor: 300, currency: "EUR" } } })).toBe(
      false,
    );
  });
});

describe("sameTerms", () => {
  const terms = { name: "Steel bottle", quantity: 2_000, currency: "USD" } as const;
  it("tells every term apart", () => {
    expect(sameTerms(terms, { ...terms })).toBe(true);
    expect(sameTerms(terms, { ...terms, name: "Steel bottles" })).toBe(false);
    expect(sameTerms(terms, { ...terms, quantity: 2_001 })).toBe(false);
    expect(sameTerms(terms, { ...terms, currency: "EUR" })).toBe(false);
  });
});
