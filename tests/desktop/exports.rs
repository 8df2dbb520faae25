//! Exports (issue 17) through the real app: the orders list filtered by a box and a
//! search word, exported through the Export menu and the real GTK save dialog to XLSX
//! and to CSV, read back with independent readers (calamine, the csv crate) and compared
//! with what the list shows: the same orders in the same order, their products, status
//! and total as the rows show them, as many as the list counts. The payments export
//! holds the payments an order's screen lists. The comparison export (called from
//! `compare::`, which builds one) holds the sheet's rows in the sort chosen on screen,
//! with the rates' date.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use anyhow::{bail, ensure};
use calamine::{Data, Reader, Xlsx, open_workbook};
use serde_json::{Value, json};

use crate::harness::{App, FIRST_SYNC, Launch, PATIENCE, signed_in, until};

/// The rows the order list shows, in its order: id, title, amount, status.
const LIST_ROWS: &str = r#"
return [...document.querySelectorAll('[data-testid="order-row"]')].map(r => [
  r.dataset.orderId,
  r.querySelector('.title').textContent.trim(),
  r.querySelector('.amount').textContent.trim(),
  r.querySelector('[data-testid="order-row-status"]').textContent.trim(),
]);
"#;

/// The list's footer: "3 orders".
const LIST_COUNT: &str = r#"
const f = document.querySelector('[data-testid="orders"] .list-foot');
return f ? f.textContent.trim() : '';
"#;

type Shown = Vec<(String, String, String, String)>;

fn shown(rows: &Value) -> Shown {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |i: usize| r[i].as_str().unwrap().to_owned();
            (s(0), s(1), s(2), s(3))
        })
        .collect()
}

/// "USD 6,200.00" from a money cell's number and its currency (the app's format).
fn money_text(currency: &str, major: f64) -> String {
    let digits = match currency {
        "JPY" | "KRW" | "VND" => 0,
        "KWD" => 3,
        _ => 2,
    };
    let fixed = format!("{major:.digits$}");
    let (whole, frac) = fixed
        .split_once('.')
        .map_or((fixed.as_str(), None), |(w, f)| (w, Some(f)));
    let (sign, whole) = whole.strip_prefix('-').map_or(("", whole), |w| ("-", w));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{currency} {sign}{grouped}.{f}"),
        None => format!("{currency} {sign}{grouped}"),
    }
}

fn xlsx(path: &Path) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).expect("calamine opens the export");
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn string(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        other => panic!("{other:?} is not a text cell"),
    }
}

fn float(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        other => panic!("{other:?} is not a number cell"),
    }
}

fn at(header: &[Data], name: &str) -> usize {
    header
        .iter()
        .position(|h| matches!(h, Data::String(s) if s == name))
        .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
}

