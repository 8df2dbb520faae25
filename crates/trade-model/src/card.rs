//! The format checks every card provider makes before it charges anything: the number's
//! length and check digit (Luhn), the expiry, the security code, the holder's name. The
//! server refuses a payment on the first problem; the desktop's card form shows them all
//! as the buyer types, from this same function (over IPC), so the two cannot disagree.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::api::CardDetails;

/// What is wrong with card details, in the order the card form shows its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CardProblem {
    /// Not 12 to 19 digits (spaces and dashes between them allowed), or the check digit is wrong.
    Number,
    /// The month is not 1 to 12, or the card expired before `today`'s month.
    Expired,
    /// Not 3 or 4 digits.
    Cvc,
    /// No name.
    Holder,
}

impl CardProblem {
    /// The code the API refuses such a card with.
    pub fn code(self) -> ErrorCode {
        match self {
            CardProblem::Number => ErrorCode::PaymentCardNumberInvalid,
            CardProblem::Expired => ErrorCode::PaymentCardExpired,
            CardProblem::Cvc => ErrorCode::PaymentCardCvcInvalid,
            CardProblem::Holder => ErrorCode::PaymentCardHolderMissing,
        }
    }
}

/// Every problem of `card` as of `today` (a card is good through its expiry month).
pub fn card_problems(card: &CardDetails, today: Date) -> Vec<CardProblem> {
    let mut problems = Vec::new();
    let digits = card_digits(&card.number);
    let only_digits_and_separators = card
        .number
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if !(12..=19).contains(&digits.len()) || !only_digits_and_separators || !luhn(&digits) {
        problems.push(CardProblem::Number);
    }
    let (year, month) = (i32::from(today.year()), i32::from(today.month()));
    let (exp_year, exp_month) = (i32::from(card.exp_year), i32::from(card.exp_month));
    let expired = exp_year < year || (exp_year == year && exp_month < month);
    if !(1..=12).contains(&exp_month) || expired {
        problems.push(CardProblem::Expired);
    }
    if !(3..=4).contains(&card.cvc.len()) || !card.cvc.chars().all(|c| c.is_ascii_digit()) {
        problems.push(CardProblem::Cvc);
    }
    if card.holder.trim().is_empty() {
        problems.push(CardProblem::Holder);
    }
    problems
}

/// The first problem of `card` as of `today`, if any: what a payment is refused for.
pub fn check_card(card: &CardDetails, today: Date) -> Result<(), CardProblem> {
    match card_problems(card, today).first() {
        Some(problem) => Err(*problem),
        None => Ok(()),
    }
}

/// The digits of a card number as typed ("4242 4242-4242 4242" → "4242424242424242").
pub fn card_digits(number: &str) -> String {
    number.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// The Luhn check digit test, over ASCII digits.
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

    fn nov_2026() -> Date {
        jiff::civil::date(2026, 11, 15)
    }

    #[test]
    fn a_good_card_has_no_problem() {
        for n in [
            "4242424242424242",
            "4242 4242 4242 4242",
            "5555-5555-5555-4444",
            "378282246310005",
        ] {
            assert_eq!(card_problems(&card(n), nov_2026()), vec![], "{n}");
        }
    }

    #[test]
    fn a_typo_in_the_number_fails_the_check_digit() {
        for n in [
            "4242424242424241",
            "4242424242424224",
            "42424242",
            "42424242424242424242",
            "4242x424242424242",
            "",
        ] {
            assert_eq!(
                check_card(&card(n), nov_2026()),
                Err(CardProblem::Number),
                "{n}"
            );
        }
    }

    #[test]
    fn a_card_is_good_through_its_expiry_month() {
        let mut c = card("4242424242424242");
        (c.exp_year, c.exp_month) = (2026, 11);
        assert_eq!(check_card(&c, nov_2026()), Ok(()));
        (c.exp_year, c.exp_month) = (2026, 10);
        assert_eq!(check_card(&c, nov_2026()), Err(CardProblem::Expired));
        (c.exp_year, c.exp_month) = (2025, 12);
        assert_eq!(check_card(&c, nov_2026()), Err(CardProblem::Expired));
        (c.exp_year, c.exp_month) = (2027, 13);
        assert_eq!(check_card(&c, nov_2026()), Err(CardProblem::Expired));
        (c.exp_year, c.exp_month) = (2027, 0);
        assert_eq!(check_card(&c, nov_2026()), Err(CardProblem::Expired));
    }

    #[test]
    fn every_problem_is_named_in_the_forms_order() {
        let c = CardDetails {
            number: "1234".to_owned(),
            exp_month: 1,
            exp_year: 2020,
            cvc: "12a".to_owned(),
            holder: "  ".to_owned(),
        };
        assert_eq!(
            card_problems(&c, nov_2026()),
            vec![
                CardProblem::Number,
                CardProblem::Expired,
                CardProblem::Cvc,
                CardProblem::Holder
            ]
        );
        let mut c = card("4242424242424242");
        for cvc in ["12", "12345", "abc"] {
            c.cvc = cvc.to_owned();
            assert_eq!(
                card_problems(&c, nov_2026()),
                vec![CardProblem::Cvc],
                "{cvc}"
            );
        }
    }

    #[test]
    fn each_problem_has_the_apis_code() {
        assert_eq!(
            CardProblem::Number.code(),
            ErrorCode::PaymentCardNumberInvalid
        );
        assert_eq!(CardProblem::Expired.code(), ErrorCode::PaymentCardExpired);
        assert_eq!(CardProblem::Cvc.code(), ErrorCode::PaymentCardCvcInvalid);
        assert_eq!(
            CardProblem::Holder.code(),
            ErrorCode::PaymentCardHolderMissing
        );
    }
}
