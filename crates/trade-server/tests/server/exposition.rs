//! A strict reader of the Prometheus text exposition format (version 0.0.4), for the
//! metrics tests: every line must be a `# HELP`, a `# TYPE`, another comment or a sample
//! with well-formed, properly escaped labels; a family is declared once, before its
//! samples, which come together; no series repeats; a histogram's buckets are
//! cumulative, end at `+Inf` and agree with its `_count`. Stricter than the format in one
//! way: every sample must belong to a declared family (the server declares all of them).
//! (The parser crates on crates.io skip lines they cannot read and split labels at the
//! first `}`, which a route label such as `/v1/orders/{id}` contains.)

use std::collections::{BTreeMap, BTreeSet};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A whole exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Family name → type (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    pub types: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// The value of the series `name` whose labels are exactly `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
    }

    /// Every sample of `name`.
    pub fn series(&self, name: &str) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |s| s.name == name)
    }
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    !s.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A float as Go's `strconv.ParseFloat` (which Prometheus uses) reads it.
fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ if s.is_empty()
            || s.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

/// Reads `{name="value",...}` from the start of `rest`; returns the labels and what
/// follows the closing brace.
fn parse_labels(mut rest: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    rest = rest.strip_prefix('{').ok_or("labels open with `{`")?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest.find('=').ok_or("a label needs `=`")?;
        let name = &rest[..eq];
        if !is_label_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or_else(|| format!("label {name}'s value is not quoted"))?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err(format!("label {name}'s value is not closed")),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in label {name}")),
                },
                Some((_, '\n')) => return Err("a raw newline in a label value".to_owned()),
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label {name} repeats"));
        }
        rest = &rest[end + 1..];
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if !rest.starts_with('}') {
            return Err(format!("after label {name}: expected `,` or `}}`"));
        }
    }
}

/// The family a sample of `name` belongs to, given the declared types.
fn family_of<'a>(name: &'a str, types: &BTreeMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some(kind) = types.get(base)
        {
            let fits = match suffix {
                "_bucket" => kind == "histogram",
                _ => kind == "histogram" || kind == "summary",
            };
            if fits {
                return Some(base);
            }
        }
    }
    None
}

