//! Exports written to a real folder and read back with independent readers: the XLSX
//! with calamine (cell types and values: numbers are numbers, dates are dates, text is
//! text), the CSV with the csv crate. Untrusted text stays text in both; a failed write
//! leaves nothing behind.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use trade_client::comparisons::{
    ComparisonId, ComparisonSheet, ComparisonTerms, SheetColumn, SheetRow, sort_sheet,
};
use trade_client::error::ClientCode;
use trade_client::exports::{self, ExportError, ExportFormat, Table};
use trade_client::store::LocalStore;
use trade_client::store::queries::{OrderFilter, OrderSort};
use trade_model::api::OrderView;
use trade_model::entities::{Inquiry, InquiryStatus, Payment, PaymentStatus};
use trade_model::order::Party;
use trade_model::order::{
    self, InstallmentKind, OrderLine, OrderOrigin, OrderTerms, PaymentMethod, PaymentTerms,
};
use trade_model::quotation::{
    Duty, Estimates, ExchangeRates, PriceTier, Quotation, SortDirection, compare,
};
use trade_model::sync::{Change, RecordKind, SyncRecord};
use trade_model::{AccountId, Currency, InquiryId, Money, OrderId, PaymentId, QuotationId};

const INJECTION: &str = "=HYPERLINK(\"https://evil.example/\",\"Click\")";

fn read_xlsx(path: &Path) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).expect("calamine opens the workbook");
    let names = book.sheet_names();
    let range = book
        .worksheet_range(&names[0])
        .expect("the first sheet reads");
    range.rows().map(|r| r.to_vec()).collect()
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("the CSV opens");
    reader
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect()
}

/// A date cell's value as a date and time: Excel counts days from 1899-12-30 (for
/// every date after February 1900), the time as the day's fraction.
fn serial(d: &calamine::ExcelDateTime) -> jiff::civil::DateTime {
    assert!(d.is_datetime(), "{d:?} is not a date");
    let secs = (d.as_f64() * 86_400.0).round() as i64;
    jiff::civil::date(1899, 12, 30)
        .at(0, 0, 0, 0)
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap()
}

fn text(d: &Data) -> &str {
    match d {
        Data::String(s) => s,
        other => panic!("{other:?} is not a string cell"),
    }
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        other => panic!("{other:?} is not a number cell"),
    }
}

