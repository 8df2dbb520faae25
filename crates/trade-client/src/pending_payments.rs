//! Pay Now calls waiting for their final answer, kept in the cache with the idempotency
//! key every retry of the call reuses, so that neither a lost answer nor a restart of the
//! app can pay twice or lose track of a payment.
//!
//! Invariants:
//! - a row is written before its call is first sent, and deleted only when the server
//!   gave a final answer (a result, or a refusal other than "still processing") or when
//!   synced data settled it;
//! - card details never reach the disk: a card row keeps the method and amount only (a
//!   `CHECK` in the table refuses a body for anything but a transfer). A card call is
//!   therefore never sent again after a restart; its row ends when the order's payment
//!   synced here is no longer processing (or is held for review), or after
//!   [`NEVER_SENT_AFTER`] without any payment of the order to match it;
//! - a transfer row keeps the exact body it was sent with (the server compares bodies
//!   byte for byte) and is sent again by the sync loop until it gets a final answer.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use trade_model::entities::{Payment, PaymentStatus};
use trade_model::order::PaymentMethod;
use trade_model::{OrderId, PaymentId};

use crate::error::{ClientError, Result};
use crate::store::LocalStore;

/// A card call with no payment of its order seen this long after it was made never
/// reached the server (or its payment was never recorded): its row is dropped.
pub const NEVER_SENT_AFTER: SignedDuration = SignedDuration::from_hours(24);

/// How far the server's clock may be behind this machine's when a card call's payment
/// is recognised by its creation time (when the server never named it).
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(2);

/// A Pay Now call made here whose outcome is not known yet: the order shows it as
/// processing until it resolves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingPaymentCall {
    /// The call's idempotency key.
    pub key: String,
    pub order: OrderId,
    pub method: PaymentMethod,
    /// The installment amount asked for (without the card fee).
    pub amount_minor: i64,
    /// The payment the server named for the call, once it did.
    pub payment_id: Option<PaymentId>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: Timestamp,
}

/// A transfer call to send again, with the exact body it was first sent with.
#[derive(Debug, Clone)]
pub(crate) struct TransferResend {
    pub key: String,
    pub order: OrderId,
    pub body: String,
}

fn method_name(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Card => "card",
        PaymentMethod::TelegraphicTransfer => "telegraphic_transfer",
    }
}

fn method_of(name: &str) -> Result<PaymentMethod> {
    match name {
        "card" => Ok(PaymentMethod::Card),
        "telegraphic_transfer" => Ok(PaymentMethod::TelegraphicTransfer),
        other => Err(ClientError::Decode(format!(
            "unknown payment method {other}"
        ))),
    }
}

fn decode<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    text.parse()
        .map_err(|_| ClientError::Decode(format!("a pending payment's {what}: {text}")))
}

fn call_of(
    key: String,
    order: String,
    method: String,
    amount_minor: i64,
    payment_id: Option<String>,
    created_at: i64,
) -> Result<PendingPaymentCall> {
    Ok(PendingPaymentCall {
        key,
        order: decode(&order, "order")?,
        method: method_of(&method)?,
        amount_minor,
        payment_id: payment_id
            .as_deref()
            .map(|p| decode(p, "payment"))
            .transpose()?,
        created_at: Timestamp::from_millisecond(created_at)
            .map_err(|e| ClientError::Decode(e.to_string()))?,
    })
}

const COLUMNS: &str = "idem_key, order_id, method, amount_minor, payment_id, created_at";

type Row = (String, String, String, i64, Option<String>, i64);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn calls(rows: Vec<Row>) -> Result<Vec<PendingPaymentCall>> {
    rows.into_iter()
        .map(|(k, o, m, a, p, c)| call_of(k, o, m, a, p, c))
        .collect()
}

/// The card payment a call made at `at` became, when the server never named it: the
/// order's first card payment made since, or else (the server's clock running behind
/// this machine's) the last one made within [`CLOCK_SKEW`] before.
fn call_payment(payments: &[Payment], at: Timestamp) -> Option<&Payment> {
    let cards = || payments.iter().filter(|p| p.method == PaymentMethod::Card);
    let since = at.checked_sub(CLOCK_SKEW).unwrap_or(at);
    cards()
        .filter(|p| p.created_at >= at)
        .min_by_key(|p| (p.created_at, p.id))
        .or_else(|| {
            cards()
                .filter(|p| p.created_at >= since)
                .max_by_key(|p| (p.created_at, p.id))
        })
}

