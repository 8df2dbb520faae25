// Formatting for display: times, counts, sizes, and search snippets. Pure functions.

/** A formatter made on first use, not as the module loads: each one costs the start
 *  ICU work, and most are for screens after the first. */
function onFirstUse<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

const numbers = onFirstUse(() => new Intl.NumberFormat("en-US"));
const timeOfDay = onFirstUse(
  () => new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" }),
);
const weekday = onFirstUse(() => new Intl.DateTimeFormat(undefined, { weekday: "short" }));
const dayMonth = onFirstUse(
  () => new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" }),
);
const fullDate = onFirstUse(() => new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
}));
const longDateTime = onFirstUse(() => new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "numeric",
  minute: "2-digit",
}));

/** Makes the inbox's time formatter now: the first formatter in a page loads ICU's data
 *  (about 10 ms), which a start can do while it waits for the launch's answer instead of
 *  while it draws the inbox's rows. */
export function prepareTimeFormat(): void {
  timeOfDay();
}

export const count = (n: number) => numbers().format(n);

/** A sync's progress: "1,200 of 3,400 records", or "1,200 records" while the total is not known. */
export function recordsDone(done: number, total: number | null): string {
  return total !== null ? `${count(done)} of ${count(total)} records` : `${count(done)} records`;
}

function parse(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Inbox style: "14:32" today, "Yesterday", "Tue" this week, "12 Mar", "12 Mar 2023". */
export function shortTime(iso: string, now = new Date()): string {
  const d = parse(iso);
  if (!d) return "";
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86_400_000);
  if (days <= 0) return timeOfDay().format(d);
  if (days === 1) return "Yesterday";
  if (days < 7) return weekday().format(d);
  if (d.getFullYear() === now.getFullYear()) return dayMonth().format(d);
  return fullDate().format(d);
}

/** Thread style: "14:32", or "12 Mar, 14:32" on another day. */
export function messageTime(iso: string, now = new Date()): string {
  const d = parse(iso);
  if (!d) return "";
  if (startOfDay(d) === startOfDay(now)) return timeOfDay().format(d);
  return `${shortTime(iso, now)}, ${timeOfDay().format(d)}`;
}

/** For tooltips: the full date and time. */
export function longTime(iso: string): string {
  const d = parse(iso);
  return d ? longDateTime().format(d) : "";
}

/** A day heading between messages: "Today", "Yesterday", "Tuesday 12 March 2024". */
export function dayHeading(iso: string, now = new Date()): string {
  const d = parse(iso);
  if (!d) return "";
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86_400_000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return new Intl.DateTimeFormat(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: d.getFullYear() === now.getFullYear() ? undefined : "numeric",
  }).format(d);
}

export function sameDay(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  return !!x && !!y && startOfDay(x) === startOfDay(y);
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Up to two initials for an avatar. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  const first = Array.from(words[0])[0] ?? "";
  const last = words.length > 1 ? (Array.from(words[words.length - 1])[0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** A stable colour slot (0–7) for an avatar, from a name. */
export function hue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return h % 8;
}

export type Segment = { text: string; match: boolean };

/**
 * Splits a search snippet into plain and matched parts: the index puts each match
 * between `[` and `]`. The parts are rendered as text nodes, never as markup.
 */
export function snippetSegments(snippet: string): Segment[] {
  const out: Segment[] = [];
  let buf = "";
  let inMatch = false;
  for (const ch of snippet) {
    if (ch === "[" && !inMatch) {
      if (buf) out.push({ text: buf, match: false });
      buf = "";
      inMatch = true;
    } else if (ch === "]" && inMatch) {
      if (buf) out.push({ text: buf, match: true });
      buf = "";
      inMatch = false;
    } else {
      buf += ch;
    }
  }
  if (buf) out.push({ text: buf, match: inMatch });
  return out;
}

/** "HH:MM:SS" (settings) → "HH:MM" (time input). */
export function toInputTime(t: string): string {
  return t.slice(0, 5);
}

/** "HH:MM" (time input) → "HH:MM:SS" (settings). */
export function fromInputTime(t: string): string {
  if (/^\d{2}:\d{2}$/.test(t)) return `${t}:00`;
  if (/^\d{2}:\d{2}:\d{2}/.test(t)) return t.slice(0, 8);
  return t;
}

export const bankDetailLabel: Record<string, string> = {
  iban: "IBAN",
  swift_bic: "SWIFT / BIC",
  account_number: "Account number",
};

/** "12 Mar 2024". */
export function fullDateOf(iso: string): string {
  const d = parse(iso);
  return d ? fullDate().format(d) : "";
}

const utcFullDate = onFirstUse(() => new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
}));

/**
 * "31 Jul 2026" for a calendar date ("2026-07-31") such as a quotation's valid-until
 * date: the model's dates are UTC dates, so the day shown is that date in every time
 * zone (never the day before, west of UTC). Anything else as it came.
 */
export function calendarDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return date;
  const d = parse(`${date}T00:00:00Z`);
  return d ? utcFullDate().format(d) : date;
}

/** The last part of a local path, for naming a file the user picked. */
export function fileNameOf(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}
