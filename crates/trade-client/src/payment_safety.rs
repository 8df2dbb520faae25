//! The account-switch scam check (design §3): a supplier's chat message that carries
//! bank details other than the platform's designated account is flagged, so the client
//! can warn the buyer before they wire money anywhere but the designated account.
//!
//! [`scan`] looks for three kinds of detail:
//! - **IBANs**: two letters (an ISO country), two check digits, then the account part,
//!   with or without spaces/dashes between groups. The mod-97 checksum must hold, and
//!   the length must match the country (a table of IBAN countries; other countries
//!   accept 15–34 characters, but only near a bank word).
//! - **SWIFT/BIC codes**: a standalone token of 8 or 11 letters/digits, letters in
//!   positions 1–6, an ISO country in positions 5–6. Upper-case only (lower case only
//!   right after "SWIFT"/"BIC"), and only near a bank word or when clearly a code (it
//!   has a digit in the location/branch part), so shouted words such as "PLEASEXX" are
//!   not flagged.
//! - **Account numbers**: 6–20 digits, possibly grouped with single spaces or dashes,
//!   whose nearest label before them (or, lacking one, just after) is a bank word
//!   ("account", "bank", "IBAN", "remit", "账户", "Konto", ...). Numbers whose nearest
//!   label is an order, invoice, phone, amount or similar word are not account numbers;
//!   nor are phone numbers (`+`/`(` in front), amounts (currency in front, decimals) or
//!   dates.
//!
//! Details equal to the designated account (compared without spaces and dashes, upper
//! case; an account number also matches the designated number's digits alone, and a
//! BIC8 matches its BIC11 with branch "XXX") are not findings.
//!
//! This is a heuristic that errs towards warning: the warning is advice shown next to
//! the message, never a block. It is not a guarantee: details written out in words,
//! split across messages, or sent as an image are not seen.

use serde::{Deserialize, Serialize};
use trade_model::entities::BeneficiaryAccount;

/// The text the client shows next to a flagged message.
pub const WARNING_TEXT: &str = "This message contains bank details that differ from \
Trade Center's designated account. Pay only through Pay Now, to the account shown there. \
Suppliers never need you to pay into a different account.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BankDetailKind {
    Iban,
    SwiftBic,
    AccountNumber,
}

/// One bank detail found in a message. `value` is normalized: no spaces or dashes,
/// upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BankDetail {
    pub kind: BankDetailKind,
    pub value: String,
}

/// Bank details in a message that are not the designated account's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentWarning {
    /// In order of appearance; never empty; each detail once.
    pub findings: Vec<BankDetail>,
}

/// Scans `text` for bank details that differ from `designated`. `None` when there are
/// none (including when the only details are the designated account's own).
pub fn scan(text: &str, designated: &BeneficiaryAccount) -> Option<PaymentWarning> {
    let chars: Vec<char> = text.chars().collect();
    let labels = find_labels(&chars);
    // Char ranges already claimed by a finding (or a designated detail), so digits of
    // an IBAN are not read again as an account number.
    let mut claimed: Vec<(usize, usize)> = Vec::new();
    let mut found: Vec<(usize, BankDetail)> = Vec::new();

    for (start, end, value) in find_ibans(&chars, &labels) {
        claimed.push((start, end));
        found.push((
            start,
            BankDetail {
                kind: BankDetailKind::Iban,
                value,
            },
        ));
    }
    for (start, end, value) in find_bics(&chars, &labels, &claimed) {
        claimed.push((start, end));
        found.push((
            start,
            BankDetail {
                kind: BankDetailKind::SwiftBic,
                value,
            },
        ));
    }
    for (start, _end, value) in find_account_numbers(&chars, &labels, &claimed) {
        found.push((
            start,
            BankDetail {
                kind: BankDetailKind::AccountNumber,
                value,
            },
        ));
    }

    found.sort_by_key(|(start, _)| *start);
    let mut findings: Vec<BankDetail> = Vec::new();
    for (_, detail) in found {
        if !is_designated(&detail, designated) && !findings.contains(&detail) {
            findings.push(detail);
        }
    }
    (!findings.is_empty()).then_some(PaymentWarning { findings })
}

