//! Exports (issue 17): the orders as the list shows them, the buyer's payments and a
//! comparison, to XLSX or CSV at a path the user chooses in the native save dialog.
//! The tables and files are `trade_client::exports`; here, which dialog and what the
//! window is told.

use std::path::Path;

use trade_client::comparisons::{ComparisonId, SheetColumn};
use trade_client::exports::{self, ExportFormat, Exported, Table};
use trade_client::store::queries::OrderFilter;
use trade_model::quotation::SortDirection;

use super::{Desk, file_name};
use crate::error::CommandResult;
use crate::native;

impl Desk {
    /// Every order `filter` selects (its box, search and sort: what the list shows, all
    /// pages), to a file the user names; `None` when they cancelled.
    pub async fn export_orders_as(
        &self,
        filter: OrderFilter,
        format: ExportFormat,
    ) -> CommandResult<Option<Exported>> {
        let name = exports::suggested_name("orders", local_today(), format);
        let dialog = native::save_export("Export the orders", &name, format);
        let Some(dest) = self.host.ask_path(dialog).await else {
            return Ok(None);
        };
        // Read when the user has chosen: the file holds what the list shows now.
        let table = exports::orders_table(self.engine().await?.store(), &filter)?;
        Ok(Some(write(&table, format, &dest)?))
    }

    /// Every payment of the buyer's orders; `None` when the user cancelled.
    pub async fn export_payments_as(
        &self,
        format: ExportFormat,
    ) -> CommandResult<Option<Exported>> {
        let name = exports::suggested_name("payments", local_today(), format);
        let dialog = native::save_export("Export the payments", &name, format);
        let Some(dest) = self.host.ask_path(dialog).await else {
            return Ok(None);
        };
        let table = exports::payments_table(self.engine().await?.store())?;
        Ok(Some(write(&table, format, &dest)?))
    }

    /// A comparison as the screen shows it (sorted as it is there); `None` when the
    /// user cancelled.
    pub async fn export_comparison_as(
        &self,
        id: ComparisonId,
        sort: SheetColumn,
        direction: SortDirection,
        format: ExportFormat,
    ) -> CommandResult<Option<Exported>> {
        let terms = self.engine().await?.store().comparison_terms(id)?;
        // The buyer's own name for it, kept short and without folder separators.
        let named: String = terms
            .name
            .chars()
            .map(|c| if matches!(c, '/' | '\\') { '-' } else { c })
            .take(60)
            .collect();
        let name = exports::suggested_name(
            &format!("comparison-{}", named.trim()),
            local_today(),
            format,
        );
        let dialog = native::save_export("Export the comparison", &name, format);
        let Some(dest) = self.host.ask_path(dialog).await else {
            return Ok(None);
        };
        let sheet = self.comparison(id, sort, direction).await?;
        let table = exports::comparison_table(&sheet);
        Ok(Some(write(&table, format, &dest)?))
    }
}

fn write(table: &Table, format: ExportFormat, dest: &Path) -> CommandResult<Exported> {
    let rows =
        exports::write(table, format, dest).map_err(trade_client::error::ClientError::from)?;
    Ok(Exported {
        path: dest.to_string_lossy().into_owned(),
        file_name: file_name(dest).unwrap_or_default(),
        rows,
    })
}

/// The user's calendar date, for file names.
fn local_today() -> jiff::civil::Date {
    jiff::ZonedDateTime::now().date()
}
