//! The outbox: every local action is stored, in the same SQLite transaction as its
//! optimistic effect, as a mutation with a client-generated UUIDv7 id. The pusher sends
//! them in order; the server applies each at most once. A refused action's effect is
//! undone and the action kept, with the server's reason, until the user retries or
//! discards it. Nothing is dropped silently.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use trade_model::ErrorCode;
use trade_model::api::{OrderView, UnreadCounts};
use trade_model::entities::{Account, Inquiry, MAX_ATTACHMENTS, Message, message_body_ok};
use trade_model::order::{self, Actor, OrderAction};
use trade_model::sync::{Mutation, MutationOp, RecordKind, SyncRecord};
use trade_model::{AccountId, DocumentId, InquiryId, MessageId, MutationId, OrderId};

use crate::error::{ClientError, Result};
use crate::store::LocalStore;
use crate::store::id_text;

/// A row the optimistic effect changed, with what to put back if the server refuses.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Undo {
    table: String,
    id: String,
    /// The row's `data` before, or None if the effect created the row.
    previous: Option<String>,
}

/// An action waiting to be sent, or refused and waiting for the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxEntry {
    pub seq: i64,
    pub mutation: Mutation,
    /// `queued` or `failed`.
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ClientError::Decode(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| ClientError::Decode(e.to_string()))
}

