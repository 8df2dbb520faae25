//! What the store answers when it cannot: its own error, which the HTTP layer turns into
//! a response (`From<StoreError> for HttpError`), so SQL code knows nothing of HTTP.

use trade_model::{DocumentId, ErrorCode};

use crate::error::HttpError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record, or none the caller may see (the same answer, so as not to tell
    /// which).
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A page cursor that is not one this server wrote.
    #[error("the cursor is not valid")]
    BadCursor,
    /// A client-made id that another record has already (a unique key violated).
    #[error("a record with this id exists already")]
    IdTaken,
    /// A message for an inquiry that is closed.
    #[error("the inquiry is closed")]
    InquiryClosed,
    /// A document to attach that does not exist or that the caller did not upload.
    #[error("document {0} does not exist or was not uploaded by you")]
    DocumentNotYours(DocumentId),
    /// A document that was shared (sent or attached) and is kept as a record.
    #[error("the document was sent or attached and is kept as a record")]
    DocumentInUse,
    /// A row the store cannot read back (a value no code writes): a server fault.
    #[error("unreadable row: {0}")]
    Corrupt(String),
    /// The database gave up on this transaction for a conflicting one (PostgreSQL
    /// deadlock or serialization failure, SQLite still locked after its busy timeout):
    /// nothing of it took effect, and trying again may succeed.
    #[error("the transaction met a conflicting one: {0}")]
    Contended(sqlx::Error),
    #[error(transparent)]
    Db(sqlx::Error),
    /// A read on SQLite's own connections (`db::Reads`) failed.
    #[error(transparent)]
    Read(#[from] rusqlite::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// A row's value the store cannot read.
    pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    /// A unique-key violation is a client's id colliding with an existing record (ids of
    /// inquiries, messages, orders and payments come from clients): a refusal, not a
    /// fault. A conflict between transactions is worth a retry. Everything else is the
    /// database's.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::IdTaken;
        }
        if is_contention(&e) {
            return StoreError::Contended(e);
        }
        StoreError::Db(e)
    }
}

/// PostgreSQL's deadlock_detected and serialization_failure; SQLite's BUSY and LOCKED
/// (a lock still held when the busy timeout ran out).
pub fn is_contention(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("40P01" | "40001" | "5" | "6" | "517")
        ),
        _ => false,
    }
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => HttpError::not_found(what),
            StoreError::BadCursor => {
                HttpError::bad_request(ErrorCode::RequestBadCursor, "The cursor is not valid.")
            }
            StoreError::IdTaken => HttpError::conflict(
                ErrorCode::RecordIdTaken,
                "A record with this id exists already; send it under a new id.",
            ),
            StoreError::InquiryClosed => {
                HttpError::conflict(ErrorCode::InquiryClosed, "This inquiry is closed.")
            }
            StoreError::DocumentNotYours(id) => HttpError::unprocessable(
                ErrorCode::DocumentNotFound,
                format!("Document {id} does not exist or was not uploaded by you."),
            ),
            StoreError::DocumentInUse => HttpError::conflict(
                ErrorCode::DocumentInUse,
                "This document was sent or attached to an order and is kept as a record.",
            ),
            StoreError::Corrupt(what) => HttpError::internal(what),
            StoreError::Contended(e) => HttpError::busy(e),
            StoreError::Db(e) => HttpError::internal(e),
            StoreError::Read(e) => HttpError::internal(e),
        }
    }
}
