// The window's shared state: who is signed in, the engine's status, unread counts, the
// outbox and notification settings. Components read it; only the functions here and the
// event handlers in App.svelte write it.

import type { Account } from "./bindings/Account";
import type { InquiryId } from "./bindings/InquiryId";
import type { MessageId } from "./bindings/MessageId";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { Draft } from "./bindings/Draft";
import type { Inquiry } from "./bindings/Inquiry";
import type { Order } from "./bindings/Order";
import type { OrderId } from "./bindings/OrderId";
import type { QuotationId } from "./bindings/QuotationId";
import type { OrderOrigin } from "./bindings/OrderOrigin";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Partner } from "./bindings/Partner";
import type { Status } from "./bindings/Status";
import type { UnreadCounts } from "./bindings/UnreadCounts";
import type { LocalPage } from "./bindings/LocalPage";
import type { FirstScreen } from "./bindings/FirstScreen";
import { uuidv7 } from "./ids";
import * as ipc from "./ipc";
import { PAGE, type Fetch } from "./paged.svelte";

export type View = "inbox" | "orders" | "compare" | "settings" | "help";
export type ConnectionState = Status["connection"]["state"];

class AppState {
  account = $state.raw<Account | null>(null);
  /** SignedIn.session_only: no keyring, the session ends when the app quits. */
  signedInSessionOnly = $state(false);
  status = $state.raw<Status | null>(null);
  unread = $state.raw<UnreadCounts>({ total: 0, inquiries_with_unread: 0 });
  /** Bumped whenever the local cache changed: views re-read what they show. */
  revision = $state(0);
  outbox = $state.raw<OutboxEntry[]>([]);
  settings = $state.raw<NotificationSettings | null>(null);

  view = $state<View>("inbox");
  /** The thread shown in the inbox's detail pane. */
  openInquiry = $state<InquiryId | null>(null);
  /** A message to bring into view once its thread is open (from search). */
  focusMessage = $state<MessageId | null>(null);
  /** The order shown in the orders screen's detail pane. */
  openOrder = $state<OrderId | null>(null);
  /** The draft open in the order form (Place Order Online / Upload Contract). */
  editDraft = $state.raw<Draft | null>(null);
  /** The keyboard shortcut sheet is open (press ?, or from Help). */
  shortcutSheet = $state(false);
  /** Why the last tradecenter:// link could not be opened (shown until dismissed). */
  linkError = $state<string | null>(null);
  /** The comparison open in the Compare screen (kept on this computer only). */
  openComparison = $state<string | null>(null);
  /** The suppliers this buyer deals with (names for orders, choices for new ones). */
  partners = $state.raw<Partner[]>([]);

  get connection(): ConnectionState {
    return this.status?.connection.state ?? "connecting";
  }

  get sessionOnly(): boolean {
    return this.signedInSessionOnly || (this.status?.session_only ?? false);
  }

  get outboxCount(): number {
    return (this.status?.queued ?? 0) + (this.status?.failed ?? 0);
  }

  isMuted(id: InquiryId): boolean {
    return this.settings?.muted_inquiries.includes(id) ?? false;
  }
}

export const app = new AppState();

/** Opens a thread in the inbox (from a row, a search hit or a notification). */
export function openThread(id: InquiryId, message: MessageId | null = null) {
  app.view = "inbox";
  app.focusMessage = message;
  app.openInquiry = id;
}

/** Opens an order (from the list, a notification or a thread). */
export function openOrder(id: OrderId) {
  app.view = "orders";
  app.editDraft = null;
  app.openOrder = id;
}

/** A new order draft (blank, or from an inquiry: its supplier and product), opened in
 * the order form. Nothing is saved until the buyer edits it. */
