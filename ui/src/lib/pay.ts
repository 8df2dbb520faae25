// Pay Now's plain logic: reading and grouping a card number, the words for a payment
// and its state, and which payment the screen follows. No state lives here; the Pay
// Now components hold it.
import type { CardDetails } from "./bindings/CardDetails";
import type { CardProblem } from "./bindings/CardProblem";
import type { InstallmentKind } from "./bindings/InstallmentKind";
import type { Payment } from "./bindings/Payment";
import type { PaymentMethod } from "./bindings/PaymentMethod";
import type { PendingPaymentCall } from "./bindings/PendingPaymentCall";
import { codeOf, describe, isCode, type Code } from "./errors";
import { IpcError } from "./ipc";

/** Where Pay Now is: reviewing what is due, paying by card or by transfer, following a payment. */
export type Step = "review" | "card" | "tt" | "status";
/** A part of the card form, in the order the form shows them. */
export type Field = "number" | "expiry" | "cvc" | "holder";
export type FieldErrors = Partial<Record<Field, string>>;
/** A transfer detail the buyer can copy. */
export type CopyKey = "beneficiary" | "bank" | "account" | "swift" | "address" | "reference" | "amount";

export const FIELDS: Field[] = ["number", "expiry", "cvc", "holder"];

export const INSTALLMENT_WORDS: Record<InstallmentKind, string> = {
  full: "Full payment",
  deposit: "Deposit",
  balance: "Balance",
};

/** The server's card format refusals, by the field they are about. */
const CARD_FIELD_CODES: Partial<Record<Code, Field>> = {
  "payment.card_number_invalid": "number",
  "payment.card_expired": "expiry",
  "payment.card_cvc_invalid": "cvc",
  "payment.card_holder_missing": "holder",
};

/** How far the server's clock may be behind this computer's. */
const CLOCK_SKEW_MS = 2 * 60_000;

/** Codes after which the amount reviewed may no longer be what is due. */
const REVIEW_AGAIN_CODES: Code[] = ["payment.amount_mismatch", "order.nothing_due"];

/** Whether an error means the buyer should review the amount due again. */
export function needsReviewAgain(code: string | null): boolean {
  return isCode(code, ...REVIEW_AGAIN_CODES);
}

export function digitsOf(text: string): string {
  return text.replace(/\D/g, "");
}

/** "30" → 2030, "2030" → 2030; null when it is not a year. */
export function fullYear(text: string): number | null {
  const t = text.trim();
  if (/^\d{2}$/.test(t)) return 2000 + Number(t);
  if (/^\d{4}$/.test(t)) return Number(t);
  return null;
}

/** "4242 4242 4242 4242" (American Express: 4-6-5). */
function groupCardNumber(digits: string): string {
  if (/^3[47]/.test(digits)) {
    return [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10, 15), digits.slice(15)]
      .filter(Boolean)
      .join(" ");
  }
  return digits.replace(/(\d{4})(?=\d)/g, "$1 ");
}

/**
 * A card number as typed, grouped (at most 19 digits), with the caret moved so that it
 * stays after the same digit it followed.
 */
export function regroupCardNumber(typed: string, caret: number): { text: string; caret: number } {
  const digitsBefore = digitsOf(typed.slice(0, caret)).length;
  const text = groupCardNumber(digitsOf(typed).slice(0, 19));
  let pos = 0;
  let seen = 0;
  while (pos < text.length && seen < digitsBefore) {
    if (text[pos] !== " ") seen++;
    pos++;
  }
  return { text, caret: pos };
}

export function brandOf(digits: string): string | null {
  if (/^4/.test(digits)) return "Visa";
  if (/^(5[1-5]|2[2-7])/.test(digits)) return "Mastercard";
  if (/^3[47]/.test(digits)) return "American Express";
  if (/^(62|81)/.test(digits)) return "UnionPay";
  if (/^35/.test(digits)) return "JCB";
  return null;
}

/** The card form's entries as typed (the number as digits only). */
export type CardEntry = {
  digits: string;
  expMonth: string;
  expYear: string;
  cvc: string;
  holder: string;
};

/** The card details the entries make, as they are sent (a year not yet typed as 0). */
export function cardDetailsOf(card: CardEntry): CardDetails {
  return {
    number: card.digits,
    exp_month: Number(card.expMonth.trim()) || 0,
    exp_year: fullYear(card.expYear) ?? 0,
    cvc: card.cvc,
    holder: card.holder.trim(),
  };
}

/**
 * What is wrong with each entry of the card form. The entries are read here (is anything
 * typed, is it a month, a year); whether the details would be accepted is `rules`, the
 * problems trade-model finds in `cardDetailsOf(card)` (the `check_card` command), so the
 * form says what the server would, from the same code. `rules` null: not known yet.
 */
