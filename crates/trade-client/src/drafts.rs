//! Order drafts: made, edited, validated, listed and discarded entirely offline. A draft
//! already carries the id its order will have; submitting it writes the order as the
//! buyer will see it and queues the submission, in one transaction.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use trade_model::api::{CreateOrderRequest, OrderView};
use trade_model::error::FieldError;
use trade_model::order::{self, Order, OrderOrigin, OrderTerms, Party};
use trade_model::sync::{MutationOp, SyncRecord};
use trade_model::time::utc_date;
use trade_model::{AccountId, InquiryId, MutationId, OrderId, QuotationId};

use crate::error::{ClientError, Result, sentence};
use crate::store::LocalStore;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Draft {
    /// The id the order gets when submitted.
    pub id: OrderId,
    /// The supplier (the app is the buyer's).
    pub counterparty: AccountId,
    #[serde(default)]
    pub inquiry: Option<InquiryId>,
    pub origin: OrderOrigin,
    pub terms: OrderTerms,
    /// The quotation the draft was made from (`Quotation::order_terms`), which the order
    /// will name.
    #[serde(default)]
    pub quotation: Option<QuotationId>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated_at: Timestamp,
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ClientError::Decode(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| ClientError::Decode(e.to_string()))
}

/// The draft's problems as of `now`, field by field (empty when it can be submitted).
pub fn check(draft: &Draft, now: Timestamp) -> Vec<FieldError> {
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    order::draft_problems(&draft.terms, draft.origin, today)
}

/// A new draft of `quantity` units from a cached quotation, made at `now`: the
/// quotation's supplier, inquiry and terms at the tier price for that quantity
/// (`Quotation::order_terms`), naming the quotation. Not saved: like every new draft it
/// is kept once the buyer edits it. An expired quotation, or a quantity below its MOQ,
/// makes none.
pub fn from_quotation(
    store: &LocalStore,
    quotation: QuotationId,
    quantity: u64,
    now: Timestamp,
) -> Result<Draft> {
    let q = store
        .quotation(quotation)?
        .ok_or(ClientError::NotFound("quotation"))?;
    q.check_order(q.supplier, Some(q.inquiry), now)
        .map_err(ClientError::QuotationUse)?;
    Ok(Draft {
        id: OrderId::new(),
        counterparty: q.supplier,
        inquiry: Some(q.inquiry),
        origin: OrderOrigin::Template,
        terms: q.order_terms(quantity, utc_date(now))?,
        quotation: Some(q.id),
        updated_at: now,
    })
}

impl LocalStore {
    /// Creates or replaces a draft (drafts may be incomplete; nothing is checked here).
    pub(crate) fn save_draft(&self, draft: &Draft) -> Result<()> {
        self.conn().execute(
            "INSERT INTO drafts (id, updated_at, data) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data",
            params![
                draft.id.to_string(),
                draft.updated_at.as_millisecond(),
                json(draft)?
            ],
        )?;
        Ok(())
    }

    /// Drafts, most recently edited first.
    pub fn drafts(&self) -> Result<Vec<Draft>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT data FROM drafts ORDER BY updated_at DESC, id DESC")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        rows.iter().map(|d| parse(d)).collect()
    }

    pub fn draft(&self, id: OrderId) -> Result<Draft> {
        let data: String = self
            .conn()
            .query_row(
                "SELECT data FROM drafts WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(ClientError::NotFound("draft"))?;
        parse(&data)
    }

    /// Discards a draft, with the copies of files picked for it that nothing else uses.
    pub(crate) fn discard_draft(&self, id: OrderId) -> Result<()> {
        let draft = self.draft(id)?;
        self.conn()
            .execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])?;
        for doc in draft.terms.documents {
            let used_elsewhere: bool = self.conn().query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE instr(mutation, ?1) > 0) \
                 OR EXISTS (SELECT 1 FROM drafts WHERE instr(data, ?1) > 0)",
                [doc.to_string()],
                |r| r.get(0),
            )?;
            if !used_elsewhere {
                match self.remove_file(doc) {
                    Ok(()) | Err(ClientError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Submits a valid draft: the order appears at once as waiting for the supplier, the
    /// submission is queued, the draft is gone — or, when the draft has problems, nothing
    /// changes and every problem is returned.
    pub(crate) fn submit_draft(
        &self,
        id: OrderId,
        me: AccountId,
        now: Timestamp,
    ) -> Result<MutationId> {
        let draft = self.draft(id)?;
        let mut problems = check(&draft, now);
        for doc in &draft.terms.documents {
            if let Err(ClientError::NotFound(_)) = self.document(*doc, me) {
                problems.push(FieldError::new(
                    "documents",
                    "document_missing",
                    "A file of this draft is no longer here; pick it again.",
                ));
            }
        }
        if let Some(id) = draft.quotation {
            // What the server will check, said before the order leaves: a quotation
            // not (yet) in the cache is left to the server.
            if let Some(quotation) = self.quotation(id)?
                && let Err(why) = quotation.check_order(draft.counterparty, draft.inquiry, now)
            {
                problems.push(FieldError::new(
                    "quotation",
                    why.code().as_str(),
                    sentence(&why.to_string()),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(ClientError::InvalidDraft(problems));
        }
        let created = order::create(
            draft.id,
            me,
            draft.counterparty,
            draft.inquiry,
            draft.origin,
            Party::Buyer,
            draft.terms.clone(),
            now,
        )
        .map_err(|r| match r {
            trade_model::Rejection::InvalidTerms(fields) => ClientError::InvalidDraft(fields),
            other => ClientError::Api {
                status: 422,
                code: other.code().as_str().to_owned(),
                message: other.to_string(),
                details: other.details(),
            },
        })?;
        let created = Order {
            quotation: draft.quotation,
            ..created
        };
        let view = OrderView::new(created, Party::Buyer, now);
        let request = CreateOrderRequest {
            counterparty: draft.counterparty,
            inquiry: draft.inquiry,
            origin: draft.origin,
            terms: draft.terms,
            quotation: draft.quotation,
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        crate::store::apply_put(&tx, &SyncRecord::Order(view))?;
        let mutation = crate::outbox::enqueue_in(
            &tx,
            MutationOp::SubmitOrder { order: id, request },
            "orders",
            &id.to_string(),
            None,
            now,
        )?;
        tx.execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(mutation)
    }
}
