import { describe, expect, it } from "vitest";

import { brandOf, cardProblems, fullYear, regroupCardNumber, type CardEntry } from "./pay";

const good: CardEntry = {
  digits: "4242424242424242",
  expMonth: "12",
  expYear: "34",
  cvc: "123",
  holder: "Anna Keller",
};
const now = new Date(2026, 11, 3);

describe("the card form's checks", () => {
  it("accepts a valid card", () => {
    expect(cardProblems(good, now)).toEqual({});
  });

  it("refuses a number that fails the check digit or has the wrong length", () => {
    expect(cardProblems({ ...good, digits: "4242424242424241" }, now).number).toMatch(/not valid/);
    expect(cardProblems({ ...good, digits: "42424242" }, now).number).toMatch(/not valid/);
    expect(cardProblems({ ...good, digits: "" }, now).number).toBe("Enter the card number.");
  });

  it("refuses a past, impossible or far-off expiry", () => {
    expect(cardProblems({ ...good, expMonth: "11", expYear: "26" }, now).expiry).toBe(
      "This card has expired.",
    );
    expect(cardProblems({ ...good, expMonth: "12", expYear: "26" }, now).expiry).toBeUndefined();
    expect(cardProblems({ ...good, expMonth: "13" }, now).expiry).toMatch(/01 to 12/);
    expect(cardProblems({ ...good, expYear: "2099" }, now).expiry).toMatch(/Check the expiry/);
    expect(fullYear("30")).toBe(2030);
    expect(fullYear("3")).toBeNull();
  });

  it("asks for the security code and the name", () => {
    expect(cardProblems({ ...good, cvc: "12" }, now).cvc).toMatch(/3 or 4 digits/);
    expect(cardProblems({ ...good, holder: "  " }, now).holder).toMatch(/name/);
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
