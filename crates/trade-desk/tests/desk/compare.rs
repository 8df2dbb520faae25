//! Comparing quotations (issue 17) through the desk commands, against the real demo
//! backend: four demo suppliers quote the buyer (USD, EUR, CNY and GBP), the platform's
//! table for today is a known one (base USD: EUR 0.92, CNY 7.25, no GBP), and the
//! buyer compares the quotations at 2,000 pieces with freight and duty. The ranking
//! equals a hand computation; the supplier facts are the server's; with the server gone
//! the comparison still reads (and changes) from the cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::Demo;
use std::time::{Duration, Instant};

use serde_json::json;
use trade_client::comparisons::{ComparisonTerms, SheetColumn};
use trade_model::quotation::{
    Duty, Estimates, ExchangeRates, PricingError, RowCost, SortDirection,
};
use trade_model::supplier::SupplierFacts;
use trade_model::{Currency, Money, QuotationId};

fn cur(code: &str) -> Currency {
    code.parse().unwrap()
}

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, cur(code))
}

fn estimates(freight: Money, basis_points: u32, transit: u32) -> Estimates {
    Estimates {
        freight,
        duty: Duty::Percent { basis_points },
        transit_days: Some(transit),
    }
}

#[tokio::test]
async fn quotations_rank_by_landed_cost_as_computed_by_hand_online_and_offline() {
    // The suppliers answer through the API below; the bot stays out of it.
    let demo = Demo::start(Duration::from_secs(3600)).await;
    let (running, url, ca, accounts) = (&demo.running, &demo.url, &demo.ca, &demo.accounts);
    let today = trade_model::time::utc_date(running.state.now());

    // Today's table, as an operator's correction replaces the demo's.
    let table: ExchangeRates = serde_json::from_value(json!({
        "date": today.to_string(),
        "base": "USD",
        "rates": { "EUR": "0.92", "CNY": "7.25" }
    }))
    .unwrap();
    let mut w = running.state.db.begin().await.unwrap();
    trade_server::store::rates::put(&mut w, &table, true, running.state.now())
        .await
        .unwrap();
    w.commit().await.unwrap();

    // The buyer asks four suppliers; each answers with a quotation.
    let api = trade_test_api::Api::new(
        url.clone(),
        trade_test_api::client(&std::fs::read(ca).unwrap()),
    );
    let buyer = api
        .login(&accounts.buyer.email, accounts.buyer.password)
        .await;
    let valid_until = today
        .checked_add(jiff::Span::new().days(30))
        .unwrap()
        .to_string();
    let offers = [
        ("USD", json!([[300, 605], [1000, 580], [2000, 560]])),
        ("EUR", json!([[500, 520], [2000, 500]])),
        ("CNY", json!([[1000, 3900]])),
        ("GBP", json!([[100, 450]])),
    ];
    assert!(accounts.suppliers.len() >= offers.len());
    let mut quotations: Vec<QuotationId> = Vec::new();
    for ((currency, tiers), supplier) in offers.iter().zip(&accounts.suppliers) {
        let inquiry = api
            .post(
                "/v1/inquiries",
                &buyer,
                json!({
                    "supplier": supplier.id,
                    "product": "Brass valve DN20",
                    "message": "What is your price for 2,000 pieces?"
                }),
            )
            .await;
        let inquiry = inquiry["id"].as_str().unwrap().to_owned();
        let token = api.login(&supplier.email, supplier.password).await;
        let tiers: Vec<_> = tiers
            .as_array()
            .unwrap()
            .iter()
            .map(|t| json!({ "min_quantity": t[0], "unit_price_minor": t[1] }))
            .collect();
        let quoted = api
            .post(
                &format!("/v1/inquiries/{inquiry}/quotations"),
                &token,
                json!({
                    "inquiry": inquiry,
                    "product": "Brass valve DN20",
                    "tiers": tiers,
                    "currency": currency,
                    "moq": tiers[0]["min_quantity"],
                    "lead_time_days": 20,
                    "incoterm": "FOB",
                    "named_place": "Ningbo",
                    "valid_until": valid_until,
                    "notes": "<img src=x onerror=alert(1)>"
                }),
            )
            .await;
        quotations.push(quoted["id"].as_str().unwrap().parse().unwrap());
    }
    let [alpha, beta, gamma, delta] = quotations[..] else {
        unreachable!()
    };

    let (desk, _data) = demo.signed_in_desk().await;

    let id = desk
        .create_comparison(ComparisonTerms {
            name: "Brass valves DN20".into(),
            quantity: 2_000,
            currency: cur("USD"),
        })
        .await
        .unwrap();
    // A quotation can be added once the sync has brought it.
    let deadline = Instant::now() + Duration::from_secs(30);
    for q in [delta, gamma, beta, alpha] {
        loop {
            match desk.add_to_comparison(id, q).await {
                Ok(()) => break,
                Err(e) if e.code == "not_found" => {
                    assert!(Instant::now() < deadline, "quotation {q} never synced");
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    let refused = desk
        .set_estimates(id, alpha, estimates(money(-1, "USD"), 0, 0))
        .await
        .unwrap_err();
    assert_eq!(refused.code, "quotation.bad_freight");
    for (q, e) in [
        (alpha, estimates(money(80_000, "USD"), 500, 30)),
        (beta, estimates(money(120_000, "USD"), 500, 25)),
        (gamma, estimates(money(900_000, "CNY"), 650, 35)),
        (delta, estimates(money(50_000, "USD"), 0, 20)),
    ] {
        desk.set_estimates(id, q, e).await.unwrap();
    }

    let refreshed = desk.refresh_comparison(id).await.unwrap();
    assert_eq!(refreshed.rates_date, Some(today));
    assert_eq!(refreshed.facts, 4, "{refreshed:?}");
    assert_eq!(refreshed.problem, None);

    let sheet = desk
        .comparison(id, SheetColumn::LandedPerUnit, SortDirection::Ascending)
        .await
        .unwrap();
    assert_eq!(sheet.rates_date, Some(today));
    assert_eq!(sheet.terms.quantity, 2_000);
    // By hand, at 2,000 pieces in USD with the table above:
    // Alpha (USD): 2,000 × 5.60 = 11,200.00; freight 800.00; duty 5 % = 560.00;
    //   landed 12,560.00 → 6.28 a piece.
    // Beta (EUR): 2,000 × EUR 5.00 = EUR 10,000.00 / 0.92 = 10,869.565… → 10,869.57;
    //   freight 1,200.00; duty 5 % = 543.478… → 543.48; 12,613.05 → 6.306… → 6.31.
    // Gamma (CNY): 2,000 × CNY 39.00 = CNY 78,000.00 / 7.25 = 10,758.620… → 10,758.62;
    //   freight CNY 9,000.00 / 7.25 = 1,241.379… → 1,241.38; duty 6.5 % = 699.310… →
    //   699.31; 12,699.31 → 6.349… → 6.35.
    // Delta (GBP): the table has no GBP rate: last, with its typed problem.
    let ranking: Vec<_> = sheet
        .rows
        .iter()
        .map(|r| {
            (
                r.row.quotation,
                r.row
                    .landed()
                    .map(|c| (c.goods.minor, c.freight.minor, c.duty.minor)),
                r.row
                    .landed()
                    .map(|c| (c.landed_total.minor, c.landed_per_unit.minor)),
            )
        })
        .collect();
    assert_eq!(
        ranking,
        vec![
            (
                alpha,
                Some((1_120_000, 80_000, 56_000)),
                Some((1_256_000, 628))
            ),
            (
                beta,
                Some((1_086_957, 120_000, 54_348)),
                Some((1_261_305, 631))
            ),
            (
                gamma,
                Some((1_075_862, 124_138, 69_931)),
                Some((1_269_931, 635))
            ),
            (delta, None, None),
        ]
    );
    assert_eq!(
        sheet.rows[3].row.cost,
        RowCost::Unpriced {
            problem: PricingError::MissingRate {
                currency: cur("GBP")
            }
        }
    );
    // The tier that applies, lead time → earliest arrival (today + 20 + transit).
    assert_eq!(
        sheet.rows[0].row.landed().map(|c| c.unit_price),
        Some(money(560, "USD"))
    );
    assert_eq!(
        sheet.rows[0].row.earliest_arrival,
        today.checked_add(jiff::Span::new().days(50)).ok()
    );
    assert!(sheet.rows.iter().all(|r| !r.row.expired));
    assert_eq!(
        sheet.rows[0].supplier_company,
        accounts.suppliers[0].company
    );

    // The facts shown are the server's for each supplier.
    for (row, supplier) in sheet.rows.iter().zip(&accounts.suppliers) {
        let served: SupplierFacts = serde_json::from_value(
            api.get(&format!("/v1/suppliers/{}/facts", supplier.id), &buyer)
                .await,
        )
        .unwrap();
        let shown = row.facts.clone().expect("fetched");
        assert_eq!(
            SupplierFacts {
                as_of: served.as_of,
                ..shown
            },
            served
        );
    }

    // Sorted by any column, either way.
    let order = |sheet: &trade_client::comparisons::ComparisonSheet| {
        sheet
            .rows
            .iter()
            .map(|r| r.row.quotation)
            .collect::<Vec<_>>()
    };
    let descending = desk
        .comparison(id, SheetColumn::LandedPerUnit, SortDirection::Descending)
        .await
        .unwrap();
    assert_eq!(order(&descending), [gamma, beta, alpha, delta]);
    let by_freight = desk
        .comparison(id, SheetColumn::Freight, SortDirection::Descending)
        .await
        .unwrap();
    assert_eq!(order(&by_freight), [gamma, beta, alpha, delta]);

    // Offline: the server is gone; the comparison reads and changes from the cache.
    demo.running.shutdown().await;
    let offline = desk.refresh_comparison(id).await.unwrap();
    assert_eq!(offline.rates_date, None);
    assert!(offline.problem.is_some(), "{offline:?}");
    let cached = desk
        .comparison(id, SheetColumn::LandedPerUnit, SortDirection::Ascending)
        .await
        .unwrap();
    assert_eq!(cached, sheet, "the same comparison from the cache");
    // Cheaper freight for Gamma, entered offline, moves it to the top:
    // CNY 1,000.00 / 7.25 = 137.931… → 137.93; 10,758.62 + 137.93 + 699.31 = 11,595.86
    // → 5.797… → 5.80.
    desk.set_estimates(id, gamma, estimates(money(100_000, "CNY"), 650, 35))
        .await
        .unwrap();
    let changed = desk
        .comparison(id, SheetColumn::LandedPerUnit, SortDirection::Ascending)
        .await
        .unwrap();
    assert_eq!(order(&changed), [gamma, alpha, beta, delta]);
    assert_eq!(
        changed.rows[0]
            .row
            .landed()
            .map(|c| c.landed_per_unit.minor),
        Some(580)
    );
    let list = desk.comparisons().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].quotations, 4);
    desk.delete_comparison(id).await.unwrap();
    assert!(desk.comparisons().await.unwrap().is_empty());
}
