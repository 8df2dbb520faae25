//! Exports (issue 17): the orders as the list shows them, the buyer's payments and a
//! comparison, as a [`Table`] of typed cells, written to XLSX (real cells: numbers,
//! money in its currency's format, dates) or CSV (plain values, formula injection
//! neutralized). A file is written next to its final place and renamed into it when
//! complete, so a failed export never leaves half a file under the chosen name.

mod comparison;
mod csv;
mod orders;
mod payments;
mod table;
mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use comparison::comparison_table;
pub use csv::neutralize;
pub use orders::orders_table;
pub use payments::payments_table;
pub use table::{Cell, Column, Table};

/// The two file formats an export is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        }
    }

    /// The name of the save dialog's file-type filter.
    pub fn filter_name(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "Excel workbook (.xlsx)",
            ExportFormat::Csv => "CSV, comma-separated (.csv)",
        }
    }
}

/// What an export wrote: where, and how many rows (the header not counted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Exported {
    pub path: String,
    /// The file's name alone (what the app says it saved).
    pub file_name: String,
    pub rows: usize,
}

/// Why an export was not written. Nothing is left at the destination in any case.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the export could not be written to {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the workbook could not be made: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("the CSV file could not be made: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("{rows} rows are more than a worksheet holds ({max}); export as CSV")]
    TooManyRows { rows: usize, max: usize },
}

impl ExportError {
    /// The machine-readable code the UI switches on.
    pub fn code(&self) -> crate::error::ClientCode {
        use crate::error::ClientCode;
        match self {
            ExportError::TooManyRows { .. } => ClientCode::ExportTooLarge,
            _ => ClientCode::ExportWriteFailed,
        }
    }
}

/// Writes `table` to `dest` in `format`, atomically: into a temporary file in the same
/// folder, flushed to disk, then renamed over `dest`. Answers the rows written.
pub fn write(table: &Table, format: ExportFormat, dest: &Path) -> Result<usize, ExportError> {
    let bytes = match format {
        ExportFormat::Xlsx => xlsx::to_bytes(table)?,
        ExportFormat::Csv => csv::to_bytes(table)?,
    };
    write_atomically(dest, &bytes)?;
    Ok(table.rows.len())
}

fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let failed = |source| ExportError::Write {
        path: dest.to_owned(),
        source,
    };
    let dir = match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Dropped (and so deleted) on every early return below.
    let mut temp = tempfile::Builder::new()
        .prefix(".trade-center-export-")
        .tempfile_in(dir)
        .map_err(failed)?;
    temp.write_all(bytes).map_err(failed)?;
    temp.as_file().sync_all().map_err(failed)?;
    temp.persist(dest).map_err(|e| failed(e.error))?;
    Ok(())
}

/// `orders-2026-12-04.xlsx`: what the save dialog suggests for an export made `today`.
pub fn suggested_name(what: &str, today: jiff::civil::Date, format: ExportFormat) -> String {
    format!("{what}-{today}.{}", format.extension())
}
