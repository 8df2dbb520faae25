//! A table as CSV: UTF-8, a header row, values as [`Cell::plain`] gives them (money as a
//! plain decimal beside its currency column, ISO 8601 dates). Text that a spreadsheet
//! would run as a formula is neutralized with a leading `'`; numbers, amounts and dates
//! are never text, so a negative amount stays `-12.50`.

use super::ExportError;
use super::table::{Cell, Table};

pub(super) fn to_bytes(table: &Table) -> Result<Vec<u8>, ExportError> {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(table.columns.iter().map(|c| neutralize(&c.header)))?;
    for row in &table.rows {
        out.write_record(row.iter().map(|cell| match cell {
            Cell::Text(s) => neutralize(s),
            other => other.plain(),
        }))?;
    }
    out.into_inner()
        .map_err(|e| ExportError::Csv(::csv::Error::from(e.into_error())))
}

/// Text made safe to open in a spreadsheet (OWASP's CSV injection rule): a value that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so it
/// is shown as the text it is instead of being run as a formula.
pub fn neutralize(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralized_and_nothing_else() {
        for bad in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(neutralize(bad), format!("'{bad}"));
        }
        for good in ["Acme", "1-2", "a=b", " =x", ""] {
            assert_eq!(neutralize(good), good);
        }
    }
}
