import { describe, expect, it } from "vitest";

import { amount, editable, exponent, money, parseAmount } from "./money";

describe("money", () => {
  it("formats minor units with the currency's exponent", () => {
    expect(money(1234560, "USD")).toBe("USD 12,345.60");
    expect(money(5, "USD")).toBe("USD 0.05");
    expect(money(-250, "EUR")).toBe("EUR -2.50");
    expect(money(1250000, "JPY")).toBe("JPY 1,250,000");
    expect(money(1500, "KWD")).toBe("KWD 1.500");
    expect(amount(0, "VND")).toBe("0");
  });

  it("parses what a buyer types exactly, without floating point", () => {
    expect(parseAmount("1,234.5", "USD")).toBe(123450);
    expect(parseAmount(" 12 ", "USD")).toBe(1200);
    expect(parseAmount("0.1", "USD")).toBe(10);
    expect(parseAmount("1.005", "KWD")).toBe(1005);
    // 0.1 + 0.2 in floating point is not 0.3; here it is 30 cents.
    expect(parseAmount("0.3", "USD")).toBe(30);
  });

  it("refuses what is not an amount of that currency", () => {
    for (const text of ["", "abc", "-1", "1.2.3", "1e5", "12.345"]) {
      expect(parseAmount(text, "USD"), text).toBeNull();
    }
    expect(parseAmount("1.5", "JPY")).toBeNull();
    expect(parseAmount("99999999999999999999", "USD")).toBeNull();
  });

  it("gives back an editable text that parses to the same amount", () => {
    for (const [minor, currency] of [
      [123450, "USD"],
      [7, "EUR"],
      [1250000, "JPY"],
      [1005, "KWD"],
    ] as const) {
      expect(parseAmount(editable(minor, currency), currency)).toBe(minor);
    }
    expect(exponent("XXX")).toBe(2);
  });
});
