// Every keyboard shortcut of the app, in one table: the shortcut sheet (press ?) shows it,
// the README's "Keyboard" section repeats it (a Vitest keeps the two equal), and the
// window-wide ones are matched from it (`globalShortcut`). Shortcuts that belong to one
// control (the lists' arrows, Enter in the message box) are handled by that control and
// only listed here.

export type GlobalAction =
  | "inbox"
  | "orders"
  | "compare"
  | "settings"
  | "help"
  | "search"
  | "new-order"
  | "next-pane"
  | "previous-pane"
  | "sheet";

/** One key combination: modifiers and the key as `KeyboardEvent.key` names it. */
export interface Combo {
  ctrl?: boolean;
  shift?: boolean;
  alt?: boolean;
  key: string;
}

export interface Shortcut {
  /** As shown: each string is one key cap; alternatives are separate entries in `combos`. */
  combos: Combo[];
  does: string;
  /** Set for the window-wide ones, which `globalShortcut` finds. */
  action?: GlobalAction;
}

export interface ShortcutGroup {
  title: string;
  items: Shortcut[];
}

export const SHORTCUTS: ShortcutGroup[] = [
  {
    title: "Anywhere",
    items: [
      { combos: [{ ctrl: true, key: "1" }], does: "Inbox", action: "inbox" },
      { combos: [{ ctrl: true, key: "2" }], does: "Orders", action: "orders" },
      { combos: [{ ctrl: true, key: "3" }], does: "Compare quotes", action: "compare" },
      { combos: [{ ctrl: true, key: "," }], does: "Settings", action: "settings" },
      { combos: [{ key: "F1" }], does: "Help", action: "help" },
      {
        combos: [{ key: "/" }, { ctrl: true, key: "f" }],
        does: "Search the inbox or the orders",
        action: "search",
      },
      {
        combos: [{ ctrl: true, key: "n" }],
        does: "Place Order Online (from the open inquiry, if any)",
        action: "new-order",
      },
      {
        combos: [{ key: "F6" }],
        does: "Move to the next pane (navigation, list, details)",
        action: "next-pane",
      },
      {
        combos: [{ shift: true, key: "F6" }],
        does: "Move to the previous pane",
        action: "previous-pane",
      },
      { combos: [{ key: "?" }], does: "Show these shortcuts", action: "sheet" },
      { combos: [{ key: "Escape" }], does: "Close a dialog, clear a search" },
    ],
  },
  {
    title: "Inquiry and order lists",
    items: [
      { combos: [{ key: "ArrowUp" }, { key: "ArrowDown" }], does: "Previous or next" },
      { combos: [{ key: "PageUp" }, { key: "PageDown" }], does: "A page up or down (inbox)" },
      { combos: [{ key: "Home" }, { key: "End" }], does: "First or last (inbox)" },
      { combos: [{ key: "Enter" }], does: "Open the inquiry; from a search, open the first result" },
    ],
  },
  {
    title: "Conversation",
    items: [
      { combos: [{ key: "Enter" }], does: "Send the message" },
      { combos: [{ shift: true, key: "Enter" }], does: "New line in the message" },
    ],
  },
  {
    title: "Forms and dialogs",
    items: [
      { combos: [{ key: "Tab" }, { shift: true, key: "Tab" }], does: "Next or previous field or button" },
      { combos: [{ key: "Enter" }, { key: " " }], does: "Press the focused button" },
      { combos: [{ key: "ArrowUp" }, { key: "ArrowDown" }], does: "Change a choice (payment method, reason)" },
    ],
  },
];

/** The names key caps carry on screen (and in the README). */
const CAPS: Record<string, string> = {
  ArrowUp: "↑",
  ArrowDown: "↓",
  ArrowLeft: "←",
  ArrowRight: "→",
  Escape: "Esc",
  " ": "Space",
  PageUp: "Page Up",
  PageDown: "Page Down",
};

/** The key caps of one combination, in the order they are held: `["Ctrl", "N"]`. */
export function caps(combo: Combo): string[] {
  const out: string[] = [];
  if (combo.ctrl) out.push("Ctrl");
  if (combo.alt) out.push("Alt");
  if (combo.shift) out.push("Shift");
  const key = CAPS[combo.key] ?? (combo.key.length === 1 ? combo.key.toUpperCase() : combo.key);
  out.push(key);
  return out;
}

/** A combination as one line of text: `Ctrl+N`. */
export function comboText(combo: Combo): string {
  return caps(combo).join("+");
}

/** Whether the event's target takes typed text (then single keys like `/` and `?` are
 * text, not shortcuts). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  if (el.isContentEditable) return true;
  if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  if (el.tagName !== "INPUT") return false;
  const type = (el as HTMLInputElement).type;
  return !["button", "checkbox", "radio", "submit", "reset", "file", "range", "color"].includes(type);
}

function matches(e: KeyboardEvent, c: Combo): boolean {
  if (e.ctrlKey !== !!c.ctrl || e.altKey !== !!c.alt || e.metaKey) return false;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  // A printed character already carries its Shift ("?" is Shift+/ on most layouts):
  // Shift is compared only for the named keys.
  if (c.key.length > 1 && e.shiftKey !== !!c.shift) return false;
  return key === c.key;
}

/** The window-wide action this key press asks for, if any. */
export function globalShortcut(e: KeyboardEvent): GlobalAction | null {
  if (e.isComposing) return null;
  const typing = isTyping(e.target);
  for (const group of SHORTCUTS) {
    for (const s of group.items) {
      if (!s.action) continue;
      // In a text field a plain character is text: only chords and named keys (F1, F6)
      // act there.
      const hit = s.combos.some((c) => (!typing || c.ctrl || c.key.length > 1) && matches(e, c));
      if (hit) return s.action;
    }
  }
  return null;
}

/** The sheet as Markdown table rows (`| keys | what it does |`), one group after another
 * under `### title`: what the README's "Keyboard" section holds. */
export function sheetMarkdown(): string {
  const lines: string[] = [];
  for (const group of SHORTCUTS) {
    lines.push(`### ${group.title}`, "", "| Keys | Action |", "|---|---|");
    for (const s of group.items) {
      const keys = s.combos.map((c) => caps(c).map((k) => `<kbd>${k}</kbd>`).join("+")).join(" or ");
      lines.push(`| ${keys} | ${s.does} |`);
    }
    lines.push("");
  }
  return lines.join("\n").trimEnd() + "\n";
}
