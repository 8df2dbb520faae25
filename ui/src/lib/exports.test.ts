import { describe, expect, it } from "vitest";

import { savedText } from "./exports";

describe("exports", () => {
  it("says how many rows went to which file, by its name alone", () => {
    const done = { path: "/home/ann/Documents/orders-2026-12-04.xlsx", file_name: "orders-2026-12-04.xlsx", rows: 1234 };
    expect(savedText(done, "order", "orders")).toBe("Saved 1,234 orders to orders-2026-12-04.xlsx");
    expect(savedText({ ...done, rows: 1 }, "order", "orders")).toBe("Saved 1 order to orders-2026-12-04.xlsx");
    expect(savedText({ ...done, rows: 0 }, "payment", "payments")).toBe("Saved 0 payments to orders-2026-12-04.xlsx");
  });

  it("keeps a file name that looks like markup as text", () => {
    const done = { path: "/tmp/<b>x</b>.csv", file_name: "<b>x</b>.csv", rows: 2 };
    expect(savedText(done, "row", "rows")).toBe("Saved 2 rows to <b>x</b>.csv");
  });
});
