//! The buyer's comparisons of quotations (issue 17): one need, a target quantity, the
//! buyer's currency, the quotations chosen for it (from any suppliers) and the buyer's
//! estimates for each (freight, duty, transit days).
//!
//! **Local only.** A comparison lives in this account's cache on this computer and is
//! never synced: no outbox entry, no server record (the server has no comparisons; the
//! estimates are the buyer's own working figures). Signing in elsewhere shows none.
//!
//! A comparison is computed when it is read, with `trade_model::quotation::compare`,
//! from what the cache holds: the synced quotations, the exchange-rate table and the
//! supplier facts last fetched (`Engine::refresh_comparison`). So it works offline on
//! what was cached; a currency the cached table lacks (or no table at all) leaves the
//! row with its typed `PricingError::MissingRate` instead of a cost.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use trade_model::entities::Inquiry;
use trade_model::order::{MAX_QUANTITY, MAX_SHORT_TEXT_CHARS};
use trade_model::quotation::{
    Estimates, ExchangeRates, PricingError, Quotation, SortDirection, compare,
};
use trade_model::supplier::SupplierFacts;
use trade_model::{AccountId, Currency, InquiryId, QuotationId};
use uuid::Uuid;

use crate::error::{ClientError, Result};
use crate::store::LocalStore;

mod sheet;
pub use sheet::{ComparisonSheet, SheetColumn, SheetRow, sort_sheet};

/// A comparison's id (meaningful on this computer only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct ComparisonId(pub Uuid);

impl ComparisonId {
    pub fn new() -> Self {
        ComparisonId(Uuid::now_v7())
    }
}

impl Default for ComparisonId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ComparisonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ComparisonId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Uuid::parse_str(s).map(ComparisonId)
    }
}

/// What the buyer sets for a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ComparisonTerms {
    /// The need, in the buyer's words ("M8 hex bolts, zinc plated").
    pub name: String,
    /// The target quantity every quotation is priced at.
    pub quantity: u64,
    /// The buyer's currency: every cost is shown converted to it.
    pub currency: Currency,
}

/// Why a comparison's terms are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ComparisonError {
    #[error("name the comparison (up to {MAX_SHORT_TEXT_CHARS} characters)")]
    BadName,
    #[error("the quantity must be from 1 to {MAX_QUANTITY}")]
    BadQuantity,
}

impl ComparisonTerms {
    /// The terms as kept: the name trimmed, checked with the order's text rules.
    fn checked(&self) -> std::result::Result<ComparisonTerms, ComparisonError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_SHORT_TEXT_CHARS {
            return Err(ComparisonError::BadName);
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            return Err(ComparisonError::BadQuantity);
        }
        Ok(ComparisonTerms {
            name: name.to_owned(),
            quantity: self.quantity,
            currency: self.currency,
        })
    }
}

/// A comparison in the list of comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ComparisonSummary {
    pub id: ComparisonId,
    pub terms: ComparisonTerms,
    /// How many quotations are chosen.
    pub quotations: u32,
    /// The quotations chosen (to mark a card already in it).
    pub quotation_ids: Vec<QuotationId>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated_at: Timestamp,
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| ClientError::Decode(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| ClientError::Decode(e.to_string()))
}

fn parse_id<T: FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| ClientError::Decode(format!("`{s}` is not an id")))
}

/// SQLite keeps integers as i64; quantities are at most [`MAX_QUANTITY`].
fn quantity_column(q: u64) -> i64 {
    i64::try_from(q).unwrap_or(i64::MAX)
}

