//! Accounts' credentials and sessions: argon2id passwords, short-lived bearer tokens,
//! rotating single-use refresh tokens (reuse revokes the whole family), login limits.

pub mod password;
pub mod rate_limit;
pub mod sessions;

pub use sessions::AuthUser;