fn column(header: &[Data], name: &str) -> usize {
    header
        .iter()
        .position(|h| text(h) == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn csv_column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn inquiry(supplier: AccountId, name: &str, company: &str) -> Change {
    let now = jiff::Timestamp::now();
    let i = Inquiry {
        id: InquiryId::new(),
        buyer: AccountId::new(),
        supplier,
        buyer_name: "Ann".into(),
        supplier_name: name.into(),
        supplier_company: company.into(),
        product: "Valve".into(),
        status: InquiryStatus::Open,
        created_at: now,
        last_message_at: now,
        last_message_preview: "Price?".into(),
        unread_count: 0,
    };
    Change {
        version: 1,
        kind: RecordKind::Inquiry,
        id: i.id.to_string(),
        record: Some(SyncRecord::Inquiry(i)),
    }
}

/// An order of `quantity` × `price_minor` in `currency`, changed at `updated`.
fn order(
    supplier: AccountId,
    product: &str,
    quantity: u64,
    price_minor: i64,
    currency: &str,
    updated: jiff::Timestamp,
) -> (Change, OrderView) {
    let terms = OrderTerms {
        lines: vec![OrderLine {
            product: product.into(),
            quantity,
            unit: "pieces".into(),
            unit_price_minor: price_minor,
        }],
        currency: currency.parse().unwrap(),
        incoterm: String::from("FOB").into(),
        shipping_method: order::ShippingMethod::Sea,
        ship_by: jiff::civil::date(2027, 3, 15),
        payment_terms: PaymentTerms::Full,
        remarks: String::new(),
        documents: vec![],
    };
    let id = OrderId::new();
    let o = order::create(
        id,
        AccountId::new(),
        supplier,
        None,
        OrderOrigin::Template,
        Party::Buyer,
        terms,
        updated,
    )
    .unwrap();
    let view = OrderView::new(o, Party::Buyer, updated);
    let change = Change {
        version: 1,
        kind: RecordKind::Order,
        id: id.to_string(),
        record: Some(SyncRecord::Order(view.clone())),
    };
    (change, view)
}

fn payment(order: OrderId, amount_minor: i64, currency: &str, at: jiff::Timestamp) -> Payment {
    Payment {
        id: PaymentId::new(),
        order,
        installment: 0,
        installment_kind: InstallmentKind::Full,
        method: PaymentMethod::TelegraphicTransfer,
        amount_minor,
        fee_minor: 0,
        currency: currency.into(),
        status: PaymentStatus::Succeeded,
        reference: Some("TC-4F2A".into()),
        card_last4: None,
        held_for_review: false,
        failure: None,
        created_at: at,
        updated_at: at,
    }
}

struct World {
    _dir: tempfile::TempDir,
    store: LocalStore,
    /// Oldest first.
    orders: Vec<OrderView>,
}

/// Three orders with a supplier whose company is a formula, one in yen, and two
/// payments.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).unwrap();
    let evil = AccountId::new();
    let plain = AccountId::new();
    let t0: jiff::Timestamp = "2026-11-02T08:30:00Z".parse().unwrap();
    let hour = jiff::SignedDuration::from_hours(1);
    let (c1, o1) = order(evil, "Hex bolts M8", 500, 1240, "USD", t0);
    let (c2, o2) = order(plain, "-5% washers", 1000, 35, "JPY", t0 + hour);
    let (c3, o3) = order(plain, "Valves", 20, 12_999, "USD", t0 + hour * 2);
    let mut changes = vec![
        inquiry(evil, "Mallory", INJECTION),
        inquiry(plain, "Li", "Li Ltd"),
        c1,
        c2,
        c3,
    ];
    for p in [
        payment(o1.order.id, 620_000, "USD", t0 + hour * 3),
        payment(o2.order.id, 35_000, "JPY", t0 + hour * 4),
    ] {
        changes.push(Change {
            version: 1,
            kind: RecordKind::Payment,
            id: p.id.to_string(),
            record: Some(SyncRecord::Payment(p)),
        });
    }
    store.apply_page(&changes, "c1", t0).unwrap();
    World {
        _dir: dir,
        store,
        orders: vec![o1, o2, o3],
    }
}

fn all_recent() -> OrderFilter {
    OrderFilter {
        order_box: None,
        sort: OrderSort::Recent,
        text: String::new(),
    }
}

fn write(table: &Table, format: ExportFormat) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("export.{}", format.extension()));
    let rows = exports::write(table, format, &path).unwrap();
    assert_eq!(rows, table.rows.len());
    (dir, path)
}

#[test]
fn orders_xlsx_has_real_cells_in_the_lists_order() {
    let w = world();
    let table = exports::orders_table(&w.store, &all_recent()).unwrap();
    let (_dir, path) = write(&table, ExportFormat::Xlsx);
    let rows = read_xlsx(&path);
    let header = &rows[0];
    assert_eq!(rows.len(), 4, "a header and the three orders");
    let (products, supplier, total, currency, created, ship_by, id) = (
        column(header, "Products"),
        column(header, "Supplier"),
        column(header, "Total"),
        column(header, "Currency"),
        column(header, "Created (UTC)"),
        column(header, "Ship by"),
        column(header, "Order id"),
    );
    // Most recently changed first, as the list sorts them.
    let ids: Vec<&str> = rows[1..].iter().map(|r| text(&r[id])).collect();
    let expected: Vec<String> = w
        .orders
        .iter()
        .rev()
        .map(|o| o.order.id.to_string())
        .collect();
    assert_eq!(ids, expected);
    let bolts = &rows[3];
    assert_eq!(text(&bolts[products]), "Hex bolts M8");
    // The formula is a string cell with its text, never a formula.
    assert_eq!(text(&bolts[supplier]), INJECTION);
    assert_eq!(number(&bolts[total]), 6200.0);
    assert_eq!(text(&bolts[currency]), "USD");
    let Data::DateTime(at) = &bolts[created] else {
        panic!("the creation time is not a date cell: {:?}", bolts[created]);
    };
    assert!(at.is_datetime());
    assert_eq!(serial(at).to_string(), "2026-11-02T08:30:00");
    let Data::DateTime(ship) = &bolts[ship_by] else {
        panic!("the ship-by date is not a date cell");
    };
    assert_eq!(serial(ship).date().to_string(), "2027-03-15");
    // Yen have no minor unit: 1000 × ¥35.
    let washers = &rows[2];
    assert_eq!(number(&washers[total]), 35_000.0);
    assert_eq!(text(&washers[currency]), "JPY");
    assert_eq!(
        text(&washers[products]),
        "-5% washers",
        "text is text, untouched"
    );
}

