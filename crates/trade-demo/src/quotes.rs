//! Quotations and exchange rates in the demo (issue 17): what a demo supplier quotes
//! when a buyer asks for a price, and the platform's daily exchange-rate tables. Both
//! depend only on the demo seed and what they are for (the inquiry, the date), so the
//! same seed gives the same quotations and rates.

use std::collections::BTreeMap;

use jiff::Span;
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trade_model::order::Incoterm;
use trade_model::quotation::{ExchangeRates, NewQuotation, PriceTier, Rate};
use trade_model::{Currency, InquiryId};

use super::catalog::{self, SupplierProfile, stable_hash};
use trade_server::error::HttpResult;
use trade_server::state::AppState;

/// How long a demo quotation's prices hold.
pub const VALID_DAYS: i64 = 30;
/// Days of exchange-rate tables the demo keeps published: today's and the ones before.
pub const RATE_DAYS: i64 = 30;

/// Whether a buyer's message asks for a price: "price", "prices", "quote", "quotes",
/// "quotation(s)" as words, or "how much", in any case.
pub fn asks_for_price(message: &str) -> bool {
    const WORDS: &[&str] = &[
        "price",
        "prices",
        "quote",
        "quotes",
        "quotation",
        "quotations",
    ];
    let lower = message.to_lowercase();
    lower.contains("how much")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| WORDS.contains(&w))
}

/// The demo supplier whose account has this email.
pub fn profile_of(email: &str) -> Option<&'static SupplierProfile> {
    let local = email.split('@').next()?;
    [
        catalog::CHINA,
        catalog::VIETNAM,
        catalog::INDIA,
        catalog::TURKEY,
    ]
    .into_iter()
    .flatten()
    .find(|p| p.email_local == local)
}

/// What `supplier` quotes for `product` in `inquiry` on `today` (a UTC date): price
/// tiers from the product's MOQ (3 % off per larger quantity buyers ask for) in the
/// supplier's currency, FOB its port, a lead time of 15 to 35 days, valid 30 days.
/// A product the catalog does not know gets prices of the supplier's first product.
pub fn quotation_for(
    seed: u64,
    supplier: Option<&SupplierProfile>,
    inquiry: InquiryId,
    product: &str,
    today: Date,
) -> NewQuotation {
    let mut rng = StdRng::seed_from_u64(stable_hash(seed, &format!("quotation {inquiry}")));
    let known = supplier.and_then(|s| {
        s.products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(product.trim()))
            .or_else(|| s.products.first())
    });
    let (low, high) = known.map_or((500, 2_000), |p| p.price);
    let moq = known.map_or(100, |p| p.moq).max(1);
    let base = rng.random_range(low..=high.max(low)).max(1);
    let mut tiers = vec![PriceTier {
        min_quantity: moq,
        unit_price_minor: base,
    }];
    let mut larger: Vec<u64> = known
        .map(|p| p.quantities.to_vec())
        .unwrap_or_else(|| vec![500, 1_000]);
    larger.sort_unstable();
    for quantity in larger.into_iter().filter(|q| *q > moq) {
        let step = i64::try_from(tiers.len()).unwrap_or(0);
        let price = (base * (100 - 3 * step) / 100).max(1);
        tiers.push(PriceTier {
            min_quantity: quantity,
            unit_price_minor: price,
        });
    }
    let unit = known.map_or("piece", |p| p.each);
    NewQuotation {
        inquiry,
        product: product.trim().to_owned(),
        tiers,
        currency: supplier.map_or(Currency::USD, |s| s.currency),
        moq,
        lead_time_days: rng.random_range(15..=35),
        incoterm: Incoterm::Fob,
        named_place: supplier.map_or("Shanghai", |s| s.port).to_owned(),
        valid_until: today
            .checked_add(Span::new().days(VALID_DAYS))
            .unwrap_or(today),
        sample_price_minor: Some(if rng.random_bool(0.5) { 0 } else { base * 2 }),
        notes: format!("Prices per {unit}, export cartons. Payment through Trade Center only."),
    }
}

/// USD 1 in other currencies, the middle of the demo's rates (millionths).
const MID_RATES: &[(&str, u64)] = &[
    ("EUR", 920_000),
    ("GBP", 790_000),
    ("CNY", 7_250_000),
    ("HKD", 7_780_000),
    ("JPY", 151_500_000),
    ("INR", 84_500_000),
    ("TRY", 34_200_000),
    ("VND", 25_400_000_000),
    ("CHF", 880_000),
];

