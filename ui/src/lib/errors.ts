// Errors in words. Commands fail with a machine-readable `code` (see ipc.ts); this is the
// one place that turns codes into what a buyer reads. Unknown codes fall back to the
// message Rust sent, which is already a sentence.

import type { ClientCode } from "./bindings/ClientCode";
import type { ErrorCode } from "./bindings/ErrorCode";
import { IpcError } from "./ipc";

/** Every code a command can fail with: the server's and the app's own, both generated
 *  from Rust (`trade_model::ErrorCode`, `trade_client::error::ClientCode`). */
export type Code = ErrorCode | ClientCode;

/** Whether `code` is one of `codes` (typed, so a misspelt code fails svelte-check). */
export function isCode(code: string | null | undefined, ...codes: Code[]): boolean {
  return code != null && (codes as string[]).includes(code);
}

// Keyed by the server's codes (generated from `trade_model::ErrorCode`) and the app's
// own, so a misspelt or retired code fails svelte-check instead of never matching.
const WORDS: Partial<Record<Code, string>> = {
  // signing in
  "auth.bad_credentials": "Wrong email or password.",
  "auth.missing_credentials": "Enter your email and password.",
  "auth.rate_limited": "Too many sign-in attempts. Wait a few minutes, then try again.",
  "http.429": "Too many attempts. Wait a few minutes, then try again.",
  "request.rate_limited": "Too many requests at once. The app tries again in a moment.",
  "auth.not_signed_in": "You are signed out. Sign in again.",
  "auth.invalid_token": "Your session has ended. Sign in again.",
  "auth.refresh_reused": "Your session was ended for safety. Sign in again.",
  "auth.refresh_spent": "This sign-in was renewed in another window. Sign in again.",
  "client.unreachable":
    "The server cannot be reached. Check the address and your network connection.",
  "client.timeout":
    "The server cannot be reached: it did not answer in time. Check your network connection.",
  "client.untrusted_certificate":
    "The server's certificate is not trusted. Choose the server's CA file, then sign in again.",
  "client.https_required": "The server address must start with https://",
  "client.bad_url": "That is not a valid server address. Example: https://trade.example.com",
  "client.bad_certificate":
    "The chosen CA file is not a certificate (a PEM file is needed). Choose another file.",
  "credentials.failed": "The system keyring could not be used.",
  "store.newer_database":
    "The data on this computer was written by a newer version of Trade Center. Update the app.",
  "ipc.failed": "Trade Center could not complete that. Restart the app and try again.",
  not_found: "This is no longer available on this computer.",
  // tradecenter:// links
  "deep_link.invalid":
    "This Trade Center link cannot be opened: it is not a link to an order or an inquiry, or it is damaged. Ask for the link again.",
  "deep_link.not_found":
    "The order or inquiry in this link is not one of yours, or it no longer exists.",
  "autostart.failed": "Starting Trade Center at sign-in could not be changed on this computer.",
  // messages and inquiries
  "message.bad_length": "The message is empty or too long.",
  "message.too_many_attachments": "The message has too many attachments.",
  "inquiry.closed": "This inquiry is closed: the supplier no longer receives messages in it.",
  "inquiry.unknown_supplier": "The supplier of this inquiry is not known to the server.",
  "request.invalid_text": "The text contains characters that cannot be sent.",
  "record.id_taken": "The server already has a record under this one's id, so it was not sent. Discard it and make it again.",
  "sync.mutation_id_reused": "The server already took another change under this one's id, so it was not sent. Discard it and make it again.",
  // disputes
  "dispute.not_allowed": "A dispute cannot be filed on this order now: it has to be paid first.",
  "dispute.window_closed": "Buyer protection for this order has ended, so a dispute can no longer be filed.",
  "dispute.already_filed": "A dispute has already been filed on this order.",
  "dispute.withdrawn_final": "The dispute on this order was withdrawn; another one cannot be filed.",
  "dispute.exceeds_paid": "The amount is more than you paid (less any refunds).",
  "dispute.escalation_too_early":
    "You can escalate 3 days after filing, once the supplier has had time to propose a settlement.",
  "dispute.no_proposal": "The supplier has not proposed a settlement yet.",
  "dispute.invalid_state": "The dispute has moved on: this step is no longer possible.",
  "dispute.not_found": "There is no open dispute on this order.",
  "dispute.too_much_evidence": "Too many evidence files: attach at most 20.",
  "request.invalid_amount": "Enter an amount greater than zero.",
  "order.dispute_open": "This order has an open dispute: other changes wait until it is closed.",
  // documents
  "document.not_found": "The file is no longer on the server.",
  "document.too_large":
    "The file is larger than 20 MB, the most that is accepted. Reduce it (for example scan at a lower resolution, or split it) and try again.",
  "document.io": "The file could not be read or written.",
  "document.upload_interrupted": "The upload was interrupted. Try again.",
  "document.bad_name":
    "The file name cannot be used. Rename the file (for example to \"contract.pdf\") and try again.",
  "document.unsupported_type":
    "This type of file is not accepted. Accepted types: XLSX, XLS, DOC, DOCX, JPG, JPEG, PNG, GIF, TIF, PDF, TXT.",
  "document.empty": "The file is empty. Check that you picked the right file.",
  "document.content_mismatch":
    "The file's content does not match its type: it may have been renamed or be damaged. Save it again in the right format and try again.",
  "document.macro_content":
    "Documents with macros are not accepted. Save a copy without macros and attach that.",
  "document.archive_bomb": "The file is not a normal office document, so it is not accepted.",
  "document.archive_malformed":
    "The document is damaged or password-protected. Save it again without a password and try again.",
  "document.image_too_large": "The image has too many pixels. Scale it down and try again.",
  "document.not_text": "The .txt file does not contain plain text. Save it as UTF-8 text and try again.",
  "document.checksum_mismatch": "The downloaded file did not match the document, so it was not kept. Try again.",
  "document.content_missing":
    "The server no longer has this file's content. Ask whoever attached it to upload it again.",
  "document.store_unavailable":
    "Files cannot be stored or fetched on the server right now. Nothing was lost: try again in a few minutes.",
  "document.id_taken":
    "The server already has another file under this one's id, so it was not sent. Attach the file again.",
  "document.in_use": "The file has been shared in a message or an order, so it cannot be removed.",
  // the server itself
  "server.busy": "The server was busy with another change at the same moment. Nothing was changed: try again.",
  "server.not_ready": "The server is restarting or under maintenance. Try again in a minute.",
  "order.concurrent_change": "The order changed at the same moment. Check it and try again.",
  // comparing quotations
  "comparison.bad_name": "Name the comparison (up to 200 characters).",
  "comparison.bad_quantity": "Enter a target quantity from 1 to 1,000,000,000 pieces.",
  "quotation.bad_freight": "The freight estimate cannot be negative.",
  "quotation.bad_duty": "The duty must be from 0 to 1000 %.",
  "quotation.bad_transit_days": "The transit can be at most 365 days.",
  // orders
  "order.invalid_terms": "Some details of the order need attention: see the marked fields.",
  "client.io": "The file could not be written. Choose another place to save it.",
  // payments (Pay Now)
  "payment.declined": "The card was declined. Use another card or pay by transfer.",
  "payment.card_number_invalid": "The card number is not valid. Check the digits.",
  "payment.card_expired": "The card has expired. Use another card.",
  "payment.card_cvc_invalid": "The security code is not valid. It is 3 or 4 digits.",
  "payment.card_holder_missing": "Enter the name as it is on the card.",
  "payment.card_missing": "Enter the card details.",
  "payment.card_needs_connection":
    "Card payments need a connection to Trade Center. Try again when you are online.",
  "payment.gateway_unavailable":
    "The card payment service cannot be reached right now. Try again in a few minutes, or pay by transfer.",
  "payment.amount_mismatch": "The amount due has changed. Review the payment again.",
  "payment.not_in_progress": "That payment is no longer in progress.",
  // Not a failure: Pay Now got no final answer in time and the outcome arrives later.
  "payment.processing":
    "Payment processing — the outcome appears here when the payment provider answers.",
};

/** Words for an error code, or `fallback` (the message that came with it). */
export function wordsFor(code: string | null | undefined, fallback?: string | null): string {
  const words = code ? WORDS[code as Code] : undefined;
  if (words) return words;
  const text = (fallback ?? "").trim();
  if (text) return text.charAt(0).toUpperCase() + text.slice(1);
  return "Something went wrong.";
}

/** Words for anything a command threw. */
export function describe(e: unknown): string {
  if (e instanceof IpcError) return wordsFor(e.code, e.message);
  if (e instanceof Error) return wordsFor(null, e.message);
  return wordsFor(null, String(e));
}

/** The error's code, when it has one. */
export function codeOf(e: unknown): string | null {
  return e instanceof IpcError ? e.code : null;
}

/** Why the connection is offline, from `Status.last_error`. */
export function offlineReason(code: string | null): string | null {
  if (!code) return null;
  switch (code as Code) {
    case "client.unreachable":
    case "client.timeout":
      return "The server cannot be reached.";
    case "client.untrusted_certificate":
      return "The server's certificate is not trusted.";
    case "auth.rate_limited":
    case "request.rate_limited":
    case "http.429":
      return "The server asked to slow down.";
    default:
      return WORDS[code as Code] ?? null;
  }
}
