//! The card network is the one part that cannot exist here, so card payments go through
//! this adapter. `SandboxGateway` answers like a real provider's test mode: documented
//! test card numbers approve, decline, or hold for review; anything else is declined.

use async_trait::async_trait;
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

#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError>;
}

#[derive(Debug, Default)]
pub struct SandboxGateway;

#[async_trait]
impl PaymentGateway for SandboxGateway {
    async fn charge(&self, charge: Charge<'_>) -> Result<ChargeOutcome, GatewayError> {
        let digits = normalize_card_number(&charge.card.number);
        Ok(match digits.as_str() {
            CARD_APPROVE => ChargeOutcome::Approved {
                authorization: format!("sandbox_auth_{}", charge.payment.0.simple()),
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
        })
    }
}

pub fn normalize_card_number(number: &str) -> String {
    number.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Why card details are refused before they reach the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardProblem {
    Number,
    Expired,
    Cvc,
    Holder,
}

/// Format checks every provider does first: Luhn, expiry (as of `year`/`month`), CVC.
pub fn check_card(card: &CardDetails, year: i16, month: i8) -> Result<(), CardProblem> {
    let digits = normalize_card_number(&card.number);
    let only_digits_and_spaces = card
        .number
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if !(12..=19).contains(&digits.len()) || !only_digits_and_spaces || !luhn(&digits) {
        return Err(CardProblem::Number);
    }
    let expired = i32::from(card.exp_year) < i32::from(year)
        || (i32::from(card.exp_year) == i32::from(year)
            && i32::from(card.exp_month) < i32::from(month));
    if !(1..=12).contains(&card.exp_month) || expired {
        return Err(CardProblem::Expired);
    }
    if !(3..=4).contains(&card.cvc.len()) || !card.cvc.chars().all(|c| c.is_ascii_digit()) {
        return Err(CardProblem::Cvc);
    }
    if card.holder.trim().is_empty() {
        return Err(CardProblem::Holder);
    }
    Ok(())
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str) -> CardDetails {
        CardDetails {
            number: number.to_owned(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".to_owned(),
            holder: "A Buyer".to_owned(),
        }
    }

    #[test]
    fn test_cards_pass_luhn_and_typos_do_not() {
        for n in [
            CARD_APPROVE,
            CARD_DECLINE,
            CARD_INSUFFICIENT_FUNDS,
            CARD_REVIEW,
        ] {
            assert_eq!(check_card(&card(n), 2026, 11), Ok(()), "{n}");
        }
        assert_eq!(
            check_card(&card("4242 4242 4242 4241"), 2026, 11),
            Err(CardProblem::Number)
        );
        let mut old = card(CARD_APPROVE);
        old.exp_year = 2026;
        old.exp_month = 10;
        assert_eq!(check_card(&old, 2026, 11), Err(CardProblem::Expired));
    }
}
