//! Typed identifiers. Every id is a UUIDv7 so ids sort by creation time, which keeps
//! index inserts local and lets keyset pagination order by id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

typed_id!(
    /// A person's account (buyer, supplier or operator).
    AccountId,
    /// A company an account belongs to.
    CompanyId,
    /// A buyer ↔ supplier conversation about a product.
    InquiryId,
    /// One chat message.
    MessageId,
    /// An order.
    OrderId,
    /// An uploaded document (contract, PI, evidence, attachment).
    DocumentId,
    /// One payment attempt for an installment.
    PaymentId,
    /// A dispute on an order.
    DisputeId,
    /// A product a supplier offers.
    ProductId,
    /// A client-generated id for one queued mutation (its idempotency key).
    MutationId,
    /// A supplier's structured quotation in an inquiry.
    QuotationId,
);