impl LocalStore {
    /// Records a Pay Now call before it is sent. `body` is the exact request body; it is
    /// kept for a transfer only (a card's body carries the card details).
    pub(crate) fn add_pending_payment(
        &self,
        key: &str,
        order: OrderId,
        method: PaymentMethod,
        amount_minor: i64,
        body: &str,
        now: Timestamp,
    ) -> Result<()> {
        let kept = (method == PaymentMethod::TelegraphicTransfer).then_some(body);
        self.conn().execute(
            "INSERT INTO pending_payments \
             (idem_key, order_id, method, amount_minor, request, payment_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            params![
                key,
                order.to_string(),
                method_name(method),
                amount_minor,
                kept,
                now.as_millisecond()
            ],
        )?;
        Ok(())
    }

    /// Notes the payment the server named for a pending call.
    pub(crate) fn set_pending_payment_id(&self, key: &str, payment: PaymentId) -> Result<()> {
        self.conn().execute(
            "UPDATE pending_payments SET payment_id = ?1 WHERE idem_key = ?2",
            params![payment.to_string(), key],
        )?;
        Ok(())
    }

    /// Forgets a call that got its final answer. Returns whether it was still here.
    pub(crate) fn remove_pending_payment(&self, key: &str) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM pending_payments WHERE idem_key = ?1", [key])?
            > 0)
    }

    /// One pending call by its key.
    pub fn pending_payment(&self, key: &str) -> Result<Option<PendingPaymentCall>> {
        let found = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM pending_payments WHERE idem_key = ?1"),
                [key],
                row,
            )
            .optional()?;
        found
            .map(|(k, o, m, a, p, c)| call_of(k, o, m, a, p, c))
            .transpose()
    }

    /// The pending Pay Now calls of one order, oldest first.
    pub fn pending_payments(&self, order: OrderId) -> Result<Vec<PendingPaymentCall>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM pending_payments WHERE order_id = ?1 ORDER BY created_at, idem_key"
        ))?;
        let rows = stmt
            .query_map([order.to_string()], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        calls(rows)
    }

    /// Every pending Pay Now call, oldest first.
    pub fn all_pending_payments(&self) -> Result<Vec<PendingPaymentCall>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM pending_payments ORDER BY created_at, idem_key"
        ))?;
        let rows = stmt
            .query_map([], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        calls(rows)
    }

    /// The transfer calls to send again, oldest first.
    pub(crate) fn pending_transfers(&self) -> Result<Vec<TransferResend>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT idem_key, order_id, request FROM pending_payments \
             WHERE method = 'telegraphic_transfer' AND request IS NOT NULL \
             ORDER BY created_at, idem_key",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(key, order, body)| {
                Ok(TransferResend {
                    key,
                    order: decode(&order, "order")?,
                    body,
                })
            })
            .collect()
    }

    /// Settles card calls from the payments synced here: a call whose payment (by id, or
    /// else as [`call_payment`] finds it) is no longer processing or is held for review
    /// is done; one with no payment of its order seen within [`NEVER_SENT_AFTER`] never
    /// reached the server. Returns how many calls ended.
    pub(crate) fn settle_pending_cards(&self, now: Timestamp) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let rows = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {COLUMNS} FROM pending_payments WHERE method = 'card'"
            ))?;
            stmt.query_map([], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let mut ended = 0;
        for call in calls(rows)? {
            let payments = {
                let mut stmt =
                    tx.prepare_cached("SELECT data FROM payments WHERE order_id = ?1")?;
                stmt.query_map([call.order.to_string()], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?
                    .iter()
                    .map(|d| {
                        serde_json::from_str::<Payment>(d)
                            .map_err(|e| ClientError::Decode(e.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            let payment = match call.payment_id {
                Some(id) => payments.iter().find(|p| p.id == id),
                None => call_payment(&payments, call.created_at),
            };
            let done = match payment {
                Some(p) => {
                    if call.payment_id.is_none() {
                        tx.execute(
                            "UPDATE pending_payments SET payment_id = ?1 WHERE idem_key = ?2",
                            params![p.id.to_string(), call.key],
                        )?;
                    }
                    p.status != PaymentStatus::Processing || p.held_for_review
                }
                None => now.duration_since(call.created_at) > NEVER_SENT_AFTER,
            };
            if done {
                tx.execute(
                    "DELETE FROM pending_payments WHERE idem_key = ?1",
                    [&call.key],
                )?;
                ended += 1;
            }
        }
        tx.commit()?;
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_model::order::InstallmentKind;

    fn store() -> (tempfile::TempDir, LocalStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("c.sqlite3")).unwrap();
        (dir, store)
    }

    fn payment(order: OrderId, status: PaymentStatus, created_at: Timestamp) -> Payment {
        Payment {
            id: PaymentId::new(),
            order,
            installment: 0,
            installment_kind: InstallmentKind::Full,
            method: PaymentMethod::Card,
            amount_minor: 10_000,
            fee_minor: 295,
            currency: "USD".into(),
            status,
            reference: None,
            card_last4: Some("4242".into()),
            held_for_review: false,
            failure: None,
            created_at,
            updated_at: created_at,
        }
    }

    fn sync(store: &LocalStore, p: &Payment) {
        let mut conn = store.conn();
        let tx = conn.transaction().unwrap();
        crate::store::apply_put(&tx, &trade_model::sync::SyncRecord::Payment(p.clone())).unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn a_card_body_is_never_kept_and_a_transfer_body_is_kept_verbatim() {
        let (_dir, store) = store();
        let order = OrderId::new();
        let now = Timestamp::now();
        store
            .add_pending_payment(
                "k-card",
                order,
                PaymentMethod::Card,
                10_000,
                "{\"card\":{\"number\":\"4242\"}}",
                now,
            )
            .unwrap();
        let tt = "{\"method\":\"telegraphic_transfer\",\"amount_minor\":10000,\"card\":null}";
        store
            .add_pending_payment(
                "k-tt",
                order,
                PaymentMethod::TelegraphicTransfer,
                10_000,
                tt,
                now,
            )
            .unwrap();
        let kept: Vec<Option<String>> = {
            let conn = store.conn();
            let mut stmt = conn
                .prepare("SELECT request FROM pending_payments ORDER BY idem_key")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(kept, vec![None, Some(tt.to_owned())]);
        let resend = store.pending_transfers().unwrap();
        assert_eq!(resend.len(), 1);
        assert_eq!(
            (resend[0].key.as_str(), resend[0].body.as_str()),
            ("k-tt", tt)
        );
        // The table itself refuses a card body.
        assert!(
            store
                .conn()
                .execute(
                    "INSERT INTO pending_payments (idem_key, order_id, method, amount_minor, request, created_at) \
                     VALUES ('x', 'o', 'card', 1, '{}', 0)",
                    [],
                )
                .is_err()
        );
        let calls = store.pending_payments(order).unwrap();
        assert_eq!(calls.len(), 2);
        assert!(store.remove_pending_payment("k-card").unwrap());
        assert!(!store.remove_pending_payment("k-card").unwrap());
    }

    #[test]
    fn an_unnamed_call_is_the_first_card_payment_since_it_or_else_the_last_just_before() {
        let order = OrderId::new();
        let at = Timestamp::now();
        let secs = |s: i64| at.checked_add(SignedDuration::from_secs(s)).unwrap();
        let earlier = payment(order, PaymentStatus::Declined, secs(-30));
        let later = payment(order, PaymentStatus::Processing, secs(5));
        let latest = payment(order, PaymentStatus::Processing, secs(50));
        let all = [earlier.clone(), latest.clone(), later.clone()];
        assert_eq!(call_payment(&all, at).map(|p| p.id), Some(later.id));
        // A server clock behind this machine's: the one made just "before" the call.
        let behind = [
            payment(order, PaymentStatus::Declined, secs(-100)),
            earlier.clone(),
        ];
        assert_eq!(call_payment(&behind, at).map(|p| p.id), Some(earlier.id));
        let long_before = [payment(order, PaymentStatus::Declined, secs(-600))];
        assert!(call_payment(&long_before, at).is_none());
        let mut transfer = later.clone();
        transfer.method = PaymentMethod::TelegraphicTransfer;
        assert!(call_payment(&[transfer], at).is_none());
    }

    #[test]
    fn card_calls_settle_from_synced_payments_or_expire_unseen() {
        let (_dir, store) = store();
        let order = OrderId::new();
        let t0 = Timestamp::now();
        store
            .add_pending_payment("named", order, PaymentMethod::Card, 10_000, "{}", t0)
            .unwrap();
        let named = payment(order, PaymentStatus::Processing, t0);
        store.set_pending_payment_id("named", named.id).unwrap();
        let other = OrderId::new();
        store
            .add_pending_payment("unnamed", other, PaymentMethod::Card, 10_000, "{}", t0)
            .unwrap();
        let unseen = OrderId::new();
        store
            .add_pending_payment("unseen", unseen, PaymentMethod::Card, 10_000, "{}", t0)
            .unwrap();
        // An older attempt on `other` is not this call's payment.
        let older = payment(
            other,
            PaymentStatus::Declined,
            t0.checked_sub(SignedDuration::from_hours(1)).unwrap(),
        );
        sync(&store, &named);
        sync(&store, &older);
        assert_eq!(store.settle_pending_cards(t0).unwrap(), 0, "all still open");

        // Processing → still pending; then held for review → settled.
        let mut held = named.clone();
        held.held_for_review = true;
        sync(&store, &held);
        // The unnamed call's payment arrives, still processing: it gets the id.
        let mine = payment(other, PaymentStatus::Processing, t0);
        sync(&store, &mine);
        assert_eq!(store.settle_pending_cards(t0).unwrap(), 1);
        assert!(store.pending_payment("named").unwrap().is_none());
        assert_eq!(
            store
                .pending_payment("unnamed")
                .unwrap()
                .unwrap()
                .payment_id,
            Some(mine.id)
        );
        let mut succeeded = mine.clone();
        succeeded.status = PaymentStatus::Succeeded;
        sync(&store, &succeeded);
        assert_eq!(store.settle_pending_cards(t0).unwrap(), 1);
        assert!(store.pending_payment("unnamed").unwrap().is_none());

        // No payment of the order at all: kept for a day, then dropped as never sent.
        let day_later = t0
            .checked_add(NEVER_SENT_AFTER + SignedDuration::from_secs(1))
            .unwrap();
        assert!(store.pending_payment("unseen").unwrap().is_some());
        assert_eq!(store.settle_pending_cards(day_later).unwrap(), 1);
        assert!(store.all_pending_payments().unwrap().is_empty());
    }
}