#[test]
fn orders_xlsx_formats_money_with_its_currency_and_freezes_the_header() {
    let w = world();
    let table = exports::orders_table(&w.store, &all_recent()).unwrap();
    let (_dir, path) = write(&table, ExportFormat::Xlsx);
    // The parts calamine does not report: the number formats and the frozen pane, as
    // the workbook's XML states them.
    let file = std::fs::File::open(&path).unwrap();
    let mut zip = zip_entries(file);
    let styles = zip.remove("xl/styles.xml").expect("styles");
    assert!(styles.contains("#,##0.00 &quot;USD&quot;"), "{styles}");
    assert!(styles.contains("#,##0 &quot;JPY&quot;"), "{styles}");
    assert!(styles.contains("yyyy-mm-dd"), "{styles}");
    let sheet = zip.remove("xl/worksheets/sheet1.xml").expect("sheet");
    assert!(
        sheet.contains("state=\"frozen\""),
        "the header row is frozen"
    );
    assert!(!sheet.contains("<f>"), "no formula anywhere");
}

/// The workbook's XML parts by name.
fn zip_entries(file: std::fs::File) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(file).expect("a ZIP");
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut entry, &mut text).is_ok() {
            out.insert(entry.name().unwrap().into_owned(), text);
        }
    }
    out
}

#[test]
fn orders_csv_is_plain_values_and_neutralizes_formulas() {
    let w = world();
    let filter = OrderFilter {
        order_box: None,
        sort: OrderSort::Recent,
        text: String::new(),
    };
    let table = exports::orders_table(&w.store, &filter).unwrap();
    let (_dir, path) = write(&table, ExportFormat::Csv);
    let rows = read_csv(&path);
    let header = &rows[0];
    assert_eq!(rows.len(), 4);
    let (products, supplier, total, currency, created, ship_by) = (
        csv_column(header, "Products"),
        csv_column(header, "Supplier"),
        csv_column(header, "Total"),
        csv_column(header, "Currency"),
        csv_column(header, "Created (UTC)"),
        csv_column(header, "Ship by"),
    );
    let bolts = &rows[3];
    assert_eq!(bolts[supplier], format!("'{INJECTION}"));
    assert_eq!(bolts[total], "6200.00");
    assert_eq!(bolts[currency], "USD");
    assert_eq!(bolts[created], "2026-11-02T08:30:00Z");
    assert_eq!(bolts[ship_by], "2027-03-15");
    let washers = &rows[2];
    assert_eq!(
        washers[products], "'-5% washers",
        "text starting with - is neutralized"
    );
    assert_eq!(washers[total], "35000", "yen have no decimals");
}

#[test]
fn orders_follow_the_filter_and_sort_across_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(&dir.path().join("cache.sqlite3")).unwrap();
    let supplier = AccountId::new();
    let t0: jiff::Timestamp = "2026-11-02T08:30:00Z".parse().unwrap();
    // More than one page (500) of bolts, and some nuts the search leaves out.
    let mut changes = vec![inquiry(supplier, "Li", "Li Ltd")];
    for i in 0..530 {
        let product = if i % 10 == 0 { "Nuts" } else { "Bolts" };
        let at = t0 + jiff::SignedDuration::from_secs(i);
        changes.push(order(supplier, product, 1, 100 + i, "USD", at).0);
    }
    store.apply_page(&changes, "c1", t0).unwrap();
    let filter = OrderFilter {
        order_box: None,
        sort: OrderSort::Recent,
        text: "bolts".into(),
    };
    let table = exports::orders_table(&store, &filter).unwrap();
    assert_eq!(
        table.rows.len(),
        477,
        "every bolts order, not only the first page"
    );
    let (_dir, path) = write(&table, ExportFormat::Csv);
    let rows = read_csv(&path);
    let total = csv_column(&rows[0], "Total");
    let totals: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r[total].parse().unwrap())
        .collect();
    assert!(
        totals.windows(2).all(|w| w[0] > w[1]),
        "most recent (the dearest here) first"
    );
}

