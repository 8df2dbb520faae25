//! What the UI reads, all from the local cache (online or not).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use trade_model::api::{OrderView, UnreadCounts};
use trade_model::entities::{BeneficiaryAccount, DocumentMeta, Inquiry, Message, Payment};
use trade_model::order::OrderBox;
use trade_model::quotation::Quotation;
use trade_model::sync::{MutationOp, OrderHistory, OrderVersion};
use trade_model::time::utc_date;
use trade_model::{InquiryId, OrderId, QuotationId};

use super::LocalStore;
use super::inquiry_row::{INQUIRY_COLUMNS, inquiry_at};
use super::message_row::{MESSAGE_COLUMNS, MESSAGE_JSON, message_at};
use crate::error::{ClientError, Result};
use crate::payment_safety::{self, BankDetail, PaymentWarning};

fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| ClientError::Decode(e.to_string()))
}

/// A keyset page: `next` continues after the last item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> LocalPage<T> {
    /// A page of at most `limit` items from `limit + 1` fetched ones, with the cursor of
    /// the last item kept when more remain.
    fn cut(mut items: Vec<T>, keys: Vec<String>, limit: usize) -> LocalPage<T> {
        let next = if items.len() > limit {
            items.truncate(limit);
            limit.checked_sub(1).and_then(|i| keys.get(i).cloned())
        } else {
            None
        };
        LocalPage { items, next }
    }
}

fn cursor_of(at: i64, id: &str) -> String {
    format!("{at}|{id}")
}

fn parse_cursor(c: Option<&str>) -> Option<(i64, String)> {
    let (at, id) = c?.split_once('|')?;
    Some((at.parse().ok()?, id.to_owned()))
}

/// An order's view derived again for `now`: what the rules allow depends on time (a
/// dispute may be escalated from day 4, receipt confirmed while shipped, ...), and the
/// cached view was derived when the server last changed the order, which may be days ago.
fn as_of(view: OrderView, now: jiff::Timestamp) -> OrderView {
    OrderView::new(view.order, view.viewer, now)
}

/// At most this many words narrow the orders list (each is one more condition).
const MAX_FILTER_WORDS: usize = 8;

fn filter_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(str::to_lowercase)
        .take(MAX_FILTER_WORDS)
        .collect()
}

/// How the orders list is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OrderSort {
    /// Most recently changed first.
    #[default]
    Recent,
    /// Soonest next deadline first; orders without one last.
    Deadline,
}

/// Which orders the list shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderFilter {
    /// One box, or every order.
    #[serde(rename = "box")]
    pub order_box: Option<OrderBox>,
    pub sort: OrderSort,
    /// Words that must all match (products, remarks, terms, number, supplier).
    pub text: String,
}

/// A supplier this buyer deals with, as their inquiries name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Partner {
    pub id: trade_model::AccountId,
    pub name: String,
    pub company: String,
}

/// Delivery state of a message in this app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// From the server.
    Synced,
    /// Queued here, not yet accepted by the server.
    Pending,
    /// Accepted by the server; the next sync brings its final state.
    Sent,
    /// Refused by the server; see the outbox for why.
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadMessage {
    pub message: Message,
    pub delivery: Delivery,
    /// Set on another party's message carrying bank details that are not the platform's
    /// designated account (the account-switch scam): the UI shows a warning beside it.
    pub payment_warning: Option<PaymentWarning>,
    /// The quotation the message carries (`message.quotation`), from the cache: the
    /// thread draws it as a card. `None` while its record has not arrived (the message
    /// then shows as its plain-text summary) and for every other message.
    pub quotation: Option<Quotation>,
    /// Whether that quotation's prices no longer hold today (a UTC date, as
    /// [`Quotation::is_expired`]), worked out when the thread is read.
    pub quotation_expired: bool,
}

