//! A record's row in the cache: its JSON as the server wrote it, beside the few fields
//! the row is sorted and filtered on, read out of that JSON; a message's or an inquiry's
//! row holds its fields in columns instead (`store/columns.rs`). A first sync's walk brings
//! records as JSON kept as it came ([`WalkChange`]); the feed's records, decoded for
//! notifications, are written through the same code.

use std::borrow::Cow;
use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Transaction, params};
use serde::Deserialize;
use serde_json::value::RawValue;
use trade_model::order::OrderBox;
use trade_model::sync::{RecordKind, SyncRecord};

use super::apply::{exec, json, put_meta};
use crate::error::{ClientError, Result};

/// A change of a first sync's walk as the server sent it: the record's JSON is kept as
/// it came and stored as it is, with the few fields its row is sorted and filtered on
/// read out of it. A first sync's records are not decoded into the model and encoded
/// again (that was a tenth of applying a page).
#[derive(Debug, Clone, Deserialize)]
pub struct WalkChange {
    pub kind: RecordKind,
    pub id: String,
    #[serde(default)]
    pub record: Option<WalkRecord>,
}

/// A [`SyncRecord`] on the wire: its kind, and its JSON as it came.
#[derive(Debug, Clone, Deserialize)]
pub struct WalkRecord {
    pub kind: RecordKind,
    pub data: Box<RawValue>,
}

#[cfg(test)]
impl WalkChange {
    /// A change of the model as the server would have sent it.
    pub(crate) fn of(change: &trade_model::sync::Change) -> Result<WalkChange> {
        let record = match &change.record {
            Some(record) => {
                let (kind, data) = data_of(record)?;
                let data =
                    RawValue::from_string(data).map_err(|e| ClientError::Decode(e.to_string()))?;
                Some(WalkRecord { kind, data })
            }
            None => None,
        };
        Ok(WalkChange {
            kind: change.kind,
            id: change.id.clone(),
            record,
        })
    }
}

/// The fields of a record's JSON its row is sorted and filtered on; the rest is only in
/// `data`. Strings borrow from the JSON where it has no escapes.
#[derive(Deserialize)]
struct OrderRow<'a> {
    #[serde(borrow)]
    order: OrderIdRow<'a>,
    #[serde(rename = "box")]
    order_box: OrderBox,
    next_deadline: Option<DeadlineRow>,
}

#[derive(Deserialize)]
struct OrderIdRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    updated_at: Timestamp,
}

#[derive(Deserialize)]
struct DeadlineRow {
    at: Timestamp,
}

#[derive(Deserialize)]
struct PaymentRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    order: Cow<'a, str>,
}

#[derive(Deserialize)]
struct QuotationRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    inquiry: Cow<'a, str>,
}

#[derive(Deserialize)]
struct DocumentRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
}

#[derive(Deserialize)]
struct HistoryRow<'a> {
    #[serde(borrow)]
    order: Cow<'a, str>,
}

/// The suppliers met in the inquiries of one transaction, each written once at its end
/// with the name and company of its newest inquiry (a first sync's page holds up to a
/// thousand inquiries, mostly with the same few suppliers).
#[derive(Default)]
pub(super) struct Partners(HashMap<String, (String, String, i64)>);

impl Partners {
    pub(super) fn meet(&mut self, supplier: &str, name: &str, company: &str, last: i64) {
        match self.0.get_mut(supplier) {
            Some(known) if known.2 >= last => {}
            Some(known) => *known = (name.to_owned(), company.to_owned(), last),
            None => {
                self.0.insert(
                    supplier.to_owned(),
                    (name.to_owned(), company.to_owned(), last),
                );
            }
        }
    }

    /// Name and company follow the newest inquiry, whichever write brings it.
    pub(super) fn write(self, tx: &Transaction<'_>) -> Result<()> {
        for (id, (name, company, last)) in self.0 {
            exec(
                tx,
                "INSERT INTO partners (id, name, company, last_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO UPDATE SET \
                 name = CASE WHEN excluded.last_at >= last_at THEN excluded.name ELSE name END, \
                 company = CASE WHEN excluded.last_at >= last_at THEN excluded.company ELSE company END, \
                 last_at = MAX(last_at, excluded.last_at)",
                params![id, name, company, last],
            )?;
        }
        Ok(())
    }
}

