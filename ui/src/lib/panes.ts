// Where the keyboard focus goes when a shortcut moves it: the panes of the window (the
// navigation, a view's list, its details), marked in the markup with `data-pane`, and a
// view's search box, marked with `data-search`. Hidden views (kept mounted with
// `display: none`) have no boxes and so are skipped.

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

function shown(el: Element): boolean {
  return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
}

/** The panes on screen, in the order they appear. */
function panes(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>("[data-pane]")].filter(shown);
}

/** Puts the focus in a pane: on what it names with `data-pane-focus`, else its list, else
 * its first control, else the pane itself. */
function enter(pane: HTMLElement): boolean {
  const target =
    [...pane.querySelectorAll<HTMLElement>("[data-pane-focus]")].find(shown) ??
    [...pane.querySelectorAll<HTMLElement>('[role="listbox"]')].find(shown) ??
    [...pane.querySelectorAll<HTMLElement>(FOCUSABLE)].find(shown) ??
    pane;
  if (target === pane && !pane.hasAttribute("tabindex")) pane.tabIndex = -1;
  target.focus();
  return document.activeElement === target;
}

/** F6 / Shift+F6: the next (or previous) pane, round the window. */
export function cyclePane(step: 1 | -1) {
  const all = panes();
  if (all.length === 0) return;
  const here = all.findIndex((p) => p.contains(document.activeElement));
  const start = here < 0 ? (step === 1 ? -1 : 0) : here;
  for (let k = 1; k <= all.length; k++) {
    const next = all[(start + step * k + all.length * k) % all.length];
    if (enter(next)) return;
  }
}

/** The shown view's list (or its first pane: the page): after switching views. */
export function focusView() {
  const all = panes();
  const first = all.find((p) => p.dataset.pane === "list") ?? all.find((p) => p.dataset.pane !== "nav");
  if (first) enter(first);
}

/** The shown view's search box, its text selected. False if the view has none. */
export function focusSearch(): boolean {
  const input = [...document.querySelectorAll<HTMLInputElement>("[data-search]")].find(shown);
  if (!input || input.disabled) return false;
  input.focus();
  input.select();
  return true;
}

/** Keeps the keyboard in the window's panes: when the focused control is taken away (a
 * step closes, a form is submitted, Pay Now takes the order's place), the focus goes into
 * the pane it was in instead of falling back to the page, where the next Tab would start
 * over from the sidebar. When it is moved (a list re-sorted under it: a comparison's rows
 * re-ranked while the buyer types in one), WebKit drops the focus without a blur; the
 * control gets it back where it now is, its text selection as it was, so typing goes on
 * in it. A click that leaves the focus on the page is left alone: the control it left is
 * still there. Returns the disposer. */
export function keepFocusInPanes(root: HTMLElement): () => void {
  let last: HTMLElement | null = null;
  let lastPane: HTMLElement | null = null;
  // The focus left `last` for the page (a click on no control, the window put behind):
  // not taken from it by a move.
  let left = false;
  const onfocusin = (e: FocusEvent) => {
    last = e.target instanceof HTMLElement ? e.target : null;
    lastPane = last?.closest<HTMLElement>("[data-pane]") ?? null;
    left = false;
  };
  const onfocusout = (e: FocusEvent) => {
    // A blur some engines send while moving the element finds it out of the document.
    if (last !== null && e.target === last && last.isConnected) left = true;
  };
  const observer = new MutationObserver(() => {
    if (!last) return;
    const active = document.activeElement;
    if (active && active !== document.body) return;
    if (last.isConnected) {
      if (!left && shown(last)) refocus(last);
      return;
    }
    const pane = lastPane;
    last = null;
    lastPane = null;
    if (pane?.isConnected && shown(pane)) enter(pane);
  });
  document.addEventListener("focusin", onfocusin);
  document.addEventListener("focusout", onfocusout);
  observer.observe(root, { childList: true, subtree: true });
  return () => {
    observer.disconnect();
    document.removeEventListener("focusin", onfocusin);
    document.removeEventListener("focusout", onfocusout);
  };
}

/** Focuses `el` again with the text selection it had (kept by the element while it had
 * no focus; focusing alone may select all of it). */
function refocus(el: HTMLElement) {
  const text = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ? el : null;
  // Null for the input types without a text selection (checkboxes, numbers).
  const start = text?.selectionStart ?? null;
  const end = text?.selectionEnd ?? null;
  const direction = text?.selectionDirection ?? undefined;
  el.focus();
  if (text && start !== null && end !== null) text.setSelectionRange(start, end, direction);
}