#[test]
fn payments_list_every_payment_with_its_order_and_currency() {
    let w = world();
    let table = exports::payments_table(&w.store).unwrap();
    let (_dir, xlsx) = write(&table, ExportFormat::Xlsx);
    let rows = read_xlsx(&xlsx);
    assert_eq!(rows.len(), 3, "a header and the two payments");
    let header = &rows[0];
    let (date, number_col, supplier, method, amount, currency, status) = (
        column(header, "Date (UTC)"),
        column(header, "Order number"),
        column(header, "Supplier"),
        column(header, "Method"),
        column(header, "Amount"),
        column(header, "Currency"),
        column(header, "Status"),
    );
    let first = &rows[1];
    assert!(matches!(&first[date], Data::DateTime(d) if d.is_datetime()));
    let id = w.orders[0]
        .order
        .id
        .to_string()
        .replace('-', "")
        .to_uppercase();
    assert_eq!(text(&first[number_col]), &id[id.len() - 8..]);
    assert_eq!(text(&first[supplier]), INJECTION);
    assert_eq!(text(&first[method]), "Telegraphic transfer");
    assert_eq!(number(&first[amount]), 6200.0);
    assert_eq!(text(&first[currency]), "USD");
    assert_eq!(text(&first[status]), "Received");
    assert_eq!(number(&rows[2][amount]), 35_000.0);
    assert_eq!(text(&rows[2][currency]), "JPY");

    let (_dir, csv_path) = write(&table, ExportFormat::Csv);
    let rows = read_csv(&csv_path);
    let amount = csv_column(&rows[0], "Amount");
    assert_eq!(rows[1][amount], "6200.00");
    assert_eq!(rows[2][amount], "35000");
    assert_eq!(
        rows[1][csv_column(&rows[0], "Supplier")],
        format!("'{INJECTION}")
    );
}

fn quotation(
    supplier: AccountId,
    product: &str,
    price_minor: i64,
    currency: Currency,
) -> Quotation {
    Quotation {
        id: QuotationId::new(),
        inquiry: InquiryId::new(),
        supplier,
        product: product.into(),
        tiers: vec![PriceTier {
            min_quantity: 100,
            unit_price_minor: price_minor,
        }],
        currency,
        moq: 100,
        lead_time_days: 20,
        incoterm: String::from("FOB").into(),
        named_place: "Ningbo".into(),
        valid_until: jiff::civil::date(2027, 1, 31),
        sample_price_minor: None,
        notes: String::new(),
        created_at: jiff::Timestamp::now(),
    }
}

#[test]
fn a_comparison_keeps_the_screens_rows_order_and_rates_date() {
    let today = jiff::civil::date(2026, 12, 4);
    let rates = ExchangeRates {
        date: jiff::civil::date(2026, 12, 3),
        base: Currency::USD,
        rates: [(Currency::CNY, "7.25".parse().unwrap())]
            .into_iter()
            .collect(),
    };
    let estimates = Estimates {
        freight: Money::new(50_000, Currency::USD),
        duty: Duty::Percent { basis_points: 650 },
        transit_days: Some(30),
    };
    let a = quotation(AccountId::new(), "Bolts A", 60, Currency::USD);
    let b = quotation(AccountId::new(), "Bolts B", 400, Currency::CNY);
    // No rate for EUR: a row without a cost, with its reason.
    let c = quotation(AccountId::new(), "Bolts C", 50, Currency::EUR);
    let quotes = [
        (&a, "=cmd|' /C calc'!A0", ""),
        (&b, "Ningbo Fasteners", "Wei"),
        (&c, "Euro Bolt", ""),
    ];
    let computed = compare(
        quotes.iter().map(|(q, _, _)| (*q, &estimates)),
        1000,
        Currency::USD,
        &rates,
        today,
    );
    let mut rows: Vec<SheetRow> = computed
        .rows
        .into_iter()
        .zip(quotes.iter())
        .map(|(row, (q, company, name))| SheetRow {
            row,
            estimates,
            inquiry: q.inquiry,
            supplier_name: (*name).into(),
            supplier_company: (*company).into(),
            facts: None,
        })
        .collect();
    sort_sheet(
        &mut rows,
        SheetColumn::LandedPerUnit,
        SortDirection::Descending,
    );
    let sheet = ComparisonSheet {
        id: ComparisonId(uuid::Uuid::now_v7()),
        terms: ComparisonTerms {
            name: "M8 bolts".into(),
            quantity: 1000,
            currency: Currency::USD,
        },
        rates_date: Some(rates.date),
        today,
        sort: SheetColumn::LandedPerUnit,
        direction: SortDirection::Descending,
        rows: rows.clone(),
        missing: vec![],
    };
    let table = exports::comparison_table(&sheet);
    let (_dir, path) = write(&table, ExportFormat::Xlsx);
    let cells = read_xlsx(&path);
    let header = &cells[0];
    let screen = [
        "Supplier",
        "Product",
        "Landed per unit",
        "Landed total",
        "Unit price",
        "Goods",
        "Freight",
        "Duty",
        "MOQ",
    ];
    for (i, name) in screen.iter().enumerate() {
        assert_eq!(
            text(&header[i]),
            *name,
            "the screen's columns first, in its order"
        );
    }
    let products: Vec<&str> = cells[1..].iter().map(|r| text(&r[1])).collect();
    let expected: Vec<&str> = rows.iter().map(|r| r.row.product.as_str()).collect();
    assert_eq!(products, expected, "the sheet's order");
    let per_unit = column(header, "Landed per unit");
    let rates_date = column(header, "Rates date");
    let why = column(header, "Why no cost");
    for (cells, row) in cells[1..].iter().zip(&rows) {
        match row.row.landed() {
            Some(cost) => assert_eq!(
                number(&cells[per_unit]),
                cost.landed_per_unit.minor as f64 / 100.0
            ),
            None => {
                assert_eq!(cells[per_unit], Data::Empty);
                assert!(text(&cells[why]).contains("EUR"), "{:?}", cells[why]);
            }
        }
        let Data::DateTime(d) = &cells[rates_date] else {
            panic!("the rates date is not a date cell");
        };
        assert_eq!(serial(d).date().to_string(), "2026-12-03");
    }
    let supplier = column(header, "Supplier");
    assert!(
        cells[1..]
            .iter()
            .any(|r| text(&r[supplier]) == "=cmd|' /C calc'!A0")
    );

    let (_dir, csv_path) = write(&table, ExportFormat::Csv);
    let rows = read_csv(&csv_path);
    assert!(rows[1..].iter().any(|r| r[0] == "'=cmd|' /C calc'!A0"));
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[csv_column(&rows[0], "Rates date")] == "2026-12-03")
    );
}

