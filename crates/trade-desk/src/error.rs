//! The one error every command returns: a machine-readable code the UI switches on, the
//! words to show, and field problems for forms.

use serde::{Deserialize, Serialize};
use trade_client::error::ClientError;
use trade_model::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, thiserror::Error)]
#[error("{message} ({code})")]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// For `order.invalid_terms`: what is wrong with which field.
    pub fields: Vec<FieldError>,
}

impl CommandError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn not_signed_in() -> Self {
        CommandError::new("auth.not_signed_in", "Sign in first.")
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

pub type CommandResult<T> = Result<T, CommandError>;