/// The demo's table for `date`: base USD, each rate within 1 % of its middle, in
/// steps of 0.01 %, chosen by the seed and the date.
pub fn rates_for(seed: u64, date: Date) -> ExchangeRates {
    let rates: BTreeMap<Currency, Rate> = MID_RATES
        .iter()
        .filter_map(|(code, mid)| {
            let currency: Currency = code.parse().ok()?;
            let hash = stable_hash(seed, &format!("rate {code} {date}"));
            let basis_points = 9_900 + hash % 201; // 99.00 % to 101.00 %
            Rate::from_micros(mid / 10_000 * basis_points).map(|r| (currency, r))
        })
        .collect();
    ExchangeRates {
        date,
        base: Currency::USD,
        rates,
    }
}

/// Publishes the demo's tables for today (the server's UTC date) and the
/// [`RATE_DAYS`] before it, keeping any table already there (the demo's own from an
/// earlier start, or one an operator loaded).
pub async fn publish_rates(state: &AppState, seed: u64) -> HttpResult<()> {
    let today = trade_model::time::utc_date(state.now());
    let mut w = state.db.begin().await?;
    for back in 0..=RATE_DAYS {
        let Ok(date) = today.checked_sub(Span::new().days(back)) else {
            continue;
        };
        trade_server::store::rates::put(&mut w, &rates_for(seed, date), false, state.now()).await?;
    }
    w.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_price_question_is_recognised_in_any_case() {
        for asks in [
            "What is the PRICE for 2000 pcs?",
            "Please quote FOB.",
            "Could you send a quotation?",
            "How much for 500?",
            "Your prices, please",
        ] {
            assert!(asks_for_price(asks), "{asks}");
        }
        for not in [
            "Please send the test reports",
            "Priceless",
            "unquoted",
            "much",
        ] {
            assert!(!asks_for_price(not), "{not}");
        }
    }

    #[test]
    fn a_demo_quotation_is_valid_and_depends_only_on_the_seed_and_the_inquiry() {
        let supplier = &catalog::CHINA[0];
        let product = supplier.products[0].name;
        let inquiry = InquiryId::new();
        let today = date("2026-11-26");
        let q = quotation_for(42, Some(supplier), inquiry, product, today);
        assert_eq!(
            q,
            quotation_for(42, Some(supplier), inquiry, product, today)
        );
        assert_eq!(trade_model::quotation::validate(&q, today), Ok(()));
        assert_eq!(q.valid_until, date("2026-12-26"));
        assert_eq!(q.currency, supplier.currency);
        assert_eq!(q.named_place, supplier.port);
        assert_eq!(q.moq, supplier.products[0].moq);
        assert_eq!(q.tiers.len(), 1 + supplier.products[0].quantities.len());
        let (low, high) = supplier.products[0].price;
        assert!((low..=high).contains(&q.tiers[0].unit_price_minor), "{q:?}");
        // Every demo supplier's every product, and a product the catalog does not know.
        for s in [
            catalog::CHINA,
            catalog::VIETNAM,
            catalog::INDIA,
            catalog::TURKEY,
        ]
        .into_iter()
        .flatten()
        {
            for p in s.products {
                let q = quotation_for(7, Some(s), InquiryId::new(), p.name, today);
                assert_eq!(trade_model::quotation::validate(&q, today), Ok(()), "{q:?}");
            }
            let q = quotation_for(7, Some(s), InquiryId::new(), "Something else", today);
            assert_eq!(trade_model::quotation::validate(&q, today), Ok(()), "{q:?}");
        }
        let q = quotation_for(7, None, InquiryId::new(), "Anything", today);
        assert_eq!(trade_model::quotation::validate(&q, today), Ok(()), "{q:?}");
        assert_eq!(
            profile_of("lina.chen@demo.tradecenter.test").map(|p| p.contact),
            Some("Lina Chen")
        );
    }

    #[test]
    fn the_demo_rates_are_stable_and_near_their_middle() {
        let t = rates_for(42, date("2026-11-26"));
        assert_eq!(t, rates_for(42, date("2026-11-26")));
        assert_ne!(t.rates, rates_for(42, date("2026-11-25")).rates);
        assert_eq!(t.base, Currency::USD);
        assert_eq!(t.rates.len(), MID_RATES.len());
        let eur = t.rates[&Currency::EUR].micros();
        assert!((910_800..=929_200).contains(&eur), "{eur}");
    }
}
