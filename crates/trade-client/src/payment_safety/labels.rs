//! Labels: the words that say what a nearby number is (bank words and the others).

/// A word that says what a nearby number is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Label {
    pub(super) start: usize,
    pub(super) end: usize,
    /// A bank word (as opposed to an order, phone, amount... word).
    pub(super) bank: bool,
}

/// How a label must sit in the text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Match {
    /// Starts a word and may go on ("remit" matches "remittance").
    Prefix,
    /// A whole word ("po" does not match "pound").
    Word,
    /// Anywhere (Chinese has no spaces between words).
    Anywhere,
}

pub(super) const BANK_LABELS: &[(&str, Match)] = &[
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
pub(super) const OTHER_LABELS: &[(&str, Match)] = &[
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

pub(super) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// All labels in `chars`, in order of position. Matching is ASCII case-insensitive.
pub(super) fn find_labels(chars: &[char]) -> Vec<Label> {
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
pub(super) const LABEL_BEFORE_WINDOW: usize = 48;
/// ...or, when none is before it, start at most this many chars after it.
pub(super) const LABEL_AFTER_WINDOW: usize = 24;

/// Whether the number at `start..end` is labelled as bank details: the nearest label
/// before it (within the window) is a bank word, or there is none before it and the
/// first label after it (within the window) is one.
pub(super) fn bank_labelled(labels: &[Label], start: usize, end: usize) -> bool {
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
pub(super) fn bank_word_near(labels: &[Label], start: usize, end: usize) -> bool {
    labels.iter().any(|l| {
        l.bank
            && ((l.end <= start && start - l.end <= LABEL_BEFORE_WINDOW)
                || (l.start >= end && l.start - end <= LABEL_AFTER_WINDOW))
    })
}

pub(super) fn overlaps(claimed: &[(usize, usize)], start: usize, end: usize) -> bool {
    claimed.iter().any(|&(s, e)| start < e && s < end)
}
