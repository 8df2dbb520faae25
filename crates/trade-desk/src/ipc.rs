//! The IPC surface: the commands' names (declared once, in `command_names.rs`) and every
//! type that crosses IPC, so that the shell (`src-tauri`) takes them from here only.

include!("command_names.rs");

pub use trade_client::comparisons::{
    ComparisonId, ComparisonSheet, ComparisonSummary, ComparisonTerms, SheetColumn, SheetRow,
};
pub use trade_client::drafts::Draft;
pub use trade_client::engine::{Refreshed, Status};
pub use trade_client::error::ClientCode;
pub use trade_client::evidence::Manifest;
pub use trade_client::exports::{ExportFormat, Exported};
pub use trade_client::files::LocalFile;
pub use trade_client::notify::{Notification, NotificationSettings, Target};
pub use trade_client::outbox::OutboxEntry;
pub use trade_client::payment_safety::BankDetail;
pub use trade_client::store::queries::{
    LocalPage, OrderDetail, OrderFilter, Partner, ThreadMessage,
};
pub use trade_client::store::search::{SearchCoverage, SearchHit, SearchResults};
pub use trade_model::api::{
    BoxCount, CardDetails, OrderView, PayRequest, PaymentQuote, PaymentResult, UnreadCounts,
};
pub use trade_model::card::CardProblem;
pub use trade_model::entities::Inquiry;
pub use trade_model::error::FieldError;
pub use trade_model::order::OrderAction;
pub use trade_model::quotation::{Estimates, SortDirection};
pub use trade_model::{DocumentId, InquiryId, MessageId, MutationId, OrderId, QuotationId};

pub use crate::deep_link::DeepLink;
pub use crate::error::CommandError;
pub use crate::launch::{FirstScreen, LaunchState, Overview, SignInForm, SignedIn, StartOptions};
