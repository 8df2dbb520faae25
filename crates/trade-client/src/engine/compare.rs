//! The buyer's comparisons (`crate::comparisons`, local only): every change goes through
//! here and bumps the revision so the screen re-reads it; nothing is queued (nothing of
//! a comparison goes to the server). What a comparison needs from the server, the
//! exchange-rate table and the suppliers' facts, is fetched when a comparison is
//! opened ([`Engine::refresh_comparison`]) and kept in the cache for offline use.

use futures_util::future::join_all;
use trade_model::QuotationId;
use trade_model::quotation::Estimates;

use super::*;
use crate::comparisons::{ComparisonId, ComparisonTerms};

/// What a refresh brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Refreshed {
    /// The date of the table now cached, when one was fetched.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub rates_date: Option<jiff::civil::Date>,
    /// How many suppliers' facts were fetched.
    pub facts: u32,
    /// The code of the first failure (offline, a server refusal): what was not fetched
    /// stays as cached.
    pub problem: Option<String>,
}

impl Engine {
    pub fn create_comparison(&self, terms: &ComparisonTerms) -> Result<ComparisonId> {
        let id = ComparisonId::new();
        self.inner
            .store
            .create_comparison(id, terms, Timestamp::now())?;
        self.bump();
        Ok(id)
    }

    pub fn update_comparison(&self, id: ComparisonId, terms: &ComparisonTerms) -> Result<()> {
        self.inner
            .store
            .update_comparison(id, terms, Timestamp::now())?;
        self.bump();
        Ok(())
    }

    pub fn delete_comparison(&self, id: ComparisonId) -> Result<()> {
        self.inner.store.delete_comparison(id)?;
        self.bump();
        Ok(())
    }

    pub fn add_to_comparison(&self, id: ComparisonId, quotation: QuotationId) -> Result<()> {
        self.inner
            .store
            .add_to_comparison(id, quotation, Timestamp::now())?;
        self.bump();
        Ok(())
    }

    pub fn remove_from_comparison(&self, id: ComparisonId, quotation: QuotationId) -> Result<()> {
        self.inner
            .store
            .remove_from_comparison(id, quotation, Timestamp::now())?;
        self.bump();
        Ok(())
    }

    pub fn set_estimates(
        &self,
        id: ComparisonId,
        quotation: QuotationId,
        estimates: &Estimates,
    ) -> Result<()> {
        self.inner
            .store
            .set_estimates(id, quotation, estimates, Timestamp::now())?;
        self.bump();
        Ok(())
    }

    /// Fetches today's exchange-rate table and the facts of the comparison's suppliers
    /// into the cache (the facts concurrently). Fetching when a comparison is opened,
    /// not in every sync round: rates change daily and facts slowly, sync rounds run on
    /// every poke, and a buyer who never compares asks for nothing. What cannot be
    /// fetched (offline, 404 before the first table) stays as cached: the answer says
    /// what came and the first problem; only a cache failure is an error.
    pub async fn refresh_comparison(&self, id: ComparisonId) -> Result<Refreshed> {
        let suppliers = self.inner.store.comparison_suppliers(id)?;
        let api = self.inner.api.clone();
        let mut refreshed = Refreshed {
            rates_date: None,
            facts: 0,
            problem: None,
        };
        let rates = self
            .authed(|access| {
                let api = api.clone();
                async move { api.exchange_rates(&access).await }
            })
            .await;
        match rates {
            Ok(rates) => {
                self.inner
                    .store
                    .put_exchange_rates(&rates, Timestamp::now())?;
                refreshed.rates_date = Some(rates.date);
            }
            Err(e) => refreshed.problem = Some(e.code()),
        }
        // Offline: the facts would fail the same way.
        if refreshed.problem.is_none() {
            let fetches = suppliers.iter().map(|&supplier| {
                let api = api.clone();
                self.authed(move |access| {
                    let api = api.clone();
                    async move { api.supplier_facts(&access, supplier).await }
                })
            });
            for answer in join_all(fetches).await {
                match answer {
                    Ok(facts) => {
                        self.inner
                            .store
                            .put_supplier_facts(&facts, Timestamp::now())?;
                        refreshed.facts += 1;
                    }
                    Err(e) => {
                        refreshed.problem.get_or_insert(e.code());
                    }
                }
            }
        }
        self.bump();
        Ok(refreshed)
    }
}