/// Upper case without spaces and dashes.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn is_designated(detail: &BankDetail, designated: &BeneficiaryAccount) -> bool {
    let account = normalize(&designated.account_number);
    let swift = normalize(&designated.swift);
    let value = detail.value.as_str();
    match detail.kind {
        BankDetailKind::Iban => !account.is_empty() && value == account,
        BankDetailKind::AccountNumber => {
            // The designated number may carry a country prefix ("HK 0060 ..."); quoting
            // only its digits is still the designated account.
            let digits: String = account.chars().filter(char::is_ascii_digit).collect();
            (!account.is_empty() && value == account) || (!digits.is_empty() && value == digits)
        }
        BankDetailKind::SwiftBic => {
            // BIC8 and BIC11 with the primary-office branch "XXX" name the same office.
            let primary = |s: &str| -> String {
                match s.get(..8) {
                    Some(head) if s.len() == 11 && s.ends_with("XXX") => head.to_owned(),
                    _ => s.to_owned(),
                }
            };
            !swift.is_empty() && primary(value) == primary(&swift)
        }
    }
}

// --- labels ---

/// A word that says what a nearby number is.
#[derive(Debug, Clone, Copy)]
struct Label {
    start: usize,
    end: usize,
    /// A bank word (as opposed to an order, phone, amount... word).
    bank: bool,
}

/// How a label must sit in the text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    /// Starts a word and may go on ("remit" matches "remittance").
    Prefix,
    /// A whole word ("po" does not match "pound").
    Word,
    /// Anywhere (Chinese has no spaces between words).
    Anywhere,
}

const BANK_LABELS: &[(&str, Match)] = &[
    ("account", Match::Prefix),
    ("acct", Match::Prefix),
    ("a/c", Match::Word),
    ("bank", Match::Prefix),
    ("beneficiar", Match::Prefix),
    ("iban", Match::Prefix),
    ("swift", Match::Prefix),
    ("bic", Match::Word),
    ("transfer", Match::Prefix),
    ("remit", Match::Prefix),
    ("wire", Match::Word),
    ("wired", Match::Word),
    ("routing", Match::Prefix),
    ("cuenta", Match::Prefix),
    ("konto", Match::Prefix),
    ("账户", Match::Anywhere),
    ("帐户", Match::Anywhere),
    ("账号", Match::Anywhere),
    ("帐号", Match::Anywhere),
    ("银行", Match::Anywhere),
    ("汇款", Match::Anywhere),
    ("转账", Match::Anywhere),
    ("收款", Match::Anywhere),
];

