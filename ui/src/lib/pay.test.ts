import { describe, expect, it } from "vitest";

import {
  brandOf,
  cardDetailsOf,
  cardProblems,
  fullYear,
  regroupCardNumber,
  type CardEntry,
} from "./pay";

const good: CardEntry = {
  digits: "4242424242424242",
  expMonth: "12",
  expYear: "34",
  cvc: "123",
  holder: "Anna Keller",
};
const now = new Date(2026, 11, 3);

describe("the card form's checks", () => {
  it("accepts a card the rules accept", () => {
    expect(cardProblems(good, [], now)).toEqual({});
  });

  it("says what trade-model's card rules found, by field", () => {
    expect(cardProblems(good, ["number"], now).number).toMatch(/not valid/);
    expect(cardProblems(good, ["expired"], now).expiry).toBe("This card has expired.");
    expect(cardProblems(good, ["cvc"], now).cvc).toMatch(/3 or 4 digits/);
    expect(cardProblems({ ...good, holder: "  " }, ["holder"], now).holder).toMatch(/name/);
    expect(Object.keys(cardProblems(good, ["number", "expired", "cvc", "holder"], now))).toEqual([
      "number",
      "expiry",
      "cvc",
      "holder",
    ]);
  });

  it("shows no rule's problem before the rules have answered", () => {
    expect(cardProblems(good, null, now)).toEqual({});
  });

  it("asks for what is missing, whatever the rules said", () => {
    const empty = { digits: "", expMonth: "", expYear: "", cvc: "", holder: "" };
    const problems = cardProblems(empty, ["number", "expired", "cvc", "holder"], now);
    expect(problems.number).toBe("Enter the card number.");
    expect(problems.expiry).toBe("Enter the expiry month and year.");
    expect(problems.cvc).toBe("Enter the security code.");
  });

  it("reads the expiry as typed: a month, a year of two or four digits, not far off", () => {
    expect(cardProblems({ ...good, expMonth: "13" }, [], now).expiry).toMatch(/01 to 12/);
    expect(cardProblems({ ...good, expYear: "3" }, [], now).expiry).toMatch(/two digits/);
    expect(cardProblems({ ...good, expYear: "2099" }, [], now).expiry).toMatch(/Check the expiry/);
    expect(fullYear("30")).toBe(2030);
    expect(fullYear("2030")).toBe(2030);
    expect(fullYear("3")).toBeNull();
  });

  it("sends the entries as the card details the rules check", () => {
    expect(cardDetailsOf({ ...good, expMonth: "07", expYear: "29", holder: " Anna Keller " })).toEqual({
      number: "4242424242424242",
      exp_month: 7,
      exp_year: 2029,
      cvc: "123",
      holder: "Anna Keller",
    });
  });

  it("groups the number as typed and keeps the caret after the same digit", () => {
    expect(regroupCardNumber("42424242", 8)).toEqual({ text: "4242 4242", caret: 9 });
    expect(regroupCardNumber("4242 42424", 4)).toEqual({ text: "4242 4242 4", caret: 4 });
    expect(regroupCardNumber("378282246310005", 15).text).toBe("3782 822463 10005");
    expect(regroupCardNumber("4".repeat(25), 25).text.replace(/ /g, "")).toHaveLength(19);
    expect(brandOf("3782")).toBe("American Express");
    expect(brandOf("9999")).toBeNull();
  });
});
