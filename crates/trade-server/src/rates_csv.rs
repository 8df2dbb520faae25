//! Exchange-rate tables from a CSV file, for `trade-server load-exchange-rates`: one row
//! per rate, `date,base,currency,rate` (the header first), e.g.
//!
//! ```text
//! date,base,currency,rate
//! 2026-11-26,USD,EUR,0.9215
//! 2026-11-26,USD,CNY,7.2450
//! ```
//!
//! meaning USD 1 = EUR 0.9215 on 2026-11-26. The rows of one date make that date's table
//! and share its base; a rate is a decimal above 0 with at most 6 places (never a float).
//! Blank lines and lines starting with `#` are skipped. Every problem is reported with
//! its line, all at once.

use std::collections::BTreeMap;

use jiff::civil::Date;
use trade_model::Currency;
use trade_model::quotation::{ExchangeRates, Rate};

pub const HEADER: &str = "date,base,currency,rate";

/// What is wrong with one line of the file (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct CsvProblem {
    pub line: usize,
    pub problem: String,
}

/// The tables in `text`, by date; every problem when it is not a valid file.
pub fn parse(text: &str) -> Result<Vec<ExchangeRates>, Vec<CsvProblem>> {
    let mut problems = Vec::new();
    let mut tables: BTreeMap<Date, ExchangeRates> = BTreeMap::new();
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let problem = |line, problem: String| CsvProblem { line, problem };
    match rows.next() {
        Some((_, header)) if header.eq_ignore_ascii_case(HEADER) => {}
        Some((line, _)) => problems.push(problem(
            line,
            format!("the first line must be the header `{HEADER}`"),
        )),
        None => problems.push(problem(1, "the file has no rates".to_owned())),
    }
    for (line, row) in rows {
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        let [date, base, currency, rate] = fields[..] else {
            problems.push(problem(
                line,
                format!("expected 4 fields ({HEADER}), found {}", fields.len()),
            ));
            continue;
        };
        let mut bad = |what: String| problems.push(problem(line, what));
        let date = date
            .parse::<Date>()
            .map_err(|_| bad(format!("`{date}` is not a date (YYYY-MM-DD)")))
            .ok();
        let base = base
            .parse::<Currency>()
            .map_err(|e| bad(format!("base: {e}")))
            .ok();
        let currency = currency
            .parse::<Currency>()
            .map_err(|e| bad(e.to_string()))
            .ok();
        let rate = rate.parse::<Rate>().map_err(|e| bad(e.to_string())).ok();
        let (Some(date), Some(base), Some(currency), Some(rate)) = (date, base, currency, rate)
        else {
            continue;
        };
        if currency == base {
            problems.push(problem(
                line,
                format!("{currency} is the base: its rate is always 1; leave the row out"),
            ));
            continue;
        }
        let table = tables.entry(date).or_insert_with(|| ExchangeRates {
            date,
            base,
            rates: BTreeMap::new(),
        });
        if table.base != base {
            problems.push(problem(
                line,
                format!(
                    "the rates of {date} have the base {}, not {base}",
                    table.base
                ),
            ));
        } else if table.rates.insert(currency, rate).is_some() {
            problems.push(problem(
                line,
                format!("{currency} has a second rate on {date}"),
            ));
        }
    }
    if problems.is_empty() && tables.is_empty() {
        problems.push(problem(1, "the file has no rates".to_owned()));
    }
    if problems.is_empty() {
        Ok(tables.into_values().collect())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gives_one_table_per_date() {
        let text = "date,base,currency,rate\n\
                    # from the treasury's noon fixing\n\
                    2026-11-25,USD,EUR,0.92\n\
                    2026-11-26,USD,EUR,0.9215\n\
                    \n\
                    2026-11-26, USD , CNY , 7.245 \n";
        let tables = parse(text).unwrap();
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].date.to_string(), "2026-11-25");
        assert_eq!(tables[1].rates.len(), 2);
        assert_eq!(tables[1].rates[&Currency::CNY].micros(), 7_245_000);
        assert_eq!(tables[1].base, Currency::USD);
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let text = "date,base,currency,rate\n\
                    2026-13-01,USD,EUR,0.9\n\
                    2026-11-26,USD,XXX,1\n\
                    2026-11-26,USD,EUR,0,9\n\
                    2026-11-26,USD,EUR,-1\n\
                    2026-11-26,USD,USD,1\n\
                    2026-11-26,USD,CNY,7.25\n\
                    2026-11-26,EUR,JPY,160\n\
                    2026-11-26,USD,CNY,7.3\n\
                    2026-11-26,USD,JPY,1.5e2\n";
        let problems = parse(text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 8, 9, 10], "{problems:#?}");
        assert_eq!(
            problems[0].to_string(),
            "line 2: `2026-13-01` is not a date (YYYY-MM-DD)"
        );
        assert!(problems[1].problem.contains("XXX"), "{}", problems[1]);
        assert!(problems[2].problem.contains("4 fields"), "{}", problems[2]);
        assert!(
            problems[6].problem.contains("second rate"),
            "{}",
            problems[6]
        );
    }

    #[test]
    fn a_file_without_its_header_or_rates_is_refused() {
        assert_eq!(parse("").unwrap_err()[0].problem, "the file has no rates");
        assert_eq!(
            parse("date,base,currency,rate\n").unwrap_err()[0].problem,
            "the file has no rates"
        );
        let problems = parse("2026-11-26,USD,EUR,0.9\n").unwrap_err();
        assert!(problems[0].problem.contains("header"), "{problems:?}");
    }
}
