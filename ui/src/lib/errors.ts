// Errors in words. Commands fail with a machine-readable `code` (see ipc.ts); this is the
// one place that turns codes into what a buyer reads. Unknown codes fall back to the
// message Rust sent, which is already a sentence.

import { IpcError } from "./ipc";

const WORDS: Record<string, string> = {
  // signing in
  "auth.invalid_credentials": "Wrong email or password.",
  "auth.bad_credentials": "Wrong email or password.",
  "auth.missing_credentials": "Enter your email and password.",
  "auth.rate_limited": "Too many sign-in attempts. Wait a few minutes, then try again.",
  "http.429": "Too many attempts. Wait a few minutes, then try again.",
  "auth.not_signed_in": "You are signed out. Sign in again.",
  "auth.invalid_token": "Your session has ended. Sign in again.",
  "auth.refresh_reused": "Your session was ended for safety. Sign in again.",
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
  // messages and inquiries
  "message.bad_length": "The message is empty or too long.",
  "message.too_many_attachments": "The message has too many attachments.",
  "inquiry.closed": "This inquiry is closed: the supplier no longer receives messages in it.",
  "inquiry.unknown_supplier": "The supplier of this inquiry is not known to the server.",
  "request.invalid_text": "The text contains characters that cannot be sent.",
  // documents
  "document.not_found": "The file is no longer on the server.",
  "document.too_large": "The file is too large.",
  "document.io": "The file could not be read or written.",
  "document.upload_interrupted": "The upload was interrupted. Try again.",
  "client.io": "The file could not be written. Choose another place to save it.",
};

/** Words for an error code, or `fallback` (the message that came with it). */
export function wordsFor(code: string | null | undefined, fallback?: string | null): string {
  if (code && WORDS[code]) return WORDS[code];
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
  switch (code) {
    case "client.unreachable":
    case "client.timeout":
      return "The server cannot be reached.";
    case "client.untrusted_certificate":
      return "The server's certificate is not trusted.";
    case "auth.rate_limited":
    case "http.429":
      return "The server asked to slow down.";
    default:
      return WORDS[code] ?? null;
  }
}
