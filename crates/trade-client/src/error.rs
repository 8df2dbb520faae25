//! The engine's errors. Every variant has a stable machine-readable `code` the UI
//! switches on; server errors keep the server's code.

use trade_model::ErrorCode;
use trade_model::error::FieldError;

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
}

impl ClientError {
    pub fn code(&self) -> String {
        match self {
            ClientError::NotHttps(_) => "client.https_required".into(),
            ClientError::BadUrl(_) => "client.bad_url".into(),
            ClientError::BadCertificate => "client.bad_certificate".into(),
            ClientError::Unreachable(_) => "client.unreachable".into(),
            ClientError::UntrustedCertificate(_) => "client.untrusted_certificate".into(),
            ClientError::Timeout => "client.timeout".into(),
            ClientError::NotSent(inner) => inner.code(),
            ClientError::Api { code, .. } => code.clone(),
            ClientError::NewerDatabase => "store.newer_database".into(),
            ClientError::EditedMigration(_) => "store.edited_migration".into(),
            ClientError::Sqlite(_) => "store.sqlite".into(),
            ClientError::InvalidDraft(_) => ErrorCode::OrderInvalidTerms.as_str().into(),
            ClientError::Document(e) => e.code().as_str().into(),
            ClientError::Io(_) => "client.io".into(),
            ClientError::NotSignedIn => "auth.not_signed_in".into(),
            ClientError::NotFound(_) => ErrorCode::NotFound.as_str().into(),
            ClientError::Credentials(_) => "credentials.failed".into(),
            ClientError::Decode(_) => "client.decode".into(),
            ClientError::ChecksumMismatch => "document.checksum_mismatch".into(),
            ClientError::PaymentPending { .. } => ErrorCode::PaymentProcessing.as_str().into(),
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