fn row<'a, T: Deserialize<'a>>(data: &'a str) -> Result<T> {
    serde_json::from_str(data).map_err(|e| ClientError::Decode(e.to_string()))
}

/// A record's kind and its JSON (the `data` of its [`SyncRecord`]).
fn data_of(record: &SyncRecord) -> Result<(RecordKind, String)> {
    Ok(match record {
        SyncRecord::Inquiry(i) => (RecordKind::Inquiry, json(i)?),
        SyncRecord::Message(m) => (RecordKind::Message, json(m)?),
        SyncRecord::Order(o) => (RecordKind::Order, json(o)?),
        SyncRecord::Payment(p) => (RecordKind::Payment, json(p)?),
        SyncRecord::Document(d) => (RecordKind::Document, json(d)?),
        SyncRecord::OrderHistory(h) => (RecordKind::OrderHistory, json(h)?),
        SyncRecord::Quotation(q) => (RecordKind::Quotation, json(q)?),
        SyncRecord::UnreadCounts(u) => (RecordKind::UnreadCounts, json(u)?),
    })
}

/// Writes one record (server state) into the cache, not into the search index.
pub(super) fn write(tx: &Transaction<'_>, record: &SyncRecord) -> Result<()> {
    let (kind, data) = data_of(record)?;
    let mut partners = Partners::default();
    write_json(tx, kind, &data, &mut partners)?;
    partners.write(tx)
}

