//! Comparing quotations (issue 17): the buyer's comparisons, kept in the local cache
//! only (`trade_client::comparisons`), read computed from the cache, so they work
//! offline; `refresh_comparison` fetches the exchange-rate table and the suppliers'
//! facts when the screen opens one.

use trade_client::comparisons::{
    ComparisonId, ComparisonSheet, ComparisonSummary, ComparisonTerms, SheetColumn,
};
use trade_client::engine::Refreshed;
use trade_model::QuotationId;
use trade_model::quotation::{Estimates, SortDirection};

use super::Desk;
use crate::error::CommandResult;

impl Desk {
    /// Every comparison, the one changed last first.
    pub async fn comparisons(&self) -> CommandResult<Vec<ComparisonSummary>> {
        Ok(self.engine().await?.store().comparisons()?)
    }

    pub async fn create_comparison(&self, terms: ComparisonTerms) -> CommandResult<ComparisonId> {
        Ok(self.engine().await?.create_comparison(&terms)?)
    }

    pub async fn update_comparison(
        &self,
        id: ComparisonId,
        terms: ComparisonTerms,
    ) -> CommandResult<()> {
        Ok(self.engine().await?.update_comparison(id, &terms)?)
    }

    pub async fn delete_comparison(&self, id: ComparisonId) -> CommandResult<()> {
        Ok(self.engine().await?.delete_comparison(id)?)
    }

    pub async fn add_to_comparison(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
    ) -> CommandResult<()> {
        Ok(self.engine().await?.add_to_comparison(id, quotation)?)
    }

    pub async fn remove_from_comparison(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
    ) -> CommandResult<()> {
        Ok(self.engine().await?.remove_from_comparison(id, quotation)?)
    }

    /// The buyer's freight, duty and transit for one quotation of a comparison; refused
    /// ones come back with the model's code (`quotation.bad_freight`, ...).
    pub async fn set_estimates(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
        estimates: Estimates,
    ) -> CommandResult<()> {
        Ok(self
            .engine()
            .await?
            .set_estimates(id, quotation, &estimates)?)
    }

    /// A comparison computed from the cache as of today (UTC), sorted as asked.
    pub async fn comparison(
        &self,
        id: ComparisonId,
        sort: SheetColumn,
        direction: SortDirection,
    ) -> CommandResult<ComparisonSheet> {
        let today = trade_model::time::utc_date(jiff::Timestamp::now());
        Ok(self
            .engine()
            .await?
            .store()
            .comparison_sheet(id, sort, direction, today)?)
    }

    /// Fetches today's rates and the comparison's suppliers' facts into the cache (what
    /// could not be fetched stays as cached; the answer says why).
    pub async fn refresh_comparison(&self, id: ComparisonId) -> CommandResult<Refreshed> {
        Ok(self.engine().await?.refresh_comparison(id).await?)
    }
}