impl LocalStore {
    pub(crate) fn create_comparison(
        &self,
        id: ComparisonId,
        terms: &ComparisonTerms,
        now: Timestamp,
    ) -> Result<()> {
        let terms = terms.checked()?;
        self.conn().execute(
            "INSERT INTO comparisons (id, name, quantity, currency, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                id.to_string(),
                terms.name,
                quantity_column(terms.quantity),
                terms.currency.code(),
                now.as_millisecond()
            ],
        )?;
        Ok(())
    }

    pub(crate) fn update_comparison(
        &self,
        id: ComparisonId,
        terms: &ComparisonTerms,
        now: Timestamp,
    ) -> Result<()> {
        let terms = terms.checked()?;
        let changed = self.conn().execute(
            "UPDATE comparisons SET name = ?2, quantity = ?3, currency = ?4, updated_at = ?5 \
             WHERE id = ?1",
            params![
                id.to_string(),
                terms.name,
                quantity_column(terms.quantity),
                terms.currency.code(),
                now.as_millisecond()
            ],
        )?;
        if changed == 0 {
            return Err(ClientError::NotFound("comparison"));
        }
        Ok(())
    }

    /// Deletes a comparison with its chosen quotations and estimates (the quotations
    /// themselves stay in their threads).
    pub(crate) fn delete_comparison(&self, id: ComparisonId) -> Result<()> {
        let changed = self
            .conn()
            .execute("DELETE FROM comparisons WHERE id = ?1", [id.to_string()])?;
        if changed == 0 {
            return Err(ClientError::NotFound("comparison"));
        }
        Ok(())
    }

    /// Adds a cached quotation to a comparison, with no freight, duty or transit until
    /// the buyer enters them; adding one already there changes nothing.
    pub(crate) fn add_to_comparison(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
        now: Timestamp,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let currency: String = tx
            .query_row(
                "SELECT currency FROM comparisons WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(ClientError::NotFound("comparison"))?;
        let currency: Currency = parse_id(&currency)?;
        let cached: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM quotations WHERE id = ?1)",
            [quotation.to_string()],
            |r| r.get(0),
        )?;
        if !cached {
            return Err(ClientError::NotFound("quotation"));
        }
        let added = tx.execute(
            "INSERT INTO comparison_quotations (comparison_id, quotation_id, estimates, added_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![
                id.to_string(),
                quotation.to_string(),
                json(&Estimates::none(currency))?,
                now.as_millisecond()
            ],
        )?;
        if added > 0 {
            touch(&tx, id, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn remove_from_comparison(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
        now: Timestamp,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let removed = tx.execute(
            "DELETE FROM comparison_quotations WHERE comparison_id = ?1 AND quotation_id = ?2",
            params![id.to_string(), quotation.to_string()],
        )?;
        if removed == 0 {
            return Err(ClientError::NotFound("quotation in this comparison"));
        }
        touch(&tx, id, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Sets the buyer's estimates for one chosen quotation; estimates the model refuses
    /// (negative freight or duty, too long a transit) are refused with its typed error.
    pub(crate) fn set_estimates(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
        estimates: &Estimates,
        now: Timestamp,
    ) -> Result<()> {
        estimates.check()?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE comparison_quotations SET estimates = ?3 \
             WHERE comparison_id = ?1 AND quotation_id = ?2",
            params![id.to_string(), quotation.to_string(), json(estimates)?],
        )?;
        if changed == 0 {
            return Err(ClientError::NotFound("quotation in this comparison"));
        }
        touch(&tx, id, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Every comparison, the one changed last first.
    pub fn comparisons(&self) -> Result<Vec<ComparisonSummary>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT c.id, c.name, c.quantity, c.currency, c.updated_at, \
                    (SELECT json_group_array(quotation_id) FROM \
                        (SELECT quotation_id FROM comparison_quotations \
                         WHERE comparison_id = c.id ORDER BY added_at, quotation_id)) \
             FROM comparisons c ORDER BY c.updated_at DESC, c.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, quantity, currency, updated_at, ids) = row?;
            let quotation_ids: Vec<QuotationId> = parse(&ids)?;
            out.push(ComparisonSummary {
                id: parse_id(&id)?,
                terms: ComparisonTerms {
                    name,
                    quantity: u64::try_from(quantity).unwrap_or(0),
                    currency: parse_id(&currency)?,
                },
                quotations: u32::try_from(quotation_ids.len()).unwrap_or(u32::MAX),
                quotation_ids,
                updated_at: Timestamp::from_millisecond(updated_at)
                    .map_err(|e| ClientError::Decode(e.to_string()))?,
            });
        }
        Ok(out)
    }

    pub fn comparison_terms(&self, id: ComparisonId) -> Result<ComparisonTerms> {
        let (name, quantity, currency) = self
            .conn()
            .query_row(
                "SELECT name, quantity, currency FROM comparisons WHERE id = ?1",
                [id.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?
            .ok_or(ClientError::NotFound("comparison"))?;
        Ok(ComparisonTerms {
            name,
            quantity: u64::try_from(quantity).unwrap_or(0),
            currency: parse_id(&currency)?,
        })
    }

    /// The suppliers of a comparison's cached quotations (whose facts it shows).
    pub fn comparison_suppliers(&self, id: ComparisonId) -> Result<Vec<AccountId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT DISTINCT json_extract(q.data, '$.supplier') FROM comparison_quotations cq \
             JOIN quotations q ON q.id = cq.quotation_id WHERE cq.comparison_id = ?1",
        )?;
        let ids = stmt
            .query_map([id.to_string()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    /// Keeps a fetched exchange-rate table as the newest one, unless a newer one is
    /// kept already (the older is dropped: comparisons use the latest).
    pub(crate) fn put_exchange_rates(&self, rates: &ExchangeRates, now: Timestamp) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let date = rates.date.to_string();
        tx.execute(
            "INSERT INTO exchange_rates (rates_date, data, fetched_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (rates_date) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at",
            params![date, json(rates)?, now.as_millisecond()],
        )?;
        tx.execute(
            "DELETE FROM exchange_rates WHERE rates_date <> \
             (SELECT MAX(rates_date) FROM exchange_rates)",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The newest exchange-rate table fetched, with its date; `None` before the first.
    pub fn exchange_rates(&self) -> Result<Option<ExchangeRates>> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "SELECT data FROM exchange_rates ORDER BY rates_date DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    pub(crate) fn put_supplier_facts(&self, facts: &SupplierFacts, now: Timestamp) -> Result<()> {
        self.conn().execute(
            "INSERT INTO supplier_facts (supplier_id, data, fetched_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (supplier_id) DO UPDATE SET data = excluded.data, fetched_at = excluded.fetched_at",
            params![
                facts.supplier.to_string(),
                json(facts)?,
                now.as_millisecond()
            ],
        )?;
        Ok(())
    }

    /// A supplier's facts as last fetched.
    pub fn supplier_facts(&self, supplier: AccountId) -> Result<Option<SupplierFacts>> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "SELECT data FROM supplier_facts WHERE supplier_id = ?1",
                [supplier.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| parse(&d)).transpose()
    }

    /// A comparison computed from the cache as of `today` (the buyer's UTC date),
    /// sorted by `sort` in `direction`.
    pub fn comparison_sheet(
        &self,
        id: ComparisonId,
        sort: SheetColumn,
        direction: SortDirection,
        today: Date,
    ) -> Result<ComparisonSheet> {
        let terms = self.comparison_terms(id)?;
        let chosen = self.chosen(id)?;
        let cached_rates = self.exchange_rates()?;
        // Without a table only the buyer's own currency converts (to itself); every
        // other amount is a typed MissingRate.
        let rates = cached_rates.clone().unwrap_or_else(|| ExchangeRates {
            date: today,
            base: terms.currency,
            rates: BTreeMap::new(),
        });
        let mut missing = Vec::new();
        let mut found = Vec::new();
        for c in chosen {
            match c.quotation {
                Some(q) => found.push((q, c.estimates, c.inquiry)),
                None => missing.push(c.id),
            }
        }
        let comparison = compare(
            found.iter().map(|(q, e, _)| (q, e)),
            terms.quantity,
            terms.currency,
            &rates,
            today,
        );
        let mut facts: HashMap<AccountId, Option<SupplierFacts>> = HashMap::new();
        let mut extra: HashMap<QuotationId, (InquiryId, Estimates, Option<Inquiry>)> = found
            .into_iter()
            .map(|(q, e, i)| (q.id, (q.inquiry, e, i)))
            .collect();
        let mut rows = Vec::with_capacity(comparison.rows.len());
        for row in comparison.rows {
            let (inquiry_id, estimates, inquiry) = extra
                .remove(&row.quotation)
                .ok_or_else(|| ClientError::Decode("a row without its quotation".into()))?;
            let supplier_facts = match facts.get(&row.supplier) {
                Some(f) => f.clone(),
                None => {
                    let f = self.supplier_facts(row.supplier)?;
                    facts.insert(row.supplier, f.clone());
                    f
                }
            };
            let (supplier_name, supplier_company) = match inquiry {
                Some(i) => (i.supplier_name, i.supplier_company),
                None => (String::new(), String::new()),
            };
            rows.push(SheetRow {
                row,
                estimates,
                inquiry: inquiry_id,
                supplier_name,
                supplier_company,
                facts: supplier_facts,
            });
        }
        sort_sheet(&mut rows, sort, direction);
        Ok(ComparisonSheet {
            id,
            terms,
            rates_date: cached_rates.map(|r| r.date),
            today,
            sort,
            direction,
            rows,
            missing,
        })
    }

    /// A comparison's chosen quotations in the order they were added, each with the
    /// cached quotation and inquiry when the cache has them.
    fn chosen(&self, id: ComparisonId) -> Result<Vec<Chosen>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT cq.quotation_id, cq.estimates, q.data, \
             (SELECT {} FROM inquiries WHERE id = unhex(q.inquiry_id, '-')) \
             FROM comparison_quotations cq \
             LEFT JOIN quotations q ON q.id = cq.quotation_id \
             WHERE cq.comparison_id = ?1 ORDER BY cq.added_at, cq.quotation_id",
            crate::store::json_of("inquiries")
        ))?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (qid, estimates, quotation, inquiry) = row?;
            out.push(Chosen {
                id: parse_id(&qid)?,
                estimates: parse(&estimates)?,
                quotation: quotation.map(|q| parse(&q)).transpose()?,
                inquiry: inquiry.map(|i| parse(&i)).transpose()?,
            });
        }
        Ok(out)
    }
}

