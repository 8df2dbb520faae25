//! A thread's messages: appending them (with their inquiry's preview and its
//! recipient's unread count, one at a time or a push's run together), reading them, and
//! marking them read.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::entities::{DocumentMeta, Message};
use trade_model::sync::RecordKind;
use trade_model::{AccountId, DocumentId, InquiryId, MessageId, QuotationId};

use super::error::{StoreError, StoreResult};
use super::inquiries::{parse, parties, preview};
use super::{IDS_PER_STATEMENT, decode_cursor, documents, encode_cursor, placeholders};
use crate::db::{Backend, Db, Write, from_millis, millis};

/// Appends message `id` from `sender` to `inquiry`, whose preview and recipient's unread
/// count it updates; returns the inquiry's parties (buyer, supplier). Refused when
/// `sender` is not a party (`NotFound`, as for an inquiry that does not exist) or the
/// inquiry is closed (`InquiryClosed`).
pub async fn insert_message(
    tx: &mut Write,
    inquiry: InquiryId,
    sender: AccountId,
    id: MessageId,
    body: &str,
    attachments: &[DocumentId],
    now: jiff::Timestamp,
) -> StoreResult<(AccountId, AccountId)> {
    insert_message_carrying(tx, inquiry, sender, id, body, attachments, None, now).await
}

/// [`insert_message`] for a message that carries a quotation (its card in the thread):
/// a message like any other for previews, unread counts and read state.
///
/// Two statements, the fewest a message takes (each is a round trip to the database,
/// and a push applies hundreds of messages in one transaction): the inquiry's update,
/// which checks the sender and the status and returns the parties, then the message's
/// insert. A refusal after the update (the id taken) leaves the update to the caller's
/// rollback, as any refused write does.
#[allow(clippy::too_many_arguments)]
pub async fn insert_message_carrying(
    tx: &mut Write,
    inquiry: InquiryId,
    sender: AccountId,
    id: MessageId,
    body: &str,
    attachments: &[DocumentId],
    quotation: Option<QuotationId>,
    now: jiff::Timestamp,
) -> StoreResult<(AccountId, AccountId)> {
    // The recipient's counter: the supplier's when the buyer sends, else the buyer's.
    let row = sqlx::query(
        "UPDATE inquiries SET last_message_at = $1, last_message_preview = $2, \
         supplier_unread = supplier_unread + CASE WHEN buyer_id = $3 THEN 1 ELSE 0 END, \
         buyer_unread = buyer_unread + CASE WHEN buyer_id = $4 THEN 0 ELSE 1 END \
         WHERE id = $5 AND (buyer_id = $6 OR supplier_id = $7) AND status <> 'closed' \
         RETURNING buyer_id, supplier_id",
    )
    .bind(millis(now))
    .bind(preview(body))
    .bind(sender.to_string())
    .bind(sender.to_string())
    .bind(inquiry.to_string())
    .bind(sender.to_string())
    .bind(sender.to_string())
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else {
        return Err(refusal(tx, sender, inquiry).await);
    };
    let buyer: AccountId = parse(&row, "buyer_id")?;
    let supplier: AccountId = parse(&row, "supplier_id")?;
    note_message(tx, sender, (buyer, supplier), inquiry, id);
    sqlx::query(
        "INSERT INTO messages (id, inquiry_id, sender_id, body, attachments, sent_at, quotation_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(inquiry.to_string())
    .bind(sender.to_string())
    .bind(body)
    .bind(serde_json::to_string(attachments).map_err(StoreError::corrupt)?)
    .bind(millis(now))
    .bind(quotation.map(|q| q.to_string()))
    .execute(tx.conn())
    .await?;
    Ok((buyer, supplier))
}

/// Why `inquiry` took no message from `sender` (its update matched no row): not a party
/// (or no such inquiry), as `parties` says; else it is closed.
async fn refusal(tx: &mut Write, sender: AccountId, inquiry: InquiryId) -> StoreError {
    match parties(tx, sender, inquiry).await {
        Err(e) => e,
        Ok((_, _, status)) if status == "closed" => StoreError::InquiryClosed,
        Ok((_, _, status)) => {
            StoreError::corrupt(format!("inquiry {inquiry} ({status}) took no message"))
        }
    }
}

/// What a new message changes for whom: the message and its inquiry for both parties,
/// the unread counts of the recipient.
fn note_message(
    tx: &mut Write,
    sender: AccountId,
    (buyer, supplier): (AccountId, AccountId),
    inquiry: InquiryId,
    id: MessageId,
) {
    let recipient = if sender == buyer { supplier } else { buyer };
    for party in [buyer, supplier] {
        tx.touch(party, RecordKind::Message, id);
        tx.touch(party, RecordKind::Inquiry, inquiry);
    }
    tx.touch(recipient, RecordKind::UnreadCounts, recipient);
}

/// A message for [`insert_messages`]: a text message without attachments or quotation.
pub struct NewMessage<'a> {
    pub inquiry: InquiryId,
    pub id: MessageId,
    pub body: &'a str,
    pub sent_at: jiff::Timestamp,
}

