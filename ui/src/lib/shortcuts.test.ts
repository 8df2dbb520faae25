import { describe, expect, it } from "vitest";

import readme from "../../../README.md?raw";
import { SHORTCUTS, comboText, globalShortcut, sheetMarkdown } from "./shortcuts";

/** A key press as the webview reports it, from an element with this tag (and input type). */
function press(key: string, mods: { ctrl?: boolean; shift?: boolean; alt?: boolean } = {}, on = "DIV", type = "") {
  const target = { tagName: on, isContentEditable: false, type } as unknown as EventTarget;
  return {
    key,
    ctrlKey: !!mods.ctrl,
    shiftKey: !!mods.shift,
    altKey: !!mods.alt,
    metaKey: false,
    isComposing: false,
    target,
  } as unknown as KeyboardEvent;
}

describe("the shortcut sheet", () => {
  it("is what the README's Keyboard section lists, row for row", () => {
    const start = readme.indexOf("<!-- shortcuts:start -->");
    const end = readme.indexOf("<!-- shortcuts:end -->");
    expect(start, "the README marks its shortcut table").toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const inReadme = readme.slice(start + "<!-- shortcuts:start -->".length, end).trim() + "\n";
    expect(inReadme).toBe(sheetMarkdown());
  });

  it("names no key combination twice for two different things in one place", () => {
    for (const group of SHORTCUTS) {
      const seen = new Map<string, string>();
      for (const s of group.items) {
        for (const c of s.combos) {
          const k = comboText(c);
          expect(seen.get(k) ?? s.does, `${k} in ${group.title}`).toBe(s.does);
          seen.set(k, s.does);
        }
      }
    }
  });
});

describe("window-wide shortcuts", () => {
  it("find every action they list", () => {
    expect(globalShortcut(press("1", { ctrl: true }))).toBe("inbox");
    expect(globalShortcut(press("2", { ctrl: true }))).toBe("orders");
    expect(globalShortcut(press("3", { ctrl: true }))).toBe("compare");
    expect(globalShortcut(press(",", { ctrl: true }))).toBe("settings");
    expect(globalShortcut(press("F1"))).toBe("help");
    expect(globalShortcut(press("/"))).toBe("search");
    expect(globalShortcut(press("f", { ctrl: true }))).toBe("search");
    expect(globalShortcut(press("n", { ctrl: true }))).toBe("new-order");
    expect(globalShortcut(press("F6"))).toBe("next-pane");
    expect(globalShortcut(press("F6", { shift: true }))).toBe("previous-pane");
    expect(globalShortcut(press("?", { shift: true }))).toBe("sheet");
  });

  it("leave typed characters to a text field but still take chords and F keys there", () => {
    for (const [tag, type] of [
      ["TEXTAREA", ""],
      ["INPUT", "text"],
      ["INPUT", "number"],
    ]) {
      expect(globalShortcut(press("/", {}, tag, type)), tag).toBe(null);
      expect(globalShortcut(press("?", { shift: true }, tag, type)), tag).toBe(null);
      expect(globalShortcut(press("2", { ctrl: true }, tag, type)), tag).toBe("orders");
      expect(globalShortcut(press("F6", {}, tag, type)), tag).toBe("next-pane");
    }
    // A radio button or a button takes no text: "/" searches from there.
    expect(globalShortcut(press("/", {}, "INPUT", "radio"))).toBe("search");
    expect(globalShortcut(press("/", {}, "BUTTON"))).toBe("search");
  });

  it("ignore keys with modifiers they do not name", () => {
    expect(globalShortcut(press("1"))).toBe(null);
    expect(globalShortcut(press("1", { ctrl: true, alt: true }))).toBe(null);
    expect(globalShortcut(press("/", { alt: true }))).toBe(null);
    expect(globalShortcut(press("x"))).toBe(null);
  });
});
