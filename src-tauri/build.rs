//! Tauri's build step, with the app's own commands declared so that the capability file
//! can list exactly them (nothing else is callable from the webview).

const COMMANDS: &[&str] = &[
    "launch",
    "sign_in",
    "sign_out",
    "choose_ca_file",
    "status",
    "inquiries",
    "inquiry",
    "thread",
    "send_message",
    "mark_read",
    "outbox",
    "retry",
    "discard",
    "search",
    "unread",
    "settings",
    "set_settings",
    "set_muted",
    "save_document",
    "open_external",
    "orders",
    "order_counts",
    "partners",
    "open_document",
    "chat_bank_details",
    "order_detail",
    "order_action",
    "drafts",
    "save_draft",
    "discard_draft",
    "submit_draft",
    "choose_document",
    "attach_file",
    "payment_quote",
    "pay",
    "export_evidence",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e}"));
}
