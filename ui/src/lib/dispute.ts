// Words, dates and checks for the dispute panel. The rules' numbers mirror trade-model
// (dispute.rs, order.rs); the rules themselves are checked in Rust and arrive as
// `available_actions`. These only word the dates and check the form before sending.

import type { DisputeReason } from "./bindings/DisputeReason";
import type { DisputeStatus } from "./bindings/DisputeStatus";
import type { LocalFile } from "./bindings/LocalFile";
import { money } from "./money";
import { DISPUTE_REASONS } from "./orders";

const DAY_MS = 86_400_000;
export {
  DISPUTE_AUTO_ESCALATION_AFTER_DAYS as AUTO_ESCALATION_AFTER_DAYS,
  DISPUTE_ESCALATION_AFTER_DAYS as ESCALATION_AFTER_DAYS,
  MAX_EVIDENCE,
  MAX_TEXT_CHARS,
} from "./bindings/rules";

/** `iso` plus whole days, as ISO; "" when `iso` is not a date. */
export function addDays(iso: string, days: number): string {
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? "" : new Date(t + days * DAY_MS).toISOString();
}

export const STATUS_WORDS: Record<DisputeStatus, string> = {
  negotiating: "Negotiating with the supplier",
  escalated: "Escalated to Trade Center",
  settled: "Settled",
  decided: "Decided by Trade Center",
  withdrawn: "Withdrawn",
};

/** The status badge's tone (the Badge part's tones). */
export const STATUS_TONES: Record<DisputeStatus, "plain" | "ok" | "warn" | "accent"> = {
  negotiating: "warn",
  escalated: "accent",
  settled: "ok",
  decided: "ok",
  withdrawn: "plain",
};

export const reasonLabel = (r: DisputeReason) => DISPUTE_REASONS.find((x) => x.value === r)?.label ?? r;

/** "1 file", "3 files". */
export const filesCount = (n: number) => (n === 1 ? "1 file" : `${n} files`);

/**
 * What is wrong with the claimed amount, or null. Nothing is said about an empty field
 * the user has not left yet (`touched`).
 */
export function claimProblem(
  text: string,
  minor: number | null,
  touched: boolean,
  cap: number,
  currency: string,
): string | null {
  if (!touched && text.trim() === "") return null;
  if (text.trim() === "") return "Enter the amount you want back.";
  if (minor === null) return "Enter an amount, for example 120.50.";
  if (minor <= 0) return "The claim must be more than zero.";
  if (minor > cap) return `You can claim at most ${money(cap, currency)}.`;
  return null;
}

/** `files` with `file` added, unless the same file (id or content) is already there. */
export function withEvidence(files: LocalFile[], file: LocalFile): LocalFile[] {
  return files.some((f) => f.id === file.id || f.sha256 === file.sha256) ? files : [...files, file];
}