/// Messages appended in one inquiry update and one message insert per
/// [`MESSAGES_PER_STATEMENT`], whatever their number and their inquiries: what
/// [`insert_message`] does for each, in order (each inquiry's preview is its last
/// message's, its recipient's unread count grows by its messages), for a push's run of
/// queued messages, where a statement per message was most of the batch's time.
///
/// All or nothing, as one write: refused, it says why for one refused message (an
/// inquiry `sender` is not a party of or that is closed, as [`insert_message`] says, or
/// an id taken), and leaves what it did to the caller's rollback.
pub async fn insert_messages(
    tx: &mut Write,
    sender: AccountId,
    messages: &[NewMessage<'_>],
) -> StoreResult<()> {
    for run in messages.chunks(MESSAGES_PER_STATEMENT) {
        insert_message_run(tx, sender, run).await?;
    }
    Ok(())
}

/// Messages per statement of [`insert_messages`]: the insert binds 6 parameters a
/// message (a push batch of 100 is one run; well under either database's bound).
const MESSAGES_PER_STATEMENT: usize = 500;

/// What a run of messages changes in one inquiry: its last message's time and preview,
/// and how many messages its recipient has unread more.
struct InquiryUpdate {
    last_at: i64,
    preview: String,
    messages: i64,
}

async fn insert_message_run(
    tx: &mut Write,
    sender: AccountId,
    run: &[NewMessage<'_>],
) -> StoreResult<()> {
    let sender_id = sender.to_string();
    // Each inquiry once, in id order: rows are locked in the order the update meets them
    // (on PostgreSQL, the `VALUES`' order as it looks each one up), and two writes
    // locking the same inquiries in one order never wait on each other in a circle.
    let mut inquiries: BTreeMap<String, InquiryUpdate> = BTreeMap::new();
    for m in run {
        let update = inquiries
            .entry(m.inquiry.to_string())
            .or_insert(InquiryUpdate {
                last_at: 0,
                preview: String::new(),
                messages: 0,
            });
        update.last_at = millis(m.sent_at);
        update.preview = preview(m.body);
        update.messages += 1;
    }
    // The recipient's counter grows: the supplier's when the sender is the buyer.
    let sql = format!(
        "UPDATE inquiries SET last_message_at = v.sent_at, last_message_preview = v.preview, \
         supplier_unread = supplier_unread + CASE WHEN buyer_id = v.sender THEN v.n ELSE 0 END, \
         buyer_unread = buyer_unread + CASE WHEN buyer_id = v.sender THEN 0 ELSE v.n END \
         FROM (SELECT column1 AS id, column2 AS sender, column3 AS sent_at, column4 AS preview, \
         column5 AS n FROM (VALUES {}) AS given) AS v \
         WHERE inquiries.id = v.id AND (buyer_id = v.sender OR supplier_id = v.sender) \
         AND status <> 'closed' RETURNING inquiries.id, buyer_id, supplier_id",
        tx.backend().tuples(inquiries.len(), 5)
    );
    let mut query = sqlx::query(&sql);
    for (id, update) in &inquiries {
        query = query
            .bind(id.as_str())
            .bind(sender_id.as_str())
            .bind(update.last_at)
            .bind(update.preview.as_str())
            .bind(update.messages);
    }
    let rows = query.fetch_all(tx.conn()).await?;
    let mut parties: HashMap<InquiryId, (AccountId, AccountId)> =
        HashMap::with_capacity(rows.len());
    for row in &rows {
        let id: InquiryId = parse(row, "id")?;
        parties.insert(id, (parse(row, "buyer_id")?, parse(row, "supplier_id")?));
    }
    for m in run {
        let Some(&parties) = parties.get(&m.inquiry) else {
            return Err(refusal(tx, sender, m.inquiry).await);
        };
        note_message(tx, sender, parties, m.inquiry, m.id);
    }
    let sql = format!(
        "INSERT INTO messages (id, inquiry_id, sender_id, body, attachments, sent_at) VALUES {}",
        tx.backend().tuples(run.len(), 6)
    );
    let mut query = sqlx::query(&sql);
    for m in run {
        query = query
            .bind(m.id.to_string())
            .bind(m.inquiry.to_string())
            .bind(sender_id.as_str())
            .bind(m.body)
            .bind("[]")
            .bind(millis(m.sent_at));
    }
    query.execute(tx.conn()).await?;
    Ok(())
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.inquiry_id, m.sender_id, m.body, m.attachments, \
    m.sent_at, m.read_at, m.quotation_id, a.display_name AS sender_name FROM messages m \
    JOIN accounts a ON a.id = m.sender_id";

async fn message_from_row(conn: &mut sqlx::AnyConnection, row: &AnyRow) -> StoreResult<Message> {
    let attachment_ids: Vec<DocumentId> =
        serde_json::from_str(&row.try_get::<String, _>("attachments")?)
            .map_err(StoreError::corrupt)?;
    let mut attachments: Vec<DocumentMeta> = Vec::with_capacity(attachment_ids.len());
    for id in attachment_ids {
        if let Some(meta) = documents::meta_on(conn, id).await? {
            attachments.push(meta);
        }
    }
    Ok(Message {
        id: parse(row, "id")?,
        inquiry: parse(row, "inquiry_id")?,
        sender: parse(row, "sender_id")?,
        sender_name: row.try_get("sender_name")?,
        body: row.try_get("body")?,
        attachments,
        sent_at: from_millis(row.try_get("sent_at")?),
        read: row.try_get::<Option<i64>, _>("read_at")?.is_some(),
        quotation: row
            .try_get::<Option<String>, _>("quotation_id")?
            .map(|q| q.parse().map_err(StoreError::corrupt))
            .transpose()?,
    })
}

/// A message as its sender's request answers it, inside the request's transaction.
pub async fn message_tx(tx: &mut Write, id: MessageId) -> StoreResult<Message> {
    let row = sqlx::query(&format!("{MESSAGE_SELECT} WHERE m.id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| StoreError::NotFound("message"))?;
    message_from_row(tx.conn(), &row).await
}

/// Messages of an inquiry oldest first, after `cursor`.
pub async fn messages(
    db: &Db,
    inquiry: InquiryId,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<(Vec<Message>, Option<String>)> {
    let (at, id) = match cursor {
        Some(c) if !c.is_empty() => decode_cursor(c).ok_or(StoreError::BadCursor)?,
        _ => (i64::MIN, String::new()),
    };
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE m.inquiry_id = $1 AND (m.sent_at > $2 OR (m.sent_at = $3 AND m.id > $4)) \
         ORDER BY m.sent_at, m.id LIMIT $5"
    ))
    .bind(inquiry.to_string())
    .bind(at)
    .bind(at)
    .bind(&id)
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(message_from_row(&mut conn, row).await?);
    }
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items
            .last()
            .map(|m| encode_cursor(millis(m.sent_at), &m.id.to_string()))
    } else {
        None
    };
    Ok((items, next))
}

/// Marks the other party's messages up to and including `up_to` read by `viewer` and
/// recounts the viewer's unread messages in the inquiry.
pub async fn mark_read(
    tx: &mut Write,
    viewer: AccountId,
    (buyer, supplier): (AccountId, AccountId),
    inquiry: InquiryId,
    up_to: MessageId,
    now: jiff::Timestamp,
) -> StoreResult<i64> {
    let counter = if viewer == buyer {
        "buyer_unread"
    } else {
        "supplier_unread"
    };
    // The inquiry's row first: a message posted to it meanwhile (its insert also adds to
    // this counter) then commits wholly before the statements below read or wholly
    // after this commits, so on PostgreSQL the messages marked, their feed rows and the
    // recount agree with each other. (SQLite runs one write at a time anyway.)
    sqlx::query(&format!(
        "UPDATE inquiries SET {counter} = {counter} WHERE id = $1"
    ))
    .bind(inquiry.to_string())
    .execute(tx.conn())
    .await?;
    let row = sqlx::query("SELECT sent_at FROM messages WHERE id = $1 AND inquiry_id = $2")
        .bind(up_to.to_string())
        .bind(inquiry.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| StoreError::NotFound("message"))?;
    let sent_at: i64 = row.try_get("sent_at")?;
    // One statement marks the messages and names them: the feed notes exactly the rows
    // it changed. (A SELECT before the UPDATE would, on PostgreSQL, read another
    // snapshot: a message committed between the two would be marked read without its
    // feed row, and replicas would keep it unread.)
    let newly_read = sqlx::query(
        "UPDATE messages SET read_at = $1 WHERE inquiry_id = $2 AND sender_id <> $3 \
         AND read_at IS NULL AND (sent_at < $4 OR (sent_at = $5 AND id <= $6)) RETURNING id",
    )
    .bind(millis(now))
    .bind(inquiry.to_string())
    .bind(viewer.to_string())
    .bind(sent_at)
    .bind(sent_at)
    .bind(up_to.to_string())
    .fetch_all(tx.conn())
    .await?;
    for row in &newly_read {
        let id: String = row.try_get("id")?;
        // Both see the read state: the reader's own view and the sender's receipt.
        tx.touch(buyer, RecordKind::Message, &id);
        tx.touch(supplier, RecordKind::Message, &id);
    }
    tx.touch(viewer, RecordKind::Inquiry, inquiry);
    tx.touch(viewer, RecordKind::UnreadCounts, viewer);
    let unread: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM messages WHERE inquiry_id = $1 AND sender_id <> $2 AND read_at IS NULL",
    )
    .bind(inquiry.to_string())
    .bind(viewer.to_string())
    .fetch_one(tx.conn())
    .await?
    .try_get("n")?;
    sqlx::query(&format!(
        "UPDATE inquiries SET {counter} = $1 WHERE id = $2"
    ))
    .bind(unread)
    .bind(inquiry.to_string())
    .execute(tx.conn())
    .await?;
    Ok(unread)
}

/// Messages by id, read on `conn` (inside a write). A message reads the same for both
/// parties of its inquiry.
pub async fn messages_on(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> StoreResult<Vec<Message>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.id IN {}",
            Backend::of(conn).tuples(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        for row in &rows {
            out.push(message_from_row(conn, row).await?);
        }
    }
    Ok(out)
}

/// Messages by id from inquiries `viewer` is a party of.
pub async fn messages_many(
    db: &Db,
    viewer: AccountId,
    ids: &[String],
) -> StoreResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Looked up by id first; the party check is per row (a join filtered by the
    // viewer would walk every message of the account).
    let sql = format!(
        "{MESSAGE_SELECT} WHERE m.id IN ({}) AND EXISTS (SELECT 1 FROM inquiries i \
         WHERE i.id = m.inquiry_id AND (i.buyer_id = $1 OR i.supplier_id = $1))",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(viewer.to_string());
    for id in ids {
        q = q.bind(id);
    }
    let mut conn = db.pool().acquire().await?;
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(message_from_row(&mut conn, row).await?);
    }
    Ok(out)
}