/// Words that say a number is something other than a bank account.
const OTHER_LABELS: &[(&str, Match)] = &[
    ("po", Match::Word),
    ("p.o", Match::Word),
    ("order", Match::Prefix),
    ("invoice", Match::Prefix),
    ("inv", Match::Word),
    ("pi", Match::Word),
    ("contract", Match::Prefix),
    ("ref", Match::Word),
    ("reference", Match::Prefix),
    ("tel", Match::Word),
    ("call", Match::Prefix),
    ("contact", Match::Prefix),
    ("phone", Match::Prefix),
    ("mobile", Match::Prefix),
    ("cell", Match::Word),
    ("whatsapp", Match::Prefix),
    ("wechat", Match::Prefix),
    ("fax", Match::Word),
    ("tracking", Match::Prefix),
    ("awb", Match::Word),
    ("qty", Match::Word),
    ("quantity", Match::Prefix),
    ("pcs", Match::Word),
    ("model", Match::Prefix),
    ("item", Match::Prefix),
    ("sku", Match::Word),
    ("lot", Match::Word),
    ("batch", Match::Prefix),
    ("total", Match::Prefix),
    ("amount", Match::Prefix),
    ("price", Match::Prefix),
    ("deposit", Match::Prefix),
    ("balance", Match::Prefix),
    ("订单", Match::Anywhere),
    ("单号", Match::Anywhere),
    ("合同", Match::Anywhere),
    ("发票", Match::Anywhere),
    ("电话", Match::Anywhere),
    ("手机", Match::Anywhere),
    ("型号", Match::Anywhere),
    ("数量", Match::Anywhere),
    ("金额", Match::Anywhere),
    ("价格", Match::Anywhere),
];

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// All labels in `chars`, in order of position. Matching is ASCII case-insensitive.
fn find_labels(chars: &[char]) -> Vec<Label> {
    let lower: Vec<char> = chars.iter().map(char::to_ascii_lowercase).collect();
    let mut out = Vec::new();
    for i in 0..lower.len() {
        for (table, bank) in [(BANK_LABELS, true), (OTHER_LABELS, false)] {
            for (word, how) in table {
                let len = word.chars().count();
                if i + len > lower.len() || !word.chars().eq(lower[i..i + len].iter().copied()) {
                    continue;
                }
                let starts_word = i == 0 || !is_word_char(lower[i - 1]);
                let ends_word = lower.get(i + len).is_none_or(|c| !is_word_char(*c));
                let ok = match how {
                    Match::Prefix => starts_word,
                    Match::Word => starts_word && ends_word,
                    Match::Anywhere => true,
                };
                if ok {
                    out.push(Label {
                        start: i,
                        end: i + len,
                        bank,
                    });
                }
            }
        }
    }
    out
}

/// Labels count when they end at most this many chars before a number...
const LABEL_BEFORE_WINDOW: usize = 48;
/// ...or, when none is before it, start at most this many chars after it.
const LABEL_AFTER_WINDOW: usize = 24;

/// Whether the number at `start..end` is labelled as bank details: the nearest label
/// before it (within the window) is a bank word, or there is none before it and the
/// first label after it (within the window) is one.
fn bank_labelled(labels: &[Label], start: usize, end: usize) -> bool {
    let before = labels
        .iter()
        .filter(|l| l.end <= start && start - l.end <= LABEL_BEFORE_WINDOW)
        .max_by_key(|l| (l.end, usize::MAX - l.start));
    if let Some(l) = before {
        return l.bank;
    }
    labels
        .iter()
        .filter(|l| l.start >= end && l.start - end <= LABEL_AFTER_WINDOW)
        .min_by_key(|l| l.start)
        .is_some_and(|l| l.bank)
}

/// Whether any bank word is near `start..end` (for BICs, where an order word nearby
/// does not make a code any less of a code).
fn bank_word_near(labels: &[Label], start: usize, end: usize) -> bool {
    labels.iter().any(|l| {
        l.bank
            && ((l.end <= start && start - l.end <= LABEL_BEFORE_WINDOW)
                || (l.start >= end && l.start - end <= LABEL_AFTER_WINDOW))
    })
}

fn overlaps(claimed: &[(usize, usize)], start: usize, end: usize) -> bool {
    claimed.iter().any(|&(s, e)| start < e && s < end)
}

// --- IBAN ---

/// IBAN lengths of common IBAN countries (SWIFT IBAN registry). Countries not listed
/// accept 15–34 characters.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

const IBAN_MIN: usize = 15;
const IBAN_MAX: usize = 34;

