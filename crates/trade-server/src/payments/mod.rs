//! Paying an order: starting a payment, the card gateway adapter, card payments'
//! outcomes (and their reconciliation), and the designated transfer account.

pub mod card;
pub mod gateway;
mod start;

pub use start::begin_payment;

use trade_model::entities::BeneficiaryAccount;

/// The platform's designated account (the help page's "CITIBANK account designated by
/// the platform"). Telegraphic transfers go here, quoting the payment's reference.
pub fn designated_account() -> BeneficiaryAccount {
    BeneficiaryAccount {
        beneficiary: "Trade Center Escrow Ltd.".to_owned(),
        bank: "Citibank N.A. Hong Kong Branch".to_owned(),
        account_number: "HK 0060 3920 1245 77".to_owned(),
        swift: "CITIHKHX".to_owned(),
        bank_address: "3 Garden Road, Central, Hong Kong".to_owned(),
    }
}
