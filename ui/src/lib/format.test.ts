import { describe, expect, it } from "vitest";

import {
  fileNameOf,
  fileSize,
  hue,
  initials,
  recordsDone,
  sameDay,
  snippetSegments,
} from "./format";

describe("format", () => {
  it("splits search snippets into text parts, markup-looking text included", () => {
    expect(snippetSegments("price of [bamboo] boards")).toEqual([
      { text: "price of ", match: false },
      { text: "bamboo", match: true },
      { text: " boards", match: false },
    ]);
    // Text that looks like HTML stays text (the parts are rendered as text nodes).
    expect(snippetSegments("<img src=x onerror=alert(1)> [x]")).toEqual([
      { text: "<img src=x onerror=alert(1)> ", match: false },
      { text: "x", match: true },
    ]);
  });

  it("counts a sync's records, with or without a known total", () => {
    expect(recordsDone(1200, 3400)).toBe("1,200 of 3,400 records");
    expect(recordsDone(7, null)).toBe("7 records");
  });

  it("writes file sizes as people read them", () => {
    expect(fileSize(512)).toBe("512 B");
    expect(fileSize(1536)).toBe("1.5 KB");
    expect(fileSize(25 * 1024 * 1024)).toBe("25 MB");
  });

  it("makes avatar initials and a stable colour from a name", () => {
    expect(initials("Li Wei")).toBe("LW");
    expect(initials("  anna  ")).toBe("A");
    expect(initials("")).toBe("?");
    expect(initials("王 小明")).toBe("王小");
    expect(hue("Ningbo Bamboo Co.")).toBe(hue("Ningbo Bamboo Co."));
    expect(hue("x")).toBeGreaterThanOrEqual(0);
    expect(hue("x")).toBeLessThan(8);
  });

  it("compares days and names files from paths", () => {
    expect(sameDay("2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z")).toBe(true);
    expect(sameDay("2026-12-03T08:00:00Z", "not a date")).toBe(false);
    expect(fileNameOf("/home/anna/contracts/PI-118.pdf")).toBe("PI-118.pdf");
  });
});
