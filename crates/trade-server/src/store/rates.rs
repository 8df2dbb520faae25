//! The platform's exchange-rate tables (issue 17): one dated table per day, published
//! by an operator (`trade-server load-exchange-rates`) or the demo. Not in the change
//! feed: clients fetch the table they need (`GET /v1/exchange-rates`) and cache it.

use std::collections::BTreeMap;

use jiff::civil::Date;
use sqlx::Row;
use trade_model::Currency;
use trade_model::quotation::{ExchangeRates, Rate};

use super::error::{StoreError, StoreResult};
use crate::db::{Db, Write, millis};

/// Stores `table` as its date's table. With `replace`, a table already there for the
/// date is replaced (an operator's correction); without, it is kept (the demo's "make
/// sure there is one"). Whether `table` was written.
pub async fn put(
    tx: &mut Write,
    table: &ExchangeRates,
    replace: bool,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let on_conflict = if replace {
        "DO UPDATE SET base = excluded.base, rates = excluded.rates, \
         published_at = excluded.published_at"
    } else {
        "DO NOTHING"
    };
    let done = sqlx::query(&format!(
        "INSERT INTO exchange_rates (rate_date, base, rates, published_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (rate_date) {on_conflict}"
    ))
    .bind(table.date.to_string())
    .bind(table.base.code())
    .bind(serde_json::to_string(&table.rates).map_err(StoreError::corrupt)?)
    .bind(millis(now))
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The table in force on `date`: the newest one dated on or before it.
pub async fn in_force(db: &Db, date: Date) -> StoreResult<Option<ExchangeRates>> {
    let row = sqlx::query(
        "SELECT rate_date, base, rates FROM exchange_rates WHERE rate_date <= $1 \
         ORDER BY rate_date DESC LIMIT 1",
    )
    .bind(date.to_string())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let date: Date = row
        .try_get::<String, _>("rate_date")?
        .parse()
        .map_err(StoreError::corrupt)?;
    let base: Currency = row
        .try_get::<String, _>("base")?
        .parse()
        .map_err(StoreError::corrupt)?;
    let rates: BTreeMap<Currency, Rate> =
        serde_json::from_str(&row.try_get::<String, _>("rates")?).map_err(StoreError::corrupt)?;
    Ok(Some(ExchangeRates { date, base, rates }))
}
