// The only place the front end talks to Rust. Every command and event the window uses is
// here, typed with the declarations generated from the Rust types (./bindings, kept
// current by crates/trade-desk/tests/bindings.rs). The webview never talks to the
// network: all HTTPS goes through Rust.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { CommandError } from "./bindings/CommandError";
import type { DocumentId } from "./bindings/DocumentId";
import type { Inquiry } from "./bindings/Inquiry";
import type { InquiryId } from "./bindings/InquiryId";
import type { LaunchState } from "./bindings/LaunchState";
import type { LocalPage } from "./bindings/LocalPage";
import type { MessageId } from "./bindings/MessageId";
import type { MutationId } from "./bindings/MutationId";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { SearchHit } from "./bindings/SearchHit";
import type { SignedIn } from "./bindings/SignedIn";
import type { SignInForm } from "./bindings/SignInForm";
import type { Status } from "./bindings/Status";
import type { ThreadMessage } from "./bindings/ThreadMessage";
import type { UnreadCounts } from "./bindings/UnreadCounts";

export type * from "./bindings/CommandError";

/** A command's failure: `code` is what the UI switches on, `message` the words. */
export class IpcError extends Error {
  readonly code: string;
  readonly fields: CommandError["fields"];
  constructor(e: CommandError) {
    super(e.message);
    this.code = e.code;
    this.fields = e.fields;
  }
}

function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isCommandError(e)) throw new IpcError(e);
    throw new IpcError({ code: "ipc.failed", message: String(e), fields: [] });
  }
}

// --- session -------------------------------------------------------------------------
export const launch = () => call<LaunchState>("launch");
export const signIn = (form: SignInForm) => call<SignedIn>("sign_in", { form });
export const signOut = () => call<void>("sign_out");
/** Opens the native file dialog for a CA certificate; the chosen path, or null. */
export const chooseCaFile = () => call<string | null>("choose_ca_file");
export const status = () => call<Status>("status");

// --- inbox and threads ---------------------------------------------------------------
export const inquiries = (unreadOnly: boolean, after: string | null, limit: number) =>
  call<LocalPage<Inquiry>>("inquiries", { unreadOnly, after, limit });
export const inquiry = (id: InquiryId) => call<Inquiry>("inquiry", { id });
export const thread = (inquiry: InquiryId, after: string | null, limit: number) =>
  call<LocalPage<ThreadMessage>>("thread", { inquiry, after, limit });
export const sendMessage = (inquiry: InquiryId, body: string) =>
  call<MessageId>("send_message", { inquiry, body });
export const markRead = (inquiry: InquiryId) => call<void>("mark_read", { inquiry });
export const outbox = () => call<Array<OutboxEntry>>("outbox");
export const retry = (mutation: MutationId) => call<void>("retry", { mutation });
export const discard = (mutation: MutationId) => call<void>("discard", { mutation });
export const search = (query: string) => call<Array<SearchHit>>("search", { query });
export const unread = () => call<UnreadCounts>("unread");

// --- settings ------------------------------------------------------------------------
export const settings = () => call<NotificationSettings>("settings");
export const setSettings = (settings: NotificationSettings) =>
  call<void>("set_settings", { settings });
export const setMuted = (inquiry: InquiryId, muted: boolean) =>
  call<void>("set_muted", { inquiry, muted });

// --- documents and links -------------------------------------------------------------
/** Asks where to save (native dialog) and saves; false when the user cancelled. */
export const saveDocument = (document: DocumentId, suggestedName: string) =>
  call<boolean>("save_document", { document, suggestedName });
/** Opens an https link in the browser (the caller has asked the user first). */
export const openExternal = (url: string) => call<void>("open_external", { url });

// --- events --------------------------------------------------------------------------
export type Changed = { revision: number; unread: UnreadCounts };

export const onStatus = (f: (s: Status) => void): Promise<UnlistenFn> =>
  listen<Status>("status", (e) => f(e.payload));
/** The local cache changed: re-read what is shown. */
export const onChanged = (f: (c: Changed) => void): Promise<UnlistenFn> =>
  listen<Changed>("changed", (e) => f(e.payload));
/** A desktop notification was clicked: show this thread. */
export const onOpenThread = (f: (id: InquiryId) => void): Promise<UnlistenFn> =>
  listen<InquiryId>("open-thread", (e) => f(e.payload));
