// The window's shared state: who is signed in, the engine's status, unread counts, the
// outbox and notification settings. Components read it; only the functions here and the
// event handlers in App.svelte write it.

import type { Account } from "./bindings/Account";
import type { InquiryId } from "./bindings/InquiryId";
import type { MessageId } from "./bindings/MessageId";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Status } from "./bindings/Status";
import type { UnreadCounts } from "./bindings/UnreadCounts";
import * as ipc from "./ipc";

export type View = "inbox" | "settings" | "help";
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

/** Everything the signed-in window starts from. */
export async function loadSignedIn() {
  const [status, unread] = await Promise.allSettled([ipc.status(), ipc.unread()]);
  if (status.status === "fulfilled") app.status = status.value;
  if (unread.status === "fulfilled") app.unread = unread.value;
  await Promise.all([refreshOutbox(), refreshSettings()]);
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
  app.view = "inbox";
}
