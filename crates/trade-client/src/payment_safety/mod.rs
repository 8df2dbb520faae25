//! The account-switch scam check (design §3): a supplier's chat message that carries
//! bank details other than the platform's designated account is flagged, so the client
//! can warn the buyer before they wire money anywhere but the designated account.
//!
//! [`scan`] looks for three kinds of detail:
//! - **IBANs**: two letters (an ISO country), two check digits, then the account part,
//!   with or without spaces/dashes between groups. The mod-97 checksum must hold, and
//!   the length must match the country (a table of IBAN countries; other countries
//!   accept 15–34 characters, but only near a bank word).
//! - **SWIFT/BIC codes**: a standalone token of 8 or 11 letters/digits, letters in
//!   positions 1–6, an ISO country in positions 5–6. Upper-case only (lower case only
//!   right after "SWIFT"/"BIC"), and only near a bank word or when clearly a code (it
//!   has a digit in the location/branch part), so shouted words such as "PLEASEXX" are
//!   not flagged.
//! - **Account numbers**: 6–20 digits, possibly grouped with single spaces or dashes,
//!   whose nearest label before them (or, lacking one, just after) is a bank word
//!   ("account", "bank", "IBAN", "remit", "账户", "Konto", ...). Numbers whose nearest
//!   label is an order, invoice, phone, amount or similar word are not account numbers;
//!   nor are phone numbers (`+`/`(` in front), amounts (currency in front, decimals) or
//!   dates.
//!
//! Details equal to the designated account (compared without spaces and dashes, upper
//! case; an account number also matches the designated number's digits alone, and a
//! BIC8 matches its BIC11 with branch "XXX") are not findings.
//!
//! This is a heuristic that errs towards warning: the warning is advice shown next to
//! the message, never a block. It is not a guarantee: details written out in words,
//! split across messages, or sent as an image are not seen.

mod account;
mod bic;
mod countries;
mod iban;
mod labels;
#[cfg(test)]
mod tests;

use account::*;
use bic::*;
use countries::*;
use iban::*;
use labels::*;
use serde::{Deserialize, Serialize};
use trade_model::entities::BeneficiaryAccount;

/// The text the client shows next to a flagged message.
pub const WARNING_TEXT: &str = "This message contains bank details that differ from \
Trade Center's designated account. Pay only through Pay Now, to the account shown there. \
Suppliers never need you to pay into a different account.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BankDetailKind {
    Iban,
    SwiftBic,
    AccountNumber,
}

/// One bank detail found in a message. `value` is normalized: no spaces or dashes,
/// upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BankDetail {
    pub kind: BankDetailKind,
    pub value: String,
}

/// Bank details in a message that are not the designated account's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentWarning {
    /// In order of appearance; never empty; each detail once.
    pub findings: Vec<BankDetail>,
}

/// Scans `text` for bank details that differ from `designated`. `None` when there are
/// none (including when the only details are the designated account's own).
pub fn scan(text: &str, designated: &BeneficiaryAccount) -> Option<PaymentWarning> {
    let chars: Vec<char> = text.chars().collect();
    let labels = find_labels(&chars);
    // Char ranges already claimed by a finding (or a designated detail), so digits of
    // an IBAN are not read again as an account number.
    let mut claimed: Vec<(usize, usize)> = Vec::new();
    let mut found: Vec<(usize, BankDetail)> = Vec::new();

    for (start, end, value) in find_ibans(&chars, &labels) {
        claimed.push((start, end));
        found.push((
            start,
            BankDetail {
                kind: BankDetailKind::Iban,
                value,
            },
        ));
    }
    for (start, end, value) in find_bics(&chars, &labels, &claimed) {
        claimed.push((start, end));
        found.push((
            start,
            BankDetail {
                kind: BankDetailKind::SwiftBic,
                value,
            },
        ));
    }
    for (start, _end, value) in find_account_numbers(&chars, &labels, &claimed) {
        found.push((
            start,
            BankDetail {
                kind: BankDetailKind::AccountNumber,
                value,
            },
        ));
    }

    found.sort_by_key(|(start, _)| *start);
    let mut findings: Vec<BankDetail> = Vec::new();
    for (_, detail) in found {
        if !is_designated(&detail, designated) && !findings.contains(&detail) {
            findings.push(detail);
        }
    }
    (!findings.is_empty()).then_some(PaymentWarning { findings })
}

/// Upper case without spaces and dashes.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn is_designated(detail: &BankDetail, designated: &BeneficiaryAccount) -> bool {
    let account = normalize(&designated.account_number);
    let swift = normalize(&designated.swift);
    let value = detail.value.as_str();
    match detail.kind {
        BankDetailKind::Iban => !account.is_empty() && value == account,
        BankDetailKind::AccountNumber => {
            // The designated number may carry a country prefix ("HK 0060 ..."); quoting
            // only its digits is still the designated account.
            let digits: String = account.chars().filter(char::is_ascii_digit).collect();
            (!account.is_empty() && value == account) || (!digits.is_empty() && value == digits)
        }
        BankDetailKind::SwiftBic => {
            // BIC8 and BIC11 with the primary-office branch "XXX" name the same office.
            let primary = |s: &str| -> String {
                match s.get(..8) {
                    Some(head) if s.len() == 11 && s.ends_with("XXX") => head.to_owned(),
                    _ => s.to_owned(),
                }
            };
            !swift.is_empty() && primary(value) == primary(&swift)
        }
    }
}
