//! SWIFT/BIC codes, as tokens that are clearly codes or sit near a bank word.

use super::*;

/// SWIFT/BIC codes in `chars`, outside `claimed`.
pub(super) fn find_bics(
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
pub(super) fn bic_format_ok(upper: &str) -> bool {
    let b = upper.as_bytes();
    b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(u8::is_ascii_alphanumeric)
        && is_country(&upper[4..6])
}

/// Whether the token is itself a label word (e.g. "BENEFICIARY", "TRANSFER",
/// "CITIBANK"). Short labels ("po", "pi") are ignored: real BICs start with them.
pub(super) fn is_label_word(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    BANK_LABELS
        .iter()
        .chain(OTHER_LABELS)
        .any(|(w, how)| *how != Match::Anywhere && w.len() >= 4 && lower.starts_with(w))
        || lower.ends_with("bank")
}

/// Whether the token at `start` follows "SWIFT"/"BIC" with only punctuation, spaces
/// and the words "code"/"no" between them.
pub(super) fn directly_after_swift_label(chars: &[char], labels: &[Label], start: usize) -> bool {
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
