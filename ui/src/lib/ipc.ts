// The only place the front end talks to Rust. Every command and event the window uses is
// here, typed with the declarations generated from the Rust types (./bindings, kept
// current by crates/trade-desk/tests/bindings.rs). The webview never talks to the
// network: all HTTPS goes through Rust.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { BoxCount } from "./bindings/BoxCount";
import type { CardDetails } from "./bindings/CardDetails";
import type { CardProblem } from "./bindings/CardProblem";
import type { ClientCode } from "./bindings/ClientCode";
import type { CommandError } from "./bindings/CommandError";
import type { ComparisonId } from "./bindings/ComparisonId";
import type { ComparisonSheet } from "./bindings/ComparisonSheet";
import type { ComparisonSummary } from "./bindings/ComparisonSummary";
import type { ComparisonTerms } from "./bindings/ComparisonTerms";
import type { Estimates } from "./bindings/Estimates";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { Exported } from "./bindings/Exported";
import type { QuotationId } from "./bindings/QuotationId";
import type { Refreshed } from "./bindings/Refreshed";
import type { SheetColumn } from "./bindings/SheetColumn";
import type { SortDirection } from "./bindings/SortDirection";
import type { DeepLink } from "./bindings/DeepLink";
import type { Draft } from "./bindings/Draft";
import type { FieldError } from "./bindings/FieldError";
import type { FirstScreen } from "./bindings/FirstScreen";
import type { LocalFile } from "./bindings/LocalFile";
import type { Manifest } from "./bindings/Manifest";
import type { OrderAction } from "./bindings/OrderAction";
import type { BankDetail } from "./bindings/BankDetail";
import type { OrderFilter } from "./bindings/OrderFilter";
import type { Partner } from "./bindings/Partner";
import type { OrderDetail } from "./bindings/OrderDetail";
import type { OrderId } from "./bindings/OrderId";
import type { OrderView } from "./bindings/OrderView";
import type { PaymentQuote } from "./bindings/PaymentQuote";
import type { PaymentResult } from "./bindings/PaymentResult";
import type { PayRequest } from "./bindings/PayRequest";
import type { DocumentId } from "./bindings/DocumentId";
import type { Inquiry } from "./bindings/Inquiry";
import type { InquiryId } from "./bindings/InquiryId";
import type { LaunchState } from "./bindings/LaunchState";
import type { LocalPage } from "./bindings/LocalPage";
import type { MessageId } from "./bindings/MessageId";
import type { MutationId } from "./bindings/MutationId";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Overview } from "./bindings/Overview";
import type { SearchResults } from "./bindings/SearchResults";
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
    throw new IpcError({ code: "ipc.failed" satisfies ClientCode, message: String(e), fields: [] });
  }
}

// --- session -------------------------------------------------------------------------
export const launch = () => call<LaunchState>("launch");
/** The first screen is drawn: the shell makes what it put off (the tray icon). */
export const firstScreenShown = () => call<void>("first_screen_shown");
export const signIn = (form: SignInForm) => call<SignedIn>("sign_in", { form });
export const signOut = () => call<void>("sign_out");
/** Opens the native file dialog for a CA certificate; the chosen path, or null. */
export const chooseCaFile = () => call<string | null>("choose_ca_file");
/** The connection, the unread counts, the inbox's first page, at one revision. */
export const firstScreen = () => call<FirstScreen>("first_screen");
/** The connection, the unread counts and the cache's revision, now. */
export const overview = () => call<Overview>("overview");

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
export const search = (query: string) => call<SearchResults>("search", { query });

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
/** Opens a document in the system's viewer (a checked local copy). */
export const openDocument = (document: DocumentId) => call<void>("open_document", { document });
/** Opens an https link in the browser (the caller has asked the user first). */
export const openExternal = (url: string) => call<void>("open_external", { url });

// --- orders --------------------------------------------------------------------------
export const orders = (filter: OrderFilter, after: string | null, limit: number) =>
  call<LocalPage<OrderView>>("orders", { filter, after, limit });
/** The suppliers this buyer deals with, most recently active first. */
export const partners = () => call<Array<Partner>>("partners");
/** Bank details in the order's chat that are not the designated account. */
export const chatBankDetails = (order: OrderId) =>
  call<Array<BankDetail>>("chat_bank_details", { order });
export const orderCounts = () => call<Array<BoxCount>>("order_counts");
export const orderDetail = (id: OrderId) => call<OrderDetail>("order_detail", { id });
/** Queues a lifecycle step; a step the rules refuse is refused at once (IpcError). */
export const orderAction = (id: OrderId, action: OrderAction) =>
  call<void>("order_action", { id, action });
/** Confirms the order as it stands, with a pro forma invoice (a checked local file's id)
 *  or without; the rules decide what that makes (with a PI, a modification). */
export const confirmOrder = (id: OrderId, proForma: DocumentId | null) =>
  call<void>("confirm_order", { id, proForma });
export const drafts = () => call<Array<Draft>>("drafts");
/** Saves a draft (incomplete is fine); answers its problems as of now. */
export const saveDraft = (draft: Draft) => call<Array<FieldError>>("save_draft", { draft });
export const discardDraft = (id: OrderId) => call<void>("discard_draft", { id });
/** A new draft from a cached quotation at `quantity` (tier price, Incoterm, terms). */
export const draftFromQuotation = (quotation: QuotationId, quantity: number) =>
  call<Draft>("draft_from_quotation", { quotation, quantity });
