//! Notification decisions: from what one sync brought in (and from the cached orders, for
//! deadline reminders) decide which desktop notifications to show. Pure functions: no
//! I/O, no clock (`now` comes in through [`Context`]); the desktop shell shows what these
//! return and persists the keys it showed.
//!
//! Rules:
//! - New messages from others (sender ≠ me, unread, inquiry not muted) are coalesced into
//!   one notification per inquiry.
//! - An order notifies when it *becomes* "Waiting for You to Confirm", when it *becomes*
//!   shipped (buyer only), when the supplier makes a new settlement proposal in its
//!   dispute (buyer only), and when the operator decides the dispute.
//! - [`deadline_reminders`] reminds once of each order deadline less than 48 hours away.
//! - With notifications switched off, or inside quiet hours, nothing is returned. The
//!   caller simply shows nothing then; messages stay unread in the app and the badge
//!   still counts them. Reminders are not lost: they are due again on the next call
//!   after quiet hours, as long as the deadline is still ahead.
//!
//! Every [`Notification`] carries a stable `key`. The caller persists the keys it showed
//! and passes them back as [`Context::already_sent`]; a notification whose key is there
//! is never returned again, so replaying a sync (e.g. after a crash between showing and
//! committing) or calling [`deadline_reminders`] every minute shows each thing once.
//!
//! Texts are plain text, never markup. The freedesktop notification spec (Linux/BSD)
//! lets servers interpret a subset of markup in the body (and some do in the summary),
//! so a shell that hands them to a freedesktop server must pass title and body through
//! [`escape_markup`] (or use [`Notification::title_escaped`] /
//! [`Notification::body_escaped`]). macOS and Windows show text literally: no escaping
//! there, or the user sees `&amp;`.

use std::collections::{BTreeSet, HashSet};

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use trade_model::api::OrderView;
use trade_model::entities::Message;
use trade_model::ids::{AccountId, InquiryId, MessageId, OrderId};
use trade_model::money::Money;
use trade_model::order::{DeadlineKind, OrderBox, OrderStatus, Party};
use trade_model::sync::{Change, RecordKind, SyncRecord};

/// Longest notification body, in characters (longer text is cut on a char boundary and
/// ends with "…").
pub const BODY_MAX_CHARS: usize = 120;
/// Deadlines at most this far ahead are reminded of.
pub const REMINDER_WINDOW: SignedDuration = SignedDuration::from_hours(48);
/// Longest product name quoted in an order notification.
const PRODUCT_MAX_CHARS: usize = 60;
/// Longest sender name in a title.
const NAME_MAX_CHARS: usize = 60;

/// The user's notification preferences (persisted by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NotificationSettings {
    /// The global switch: off means no notification at all.
    pub enabled: bool,
    /// A daily window in which nothing is shown.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// Inquiries whose messages never notify (their orders still do).
    #[serde(default)]
    pub muted_inquiries: BTreeSet<InquiryId>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            enabled: true,
            quiet_hours: None,
            muted_inquiries: BTreeSet::new(),
        }
    }
}

/// A daily quiet window in the user's time zone, from `start` (inclusive) to `end`
/// (exclusive). `start > end` wraps midnight (22:00–07:00 is quiet from 22:00 in the
/// evening to 07:00 the next morning); `start == end` is an empty window (never quiet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuietHours {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub start: Time,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub end: Time,
    /// Usually the system time zone; a fixed offset (`TimeZone::fixed`) also works.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "jiff::fmt::serde::tz::required")]
    pub tz: TimeZone,
}

impl QuietHours {
    /// Whether `at` falls inside the window, judged by the wall clock in `tz` (so the
    /// window follows daylight saving time).
    pub fn contains(&self, at: Timestamp) -> bool {
        let t = self.tz.to_datetime(at).time();
        if self.start < self.end {
            self.start <= t && t < self.end
        } else if self.start > self.end {
            t >= self.start || t < self.end
        } else {
            false
        }
    }
}

/// Everything a decision depends on besides the records themselves.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The signed-in account: its own messages and actions never notify it.
    pub me: AccountId,
    pub now: Timestamp,
    pub settings: &'a NotificationSettings,
    /// Keys of notifications already shown (persisted by the caller).
    pub already_sent: &'a BTreeSet<String>,
}

impl Context<'_> {
    /// Whether nothing may be shown right now (switched off, or quiet hours).
    pub fn silenced(&self) -> bool {
        !self.settings.enabled
            || self
                .settings
                .quiet_hours
                .as_ref()
                .is_some_and(|q| q.contains(self.now))
    }
}

/// What a click on the notification opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    Inquiry(InquiryId),
    Order(OrderId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// One or more new messages in one inquiry.
    NewMessages,
    /// An order moved into "Waiting for You to Confirm".
    OrderWaitingForYou,
    /// An order was shipped.
    OrderShipped,
    /// The supplier proposed a settlement in a dispute.
    DisputeProposal,
    /// The platform's dispute team decided a dispute.
    DisputeDecision,
    /// An order deadline is less than 48 hours away.
    DeadlineSoon,
}