struct Chosen {
    id: QuotationId,
    estimates: Estimates,
    quotation: Option<Quotation>,
    inquiry: Option<Inquiry>,
}

fn touch(tx: &rusqlite::Transaction<'_>, id: ComparisonId, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE comparisons SET updated_at = ?2 WHERE id = ?1",
        params![id.to_string(), now.as_millisecond()],
    )?;
    Ok(())
}

/// A supplier column's value in a row.
impl From<ComparisonError> for ClientError {
    fn from(e: ComparisonError) -> Self {
        ClientError::Comparison(e)
    }
}

impl From<PricingError> for ClientError {
    fn from(e: PricingError) -> Self {
        ClientError::Pricing(e)
    }
}

#[cfg(test)]
mod tests {
    use trade_model::entities::InquiryStatus;
    use trade_model::money::Money;
    use trade_model::order::Incoterm;
    use trade_model::quotation::{Duty, PriceTier, RowCost};
    use trade_model::sync::{Change, RecordKind, SyncRecord};

    use super::*;

    fn store(dir: &tempfile::TempDir) -> LocalStore {
        LocalStore::open(&dir.path().join("cache.sqlite3")).expect("opens")
    }

    fn date(s: &str) -> Date {
        s.parse().expect("a date")
    }

    fn cur(code: &str) -> Currency {
        code.parse().expect("a currency")
    }