#[test]
fn a_failed_write_leaves_nothing_and_says_why() {
    let w = world();
    let table = exports::orders_table(&w.store, &all_recent()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
        // A folder that does not exist.
        let missing = dir
            .path()
            .join("gone")
            .join(format!("orders.{}", format.extension()));
        let err = exports::write(&table, format, &missing).unwrap_err();
        assert!(matches!(err, ExportError::Write { .. }), "{err:?}");
        assert_eq!(err.code(), ClientCode::ExportWriteFailed);
        assert!(!missing.exists());
        // A destination that is a folder: the rename fails after the temporary file
        // was written, and that file is removed.
        let taken = dir.path().join(format!("taken.{}", format.extension()));
        std::fs::create_dir(&taken).unwrap();
        std::fs::write(taken.join("keep"), "mine").unwrap();
        let err = exports::write(&table, format, &taken).unwrap_err();
        assert_eq!(err.code(), ClientCode::ExportWriteFailed, "{err:?}");
        assert!(taken.is_dir());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".trade-center-export-"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
}

#[test]
fn an_existing_file_is_replaced_whole() {
    let w = world();
    let table = exports::orders_table(&w.store, &all_recent()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(&path, "x".repeat(100_000)).unwrap();
    exports::write(&table, ExportFormat::Csv, &path).unwrap();
    assert_eq!(read_csv(&path).len(), 4);
}

#[test]
fn a_payment_whose_order_left_the_cache_is_still_listed_with_its_order_id() {
    let w = world();
    let gone = OrderId::new();
    let p = payment(gone, 1_000, "EUR", "2026-11-05T00:00:00Z".parse().unwrap());
    let change = Change {
        version: 2,
        kind: RecordKind::Payment,
        id: p.id.to_string(),
        record: Some(SyncRecord::Payment(p)),
    };
    w.store
        .apply_page(&[change], "c2", jiff::Timestamp::now())
        .unwrap();
    let table = exports::payments_table(&w.store).unwrap();
    let (_dir, path) = write(&table, ExportFormat::Csv);
    let rows = read_csv(&path);
    let h = &rows[0];
    let last = rows.last().unwrap();
    assert_eq!(last[csv_column(h, "Order id")], gone.to_string());
    assert_eq!(last[csv_column(h, "Order number")], "");
    assert_eq!(last[csv_column(h, "Amount")], "10.00");
    assert_eq!(last[csv_column(h, "Currency")], "EUR");
}
