//! The export commands against the demo backend, with a host that answers the save
//! dialog as the user would: the dialog offers a dated name and the format's filter,
//! the file holds what the list (or comparison) shows, and a cancelled dialog writes
//! nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use trade_client::comparisons::{ComparisonTerms, SheetColumn};
use trade_client::engine::{Connection, Status};
use trade_client::exports::ExportFormat;
use trade_client::notify::Notification;
use trade_client::store::queries::{OrderFilter, OrderSort};
use trade_desk::Host;
use trade_desk::native::{Chosen, Opening, PathDialog};
use trade_model::api::UnreadCounts;
use trade_model::order::OrderBox;
use trade_model::quotation::SortDirection;
use trade_model::{Currency, QuotationId};

use crate::support::Demo;

/// Answers each save dialog with the next path (none left: the user cancels), and
/// records the dialogs; knows whether the engine has been online.
#[derive(Default)]
struct Saver {
    answers: Mutex<Vec<PathBuf>>,
    dialogs: Mutex<Vec<PathDialog>>,
    online: Mutex<bool>,
}

impl Saver {
    fn answer(&self, path: &Path) {
        self.answers.lock().unwrap().push(path.to_owned());
    }
    fn last_dialog(&self) -> PathDialog {
        self.dialogs.lock().unwrap().last().cloned().unwrap()
    }
}

impl Host for Saver {
    fn status(&self, status: &Status) {
        if status.connection == Connection::Online {
            *self.online.lock().unwrap() = true;
        }
    }
    fn changed(&self, _revision: u64, _unread: &UnreadCounts) {}
    fn notify(&self, _notification: &Notification) {}
    fn ask_path(&self, dialog: PathDialog) -> Chosen {
        self.dialogs.lock().unwrap().push(dialog);
        let answer = self.answers.lock().unwrap().pop();
        Box::pin(async move { answer })
    }
    fn open(&self, _what: &Opening) -> Result<(), String> {
        Ok(())
    }
    fn autostart(&self) -> Result<bool, String> {
        Ok(false)
    }
    fn set_autostart(&self, _enabled: bool) -> Result<(), String> {
        Err("not in these tests".into())
    }
}

async fn until_online(saver: &Saver) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !*saver.online.lock().unwrap() {
        assert!(Instant::now() < deadline, "the first sync never finished");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
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

fn xlsx_rows(path: &Path) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

#[tokio::test]
async fn orders_and_payments_export_what_the_list_holds_and_cancel_writes_nothing() {
    let demo = Demo::start(Duration::from_secs(3600)).await;
    let saver = Arc::new(Saver::default());
    let (desk, _data) = demo.signed_in_desk_with(saver.clone()).await;
    until_online(&saver).await;
    let out = tempfile::tempdir().unwrap();

    // Cancelled: nothing written, nothing answered.
    let filter = OrderFilter {
        order_box: None,
        sort: OrderSort::Deadline,
        text: String::new(),
    };
    let cancelled = desk
        .export_orders_as(filter.clone(), ExportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(cancelled, None);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    let PathDialog::Save {
        title,
        suggested_name,
        filter: types,
    } = saver.last_dialog()
    else {
        panic!("not a save dialog");
    };
    assert_eq!(title, "Export the orders");
    let today = jiff::ZonedDateTime::now().date();
    assert_eq!(suggested_name, format!("orders-{today}.csv"));
    assert_eq!(types.map(|t| t.1), Some(&["csv"][..]));

    // Every order, sorted by deadline, as the list reads them.
    let listed = desk.orders(filter.clone(), None, 500).await.unwrap().items;
    assert!(listed.len() > 5, "the demo world has orders in every box");
    let path = out.path().join("orders.csv");
    saver.answer(&path);
    let done = desk
        .export_orders_as(filter, ExportFormat::Csv)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.rows, listed.len());
    assert_eq!(done.file_name, "orders.csv");
    assert_eq!(Path::new(&done.path), path);
    let rows = csv_rows(&path);
    let id = col(&rows[0], "Order id");
    let status = col(&rows[0], "Status");
    let exported: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[id].as_str(), r[status].as_str()))
        .collect();
    let ids: Vec<String> = listed.iter().map(|v| v.order.id.to_string()).collect();
    let expected: Vec<(&str, &str)> = ids
        .iter()
        .zip(&listed)
        .map(|(id, v)| (id.as_str(), v.status_label.as_str()))
        .collect();
    assert_eq!(exported, expected, "the list's orders, in its order");

    // One box, as XLSX.
    let completed = OrderFilter {
        order_box: Some(OrderBox::Completed),
        sort: OrderSort::Recent,
        text: String::new(),
    };
    let in_box = desk
        .orders(completed.clone(), None, 500)
        .await
        .unwrap()
        .items;
    let path = out.path().join("completed.xlsx");
    saver.answer(&path);
    let done = desk
        .export_orders_as(completed, ExportFormat::Xlsx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.rows, in_box.len());
    let cells = xlsx_rows(&path);
    assert_eq!(cells.len(), in_box.len() + 1);
    assert!(
        matches!(saver.last_dialog(), PathDialog::Save { filter: Some((_, ext)), .. } if ext == ["xlsx"])
    );

    // Payments: every payment in the cache, each order's as its screen lists them.
    let path = out.path().join("payments.csv");
    saver.answer(&path);
    let done = desk
        .export_payments_as(ExportFormat::Csv)
        .await
        .unwrap()
        .unwrap();
    let rows = csv_rows(&path);
    let (pid, amount, currency) = (
        col(&rows[0], "Payment id"),
        col(&rows[0], "Amount"),
        col(&rows[0], "Currency"),
    );
    let mut expected = 0;
    for view in desk
        .orders(OrderFilter::default(), None, 500)
        .await
        .unwrap()
        .items
    {
        let detail = desk.order_detail(view.order.id).await.unwrap();
        for p in &detail.payments {
            expected += 1;
            let row = rows[1..]
                .iter()
                .find(|r| r[pid] == p.id.to_string())
                .unwrap_or_else(|| panic!("payment {} not exported", p.id));
            let money = trade_model::Money::new(p.amount_minor, p.currency.parse().unwrap());
            // "USD 6,200.00" → "6200.00"
            let plain = money
                .to_string()
                .split_once(' ')
                .unwrap()
                .1
                .replace(',', "");
            assert_eq!(row[amount], plain);
            assert_eq!(row[currency], p.currency);
        }
    }
    assert!(expected > 0, "the demo buyer has paid for some orders");
    assert_eq!(done.rows, expected);
}

