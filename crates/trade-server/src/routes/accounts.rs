//! Registration, sessions and the caller's own account.

use std::net::SocketAddr;
use trade_model::ErrorCode;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use jiff::SignedDuration;
use trade_model::api::{LoginRequest, RefreshRequest, RegisterRequest, Session};
use trade_model::entities::{Account, Role};

use crate::auth::sessions::{self, RefreshOutcome};
use crate::auth::{AuthUser, password};
use crate::error::{HttpError, HttpResult};
use crate::state::AppState;
use crate::store;

const LOGIN_WINDOW: SignedDuration = SignedDuration::from_secs(60);
pub const LOGINS_PER_IP_PER_MINUTE: usize = 30;
/// Per account *and* address: someone guessing from elsewhere cannot lock the owner out.
pub const LOGINS_PER_ACCOUNT_PER_MINUTE: usize = 10;

fn field_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = Account), (status = 403, description = "Operator accounts are not registrable (`account.operator_not_registrable`)."),
        (status = 409, body = trade_model::api::ApiError)))]
pub async fn register(
    State(state): State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> HttpResult<(StatusCode, Json<Account>)> {
    if req.role == Role::Operator {
        return Err(HttpError::forbidden(
            ErrorCode::AccountOperatorNotRegistrable,
            "Operator accounts are created by the platform.",
        ));
    }
    if !crate::auth::valid_email(&req.email) {
        return Err(HttpError::unprocessable(
            ErrorCode::AccountBadEmail,
            "Enter a valid email address.",
        ));
    }
    let chars = req.password.chars().count();
    if !(password::MIN_PASSWORD_CHARS..=password::MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(HttpError::unprocessable(
            ErrorCode::AccountWeakPassword,
            "Use a password of at least 10 characters.",
        ));
    }
    if !field_ok(&req.display_name, 100) || !field_ok(&req.company_name, 200) {
        return Err(HttpError::unprocessable(
            ErrorCode::AccountBadName,
            "Give your name and your company's name.",
        ));
    }
    if req.country.trim().len() != 2 || !req.country.trim().chars().all(|c| c.is_ascii_alphabetic())
    {
        return Err(HttpError::unprocessable(
            ErrorCode::AccountBadCountry,
            "Give the country as a two-letter code, e.g. US.",
        ));
    }
    let hash = password::hash_on_pool(req.password.clone()).await?;
    let mut tx = state.db.begin().await?;
    let account = store::accounts::insert(
        &mut tx,
        &store::accounts::NewAccount {
            email: &req.email,
            password_hash: &hash,
            display_name: &req.display_name,
            role: req.role,
            company_name: &req.company_name,
            country: &req.country,
        },
        state.now(),
    )
    .await?;
    let Some(account) = account else {
        tx.rollback().await?;
        return registered_before(&state, &req).await;
    };
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// A registration whose email is taken: if it is the very request that took it (a retry
/// after the answer was lost: same name, role, company and password), the account it
/// made, as the first answer was; otherwise `account.email_taken`.
async fn registered_before(
    state: &AppState,
    req: &RegisterRequest,
) -> HttpResult<(StatusCode, Json<Account>)> {
    let taken = || {
        HttpError::conflict(
            ErrorCode::AccountEmailTaken,
            "An account with this email already exists.",
        )
    };
    let Some((account, hash)) = store::accounts::by_email(&state.db, &req.email).await? else {
        return Err(taken());
    };
    let same = account.display_name == req.display_name.trim()
        && account.role == req.role
        && account.company.name == req.company_name.trim()
        && account.company.country == req.country.trim().to_uppercase();
    if !same {
        return Err(taken());
    }
    let given = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&given, &hash))
        .await
        .map_err(HttpError::internal)?;
    if ok {
        Ok((StatusCode::CREATED, Json(account)))
    } else {
        Err(taken())
    }
}

fn too_many(retry: SignedDuration) -> HttpError {
    HttpError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::AuthRateLimited,
        format!(
            "Too many sign-in attempts; try again in {} seconds.",
            retry.as_secs().max(1)
        ),
    )
    .with_details(serde_json::json!({ "retry_after_secs": retry.as_secs().max(1) }))
}