/// Everything the order screen shows, from the cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderDetail {
    pub view: OrderView,
    /// Every event, oldest first, each with the order as it stood after it (empty until
    /// the order's history has synced, e.g. for an order submitted offline).
    pub history: Vec<OrderVersion>,
    /// The contract / PI documents of the current terms; `local` ones are still on this
    /// machine, waiting to be uploaded.
    pub documents: Vec<OrderDocument>,
    pub payments: Vec<Payment>,
    /// The action queued or refused here that is not yet reflected by the server.
    pub outbox: Vec<crate::outbox::OutboxEntry>,
    /// Pay Now calls made here still waiting for their outcome (shown as processing).
    pub pending_payments: Vec<crate::pending_payments::PendingPaymentCall>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderDocument {
    pub meta: DocumentMeta,
    pub local: bool,
}

/// A keyset page from a statement selecting `data, <sort key>, id` (newest first, one
/// row more than `limit` to know whether more remain).
fn keyed_page<T: for<'de> Deserialize<'de>>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    limit: usize,
) -> Result<LocalPage<T>> {
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut items = Vec::new();
    let mut keys = Vec::new();
    for row in rows {
        let (data, at, id) = row?;
        items.push(parse::<T>(&data)?);
        keys.push(cursor_of(at, &id));
    }
    Ok(LocalPage::cut(items, keys, limit))
}