fn at_csv(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

/// Chooses an export from a menu (`menu` the button's test id, `item` the entry's),
/// answers the save dialog titled `title` with `dest`, and waits for the confirmation
/// in `note`: its text.
async fn export(app: &App, menu: &str, item: &str, title: &str, dest: &Path, note: &str) -> String {
    app.click(menu).await;
    app.click(item).await;
    app.answer_file_dialog(title, dest).await;
    let name = dest.file_name().unwrap().to_string_lossy().into_owned();
    let text = until(
        &format!("the confirmation for {name}"),
        PATIENCE,
        async || {
            let t = app.text(note).await;
            ensure!(t.ends_with(&name), "shown: {t:?}");
            Ok(t)
        },
    )
    .await;
    assert!(dest.is_file(), "{dest:?} written");
    text
}

#[tokio::test]
async fn the_orders_and_payments_export_what_the_screen_shows() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    app.click("nav-orders").await;
    app.wait_for("orders").await;
    app.click("box-all").await;
    // The first sync has brought the demo's orders.
    let all = until("the demo's orders in the list", FIRST_SYNC, async || {
        let rows = shown(&app.js(LIST_ROWS, Vec::new()).await);
        ensure!(rows.len() >= 5, "{} rows", rows.len());
        Ok(rows)
    })
    .await;

    let before = app.js(LIST_COUNT, Vec::new()).await;
    // A search word that leaves a few orders, all on screen: the first word of a
    // product the list shows that fewer of its rows have.
    let word = all
        .iter()
        .map(|r| {
            r.1.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_lowercase()
        })
        .find(|w| {
            let n = all
                .iter()
                .filter(|r| r.1.to_lowercase().contains(w))
                .count();
            w.len() > 2 && (1..=6).contains(&n) && n < all.len()
        })
        .expect("a product word that narrows the list");
    app.retype("orders-search", &word).await;
    let list = until("the searched list", PATIENCE, async || {
        let rows = shown(&app.js(LIST_ROWS, Vec::new()).await);
        let foot = app.js(LIST_COUNT, Vec::new()).await;
        ensure!(foot != before, "not searched yet: {foot}");
        let foot = foot.as_str().unwrap_or_default().to_owned();
        let counted = format!(
            "{} {}",
            rows.len(),
            if rows.len() == 1 { "order" } else { "orders" }
        );
        ensure!(
            !rows.is_empty() && foot == counted,
            "{} rows, footer {foot:?}",
            rows.len()
        );
        Ok(rows)
    })
    .await;
    app.audit("orders-searched").await;

    // The menu, open, is audited too; Escape closes it back to its button.
    app.click("orders-export").await;
    app.wait_for("orders-export-orders-xlsx").await;
    app.audit("orders-export-menu").await;
    app.screenshot("orders-export-menu").await;
    let focused = app
        .js(
            "return document.activeElement?.dataset.testid ?? ''",
            Vec::new(),
        )
        .await;
    assert_eq!(
        focused,
        json!("orders-export-orders-xlsx"),
        "the menu opens on its first item"
    );
    app.js(
        "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))",
        Vec::new(),
    )
    .await;
    app.wait_gone("orders-export-orders-xlsx").await;

    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("orders-searched.xlsx");
    let note = export(
        app,
        "orders-export",
        "orders-export-orders-xlsx",
        "Export the orders",
        &path,
        "orders-exported",
    )
    .await;
    let n = list.len();
    assert_eq!(
        note,
        format!(
            "Saved {n} {} to orders-searched.xlsx",
            if n == 1 { "order" } else { "orders" }
        )
    );
    let cells = xlsx(&path);
    let h = &cells[0];
    let (id, products, total, currency, status) = (
        at(h, "Order id"),
        at(h, "Products"),
        at(h, "Total"),
        at(h, "Currency"),
        at(h, "Status"),
    );
    let exported: Shown = cells[1..]
        .iter()
        .map(|r| {
            let cur = string(&r[currency]);
            (
                string(&r[id]),
                string(&r[products]),
                money_text(&cur, float(&r[total])),
                string(&r[status]),
            )
        })
        .collect();
    assert_eq!(exported, list, "the XLSX holds the list as shown");

    let path = files.path().join("orders-searched.csv");
    export(
        app,
        "orders-export",
        "orders-export-orders-csv",
        "Export the orders",
        &path,
        "orders-exported",
    )
    .await;
    let rows = csv_rows(&path);
    let h = &rows[0];
    let (id, products, total, currency, status) = (
        at_csv(h, "Order id"),
        at_csv(h, "Products"),
        at_csv(h, "Total"),
        at_csv(h, "Currency"),
        at_csv(h, "Status"),
    );
    let exported: Shown = rows[1..]
        .iter()
        .map(|r| {
            // A product is text: one that starts like a formula carries a leading '.
            let product = r[products]
                .strip_prefix('\'')
                .unwrap_or(&r[products])
                .to_owned();
            (
                r[id].clone(),
                product,
                money_text(&r[currency], r[total].parse().unwrap()),
                r[status].clone(),
            )
        })
        .collect();
    assert_eq!(exported, list, "the CSV holds the list as shown");

    // Payments: a completed order's screen lists its payments; the export has them.
    app.set_value("orders-search", "").await;
    app.click("box-completed").await;
    let completed = until("the completed orders", PATIENCE, async || {
        let rows = shown(&app.js(LIST_ROWS, Vec::new()).await);
        ensure!(
            !rows.is_empty() && rows.iter().all(|r| r.3 == "Completed"),
            "{rows:?}"
        );
        Ok(rows)
    })
    .await;
    let order = completed[0].0.clone();
    // The list may be drawn again between reading it and the click (the cache changes
    // behind it): click the row once it is there.
    until("the completed order opened", PATIENCE, async || {
        let clicked = app
            .js(
                "const row = document.querySelector(`[data-order-id=\"${arguments[0]}\"]`); \
                 if (!row) return false; row.click(); return true;",
                vec![json!(order)],
            )
            .await;
        ensure!(clicked == json!(true), "the row is not drawn");
        Ok(())
    })
    .await;
    let listed: Vec<(String, String, String)> = until("the order's payments", PATIENCE, async || {
        let items = app
            .js(
                r#"return [...document.querySelectorAll('[data-testid="order-payments"] li')].map(li =>
                     [...li.querySelectorAll('span')].map(s => s.textContent.trim()));"#,
                Vec::new(),
            )
            .await;
        let items = items.as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            bail!("no payments shown yet");
        }
        Ok(items
            .iter()
            .map(|i| {
                let s = |k: usize| i[k].as_str().unwrap().to_owned();
                (s(0), s(1), s(2))
            })
            .collect())
    })
    .await;
    let path = files.path().join("payments.xlsx");
    let note = export(
        app,
        "orders-export",
        "orders-export-payments-xlsx",
        "Export the payments",
        &path,
        "orders-exported",
    )
    .await;
    assert!(note.starts_with("Saved "), "{note}");
    app.screenshot("orders-exported").await;
    let cells = xlsx(&path);
    let h = &cells[0];
    let (order_id, method, card, installment, amount, currency, status, date) = (
        at(h, "Order id"),
        at(h, "Method"),
        at(h, "Card"),
        at(h, "Installment"),
        at(h, "Amount"),
        at(h, "Currency"),
        at(h, "Status"),
        at(h, "Date (UTC)"),
    );
    let of_order: Vec<(String, String, String)> = cells[1..]
        .iter()
        .filter(|r| string(&r[order_id]) == order)
        .map(|r| {
            assert!(
                matches!(&r[date], Data::DateTime(d) if d.is_datetime()),
                "{:?}",
                r[date]
            );
            // The screen's words: "Card ·••• 4242 · deposit", "Telegraphic transfer · full".
            let card = match &r[card] {
                Data::String(digits) => format!(" ·••• {digits}"),
                _ => String::new(),
            };
            (
                format!("{}{card} · {}", string(&r[method]), string(&r[installment])),
                money_text(&string(&r[currency]), float(&r[amount])),
                string(&r[status]),
            )
        })
        .collect();
    assert_eq!(
        of_order, listed,
        "the order's payments as its screen lists them"
    );
    d.finish().await;
}

