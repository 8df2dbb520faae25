//! The engine's errors. Every variant has a stable machine-readable `code` the UI
//! switches on; server errors keep the server's code.

use trade_model::ErrorCode;
use trade_model::error::FieldError;

/// The codes this app raises itself, beside the server's [`ErrorCode`]s: one name for
/// each on both sides of IPC (the UI gets them as a union, `bindings/ClientCode.ts`).
/// Like the server's, a code never changes meaning once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClientCode {
    #[serde(rename = "client.https_required")]
    HttpsRequired,
    #[serde(rename = "client.bad_url")]
    BadUrl,
    #[serde(rename = "client.bad_certificate")]
    BadCertificate,
    #[serde(rename = "client.unreachable")]
    Unreachable,
    #[serde(rename = "client.untrusted_certificate")]
    UntrustedCertificate,
    #[serde(rename = "client.timeout")]
    Timeout,
    #[serde(rename = "client.io")]
    Io,
    #[serde(rename = "client.decode")]
    Decode,
    /// The server answered 429 without a body the app understands.
    #[serde(rename = "http.429")]
    TooManyRequests,
    /// The server answered another error without a body the app understands.
    #[serde(rename = "http.unexpected")]
    UnexpectedAnswer,
    #[serde(rename = "store.newer_database")]
    NewerDatabase,
    #[serde(rename = "store.edited_migration")]
    EditedMigration,
    #[serde(rename = "store.sqlite")]
    Sqlite,
    #[serde(rename = "auth.not_signed_in")]
    NotSignedIn,
    /// Sign-in with an empty email or password.
    #[serde(rename = "auth.missing_credentials")]
    MissingCredentials,
    #[serde(rename = "credentials.failed")]
    Credentials,
    #[serde(rename = "document.checksum_mismatch")]
    ChecksumMismatch,
    /// The system could not open a downloaded document.
    #[serde(rename = "document.open_failed")]
    DocumentOpenFailed,
    #[serde(rename = "link.invalid")]
    LinkInvalid,
    #[serde(rename = "link.not_https")]
    LinkNotHttps,
    /// The system could not open a link.
    #[serde(rename = "link.open_failed")]
    LinkOpenFailed,
    /// A command could not reach the app's core at all (raised by the window itself).
    #[serde(rename = "ipc.failed")]
    IpcFailed,
    /// A `tradecenter://` link the app was started with (or handed) is not one it
    /// understands (another scheme or record kind, a malformed id, too long).
    #[serde(rename = "deep_link.invalid")]
    DeepLinkInvalid,
    /// A well-formed link to a record that is neither on this computer nor, asked, on
    /// the server (someone else's, or deleted).
    #[serde(rename = "deep_link.not_found")]
    DeepLinkNotFound,
    /// Turning "start at login" on or off failed (the autostart entry could not be
    /// written or removed).
    #[serde(rename = "autostart.failed")]
    AutostartFailed,
    /// A comparison's name is empty or too long.
    #[serde(rename = "comparison.bad_name")]
    ComparisonBadName,
    /// A comparison's quantity is 0 or more than an order may have.
    #[serde(rename = "comparison.bad_quantity")]
    ComparisonBadQuantity,
    /// An export could not be written where the user chose (nothing was left there).
    #[serde(rename = "export.write_failed")]
    ExportWriteFailed,
    /// More rows than a worksheet holds (CSV has no such limit).
    #[serde(rename = "export.too_large")]
    ExportTooLarge,
}