/// Reads `text` strictly (see the module docs).
pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut out = Exposition::default();
    let body = text
        .strip_suffix('\n')
        .ok_or("the exposition ends with a newline")?;
    let mut helped = BTreeSet::new();
    // Families whose samples have begun, and the one now being written.
    let mut started = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut seen_series = BTreeSet::new();
    for (n, line) in body.split('\n').enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start_matches(' ').splitn(3, ' ');
            match words.next() {
                Some("HELP") => {
                    let name = words
                        .next()
                        .ok_or_else(|| at("HELP names no metric".into()))?;
                    if !is_metric_name(name) || !helped.insert(name.to_owned()) {
                        return Err(at("a bad or repeated HELP".into()));
                    }
                    let doc = words.next().unwrap_or("");
                    let mut chars = doc.chars();
                    while let Some(c) = chars.next() {
                        if c == '\\' && !matches!(chars.next(), Some('\\' | 'n')) {
                            return Err(at("a bad escape in HELP".into()));
                        }
                    }
                }
                Some("TYPE") => {
                    let name = words
                        .next()
                        .ok_or_else(|| at("TYPE names no metric".into()))?;
                    let kind = words
                        .next()
                        .ok_or_else(|| at("TYPE names no type".into()))?;
                    if !is_metric_name(name) {
                        return Err(at("a bad metric name".into()));
                    }
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(at(format!("unknown type {kind}")));
                    }
                    if out.types.contains_key(name) || started.contains(name) {
                        return Err(at("TYPE repeated, or after the family's samples".into()));
                    }
                    out.types.insert(name.to_owned(), kind.to_owned());
                }
                _ => {}
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_metric_name(name) {
            return Err(at("a bad metric name".into()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(at)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let mut fields = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("a space before the value".into()))?
            .split(' ');
        let value = fields
            .next()
            .and_then(parse_value)
            .ok_or_else(|| at("a bad value".into()))?;
        if let Some(ts) = fields.next()
            && ts.parse::<i64>().is_err()
        {
            return Err(at("a bad timestamp".into()));
        }
        if fields.next().is_some() {
            return Err(at("text after the timestamp".into()));
        }
        let family = family_of(name, &out.types)
            .ok_or_else(|| at("a sample of an undeclared family".into()))?
            .to_owned();
        if current.as_deref() != Some(family.as_str()) {
            if !started.insert(family.clone()) {
                return Err(at(format!("family {family}'s samples are not together")));
            }
            current = Some(family);
        }
        let key = format!("{name}{labels:?}");
        if !seen_series.insert(key) {
            return Err(at("a series repeats".into()));
        }
        out.samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    check_histograms(&out)?;
    Ok(out)
}

/// Each histogram series: cumulative buckets ending at `+Inf`, equal to its `_count`,
/// and a `_sum`.
fn check_histograms(out: &Exposition) -> Result<(), String> {
    for (family, kind) in &out.types {
        if kind != "histogram" {
            continue;
        }
        let mut buckets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for s in out.series(&format!("{family}_bucket")) {
            let mut labels = s.labels.clone();
            let le = labels
                .remove("le")
                .ok_or_else(|| format!("{family}: a bucket without `le`"))?;
            let le = parse_value(&le).ok_or_else(|| format!("{family}: bad le {le}"))?;
            buckets
                .entry(format!("{labels:?}"))
                .or_default()
                .push((le, s.value));
        }
        for (labels, series) in &buckets {
            if series
                .windows(2)
                .any(|w| w[0].0 >= w[1].0 || w[0].1 > w[1].1)
            {
                return Err(format!("{family}{labels}: buckets not cumulative in order"));
            }
            let last = series.last().copied().unwrap_or((0.0, 0.0));
            if last.0 != f64::INFINITY {
                return Err(format!("{family}{labels}: no +Inf bucket"));
            }
            let of = |suffix: &str| {
                out.series(&format!("{family}{suffix}"))
                    .find(|s| format!("{:?}", s.labels) == *labels)
                    .map(|s| s.value)
            };
            if of("_count") != Some(last.1) {
                return Err(format!("{family}{labels}: _count is not the +Inf bucket"));
            }
            if of("_sum").is_none() {
                return Err(format!("{family}{labels}: no _sum"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_reader_takes_the_format_and_refuses_what_breaks_it() {
    let good = "# HELP a_total Requests, with a \\\\ and a \\n.\n\
                # TYPE a_total counter\n\
                a_total{route=\"/v1/orders/{id}\",q=\"say \\\"hi\\\"\"} 3\n\
                a_total{route=\"unmatched\"} 1 1700000000000\n\
                # TYPE h histogram\n\
                h_bucket{le=\"0.5\"} 1\n\
                h_bucket{le=\"+Inf\"} 2\n\
                h_sum 0.75\n\
                h_count 2\n";
    let read = parse(good).unwrap();
    assert_eq!(
        read.value(
            "a_total",
            &[("route", "/v1/orders/{id}"), ("q", "say \"hi\"")]
        ),
        Some(3.0)
    );
    assert_eq!(read.types["h"], "histogram");
    for bad in [
        "# TYPE a gauge\na 1",                                      // no final newline
        "a 1\n",                                                    // undeclared
        "# TYPE a gauge\na{x=\"1} 1\n",                             // unclosed value
        "# TYPE a gauge\na{x=1} 1\n",                               // unquoted value
        "# TYPE a gauge\na{x=\"\\t\"} 1\n",                         // bad escape
        "# TYPE a gauge\na one\n",                                  // bad value
        "# TYPE a gauge\na 1\na 2\n",                               // repeated series
        "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 1\n", // split family
        "# TYPE a gauge\na 1\n# TYPE a gauge\n",                    // TYPE repeated
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
    ] {
        assert!(parse(bad).is_err(), "accepted: {bad:?}");
    }
}