export const submitDraft = (id: OrderId) => call<void>("submit_draft", { id });
/** The native open dialog for a document; the chosen path, or null. */
export const chooseDocument = () => call<string | null>("choose_document");
/** Checks a chosen or dropped file as the server would and keeps it for upload. */
export const attachFile = (path: string) => call<LocalFile>("attach_file", { path });
export const paymentQuote = (order: OrderId) => call<PaymentQuote>("payment_quote", { order });
/** What is wrong with card details as typed, checked as the server checks them (works offline). */
export const checkCard = (card: CardDetails) => call<Array<CardProblem>>("check_card", { card });
/** Pay Now (online only). Card details go to the gateway through Rust and are not kept. */
export const pay = (order: OrderId, request: PayRequest) =>
  call<PaymentResult>("pay", { order, request });
/** Asks for a folder (native dialog) and writes the evidence packet; null if cancelled. */
export const exportEvidence = (order: OrderId, suggestedName: string) =>
  call<Manifest | null>("export_evidence", { order, suggestedName });

// --- comparing quotations (kept on this computer only, never synced) -----------------
/** Every comparison, the one changed last first. */
export const comparisons = () => call<Array<ComparisonSummary>>("comparisons");
export const createComparison = (terms: ComparisonTerms) =>
  call<ComparisonId>("create_comparison", { terms });
export const updateComparison = (id: ComparisonId, terms: ComparisonTerms) =>
  call<void>("update_comparison", { id, terms });
export const deleteComparison = (id: ComparisonId) => call<void>("delete_comparison", { id });
export const addToComparison = (id: ComparisonId, quotation: QuotationId) =>
  call<void>("add_to_comparison", { id, quotation });
export const removeFromComparison = (id: ComparisonId, quotation: QuotationId) =>
  call<void>("remove_from_comparison", { id, quotation });
/** Freight, duty and transit for one quotation; refused ones fail with quotation.bad_*. */
export const setEstimates = (id: ComparisonId, quotation: QuotationId, estimates: Estimates) =>
  call<void>("set_estimates", { id, quotation, estimates });
/** A comparison computed from the cache (works offline), sorted as asked. */
export const comparison = (id: ComparisonId, sort: SheetColumn, direction: SortDirection) =>
  call<ComparisonSheet>("comparison", { id, sort, direction });
/** Fetches today's exchange rates and the suppliers' facts (online); says what came. */
export const refreshComparison = (id: ComparisonId) =>
  call<Refreshed>("refresh_comparison", { id });

// --- exports: the native save dialog opens from Rust; null when the user cancelled ----

/** The orders the list shows (its box, search and sort: every page). */
export const exportOrders = (filter: OrderFilter, format: ExportFormat) =>
  call<Exported | null>("export_orders", { filter, format });
/** Every payment of the buyer's orders. */
export const exportPayments = (format: ExportFormat) =>
  call<Exported | null>("export_payments", { format });
/** A comparison, sorted as on screen. */
export const exportComparison = (
  id: ComparisonId,
  sort: SheetColumn,
  direction: SortDirection,
  format: ExportFormat,
) => call<Exported | null>("export_comparison", { id, sort, direction, format });

// --- links and start at login ---------------------------------------------------------
/** The tradecenter:// link the app was started with or handed, checked; null when none
 *  is waiting. Fails with deep_link.invalid / deep_link.not_found for a bad one. */
export const takeLink = () => call<DeepLink | null>("take_link");
/** Whether the app starts at login (minimized to the tray). */
export const autostart = () => call<boolean>("autostart");
/** Turns starting at login on or off; the state afterwards. */
export const setAutostart = (enabled: boolean) => call<boolean>("set_autostart", { enabled });

// --- events --------------------------------------------------------------------------
export type Changed = { revision: number; unread: UnreadCounts };

export const onStatus = (f: (s: Status) => void): Promise<UnlistenFn> =>
  listen<Status>("status", (e) => f(e.payload));
/** The local cache changed: re-read what is shown. */
export const onChanged = (f: (c: Changed) => void): Promise<UnlistenFn> =>
  listen<Changed>("changed", (e) => f(e.payload));
/** Files dropped on the window (Tauri's drag-and-drop): their paths. */
export const onFilesDropped = (f: (paths: string[]) => void): Promise<UnlistenFn> =>
  listen<{ paths: string[] }>("tauri://drag-drop", (e) => f(e.payload.paths ?? []));
/** A desktop notification about an order was clicked: show the order. */
export const onOpenOrder = (f: (id: OrderId) => void): Promise<UnlistenFn> =>
  listen<OrderId>("open-order", (e) => f(e.payload));
/** A desktop notification was clicked: show this thread. */
export const onOpenThread = (f: (id: InquiryId) => void): Promise<UnlistenFn> =>
  listen<InquiryId>("open-thread", (e) => f(e.payload));
/** A tradecenter:// link arrived (a second start, or the system): take it with takeLink. */
export const onLink = (f: () => void): Promise<UnlistenFn> => listen<null>("link", () => f());
