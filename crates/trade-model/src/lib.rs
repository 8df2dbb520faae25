//! The trade platform's shared vocabulary: typed ids, money, the order lifecycle and
//! dispute rules as pure functions, and the messages the API exchanges.
//!
//! Nothing here performs I/O or reads a clock: callers pass `now`. The server applies
//! these rules authoritatively; the client uses the same functions to validate drafts
//! and predict the effect of queued actions.

pub mod api;
pub mod card;
pub mod dispute;
pub mod entities;
pub mod error;
pub mod error_code;
pub mod ids;
pub mod money;
pub mod order;
pub mod quotation;
pub mod supplier;
pub mod sync;
pub mod time;

pub use error::Rejection;
pub use error_code::ErrorCode;
pub use ids::*;
pub use money::{Currency, Money};