impl ClientCode {
    pub const ALL: &'static [ClientCode] = &[
        ClientCode::HttpsRequired,
        ClientCode::BadUrl,
        ClientCode::BadCertificate,
        ClientCode::Unreachable,
        ClientCode::UntrustedCertificate,
        ClientCode::Timeout,
        ClientCode::Io,
        ClientCode::Decode,
        ClientCode::TooManyRequests,
        ClientCode::UnexpectedAnswer,
        ClientCode::NewerDatabase,
        ClientCode::EditedMigration,
        ClientCode::Sqlite,
        ClientCode::NotSignedIn,
        ClientCode::MissingCredentials,
        ClientCode::Credentials,
        ClientCode::ChecksumMismatch,
        ClientCode::DocumentOpenFailed,
        ClientCode::LinkInvalid,
        ClientCode::LinkNotHttps,
        ClientCode::LinkOpenFailed,
        ClientCode::IpcFailed,
        ClientCode::DeepLinkInvalid,
        ClientCode::DeepLinkNotFound,
        ClientCode::AutostartFailed,
        ClientCode::ComparisonBadName,
        ClientCode::ComparisonBadQuantity,
        ClientCode::ExportWriteFailed,
        ClientCode::ExportTooLarge,
    ];

    /// The code as the UI sees it, e.g. `client.unreachable`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientCode::HttpsRequired => "client.https_required",
            ClientCode::BadUrl => "client.bad_url",
            ClientCode::BadCertificate => "client.bad_certificate",
            ClientCode::Unreachable => "client.unreachable",
            ClientCode::UntrustedCertificate => "client.untrusted_certificate",
            ClientCode::Timeout => "client.timeout",
            ClientCode::Io => "client.io",
            ClientCode::Decode => "client.decode",
            ClientCode::TooManyRequests => "http.429",
            ClientCode::UnexpectedAnswer => "http.unexpected",
            ClientCode::NewerDatabase => "store.newer_database",
            ClientCode::EditedMigration => "store.edited_migration",
            ClientCode::Sqlite => "store.sqlite",
            ClientCode::NotSignedIn => "auth.not_signed_in",
            ClientCode::MissingCredentials => "auth.missing_credentials",
            ClientCode::Credentials => "credentials.failed",
            ClientCode::ChecksumMismatch => "document.checksum_mismatch",
            ClientCode::DocumentOpenFailed => "document.open_failed",
            ClientCode::LinkInvalid => "link.invalid",
            ClientCode::LinkNotHttps => "link.not_https",
            ClientCode::LinkOpenFailed => "link.open_failed",
            ClientCode::IpcFailed => "ipc.failed",
            ClientCode::DeepLinkInvalid => "deep_link.invalid",
            ClientCode::DeepLinkNotFound => "deep_link.not_found",
            ClientCode::AutostartFailed => "autostart.failed",
            ClientCode::ComparisonBadName => "comparison.bad_name",
            ClientCode::ComparisonBadQuantity => "comparison.bad_quantity",
            ClientCode::ExportWriteFailed => "export.write_failed",
            ClientCode::ExportTooLarge => "export.too_large",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the server address must start with https:// ({0})")]
    NotHttps(String),
    #[error("the server address is not valid: {0}")]
    BadUrl(String),
    #[error("the CA certificate is not a PEM certificate")]
    BadCertificate,
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the server's certificate is not trusted: {0}")]
    UntrustedCertificate(String),
    #[error("the server did not answer in time")]
    Timeout,
    /// A request that never left this machine (no connection could be made): the server
    /// cannot have acted on it. Same code and words as the error inside.
    #[error(transparent)]
    NotSent(Box<ClientError>),
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        details: Option<serde_json::Value>,
    },
    #[error("the local database was written by a newer version of the app; update the app")]
    NewerDatabase,
    #[error("local migration {0} was changed after it was applied; migrations are append-only")]
    EditedMigration(i64),
    #[error("local database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the draft is not valid")]
    InvalidDraft(Vec<FieldError>),
    #[error(transparent)]
    Document(#[from] trade_documents::DocumentError),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("not signed in")]
    NotSignedIn,
    #[error("no such {0} here")]
    NotFound(&'static str),
    #[error("the credential store failed: {0}")]
    Credentials(String),
    #[error("unexpected data: {0}")]
    Decode(String),
    #[error("the downloaded file does not match the document; it was not kept")]
    ChecksumMismatch,
    /// Pay Now got no final answer in time: the payment may still go through. Not a
    /// failure: the call is kept (with its key) and its outcome arrives through sync.
    #[error(
        "the payment is still being processed; its outcome appears when the payment provider answers"
    )]
    PaymentPending {
        payment_id: Option<trade_model::PaymentId>,
    },
    /// A comparison's terms were refused.
    #[error("{0}")]
    Comparison(crate::comparisons::ComparisonError),
    /// Estimates for a quotation were refused (the model's rule and code).
    #[error("{0}")]
    Pricing(trade_model::quotation::PricingError),
    /// An order cannot come from this quotation (expired, or another supplier's).
    #[error("{0}")]
    QuotationUse(trade_model::quotation::QuotationUse),
    /// An export was not written.
    #[error(transparent)]
    Export(#[from] crate::exports::ExportError),
}