export function cardProblems(
  card: CardEntry,
  rules: readonly CardProblem[] | null,
  now: Date = new Date(),
): FieldErrors {
  const out: FieldErrors = {};
  const broken = (p: CardProblem) => rules?.includes(p) ?? false;
  const { digits, expMonth, expYear, cvc, holder } = card;
  if (!digits) out.number = "Enter the card number.";
  else if (broken("number")) out.number = "This card number is not valid. Check the digits.";

  const m = expMonth.trim();
  const y = fullYear(expYear);
  const thisYear = now.getFullYear();
  if (!m && !expYear.trim()) out.expiry = "Enter the expiry month and year.";
  else if (!/^\d{1,2}$/.test(m) || Number(m) < 1 || Number(m) > 12)
    out.expiry = "Enter the month as 01 to 12.";
  else if (y === null) out.expiry = "Enter the year as two digits, for example 29.";
  else if (broken("expired")) out.expiry = "This card has expired.";
  else if (y > thisYear + 25) out.expiry = "Check the expiry year.";

  if (!cvc) out.cvc = "Enter the security code.";
  else if (broken("cvc")) out.cvc = "The security code is 3 or 4 digits.";

  if (broken("holder")) out.holder = "Enter the name as it is on the card.";
  return out;
}

/** A reason from the server as a sentence: capitalised, with a full stop. */
export function sentence(text: string | null | undefined, fallback: string): string {
  const t = (text ?? "").trim();
  if (!t) return fallback;
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/**
 * A card the server turned down: `declined` is told above the form; `field` names the
 * entry to correct, with the server's reason.
 */
export type CardRefusal = { declined: string } | { field: Field; reason: string };

/** The refusal of the card a failed card payment carries, or null when it is another failure. */
export function cardRefusalOf(e: unknown): CardRefusal | null {
  const code = codeOf(e);
  if (isCode(code, "payment.declined")) {
    return { declined: sentence(e instanceof IpcError ? e.message : null, "The card was declined.") };
  }
  const field = code ? CARD_FIELD_CODES[code as Code] : undefined;
  return field ? { field, reason: describe(e) } : null;
}

export function isFailed(p: Payment): boolean {
  return p.status === "declined" || p.status === "failed";
}

/** The icon of a payment method. */
export function methodIcon(method: PaymentMethod): "card" | "bank" {
  return method === "card" ? "card" : "bank";
}

export function methodWords(p: Payment): string {
  if (p.method === "telegraphic_transfer") return "Telegraphic transfer";
  return p.card_last4 ? `Card •••• ${p.card_last4}` : "Card";
}

/** What the buyer reads for a payment's state. */
export function statusWords(p: Payment): string {
  switch (p.status) {
    case "processing":
      if (p.held_for_review) return "Under review";
      return p.method === "telegraphic_transfer" ? "Waiting for the funds" : "Processing";
    case "succeeded":
      return "Payment received";
    case "declined":
      return "Declined";
    case "failed":
      return "Failed";
  }
}

/** How far along a payment is: later states win over the answer we already hold. */
function progressRank(p: Payment): number {
  if (p.status !== "processing") return 2;
  return p.held_for_review ? 1 : 0;
}

function timeOf(iso: string): number {
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? 0 : t;
}

export function newestFirst(payments: Payment[]): Payment[] {
  return [...payments].sort((a, b) => timeOf(b.created_at) - timeOf(a.created_at));
}

/**
 * The payment followed (`id`) as synced, or as the pay call answered (`answered`) until
 * the sync catches up; whichever is further along.
 */
export function followed(payments: Payment[], id: string | null, answered: Payment | null): Payment | null {
  if (!id) return null;
  const synced = payments.find((p) => p.id === id) ?? null;
  const answer = answered && answered.id === id ? answered : null;
  if (!synced) return answer;
  if (!answer) return synced;
  return progressRank(answer) > progressRank(synced) ? answer : synced;
}

/** When a pending call started, in milliseconds. */
export function startOf(call: PendingPaymentCall): number {
  return timeOf(call.created_at);
}

/** Payments known before a call started (allowing for clock skew): none is its outcome. */
export function knownBeforeCall(payments: Payment[], started: number): Set<string> {
  return new Set(
    payments.filter((p) => timeOf(p.created_at) < started - CLOCK_SKEW_MS).map((p) => p.id),
  );
}

/**
 * The payment a processing call became: as the server named it for the call followed
 * (`key`, else the newest call), or the newest payment not known before it.
 */
export function outcomeOf(
  calls: PendingPaymentCall[],
  key: string | null,
  payments: Payment[],
  knownBefore: Set<string>,
): string | null {
  const call = key ? calls.find((c) => c.key === key) : calls[calls.length - 1];
  const named = call?.payment_id;
  const fresh = newestFirst(payments.filter((p) => !knownBefore.has(p.id)))[0];
  return named ?? fresh?.id ?? null;
}