/// One desktop notification. `title` and `body` are plain text (see the module docs on
/// escaping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Notification {
    /// Stable identity: the same event always yields the same key. The caller persists
    /// shown keys and passes them back in [`Context::already_sent`]; it may also use the
    /// key to replace an earlier notification of the same inquiry.
    pub key: String,
    pub title: String,
    pub body: String,
    pub target: Target,
    pub kind: NotificationKind,
}

impl Notification {
    /// `title` for a freedesktop notification server (markup escaped).
    pub fn title_escaped(&self) -> String {
        escape_markup(&self.title)
    }

    /// `body` for a freedesktop notification server (markup escaped).
    pub fn body_escaped(&self) -> String {
        escape_markup(&self.body)
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` so a server that interprets markup shows the text
/// as written. Apply it exactly once, to title and body, right before handing them to a
/// freedesktop notification server.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Decides what to show for the records one sync brought in.
///
/// `changes` are the changes of one sync (all its pages, in order; when a record occurs
/// more than once the last occurrence is its current state). `previous(kind, id)` returns
/// the record as the local cache held it *before* this sync, `None` if it is new: that is
/// how transitions are told from records that merely changed again.
///
/// Call it for incremental syncs. On the very first sync into an empty cache every record
/// looks new; the caller should skip notifications then and only update the badge.
///
/// Output order: message notifications per inquiry in the order the inquiries first
/// appear in `changes`, then order notifications in change order.
pub fn decide<F>(ctx: &Context<'_>, changes: &[Change], previous: F) -> Vec<Notification>
where
    F: Fn(RecordKind, &str) -> Option<SyncRecord>,
{
    if ctx.silenced() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let current = latest_states(changes);

    // New messages, grouped per inquiry in order of first appearance.
    let mut groups: Vec<(InquiryId, Vec<&Message>)> = Vec::new();
    for change in &current {
        let Some(SyncRecord::Message(m)) = &change.record else {
            continue;
        };
        if m.sender == ctx.me
            || m.read
            || ctx.settings.muted_inquiries.contains(&m.inquiry)
            || previous(RecordKind::Message, &change.id).is_some()
        {
            continue;
        }
        match groups.iter_mut().find(|(inquiry, _)| *inquiry == m.inquiry) {
            Some((_, list)) => list.push(m),
            None => groups.push((m.inquiry, vec![m])),
        }
    }
    for (inquiry, messages) in groups {
        if let Some(n) = messages_notification(inquiry, &messages) {
            out.push(n);
        }
    }

    // Order transitions.
    for change in &current {
        let Some(SyncRecord::Order(view)) = &change.record else {
            continue;
        };
        let before = match previous(RecordKind::Order, &change.id) {
            Some(SyncRecord::Order(v)) => Some(v),
            _ => None,
        };
        out.extend(order_notifications(view, before.as_ref()));
    }

    out.retain(|n| !ctx.already_sent.contains(&n.key));
    out
}

/// Reminders of order deadlines that are ahead of `now` by at most 48 hours, one per
/// order and deadline: the key is `deadline:{order_id}:{deadline_at}`, so a new deadline
/// (e.g. an extended receiving time) reminds again. Keys in `already_sent` are skipped.
///
/// Call it whenever convenient (after a sync, on a timer); it returns each reminder until
/// its key is in `already_sent`.
pub fn deadline_reminders(ctx: &Context<'_>, orders: &[OrderView]) -> Vec<Notification> {
    if ctx.silenced() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for view in orders {
        let Some(deadline) = view.next_deadline else {
            continue;
        };
        let left = ctx.now.duration_until(deadline.at);
        if left <= SignedDuration::ZERO || left > REMINDER_WINDOW {
            continue;
        }
        let key = format!("deadline:{}:{}", view.order.id, deadline.at);
        if ctx.already_sent.contains(&key) {
            continue;
        }
        let hours = left.as_secs() / 3600;
        let title = match hours {
            0 => "Order deadline in less than an hour".to_owned(),
            1 => "Order deadline in 1 hour".to_owned(),
            h => format!("Order deadline in {h} hours"),
        };
        let body = format!(
            "{}: {}",
            order_summary(view),
            deadline_phrase(deadline.kind, view.viewer)
        );
        out.push(Notification {
            key,
            title,
            body: truncate_chars(&body, BODY_MAX_CHARS),
            target: Target::Order(view.order.id),
            kind: NotificationKind::DeadlineSoon,
        });
    }
    out
}

/// The last state of each record in `changes`, in order of first appearance. Tombstones
/// are kept (as `record: None`) so a later tombstone hides an earlier state.
fn latest_states(changes: &[Change]) -> Vec<&Change> {
    let mut seen: HashSet<(RecordKind, &str)> = HashSet::new();
    let mut reversed: Vec<&Change> = Vec::new();
    for change in changes.iter().rev() {
        if seen.insert((change.kind, change.id.as_str())) {
            reversed.push(change);
        }
    }
    reversed.reverse();
    reversed
}

/// One notification for the new messages of one inquiry. `messages` is non-empty.
fn messages_notification(inquiry: InquiryId, messages: &[&Message]) -> Option<Notification> {
    // The latest by send time; ids are UUIDv7, so they break ties in creation order.
    let latest = messages.iter().max_by_key(|m| (m.sent_at, m.id)).copied()?;
    let sender = truncate_chars(&clean_text(&latest.sender_name), NAME_MAX_CHARS);
    let sender = if sender.is_empty() {
        "Supplier".to_owned()
    } else {
        sender
    };
    let title = match messages.len() {
        1 => sender,
        n => format!("{n} new messages from {sender}"),
    };
    Some(Notification {
        key: message_key(inquiry, latest.id),
        title,
        body: message_body(latest),
        target: Target::Inquiry(inquiry),
        kind: NotificationKind::NewMessages,
    })
}

fn message_key(inquiry: InquiryId, latest: MessageId) -> String {
    format!("messages:{inquiry}:{latest}")
}

/// The message text, or what it attached when it has no text.
fn message_body(m: &Message) -> String {
    let text = clean_text(&m.body);
    if !text.is_empty() {
        return truncate_chars(&text, BODY_MAX_CHARS);
    }
    let body = match m.attachments.as_slice() {
        [] => "New message".to_owned(),
        [one] => format!("Sent a file: {}", clean_text(&one.file_name)),
        many => format!("Sent {} files", many.len()),
    };
    truncate_chars(&body, BODY_MAX_CHARS)
}

/// The notifications one order's change calls for, given its state before the sync.
fn order_notifications(view: &OrderView, before: Option<&OrderView>) -> Vec<Notification> {
    let mut out = Vec::new();
    let order = &view.order;
    let id = order.id;
    let summary = order_summary(view);

    // Became "Waiting for You to Confirm" (not: was already there and changed again).
    if view.order_box == OrderBox::WaitingForMe
        && before.is_none_or(|b| b.order_box != OrderBox::WaitingForMe)
    {
        out.push(Notification {
            key: format!("order:{id}:waiting_for_me:{}", order.version),
            title: "Order waiting for you to confirm".to_owned(),
            body: truncate_chars(&format!("{summary} · {}", order.total()), BODY_MAX_CHARS),
            target: Target::Order(id),
            kind: NotificationKind::OrderWaitingForYou,
        });
    }

    // Became shipped. The supplier shipped it, so only the buyer hears of it.
    if view.viewer == Party::Buyer
        && order.status == OrderStatus::Shipped
        && before.is_none_or(|b| b.order.status != OrderStatus::Shipped)
    {
        let body = match &order.shipment {
            Some(s) => format!(
                "{summary}: {}, tracking number {}",
                clean_text(&s.carrier),
                clean_text(&s.tracking_number)
            ),
            None => format!("{summary} is on its way"),
        };
        out.push(Notification {
            key: format!("order:{id}:shipped"),
            title: "Order shipped".to_owned(),
            body: truncate_chars(&body, BODY_MAX_CHARS),
            target: Target::Order(id),
            kind: NotificationKind::OrderShipped,
        });
    }

    if let Some(dispute) = &order.dispute {
        let before_dispute = before
            .and_then(|b| b.order.dispute.as_ref())
            .filter(|d| d.id == dispute.id);
        let currency = order.terms.currency;

        // A new supplier proposal: the buyer is the one who answers it.
        let proposals_before = before_dispute.map_or(0, |d| d.proposals.len());
        if view.viewer == Party::Buyer
            && dispute.proposals.len() > proposals_before
            && let Some(p) = dispute.proposals.last()
        {
            let mut body = format!("{summary}: refund {}", Money::new(p.refund_minor, currency));
            append_note(&mut body, &p.note);
            out.push(Notification {
                key: format!(
                    "order:{id}:dispute:{}:proposal:{}",
                    dispute.id,
                    dispute.proposals.len()
                ),
                title: "Supplier proposed a settlement".to_owned(),
                body: truncate_chars(&body, BODY_MAX_CHARS),
                target: Target::Order(id),
                kind: NotificationKind::DisputeProposal,
            });
        }

        // The operator's decision concerns both parties.
        if let Some(decision) = &dispute.decision
            && before_dispute.is_none_or(|d| d.decision.is_none())
        {
            let mut body = if decision.refund_minor > 0 {
                format!(
                    "{summary}: refund {}",
                    Money::new(decision.refund_minor, currency)
                )
            } else {
                format!("{summary}: no refund")
            };
            append_note(&mut body, &decision.note);
            out.push(Notification {
                key: format!("order:{id}:dispute:{}:decision", dispute.id),
                title: "Dispute decided".to_owned(),
                body: truncate_chars(&body, BODY_MAX_CHARS),
                target: Target::Order(id),
                kind: NotificationKind::DisputeDecision,
            });
        }
    }
    out
}

fn append_note(body: &mut String, note: &str) {
    let note = clean_text(note);
    if !note.is_empty() {
        body.push_str(" — ");
        body.push_str(&note);
    }
}

/// "LED panel 600x600 and 2 more": the first line's product and how many others.
fn order_summary(view: &OrderView) -> String {
    let lines = &view.order.terms.lines;
    let first = lines
        .first()
        .map(|l| truncate_chars(&clean_text(&l.product), PRODUCT_MAX_CHARS))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "Order".to_owned());
    match lines.len() {
        0 | 1 => first,
        n => format!("{first} and {} more", n - 1),
    }
}

fn deadline_phrase(kind: DeadlineKind, viewer: Party) -> &'static str {
    match kind {
        DeadlineKind::ConfirmationExpires => "cancelled unless both sides confirm",
        DeadlineKind::PaymentExpires => "cancelled unless paid",
        DeadlineKind::PaymentProcessingExpires => "the payment fails unless the funds arrive",
        DeadlineKind::BalanceDue => "the balance is due",
        DeadlineKind::ShipBy => match viewer {
            Party::Buyer => "the supplier must ship",
            Party::Supplier => "ship-by date",
        },
        DeadlineKind::ReceiptAutoComplete => match viewer {
            Party::Buyer => "completes by itself; confirm receipt or extend the receiving time",
            Party::Supplier => "completes by itself",
        },
        DeadlineKind::ProtectionEnds => "buyer protection ends; no disputes after it",
        DeadlineKind::DisputeAutoEscalation => "the dispute goes to the platform's dispute team",
    }
}

/// Makes other people's text safe to show on one line: control characters become
/// spaces, bidirectional embedding/override/isolate controls (which can make text read
/// differently than it is) are dropped, runs of whitespace collapse to one space.
fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        ) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// `s` cut to at most `max` characters (on a char boundary), ending with "…" when cut.
fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let kept: String = s.chars().take(max.saturating_sub(1)).collect();
    let mut out = kept.trim_end().to_owned();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::civil::{Date, time};
    use jiff::tz::Offset;
    use trade_model::dispute::{Decision, Dispute, DisputeReason, DisputeStatus, Proposal};
    use trade_model::ids::DisputeId;
    use trade_model::money::Currency;
    use trade_model::order::{
        self, Deadline, OrderLine, OrderOrigin, OrderTerms, PaymentTerms, Shipment, ShippingMethod,
        order_box,
    };

    use super::*;

    fn now() -> Timestamp {
        "2026-11-26T10:00:00Z".parse().unwrap()
    }

    fn me() -> AccountId {
        AccountId(uuid::Uuid::from_u128(1))
    }

    fn supplier() -> AccountId {
        AccountId(uuid::Uuid::from_u128(2))
    }

    fn settings() -> NotificationSettings {
        NotificationSettings::default()
    }

    fn ctx<'a>(s: &'a NotificationSettings, sent: &'a BTreeSet<String>) -> Context<'a> {
        Context {
            me: me(),
            now: now(),
            settings: s,
            already_sent: sent,
        }
    }

    fn message(inquiry: InquiryId, sender: AccountId, name: &str, body: &str, n: i64) -> Message {
        Message {
            id: MessageId::new(),
            inquiry,
            sender,
            sender_name: name.to_owned(),
            body: body.to_owned(),
            attachments: vec![],
            sent_at: now() - SignedDuration::from_mins(60 - n),
            read: false,
            quotation: None,
        }
    }

    fn change(record: SyncRecord) -> Change {
        let (kind, id) = match &record {
            SyncRecord::Message(m) => (RecordKind::Message, m.id.to_string()),
            SyncRecord::Order(v) => (RecordKind::Order, v.order.id.to_string()),
            _ => unreachable!("tests only sync messages and orders"),
        };
        Change {
            version: 1,
            kind,
            id,
            record: Some(record),
        }
    }

    fn none(_: RecordKind, _: &str) -> Option<SyncRecord> {
        None
    }

    fn terms() -> OrderTerms {
        OrderTerms {
            lines: vec![
                OrderLine {
                    product: "LED panel 600x600".to_owned(),
                    quantity: 500,
                    unit: "pieces".to_owned(),
                    unit_price_minor: 1250,
                },
                OrderLine {
                    product: "Driver".to_owned(),
                    quantity: 500,
                    unit: "pieces".to_owned(),
                    unit_price_minor: 150,
                },
            ],
            currency: Currency::USD,
            incoterm: order::Incoterm::Fob,
            shipping_method: ShippingMethod::Sea,
            ship_by: Date::constant(2027, 1, 15),
            payment_terms: PaymentTerms::Full,
            remarks: String::new(),
            documents: vec![],
        }
    }

    /// An order between me (buyer) and the supplier, created by `created_by`.
    fn new_order(created_by: Party) -> order::Order {
        order::create(
            OrderId::new(),
            me(),
            supplier(),
            None,
            OrderOrigin::Template,
            created_by,
            terms(),
            now() - SignedDuration::from_hours(24),
        )
        .unwrap()
    }

    fn view(order: order::Order, viewer: Party) -> OrderView {
        let b = order_box(&order, viewer);
        OrderView {
            total_minor: order.total_minor(),
            next_installment: order.next_installment(),
            next_deadline: order.next_deadline(),
            order_box: b,
            status_label: b.label().to_owned(),
            viewer,
            available_actions: vec![],
            order,
        }
    }

    fn shipped(mut o: order::Order) -> order::Order {
        o.status = OrderStatus::Shipped;
        o.buyer_confirmed = true;
        o.supplier_confirmed = true;
        o.paid_minor = o.total_minor();
        o.shipment = Some(Shipment {
            carrier: "DHL".to_owned(),
            tracking_number: "1234567890".to_owned(),
            shipped_at: now(),
        });
        o.receipt_deadline = Some(now() + SignedDuration::from_hours(24 * 30));
        o
    }

    fn paid(mut o: order::Order) -> order::Order {
        o.status = OrderStatus::Paid;
        o.buyer_confirmed = true;
        o.supplier_confirmed = true;
        o.paid_minor = o.total_minor();
        o
    }

    fn with_dispute(mut o: order::Order, proposals: usize, decided: bool) -> order::Order {
        o.dispute = Some(Dispute {
            id: DisputeId(uuid::Uuid::from_u128(9)),
            reason: DisputeReason::QualityProblem,
            claim_minor: 10_000,
            description: "Half the panels flicker".to_owned(),
            evidence: vec![],
            filed_at: now() - SignedDuration::from_hours(48),
            status: if decided {
                DisputeStatus::Decided
            } else {
                DisputeStatus::Negotiating
            },
            proposals: (0..proposals)
                .map(|i| Proposal {
                    refund_minor: 5_000 + i as i64,
                    note: "We can refund half".to_owned(),
                    at: now(),
                })
                .collect(),
            escalated_at: None,
            auto_escalated: false,
            decision: decided.then(|| Decision {
                refund_minor: 8_000,
                note: "Evidence supports the claim".to_owned(),
                at: now(),
            }),
            refund_minor: 0,
            closed_at: None,
        });
        o
    }

    /// A `previous` that answers from a map of order states before the sync.
    fn previous_orders(before: Vec<OrderView>) -> impl Fn(RecordKind, &str) -> Option<SyncRecord> {
        let map: BTreeMap<String, OrderView> = before
            .into_iter()
            .map(|v| (v.order.id.to_string(), v))
            .collect();
        move |kind, id| match kind {
            RecordKind::Order => map.get(id).cloned().map(SyncRecord::Order),
            _ => None,
        }
    }

    // --- messages ---

    #[test]
    fn one_message_names_the_sender_and_quotes_it() {
        let (s, sent) = (settings(), BTreeSet::new());
        let inq = InquiryId::new();
        let m = message(
            inq,
            supplier(),
            "Li Supplier",
            "New price list attached.",
            1,
        );
        let out = decide(&ctx(&s, &sent), &[change(SyncRecord::Message(m))], none);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].title, "Li Supplier");
        assert_eq!(out[0].body, "New price list attached.");
        assert_eq!(out[0].target, Target::Inquiry(inq));
        assert_eq!(out[0].kind, NotificationKind::NewMessages);
    }

    #[test]
    fn several_messages_in_one_inquiry_coalesce_and_quote_the_latest() {
        let (s, sent) = (settings(), BTreeSet::new());
        let inq = InquiryId::new();
        let changes: Vec<Change> = [(3, "third"), (1, "first"), (2, "second")]
            .into_iter()
            .map(|(n, text)| {
                change(SyncRecord::Message(message(
                    inq,
                    supplier(),
                    "Li Supplier",
                    text,
                    n,
                )))
            })
            .collect();
        let out = decide(&ctx(&s, &sent), &changes, none);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].title, "3 new messages from Li Supplier");
        assert_eq!(out[0].body, "third");
    }

    #[test]
    fn two_inquiries_give_two_notifications() {
        let (s, sent) = (settings(), BTreeSet::new());
        let (a, b) = (InquiryId::new(), InquiryId::new());
        let changes = vec![
            change(SyncRecord::Message(message(a, supplier(), "Li", "a1", 1))),
            change(SyncRecord::Message(message(b, supplier(), "Wang", "b1", 2))),
            change(SyncRecord::Message(message(a, supplier(), "Li", "a2", 3))),
        ];
        let out = decide(&ctx(&s, &sent), &changes, none);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].target, Target::Inquiry(a));
        assert_eq!(out[0].title, "2 new messages from Li");
        assert_eq!(out[0].body, "a2");
        assert_eq!(out[1].target, Target::Inquiry(b));
        assert_eq!(out[1].title, "Wang");
        assert_ne!(out[0].key, out[1].key);
    }

    #[test]
    fn long_message_is_cut_on_a_char_boundary() {
        let (s, sent) = (settings(), BTreeSet::new());
        let text = "价格".repeat(100);
        let m = message(InquiryId::new(), supplier(), "Li", &text, 1);
        let out = decide(&ctx(&s, &sent), &[change(SyncRecord::Message(m))], none);
        assert_eq!(out[0].body.chars().count(), BODY_MAX_CHARS);
        assert!(out[0].body.ends_with('…'));
        assert!(text.starts_with(out[0].body.trim_end_matches('…')));
    }

    #[test]
    fn own_messages_do_not_notify() {
        let (s, sent) = (settings(), BTreeSet::new());
        let m = message(InquiryId::new(), me(), "Me", "Any update?", 1);
        let out = decide(&ctx(&s, &sent), &[change(SyncRecord::Message(m))], none);
        assert!(out.is_empty());
    }

    #[test]
    fn read_messages_do_not_notify() {
        let (s, sent) = (settings(), BTreeSet::new());
        let mut m = message(InquiryId::new(), supplier(), "Li", "Seen on phone", 1);
        m.read = true;
        let out = decide(&ctx(&s, &sent), &[change(SyncRecord::Message(m))], none);
        assert!(out.is_empty());
    }

    #[test]
    fn muted_inquiries_do_not_notify() {
        let inq = InquiryId::new();
        let mut s = settings();
        s.muted_inquiries.insert(inq);
        let sent = BTreeSet::new();
        let m = message(inq, supplier(), "Li", "Hello again", 1);
        let other = message(InquiryId::new(), supplier(), "Wang", "Hi", 2);
        let changes = vec![
            change(SyncRecord::Message(m)),
            change(SyncRecord::Message(other)),
        ];
        let out = decide(&ctx(&s, &sent), &changes, none);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].title, "Wang");
    }

    #[test]
    fn messages_already_cached_do_not_notify_again() {
        let (s, sent) = (settings(), BTreeSet::new());
        let m = message(InquiryId::new(), supplier(), "Li", "Hello", 1);
        let cached = m.clone();
        let out = decide(
            &ctx(&s, &sent),
            &[change(SyncRecord::Message(m))],
            |kind, _| (kind == RecordKind::Message).then(|| SyncRecord::Message(cached.clone())),
        );
        assert!(out.is_empty());
    }

    #[test]
    fn already_sent_keys_are_not_shown_again() {
        let s = settings();
        let m = message(InquiryId::new(), supplier(), "Li", "Hello", 1);
        let changes = vec![change(SyncRecord::Message(m))];
        let first = decide(&ctx(&s, &BTreeSet::new()), &changes, none);
        assert_eq!(first.len(), 1);
        let sent: BTreeSet<String> = first.iter().map(|n| n.key.clone()).collect();
        assert!(decide(&ctx(&s, &sent), &changes, none).is_empty());
    }

    // --- switches ---

    #[test]
    fn disabled_shows_nothing() {
        let mut s = settings();
        s.enabled = false;
        let sent = BTreeSet::new();
        let m = message(InquiryId::new(), supplier(), "Li", "Hello", 1);
        assert!(decide(&ctx(&s, &sent), &[change(SyncRecord::Message(m))], none).is_empty());
        let mut v = view(new_order(Party::Buyer), Party::Buyer);
        v.next_deadline = Some(Deadline {
            at: now() + SignedDuration::from_hours(5),
            kind: DeadlineKind::ConfirmationExpires,
        });
        assert!(deadline_reminders(&ctx(&s, &sent), &[v]).is_empty());
    }

    fn quiet(start: Time, end: Time, offset_hours: i8) -> NotificationSettings {
        NotificationSettings {
            quiet_hours: Some(QuietHours {
                start,
                end,
                tz: TimeZone::fixed(Offset::constant(offset_hours)),
            }),
            ..settings()
        }
    }

    fn shown_at(s: &NotificationSettings, at: &str) -> bool {
        let sent = BTreeSet::new();
        let c = Context {
            now: at.parse().unwrap(),
            ..ctx(s, &sent)
        };
        let m = message(InquiryId::new(), supplier(), "Li", "Hello", 1);
        !decide(&c, &[change(SyncRecord::Message(m))], none).is_empty()
    }

    #[test]
    fn quiet_hours_in_the_users_time_zone() {
        // 12:00–14:00 at UTC+8 is 04:00–06:00 UTC.
        let s = quiet(time(12, 0, 0, 0), time(14, 0, 0, 0), 8);
        assert!(!shown_at(&s, "2026-11-26T04:30:00Z"));
        assert!(!shown_at(&s, "2026-11-26T04:00:00Z")); // start is inclusive
        assert!(shown_at(&s, "2026-11-26T06:00:00Z")); // end is exclusive
        assert!(shown_at(&s, "2026-11-26T12:30:00Z")); // 12:30 UTC is 20:30 local
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        // 22:00–07:00 at UTC+1.
        let s = quiet(time(22, 0, 0, 0), time(7, 0, 0, 0), 1);
        assert!(!shown_at(&s, "2026-11-26T22:30:00Z")); // 23:30 local
        assert!(!shown_at(&s, "2026-11-26T02:00:00Z")); // 03:00 local
        assert!(!shown_at(&s, "2026-11-26T21:00:00Z")); // 22:00 local
        assert!(shown_at(&s, "2026-11-26T06:00:00Z")); // 07:00 local
        assert!(shown_at(&s, "2026-11-26T11:00:00Z")); // 12:00 local
        assert!(shown_at(&s, "2026-11-26T20:59:00Z")); // 21:59 local
    }

    #[test]
    fn quiet_hours_also_hold_back_reminders() {
        let s = quiet(time(22, 0, 0, 0), time(7, 0, 0, 0), 0);
        let sent = BTreeSet::new();
        let mut v = view(new_order(Party::Buyer), Party::Buyer);
        let at_night: Timestamp = "2026-11-26T23:00:00Z".parse().unwrap();
        v.next_deadline = Some(Deadline {
            at: at_night + SignedDuration::from_hours(20),
            kind: DeadlineKind::ReceiptAutoComplete,
        });
        let night = Context {
            now: at_night,
            ..ctx(&s, &sent)
        };
        assert!(deadline_reminders(&night, std::slice::from_ref(&v)).is_empty());
        let morning = Context {
            now: "2026-11-27T08:00:00Z".parse().unwrap(),
            ..ctx(&s, &sent)
        };
        assert_eq!(deadline_reminders(&morning, &[v]).len(), 1);
    }

    #[test]
    fn equal_start_and_end_is_never_quiet() {
        let s = quiet(time(9, 0, 0, 0), time(9, 0, 0, 0), 0);
        assert!(shown_at(&s, "2026-11-26T09:00:00Z"));
    }

    // --- orders ---

    #[test]
    fn waiting_for_me_notifies_on_the_transition_only() {
        let (s, sent) = (settings(), BTreeSet::new());
        // The supplier created the order: it waits for me.
        let now_v = view(new_order(Party::Supplier), Party::Buyer);
        assert_eq!(now_v.order_box, OrderBox::WaitingForMe);
        let changes = vec![change(SyncRecord::Order(now_v.clone()))];

        // New to me: notifies.
        let out = decide(&ctx(&s, &sent), &changes, none);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, NotificationKind::OrderWaitingForYou);
        assert_eq!(out[0].target, Target::Order(now_v.order.id));
        assert_eq!(
            out[0].body, "LED panel 600x600 and 1 more · USD 7,000.00",
            "summary and total"
        );

        // Was waiting for my partner before (the supplier modified it): notifies.
        let mut before = now_v.clone();
        before.order.buyer_confirmed = true;
        before.order.supplier_confirmed = false;
        before.order_box = OrderBox::WaitingForPartner;
        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![before]));
        assert_eq!(out.len(), 1);

        // Already waiting for me before: nothing new.
        let mut before = now_v.clone();
        before.order.version -= 1;
        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![before]));
        assert!(out.is_empty());
    }

    #[test]
    fn my_own_new_order_does_not_notify() {
        let (s, sent) = (settings(), BTreeSet::new());
        let v = view(new_order(Party::Buyer), Party::Buyer);
        assert_eq!(v.order_box, OrderBox::WaitingForPartner);
        assert!(decide(&ctx(&s, &sent), &[change(SyncRecord::Order(v))], none).is_empty());
    }

    #[test]
    fn shipped_notifies_with_carrier_and_tracking_once() {
        let (s, sent) = (settings(), BTreeSet::new());
        let base = new_order(Party::Buyer);
        let before = view(paid(base.clone()), Party::Buyer);
        let after = view(shipped(base), Party::Buyer);
        let changes = vec![change(SyncRecord::Order(after.clone()))];

        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![before]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, NotificationKind::OrderShipped);
        assert_eq!(out[0].title, "Order shipped");
        assert!(out[0].body.contains("DHL"), "{}", out[0].body);
        assert!(out[0].body.contains("1234567890"), "{}", out[0].body);

        // Already shipped before (e.g. the receiving time was extended): nothing.
        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![after]));
        assert!(out.is_empty());
    }

    #[test]
    fn shipping_does_not_notify_the_supplier() {
        let (s, sent) = (settings(), BTreeSet::new());
        let base = new_order(Party::Buyer);
        let before = view(paid(base.clone()), Party::Supplier);
        let after = view(shipped(base), Party::Supplier);
        let c = Context {
            me: supplier(),
            ..ctx(&s, &sent)
        };
        let out = decide(
            &c,
            &[change(SyncRecord::Order(after))],
            previous_orders(vec![before]),
        );
        assert!(out.is_empty());
    }

    #[test]
    fn new_supplier_proposal_notifies_once() {
        let (s, sent) = (settings(), BTreeSet::new());
        let base = paid(new_order(Party::Buyer));
        let before = view(with_dispute(base.clone(), 0, false), Party::Buyer);
        let after = view(with_dispute(base, 1, false), Party::Buyer);
        let changes = vec![change(SyncRecord::Order(after.clone()))];

        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![before]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, NotificationKind::DisputeProposal);
        assert!(out[0].body.contains("USD 50.00"), "{}", out[0].body);

        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![after]));
        assert!(out.is_empty());
    }

    #[test]
    fn operator_decision_notifies_once() {
        let (s, sent) = (settings(), BTreeSet::new());
        let base = paid(new_order(Party::Buyer));
        let before = view(with_dispute(base.clone(), 1, false), Party::Buyer);
        let after = view(with_dispute(base, 1, true), Party::Buyer);
        let changes = vec![change(SyncRecord::Order(after.clone()))];

        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![before]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, NotificationKind::DisputeDecision);
        assert!(out[0].body.contains("USD 80.00"), "{}", out[0].body);

        let out = decide(&ctx(&s, &sent), &changes, previous_orders(vec![after]));
        assert!(out.is_empty());
    }

    #[test]
    fn the_supplier_hears_of_the_decision_but_not_of_its_own_proposal() {
        let (s, sent) = (settings(), BTreeSet::new());
        let c = Context {
            me: supplier(),
            ..ctx(&s, &sent)
        };
        let base = paid(new_order(Party::Buyer));

        let before = view(with_dispute(base.clone(), 0, false), Party::Supplier);
        let after = view(with_dispute(base.clone(), 1, false), Party::Supplier);
        let out = decide(
            &c,
            &[change(SyncRecord::Order(after.clone()))],
            previous_orders(vec![before]),
        );
        assert!(out.is_empty(), "{out:?}");

        let decided = view(with_dispute(base, 1, true), Party::Supplier);
        let out = decide(
            &c,
            &[change(SyncRecord::Order(decided))],
            previous_orders(vec![after]),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, NotificationKind::DisputeDecision);
    }

    // --- deadline reminders ---

    fn with_deadline(hours_ahead: i64) -> OrderView {
        let mut v = view(shipped(new_order(Party::Buyer)), Party::Buyer);
        v.next_deadline = Some(Deadline {
            at: now() + SignedDuration::from_hours(hours_ahead),
            kind: DeadlineKind::ReceiptAutoComplete,
        });
        v
    }

    #[test]
    fn deadline_47_hours_ahead_reminds() {
        let (s, sent) = (settings(), BTreeSet::new());
        let v = with_deadline(47);
        let out = deadline_reminders(&ctx(&s, &sent), std::slice::from_ref(&v));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, NotificationKind::DeadlineSoon);
        assert_eq!(out[0].title, "Order deadline in 47 hours");
        assert_eq!(
            out[0].key,
            format!(
                "deadline:{}:{}",
                v.order.id,
                now() + SignedDuration::from_hours(47)
            )
        );
    }

    #[test]
    fn deadline_49_hours_ahead_does_not_remind() {
        let (s, sent) = (settings(), BTreeSet::new());
        assert!(deadline_reminders(&ctx(&s, &sent), &[with_deadline(49)]).is_empty());
    }

    #[test]
    fn past_deadline_does_not_remind() {
        let (s, sent) = (settings(), BTreeSet::new());
        assert!(deadline_reminders(&ctx(&s, &sent), &[with_deadline(-1)]).is_empty());
        assert!(deadline_reminders(&ctx(&s, &sent), &[with_deadline(0)]).is_empty());
    }

    #[test]
    fn reminded_deadline_is_not_reminded_again_but_a_new_one_is() {
        let s = settings();
        let v = with_deadline(47);
        let first = deadline_reminders(&ctx(&s, &BTreeSet::new()), std::slice::from_ref(&v));
        let sent: BTreeSet<String> = first.iter().map(|n| n.key.clone()).collect();
        assert!(deadline_reminders(&ctx(&s, &sent), std::slice::from_ref(&v)).is_empty());

        // The receiving time was extended: a new deadline, a new reminder.
        let extended = with_deadline(30);
        let extended = OrderView {
            order: v.order.clone(),
            ..extended
        };
        let out = deadline_reminders(&ctx(&s, &sent), &[extended]);
        assert_eq!(out.len(), 1);
        assert_ne!(out[0].key, first[0].key);
    }

    // --- text ---

    #[test]
    fn escaping_covers_markup_characters() {
        assert_eq!(escape_markup(r#"<b>&"'"#), "&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape_markup("plain 价格"), "plain 价格");
    }

    #[test]
    fn texts_stay_plain_and_escaped_accessors_escape() {
        let (s, sent) = (settings(), BTreeSet::new());
        let m = message(
            InquiryId::new(),
            supplier(),
            "<i>Li</i>",
            "<a href='x'>click</a> & pay",
            1,
        );
        let out = decide(&ctx(&s, &sent), &[change(SyncRecord::Message(m))], none);
        assert_eq!(out[0].body, "<a href='x'>click</a> & pay");
        assert_eq!(
            out[0].body_escaped(),
            "&lt;a href=&apos;x&apos;&gt;click&lt;/a&gt; &amp; pay"
        );
        assert_eq!(out[0].title_escaped(), "&lt;i&gt;Li&lt;/i&gt;");
    }

    #[test]
    fn control_and_bidi_characters_are_removed() {
        assert_eq!(clean_text("a\u{202E}b\n\n c\u{0007}d "), "ab c d");
    }
}