fn me(tx: &Transaction<'_>) -> Result<Account> {
    let raw: String = tx
        .query_row("SELECT value FROM meta WHERE key = 'account'", [], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(ClientError::NotSignedIn)?;
    parse(&raw)
}

fn row_data(tx: &Transaction<'_>, table: &str, id: &str) -> Result<Option<String>> {
    Ok(tx
        .query_row(
            &format!(
                "SELECT {} FROM {table} WHERE id = {}",
                crate::store::json_of(table),
                crate::store::id_param(table, 1)
            ),
            [id],
            |r| r.get(0),
        )
        .optional()?)
}

fn enqueue(
    tx: &Transaction<'_>,
    op: MutationOp,
    undo: &[Undo],
    now: Timestamp,
) -> Result<MutationId> {
    let mutation = Mutation {
        id: MutationId::new(),
        op,
    };
    tx.execute(
        "INSERT INTO outbox (mutation_id, mutation, status, undo, created_at) VALUES (?1, ?2, 'queued', ?3, ?4)",
        params![mutation.id.to_string(), json(&mutation)?, json(&undo)?, now.as_millisecond()],
    )?;
    Ok(mutation.id)
}

/// Queues `op` whose optimistic effect created or changed one row of `table`
/// (`previous`: its data before, None if the effect created it).
pub(crate) fn enqueue_in(
    tx: &Transaction<'_>,
    op: MutationOp,
    table: &str,
    id: &str,
    previous: Option<String>,
    now: Timestamp,
) -> Result<MutationId> {
    let undo = [Undo {
        table: table.to_owned(),
        id: id.to_owned(),
        previous,
    }];
    enqueue(tx, op, &undo, now)
}

/// The order as the local cache shows it.
fn local_order(tx: &Transaction<'_>, id: OrderId) -> Result<OrderView> {
    let data = row_data(tx, "orders", &id.to_string())?.ok_or(ClientError::NotFound("order"))?;
    parse(&data)
}

/// Predicts an order action's effect with the same rules the server applies. A refusal
/// here is the refusal the server would give, shown at once.
fn predict(view: &OrderView, action: &OrderAction, now: Timestamp) -> Result<OrderView> {
    let next = order::apply(&view.order, Actor::Party(view.viewer), action, now).map_err(|r| {
        ClientError::Api {
            status: 409,
            code: r.code().as_str().to_owned(),
            message: r.to_string(),
            details: r.details(),
        }
    })?;
    Ok(OrderView::new(next, view.viewer, now))
}

impl LocalStore {
    /// Queues a message; it shows at once as pending.
    pub(crate) fn queue_message(
        &self,
        inquiry: InquiryId,
        body: &str,
        now: Timestamp,
    ) -> Result<(MutationId, MessageId)> {
        self.queue_message_with(inquiry, body, &[], now)
    }

    /// Queues a message with attachments: files picked here (`add_file`, uploaded before
    /// the message is sent) or documents already on the server.
    pub(crate) fn queue_message_with(
        &self,
        inquiry: InquiryId,
        body: &str,
        attachments: &[DocumentId],
        now: Timestamp,
    ) -> Result<(MutationId, MessageId)> {
        let body = body.trim();
        if !message_body_ok(body) {
            return Err(ClientError::Api {
                status: 422,
                code: ErrorCode::MessageBadLength.as_str().into(),
                message: "A message must have text, at most 10,000 characters.".into(),
                details: None,
            });
        }
        if attachments.len() > MAX_ATTACHMENTS {
            return Err(ClientError::Api {
                status: 422,
                code: ErrorCode::MessageTooManyAttachments.as_str().into(),
                message: "Attach at most 10 files.".into(),
                details: None,
            });
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let me = me(&tx)?;
        if row_data(&tx, "inquiries", &inquiry.to_string())?.is_none() {
            return Err(ClientError::NotFound("inquiry"));
        }
        let attached = attachments
            .iter()
            .map(|id| crate::files::document_in(&tx, *id, me.id))
            .collect::<Result<Vec<_>>>()?;
        let message = Message {
            id: MessageId::new(),
            inquiry,
            sender: me.id,
            sender_name: me.display_name.clone(),
            body: body.to_owned(),
            attachments: attached,
            sent_at: now,
            read: false,
            quotation: None,
        };
        crate::store::put_message(&tx, &json(&message)?, "pending")?;
        let undo = [Undo {
            table: "messages".into(),
            id: message.id.to_string(),
            previous: None,
        }];
        let id = enqueue(
            &tx,
            MutationOp::SendMessage {
                inquiry,
                message: message.id,
                body: body.to_owned(),
                attachments: attachments.to_vec(),
            },
            &undo,
            now,
        )?;
        tx.commit()?;
        Ok((id, message.id))
    }

    /// Marks a thread read up to its latest message: badges and totals drop at once; the
    /// server is told when online. Nothing to do (and nothing queued) when it is read.
    pub(crate) fn queue_mark_read(
        &self,
        inquiry: InquiryId,
        now: Timestamp,
    ) -> Result<Option<MutationId>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let me = me(&tx)?;
        let data = row_data(&tx, "inquiries", &inquiry.to_string())?
            .ok_or(ClientError::NotFound("inquiry"))?;
        let latest: Option<String> = tx
            .query_row(
                concat!(
                    "SELECT ",
                    id_text!("id"),
                    " FROM messages WHERE inquiry_id = unhex(?1, '-') AND state = 'synced' \
                     ORDER BY sent_at DESC, id DESC LIMIT 1"
                ),
                [inquiry.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let current: Inquiry = parse(&data)?;
        let (Some(latest), true) = (latest, current.unread_count > 0) else {
            return Ok(None);
        };
        let undo = read_locally(&tx, inquiry, me.id)?;
        let up_to = latest
            .parse()
            .map_err(|_| ClientError::Decode(format!("bad message id {latest}")))?;
        let id = enqueue(&tx, MutationOp::MarkRead { inquiry, up_to }, &undo, now)?;
        tx.commit()?;
        Ok(Some(id))
    }

    /// Queues an order action after checking it against the rules locally.
    pub(crate) fn queue_order_action(
        &self,
        id: OrderId,
        action: OrderAction,
        now: Timestamp,
    ) -> Result<MutationId> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let view = local_order(&tx, id)?;
        let next = predict(&view, &action, now)?;
        let undo = [Undo {
            table: "orders".into(),
            id: id.to_string(),
            previous: Some(json(&view)?),
        }];
        crate::store::apply_put(&tx, &SyncRecord::Order(next))?;
        let mutation = enqueue(&tx, MutationOp::OrderStep { order: id, action }, &undo, now)?;
        tx.commit()?;
        Ok(mutation)
    }

    /// Queued actions in the order they must be sent, at most `limit`.
    pub fn queued(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.entries("WHERE status = 'queued'", limit)
    }

    /// Every action still in the outbox (queued and refused).
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        self.entries("", usize::MAX)
    }

    /// How many actions wait to be sent and how many were refused (one query, however
    /// long the outbox: the engine asks after every local change).
    pub(crate) fn outbox_counts(&self) -> Result<(usize, usize)> {
        let conn = self.conn();
        let (queued, failed): (i64, i64) = conn.query_row(
            "SELECT COUNT(*) FILTER (WHERE status <> 'failed'), \
                    COUNT(*) FILTER (WHERE status = 'failed') FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((
            usize::try_from(queued).unwrap_or(0),
            usize::try_from(failed).unwrap_or(0),
        ))
    }

    fn entries(&self, filter: &str, limit: usize) -> Result<Vec<OutboxEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT seq, mutation, status, error_code, error_message FROM outbox {filter} ORDER BY seq LIMIT ?1"
        ))?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, mutation, status, error_code, error_message) = row?;
            out.push(OutboxEntry {
                seq,
                mutation: parse(&mutation)?,
                status,
                error_code,
                error_message,
            });
        }
        Ok(out)
    }

    /// The server applied `mutation`: it leaves the outbox (its effect stays until the
    /// next pull brings the server's state).
    pub(crate) fn mark_applied(&self, mutation: MutationId) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let op: Option<String> = tx
            .query_row(
                "SELECT mutation FROM outbox WHERE mutation_id = ?1",
                [mutation.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(op) = op
            && let MutationOp::SendMessage { message, .. } = parse::<Mutation>(&op)?.op
        {
            tx.execute(
                "UPDATE messages SET state = 'sent' WHERE id = unhex(?1, '-') AND state = 'pending'",
                [message.to_string()],
            )?;
        }
        tx.execute(
            "DELETE FROM outbox WHERE mutation_id = ?1",
            [mutation.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The server refused `mutation`: undo its effect and keep it with the reason.
    pub(crate) fn mark_rejected(
        &self,
        mutation: MutationId,
        code: &str,
        message: &str,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let undo: Option<String> = tx
            .query_row(
                "SELECT undo FROM outbox WHERE mutation_id = ?1",
                [mutation.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(undo) = undo else { return Ok(()) };
        for u in parse::<Vec<Undo>>(&undo)? {
            match (u.table.as_str(), u.previous) {
                // A refused message stays visible as failed, for retry or discard.
                ("messages", None) => {
                    tx.execute(
                        "UPDATE messages SET state = 'failed' WHERE id = unhex(?1, '-')",
                        [&u.id],
                    )?;
                }
                ("orders", Some(previous)) => {
                    let view: OrderView = parse(&previous)?;
                    crate::store::apply_put(&tx, &SyncRecord::Order(view))?;
                }
                ("inquiries", Some(previous)) => {
                    let inquiry: Inquiry = parse(&previous)?;
                    crate::store::apply_put(&tx, &SyncRecord::Inquiry(inquiry))?;
                }
                ("messages", Some(previous)) => {
                    let synced: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM messages \
                         WHERE id = unhex(?1, '-') AND state = 'synced')",
                        [&u.id],
                        |r| r.get(0),
                    )?;
                    if synced {
                        crate::store::put_message(&tx, &previous, "synced")?;
                    }
                }
                ("meta", Some(previous)) if u.id == "unread" => {
                    let counts: UnreadCounts = parse(&previous)?;
                    crate::store::apply_put(&tx, &SyncRecord::UnreadCounts(counts))?;
                }
                ("orders", None) => {
                    crate::store::remove_record(&tx, RecordKind::Order, &u.id)?;
                }
                ("inquiries", None) => {
                    crate::store::remove_record(&tx, RecordKind::Inquiry, &u.id)?;
                }
                _ => {}
            }
        }
        tx.execute(
            "UPDATE outbox SET status = 'failed', error_code = ?1, error_message = ?2 WHERE mutation_id = ?3",
            params![code, message, mutation.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Sends a refused action again (e.g. after the user fixed the cause).
    pub(crate) fn retry(&self, mutation: MutationId) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let MutationOp::SendMessage { message, .. } = refused(&tx, mutation)?.op {
            tx.execute(
                "UPDATE messages SET state = 'pending' WHERE id = unhex(?1, '-')",
                [message.to_string()],
            )?;
        }
        // A new id: the server remembers the refusal under the old one.
        tx.execute(
            "UPDATE outbox SET status = 'queued', error_code = NULL, error_message = NULL, mutation_id = ?1, \
             mutation = json_set(mutation, '$.id', ?1) WHERE mutation_id = ?2",
            params![MutationId::new().to_string(), mutation.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Drops a refused action for good (and a failed message with it).
    pub(crate) fn discard(&self, mutation: MutationId) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let MutationOp::SendMessage { message, .. } = refused(&tx, mutation)?.op {
            let id = message.to_string();
            let failed: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM messages WHERE id = unhex(?1, '-') AND state = 'failed'",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            if failed.is_some() {
                crate::store::remove_record(&tx, RecordKind::Message, &id)?;
            }
        }
        tx.execute(
            "DELETE FROM outbox WHERE mutation_id = ?1",
            [mutation.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// The local effect of reading a thread: others' messages read, the inquiry's unread
/// count zero, the totals lowered. Returns what to put back if the server refuses.
fn read_locally(tx: &Transaction<'_>, inquiry: InquiryId, me: AccountId) -> Result<Vec<Undo>> {
    let mut undo = Vec::new();
    let Some(data) = row_data(tx, "inquiries", &inquiry.to_string())? else {
        return Ok(undo);
    };
    let mut current: Inquiry = parse(&data)?;
    let unread = current.unread_count;
    if unread == 0 {
        return Ok(undo);
    }
    let unread_messages: Vec<(String, String)> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT {}, {} FROM messages WHERE inquiry_id = unhex(?1, '-') \
             AND state = 'synced' AND read = 0 AND sender != unhex(?2, '-')",
            id_text!("id"),
            crate::store::json_of("messages")
        ))?;
        stmt.query_map(params![inquiry.to_string(), me.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    for (id, data) in unread_messages {
        tx.execute(
            "UPDATE messages SET read = 1 WHERE id = unhex(?1, '-')",
            [&id],
        )?;
        undo.push(Undo {
            table: "messages".into(),
            id,
            previous: Some(data),
        });
    }
    current.unread_count = 0;
    crate::store::apply_put(tx, &SyncRecord::Inquiry(current))?;
    undo.push(Undo {
        table: "inquiries".into(),
        id: inquiry.to_string(),
        previous: Some(data),
    });
    if let Some(totals) = row_meta(tx, "unread")? {
        let mut counts: UnreadCounts = parse(&totals)?;
        counts.total = (counts.total - unread).max(0);
        counts.inquiries_with_unread = (counts.inquiries_with_unread - 1).max(0);
        crate::store::apply_put(tx, &SyncRecord::UnreadCounts(counts))?;
        undo.push(Undo {
            table: "meta".into(),
            id: "unread".into(),
            previous: Some(totals),
        });
    }
    Ok(undo)
}

fn row_meta(tx: &Transaction<'_>, key: &str) -> Result<Option<String>> {
    Ok(tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// A refused action still in the outbox.
fn refused(tx: &Transaction<'_>, mutation: MutationId) -> Result<Mutation> {
    let op: String = tx
        .query_row(
            "SELECT mutation FROM outbox WHERE mutation_id = ?1 AND status = 'failed'",
            [mutation.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(ClientError::NotFound("refused action"))?;
    parse(&op)
}

/// The server's state of row `id` of `table` (`orders` or `inquiries`) just arrived with
/// a pulled page (`None`: the row left). The earliest queued action on that row takes it
/// as what a refusal restores: a refusal must never put back a state older than one
/// pulled since the action was queued (the refused confirmation of an order the supplier
/// modified meanwhile shows the supplier's version, not the one confirmed). Later queued
/// actions on the row keep theirs: each is the state predicted after the ones before.
/// `server` gives that state's JSON, asked for only when an action refers to the row.
pub(crate) fn rebase_undo(
    tx: &Transaction<'_>,
    table: &str,
    id: &str,
    server: impl FnOnce() -> Result<Option<String>>,
) -> Result<()> {
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, undo FROM outbox WHERE status = 'queued' AND instr(undo, ?1) > 0 \
             ORDER BY seq",
        )?;
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (seq, raw) in rows {
        let mut undo = parse::<Vec<Undo>>(&raw)?;
        let Some(entry) = undo.iter_mut().find(|u| u.table == table && u.id == id) else {
            continue;
        };
        entry.previous = server()?;
        tx.execute(
            "UPDATE outbox SET undo = ?1 WHERE seq = ?2",
            params![json(&undo)?, seq],
        )?;
        return Ok(());
    }
    Ok(())
}

/// Whether any action waits to be sent (a refused one waits for the user instead).
pub(crate) fn holds_queued(tx: &Transaction<'_>) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'queued')")?
        .query_row([], |r| r.get(0))?)
}

/// After a pull overwrote records with the server's state, re-applies the predicted
/// effects of order actions still queued, so the screen keeps showing what the user did
/// until the server has it. Predictions the new state refuses are left to the server.
pub(crate) fn rebase(tx: &Transaction<'_>, now: Timestamp) -> Result<()> {
    let queued: Vec<String> = {
        let mut stmt =
            tx.prepare("SELECT mutation FROM outbox WHERE status = 'queued' ORDER BY seq")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let me = me(tx).ok();
    for raw in queued {
        match parse::<Mutation>(&raw)?.op {
            MutationOp::OrderStep { order, action } => {
                if let Ok(view) = local_order(tx, order)
                    && let Ok(next) = predict(&view, &action, now)
                {
                    crate::store::apply_put(tx, &SyncRecord::Order(next))?;
                }
            }
            MutationOp::MarkRead { inquiry, .. } => {
                if let Some(me) = &me {
                    read_locally(tx, inquiry, me.id)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
