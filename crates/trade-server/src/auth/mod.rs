//! Accounts' credentials and sessions: argon2id passwords, short-lived bearer tokens,
//! rotating single-use refresh tokens (reuse revokes the whole family), login limits.

pub mod operators;
pub mod password;
pub mod rate_limit;
pub mod sessions;

pub use sessions::AuthUser;

/// An address that can be an account's email: one `@`, a dotted domain, no spaces or
/// control characters, at most 254 bytes.
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}
