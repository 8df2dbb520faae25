//! What the UI reads, all from the local cache (online or not).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use trade_model::api::{OrderView, UnreadCounts};
use trade_model::entities::{BeneficiaryAccount, DocumentMeta, Inquiry, Message, Payment};
use trade_model::order::OrderBox;
use trade_model::sync::{MutationOp, OrderHistory, OrderVersion};
use trade_model::{InquiryId, OrderId};

use super::LocalStore;
use crate::error::{ClientError, Result};
use crate::payment_safety::{self, PaymentWarning};

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderDocument {
    pub meta: DocumentMeta,
    pub local: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    /// `message`, `inquiry` or `order`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// The matching text with the match between `[` and `]` (plain text).
    pub snippet: String,
    /// The thread to open: the inquiry itself, or a message's inquiry (none for orders).
    pub inquiry: Option<InquiryId>,
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
                &format!("SELECT data FROM {table} WHERE id = ?1"),
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
        let mut stmt = conn.prepare(&format!(
            "SELECT data, last_message_at, id FROM inquiries \
             WHERE (last_message_at < ?1 OR (last_message_at = ?1 AND (id < ?2 OR ?2 = ''))) {unread} \
             ORDER BY last_message_at DESC, id DESC LIMIT ?3"
        ))?;
        keyed_page(&mut stmt, params![at, id, limit as i64 + 1], limit)
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
        let mut stmt = conn.prepare(
            "SELECT data, state, sent_at, id FROM messages WHERE inquiry_id = ?1 \
             AND (sent_at > ?2 OR (sent_at = ?2 AND id > ?3)) ORDER BY sent_at, id LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![inquiry.to_string(), at, id, limit as i64 + 1],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        let mut items = Vec::new();
        let mut keys = Vec::new();
        for row in rows {
            let (data, state, at, id) = row?;
            let delivery = match state.as_str() {
                "pending" => Delivery::Pending,
                "sent" => Delivery::Sent,
                "failed" => Delivery::Failed,
                _ => Delivery::Synced,
            };
            let message: Message = parse(&data)?;
            let payment_warning = match &designated {
                Some(d) if Some(message.sender) != me => payment_safety::scan(&message.body, d),
                _ => None,
            };
            items.push(ThreadMessage {
                message,
                delivery,
                payment_warning,
            });
            keys.push(cursor_of(at, &id));
        }
        Ok(LocalPage::cut(items, keys, limit))
    }

    /// Orders in one box (or all), most recently changed first.
    pub fn orders(
        &self,
        order_box: Option<OrderBox>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<LocalPage<OrderView>> {
        let (at, id) = parse_cursor(after).unwrap_or((i64::MAX, String::new()));
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT data, updated_at, id FROM orders WHERE (?1 = '' OR box = ?1) \
             AND (updated_at < ?2 OR (updated_at = ?2 AND (id < ?3 OR ?3 = ''))) \
             ORDER BY updated_at DESC, id DESC LIMIT ?4",
        )?;
        let filter = order_box.map(|b| b.as_str()).unwrap_or("");
        keyed_page(&mut stmt, params![filter, at, id, limit as i64 + 1], limit)
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

    pub fn order(&self, id: OrderId) -> Result<OrderView> {
        self.record("orders", &id.to_string(), "order")
    }

    /// The order screen: the order, its timeline and versions, documents, payments and
    /// the local actions still pending on it.
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

    /// Full-text search over messages, inquiries and orders, newest first. The query is
    /// taken as words (each a prefix), never as FTS syntax, so any text the user types is
    /// safe. Newest first (by index row) rather than by relevance: the index can stop after
    /// `limit` hits, where ranking must score every match (half a second for a word in
    /// 500,000 messages; see bench-reports/client-sync.md).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(|t| format!("\"{}\"*", t.replace('"', "")))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT search.kind, search.record_id, search.title, \
             snippet(search, 3, '[', ']', '…', 12), \
             CASE search.kind WHEN 'inquiry' THEN search.record_id \
             WHEN 'message' THEN m.inquiry_id END \
             FROM search LEFT JOIN messages m ON search.kind = 'message' AND m.id = search.record_id \
             WHERE search MATCH ?1 ORDER BY search.rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![terms.join(" "), limit as i64], |r| {
            let inquiry: Option<String> = r.get(4)?;
            Ok(SearchHit {
                kind: r.get(0)?,
                id: r.get(1)?,
                title: r.get(2)?,
                snippet: r.get(3)?,
                inquiry: inquiry.and_then(|i| i.parse().ok()),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use trade_model::entities::InquiryStatus;
    use trade_model::sync::{Change, RecordKind, SyncRecord};
    use trade_model::{AccountId, InquiryId};

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
}