#[tokio::test]
async fn a_comparison_exports_in_the_screens_sort_with_its_rates_date() {
    let demo = Demo::start(Duration::from_secs(3600)).await;
    let (url, ca, accounts) = (&demo.url, &demo.ca, &demo.accounts);
    let api = trade_test_api::Api::new(
        url.clone(),
        trade_test_api::client(&std::fs::read(ca).unwrap()),
    );
    let buyer = api
        .login(&accounts.buyer.email, accounts.buyer.password)
        .await;
    let today = trade_model::time::utc_date(demo.running.state.now());
    let valid_until = today
        .checked_add(jiff::Span::new().days(30))
        .unwrap()
        .to_string();
    let mut quotations: Vec<QuotationId> = Vec::new();
    for (price, supplier) in [605, 580, 640].iter().zip(&accounts.suppliers) {
        let inquiry = api
            .post(
                "/v1/inquiries",
                &buyer,
                json!({ "supplier": supplier.id, "product": "Brass valve", "message": "Price?" }),
            )
            .await;
        let inquiry = inquiry["id"].as_str().unwrap().to_owned();
        let token = api.login(&supplier.email, supplier.password).await;
        let quoted = api
            .post(
                &format!("/v1/inquiries/{inquiry}/quotations"),
                &token,
                json!({
                    "inquiry": inquiry,
                    "product": "Brass valve",
                    "tiers": [{ "min_quantity": 100, "unit_price_minor": price }],
                    "currency": "USD",
                    "moq": 100,
                    "lead_time_days": 20,
                    "incoterm": "FOB",
                    "named_place": "Ningbo",
                    "valid_until": valid_until,
                    "notes": ""
                }),
            )
            .await;
        quotations.push(quoted["id"].as_str().unwrap().parse().unwrap());
    }
    let saver = Arc::new(Saver::default());
    let (desk, _data) = demo.signed_in_desk_with(saver.clone()).await;
    let id = desk
        .create_comparison(ComparisonTerms {
            name: "Valves / DN20".into(),
            quantity: 1_000,
            currency: Currency::USD,
        })
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    for q in &quotations {
        while let Err(e) = desk.add_to_comparison(id, *q).await {
            assert_eq!(e.code, "not_found", "{e}");
            assert!(Instant::now() < deadline, "quotation {q} never synced");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    desk.refresh_comparison(id).await.unwrap();
    let sort = (SheetColumn::LandedPerUnit, SortDirection::Descending);
    let sheet = desk.comparison(id, sort.0, sort.1).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("comparison.csv");
    saver.answer(&path);
    let done = desk
        .export_comparison_as(id, sort.0, sort.1, ExportFormat::Csv)
        .await
        .unwrap()
        .unwrap();
    let PathDialog::Save { suggested_name, .. } = saver.last_dialog() else {
        panic!("not a save dialog");
    };
    let local = jiff::ZonedDateTime::now().date();
    assert_eq!(
        suggested_name,
        format!("comparison-Valves - DN20-{local}.csv")
    );
    assert_eq!(done.rows, 3);
    let rows = csv_rows(&path);
    let per_unit = col(&rows[0], "Landed per unit");
    let rates = col(&rows[0], "Rates date");
    let exported: Vec<&str> = rows[1..].iter().map(|r| r[per_unit].as_str()).collect();
    let shown: Vec<String> = sheet
        .rows
        .iter()
        .map(|r| {
            let m = r.row.landed().unwrap().landed_per_unit;
            m.to_string().split_once(' ').unwrap().1.replace(',', "")
        })
        .collect();
    assert_eq!(exported, shown, "the sheet's rows in its sort");
    assert!(
        shown
            .windows(2)
            .all(|w| w[0].parse::<f64>().unwrap() >= w[1].parse::<f64>().unwrap()),
        "dearest first, as asked: {shown:?}"
    );
    let rates_date = sheet.rates_date.map(|d| d.to_string()).unwrap_or_default();
    assert!(rows[1..].iter().all(|r| r[rates] == rates_date));

    // Cancelled: nothing.
    let none = desk
        .export_comparison_as(id, sort.0, sort.1, ExportFormat::Xlsx)
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
}