impl ClientError {
    pub fn code(&self) -> String {
        match self {
            ClientError::NotHttps(_) => ClientCode::HttpsRequired.as_str().into(),
            ClientError::BadUrl(_) => ClientCode::BadUrl.as_str().into(),
            ClientError::BadCertificate => ClientCode::BadCertificate.as_str().into(),
            ClientError::Unreachable(_) => ClientCode::Unreachable.as_str().into(),
            ClientError::UntrustedCertificate(_) => {
                ClientCode::UntrustedCertificate.as_str().into()
            }
            ClientError::Timeout => ClientCode::Timeout.as_str().into(),
            ClientError::NotSent(inner) => inner.code(),
            ClientError::Api { code, .. } => code.clone(),
            ClientError::NewerDatabase => ClientCode::NewerDatabase.as_str().into(),
            ClientError::EditedMigration(_) => ClientCode::EditedMigration.as_str().into(),
            ClientError::Sqlite(_) => ClientCode::Sqlite.as_str().into(),
            ClientError::InvalidDraft(_) => ErrorCode::OrderInvalidTerms.as_str().into(),
            ClientError::Document(e) => e.code().as_str().into(),
            ClientError::Io(_) => ClientCode::Io.as_str().into(),
            ClientError::NotSignedIn => ClientCode::NotSignedIn.as_str().into(),
            ClientError::NotFound(_) => ErrorCode::NotFound.as_str().into(),
            ClientError::Credentials(_) => ClientCode::Credentials.as_str().into(),
            ClientError::Decode(_) => ClientCode::Decode.as_str().into(),
            ClientError::ChecksumMismatch => ClientCode::ChecksumMismatch.as_str().into(),
            ClientError::PaymentPending { .. } => ErrorCode::PaymentProcessing.as_str().into(),
            ClientError::Comparison(e) => match e {
                crate::comparisons::ComparisonError::BadName => ClientCode::ComparisonBadName,
                crate::comparisons::ComparisonError::BadQuantity => {
                    ClientCode::ComparisonBadQuantity
                }
            }
            .as_str()
            .into(),
            ClientError::Pricing(e) => e.code().as_str().into(),
            ClientError::QuotationUse(e) => e.code().as_str().into(),
            ClientError::Export(e) => e.code().as_str().into(),
        }
    }

