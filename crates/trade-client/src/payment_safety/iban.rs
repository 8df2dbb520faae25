//! IBANs: the country's length and the mod-97 checksum.

use super::*;

/// IBAN lengths of common IBAN countries (SWIFT IBAN registry). Countries not listed
/// accept 15–34 characters.
pub(super) const IBAN_LENGTHS: &[(&str, usize)] = &[
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

pub(super) const IBAN_MIN: usize = 15;
pub(super) const IBAN_MAX: usize = 34;

/// IBANs in `chars`: (start, end) char positions and the normalized IBAN.
pub(super) fn find_ibans(chars: &[char], labels: &[Label]) -> Vec<(usize, usize, String)> {
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
pub(super) fn iban_at(chars: &[char], labels: &[Label], i: usize) -> Option<(usize, String)> {
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
pub(super) fn iban_checksum_ok(iban: &str) -> bool {
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