impl LocalStore {
    /// A cached quotation, if its record has arrived.
    pub fn quotation(&self, id: QuotationId) -> Result<Option<Quotation>> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "SELECT data FROM quotations WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    /// One cached record by id; `what` names it in the not-found error.
    fn record<T: for<'de> Deserialize<'de>>(
        &self,
        table: &'static str,
        id: &str,
        what: &'static str,
    ) -> Result<T> {
        let data: String = self
            .conn()
            .query_row(
                &format!(
                    "SELECT {} FROM {table} WHERE id = {}",
                    super::columns::json_of(table),
                    super::columns::id_param(table, 1)
                ),
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(ClientError::NotFound(what))?;
        parse(&data)
    }

    /// "All Inquiries" or "Unread Messages", newest activity first.
    pub fn inquiries(
        &self,
        unread_only: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LocalPage<Inquiry>> {
        let (at, id) = parse_cursor(after).unwrap_or((i64::MAX, String::new()));
        let conn = self.conn();
        let unread = if unread_only { "AND unread > 0" } else { "" };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {INQUIRY_COLUMNS} FROM inquiries \
             WHERE (last_message_at < ?1 OR (last_message_at = ?1 \
             AND (id < unhex(?2, '-') OR ?2 = ''))) {unread} \
             ORDER BY last_message_at DESC, id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![at, id, limit as i64 + 1], |r| inquiry_at(r, 0))?;
        let mut items = Vec::new();
        let mut keys = Vec::new();
        for row in rows {
            let inquiry = row?;
            keys.push(cursor_of(
                inquiry.last_message_at.as_millisecond(),
                &inquiry.id.to_string(),
            ));
            items.push(inquiry);
        }
        Ok(LocalPage::cut(items, keys, limit))
    }

    pub fn inquiry(&self, id: InquiryId) -> Result<Inquiry> {
        self.record("inquiries", &id.to_string(), "inquiry")
    }

    /// A thread's messages, oldest first, with pending and failed ones marked.
    pub fn thread(
        &self,
        inquiry: InquiryId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LocalPage<ThreadMessage>> {
        let (at, id) = parse_cursor(after).unwrap_or((i64::MIN, String::new()));
        let designated = self.designated_account()?;
        let me = self.me()?.map(|a| a.id);
        let conn = self.conn();
        // A message carrying a quotation names it in its data; the quotation's own record
        // may not have arrived yet (LEFT JOIN: NULL then).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT m.state, q.data, {MESSAGE_COLUMNS} FROM messages m \
             LEFT JOIN quotations q ON q.id = m.quotation AND q.inquiry_id = ?1 \
             WHERE m.inquiry_id = unhex(?1, '-') \
             AND (m.sent_at > ?2 OR (m.sent_at = ?2 AND m.id > unhex(?3, '-'))) \
             ORDER BY m.sent_at, m.id LIMIT ?4"
        ))?;
        let rows = stmt.query_map(
            params![inquiry.to_string(), at, id, limit as i64 + 1],
            |r| {
                let message = message_at(r, 2)?;
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    message,
                ))
            },
        )?;
        let today = utc_date(jiff::Timestamp::now());
        let mut items = Vec::new();
        let mut keys = Vec::new();
        for row in rows {
            let (state, quotation, message) = row?;
            let delivery = match state.as_str() {
                "pending" => Delivery::Pending,
                "sent" => Delivery::Sent,
                "failed" => Delivery::Failed,
                _ => Delivery::Synced,
            };
            let key = cursor_of(message.sent_at.as_millisecond(), &message.id.to_string());
            let payment_warning = match &designated {
                Some(d) if Some(message.sender) != me => payment_safety::scan(&message.body, d),
                _ => None,
            };
            let quotation: Option<Quotation> = match quotation {
                Some(q) if message.quotation.is_some() => Some(parse(&q)?),
                _ => None,
            };
            let quotation_expired = quotation.as_ref().is_some_and(|q| q.is_expired(today));
            items.push(ThreadMessage {
                message,
                delivery,
                payment_warning,
                quotation,
                quotation_expired,
            });
            keys.push(key);
        }
        Ok(LocalPage::cut(items, keys, limit))
    }

    /// Orders in one box (or all), in the chosen order, narrowed by words. A word matches
    /// an order's products, remarks, terms, number or its supplier's name or company.
    pub fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LocalPage<OrderView>> {
        let words = filter_words(&filter.text);
        let suppliers = self.suppliers_matching(&words)?;
        // Each word must be in the order's products, remarks, Incoterm, status or number
        // (case-insensitively), or name its supplier. Words are parameters (never SQL);
        // at most MAX_FILTER_WORDS of them.
        const HAYSTACK: &str = "lower(coalesce((SELECT group_concat(json_extract(l.value, '$.product'), ' ') \
             FROM json_each(orders.data, '$.order.terms.lines') AS l), '') || ' ' || \
             json_extract(orders.data, '$.order.terms.remarks') || ' ' || \
             json_extract(orders.data, '$.order.terms.incoterm') || ' ' || \
             json_extract(orders.data, '$.status_label') || ' ' || replace(orders.id, '-', ''))";
        let mut word_sql = String::new();
        for i in 0..words.len() {
            word_sql.push_str(&format!(
                " AND (instr({HAYSTACK}, ?{n}) > 0 OR \
                 json_extract(data, '$.order.supplier') IN (SELECT value FROM json_each(?{m})))",
                n = 5 + 2 * i,
                m = 6 + 2 * i
            ));
        }
        let (key, direction, missing) = match filter.sort {
            OrderSort::Recent => ("updated_at", "DESC", i64::MAX),
            // No deadline sorts last.
            OrderSort::Deadline => (
                "COALESCE(next_deadline_at, 9223372036854775807)",
                "ASC",
                i64::MIN,
            ),
        };
        let (at, id) = parse_cursor(after).unwrap_or((missing, String::new()));
        let (cmp, id_cmp) = if direction == "DESC" {
            ("<", "<")
        } else {
            (">", ">")
        };
        // `box = ?1` only when a box is asked for, so that the planner can walk one of
        // the sort indexes (migration 0005) instead of sorting every order.
        let in_box = if filter.order_box.is_some() {
            "box = ?1"
        } else {
            "?1 = ''"
        };
        let sql = format!(
            "SELECT data, {key}, id FROM orders WHERE {in_box} \
             AND ({key} {cmp} ?2 OR ({key} = ?2 AND (id {id_cmp} ?3 OR ?3 = ''))){word_sql} \
             ORDER BY {key} {direction}, id {direction} LIMIT ?4"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let order_box = filter.order_box.map(|b| b.as_str()).unwrap_or("");
        let mut values: Vec<rusqlite::types::Value> = vec![
            order_box.to_owned().into(),
            at.into(),
            id.into(),
            (limit as i64 + 1).into(),
        ];
        for (word, ids) in words.iter().zip(&suppliers) {
            values.push(word.clone().into());
            values.push(serde_json::to_string(ids).unwrap_or_default().into());
        }
        let page: LocalPage<OrderView> =
            keyed_page(&mut stmt, rusqlite::params_from_iter(values), limit)?;
        let now = jiff::Timestamp::now();
        Ok(LocalPage {
            items: page.items.into_iter().map(|v| as_of(v, now)).collect(),
            next: page.next,
        })
    }

    /// For each word, the suppliers whose name or company contains it.
    fn suppliers_matching(&self, words: &[String]) -> Result<Vec<Vec<String>>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id FROM partners WHERE instr(lower(name || ' ' || company), ?1) > 0",
        )?;
        words
            .iter()
            .map(|w| {
                stmt.query_map([w], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(Into::into)
            })
            .collect()
    }

    /// The suppliers this buyer has inquiries with (for naming orders and choosing the
    /// supplier of a new one), most recently active first.
    pub fn partners(&self) -> Result<Vec<Partner>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, name, company FROM partners ORDER BY last_at DESC, id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, company) = row?;
            let id = id
                .parse()
                .map_err(|_| ClientError::Decode(format!("supplier id {id}")))?;
            out.push(Partner { id, name, company });
        }
        Ok(out)
    }

    /// Bank details that others wrote in a thread and that are not the designated
    /// account: Pay Now warns about them before a transfer.
    pub fn thread_bank_details(&self, inquiry: InquiryId) -> Result<Vec<BankDetail>> {
        let Some(designated) = self.designated_account()? else {
            return Ok(Vec::new());
        };
        let me = self.me()?.map(|a| a.id);
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {MESSAGE_JSON} FROM messages WHERE inquiry_id = unhex(?1, '-') ORDER BY sent_at, id"
        ))?;
        let rows = stmt.query_map([inquiry.to_string()], |r| r.get::<_, String>(0))?;
        let mut found: Vec<BankDetail> = Vec::new();
        for row in rows {
            let message: Message = parse(&row?)?;
            if Some(message.sender) == me {
                continue;
            }
            if let Some(w) = payment_safety::scan(&message.body, &designated) {
                for f in w.findings {
                    if !found.contains(&f) {
                        found.push(f);
                    }
                }
            }
        }
        Ok(found)
    }

    /// How many orders each box holds.
    pub fn order_counts(&self) -> Result<Vec<(OrderBox, i64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT box, COUNT(*) FROM orders GROUP BY box")?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(OrderBox::ALL
            .iter()
            .map(|b| {
                let n = rows
                    .iter()
                    .find(|(k, _)| k == b.as_str())
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                (*b, n)
            })
            .collect())
    }

    /// One order as of now (see [`as_of`]).
    pub fn order(&self, id: OrderId) -> Result<OrderView> {
        let view: OrderView = self.record("orders", &id.to_string(), "order")?;
        Ok(as_of(view, jiff::Timestamp::now()))
    }

    /// The order screen: the order, its timeline and versions, documents, payments, and
    /// the local actions and Pay Now calls still pending on it.
    pub fn order_detail(&self, id: OrderId) -> Result<OrderDetail> {
        let view = self.order(id)?;
        let history = self
            .conn()
            .query_row(
                "SELECT data FROM order_history WHERE id = ?1",
                [id.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|d| parse::<OrderHistory>(&d))
            .transpose()?
            .map(|h| h.entries)
            .unwrap_or_default();
        let me = self.me()?.map(|a| a.id).unwrap_or(view.order.buyer);
        let mut documents = Vec::new();
        for doc in &view.order.terms.documents {
            let local = self.local_file(*doc).is_ok_and(|f| !f.uploaded);
            match self.document(*doc, me) {
                Ok(meta) => documents.push(OrderDocument { meta, local }),
                // Not visible to this account (yet): nothing to show or open.
                Err(ClientError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let outbox = self
            .outbox()?
            .into_iter()
            .filter(|e| match &e.mutation.op {
                MutationOp::SubmitOrder { order, .. } | MutationOp::OrderStep { order, .. } => {
                    *order == id
                }
                _ => false,
            })
            .collect();
        Ok(OrderDetail {
            payments: self.payments(id)?,
            pending_payments: self.pending_payments(id)?,
            view,
            history,
            documents,
            outbox,
        })
    }

    /// The signed-in account this cache belongs to.
    pub fn me(&self) -> Result<Option<trade_model::entities::Account>> {
        self.meta("account")?.map(|raw| parse(&raw)).transpose()
    }

    /// The platform's designated transfer account, as the server said at sign-in.
    pub fn designated_account(&self) -> Result<Option<BeneficiaryAccount>> {
        self.meta("designated_account")?
            .map(|raw| parse(&raw))
            .transpose()
    }

    pub fn payments(&self, order: OrderId) -> Result<Vec<Payment>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT data FROM payments WHERE order_id = ?1")?;
        let rows: Vec<String> = stmt
            .query_map([order.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out: Vec<Payment> = rows.iter().map(|d| parse(d)).collect::<Result<_>>()?;
        out.sort_by_key(|p| (p.created_at, p.id));
        Ok(out)
    }

    /// Every payment in the cache (the buyer's, on any order), oldest first.
    pub fn all_payments(&self) -> Result<Vec<Payment>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT data FROM payments")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out: Vec<Payment> = rows.iter().map(|d| parse(d)).collect::<Result<_>>()?;
        out.sort_by_key(|p| (p.created_at, p.id));
        Ok(out)
    }

    /// The account's unread totals. The server's record arrives last in an initial sync
    /// (it changes with every message); until then they are counted from the inquiries
    /// already here, so badges grow with the sync instead of showing 0.
    pub fn unread(&self) -> Result<UnreadCounts> {
        if let Some(raw) = self.meta("unread")? {
            return parse(&raw);
        }
        let (total, inquiries_with_unread) = self.conn().query_row(
            "SELECT COALESCE(SUM(unread), 0), COUNT(*) FILTER (WHERE unread > 0) FROM inquiries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(UnreadCounts {
            total,
            inquiries_with_unread,
        })
    }
}

#[cfg(test)]
mod tests {
    use trade_model::entities::InquiryStatus;
    use trade_model::order::Party;
    use trade_model::sync::{Change, RecordKind, SyncRecord};
    use trade_model::{AccountId, ErrorCode, InquiryId};

    use super::*;

    fn inquiry(unread: i64) -> Change {
        let now = jiff::Timestamp::now();
        let i = Inquiry {
            id: InquiryId::new(),
            buyer: AccountId::new(),
            supplier: AccountId::new(),
            buyer_name: "Ann".into(),
            supplier_name: "Li".into(),
            supplier_company: "Li Ltd".into(),
            product: "Valve".into(),
            status: InquiryStatus::Open,
            created_at: now,
            last_message_at: now,
            last_message_preview: "Price?".into(),
            unread_count: unread,
        };
        Change {
            version: 1,
            kind: RecordKind::Inquiry,
            id: i.id.to_string(),
            record: Some(SyncRecord::Inquiry(i)),
        }
    }

    fn quotation_for(inquiry: InquiryId, valid_until: &str) -> trade_model::quotation::Quotation {
        use trade_model::quotation::{PriceTier, Quotation};
        Quotation {
            id: trade_model::QuotationId::new(),
            inquiry,
            supplier: AccountId::new(),
            product: "Valve".into(),
            tiers: vec![
                PriceTier {
                    min_quantity: 300,
                    unit_price_minor: 605,
                },
                PriceTier {
                    min_quantity: 1000,
                    unit_price_minor: 580,
                },
            ],
            currency: trade_model::money::Currency::USD,
            moq: 300,
            lead_time_days: 26,
            incoterm: trade_model::order::Incoterm::Fob,
            named_place: "Ningbo".into(),
            valid_until: valid_until.parse().expect("a date"),
            sample_price_minor: Some(1500),
            notes: String::new(),
            created_at: jiff::Timestamp::now(),
        }
    }

    fn message_change(inquiry: InquiryId, quotation: Option<trade_model::QuotationId>) -> Change {
        let m = Message {
            id: trade_model::MessageId::new(),
            inquiry,
            sender: AccountId::new(),
            sender_name: "Li".into(),
            body: "Quotation for Valve: ...".into(),
            attachments: Vec::new(),
            sent_at: jiff::Timestamp::now(),
            read: false,
            quotation,
        };
        Change {
            version: 1,
            kind: RecordKind::Message,
            id: m.id.to_string(),
            record: Some(SyncRecord::Message(m)),
        }
    }

    #[test]
    fn a_thread_message_carries_its_quotation_once_the_quotation_has_arrived() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let now = jiff::Timestamp::now();
        let inquiry = InquiryId::new();
        let live = quotation_for(inquiry, "2999-12-31");
        let old = quotation_for(inquiry, "2020-01-31");
        let elsewhere = quotation_for(InquiryId::new(), "2999-12-31");
        let plain = message_change(inquiry, None);
        let quoting = message_change(inquiry, Some(live.id));
        let expired = message_change(inquiry, Some(old.id));
        // A message naming another inquiry's quotation does not show it.
        let stray = message_change(inquiry, Some(elsewhere.id));
        store
            .apply_page(&[plain, quoting.clone(), expired, stray], "c1", now)
            .expect("applies");
        let thread = store.thread(inquiry, None, 50).expect("reads").items;
        assert_eq!(thread.len(), 4);
        assert!(
            thread
                .iter()
                .all(|t| t.quotation.is_none() && !t.quotation_expired),
            "no quotation record yet: plain text"
        );

        let records = [&live, &old, &elsewhere].map(|q| Change {
            version: 2,
            kind: RecordKind::Quotation,
            id: q.id.to_string(),
            record: Some(SyncRecord::Quotation(q.clone())),
        });
        store.apply_page(&records, "c2", now).expect("applies");
        let thread = store.thread(inquiry, None, 50).expect("reads").items;
        let carried: Vec<_> = thread
            .iter()
            .map(|t| {
                (
                    t.message.quotation,
                    t.quotation.as_ref().map(|q| q.id),
                    t.quotation_expired,
                )
            })
            .collect();
        assert!(carried.contains(&(None, None, false)));
        assert!(carried.contains(&(Some(live.id), Some(live.id), false)));
        assert!(carried.contains(&(Some(old.id), Some(old.id), true)));
        assert!(carried.contains(&(Some(elsewhere.id), None, false)));
        let card = thread
            .iter()
            .find_map(|t| t.quotation.as_ref().filter(|q| q.id == live.id))
            .expect("the card");
        assert_eq!(card, &live, "with its tiers and every term");
    }

    #[test]
    fn unread_totals_count_the_inquiries_until_the_servers_totals_arrive() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let now = jiff::Timestamp::now();
        store
            .apply_page(&[inquiry(2), inquiry(0), inquiry(3)], "c1", now)
            .expect("applies");
        let counted = store.unread().expect("reads");
        assert_eq!((counted.total, counted.inquiries_with_unread), (5, 2));
        let totals = UnreadCounts {
            total: 9,
            inquiries_with_unread: 4,
        };
        let change = Change {
            version: 2,
            kind: RecordKind::UnreadCounts,
            id: "me".into(),
            record: Some(SyncRecord::UnreadCounts(totals.clone())),
        };
        store.apply_page(&[change], "c2", now).expect("applies");
        assert_eq!(
            store.unread().expect("reads"),
            totals,
            "the server's word wins"
        );
    }

    fn order_change(
        product: &str,
        supplier: AccountId,
        ship_in_days: i64,
        updated: jiff::Timestamp,
    ) -> (Change, OrderId) {
        use trade_model::order::{self, OrderLine, OrderOrigin, OrderTerms, PaymentTerms};
        let ship_by = trade_model::time::utc_date(
            updated + jiff::SignedDuration::from_hours(24 * ship_in_days),
        );
        let terms = OrderTerms {
            lines: vec![OrderLine {
                product: product.into(),
                quantity: 10,
                unit: "pieces".into(),
                unit_price_minor: 1_000,
            }],
            currency: "USD".parse().expect("a known currency"),
            incoterm: String::from("FOB").into(),
            shipping_method: trade_model::order::ShippingMethod::Sea,
            ship_by,
            payment_terms: PaymentTerms::Full,
            remarks: String::new(),
            documents: vec![],
        };
        let id = OrderId::new();
        let mut o = order::create(
            id,
            AccountId::new(),
            supplier,
            None,
            OrderOrigin::Template,
            Party::Buyer,
            terms,
            updated,
        )
        .expect("valid terms");
        // Confirmed by both: the next deadline is the payment's, 60 days from ordering,
        // so orders ordered earlier are due sooner.
        o.supplier_confirmed = true;
        o.status = trade_model::order::OrderStatus::Ordered;
        o.ordered_at = Some(updated);
        let view = OrderView::new(o, Party::Buyer, updated);
        (
            Change {
                version: 1,
                kind: RecordKind::Order,
                id: id.to_string(),
                record: Some(SyncRecord::Order(view)),
            },
            id,
        )
    }

    #[test]
    fn a_refused_action_restores_the_servers_latest_state_not_the_one_it_was_queued_on() {
        use trade_model::order::OrderAction;
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let now = jiff::Timestamp::now();
        let (change, id) = order_change("Desk", AccountId::new(), 40, now);
        let Some(SyncRecord::Order(v1)) = change.record.clone() else {
            unreachable!("order_change makes an order")
        };
        store.apply_page(&[change], "c1", now).expect("applies");
        // Offline, the buyer cancels version 1...
        let mutation = store
            .queue_order_action(
                id,
                OrderAction::Cancel {
                    reason: "Changed my mind.".into(),
                },
                now,
            )
            .expect("queues");
        // ...then a pull brings the supplier's version 2 (before the cancel is sent)...
        let mut v2 = v1.clone();
        v2.order.version = 2;
        v2.order.terms.lines[0].quantity = 30;
        let pulled = Change {
            version: 2,
            kind: RecordKind::Order,
            id: id.to_string(),
            record: Some(SyncRecord::Order(v2)),
        };
        store.apply_page(&[pulled], "c2", now).expect("applies");
        // ...and the server refuses the cancel: the order shows version 2, not version 1.
        store
            .mark_rejected(
                mutation,
                ErrorCode::OrderVersionConflict.as_str(),
                "The order changed.",
            )
            .expect("marks");
        let shown = store.order(id).expect("cached");
        assert_eq!(shown.order.version, 2);
        assert_eq!(shown.order.terms.lines[0].quantity, 30);
    }

    #[test]
    fn orders_sort_by_next_deadline_and_match_products_and_supplier_names() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let now = jiff::Timestamp::now();
        let hours = |h: i64| now - jiff::SignedDuration::from_hours(h);
        let mut valves = inquiry(0);
        let Some(SyncRecord::Inquiry(i)) = valves.record.as_mut() else {
            unreachable!("inquiry() makes an inquiry")
        };
        i.supplier_name = "Chen Wei".into();
        i.supplier_company = "Ningbo Valve Works".into();
        let ningbo = i.supplier;
        // Ordered 3 h, 1 h and 2 h ago: payment deadlines in that order.
        let (a, a_id) = order_change("Brass ball valve", ningbo, 40, hours(3));
        let (b, b_id) = order_change("LED panel", AccountId::new(), 40, hours(1));
        let (c, c_id) = order_change("Steel hinge", AccountId::new(), 40, hours(2));
        store
            .apply_page(&[valves, inquiry(0), a, b, c], "c1", now)
            .expect("applies");

        let ids = |filter: OrderFilter| -> Vec<OrderId> {
            // Pages of one, to walk the keyset cursor too.
            let mut out = Vec::new();
            let mut after = None;
            loop {
                let page = store.orders(&filter, after.as_deref(), 1).expect("reads");
                out.extend(page.items.iter().map(|v| v.order.id));
                match page.next {
                    Some(n) => after = Some(n),
                    None => return out,
                }
            }
        };
        let recent = ids(OrderFilter::default());
        assert_eq!(
            recent,
            vec![b_id, c_id, a_id],
            "most recently changed first"
        );
        let by_deadline = ids(OrderFilter {
            sort: OrderSort::Deadline,
            ..OrderFilter::default()
        });
        assert_eq!(
            by_deadline,
            vec![a_id, c_id, b_id],
            "soonest deadline first"
        );
        let text = |t: &str| {
            ids(OrderFilter {
                text: t.into(),
                ..OrderFilter::default()
            })
        };
        assert_eq!(text("led"), vec![b_id], "a product word, any case");
        assert_eq!(text("ningbo"), vec![a_id], "the supplier's company");
        assert_eq!(text("chen brass"), vec![a_id], "every word must match");
        assert!(text("chen hinge").is_empty());
        assert!(
            text("'; DROP TABLE orders; --").is_empty(),
            "words are data"
        );
        assert_eq!(ids(OrderFilter::default()).len(), 3);

        let partners = store.partners().expect("reads");
        assert_eq!(partners.len(), 2);
        assert!(
            partners
                .iter()
                .any(|p| p.id == ningbo && p.company == "Ningbo Valve Works")
        );
    }

    #[test]
    fn an_orders_actions_are_derived_again_as_time_passes() {
        use trade_model::dispute::{DisputeAction, DisputeReason};
        use trade_model::order::{ActionKind, Actor, OrderAction, OrderStatus};
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let now = jiff::Timestamp::now();
        // A paid, shipped order whose dispute was filed 4 days ago and cached as the
        // server derived it then: escalation (from day 4) was not offered yet.
        let filed = now - jiff::SignedDuration::from_hours(24 * 4);
        let (change, id) = order_change("Valve", AccountId::new(), 40, filed);
        let Some(SyncRecord::Order(view)) = change.record else {
            unreachable!("order_change makes an order")
        };
        let mut o = view.order;
        o.status = OrderStatus::Shipped;
        o.paid_minor = o.total_minor();
        o.installments_paid = 1;
        let o = trade_model::order::apply(
            &o,
            Actor::Party(Party::Buyer),
            &OrderAction::Dispute(DisputeAction::File {
                dispute_id: trade_model::DisputeId::new(),
                reason: DisputeReason::NotReceived,
                claim_minor: 100,
                description: "Nothing arrived".into(),
                evidence: vec![],
            }),
            filed,
        )
        .expect("a shipped, paid order takes a dispute");
        let cached = OrderView::new(o, Party::Buyer, filed);
        assert!(
            !cached
                .available_actions
                .contains(&ActionKind::EscalateDispute)
        );
        let change = Change {
            version: 1,
            kind: RecordKind::Order,
            id: id.to_string(),
            record: Some(SyncRecord::Order(cached)),
        };
        store.apply_page(&[change], "c1", now).expect("applies");
        let view = store.order(id).expect("reads");
        assert!(
            view.available_actions
                .contains(&ActionKind::EscalateDispute),
            "derived for now: {:?}",
            view.available_actions
        );
    }
}
