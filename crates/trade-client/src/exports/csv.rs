//! A table as CSV: UTF-8 with a byte-order mark (without it Excel, where most of these
//! files are opened, reads them in the system's legacy code page and garbles every
//! supplier name outside ASCII), a header row, values as [`Cell::plain`] gives them
//! (money as a plain decimal beside its currency column, ISO 8601 dates). Text that a
//! spreadsheet would run as a formula is neutralized with a leading `'`; numbers,
//! amounts and dates are never text, so a negative amount stays `-12.50`.

/// The UTF-8 byte-order mark a CSV export starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

use super::ExportError;
use super::table::{Cell, Table};

pub(super) fn to_bytes(table: &Table) -> Result<Vec<u8>, ExportError> {
    let mut out = ::csv::Writer::from_writer(BOM.to_vec());
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
    fn the_file_starts_with_the_bom_then_the_header() {
        let table = Table {
            name: "Suppliers".into(),
            columns: vec![super::super::table::Column::new("Supplier")],
            rows: vec![vec![Cell::Text("宁波恒达".into())]],
        };
        let bytes = to_bytes(&table).expect("a small table");
        assert!(bytes.starts_with(BOM));
        assert_eq!(
            std::str::from_utf8(&bytes[BOM.len()..]).expect("UTF-8"),
            "Supplier\n宁波恒达\n"
        );
    }

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