/// IBANs in `chars`: (start, end) char positions and the normalized IBAN.
fn find_ibans(chars: &[char], labels: &[Label]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= chars.len() {
        if let Some((end, iban)) = iban_at(chars, labels, i) {
            out.push((i, end, iban));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// An IBAN starting exactly at `i`, if there is one: its end and normalized value.
/// Countries outside [`IBAN_LENGTHS`] need a bank word nearby, so that order numbers
/// such as "CN20261126001234" are not taken for IBANs when they happen to pass mod 97
/// (1 in 97 do).
fn iban_at(chars: &[char], labels: &[Label], i: usize) -> Option<(usize, String)> {
    if i > 0 && is_word_char(chars[i - 1]) {
        return None;
    }
    let head = &chars[i..i + 4];
    if !(head[0].is_ascii_alphabetic()
        && head[1].is_ascii_alphabetic()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit())
    {
        return None;
    }
    let country: String = head[..2].iter().map(char::to_ascii_uppercase).collect();
    if !is_country(&country) {
        return None;
    }
    // Collect alphanumerics, allowing one space or dash between groups, and note every
    // group end (compact length, char end): an IBAN ends at a group end.
    let mut compact: String = head.iter().map(char::to_ascii_uppercase).collect();
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut j = i + 4;
    loop {
        match chars.get(j) {
            Some(c) if is_word_char(*c) => {
                if compact.len() == IBAN_MAX {
                    break; // run on past any IBAN length: not a group end
                }
                compact.push(c.to_ascii_uppercase());
                j += 1;
            }
            Some(' ' | '-') if chars.get(j + 1).is_some_and(|c| is_word_char(*c)) => {
                ends.push((compact.len(), j));
                j += 1;
            }
            _ => {
                ends.push((compact.len(), j));
                break;
            }
        }
    }
    let fixed = IBAN_LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, len)| *len);
    if fixed.is_none() && !bank_word_near(labels, i, i + 4) {
        return None;
    }
    // Longest first, so a shorter prefix of a longer valid IBAN is not taken.
    ends.iter()
        .rev()
        .filter(|(len, _)| match fixed {
            Some(f) => *len == f,
            None => (IBAN_MIN..=IBAN_MAX).contains(len),
        })
        .find(|(len, _)| iban_checksum_ok(&compact[..*len]))
        .map(|&(len, end)| (end, compact[..len].to_owned()))
}

/// ISO 13616 check: check digits 02–98, the account part alphanumeric, and the number
/// formed by moving the first four characters to the end (letters as 10–35) is 1 mod 97.
fn iban_checksum_ok(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if bytes.len() < 5 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let check = &iban[2..4];
    if !matches!(check.parse::<u8>(), Ok(2..=98)) {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let (value, factor) = match b {
            b'0'..=b'9' => (u32::from(b - b'0'), 10),
            b'A'..=b'Z' => (u32::from(b - b'A') + 10, 100),
            _ => return false,
        };
        rem = (rem * factor + value) % 97;
    }
    rem == 1
}

// --- SWIFT/BIC ---

/// SWIFT/BIC codes in `chars`, outside `claimed`.
fn find_bics(
    chars: &[char],
    labels: &[Label],
    claimed: &[(usize, usize)],
) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_word_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_word_char(chars[i]) {
            i += 1;
        }
        let end = i;
        let token: String = chars[start..end].iter().collect();
        if !matches!(token.len(), 8 | 11) || overlaps(claimed, start, end) {
            continue;
        }
        let upper = token.to_ascii_uppercase();
        if !bic_format_ok(&upper) || is_label_word(&token) {
            continue;
        }
        let labelled = directly_after_swift_label(chars, labels, start);
        if token != upper && !labelled {
            continue; // ordinary lower/mixed-case words are not codes
        }
        let has_digit = upper[6..].bytes().any(|b| b.is_ascii_digit());
        if labelled || has_digit || bank_word_near(labels, start, end) {
            out.push((start, end, upper));
        }
    }
    out
}

/// Letters in 1–6 with an ISO country in 5–6, alphanumerics after.
fn bic_format_ok(upper: &str) -> bool {
    let b = upper.as_bytes();
    b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(u8::is_ascii_alphanumeric)
        && is_country(&upper[4..6])
}

/// Whether the token is itself a label word (e.g. "BENEFICIARY", "TRANSFER",
/// "CITIBANK"). Short labels ("po", "pi") are ignored: real BICs start with them.
fn is_label_word(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    BANK_LABELS
        .iter()
        .chain(OTHER_LABELS)
        .any(|(w, how)| *how != Match::Anywhere && w.len() >= 4 && lower.starts_with(w))
        || lower.ends_with("bank")
}

