//! Placing an order from a quotation: the terms the order form starts with (the tier
//! price at the quantity, the currency, the Incoterm and its place, a ship-by date the
//! lead time allows), and the check the server and the app make when an order names
//! the quotation it came from.
//!
//! The order's terms stay the buyer's to edit: the supplier confirms the order as with
//! any other, so the check is about the link, not the prices. An order may name a
//! quotation only if that quotation's supplier sent it in the order's inquiry, to the
//! order's supplier, and its prices still hold on the day the order is placed.

use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use super::{PricingError, Quotation};
use crate::ErrorCode;
use crate::ids::{AccountId, InquiryId};
use crate::order::{OrderLine, OrderTerms, PaymentTerms, ShippingMethod};
use crate::time::utc_date;

/// The unit an order line from a quotation counts in: quotations price "per unit".
pub const QUOTED_UNIT: &str = "pieces";

/// Why an order cannot name a quotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum QuotationUse {
    /// Another supplier's quotation, or one sent in another inquiry (or none the
    /// orderer may see: the same answer, so ids of others' quotations reveal nothing).
    #[error("this quotation was not sent by the order's supplier in the order's inquiry")]
    Mismatch,
    #[error("the quotation's prices held until {valid_until}; ask the supplier for a new one")]
    Expired {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        valid_until: Date,
    },
}

impl QuotationUse {
    pub fn code(&self) -> ErrorCode {
        match self {
            QuotationUse::Mismatch => ErrorCode::OrderQuotationMismatch,
            QuotationUse::Expired { .. } => ErrorCode::QuotationExpired,
        }
    }
}

impl Quotation {
    /// The terms an order of `quantity` units from this quotation starts with on
    /// `today` (a UTC date): one line at the tier price for that quantity, the
    /// quotation's currency and Incoterm (its named place written in the remarks, as
    /// order terms have no place of their own), paid in full, to ship once the lead time
    /// has passed. Below the MOQ there is no price, so no terms.
    pub fn order_terms(&self, quantity: u64, today: Date) -> Result<OrderTerms, PricingError> {
        let tier = self.tier_for(quantity)?;
        let ship_by = today
            .checked_add(Span::new().days(i64::from(self.lead_time_days)))
            .map_err(|_| PricingError::Overflow)?;
        Ok(OrderTerms {
            lines: vec![OrderLine {
                product: self.product.clone(),
                quantity,
                unit: QUOTED_UNIT.to_owned(),
                unit_price_minor: tier.unit_price_minor,
            }],
            currency: self.currency,
            incoterm: self.incoterm.clone(),
            shipping_method: ShippingMethod::Sea,
            ship_by,
            payment_terms: PaymentTerms::Full,
            remarks: format!(
                "As quoted: {} {}, lead time {} days, prices valid until {}.",
                self.incoterm, self.named_place, self.lead_time_days, self.valid_until
            ),
            documents: Vec::new(),
        })
    }

    /// Whether an order to `supplier` in `inquiry`, placed at `now`, may name this
    /// quotation (see the module's rules).
    pub fn check_order(
        &self,
        supplier: AccountId,
        inquiry: Option<InquiryId>,
        now: Timestamp,
    ) -> Result<(), QuotationUse> {
        if self.supplier != supplier || inquiry != Some(self.inquiry) {
            return Err(QuotationUse::Mismatch);
        }
        if self.is_expired(utc_date(now)) {
            return Err(QuotationUse::Expired {
                valid_until: self.valid_until,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::ids::QuotationId;
    use crate::money::Currency;
    use crate::order::{Incoterm, validate_terms};
    use crate::quotation::PriceTier;

    fn quotation() -> Quotation {
        Quotation {
            id: QuotationId::new(),
            inquiry: InquiryId::new(),
            supplier: AccountId::new(),
            product: "Insulated bottle 500 ml".into(),
            tiers: vec![
                PriceTier {
                    min_quantity: 300,
                    unit_price_minor: 605,
                },
                PriceTier {
                    min_quantity: 1_000,
                    unit_price_minor: 580,
                },
                PriceTier {
                    min_quantity: 5_000,
                    unit_price_minor: 550,
                },
            ],
            currency: Currency::EUR,
            moq: 300,
            lead_time_days: 26,
            incoterm: Incoterm::Fca,
            named_place: "Ningbo".into(),
            valid_until: date(2026, 12, 31),
            sample_price_minor: None,
            notes: String::new(),
            created_at: "2026-12-01T08:00:00Z".parse().expect("a timestamp"),
        }
    }

    #[test]
    fn the_terms_carry_the_tier_price_at_the_quantity_and_pass_validation() {
        let q = quotation();
        let today = date(2026, 12, 4);
        let terms = q.order_terms(2_000, today).expect("2,000 is above the MOQ");
        assert_eq!(terms.lines.len(), 1);
        assert_eq!(terms.lines[0].product, "Insulated bottle 500 ml");
        assert_eq!(terms.lines[0].quantity, 2_000);
        assert_eq!(terms.lines[0].unit_price_minor, 580, "the 1,000+ tier");
        assert_eq!(terms.currency, Currency::EUR);
        assert_eq!(terms.incoterm, Incoterm::Fca);
        assert_eq!(terms.ship_by, date(2026, 12, 30), "26 days of lead time");
        assert!(terms.remarks.contains("FCA Ningbo"), "{}", terms.remarks);
        let total = validate_terms(&terms, today).expect("terms an order accepts");
        assert_eq!(total.minor, 1_160_000);
        assert_eq!(
            q.order_terms(5_000, today).expect("a tier").lines[0].unit_price_minor,
            550
        );
    }

    #[test]
    fn below_the_moq_there_are_no_terms() {
        assert_eq!(
            quotation().order_terms(299, date(2026, 12, 4)),
            Err(PricingError::BelowMoq {
                quantity: 299,
                moq: 300
            })
        );
    }

    #[test]
    fn an_order_names_only_its_suppliers_quotation_from_its_inquiry_while_it_holds() {
        let q = quotation();
        let on = |day: &str| -> Timestamp { day.parse().expect("a timestamp") };
        let last_minute = on("2026-12-31T23:59:59Z");
        assert_eq!(
            q.check_order(q.supplier, Some(q.inquiry), last_minute),
            Ok(())
        );
        assert_eq!(
            q.check_order(AccountId::new(), Some(q.inquiry), last_minute),
            Err(QuotationUse::Mismatch)
        );
        assert_eq!(
            q.check_order(q.supplier, Some(InquiryId::new()), last_minute),
            Err(QuotationUse::Mismatch)
        );
        assert_eq!(
            q.check_order(q.supplier, None, last_minute),
            Err(QuotationUse::Mismatch)
        );
        let expired = q
            .check_order(q.supplier, Some(q.inquiry), on("2027-01-01T00:00:00Z"))
            .expect_err("the day after valid_until");
        assert_eq!(expired.code(), ErrorCode::QuotationExpired);
        assert!(expired.to_string().contains("2026-12-31"), "{expired}");
    }
}
