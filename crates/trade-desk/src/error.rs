//! The one error every command returns: a machine-readable code the UI switches on, the
//! words to show, and field problems for forms.

use serde::{Deserialize, Serialize};
use trade_client::error::{ClientCode, ClientError};
use trade_model::ErrorCode;
use trade_model::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, thiserror::Error)]
#[error("{message} ({code})")]
pub struct CommandError {
    /// One of the server's codes ([`ErrorCode`]) or one of the app's own
    /// ([`ClientCode`]): never a free string (see [`Code`]).
    pub code: String,
    pub message: String,
    /// For `order.invalid_terms`: what is wrong with which field.
    pub fields: Vec<FieldError>,
}

impl CommandError {
    pub fn new(code: impl Code, message: impl Into<String>) -> Self {
        CommandError {
            code: code.as_code().to_owned(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn not_signed_in() -> Self {
        CommandError::new(ClientCode::NotSignedIn, "Sign in first.")
    }
}

impl From<ClientError> for CommandError {
    fn from(e: ClientError) -> Self {
        let fields = match &e {
            ClientError::InvalidDraft(fields) => fields.clone(),
            _ => Vec::new(),
        };
        CommandError {
            code: e.code(),
            message: e.to_string(),
            fields,
        }
    }
}

/// A code a command can fail with: the server's ([`ErrorCode`]) or the app's own
/// ([`ClientCode`]).
pub trait Code {
    fn as_code(&self) -> &'static str;
}

impl Code for ErrorCode {
    fn as_code(&self) -> &'static str {
        self.as_str()
    }
}

impl Code for ClientCode {
    fn as_code(&self) -> &'static str {
        self.as_str()
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