/// Whether the token at `start` follows "SWIFT"/"BIC" with only punctuation, spaces
/// and the words "code"/"no" between them.
fn directly_after_swift_label(chars: &[char], labels: &[Label], start: usize) -> bool {
    labels.iter().any(|l| {
        if !l.bank || l.end > start || start - l.end > 16 {
            return false;
        }
        let word: String = chars[l.start..l.end]
            .iter()
            .map(char::to_ascii_lowercase)
            .collect();
        if word != "swift" && word != "bic" {
            return false;
        }
        let gap: String = chars[l.end..start]
            .iter()
            .map(char::to_ascii_lowercase)
            .collect();
        let rest = gap
            .replace("code", "")
            .replace("no", "")
            .replace("bic", "")
            .replace("swift", "");
        rest.chars()
            .all(|c| c.is_whitespace() || matches!(c, ':' | '/' | '.' | '-' | '(' | ')' | '：'))
    })
}

// --- account numbers ---

/// Account numbers in `chars`, outside `claimed`: (start, end, digits).
fn find_account_numbers(
    chars: &[char],
    labels: &[Label],
    claimed: &[(usize, usize)],
) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !c.is_ascii_digit() || (i > 0 && is_word_char(chars[i - 1])) {
            i += 1;
            continue;
        }
        // A run of digit groups joined by single spaces or dashes.
        let start = i;
        let mut digits = String::new();
        let mut groups: Vec<usize> = Vec::new();
        let mut group_len = 0;
        let mut separators: Vec<char> = Vec::new();
        let mut j = i;
        loop {
            match chars.get(j) {
                Some(d) if d.is_ascii_digit() => {
                    digits.push(*d);
                    group_len += 1;
                    j += 1;
                }
                Some(&sep @ (' ' | '-')) if chars.get(j + 1).is_some_and(char::is_ascii_digit) => {
                    groups.push(group_len);
                    group_len = 0;
                    separators.push(sep);
                    j += 1;
                }
                _ => break,
            }
        }
        groups.push(group_len);
        let end = j;
        i = end.max(start + 1);

        if !(6..=20).contains(&digits.len())
            || chars.get(end).is_some_and(|c| is_word_char(*c))
            || overlaps(claimed, start, end)
            || looks_like_phone(chars, start)
            || looks_like_amount(chars, start, end)
            || looks_like_date(&groups, &separators)
            || !bank_labelled(labels, start, end)
        {
            continue;
        }
        out.push((start, end, digits));
    }
    out
}

/// `+86 138...`, `(0755) ...`, and the number after an area code in parentheses:
/// `(0755) 8888 1234`.
fn looks_like_phone(chars: &[char], start: usize) -> bool {
    let mut before = chars[..start].iter().rev().filter(|c| !c.is_whitespace());
    match before.next() {
        Some('+' | '(' | '（') => true,
        Some(')' | '）') => before.next().is_some_and(char::is_ascii_digit),
        _ => false,
    }
}

/// Decimals (`1234567.00`, `1,234,567`) and numbers after a currency.
fn looks_like_amount(chars: &[char], start: usize, end: usize) -> bool {
    let decimal_after = matches!(chars.get(end), Some('.' | ','))
        && chars.get(end + 1).is_some_and(char::is_ascii_digit);
    let decimal_before =
        start >= 2 && matches!(chars[start - 1], '.' | ',') && chars[start - 2].is_ascii_digit();
    if decimal_after || decimal_before {
        return true;
    }
    // The word just before, skipping spaces.
    let mut k = start;
    while k > 0 && chars[k - 1].is_whitespace() {
        k -= 1;
    }
    if k > 0 && matches!(chars[k - 1], '$' | '¥' | '￥' | '€' | '£') {
        return true;
    }
    let word_end = k;
    while k > 0 && is_word_char(chars[k - 1]) {
        k -= 1;
    }
    let word: String = chars[k..word_end]
        .iter()
        .map(char::to_ascii_uppercase)
        .collect();
    matches!(
        word.as_str(),
        "USD" | "EUR" | "RMB" | "CNY" | "HKD" | "GBP" | "JPY" | "AUD" | "CAD" | "US"
    )
}