    fn terms(name: &str, quantity: u64, currency: &str) -> ComparisonTerms {
        ComparisonTerms {
            name: name.into(),
            quantity,
            currency: cur(currency),
        }
    }

    /// A cached quotation (and its inquiry, from `company`) in `currency` with `tiers`.
    fn quoted(
        store: &LocalStore,
        company: &str,
        currency: &str,
        tiers: &[(u64, i64)],
        valid_until: &str,
    ) -> Quotation {
        let now = Timestamp::now();
        let supplier = AccountId::new();
        let inquiry = Inquiry {
            id: InquiryId::new(),
            buyer: AccountId::new(),
            supplier,
            buyer_name: "Ann".into(),
            supplier_name: format!("Sales at {company}"),
            supplier_company: company.into(),
            product: "Valve".into(),
            status: InquiryStatus::Open,
            created_at: now,
            last_message_at: now,
            last_message_preview: "Price?".into(),
            unread_count: 0,
        };
        let q = Quotation {
            id: QuotationId::new(),
            inquiry: inquiry.id,
            supplier,
            product: "Brass valve DN20".into(),
            tiers: tiers
                .iter()
                .map(|&(min_quantity, unit_price_minor)| PriceTier {
                    min_quantity,
                    unit_price_minor,
                })
                .collect(),
            currency: cur(currency),
            moq: tiers[0].0,
            lead_time_days: 20,
            incoterm: Incoterm::Fob,
            named_place: "Ningbo".into(),
            valid_until: date(valid_until),
            sample_price_minor: None,
            notes: String::new(),
            created_at: now,
        };
        let changes = [
            Change {
                version: 1,
                kind: RecordKind::Inquiry,
                id: inquiry.id.to_string(),
                record: Some(SyncRecord::Inquiry(inquiry)),
            },
            Change {
                version: 1,
                kind: RecordKind::Quotation,
                id: q.id.to_string(),
                record: Some(SyncRecord::Quotation(q.clone())),
            },
        ];
        store.apply_page(&changes, "c", now).expect("applies");
        q
    }