/** The ship-by date a new draft starts with: 45 days from today, as a local date. */
function defaultShipBy(): string {
  const shipBy = new Date(Date.now() + 45 * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${shipBy.getFullYear()}-${pad(shipBy.getMonth() + 1)}-${pad(shipBy.getDate())}`;
}

export function newDraft(origin: OrderOrigin, from: Inquiry | null = null) {
  app.editDraft = {
    id: uuidv7(),
    counterparty: from?.supplier ?? app.partners[0]?.id ?? "",
    inquiry: from?.id ?? null,
    origin,
    terms: {
      lines: [{ product: from?.product ?? "", quantity: 1, unit: "pieces", unit_price_minor: 0 }],
      currency: "USD",
      incoterm: "FOB",
      shipping_method: "sea",
      ship_by: defaultShipBy(),
      payment_terms: { kind: "full" },
      remarks: "",
      documents: [],
    },
    quotation: null,
    updated_at: new Date().toISOString(),
  };
  app.openOrder = null;
  app.view = "orders";
}

/** Opens a comparison of quotations in the Compare screen. */
export function openComparison(id: string) {
  app.openComparison = id;
  app.view = "compare";
}

/** Reorder: a new draft from a past order, with its supplier, inquiry, lines and terms;
 * a new ship-by date (the old one has passed) and no documents (a contract belongs to
 * its order). Opened in the order form; nothing is saved until the buyer edits it. */
export function reorder(from: Order) {
  app.editDraft = {
    id: uuidv7(),
    counterparty: from.supplier,
    inquiry: from.inquiry,
    origin: "template",
    terms: {
      ...$state.snapshot(from.terms),
      ship_by: defaultShipBy(),
      documents: [],
    },
    quotation: null,
    updated_at: new Date().toISOString(),
  };
  app.openOrder = null;
  app.view = "orders";
}

/** Place order from a quotation: a new draft of `quantity` pieces at the quotation's
 * tier price for that quantity, with its supplier, inquiry, Incoterm and terms (made by
 * the rules in Rust), opened in the order form. Throws the refusal (`quotation.expired`,
 * `quotation.below_moq`) for the caller to show. */
export async function orderFromQuotation(quotation: QuotationId, quantity: number) {
  const draft = await ipc.draftFromQuotation(quotation, quantity);
  app.editDraft = draft;
  app.openOrder = null;
  app.view = "orders";
}

export function editDraft(draft: Draft) {
  app.editDraft = draft;
  app.openOrder = null;
  app.view = "orders";
}

/** Re-reads the suppliers (a small table kept with the inquiries). */
export async function refreshPartners() {
  try {
    app.partners = await ipc.partners();
  } catch {
    // Keep the last known list.
  }
}

let outboxReading: Promise<void> | null = null;
let outboxAgain = false;

/** Re-reads the outbox; calls made while a read runs coalesce into one more read. */
export function refreshOutbox(): Promise<void> {
  if (outboxReading) {
    outboxAgain = true;
    return outboxReading;
  }
  outboxReading = (async () => {
    do {
      outboxAgain = false;
      try {
        app.outbox = await ipc.outbox();
      } catch {
        // Signed out meanwhile, or the engine is stopping: keep what was shown.
      }
    } while (outboxAgain);
    outboxReading = null;
  })();
  return outboxReading;
}

export async function refreshSettings() {
  try {
    app.settings = await ipc.settings();
  } catch {
    // Keep the last known settings.
  }
}

/** The inbox's list read in pages from the cache: every inquiry, or those with unread
 *  messages. */
export const inboxPages =
  (unreadOnly: boolean): Fetch<Inquiry> =>
  (after, limit) =>
    ipc.inquiries(unreadOnly, after, limit);

/** The inbox's first page ("all"), read before the app's frame is mounted, and the
 *  change revision (`app.revision`) it is at least as new as. */
export type FirstInbox = { page: LocalPage<Inquiry>; revision: number };

/** Shows what the app's frame draws first: the connection and the unread counts, and
 *  the inbox's first page for the inbox to start from (read together, so that the
 *  frame is laid out and drawn once, with them: a start's time to the usable inbox,
 *  desktop bench). */
export function showFirstScreen(first: FirstScreen): FirstInbox {
  app.status = first.overview.status;
  app.unread = first.overview.unread;
  app.settings = first.settings;
  return { page: first.inbox, revision: app.revision };
}

/** Reads the first screen (after a sign-in; a start has it from the launch). After a
 *  failed read the inbox reads its first page itself, and says why it cannot; the
 *  connection and the counts come with the engine's next events. */
export async function loadFirstScreen(): Promise<FirstInbox | null> {
  try {
    return showFirstScreen(await ipc.firstScreen());
  } catch {
    return null;
  }
}

/** The rest of a signed-in session's state, read once its first screen is drawn (the
 *  settings came with it, unless its read failed). */
export async function loadSignedIn() {
  await Promise.all([
    refreshOutbox(),
    app.settings ? Promise.resolve() : refreshSettings(),
    refreshPartners(),
  ]);
}

export function clearSession() {
  app.account = null;
  app.signedInSessionOnly = false;
  app.status = null;
  app.unread = { total: 0, inquiries_with_unread: 0 };
  app.outbox = [];
  app.settings = null;
  app.openInquiry = null;
  app.focusMessage = null;
  app.openOrder = null;
  app.editDraft = null;
  app.partners = [];
  app.openComparison = null;
  app.linkError = null;
  app.shortcutSheet = false;
  app.view = "inbox";
}
