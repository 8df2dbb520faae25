//! The card network is the one part that cannot exist here, so card payments go through
//! this adapter. `SandboxGateway` answers like a real provider's test mode: documented
//! test card numbers approve, decline, or hold for review; anything else is declined.
//! Like a real provider it keeps its own books of charges by idempotency key, which
//! outlive a crash of the server that asked.

use async_trait::async_trait;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};
use trade_model::api::CardDetails;
use trade_model::{Money, PaymentId};

/// Test cards of the sandbox (spaces optional).
pub const CARD_APPROVE: &str = "4242424242424242";
pub const CARD_DECLINE: &str = "4000000000000002";
pub const CARD_INSUFFICIENT_FUNDS: &str = "4000000000009995";
pub const CARD_REVIEW: &str = "4000000000009235";

pub struct Charge<'a> {
    /// Our payment id; a real provider takes it as the charge's idempotency key.
    pub payment: PaymentId,
    /// Amount including the card fee.
    pub amount: Money,
    pub card: &'a CardDetails,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Approved {
        authorization: String,
    },
    Declined {
        reason: String,
    },
    /// The provider's risk team looks at it; an operator records the result.
    HeldForReview,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the payment provider could not be reached")]
    Unavailable,
}

/// A card payment provider. Every charge carries our payment's id as its idempotency
/// key, so asking twice charges once, and a charge whose answer was lost (a timeout, a
/// crash) can be looked up later by that key.
#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError>;

    /// What became of the charge asked for under `payment`, for a call whose answer
    /// never arrived. A charge the provider has no record of is cancelled first, so it
    /// can never happen afterwards (a delayed request arriving late is refused): `None`
    /// means nothing was charged and nothing will be.
    async fn recover(&self, payment: PaymentId) -> Result<Option<ChargeOutcome>, GatewayError>;
}

/// The sandbox's answer to a charge of `card`.
fn sandbox_outcome(payment: PaymentId, card: &CardDetails) -> ChargeOutcome {
    let digits = trade_model::card::card_digits(&card.number);
    match digits.as_str() {
        CARD_APPROVE => ChargeOutcome::Approved {
            authorization: format!("sandbox_auth_{}", payment.0.simple()),
        },
        CARD_DECLINE => ChargeOutcome::Declined {
            reason: "The card was declined by the issuing bank.".to_owned(),
        },
        CARD_INSUFFICIENT_FUNDS => ChargeOutcome::Declined {
            reason: "The card has insufficient funds.".to_owned(),
        },
        CARD_REVIEW => ChargeOutcome::HeldForReview,
        _ => ChargeOutcome::Declined {
            reason: "The sandbox accepts only its test cards.".to_owned(),
        },
    }
}

/// The sandbox provider's books: one row per idempotency key, written outside the
/// server's own transactions as a provider's are. On SQLite a file of its own next to
/// the server's database; on PostgreSQL a table in the same database, so every
/// instance sees the same provider.
#[derive(Debug, Clone)]
pub struct SandboxGateway {
    pool: AnyPool,
}

const CANCELLED: &str = "cancelled";

impl SandboxGateway {
    /// Opens (creating) the sandbox's books at `url` (`sqlite://...` or `postgres://...`).
    pub async fn open(url: &str) -> Result<SandboxGateway, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        pool.execute(
            "CREATE TABLE IF NOT EXISTS sandbox_gateway_charges (payment_id TEXT PRIMARY KEY, \
             outcome TEXT NOT NULL, detail TEXT)",
        )
        .await?;
        Ok(SandboxGateway { pool })
    }

    /// Records `outcome` under `payment` unless the key has a record already, and
    /// returns the record.
    async fn record(
        &self,
        payment: PaymentId,
        outcome: &str,
        detail: Option<&str>,
    ) -> Result<(String, Option<String>), GatewayError> {
        let unavailable = |err: sqlx::Error| {
            tracing::warn!(%err, "sandbox gateway books");
            GatewayError::Unavailable
        };
        sqlx::query(
            "INSERT INTO sandbox_gateway_charges (payment_id, outcome, detail) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(payment.to_string())
        .bind(outcome)
        .bind(detail)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        let row = sqlx::query(
            "SELECT outcome, detail FROM sandbox_gateway_charges WHERE payment_id = $1",
        )
        .bind(payment.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok((
            row.try_get("outcome").map_err(unavailable)?,
            row.try_get("detail").map_err(unavailable)?,
        ))
    }
}

fn outcome_parts(outcome: &ChargeOutcome) -> (&'static str, Option<&str>) {
    match outcome {
        ChargeOutcome::Approved { authorization } => ("approved", Some(authorization)),
        ChargeOutcome::Declined { reason } => ("declined", Some(reason)),
        ChargeOutcome::HeldForReview => ("review", None),
    }
}

fn outcome_from(outcome: &str, detail: Option<String>) -> Option<ChargeOutcome> {
    match outcome {
        "approved" => Some(ChargeOutcome::Approved {
            authorization: detail.unwrap_or_default(),
        }),
        "declined" => Some(ChargeOutcome::Declined {
            reason: detail.unwrap_or_default(),
        }),
        "review" => Some(ChargeOutcome::HeldForReview),
        _ => None,
    }
}

#[async_trait]
impl PaymentGateway for SandboxGateway {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError> {
        let fresh = sandbox_outcome(charge.payment, charge.card);
        let (outcome, detail) = outcome_parts(&fresh);
        let (outcome, detail) = self.record(charge.payment, outcome, detail).await?;
        Ok(
            outcome_from(&outcome, detail).unwrap_or_else(|| ChargeOutcome::Declined {
                reason: "The payment was cancelled before the card was charged.".to_owned(),
            }),
        )
    }

    async fn recover(&self, payment: PaymentId) -> Result<Option<ChargeOutcome>, GatewayError> {
        let (outcome, detail) = self.record(payment, CANCELLED, None).await?;
        Ok(outcome_from(&outcome, detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_model::card::check_card;

    #[test]
    fn the_sandbox_cards_pass_the_format_checks() {
        let today = jiff::civil::date(2026, 11, 1);
        for number in [
            CARD_APPROVE,
            CARD_DECLINE,
            CARD_INSUFFICIENT_FUNDS,
            CARD_REVIEW,
        ] {
            let card: CardDetails = serde_json::from_value(serde_json::json!({
                "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder": "A Buyer"
            }))
            .expect("a card's JSON");
            assert_eq!(check_card(&card, today), Ok(()), "{number}");
        }
    }
}