    /// Base USD: USD 1 = EUR 0.92 = CNY 7.25 (no GBP).
    fn rates(on: &str) -> ExchangeRates {
        serde_json::from_value(serde_json::json!({
            "date": on,
            "base": "USD",
            "rates": { "EUR": "0.92", "CNY": "7.25" }
        }))
        .expect("a table")
    }

    fn money(minor: i64, currency: &str) -> Money {
        Money::new(minor, cur(currency))
    }

    fn per_unit(sheet: &ComparisonSheet) -> Vec<(QuotationId, Option<i64>)> {
        sheet
            .rows
            .iter()
            .map(|r| {
                (
                    r.row.quotation,
                    r.row.landed().map(|c| c.landed_per_unit.minor),
                )
            })
            .collect()
    }

    #[test]
    fn comparisons_are_kept_changed_and_deleted_in_the_cache_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let s = store(&dir);
        let now = Timestamp::now();
        let q = quoted(&s, "Ningbo Valves", "USD", &[(300, 605)], "2999-01-01");
        let id = ComparisonId::new();

        let code = |e: ClientError| e.code();
        let refused = s
            .create_comparison(id, &terms("  ", 2_000, "USD"), now)
            .unwrap_err();
        assert_eq!(code(refused), "comparison.bad_name");
        let refused = s
            .create_comparison(id, &terms("Valves", 0, "USD"), now)
            .unwrap_err();
        assert_eq!(code(refused), "comparison.bad_quantity");
        s.create_comparison(id, &terms("  Valves DN20 ", 2_000, "USD"), now)
            .expect("creates");

        // Only cached quotations, only existing comparisons.
        let stranger = s
            .add_to_comparison(id, QuotationId::new(), now)
            .unwrap_err();
        assert_eq!(code(stranger), "not_found");
        let nowhere = s
            .add_to_comparison(ComparisonId::new(), q.id, now)
            .unwrap_err();
        assert_eq!(code(nowhere), "not_found");
        s.add_to_comparison(id, q.id, now).expect("adds");
        s.add_to_comparison(id, q.id, now)
            .expect("adding again is a no-op");

        let estimates = Estimates {
            freight: money(80_000, "CNY"),
            duty: Duty::Percent { basis_points: 650 },
            transit_days: Some(30),
        };
        s.set_estimates(id, q.id, &estimates, now).expect("sets");
        let negative = Estimates {
            freight: money(-1, "USD"),
            ..estimates
        };
        let refused = s.set_estimates(id, q.id, &negative, now).unwrap_err();
        assert_eq!(code(refused), "quotation.bad_freight");
        s.update_comparison(id, &terms("Valves DN20", 5_000, "EUR"), now)
            .expect("updates");

