//! A message's row. Messages are the bulk of a cache (nine records in ten of an account
//! that has traded for years), so a message is kept in columns (`store/columns.rs`): the
//! JSON's field names in every row, its id, thread and time written once more beside
//! their columns, and UUIDs as 36 characters took two thirds of it (migration 12).

use rusqlite::{Statement, Transaction, params};

use trade_model::entities::Message;
use trade_model::{AccountId, InquiryId, MessageId};

use super::columns::{Fields, id_text, json_at, time_at, time_text, undecodable, uuid_at};
use crate::error::Result;

/// A message row's JSON from its columns: the fields in the server's order, then any
/// this version does not know.
pub(crate) const MESSAGE_JSON: &str = concat!(
    "json_patch(json_object('id', ",
    id_text!("id"),
    ", 'inquiry', ",
    id_text!("inquiry_id"),
    ", 'sender', ",
    id_text!("sender"),
    ", 'sender_name', sender_name, 'body', body, \
     'attachments', json(coalesce(attachments, '[]')), 'sent_at', ",
    time_text!("sent_at"),
    ", 'read', json(CASE WHEN read THEN 'true' ELSE 'false' END), 'quotation', quotation), \
     coalesce(extra, '{}'))"
);

/// The columns [`message_at`] reads, in its order, of `messages` named `m` in a query.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.inquiry_id, m.sender, m.sender_name, \
     m.body, m.attachments, m.sent_at, m.read, m.quotation";

/// The message in a row's columns from `at` on ([`MESSAGE_COLUMNS`]): a thread reads its
/// pages this way, without making and reading JSON.
pub(crate) fn message_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Message> {
    let attachments: Option<String> = row.get(at + 5)?;
    let quotation: Option<String> = row.get(at + 8)?;
    Ok(Message {
        id: MessageId(uuid_at(row, at)?),
        inquiry: InquiryId(uuid_at(row, at + 1)?),
        sender: AccountId(uuid_at(row, at + 2)?),
        sender_name: row.get(at + 3)?,
        body: row.get(at + 4)?,
        attachments: match attachments {
            Some(_) => json_at(row, at + 5)?,
            None => Vec::new(),
        },
        sent_at: time_at(row, at + 6)?,
        read: row.get(at + 7)?,
        quotation: match quotation {
            Some(q) => Some(
                q.parse()
                    .map_err(|e| undecodable(at + 8, rusqlite::types::Type::Text, e))?,
            ),
            None => None,
        },
    })
}

/// The fields of a message's JSON its row keeps in columns.
const NAMES: &[&str] = &[
    "id",
    "inquiry",
    "sender",
    "sender_name",
    "body",
    "attachments",
    "sent_at",
    "read",
    "quotation",
];

/// Writes a message's row from its JSON (a [`trade_model::entities::Message`]), in
/// `state` (see the `messages` table), over the row of the same id if there is one.
pub(crate) fn put(tx: &Transaction<'_>, data: &str, state: &str) -> Result<()> {
    let mut put = tx.prepare_cached(PUT)?;
    put_with(&mut put, data, state)
}

/// Writes a message's row as [`put`] does, with [`PUT`] prepared by the caller: a first
/// sync's page holds it for all its messages instead of looking it up for each (the
/// statement cache hashes the whole statement's text on every lookup).
pub(crate) fn put_with(put: &mut Statement<'_>, data: &str, state: &str) -> Result<()> {
    let f = Fields::split(data, "a message", NAMES)?;
    // Kept as the server sent them, and only when there are any (most messages have none).
    let attachments = f.json(5).filter(|a| a.trim() != "[]");
    put.execute(params![
        &f.uuid(0)?[..],
        &f.uuid(1)?[..],
        &f.uuid(2)?[..],
        f.text(3)?,
        f.text(4)?,
        attachments,
        f.millis(6)?,
        f.value::<bool>(7)?,
        f.text_or_null(8)?,
        state,
        f.extra()?
    ])?;
    Ok(())
}

/// The statement that writes a message's row (see [`put`]).
pub(crate) const PUT: &str = "INSERT INTO messages (id, inquiry_id, sender, sender_name, body, \
     attachments, sent_at, read, quotation, state, extra) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
     ON CONFLICT (id) DO UPDATE SET inquiry_id = excluded.inquiry_id, \
     sender = excluded.sender, sender_name = excluded.sender_name, body = excluded.body, \
     attachments = excluded.attachments, sent_at = excluded.sent_at, \
     read = excluded.read, quotation = excluded.quotation, state = excluded.state, \
     extra = excluded.extra";
