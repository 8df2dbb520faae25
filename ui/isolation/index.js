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