    /// Whether trying again later may succeed (network trouble, server faults), as
    /// opposed to a refusal that will not change.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable(_) | ClientError::Timeout => true,
            ClientError::NotSent(inner) => inner.is_transient(),
            ClientError::Api { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// How long the server asked to wait before the next request (a 429's Retry-After):
    /// retries wait at least this long.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            ClientError::NotSent(inner) => inner.retry_after(),
            ClientError::Api {
                status: 429,
                details: Some(details),
                ..
            } => details
                .get("retry_after_secs")?
                .as_u64()
                .map(std::time::Duration::from_secs),
            _ => None,
        }
    }

    /// The payment an error is about, when the server named one (`details.payment_id`
    /// of a refusal or of "still processing").
    pub fn payment_id(&self) -> Option<trade_model::PaymentId> {
        match self {
            ClientError::PaymentPending { payment_id } => *payment_id,
            ClientError::Api {
                details: Some(details),
                ..
            } => details.get("payment_id")?.as_str()?.parse().ok(),
            _ => None,
        }
    }

    /// The server's "still processing" answer for a payment (a card waiting for the
    /// gateway): not final, ask again later.
    pub fn is_payment_processing(&self) -> bool {
        matches!(self, ClientError::Api { status: 409, code, .. } if code == ErrorCode::PaymentProcessing.as_str())
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            return ClientError::Timeout;
        }
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        if text.contains("certificate") || text.contains("UnknownIssuer") {
            ClientError::UntrustedCertificate(text)
        } else if e.is_decode() {
            ClientError::Decode(text)
        } else {
            ClientError::Unreachable(text)
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A message of the model (a clause: "the quotation's prices held until ...") as a
/// sentence a screen or a file shows: its first letter in upper case.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_models_clause_reads_as_a_sentence() {
        assert_eq!(
            sentence("the quotation's prices held until 2026-12-31"),
            "The quotation's prices held until 2026-12-31"
        );
        assert_eq!(sentence("élan"), "Élan");
        assert_eq!(sentence(""), "");
    }

    /// Every code the engine can fail with is a declared one (the app's or the server's),
    /// under the name the UI's union has.
    #[test]
    fn every_error_has_a_declared_code() {
        let declared = |code: &str| {
            ClientCode::ALL.iter().any(|c| c.as_str() == code)
                || ErrorCode::ALL.iter().any(|c| c.as_str() == code)
        };
        let api = |status| ClientError::Api {
            status,
            code: ErrorCode::OrderInvalidState.as_str().to_owned(),
            message: String::new(),
            details: None,
        };
        let errors = [
            ClientError::NotHttps(String::new()),
            ClientError::BadUrl(String::new()),
            ClientError::BadCertificate,
            ClientError::Unreachable(String::new()),
            ClientError::UntrustedCertificate(String::new()),
            ClientError::Timeout,
            ClientError::NotSent(Box::new(ClientError::Timeout)),
            api(409),
            ClientError::NewerDatabase,
            ClientError::EditedMigration(3),
            ClientError::Sqlite(rusqlite::Error::InvalidQuery),
            ClientError::InvalidDraft(Vec::new()),
            ClientError::Io(std::io::Error::other("disk full")),
            ClientError::NotSignedIn,
            ClientError::NotFound("order"),
            ClientError::Credentials(String::new()),
            ClientError::Decode(String::new()),
            ClientError::ChecksumMismatch,
            ClientError::PaymentPending { payment_id: None },
            ClientError::Comparison(crate::comparisons::ComparisonError::BadName),
            ClientError::Comparison(crate::comparisons::ComparisonError::BadQuantity),
            ClientError::Pricing(trade_model::quotation::PricingError::BadFreight),
            ClientError::Export(crate::exports::ExportError::TooManyRows { rows: 2, max: 1 }),
            ClientError::Export(crate::exports::ExportError::Write {
                path: "x.csv".into(),
                source: std::io::Error::other("disk full"),
            }),
        ];
        for e in &errors {
            assert!(
                declared(&e.code()),
                "{e:?} has the undeclared code {}",
                e.code()
            );
        }
    }

    #[test]
    fn client_codes_are_unique_and_named_as_on_the_wire() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ClientCode::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} twice");
            let wire = serde_json::to_value(code).expect("a code serializes");
            assert_eq!(wire, serde_json::json!(code.as_str()));
            let back: ClientCode = serde_json::from_value(wire).expect("and reads back");
            assert_eq!(back, *code);
            assert!(
                !ErrorCode::ALL.iter().any(|c| c.as_str() == code.as_str()),
                "{code:?} is also a server code"
            );
        }
    }
}