/// `2026-11-26`, `26-11-2026`.
fn looks_like_date(groups: &[usize], separators: &[char]) -> bool {
    separators.iter().all(|s| *s == '-') && matches!(groups, [4, 2, 2] | [2, 2, 4])
}

// --- countries ---

/// ISO 3166-1 alpha-2 codes, plus XK (Kosovo), which SWIFT and IBANs use.
const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

fn is_country(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The server's designated account (`trade-server/src/payments/mod.rs`).
    fn designated() -> BeneficiaryAccount {
        BeneficiaryAccount {
            beneficiary: "Trade Center Escrow Ltd.".to_owned(),
            bank: "Citibank N.A. Hong Kong Branch".to_owned(),
            account_number: "HK 0060 3920 1245 77".to_owned(),
            swift: "CITIHKHX".to_owned(),
            bank_address: "3 Garden Road, Central, Hong Kong".to_owned(),
        }
    }

    fn findings(text: &str) -> Vec<(BankDetailKind, String)> {
        scan(text, &designated())
            .map(|w| {
                assert!(!w.findings.is_empty(), "a warning always has findings");
                w.findings.into_iter().map(|f| (f.kind, f.value)).collect()
            })
            .unwrap_or_default()
    }

    fn detail(kind: BankDetailKind, value: &str) -> (BankDetailKind, String) {
        (kind, value.to_owned())
    }

    #[test]
    fn country_list_is_sorted_and_complete() {
        assert!(
            COUNTRIES.windows(2).all(|w| w[0] < w[1]),
            "binary search needs order"
        );
        assert_eq!(COUNTRIES.len(), 250, "249 ISO 3166-1 codes plus XK");
        assert!(IBAN_LENGTHS.iter().all(|(c, _)| is_country(c)));
    }

    #[test]
    fn account_switch_message_is_flagged() {
        let text =
            "Our bank changed, please remit to HSBC, account 817-234567-838, SWIFT HSBCHKHHHKH";
        assert_eq!(
            findings(text),
            vec![
                detail(BankDetailKind::AccountNumber, "817234567838"),
                detail(BankDetailKind::SwiftBic, "HSBCHKHHHKH"),
            ]
        );
    }

    #[test]
    fn valid_iban_is_flagged_even_without_bank_words() {
        assert_eq!(
            findings("Please use DE89 3704 0044 0532 0130 00 from now on."),
            vec![detail(BankDetailKind::Iban, "DE89370400440532013000")]
        );
        assert_eq!(
            findings("new one: gb82-west-1234-5698-7654-32"),
            vec![detail(BankDetailKind::Iban, "GB82WEST12345698765432")]
        );
        assert_eq!(
            findings("DE89370400440532013000"),
            vec![detail(BankDetailKind::Iban, "DE89370400440532013000")]
        );
    }

    #[test]
    fn iban_followed_by_words_ends_at_its_length() {
        assert_eq!(
            findings("IBAN DE89 3704 0044 0532 0130 00 THANKS"),
            vec![detail(BankDetailKind::Iban, "DE89370400440532013000")]
        );
    }

    #[test]
    fn iban_with_a_wrong_checksum_is_not_an_iban() {
        // No bank words: nothing at all.
        assert_eq!(
            findings("Please use DE88 3704 0044 0532 0130 00 from now on."),
            vec![]
        );
        // Labelled: still not an IBAN finding (its digits may count as an account).
        let found = findings("IBAN: DE88 3704 0044 0532 0130 00");
        assert!(
            found.iter().all(|(k, _)| *k != BankDetailKind::Iban),
            "{found:?}"
        );
    }

    #[test]
    fn iban_with_the_wrong_length_for_its_country_is_not_an_iban() {
        // German IBANs are 22 characters; this 21-character one passes mod 97.
        assert!(iban_checksum_ok("DE5137040044053201300"));
        assert_eq!(findings("DE51 3704 0044 0532 0130 0"), vec![]);
        // The right checksum for a country outside the table only counts near a bank
        // word.
        let cn = "CN6712345678901234";
        assert!(iban_checksum_ok(cn), "test value must pass mod 97");
        assert_eq!(findings(&format!("Order ref {cn} shipped")), vec![]);
        assert_eq!(
            findings(&format!("Beneficiary IBAN {cn}")),
            vec![detail(BankDetailKind::Iban, cn)]
        );
    }

    #[test]
    fn checksum_examples() {
        assert!(iban_checksum_ok("DE89370400440532013000"));
        assert!(iban_checksum_ok("GB82WEST12345698765432"));
        assert!(iban_checksum_ok("NL91ABNA0417164300"));
        assert!(!iban_checksum_ok("DE88370400440532013000"));
        assert!(!iban_checksum_ok("GB82WEST12345698765433"));
    }

    #[test]
    fn the_designated_account_is_not_a_finding() {
        let d = designated();
        let text = format!(
            "Please pay to {}, {}, account {}, SWIFT {}, {}.",
            d.beneficiary, d.bank, d.account_number, d.swift, d.bank_address
        );
        assert_eq!(scan(&text, &d), None);
        // Quoted without the country prefix or spaces, BIC11 form, lower case label.
        assert_eq!(
            scan("bank account 00603920124577, swift code: CITIHKHXXXX", &d),
            None
        );
    }

    #[test]
    fn designated_and_other_details_together_flag_only_the_other() {
        let text = "Not CITIHKHX any more: our bank account is now 6222 0212 3456 7890";
        assert_eq!(
            findings(text),
            vec![detail(BankDetailKind::AccountNumber, "6222021234567890")]
        );
    }

    #[test]
    fn ordinary_order_chat_is_not_flagged() {
        assert_eq!(findings("PO 20261126, 500 pcs, model LED6060"), vec![]);
        assert_eq!(
            findings("We received your transfer for PO 20261126, thank you."),
            vec![]
        );
        assert_eq!(
            findings(
                "Invoice 20261126 attached; the bank transfer of USD 1250000 is due 2026-12-01."
            ),
            vec![]
        );
        assert_eq!(
            findings("The deposit of 1234567.50 reached our bank account today."),
            vec![]
        );
    }

    #[test]
    fn phone_numbers_are_not_flagged() {
        assert_eq!(
            findings("Call me on +86 138 2345 6789 or WhatsApp +852 9123 4567 any time."),
            vec![]
        );
        assert_eq!(
            findings("If the bank transfer is late call +86 138 2345 6789 or (0755) 8888 1234"),
            vec![]
        );
        assert_eq!(
            findings("Bank holiday tomorrow, tel 0755-8888-1234, mobile 13823456789"),
            vec![]
        );
        // Next to a bank word, with nothing but the number's own format to go by.
        assert_eq!(findings("For bank questions: +86 138 2345 6789"), vec![]);
        assert_eq!(findings("For bank questions: (0755) 8888 1234"), vec![]);
    }

    #[test]
    fn shouted_words_are_not_bics() {
        assert_eq!(findings("PLEASEXX CONFIRM THE SAMPLES ASAP"), vec![]);
        assert_eq!(
            findings("BENEFICIARY NAME IS THE SAME, TRANSFER AS USUAL"),
            vec![]
        );
    }

    #[test]
    fn bic_needs_bank_context_or_a_clear_format() {
        // Near a bank word.
        assert_eq!(
            findings("Send it via Deutsche Bank DEUTDEFF please"),
            vec![detail(BankDetailKind::SwiftBic, "DEUTDEFF")]
        );
        // No bank word, but a digit in the location code: clearly a code.
        assert_eq!(
            findings("New code DEUTDEFF500 from Monday"),
            vec![detail(BankDetailKind::SwiftBic, "DEUTDEFF500")]
        );
        // No bank word, no digit: an ordinary upper-case token.
        assert_eq!(findings("New code DEUTDEFF from Monday"), vec![]);
        // Invalid country in 5–6.
        assert_eq!(findings("bank code ABCDQQ22"), vec![]);
        // Lower case only straight after "SWIFT".
        assert_eq!(
            findings("swift: hsbchkhh"),
            vec![detail(BankDetailKind::SwiftBic, "HSBCHKHH")]
        );
        assert_eq!(findings("the bank is in shanghai"), vec![]);
    }

    #[test]
    fn chinese_supplier_message_is_flagged() {
        assert_eq!(
            findings("请汇款到新的银行账户 6222 0212 3456 7890 123"),
            vec![detail(BankDetailKind::AccountNumber, "6222021234567890123")]
        );
        assert_eq!(
            findings("账号：6222021234567890123"),
            vec![detail(BankDetailKind::AccountNumber, "6222021234567890123")]
        );
    }

    #[test]
    fn other_languages_and_labels_after_the_number() {
        assert_eq!(
            findings("Neue Kontonummer 12345678"),
            vec![detail(BankDetailKind::AccountNumber, "12345678")]
        );
        assert_eq!(
            findings("Número de cuenta 0049 1500 0512 3456"),
            vec![detail(BankDetailKind::AccountNumber, "0049150005123456")]
        );
        assert_eq!(
            findings("Use 817234567838 (our new account)"),
            vec![detail(BankDetailKind::AccountNumber, "817234567838")]
        );
        assert_eq!(
            findings("a/c no. 817234567838"),
            vec![detail(BankDetailKind::AccountNumber, "817234567838")]
        );
    }

    #[test]
    fn account_number_length_limits() {
        assert_eq!(findings("account 12345"), vec![]);
        assert_eq!(
            findings("account 123456"),
            vec![detail(BankDetailKind::AccountNumber, "123456")]
        );
        assert_eq!(findings("account 123456789012345678901"), vec![]);
    }

    #[test]
    fn each_detail_is_reported_once() {
        let text = "account 817234567838. Again: account 817-234567-838";
        assert_eq!(
            findings(text),
            vec![detail(BankDetailKind::AccountNumber, "817234567838")]
        );
    }

    proptest! {
        /// Any text scans without panicking, and findings are normalized.
        #[test]
        fn any_text_scans(text in "\\PC{0,200}") {
            check_normalized(&text);
        }

        /// Text made of the characters bank details are made of, and labels.
        #[test]
        fn bank_like_text_scans(
            parts in proptest::collection::vec(
                prop_oneof![
                    "[A-Z]{2}[0-9]{2}",
                    "[0-9]{1,8}",
                    "[A-Za-z]{4,11}",
                    "[ \\-+()：.,]",
                    proptest::sample::select(vec![
                        " account ", " IBAN ", " SWIFT: ", "账户", " PO ", " tel ", " USD ",
                    ]).prop_map(str::to_owned),
                ],
                0..30,
            )
        ) {
            check_normalized(&parts.concat());
        }
    }

    fn check_normalized(text: &str) {
        if let Some(w) = scan(text, &designated()) {
            assert!(!w.findings.is_empty());
            for f in w.findings {
                assert_eq!(f.value, normalize(&f.value));
                assert!(f.value.chars().all(|c| c.is_ascii_alphanumeric()), "{f:?}");
            }
        }
    }

    #[test]
    fn empty_and_plain_text_give_none() {
        assert_eq!(scan("", &designated()), None);
        assert_eq!(scan("Hello, samples ship tomorrow.", &designated()), None);
    }
}