#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", request_body = LoginRequest,
    responses((status = 201, body = Session), (status = 401, body = trade_model::api::ApiError),
              (status = 429, body = trade_model::api::ApiError)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<LoginRequest>,
) -> HttpResult<(StatusCode, Json<Session>)> {
    let now = state.now();
    state
        .limiter
        .check(
            &format!("ip:{}", peer.ip()),
            LOGINS_PER_IP_PER_MINUTE,
            LOGIN_WINDOW,
            now,
        )
        .await?
        .map_err(too_many)?;
    state
        .limiter
        .check(
            &format!(
                "account:{}|ip:{}",
                req.email.trim().to_lowercase(),
                peer.ip()
            ),
            LOGINS_PER_ACCOUNT_PER_MINUTE,
            LOGIN_WINDOW,
            now,
        )
        .await?
        .map_err(too_many)?;
    let found = store::accounts::by_email(&state.db, &req.email).await?;
    let stored = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let given = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
        .await
        .map_err(HttpError::internal)?;
    let account = match (found, ok) {
        (Some((account, _)), true) => account,
        _ => {
            return Err(HttpError::unauthorized(
                ErrorCode::AuthBadCredentials,
                "The email or password is wrong.",
            ));
        }
    };
    let family = uuid::Uuid::now_v7().to_string();
    let mut tx = state.db.begin().await?;
    let tokens = sessions::issue(&mut tx, account.id, &family, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Session {
            access_token: tokens.access_token,
            access_expires_at: tokens.access_expires_at,
            refresh_token: tokens.refresh_token,
            account,
            designated_account: state.beneficiary.clone(),
        }),
    ))
}

#[utoipa::path(post, path = "/v1/sessions/refresh", tag = "accounts", request_body = RefreshRequest,
    responses((status = 201, body = Session), (status = 401, body = trade_model::api::ApiError)))]
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> HttpResult<(StatusCode, Json<Session>)> {
    let mut tx = state.db.begin().await?;
    let outcome = sessions::refresh(&mut tx, &req.refresh_token, state.now()).await?;
    tx.commit().await?;
    match outcome {
        RefreshOutcome::Rotated(account_id, tokens) => {
            let account = store::accounts::by_id(&state.db, account_id)
                .await?
                .ok_or_else(|| HttpError::not_found("account"))?;
            Ok((
                StatusCode::CREATED,
                Json(Session {
                    access_token: tokens.access_token,
                    access_expires_at: tokens.access_expires_at,
                    refresh_token: tokens.refresh_token,
                    account,
                    designated_account: state.beneficiary.clone(),
                }),
            ))
        }
        RefreshOutcome::Reused => Err(HttpError::unauthorized(
            ErrorCode::AuthRefreshReused,
            "This sign-in was used from somewhere else, so it was ended everywhere; sign in again.",
        )),
        RefreshOutcome::Spent => Err(HttpError::unauthorized(
            ErrorCode::AuthRefreshSpent,
            "This sign-in was already renewed; use the newer session.",
        )),
        RefreshOutcome::Invalid => Err(HttpError::unauthorized(
            ErrorCode::AuthInvalidToken,
            "Your session has expired; sign in again.",
        )),
    }
}

#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> HttpResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    sessions::revoke_family(&mut tx, &user.family, state.now()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me", tag = "accounts",
    responses((status = 200, body = Account)), security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> HttpResult<Json<Account>> {
    store::accounts::by_id(&state.db, user.id)
        .await?
        .map(Json)
        .ok_or_else(|| HttpError::not_found("account"))
}

#[utoipa::path(get, path = "/v1/suppliers", tag = "accounts",
    responses((status = 200, body = Vec<Account>)), security(("bearer" = [])))]
pub async fn suppliers(
    State(state): State<AppState>,
    _user: AuthUser,
) -> HttpResult<Json<Vec<Account>>> {
    let mut suppliers = store::accounts::suppliers(&state.db).await?;
    // The directory shows who trades, not how to reach them off the platform.
    for supplier in &mut suppliers {
        supplier.email.clear();
    }
    Ok(Json(suppliers))
}