/// Writes one record from its JSON (the `data` of a [`SyncRecord`] of `kind`), stored as
/// it is beside the fields its row is sorted and filtered on (a message or an inquiry: in
/// columns). An inquiry's supplier is added to `partners`, for the caller to write.
pub(super) fn write_json(
    tx: &Transaction<'_>,
    kind: RecordKind,
    data: &str,
    partners: &mut Partners,
) -> Result<()> {
    match kind {
        RecordKind::Inquiry => super::inquiry_row::put(tx, data, partners)?,
        RecordKind::Message => super::message_row::put(tx, data, "synced")?,
        RecordKind::Order => {
            let o: OrderRow = row(data)?;
            exec(
                tx,
                "INSERT INTO orders (id, box, updated_at, next_deadline_at, data) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (id) DO UPDATE SET box = excluded.box, updated_at = excluded.updated_at, \
                 next_deadline_at = excluded.next_deadline_at, data = excluded.data",
                params![
                    o.order.id,
                    o.order_box.as_str(),
                    o.order.updated_at.as_millisecond(),
                    o.next_deadline.map(|d| d.at.as_millisecond()),
                    data
                ],
            )?;
        }
        RecordKind::Payment => {
            let p: PaymentRow = row(data)?;
            exec(
                tx,
                "INSERT INTO payments (id, order_id, data) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, data = excluded.data",
                params![p.id, p.order, data],
            )?;
        }
        RecordKind::Document => {
            let d: DocumentRow = row(data)?;
            exec(
                tx,
                "INSERT INTO documents (id, data) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                params![d.id, data],
            )?;
        }
        RecordKind::OrderHistory => {
            let h: HistoryRow = row(data)?;
            exec(
                tx,
                "INSERT INTO order_history (id, data) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                params![h.order, data],
            )?;
        }
        RecordKind::Quotation => {
            let q: QuotationRow = row(data)?;
            exec(
                tx,
                "INSERT INTO quotations (id, inquiry_id, data) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET inquiry_id = excluded.inquiry_id, data = excluded.data",
                params![q.id, q.inquiry, data],
            )?;
        }
        RecordKind::UnreadCounts => put_meta(tx, "unread", data)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::store::LocalStore;
    use rusqlite::OptionalExtension;
    use trade_model::InquiryId;
    use trade_model::sync::Change;

    fn walked(kind: RecordKind, id: &str, record_kind: RecordKind, data: &str) -> WalkChange {
        WalkChange {
            kind,
            id: id.to_owned(),
            record: Some(WalkRecord {
                kind: record_kind,
                data: RawValue::from_string(data.to_owned()).expect("JSON"),
            }),
        }
    }

    fn stored(store: &LocalStore, id: &str) -> Option<String> {
        store
            .conn()
            .query_row(
                &format!(
                    "SELECT {} FROM messages WHERE id = unhex(?1, '-')",
                    crate::store::message_row::MESSAGE_JSON
                ),
                [id],
                |r| r.get(0),
            )
            .optional()
            .expect("reads")
    }

    /// An inquiry with `supplier`, under `name`, last written to `minutes` past 10:00.
    fn inquiry_with(supplier: trade_model::AccountId, name: &str, minutes: i64) -> WalkChange {
        use trade_model::entities::{Inquiry, InquiryStatus};
        let at: Timestamp = "2026-11-30T10:00:00Z".parse().expect("a time");
        let at = at + jiff::SignedDuration::from_mins(minutes);
        let i = Inquiry {
            id: InquiryId::new(),
            buyer: trade_model::AccountId::new(),
            supplier,
            buyer_name: "Ann".into(),
            supplier_name: name.into(),
            supplier_company: format!("{name} Ltd"),
            product: "Valve".into(),
            status: InquiryStatus::Open,
            created_at: at,
            last_message_at: at,
            last_message_preview: "Price?".into(),
            unread_count: 0,
        };
        WalkChange::of(&Change {
            version: 1,
            kind: RecordKind::Inquiry,
            id: i.id.to_string(),
            record: Some(SyncRecord::Inquiry(i)),
        })
        .expect("encodes")
    }

    #[test]
    fn a_supplier_goes_by_the_name_of_its_newest_inquiry_whatever_order_they_arrive_in() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let supplier = trade_model::AccountId::new();
        let now = Timestamp::now();
        // A walk brings the newest first: the renamed supplier, then older inquiries
        // under its old name, in the same page and in the next.
        let page = [
            inquiry_with(supplier, "Jade Valves", 30),
            inquiry_with(supplier, "Wu Trading", 20),
        ];
        store
            .apply_snapshot_page(&page, "w1", "feed", false, now)
            .expect("applies");
        store
            .apply_snapshot_page(
                &[inquiry_with(supplier, "Wu Trading", 10)],
                "w2",
                "feed",
                true,
                now,
            )
            .expect("applies");
        let partners = store.partners().expect("reads");
        assert_eq!(partners.len(), 1);
        assert_eq!(partners[0].name, "Jade Valves");
        assert_eq!(partners[0].company, "Jade Valves Ltd");
    }

    #[test]
    fn a_walked_record_is_kept_as_the_server_wrote_it_and_a_page_it_cannot_file_is_refused_whole() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens");
        let thread = InquiryId::new();
        let id = "0193a1b2-0000-7000-8000-000000000001";
        // A field this version does not know, escapes, the server's own spacing: the row
        // keeps the JSON byte for byte, and the thread reads the message from it.
        let data = format!(
            r#"{{"id":"{id}","inquiry":"{thread}","sender":"0193a1b2-0000-7000-8000-0000000000aa","sender_name":"Li \"Jade\" Wu","body":"FOB\nNingbo","attachments":[],"sent_at":"2026-11-30T10:00:00Z","read":false,"quotation":null,"added_later":{{"x":1}}}}"#
        );
        let now = Timestamp::now();
        store
            .apply_snapshot_page(
                &[walked(RecordKind::Message, id, RecordKind::Message, &data)],
                "w1",
                "feed",
                false,
                now,
            )
            .expect("applies");
        assert_eq!(stored(&store, id).as_deref(), Some(data.as_str()));
        let page = store.thread(thread, None, 10).expect("reads");
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].message.body, "FOB\nNingbo");
        assert_eq!(page.items[0].message.sender_name, "Li \"Jade\" Wu");

        // A record without a field its row is filed by, or of another kind than its
        // change: a clear error, and nothing of the page is kept (the walk stands where
        // it stood, to be fetched again).
        let other = "0193a1b2-0000-7000-8000-000000000002";
        let good = walked(
            RecordKind::Message,
            other,
            RecordKind::Message,
            &data.replace(id, other),
        );
        let no_time = walked(
            RecordKind::Message,
            "0193a1b2-0000-7000-8000-000000000003",
            RecordKind::Message,
            &format!(r#"{{"id":"0193a1b2-0000-7000-8000-000000000003","inquiry":"{thread}"}}"#),
        );
        let wrong_kind = walked(RecordKind::Message, other, RecordKind::Inquiry, &data);
        for bad in [no_time, wrong_kind] {
            let err = store
                .apply_snapshot_page(&[good.clone(), bad], "w2", "feed", false, now)
                .expect_err("refused");
            assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
            assert_eq!(stored(&store, other), None, "the page's good record too");
            assert_eq!(store.snapshot_cursor().expect("reads"), "w1");
        }
    }
}
