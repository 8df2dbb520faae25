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
    let text = "Our bank changed, please remit to HSBC, account 817-234567-838, SWIFT HSBCHKHHHKH";
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
        findings("Invoice 20261126 attached; the bank transfer of USD 1250000 is due 2026-12-01."),
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
