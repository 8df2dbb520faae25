//! Account numbers: digit groups whose nearest label is a bank word, and not a phone
//! number, an amount or a date.

use super::*;

/// Account numbers in `chars`, outside `claimed`: (start, end, digits).
pub(super) fn find_account_numbers(
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
pub(super) fn looks_like_phone(chars: &[char], start: usize) -> bool {
    let mut before = chars[..start].iter().rev().filter(|c| !c.is_whitespace());
    match before.next() {
        Some('+' | '(' | '（') => true,
        Some(')' | '）') => before.next().is_some_and(char::is_ascii_digit),
        _ => false,
    }
}

/// Decimals (`1234567.00`, `1,234,567`) and numbers after a currency.
pub(super) fn looks_like_amount(chars: &[char], start: usize, end: usize) -> bool {
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
pub(super) fn looks_like_date(groups: &[usize], separators: &[char]) -> bool {
    separators.iter().all(|s| *s == '-') && matches!(groups, [4, 2, 2] | [2, 2, 4])
}
