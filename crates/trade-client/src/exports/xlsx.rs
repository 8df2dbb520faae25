//! A table as an XLSX workbook of one sheet, with real cells: numbers are number cells,
//! money is a number in major units formatted with its currency (`#,##0.00 "USD"`, the
//! currency's own digits), dates and instants are date cells with a date format,
//! booleans are booleans. Text is written only as a string cell (never a formula,
//! whatever it starts with). The header row is bold and frozen, columns sized to fit.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use trade_model::money::{Currency, Money};

use super::ExportError;
use super::table::{Cell, Table};

/// Rows a worksheet holds, the header included.
const MAX_ROWS: usize = 1_048_576;
/// Characters a cell holds.
const MAX_TEXT: usize = 32_767;
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

pub(super) fn to_bytes(table: &Table) -> Result<Vec<u8>, ExportError> {
    if table.rows.len() + 1 > MAX_ROWS {
        return Err(ExportError::TooManyRows {
            rows: table.rows.len(),
            max: MAX_ROWS - 1,
        });
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&table.name))?;
    write_sheet(sheet, table)?;
    Ok(workbook.save_to_buffer()?)
}

struct Formats {
    header: Format,
    date: Format,
    timestamp: Format,
    money: HashMap<Currency, Format>,
    decimal: HashMap<u32, Format>,
}

impl Formats {
    fn money(&mut self, currency: Currency) -> &Format {
        self.money.entry(currency).or_insert_with(|| {
            Format::new().set_num_format(format!(
                "{} \"{}\"",
                digits(currency.exponent()),
                currency.code()
            ))
        })
    }

    fn decimal(&mut self, scale: u32) -> &Format {
        self.decimal
            .entry(scale)
            .or_insert_with(|| Format::new().set_num_format(digits(scale)))
    }
}

/// `#,##0.00` for 2 decimals, `#,##0` for none.
fn digits(scale: u32) -> String {
    if scale == 0 {
        "#,##0".to_owned()
    } else {
        format!("#,##0.{}", "0".repeat(scale as usize))
    }
}

fn write_sheet(sheet: &mut Worksheet, table: &Table) -> Result<(), XlsxError> {
    let mut formats = Formats {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        timestamp: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        money: HashMap::new(),
        decimal: HashMap::new(),
    };
    let mut widths: Vec<usize> = table
        .columns
        .iter()
        .map(|c| c.header.chars().count())
        .collect();
    for (col, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col_num(col), &column.header, &formats.header)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        // Invariant: checked against MAX_ROWS above, which fits in a u32.
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (col, cell) in row.iter().enumerate() {
            let c = col_num(col);
            write_cell(sheet, r, c, cell, &mut formats)?;
            if let Some(width) = widths.get_mut(col) {
                *width = (*width).max(shown_width(cell));
            }
        }
    }
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(
            col_num(col),
            (*width).clamp(MIN_WIDTH, MAX_WIDTH) as f64 + 2.0,
        )?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn col_num(col: usize) -> u16 {
    // Tables have a few dozen columns at most.
    u16::try_from(col).unwrap_or(u16::MAX)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    formats: &mut Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            let text: String = s.chars().take(MAX_TEXT).collect();
            sheet.write_string(row, col, text)?;
        }
        Cell::Integer(n) => {
            sheet.write_number(row, col, *n as f64)?;
        }
        Cell::Decimal { units, scale } => {
            let value = *units as f64 / 10_f64.powi(*scale as i32);
            sheet.write_number_with_format(row, col, value, formats.decimal(*scale))?;
        }
        Cell::Money(m) => {
            sheet.write_number_with_format(row, col, major(*m), formats.money(m.currency))?;
        }
        Cell::Date(d) => {
            sheet.write_date_with_format(row, col, excel_date(*d)?, &formats.date)?;
        }
        Cell::Timestamp(t) => {
            let utc = TimeZone::UTC.to_datetime(*t);
            let at = excel_date(utc.date())?.and_hms(
                u16::try_from(utc.hour()).unwrap_or(0),
                u8::try_from(utc.minute()).unwrap_or(0),
                f64::from(utc.second()),
            )?;
            sheet.write_datetime_with_format(row, col, at, &formats.timestamp)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
    }
    Ok(())
}

/// A calendar date as Excel counts it (years 1900 to 9999; others are refused).
fn excel_date(d: jiff::civil::Date) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(0),
        u8::try_from(d.month()).unwrap_or(0),
        u8::try_from(d.day()).unwrap_or(0),
    )
}

/// The amount in major units as a spreadsheet number. Exact for every amount below
/// 2^53 minor units (about 90 trillion dollars); the division rounds to the nearest
/// double, so the cell shows the same digits as the amount.
fn major(m: Money) -> f64 {
    m.minor as f64 / 10_f64.powi(m.currency.exponent() as i32)
}

/// How wide a cell shows: its plain text, with room for grouping and a currency code.
fn shown_width(cell: &Cell) -> usize {
    match cell {
        Cell::Money(_) => cell.plain().len() + cell.plain().len() / 3 + 4,
        Cell::Timestamp(_) => 16,
        Cell::Date(_) => 10,
        _ => cell.plain().chars().count(),
    }
}

/// A worksheet name Excel accepts: none of `[]:*?/\`, at most 31 characters, not empty,
/// not starting or ending with an apostrophe.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .take(31)
        .collect();
    let clean = clean.trim_matches('\'').trim().to_owned();
    if clean.is_empty() {
        "Export".to_owned()
    } else {
        clean
    }
}
