// Tauri's isolation pattern: every IPC message from the app's page passes through this
// sandboxed frame before it reaches Rust. Only our own commands and the event calls the
// page needs are let through; anything else is dropped.
const allowed = new Set([
  "launch", "sign_in", "sign_out", "choose_ca_file", "status", "inquiries", "inquiry",
  "thread", "send_message", "mark_read", "outbox", "retry", "discard", "search", "unread",
  "settings", "set_settings", "set_muted", "save_document", "open_external",
  "orders", "order_counts", "order_detail", "order_action", "confirm_order", "drafts", "save_draft", "draft_from_quotation",
  "discard_draft", "submit_draft", "choose_document", "attach_file", "payment_quote", "check_card",
  "pay", "export_evidence", "partners", "chat_bank_details", "open_document", "take_link",
  "autostart", "set_autostart",
  "comparisons", "create_comparison", "update_comparison", "delete_comparison",
  "add_to_comparison", "remove_from_comparison", "set_estimates", "comparison",
  "refresh_comparison",
  "export_orders", "export_payments", "export_comparison",
  "plugin:event|listen", "plugin:event|unlisten",
]);
window.__TAURI_ISOLATION_HOOK__ = (payload) => {
  if (payload && typeof payload.cmd === "string" && allowed.has(payload.cmd)) {
    return payload;
  }
  throw new Error("blocked IPC call");
};

// Tauri's isolation script (put before this one) tells the page that this frame can take
// its messages only on a 50 ms timer, started once it has its key and listens: every
// start's first IPC waited that long (`launch-answered` in bench-reports/desktop.md).
// This frame says so itself as soon as a probe shows that Tauri's script passes the
// page's messages to the hook above: now, if it listens already, or once it starts to.
// The probe is a message only this script can make (checked by identity); the hook
// holds it, so it goes no further. Tauri's own message, later, finds the page's queue
// empty. Without the page's origin, or if no probe ever gets through (another Tauri),
// nothing is said here, and Tauri's timer still does.
{
  const check = window.__TAURI_ISOLATION_HOOK__;
  const probe = { cmd: "", callback: 0, error: 0, payload: null };
  let heard = false;
  window.__TAURI_ISOLATION_HOOK__ = (payload) => {
    if (payload === probe) {
      heard = true;
      return new Promise(() => {});
    }
    return check(payload);
  };
  const origin = window.location.ancestorOrigins?.[0];
  const listening = () => {
    heard = false;
    window.dispatchEvent(new MessageEvent("message", { data: probe, origin }));
    return heard;
  };
  const ready = () => window.parent.postMessage("__TAURI_ISOLATION_READY__", "*");
  if (origin && listening()) {
    ready();
  } else if (origin) {
    // Not listening yet: Tauri's script adds its listener once it has its key.
    const listen = window.addEventListener;
    window.addEventListener = function (type, listener, options) {
      listen.call(this, type, listener, options);
      if (type === "message" && listening()) {
        window.addEventListener = listen;
        ready();
      }
    };
  }
}
