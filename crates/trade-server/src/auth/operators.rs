//! Operators (the platform's payment and dispute team): created by the server command
//! (`trade-server create-operator`), never through the API.

use trade_model::ErrorCode;
use trade_model::entities::{Account, Role};

use crate::auth::{password, valid_email};
use crate::error::{HttpError, HttpResult};
use crate::store;

/// Creates an operator account (server command only; never through the API).
pub async fn create(
    db: &crate::db::Db,
    email: &str,
    name: &str,
    password: &str,
) -> HttpResult<Account> {
    if !valid_email(email) || password.chars().count() < password::MIN_PASSWORD_CHARS {
        return Err(HttpError::unprocessable(
            ErrorCode::AccountBadOperator,
            "Give a valid email and a password of at least 10 characters.",
        ));
    }
    let hash = password::hash_on_pool(password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let account = store::accounts::insert(
        &mut tx,
        &store::accounts::NewAccount {
            email,
            password_hash: &hash,
            display_name: name,
            role: Role::Operator,
            company_name: "Trade Center",
            country: "HK",
        },
        jiff::Timestamp::now(),
    )
    .await?
    .ok_or_else(|| {
        HttpError::conflict(
            ErrorCode::AccountEmailTaken,
            "An account with this email already exists.",
        )
    })?;
    tx.commit().await?;
    Ok(account)
}