/// The rows the comparison shows, in its order: supplier, landed per unit (minor).
const SHEET_ROWS: &str = r#"
return [...document.querySelectorAll('[data-testid="compare-row"]')].map(r => [
  r.querySelector('[data-testid="compare-supplier"]').textContent.trim(),
  r.querySelector('[data-testid="compare-landed-per-unit"]').dataset.minor ?? null,
]);
"#;

/// Exports the comparison on screen (as sorted there) to XLSX and CSV through the save
/// dialog and checks both against the sheet: the same suppliers in the same order, the
/// landed cost per unit, and the rates' date on every row. Called by `compare::` once
/// its comparison is built and sorted.
pub async fn the_comparison_exports_as_shown(app: &App, currency: &str) {
    let sheet = app.js(SHEET_ROWS, Vec::new()).await;
    let sheet: Vec<(String, Option<i64>)> = sheet
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().map(|m| m.parse().unwrap()),
            )
        })
        .collect();
    let rates_date = app.attr("compare-rates-date", "datetime").await.unwrap();
    let files = tempfile::tempdir().unwrap();

    let path = files.path().join("comparison.xlsx");
    let note = export(
        app,
        "compare-export",
        "compare-export-comparison-xlsx",
        "Export the comparison",
        &path,
        "compare-exported",
    )
    .await;
    assert_eq!(
        note,
        format!("Saved {} quotations to comparison.xlsx", sheet.len())
    );
    app.audit("compare-exported").await;
    app.screenshot("compare-exported").await;
    let cells = xlsx(&path);
    let h = &cells[0];
    let (supplier, per_unit, cur, rates) = (
        at(h, "Supplier"),
        at(h, "Landed per unit"),
        at(h, "Currency"),
        at(h, "Rates date"),
    );
    let exported: Vec<(String, Option<i64>)> = cells[1..]
        .iter()
        .map(|r| {
            assert_eq!(string(&r[cur]), currency);
            let Data::DateTime(d) = &r[rates] else {
                panic!("the rates' date is not a date cell: {:?}", r[rates]);
            };
            let day = jiff::civil::date(1899, 12, 30)
                .checked_add(jiff::Span::new().days(d.as_f64() as i64))
                .unwrap();
            assert_eq!(day.to_string(), rates_date);
            let cost = match &r[per_unit] {
                Data::Float(f) => Some((f * 100.0).round() as i64),
                Data::Empty => None,
                other => panic!("{other:?} is not a number"),
            };
            (string(&r[supplier]), cost)
        })
        .collect();
    assert_eq!(exported, sheet, "the XLSX holds the sheet in its order");

    let path = files.path().join("comparison.csv");
    export(
        app,
        "compare-export",
        "compare-export-comparison-csv",
        "Export the comparison",
        &path,
        "compare-exported",
    )
    .await;
    let rows = csv_rows(&path);
    let h = &rows[0];
    let (supplier, per_unit, rates) = (
        at_csv(h, "Supplier"),
        at_csv(h, "Landed per unit"),
        at_csv(h, "Rates date"),
    );
    let exported: Vec<(String, Option<i64>)> = rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r[rates], rates_date);
            let name = r[supplier]
                .strip_prefix('\'')
                .unwrap_or(&r[supplier])
                .to_owned();
            let cost =
                (!r[per_unit].is_empty()).then(|| r[per_unit].replace('.', "").parse().unwrap());
            (name, cost)
        })
        .collect();
    assert_eq!(exported, sheet, "the CSV holds the sheet in its order");
}