        // What was written is in the file: a fresh connection reads it back.
        drop(s);
        let s = store(&dir);
        let list = s.comparisons().expect("lists");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id);
        assert_eq!(list[0].terms, terms("Valves DN20", 5_000, "EUR"));
        assert_eq!(list[0].quotation_ids, vec![q.id]);
        assert_eq!(list[0].quotations, 1);
        let sheet = s
            .comparison_sheet(
                id,
                SheetColumn::LandedPerUnit,
                SortDirection::Ascending,
                date("2026-07-15"),
            )
            .expect("reads");
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].estimates, estimates, "kept as entered");
        assert_eq!(sheet.rows[0].supplier_company, "Ningbo Valves");
        assert_eq!(sheet.rows[0].inquiry, q.inquiry);

        s.remove_from_comparison(id, q.id, now).expect("removes");
        assert!(s.comparisons().expect("lists")[0].quotation_ids.is_empty());
        s.add_to_comparison(id, q.id, now).expect("adds again");
        s.delete_comparison(id).expect("deletes");
        assert!(s.comparisons().expect("lists").is_empty());
        let left: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM comparison_quotations", [], |r| {
                r.get(0)
            })
            .expect("counts");
        assert_eq!(left, 0, "its quotations and estimates go with it");
        assert_eq!(code(s.delete_comparison(id).unwrap_err()), "not_found");
        assert!(
            s.outbox().expect("reads").is_empty(),
            "local only: nothing is queued for the server"
        );
    }

    #[test]
    fn the_newest_rate_table_and_supplier_facts_are_kept() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let s = store(&dir);
        let now = Timestamp::now();
        assert_eq!(s.exchange_rates().expect("reads"), None);
        s.put_exchange_rates(&rates("2026-07-14"), now)
            .expect("puts");
        s.put_exchange_rates(&rates("2026-07-13"), now)
            .expect("puts");
        assert_eq!(
            s.exchange_rates().expect("reads").map(|r| r.date),
            Some(date("2026-07-14")),
            "an older table does not replace a newer one"
        );
        let mut newer = rates("2026-07-15");
        newer
            .rates
            .insert(cur("GBP"), "0.79".parse().expect("a rate"));
        s.put_exchange_rates(&newer, now).expect("puts");
        assert_eq!(s.exchange_rates().expect("reads"), Some(newer));
        let tables: i64 = s
            .conn()
            .query_row("SELECT COUNT(*) FROM exchange_rates", [], |r| r.get(0))
            .expect("counts");
        assert_eq!(tables, 1, "only the newest is kept");

        let supplier = AccountId::new();
        assert_eq!(s.supplier_facts(supplier).expect("reads"), None);
        let facts = SupplierFacts {
            supplier,
            member_since: "2021-03-01T00:00:00Z".parse().expect("a time"),
            years_on_platform: 5,
            median_first_reply_secs: Some(3_600),
            inquiries_answered: 12,
            inquiries_unanswered: 1,
            completed_orders: 40,
            disputes_lost: 1,
            as_of: now,
        };
        s.put_supplier_facts(&facts, now).expect("puts");
        let newer = SupplierFacts {
            completed_orders: 41,
            ..facts.clone()
        };
        s.put_supplier_facts(&newer, now).expect("puts");
        assert_eq!(s.supplier_facts(supplier).expect("reads"), Some(newer));
    }

    /// Three quotations at 2,000 pieces in USD, EUR and CNY with freight and duty, and a
    /// fourth in GBP, which the table lacks; computed from the cache alone.
    #[test]
    fn the_sheet_ranks_by_landed_cost_from_the_cache_with_typed_problems() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let s = store(&dir);
        let now = Timestamp::now();
        let today = date("2026-07-15");
        let usd = quoted(
            &s,
            "Alpha",
            "USD",
            &[(300, 605), (1_000, 580), (2_000, 560)],
            "2026-08-01",
        );
        let eur = quoted(&s, "Beta", "EUR", &[(500, 520), (2_000, 500)], "2026-07-14");
        let cny = quoted(&s, "Gamma", "CNY", &[(1_000, 3_900)], "2026-07-15");
        let gbp = quoted(&s, "Delta", "GBP", &[(100, 450)], "2026-09-01");
        let id = ComparisonId::new();
        s.create_comparison(id, &terms("Valves", 2_000, "USD"), now)
            .expect("creates");
        for q in [&gbp, &cny, &eur, &usd] {
            s.add_to_comparison(id, q.id, now).expect("adds");
        }
        let set = |q: &Quotation, freight: Money, bp: u32, transit: u32| {
            let e = Estimates {
                freight,
                duty: Duty::Percent { basis_points: bp },
                transit_days: Some(transit),
            };
            s.set_estimates(id, q.id, &e, now).expect("sets");
        };
        set(&usd, money(80_000, "USD"), 500, 30);
        set(&eur, money(120_000, "USD"), 500, 25);
        set(&cny, money(900_000, "CNY"), 650, 35);
        set(&gbp, money(50_000, "USD"), 0, 20);

        // Without a table only USD prices: the others carry MissingRate.
        let sheet = s
            .comparison_sheet(
                id,
                SheetColumn::LandedPerUnit,
                SortDirection::Ascending,
                today,
            )
            .expect("reads");
        assert_eq!(sheet.rates_date, None);
        assert_eq!(sheet.rows[0].row.quotation, usd.id);
        for row in &sheet.rows[1..] {
            assert!(
                matches!(
                    row.row.cost,
                    RowCost::Unpriced {
                        problem: PricingError::MissingRate { .. }
                    }
                ),
                "{row:?}"
            );
        }

        s.put_exchange_rates(&rates("2026-07-14"), now)
            .expect("puts");
        let sheet = s
            .comparison_sheet(
                id,
                SheetColumn::LandedPerUnit,
                SortDirection::Ascending,
                today,
            )
            .expect("reads");
        assert_eq!(sheet.rates_date, Some(date("2026-07-14")));
        // By hand, at 2,000 pieces in USD:
        // Alpha: 2,000 × 5.60 = 11,200.00; freight 800.00; duty 5 % 560.00
        //        = 12,560.00 → 6.28 a piece.
        // Beta:  2,000 × EUR 5.00 = EUR 10,000.00 / 0.92 = 10,869.565… → 10,869.57;
        //        freight 1,200.00; duty 5 % = 543.478… → 543.48 = 12,613.05 → 6.306… → 6.31.
        // Gamma: 2,000 × CNY 39.00 = CNY 78,000.00 / 7.25 = 10,758.620… → 10,758.62;
        //        freight CNY 9,000.00 / 7.25 = 1,241.379… → 1,241.38; duty 6.5 % =
        //        699.310… → 699.31 = 12,699.31 → 6.349… → 6.35.
        // Delta: no GBP rate: last, with its problem.
        assert_eq!(
            per_unit(&sheet),
            vec![
                (usd.id, Some(628)),
                (eur.id, Some(631)),
                (cny.id, Some(635)),
                (gbp.id, None)
            ]
        );
        let totals: Vec<_> = sheet
            .rows
            .iter()
            .filter_map(|r| r.row.landed().map(|c| c.landed_total.minor))
            .collect();
        assert_eq!(totals, vec![1_256_000, 1_261_305, 1_269_931]);
        assert_eq!(
            sheet.rows[3].row.cost,
            RowCost::Unpriced {
                problem: PricingError::MissingRate {
                    currency: cur("GBP")
                }
            }
        );
        // Expired rows stay, marked: Beta's prices held until yesterday; Gamma's today.
        let expired: Vec<_> = sheet.rows.iter().map(|r| r.row.expired).collect();
        assert_eq!(expired, vec![false, true, false, false]);
        // Lead time 20 days + transit.
        assert_eq!(sheet.rows[0].row.earliest_arrival, Some(date("2026-09-03")));

        // Any column, either way; the supplier's columns too (no facts: last).
        let order = |column, direction| {
            let sheet = s
                .comparison_sheet(id, column, direction, today)
                .expect("reads");
            assert_eq!((sheet.sort, sheet.direction), (column, direction));
            sheet
                .rows
                .iter()
                .map(|r| r.supplier_company.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            order(SheetColumn::LandedPerUnit, SortDirection::Descending),
            ["Gamma", "Beta", "Alpha", "Delta"]
        );
        assert_eq!(
            order(SheetColumn::Supplier, SortDirection::Descending),
            ["Gamma", "Delta", "Beta", "Alpha"]
        );
        assert_eq!(
            order(SheetColumn::EarliestArrival, SortDirection::Ascending),
            ["Delta", "Beta", "Alpha", "Gamma"]
        );
        let facts = |supplier, completed_orders| SupplierFacts {
            supplier,
            member_since: now,
            years_on_platform: 0,
            median_first_reply_secs: None,
            inquiries_answered: 0,
            inquiries_unanswered: 0,
            completed_orders,
            disputes_lost: 0,
            as_of: now,
        };
        s.put_supplier_facts(&facts(cny.supplier, 9), now)
            .expect("puts");
        s.put_supplier_facts(&facts(usd.supplier, 3), now)
            .expect("puts");
        let ranked = order(SheetColumn::CompletedOrders, SortDirection::Descending);
        assert_eq!(
            &ranked[..2],
            ["Gamma", "Alpha"],
            "then the two without facts"
        );
        let sheet = s
            .comparison_sheet(id, SheetColumn::Supplier, SortDirection::Ascending, today)
            .expect("reads");
        assert_eq!(
            sheet.rows[0].facts.as_ref().map(|f| f.completed_orders),
            Some(3)
        );

        // A chosen quotation that left the cache is listed as missing, not dropped.
        let gone = Change {
            version: 9,
            kind: RecordKind::Quotation,
            id: gbp.id.to_string(),
            record: None,
        };
        s.apply_page(&[gone], "c9", now).expect("applies");
        let sheet = s
            .comparison_sheet(
                id,
                SheetColumn::LandedPerUnit,
                SortDirection::Ascending,
                today,
            )
            .expect("reads");
        assert_eq!(sheet.rows.len(), 3);
        assert_eq!(sheet.missing, vec![gbp.id]);
    }
}
