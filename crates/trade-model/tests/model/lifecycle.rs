#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Example-based tests of the order lifecycle (design §3): each test names one rule a
//! buyer or supplier would notice and fails if that rule is removed.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use trade_model::dispute::{DisputeAction, DisputeReason, DisputeStatus};
use trade_model::error::FieldError;
use trade_model::order::{
    self, ActionKind, Actor, DeadlineKind, Incoterm, InstallmentKind, Order, OrderAction, OrderBox,
    OrderLine, OrderOrigin, OrderStatus, OrderTerms, Party, PaymentMethod, PaymentTerms,
    ShippingMethod, apply, available_actions, card_fee, order_box, validate_terms,
};
use trade_model::{AccountId, Currency, DisputeId, DocumentId, Money, OrderId, PaymentId};

const BUYER: Actor = Actor::Party(Party::Buyer);
const SUPPLIER: Actor = Actor::Party(Party::Supplier);
const SYSTEM: Actor = Actor::System;
const OPERATOR: Actor = Actor::Operator;

const TOTAL: i64 = 10_000;
const DEPOSIT: i64 = 3_000;
const BALANCE: i64 = 7_000;

// ---------------------------------------------------------------- fixtures

/// Monday 2026-03-02 09:00Z.
fn t0() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap()
}

fn minus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_sub(d).unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn line(product: &str, quantity: u64, unit_price_minor: i64) -> OrderLine {
    OrderLine {
        product: product.to_owned(),
        quantity,
        unit: "pieces".to_owned(),
        unit_price_minor,
    }
}

/// 100 pieces at USD 1.00: USD 100.00, paid in full.
fn full_terms() -> OrderTerms {
    OrderTerms {
        lines: vec![line("LED panel", 100, 100)],
        currency: Currency::USD,
        incoterm: Incoterm::Fob,
        shipping_method: ShippingMethod::Sea,
        ship_by: date("2026-05-01"),
        payment_terms: PaymentTerms::Full,
        remarks: String::new(),
        documents: vec![],
    }
}

/// The same order, 30 % deposit and 70 % balance.
fn deposit_terms() -> OrderTerms {
    OrderTerms {
        payment_terms: PaymentTerms::DepositBalance {
            deposit_minor: DEPOSIT,
            balance_minor: BALANCE,
        },
        ..full_terms()
    }
}

fn create_by(created_by: Party, terms: OrderTerms) -> Order {
    order::create(
        OrderId::new(),
        AccountId::new(),
        AccountId::new(),
        None,
        OrderOrigin::Template,
        created_by,
        terms,
        t0(),
    )
    .unwrap()
}

/// Applies an action that must be accepted, and checks the version went up by one.
fn ok(o: &Order, actor: Actor, action: OrderAction, now: Timestamp) -> Order {
    match apply(o, actor, &action, now) {
        Ok(next) => {
            assert_eq!(
                next.version,
                o.version + 1,
                "{action:?} must bump the version"
            );
            assert_eq!(next.updated_at, now);
            next
        }
        Err(e) => panic!("{action:?} by {actor:?} refused in {:?}: {e:?}", o.status),
    }
}

/// Applies an action that must be refused; returns the machine-readable code.
fn refused(o: &Order, actor: Actor, action: OrderAction, now: Timestamp) -> &'static str {
    match apply(o, actor, &action, now) {
        Ok(next) => panic!(
            "{action:?} by {actor:?} accepted in {:?} (now {:?})",
            o.status, next.status
        ),
        Err(e) => e.code().as_str(),
    }
}

fn confirm(o: &Order) -> OrderAction {
    OrderAction::Confirm { version: o.version }
}

fn pay(amount_minor: i64) -> (PaymentId, OrderAction) {
    let id = PaymentId::new();
    (
        id,
        OrderAction::BeginPayment {
            payment_id: id,
            method: PaymentMethod::TelegraphicTransfer,
            amount_minor,
        },
    )
}

fn succeeded(payment_id: PaymentId) -> OrderAction {
    OrderAction::PaymentSucceeded { payment_id }
}

fn ship() -> OrderAction {
    OrderAction::Ship {
        carrier: "COSCO".to_owned(),
        tracking_number: "COSU1234567".to_owned(),
    }
}

fn cancel() -> OrderAction {
    OrderAction::Cancel {
        reason: "changed my mind".to_owned(),
    }
}

fn file(claim_minor: i64) -> OrderAction {
    OrderAction::Dispute(DisputeAction::File {
        dispute_id: DisputeId::new(),
        reason: DisputeReason::QualityProblem,
        claim_minor,
        description: "Half the panels flicker.".to_owned(),
        evidence: vec![],
    })
}

fn propose(refund_minor: i64) -> OrderAction {
    OrderAction::Dispute(DisputeAction::Propose {
        refund_minor,
        note: "We refund part of it.".to_owned(),
    })
}

fn decide(refund_minor: i64) -> OrderAction {
    OrderAction::Dispute(DisputeAction::Decide {
        refund_minor,
        note: "Decided on the evidence.".to_owned(),
    })
}

fn dispute(a: DisputeAction) -> OrderAction {
    OrderAction::Dispute(a)
}

/// Buyer-created at t0, confirmed by the supplier an hour later.
fn ordered(terms: OrderTerms) -> Order {
    let o = create_by(Party::Buyer, terms);
    ok(
        &o,
        SUPPLIER,
        confirm(&o),
        plus(t0(), SignedDuration::from_hours(1)),
    )
}

/// A full-payment order paid on day 1.
fn paid() -> Order {
    let o = ordered(full_terms());
    let (id, begin) = pay(TOTAL);
    let o = ok(&o, BUYER, begin, plus(t0(), days(1)));
    ok(&o, SYSTEM, succeeded(id), plus(t0(), days(2)))
}

/// Shipped on day 10.
fn shipped() -> Order {
    ok(&paid(), SUPPLIER, ship(), plus(t0(), days(10)))
}

/// Receipt confirmed on day 20.
fn completed() -> Order {
    ok(
        &shipped(),
        BUYER,
        OrderAction::ConfirmReceipt,
        plus(t0(), days(20)),
    )
}

fn boxes(o: &Order) -> (OrderBox, OrderBox) {
    (order_box(o, Party::Buyer), order_box(o, Party::Supplier))
}

fn field_errors(r: Result<Money, Vec<FieldError>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r
        .unwrap_err()
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
    v.sort();
    v
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

fn today() -> Date {
    date("2026-03-02")
}

// ---------------------------------------------------------------- drafts

#[test]
fn a_valid_draft_passes_with_its_total() {
    assert_eq!(
        validate_terms(&full_terms(), today()),
        Ok(Money::new(TOTAL, Currency::USD))
    );
    assert_eq!(
        validate_terms(&deposit_terms(), today()),
        Ok(Money::new(TOTAL, Currency::USD))
    );
}

#[test]
fn a_draft_with_many_problems_reports_all_of_them_with_field_paths() {
    let terms = OrderTerms {
        lines: vec![
            line("LED panel", 0, 100),
            line("Power supply", 5, -20),
            line("Cable", 10, 50),
        ],
        incoterm: Incoterm::from("XYZ".to_owned()),
        ship_by: today(),
        payment_terms: PaymentTerms::DepositBalance {
            deposit_minor: 100,
            balance_minor: 100,
        },
        ..full_terms()
    };
    let errors = field_errors(validate_terms(&terms, today()));
    for expected in [
        pair("lines[0].quantity", "quantity_not_positive"),
        pair("lines[1].unit_price_minor", "unit_price_negative"),
        pair("incoterm", "unknown_incoterm"),
        pair("ship_by", "ship_by_not_future"),
        pair("payment_terms", "installments_do_not_add_up"),
    ] {
        assert!(
            errors.contains(&expected),
            "{expected:?} missing from {errors:?}"
        );
    }
    assert!(
        !errors.iter().any(|(f, _)| f.starts_with("lines[2]")),
        "the good line has no error: {errors:?}"
    );

    // Creating the order refuses it with the same list, under order.invalid_terms.
    let err = order::create(
        OrderId::new(),
        AccountId::new(),
        AccountId::new(),
        None,
        OrderOrigin::Template,
        Party::Buyer,
        terms,
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "order.invalid_terms");
    let details = err.details().unwrap();
    assert_eq!(details.as_array().unwrap().len(), errors.len());
    assert!(details.to_string().contains("lines[1].unit_price_minor"));
}

#[test]
fn each_draft_rule_on_its_own_gives_exactly_its_field_error() {
    type Mutate = fn(&mut OrderTerms);
    let cases: Vec<(Mutate, (String, String))> = vec![
        (|t| t.lines.clear(), pair("lines", "no_lines")),
        (
            |t| t.lines[0].quantity = 0,
            pair("lines[0].quantity", "quantity_not_positive"),
        ),
        (
            |t| t.lines[0].unit_price_minor = -1,
            pair("lines[0].unit_price_minor", "unit_price_negative"),
        ),
        (
            |t| t.incoterm = Incoterm::from("XYZ".to_owned()),
            pair("incoterm", "unknown_incoterm"),
        ),
        (
            |t| t.ship_by = date("2026-03-02"),
            pair("ship_by", "ship_by_not_future"),
        ),
        (
            |t| t.ship_by = date("2026-02-01"),
            pair("ship_by", "ship_by_not_future"),
        ),
        (
            |t| {
                t.payment_terms = PaymentTerms::DepositBalance {
                    deposit_minor: DEPOSIT,
                    balance_minor: BALANCE + 1,
                }
            },
            pair("payment_terms", "installments_do_not_add_up"),
        ),
        (
            |t| t.lines[0].product = "  ".to_owned(),
            pair("lines[0].product", "product_required"),
        ),
        (
            |t| t.lines[0].unit = String::new(),
            pair("lines[0].unit", "unit_required"),
        ),
    ];
    for (mutate, expected) in cases {
        // Two lines, so that one bad line leaves a positive total (USD 105.00).
        let mut terms = full_terms();
        terms.lines.push(line("Cable", 10, 50));
        assert!(validate_terms(&terms, today()).is_ok());
        mutate(&mut terms);
        let errors = field_errors(validate_terms(&terms, today()));
        assert_eq!(errors, vec![expected]);
    }
}

#[test]
fn ship_by_tomorrow_is_the_earliest_accepted_date() {
    let terms = OrderTerms {
        ship_by: date("2026-03-03"),
        ..full_terms()
    };
    assert!(validate_terms(&terms, today()).is_ok());
}

#[test]
fn an_unknown_incoterm_sent_by_a_client_is_a_field_error_not_a_parse_failure() {
    let mut json = serde_json::to_value(full_terms()).unwrap();
    json["incoterm"] = serde_json::json!("XYZ");
    let terms: OrderTerms = serde_json::from_value(json).unwrap();
    assert_eq!(terms.incoterm, Incoterm::Unknown("XYZ".to_owned()));
    let errors = field_errors(validate_terms(&terms, today()));
    assert_eq!(errors, vec![pair("incoterm", "unknown_incoterm")]);
    // Known terms are read case-insensitively and written in capitals.
    assert_eq!(Incoterm::from("cif".to_owned()), Incoterm::Cif);
    assert_eq!(String::from(Incoterm::Ddp), "DDP");
}

#[test]
fn the_eleven_incoterms_2020_rules_and_ddu_are_known_and_valid_on_an_order() {
    let names: Vec<String> = Incoterm::KNOWN.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        names,
        [
            "EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP", "DDU"
        ]
    );
    for rule in Incoterm::KNOWN {
        assert_eq!(Incoterm::from(rule.to_string().to_lowercase()), rule);
        assert!(rule.named_place().is_some(), "{rule} has a named place");
        let mut terms = full_terms();
        terms.incoterm = rule.clone();
        assert!(
            validate_terms(&terms, today()).is_ok(),
            "{rule} on an order"
        );
    }
}

#[test]
fn an_uploaded_contract_order_needs_the_contract() {
    let err = order::create(
        OrderId::new(),
        AccountId::new(),
        AccountId::new(),
        None,
        OrderOrigin::UploadedContract,
        Party::Supplier,
        full_terms(),
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "order.invalid_terms");
    assert!(err.details().unwrap().to_string().contains("documents"));

    let with_pi = OrderTerms {
        documents: vec![DocumentId::new()],
        ..full_terms()
    };
    assert!(
        order::create(
            OrderId::new(),
            AccountId::new(),
            AccountId::new(),
            None,
            OrderOrigin::UploadedContract,
            Party::Supplier,
            with_pi,
            t0(),
        )
        .is_ok()
    );
}

// ---------------------------------------------------------------- confirmation

#[test]
fn a_buyer_created_order_waits_for_the_supplier() {
    let o = create_by(Party::Buyer, full_terms());
    assert_eq!(o.status, OrderStatus::AwaitingConfirmation);
    assert_eq!(o.version, 1);
    assert!(o.buyer_confirmed && !o.supplier_confirmed);
    assert_eq!(
        boxes(&o),
        (OrderBox::WaitingForPartner, OrderBox::WaitingForMe)
    );
    assert_eq!(
        order_box(&o, Party::Supplier).label(),
        "Waiting for You to Confirm"
    );
    assert_eq!(
        order_box(&o, Party::Buyer).label(),
        "Waiting for Your Partner to Confirm"
    );
    // The creator has confirmed by creating.
    assert_eq!(
        refused(&o, BUYER, confirm(&o), t0()),
        "order.already_confirmed"
    );
}

#[test]
fn a_supplier_created_order_waits_for_the_buyer() {
    let o = create_by(Party::Supplier, full_terms());
    assert!(o.supplier_confirmed && !o.buyer_confirmed);
    assert_eq!(
        boxes(&o),
        (OrderBox::WaitingForMe, OrderBox::WaitingForPartner)
    );
    assert_eq!(
        refused(&o, SUPPLIER, confirm(&o), t0()),
        "order.already_confirmed"
    );
    let o = ok(&o, BUYER, confirm(&o), t0());
    assert_eq!(o.status, OrderStatus::Ordered);
}

#[test]
fn confirming_a_stale_version_is_a_version_conflict() {
    let o = create_by(Party::Buyer, full_terms());
    let err = apply(&o, SUPPLIER, &OrderAction::Confirm { version: 0 }, t0()).unwrap_err();
    assert_eq!(err.code(), "order.version_conflict");
    assert_eq!(err.details().unwrap()["current_version"], 1);
}

#[test]
fn when_both_have_confirmed_the_order_is_ordered_for_both() {
    let now = plus(t0(), days(2));
    let o = create_by(Party::Buyer, full_terms());
    let o = ok(&o, SUPPLIER, confirm(&o), now);
    assert_eq!(o.status, OrderStatus::Ordered);
    assert!(o.buyer_confirmed && o.supplier_confirmed);
    assert_eq!(o.ordered_at, Some(now));
    assert_eq!(boxes(&o), (OrderBox::Ordered, OrderBox::Ordered));
    assert_eq!(OrderBox::Ordered.label(), "Ordered");
}

#[test]
fn confirming_with_a_pro_forma_invoice_is_a_modification_the_partner_confirms_again() {
    let o = create_by(Party::Supplier, full_terms());
    let now = plus(t0(), days(1));
    // Without a PI: the buyer's plain confirmation, and the order is on.
    let plain = ok(&o, BUYER, OrderAction::confirmation(&o, None), now);
    assert_eq!(plain.status, OrderStatus::Ordered);
    assert_eq!(plain.terms, o.terms);
    // With one: the PI joins the order's documents, and the supplier must confirm again.
    let pi = DocumentId::new();
    let action = OrderAction::confirmation(&o, Some(pi));
    assert!(matches!(action, OrderAction::Modify { version, .. } if version == o.version));
    let m = ok(&o, BUYER, action, now);
    assert_eq!(m.status, OrderStatus::AwaitingConfirmation);
    assert_eq!(
        m.terms.documents,
        [o.terms.documents.clone(), vec![pi]].concat()
    );
    assert!(m.buyer_confirmed && !m.supplier_confirmed);
    assert_eq!(
        boxes(&m),
        (OrderBox::WaitingForPartner, OrderBox::WaitingForMe)
    );
}

#[test]
fn modifying_confirms_for_the_modifier_clears_the_partner_and_bumps_the_version() {
    let o = create_by(Party::Buyer, full_terms());
    let mut changed = full_terms();
    changed.lines[0].unit_price_minor = 90;
    let now = plus(t0(), days(1));
    let m = ok(
        &o,
        SUPPLIER,
        OrderAction::Modify {
            version: o.version,
            terms: changed.clone(),
        },
        now,
    );
    assert_eq!(m.version, 2);
    assert_eq!(m.terms, changed);
    assert!(m.supplier_confirmed && !m.buyer_confirmed);
    assert_eq!(
        boxes(&m),
        (OrderBox::WaitingForMe, OrderBox::WaitingForPartner)
    );
    assert_eq!(m.status, OrderStatus::AwaitingConfirmation);

    // The buyer's confirmation of the old version is now stale...
    assert_eq!(
        refused(&m, BUYER, OrderAction::Confirm { version: 1 }, now),
        "order.version_conflict"
    );
    // ... and a modification of the old version too.
    assert_eq!(
        refused(
            &m,
            BUYER,
            OrderAction::Modify {
                version: 1,
                terms: full_terms()
            },
            now
        ),
        "order.version_conflict"
    );
    // Confirming what is shown now orders it with the new terms.
    let o = ok(&m, BUYER, confirm(&m), now);
    assert_eq!(o.status, OrderStatus::Ordered);
    assert_eq!(o.total_minor(), 9_000);
}

#[test]
fn a_modification_with_invalid_terms_is_refused_with_field_errors() {
    let o = create_by(Party::Buyer, full_terms());
    let mut bad = full_terms();
    bad.lines[0].quantity = 0;
    let err = apply(
        &o,
        SUPPLIER,
        &OrderAction::Modify {
            version: o.version,
            terms: bad,
        },
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "order.invalid_terms");
    assert!(
        err.details()
            .unwrap()
            .to_string()
            .contains("lines[0].quantity")
    );
}

#[test]
fn requesting_a_modification_returns_to_confirmation_with_complementary_views() {
    let o = ordered(full_terms());
    let now = plus(t0(), days(3));
    let r = ok(
        &o,
        SUPPLIER,
        OrderAction::RequestModification {
            note: "Price of copper went up".to_owned(),
        },
        now,
    );
    assert_eq!(r.status, OrderStatus::AwaitingConfirmation);
    assert_eq!(r.ordered_at, None);
    assert_eq!(r.modification_request.as_ref().unwrap().by, Party::Supplier);
    // The requester waits for the partner to change or confirm.
    assert_eq!(
        boxes(&r),
        (OrderBox::WaitingForMe, OrderBox::WaitingForPartner)
    );
    // The buyer confirming as is orders it again.
    let again = ok(&r, BUYER, confirm(&r), now);
    assert_eq!(again.status, OrderStatus::Ordered);
    assert_eq!(again.modification_request, None);

    let r = ok(
        &o,
        BUYER,
        OrderAction::RequestModification {
            note: "Need 200 pieces".to_owned(),
        },
        now,
    );
    assert_eq!(
        boxes(&r),
        (OrderBox::WaitingForPartner, OrderBox::WaitingForMe)
    );
}

#[test]
fn a_modification_cannot_be_requested_once_money_was_paid() {
    let o = ordered(deposit_terms());
    let (id, begin) = pay(DEPOSIT);
    let o = ok(&o, BUYER, begin, plus(t0(), days(1)));
    let o = ok(&o, SYSTEM, succeeded(id), plus(t0(), days(1)));
    assert_eq!(o.status, OrderStatus::Ordered);
    let code = refused(
        &o,
        BUYER,
        OrderAction::RequestModification {
            note: "cheaper please".to_owned(),
        },
        plus(t0(), days(2)),
    );
    assert_eq!(code, "order.paid_cannot_cancel");
}

// ---------------------------------------------------------------- cancelling

#[test]
fn unpaid_orders_can_be_cancelled_by_either_party() {
    let now = plus(t0(), days(1));
    let o = create_by(Party::Buyer, full_terms());
    for actor in [BUYER, SUPPLIER] {
        let c = ok(&o, actor, cancel(), now);
        assert_eq!(c.status, OrderStatus::Cancelled);
        assert_eq!(c.cancelled_at, Some(now));
        assert_eq!(c.cancel_reason.as_deref(), Some("changed my mind"));
        assert_eq!(boxes(&c), (OrderBox::Cancelled, OrderBox::Cancelled));
        assert_eq!(c.next_deadline(), None);
    }
    let c = ok(&ordered(full_terms()), BUYER, cancel(), now);
    assert_eq!(c.status, OrderStatus::Cancelled);
    assert_eq!(refused(&c, BUYER, cancel(), now), "order.invalid_state");
    assert_eq!(refused(&o, OPERATOR, cancel(), now), "order.wrong_party");
}

#[test]
fn orders_with_money_paid_or_moving_cannot_be_cancelled() {
    let now = plus(t0(), days(5));
    // deposit paid, balance due
    let o = ordered(deposit_terms());
    let (id, begin) = pay(DEPOSIT);
    let processing = ok(&o, BUYER, begin, now);
    assert_eq!(
        refused(&processing, BUYER, cancel(), now),
        "order.payment_in_progress"
    );
    let deposit_paid = ok(&processing, SYSTEM, succeeded(id), now);
    for actor in [BUYER, SUPPLIER] {
        assert_eq!(
            refused(&deposit_paid, actor, cancel(), now),
            "order.paid_cannot_cancel"
        );
        assert_eq!(
            refused(&paid(), actor, cancel(), now),
            "order.paid_cannot_cancel"
        );
    }
    assert_eq!(
        refused(&shipped(), BUYER, cancel(), now),
        "order.invalid_state"
    );
    assert_eq!(
        refused(&completed(), BUYER, cancel(), now),
        "order.invalid_state"
    );
}

// ---------------------------------------------------------------- payments

#[test]
fn pay_now_on_a_full_payment_order_pays_the_total() {
    let o = ordered(full_terms());
    let inst = o.next_installment().unwrap();
    assert_eq!(
        (inst.index, inst.kind, inst.amount_minor),
        (0, InstallmentKind::Full, TOTAL)
    );
    let (id, begin) = pay(TOTAL);
    let p = ok(&o, BUYER, begin, plus(t0(), days(1)));
    assert_eq!(p.status, OrderStatus::PaymentProcessing);
    assert_eq!(p.pending_payment.as_ref().unwrap().amount_minor, TOTAL);
    assert_eq!(boxes(&p), (OrderBox::Ordered, OrderBox::Ordered));
    let p = ok(&p, SYSTEM, succeeded(id), plus(t0(), days(2)));
    assert_eq!(p.status, OrderStatus::Paid);
    assert_eq!(p.paid_minor, TOTAL);
    assert_eq!(p.installments_paid, 1);
    assert_eq!(p.next_installment(), None);
    assert_eq!(p.pending_payment, None);
    assert_eq!(
        boxes(&p),
        (OrderBox::AwaitingShipment, OrderBox::AwaitingShipment)
    );
}

#[test]
fn a_deposit_order_is_paid_deposit_first_and_ships_only_after_the_balance() {
    let now = plus(t0(), days(1));
    let o = ordered(deposit_terms());
    assert_eq!(o.next_installment().unwrap().kind, InstallmentKind::Deposit);
    let (id, begin) = pay(DEPOSIT);
    let o = ok(&o, BUYER, begin, now);
    let o = ok(&o, SYSTEM, succeeded(id), now);
    assert_eq!(o.status, OrderStatus::Ordered);
    assert_eq!((o.paid_minor, o.installments_paid), (DEPOSIT, 1));
    let next = o.next_installment().unwrap();
    assert_eq!(
        (next.index, next.kind, next.amount_minor),
        (1, InstallmentKind::Balance, BALANCE)
    );
    assert_eq!(refused(&o, SUPPLIER, ship(), now), "order.invalid_state");
    // The next deadline is the (informational) balance due date.
    assert_eq!(o.next_deadline().unwrap().kind, DeadlineKind::BalanceDue);

    let (id, begin) = pay(BALANCE);
    let o = ok(&o, BUYER, begin, now);
    assert_eq!(refused(&o, SUPPLIER, ship(), now), "order.invalid_state");
    let o = ok(&o, SYSTEM, succeeded(id), now);
    assert_eq!(o.status, OrderStatus::Paid);
    assert_eq!((o.paid_minor, o.installments_paid), (TOTAL, 2));
    assert_eq!(
        refused(&o, BUYER, pay(BALANCE).1, now),
        "order.invalid_state"
    );
    let o = ok(&o, SUPPLIER, ship(), now);
    assert_eq!(o.status, OrderStatus::Shipped);
}

#[test]
fn paying_an_amount_other_than_the_installment_due_is_refused() {
    let o = ordered(deposit_terms());
    let err = apply(&o, BUYER, &pay(TOTAL).1, t0()).unwrap_err();
    assert_eq!(err.code(), "payment.amount_mismatch");
    assert_eq!(err.details().unwrap()["due_minor"], DEPOSIT);
    assert_eq!(
        refused(&ordered(full_terms()), BUYER, pay(TOTAL - 1).1, t0()),
        "payment.amount_mismatch"
    );
}

#[test]
fn the_card_fee_is_2_95_percent_rounded_to_the_cent() {
    assert_eq!(card_fee(Money::new(10_000, Currency::USD)).minor, 295);
    assert_eq!(card_fee(Money::new(123_456, Currency::USD)).minor, 3_642);
    assert_eq!(
        card_fee(Money::new(10_000, Currency::EUR)).currency,
        Currency::EUR
    );
}

#[test]
fn a_failed_payment_returns_the_order_to_ordered_and_it_can_be_paid_again() {
    let now = plus(t0(), days(1));
    let o = ordered(full_terms());
    let (id, begin) = pay(TOTAL);
    let p = ok(&o, BUYER, begin, now);
    assert_eq!(
        refused(&p, BUYER, pay(TOTAL).1, now),
        "order.payment_in_progress"
    );
    assert_eq!(
        refused(
            &p,
            SYSTEM,
            OrderAction::PaymentFailed {
                payment_id: PaymentId::new()
            },
            now
        ),
        "payment.not_in_progress"
    );
    assert_eq!(
        refused(&p, SYSTEM, succeeded(PaymentId::new()), now),
        "payment.not_in_progress"
    );
    let f = ok(
        &p,
        SYSTEM,
        OrderAction::PaymentFailed { payment_id: id },
        now,
    );
    assert_eq!(f.status, OrderStatus::Ordered);
    assert_eq!((f.paid_minor, f.installments_paid), (0, 0));
    assert_eq!(f.pending_payment, None);
    // The failed payment cannot succeed later.
    assert_eq!(
        refused(&f, SYSTEM, succeeded(id), now),
        "order.invalid_state"
    );
    let (id2, begin) = pay(TOTAL);
    let p = ok(&f, BUYER, begin, now);
    let p = ok(&p, OPERATOR, succeeded(id2), now);
    assert_eq!(p.status, OrderStatus::Paid);
}

#[test]
fn only_the_buyer_pays_and_only_the_platform_clears_payments() {
    let o = ordered(full_terms());
    assert_eq!(
        refused(&o, SUPPLIER, pay(TOTAL).1, t0()),
        "order.wrong_party"
    );
    let (id, begin) = pay(TOTAL);
    let p = ok(&o, BUYER, begin, t0());
    assert_eq!(refused(&p, BUYER, succeeded(id), t0()), "order.wrong_party");
    assert_eq!(
        refused(&p, SUPPLIER, succeeded(id), t0()),
        "order.wrong_party"
    );
    assert_eq!(
        refused(
            &p,
            BUYER,
            OrderAction::PaymentFailed { payment_id: id },
            t0()
        ),
        "order.wrong_party"
    );
}

#[test]
fn an_unconfirmed_order_cannot_be_paid() {
    let o = create_by(Party::Buyer, full_terms());
    assert_eq!(
        refused(&o, BUYER, pay(TOTAL).1, t0()),
        "order.invalid_state"
    );
}

// ---------------------------------------------------------------- shipping

#[test]
fn only_the_supplier_ships_and_only_a_paid_order() {
    let now = plus(t0(), days(10));
    assert_eq!(
        refused(&ordered(full_terms()), SUPPLIER, ship(), now),
        "order.invalid_state"
    );
    let p = paid();
    assert_eq!(refused(&p, BUYER, ship(), now), "order.wrong_party");
    assert_eq!(
        refused(
            &p,
            SUPPLIER,
            OrderAction::Ship {
                carrier: "DHL".to_owned(),
                tracking_number: " ".to_owned()
            },
            now
        ),
        "request.invalid_text"
    );
    let s = ok(&p, SUPPLIER, ship(), now);
    assert_eq!(s.status, OrderStatus::Shipped);
    let shipment = s.shipment.as_ref().unwrap();
    assert_eq!(shipment.tracking_number, "COSU1234567");
    assert_eq!(shipment.shipped_at, now);
    assert_eq!(s.receipt_deadline, Some(plus(now, days(30))));
    assert_eq!(boxes(&s), (OrderBox::Shipped, OrderBox::Shipped));
}

#[test]
fn the_ship_by_date_extends_up_to_90_days_in_all() {
    let now = plus(t0(), days(5));
    let p = paid();
    assert_eq!(
        p.next_deadline().unwrap().at,
        "2026-05-02T00:00:00Z".parse().unwrap()
    );
    let e = ok(&p, SUPPLIER, OrderAction::ExtendShipBy { days: 30 }, now);
    let e = ok(&e, SUPPLIER, OrderAction::ExtendShipBy { days: 60 }, now);
    assert_eq!(e.ship_by_extension_days, 90);
    assert_eq!(e.effective_ship_by(), date("2026-07-30"));
    let dl = e.next_deadline().unwrap();
    assert_eq!(dl.kind, DeadlineKind::ShipBy);
    assert_eq!(dl.at, "2026-07-31T00:00:00Z".parse().unwrap());
    let err = apply(&e, SUPPLIER, &OrderAction::ExtendShipBy { days: 1 }, now).unwrap_err();
    assert_eq!(err.code(), "order.ship_by_extension_exceeded");
    assert_eq!(
        refused(&p, SUPPLIER, OrderAction::ExtendShipBy { days: 91 }, now),
        "order.ship_by_extension_exceeded"
    );
    assert_eq!(
        refused(&p, BUYER, OrderAction::ExtendShipBy { days: 1 }, now),
        "order.wrong_party"
    );
    assert_eq!(
        refused(
            &shipped(),
            SUPPLIER,
            OrderAction::ExtendShipBy { days: 1 },
            now
        ),
        "order.invalid_state"
    );
}

#[test]
fn a_modification_replaces_the_ship_by_date_and_its_extensions() {
    // The supplier extends the ship-by date of an ordered order, then asks for new terms.
    let now = plus(t0(), days(2));
    let o = ordered(full_terms());
    let o = ok(&o, SUPPLIER, OrderAction::ExtendShipBy { days: 40 }, now);
    let o = ok(
        &o,
        SUPPLIER,
        OrderAction::RequestModification {
            note: "new date".to_owned(),
        },
        now,
    );
    let new_terms = OrderTerms {
        ship_by: date("2026-06-15"),
        ..full_terms()
    };
    let m = ok(
        &o,
        SUPPLIER,
        OrderAction::Modify {
            version: o.version,
            terms: new_terms,
        },
        now,
    );
    let m = ok(&m, BUYER, confirm(&m), now);
    // The agreed date is the one both parties see and confirmed.
    assert_eq!(m.effective_ship_by(), date("2026-06-15"));
    // And the supplier has the full 90 days of extension on the new date.
    let e = ok(&m, SUPPLIER, OrderAction::ExtendShipBy { days: 90 }, now);
    assert_eq!(e.effective_ship_by(), date("2026-09-13"));
}

// ---------------------------------------------------------------- receipt

#[test]
fn each_side_extends_the_receiving_time_once_by_15_days() {
    let s = shipped();
    let deadline = s.receipt_deadline.unwrap();
    let now = plus(t0(), days(15));
    let b = ok(&s, BUYER, OrderAction::ExtendReceipt, now);
    assert_eq!(b.receipt_deadline, Some(plus(deadline, days(15))));
    assert_eq!(
        refused(&b, BUYER, OrderAction::ExtendReceipt, now),
        "order.receipt_extension_used"
    );
    let both = ok(&b, SUPPLIER, OrderAction::ExtendReceipt, now);
    assert_eq!(both.receipt_deadline, Some(plus(deadline, days(30))));
    assert_eq!(
        refused(&both, SUPPLIER, OrderAction::ExtendReceipt, now),
        "order.receipt_extension_used"
    );
    assert_eq!(
        refused(&paid(), BUYER, OrderAction::ExtendReceipt, now),
        "order.invalid_state"
    );
    assert_eq!(
        refused(&s, SYSTEM, OrderAction::ExtendReceipt, now),
        "order.wrong_party"
    );
}

#[test]
fn confirming_receipt_completes_the_order() {
    let s = shipped();
    let now = plus(t0(), days(20));
    assert_eq!(
        refused(&s, SUPPLIER, OrderAction::ConfirmReceipt, now),
        "order.wrong_party"
    );
    assert_eq!(
        refused(&paid(), BUYER, OrderAction::ConfirmReceipt, now),
        "order.invalid_state"
    );
    let c = ok(&s, BUYER, OrderAction::ConfirmReceipt, now);
    assert_eq!(c.status, OrderStatus::Completed);
    assert_eq!(c.completed_at, Some(now));
    assert_eq!(boxes(&c), (OrderBox::Completed, OrderBox::Completed));
    let dl = c.next_deadline().unwrap();
    assert_eq!(
        (dl.kind, dl.at),
        (DeadlineKind::ProtectionEnds, plus(now, days(30)))
    );
}

#[test]
fn feedback_is_left_once_with_a_rating_from_1_to_5() {
    let c = completed();
    let now = plus(t0(), days(21));
    let fb = |rating: u8| OrderAction::LeaveFeedback {
        rating,
        comment: "Good panels".to_owned(),
    };
    assert_eq!(refused(&c, BUYER, fb(0), now), "order.invalid_feedback");
    assert_eq!(refused(&c, BUYER, fb(6), now), "order.invalid_feedback");
    assert_eq!(refused(&c, SUPPLIER, fb(5), now), "order.wrong_party");
    assert_eq!(
        refused(&shipped(), BUYER, fb(5), now),
        "order.invalid_state"
    );
    let f = ok(&c, BUYER, fb(1), now);
    assert_eq!(f.feedback.as_ref().unwrap().rating, 1);
    assert_eq!(refused(&f, BUYER, fb(5), now), "order.feedback_exists");
    let f5 = ok(&c, BUYER, fb(5), now);
    assert_eq!(f5.feedback.as_ref().unwrap().rating, 5);
}

// ---------------------------------------------------------------- disputes

#[test]
fn disputes_are_filed_on_paid_shipped_or_recently_completed_orders_only() {
    let now = plus(t0(), days(5));
    assert_eq!(
        refused(&create_by(Party::Buyer, full_terms()), BUYER, file(1), now),
        "dispute.not_allowed"
    );
    assert_eq!(
        refused(&ordered(full_terms()), BUYER, file(1), now),
        "dispute.not_allowed"
    );
    let cancelled = ok(&ordered(full_terms()), BUYER, cancel(), now);
    assert_eq!(
        refused(&cancelled, BUYER, file(1), now),
        "dispute.not_allowed"
    );

    let p = ok(&paid(), BUYER, file(TOTAL), now);
    assert_eq!(
        p.dispute.as_ref().unwrap().status,
        DisputeStatus::Negotiating
    );
    assert_eq!(p.dispute.as_ref().unwrap().filed_at, now);
    assert_eq!(boxes(&p), (OrderBox::InDispute, OrderBox::InDispute));
    ok(&shipped(), BUYER, file(TOTAL), plus(t0(), days(11)));

    let c = completed();
    let done = c.completed_at.unwrap();
    ok(&c, BUYER, file(TOTAL), plus(done, days(29)));
    ok(&c, BUYER, file(TOTAL), plus(done, days(30)));
    assert_eq!(
        refused(&c, BUYER, file(TOTAL), plus(done, days(30) + secs(1))),
        "dispute.window_closed"
    );
    assert_eq!(
        refused(&paid(), SUPPLIER, file(TOTAL), now),
        "order.wrong_party"
    );
}

#[test]
fn a_claim_is_positive_and_at_most_what_was_paid() {
    let now = plus(t0(), days(5));
    let err = apply(&paid(), BUYER, &file(TOTAL + 1), now).unwrap_err();
    assert_eq!(err.code(), "dispute.exceeds_paid");
    assert_eq!(err.details().unwrap()["paid_minor"], TOTAL);
    assert_eq!(
        refused(&paid(), BUYER, file(0), now),
        "request.invalid_amount"
    );
    let d = ok(&paid(), BUYER, file(TOTAL), now);
    assert_eq!(d.dispute.unwrap().claim_minor, TOTAL);
}

#[test]
fn accepting_a_proposal_records_the_refund_and_completes_a_shipped_order() {
    let filed_at = plus(t0(), days(12));
    let d = ok(&shipped(), BUYER, file(TOTAL), filed_at);
    assert_eq!(
        refused(&d, BUYER, dispute(DisputeAction::AcceptProposal), filed_at),
        "dispute.no_proposal"
    );
    assert_eq!(
        refused(&d, BUYER, propose(1), filed_at),
        "order.wrong_party"
    );
    assert_eq!(
        refused(&d, SUPPLIER, propose(TOTAL + 1), filed_at),
        "dispute.exceeds_paid"
    );
    let d = ok(&d, SUPPLIER, propose(4_000), plus(filed_at, days(1)));
    let d = ok(&d, SUPPLIER, propose(5_000), plus(filed_at, days(1)));
    let now = plus(filed_at, days(2));
    let s = ok(&d, BUYER, dispute(DisputeAction::AcceptProposal), now);
    let dis = s.dispute.as_ref().unwrap();
    assert_eq!(dis.status, DisputeStatus::Settled);
    assert_eq!(
        dis.refund_minor, 5_000,
        "the latest proposal is the one accepted"
    );
    assert_eq!(dis.closed_at, Some(now));
    assert_eq!(s.refunded_minor, 5_000);
    assert_eq!(s.status, OrderStatus::Completed);
    assert_eq!(s.completed_at, Some(now));
    assert_eq!(boxes(&s), (OrderBox::Completed, OrderBox::Completed));
}

#[test]
fn a_full_refund_before_shipment_cancels_the_order_and_a_partial_one_keeps_it() {
    let now = plus(t0(), days(5));
    let d = ok(&paid(), BUYER, file(TOTAL), now);
    let full = ok(&d, SUPPLIER, propose(TOTAL), now);
    let full = ok(&full, BUYER, dispute(DisputeAction::AcceptProposal), now);
    assert_eq!(full.status, OrderStatus::Cancelled);
    assert_eq!(full.refunded_minor, TOTAL);
    assert_eq!(full.next_deadline(), None);

    let part = ok(&d, SUPPLIER, propose(2_000), now);
    let part = ok(&part, BUYER, dispute(DisputeAction::AcceptProposal), now);
    assert_eq!(part.status, OrderStatus::Paid);
    assert_eq!(part.refunded_minor, 2_000);
    let s = ok(&part, SUPPLIER, ship(), now);
    assert_eq!(s.status, OrderStatus::Shipped);
}

#[test]
fn the_buyer_may_escalate_from_day_4_and_not_before() {
    let filed_at = plus(t0(), days(12));
    let d = ok(&shipped(), BUYER, file(TOTAL), filed_at);
    let opens = plus(filed_at, days(3));
    assert_eq!(
        d.dispute.as_ref().unwrap().escalation_opens_at(),
        Some(opens)
    );
    let escalate = || dispute(DisputeAction::Escalate);
    assert_eq!(
        refused(&d, BUYER, escalate(), minus(opens, secs(1))),
        "dispute.escalation_too_early"
    );
    assert_eq!(
        refused(&d, SUPPLIER, escalate(), opens),
        "order.wrong_party"
    );
    let e = ok(&d, BUYER, escalate(), opens);
    let dis = e.dispute.as_ref().unwrap();
    assert_eq!(dis.status, DisputeStatus::Escalated);
    assert_eq!(dis.escalated_at, Some(opens));
    assert!(!dis.auto_escalated);
    assert_eq!(
        refused(&e, BUYER, escalate(), opens),
        "dispute.invalid_state"
    );
    // Escalated, the order waits for the dispute team: no deadline runs.
    assert_eq!(e.next_deadline(), None);
    assert_eq!(
        refused(
            &e,
            SYSTEM,
            OrderAction::ApplyDeadline,
            plus(opens, days(400))
        ),
        "order.deadline_not_due"
    );
}

#[test]
fn negotiation_escalates_by_itself_on_day_7_and_not_a_second_before() {
    let filed_at = plus(t0(), days(12));
    let d = ok(&shipped(), BUYER, file(TOTAL), filed_at);
    let due = plus(filed_at, days(6));
    let dl = d.next_deadline().unwrap();
    assert_eq!((dl.kind, dl.at), (DeadlineKind::DisputeAutoEscalation, due));
    assert_eq!(
        refused(&d, SYSTEM, OrderAction::ApplyDeadline, minus(due, secs(1))),
        "order.deadline_not_due"
    );
    let e = ok(&d, SYSTEM, OrderAction::ApplyDeadline, due);
    let dis = e.dispute.as_ref().unwrap();
    assert_eq!(dis.status, DisputeStatus::Escalated);
    assert!(dis.auto_escalated);
    assert_eq!(dis.escalated_at, Some(due));
    assert_eq!(e.status, OrderStatus::Shipped);
}

#[test]
fn the_dispute_team_decides_a_refund_capped_at_what_was_paid() {
    let filed_at = plus(t0(), days(12));
    let d = ok(&shipped(), BUYER, file(TOTAL), filed_at);
    assert_eq!(
        refused(&d, OPERATOR, decide(100), filed_at),
        "dispute.invalid_state"
    );
    let e = ok(
        &d,
        SYSTEM,
        OrderAction::ApplyDeadline,
        plus(filed_at, days(6)),
    );
    let now = plus(filed_at, days(8));
    assert_eq!(refused(&e, BUYER, decide(100), now), "order.wrong_party");
    assert_eq!(refused(&e, SYSTEM, decide(100), now), "order.wrong_party");
    assert_eq!(
        refused(&e, OPERATOR, decide(TOTAL + 1), now),
        "dispute.exceeds_paid"
    );
    assert_eq!(
        refused(&e, OPERATOR, decide(-1), now),
        "dispute.exceeds_paid"
    );
    let decided = ok(&e, OPERATOR, decide(TOTAL), now);
    let dis = decided.dispute.as_ref().unwrap();
    assert_eq!(dis.status, DisputeStatus::Decided);
    assert_eq!(dis.decision.as_ref().unwrap().refund_minor, TOTAL);
    assert_eq!(decided.refunded_minor, TOTAL);
    assert_eq!(decided.status, OrderStatus::Completed);
    let none = ok(&e, OPERATOR, decide(0), now);
    assert_eq!(none.refunded_minor, 0);
    assert_eq!(none.status, OrderStatus::Completed);
}

#[test]
fn a_withdrawn_dispute_is_final() {
    let now = plus(t0(), days(5));
    let d = ok(&paid(), BUYER, file(TOTAL), now);
    assert_eq!(
        refused(&d, SUPPLIER, dispute(DisputeAction::Withdraw), now),
        "order.wrong_party"
    );
    let w = ok(&d, BUYER, dispute(DisputeAction::Withdraw), now);
    assert_eq!(w.dispute.as_ref().unwrap().status, DisputeStatus::Withdrawn);
    assert_eq!(w.status, OrderStatus::Paid);
    assert_eq!(
        boxes(&w),
        (OrderBox::AwaitingShipment, OrderBox::AwaitingShipment)
    );
    assert_eq!(
        refused(&w, BUYER, file(TOTAL), now),
        "dispute.withdrawn_final"
    );
    assert_eq!(
        refused(&w, BUYER, dispute(DisputeAction::Escalate), now),
        "dispute.invalid_state"
    );
    // ... and after shipment too.
    let s = ok(&w, SUPPLIER, ship(), now);
    assert_eq!(
        refused(&s, BUYER, file(TOTAL), now),
        "dispute.withdrawn_final"
    );
}

#[test]
fn an_order_has_at_most_one_dispute() {
    let now = plus(t0(), days(5));
    let d = ok(&paid(), BUYER, file(TOTAL), now);
    assert_eq!(
        refused(&d, BUYER, file(TOTAL), now),
        "dispute.already_filed"
    );
    let settled = ok(&d, SUPPLIER, propose(1_000), now);
    let settled = ok(&settled, BUYER, dispute(DisputeAction::AcceptProposal), now);
    let s = ok(&settled, SUPPLIER, ship(), now);
    assert_eq!(
        refused(&s, BUYER, file(1_000), now),
        "dispute.already_filed"
    );
    assert_eq!(
        refused(&paid(), SUPPLIER, propose(1), now),
        "dispute.not_found"
    );
}

#[test]
fn an_open_dispute_freezes_the_order_except_for_the_dispute() {
    let filed_at = plus(t0(), days(12));
    let d = ok(&shipped(), BUYER, file(TOTAL), filed_at);
    assert_eq!(
        refused(&d, BUYER, OrderAction::ConfirmReceipt, filed_at),
        "order.dispute_open"
    );
    assert_eq!(
        refused(&d, BUYER, OrderAction::ExtendReceipt, filed_at),
        "order.dispute_open"
    );
    let pd = ok(&paid(), BUYER, file(TOTAL), filed_at);
    assert_eq!(
        refused(&pd, SUPPLIER, ship(), filed_at),
        "order.dispute_open"
    );
}

// ---------------------------------------------------------------- deadlines

#[test]
fn an_unconfirmed_order_is_cancelled_30_days_after_creation_and_not_a_second_earlier() {
    let o = create_by(Party::Buyer, full_terms());
    let due = plus(t0(), days(30));
    let dl = o.next_deadline().unwrap();
    assert_eq!((dl.kind, dl.at), (DeadlineKind::ConfirmationExpires, due));
    assert_eq!(
        refused(&o, SYSTEM, OrderAction::ApplyDeadline, minus(due, secs(1))),
        "order.deadline_not_due"
    );
    let c = ok(&o, SYSTEM, OrderAction::ApplyDeadline, due);
    assert_eq!(c.status, OrderStatus::Cancelled);
    assert_eq!(c.cancelled_at, Some(due));
    assert!(c.cancel_reason.is_some());
    // Nothing more to apply.
    assert_eq!(
        refused(&c, SYSTEM, OrderAction::ApplyDeadline, plus(due, days(100))),
        "order.deadline_not_due"
    );
}

#[test]
fn an_ordered_order_left_unpaid_is_cancelled_60_days_after_confirmation() {
    let o = ordered(full_terms());
    let due = plus(o.ordered_at.unwrap(), days(60));
    let dl = o.next_deadline().unwrap();
    assert_eq!((dl.kind, dl.at), (DeadlineKind::PaymentExpires, due));
    assert_eq!(
        refused(&o, SYSTEM, OrderAction::ApplyDeadline, minus(due, secs(1))),
        "order.deadline_not_due"
    );
    let c = ok(&o, SYSTEM, OrderAction::ApplyDeadline, due);
    assert_eq!(c.status, OrderStatus::Cancelled);
}

#[test]
fn a_payment_not_cleared_in_7_working_days_expires() {
    // Started Monday 09:00: Tue Wed Thu Fri, Mon Tue Wed -> Wednesday of the next week.
    assert_eq!(
        t0().to_zoned_datetime(jiff::tz::TimeZone::UTC).weekday(),
        jiff::civil::Weekday::Monday
    );
    let o = ordered(full_terms());
    let (_, begin) = pay(TOTAL);
    let p = ok(&o, BUYER, begin, t0());
    let due = plus(t0(), days(9));
    let dl = p.next_deadline().unwrap();
    assert_eq!(
        (dl.kind, dl.at),
        (DeadlineKind::PaymentProcessingExpires, due)
    );
    assert_eq!(
        refused(&p, SYSTEM, OrderAction::ApplyDeadline, minus(due, secs(1))),
        "order.deadline_not_due"
    );
    let x = ok(&p, SYSTEM, OrderAction::ApplyDeadline, due);
    assert_eq!(x.status, OrderStatus::Ordered);
    assert_eq!(x.pending_payment, None);
    assert_eq!(x.paid_minor, 0);
    // It can be paid again.
    ok(&x, BUYER, pay(TOTAL).1, due);
}

#[test]
fn a_shipped_order_completes_by_itself_at_the_receipt_deadline() {
    let s = shipped();
    let due = s.receipt_deadline.unwrap();
    let dl = s.next_deadline().unwrap();
    assert_eq!((dl.kind, dl.at), (DeadlineKind::ReceiptAutoComplete, due));
    assert_eq!(
        refused(&s, SYSTEM, OrderAction::ApplyDeadline, minus(due, secs(1))),
        "order.deadline_not_due"
    );
    let c = ok(&s, SYSTEM, OrderAction::ApplyDeadline, due);
    assert_eq!(c.status, OrderStatus::Completed);
    assert_eq!(c.completed_at, Some(due));

    // An extension moves the automatic completion.
    let e = ok(&s, BUYER, OrderAction::ExtendReceipt, plus(t0(), days(15)));
    assert_eq!(
        refused(&e, SYSTEM, OrderAction::ApplyDeadline, due),
        "order.deadline_not_due"
    );
    ok(&e, SYSTEM, OrderAction::ApplyDeadline, plus(due, days(15)));
}

#[test]
fn informational_deadlines_never_act() {
    let far = plus(t0(), days(1_000));
    // Paid: the ship-by date passes; the buyer may dispute, nothing happens by itself.
    let p = paid();
    assert_eq!(p.next_deadline().unwrap().kind, DeadlineKind::ShipBy);
    assert_eq!(
        refused(&p, SYSTEM, OrderAction::ApplyDeadline, far),
        "order.deadline_not_due"
    );
    // Deposit paid: the balance due date passes.
    let o = ordered(deposit_terms());
    let (id, begin) = pay(DEPOSIT);
    let o = ok(&o, BUYER, begin, t0());
    let o = ok(&o, SYSTEM, succeeded(id), t0());
    assert_eq!(o.next_deadline().unwrap().kind, DeadlineKind::BalanceDue);
    assert_eq!(
        refused(&o, SYSTEM, OrderAction::ApplyDeadline, far),
        "order.deadline_not_due"
    );
    // Completed: protection ends.
    let c = completed();
    assert_eq!(
        c.next_deadline().unwrap().kind,
        DeadlineKind::ProtectionEnds
    );
    assert_eq!(
        refused(&c, SYSTEM, OrderAction::ApplyDeadline, far),
        "order.deadline_not_due"
    );
    for kind in [
        DeadlineKind::ShipBy,
        DeadlineKind::BalanceDue,
        DeadlineKind::ProtectionEnds,
    ] {
        assert!(!kind.is_automatic());
    }
}

#[test]
fn an_open_dispute_suspends_the_receipt_deadline() {
    let s = shipped();
    let receipt_due = s.receipt_deadline.unwrap();
    let filed_at = minus(receipt_due, days(1));
    let d = ok(&s, BUYER, file(TOTAL), filed_at);
    // The receipt deadline passes while negotiating: the order does not complete.
    let after = plus(receipt_due, days(1));
    assert_eq!(
        refused(&d, SYSTEM, OrderAction::ApplyDeadline, after),
        "order.deadline_not_due"
    );
    assert_eq!(
        d.next_deadline().unwrap().kind,
        DeadlineKind::DisputeAutoEscalation
    );
    // Withdrawn after 4 days, the buyer gets the day of receiving time that was left.
    let w = ok(
        &d,
        BUYER,
        dispute(DisputeAction::Withdraw),
        plus(filed_at, days(4)),
    );
    assert_eq!(w.status, OrderStatus::Shipped);
    let dl = w.next_deadline().unwrap();
    assert_eq!(
        (dl.kind, dl.at),
        (
            DeadlineKind::ReceiptAutoComplete,
            plus(receipt_due, days(4))
        )
    );
    assert_eq!(
        refused(
            &w,
            SYSTEM,
            OrderAction::ApplyDeadline,
            plus(receipt_due, days(3))
        ),
        "order.deadline_not_due"
    );
    let c = ok(
        &w,
        SYSTEM,
        OrderAction::ApplyDeadline,
        plus(receipt_due, days(4)),
    );
    assert_eq!(c.status, OrderStatus::Completed);
}

#[test]
fn only_the_platform_applies_deadlines() {
    let o = create_by(Party::Buyer, full_terms());
    let due = plus(t0(), days(30));
    for actor in [BUYER, SUPPLIER] {
        assert_eq!(
            refused(&o, actor, OrderAction::ApplyDeadline, due),
            "order.wrong_party"
        );
    }
    ok(&o, OPERATOR, OrderAction::ApplyDeadline, due);
}

// ---------------------------------------------------------------- parties

#[test]
fn the_platform_cannot_act_for_a_party() {
    let o = create_by(Party::Buyer, full_terms());
    for actor in [SYSTEM, OPERATOR] {
        assert_eq!(refused(&o, actor, confirm(&o), t0()), "order.wrong_party");
        assert_eq!(
            refused(
                &o,
                actor,
                OrderAction::Modify {
                    version: o.version,
                    terms: full_terms()
                },
                t0()
            ),
            "order.wrong_party"
        );
        assert_eq!(refused(&paid(), actor, ship(), t0()), "order.wrong_party");
        assert_eq!(
            refused(&shipped(), actor, OrderAction::ConfirmReceipt, t0()),
            "order.wrong_party"
        );
        assert_eq!(refused(&paid(), actor, file(1), t0()), "order.wrong_party");
    }
}

// ---------------------------------------------------------------- available actions

/// A well-formed action of `kind` for `order` (with the right amount and version);
/// `None` for kinds that only label timeline entries.
fn representative(kind: ActionKind, o: &Order) -> Option<OrderAction> {
    Some(match kind {
        ActionKind::Create => return None,
        ActionKind::Confirm => confirm(o),
        ActionKind::Modify => OrderAction::Modify {
            version: o.version,
            terms: full_terms(),
        },
        ActionKind::RequestModification => OrderAction::RequestModification {
            note: "change".to_owned(),
        },
        ActionKind::Cancel => cancel(),
        ActionKind::PayNow => pay(o.next_installment().map_or(TOTAL, |i| i.amount_minor)).1,
        ActionKind::PaymentSucceeded => succeeded(
            o.pending_payment
                .as_ref()
                .map_or_else(PaymentId::new, |p| p.payment_id),
        ),
        ActionKind::PaymentFailed => OrderAction::PaymentFailed {
            payment_id: o
                .pending_payment
                .as_ref()
                .map_or_else(PaymentId::new, |p| p.payment_id),
        },
        ActionKind::Ship => ship(),
        ActionKind::ExtendShipBy => OrderAction::ExtendShipBy { days: 1 },
        ActionKind::ExtendReceipt => OrderAction::ExtendReceipt,
        ActionKind::ConfirmReceipt => OrderAction::ConfirmReceipt,
        ActionKind::LeaveFeedback => OrderAction::LeaveFeedback {
            rating: 4,
            comment: String::new(),
        },
        ActionKind::FileDispute => file((o.paid_minor - o.refunded_minor).max(1)),
        ActionKind::ProposeSettlement => propose(0),
        ActionKind::AcceptProposal => dispute(DisputeAction::AcceptProposal),
        ActionKind::EscalateDispute => dispute(DisputeAction::Escalate),
        ActionKind::DecideDispute => decide(0),
        ActionKind::WithdrawDispute => dispute(DisputeAction::Withdraw),
        ActionKind::ApplyDeadline => OrderAction::ApplyDeadline,
    })
}

const ALL_KINDS: [ActionKind; 19] = [
    ActionKind::Confirm,
    ActionKind::Modify,
    ActionKind::RequestModification,
    ActionKind::Cancel,
    ActionKind::PayNow,
    ActionKind::PaymentSucceeded,
    ActionKind::PaymentFailed,
    ActionKind::Ship,
    ActionKind::ExtendShipBy,
    ActionKind::ExtendReceipt,
    ActionKind::ConfirmReceipt,
    ActionKind::LeaveFeedback,
    ActionKind::FileDispute,
    ActionKind::ProposeSettlement,
    ActionKind::AcceptProposal,
    ActionKind::EscalateDispute,
    ActionKind::DecideDispute,
    ActionKind::WithdrawDispute,
    ActionKind::ApplyDeadline,
];

fn sorted(mut v: Vec<ActionKind>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|k| format!("{k:?}")).collect();
    s.sort();
    s
}

/// `available_actions` is exactly `expected`, and `apply` accepts a well-formed action
/// of each listed kind and refuses one of every other kind.
fn check_actions(o: &Order, viewer: Party, now: Timestamp, expected: &[ActionKind]) {
    let got = available_actions(o, viewer, now);
    assert_eq!(
        sorted(got.clone()),
        sorted(expected.to_vec()),
        "{viewer:?} in {:?}",
        o.status
    );
    for kind in ALL_KINDS {
        let action = representative(kind, o).unwrap();
        let accepted = apply(o, Actor::Party(viewer), &action, now).is_ok();
        assert_eq!(
            accepted,
            got.contains(&kind),
            "{viewer:?} {kind:?} in {:?}: apply and available_actions disagree",
            o.status
        );
    }
}

#[test]
fn available_actions_match_what_each_party_may_do_in_each_state() {
    use ActionKind as K;
    let now = plus(t0(), days(3));

    let o = create_by(Party::Buyer, full_terms());
    check_actions(&o, Party::Buyer, now, &[K::Modify, K::Cancel]);
    check_actions(
        &o,
        Party::Supplier,
        now,
        &[K::Confirm, K::Modify, K::Cancel],
    );

    let o = ordered(full_terms());
    check_actions(
        &o,
        Party::Buyer,
        now,
        &[K::PayNow, K::RequestModification, K::Cancel],
    );
    check_actions(
        &o,
        Party::Supplier,
        now,
        &[K::RequestModification, K::Cancel, K::ExtendShipBy],
    );

    let (_, begin) = pay(TOTAL);
    let processing = ok(&o, BUYER, begin, now);
    check_actions(&processing, Party::Buyer, now, &[]);
    check_actions(&processing, Party::Supplier, now, &[K::ExtendShipBy]);

    let o = ordered(deposit_terms());
    let (id, begin) = pay(DEPOSIT);
    let o = ok(&o, BUYER, begin, now);
    let deposit_paid = ok(&o, SYSTEM, succeeded(id), now);
    // A paid deposit is protected: the buyer may dispute it while the balance is due.
    check_actions(
        &deposit_paid,
        Party::Buyer,
        now,
        &[K::PayNow, K::FileDispute],
    );
    check_actions(&deposit_paid, Party::Supplier, now, &[K::ExtendShipBy]);

    let p = paid();
    check_actions(&p, Party::Buyer, now, &[K::FileDispute]);
    check_actions(&p, Party::Supplier, now, &[K::Ship, K::ExtendShipBy]);

    let s = shipped();
    let now = plus(t0(), days(12));
    check_actions(
        &s,
        Party::Buyer,
        now,
        &[K::ConfirmReceipt, K::ExtendReceipt, K::FileDispute],
    );
    check_actions(&s, Party::Supplier, now, &[K::ExtendReceipt]);

    let d = ok(&s, BUYER, file(TOTAL), now);
    check_actions(&d, Party::Buyer, now, &[K::WithdrawDispute]);
    check_actions(&d, Party::Supplier, now, &[K::ProposeSettlement]);
    let d = ok(&d, SUPPLIER, propose(100), now);
    let day4 = plus(now, days(3));
    check_actions(
        &d,
        Party::Buyer,
        day4,
        &[K::AcceptProposal, K::EscalateDispute, K::WithdrawDispute],
    );
    let e = ok(&d, BUYER, dispute(DisputeAction::Escalate), day4);
    // Once escalated, only the dispute team decides; the buyer may still withdraw.
    check_actions(&e, Party::Buyer, day4, &[K::WithdrawDispute]);
    check_actions(&e, Party::Supplier, day4, &[]);

    let c = completed();
    let now = plus(t0(), days(21));
    check_actions(&c, Party::Buyer, now, &[K::LeaveFeedback, K::FileDispute]);
    check_actions(&c, Party::Supplier, now, &[]);
    let late = plus(c.completed_at.unwrap(), days(31));
    check_actions(&c, Party::Buyer, late, &[K::LeaveFeedback]);

    let x = ok(&ordered(full_terms()), BUYER, cancel(), now);
    check_actions(&x, Party::Buyer, now, &[]);
    check_actions(&x, Party::Supplier, now, &[]);
}

// ---------------------------------------------------------------- wire format

#[test]
fn actions_and_orders_survive_the_outbox_and_the_wire() {
    let actions = vec![
        OrderAction::Confirm { version: 3 },
        OrderAction::Modify {
            version: 3,
            terms: deposit_terms(),
        },
        OrderAction::RequestModification {
            note: "n".to_owned(),
        },
        cancel(),
        pay(TOTAL).1,
        succeeded(PaymentId::new()),
        OrderAction::PaymentFailed {
            payment_id: PaymentId::new(),
        },
        ship(),
        OrderAction::ExtendShipBy { days: 5 },
        OrderAction::ExtendReceipt,
        OrderAction::ConfirmReceipt,
        OrderAction::LeaveFeedback {
            rating: 5,
            comment: "ok".to_owned(),
        },
        file(10),
        propose(5),
        dispute(DisputeAction::AcceptProposal),
        dispute(DisputeAction::Escalate),
        decide(5),
        dispute(DisputeAction::Withdraw),
        OrderAction::ApplyDeadline,
    ];
    for a in actions {
        let json = serde_json::to_string(&a).unwrap();
        let back: OrderAction = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a, "{json}");
    }
    let o = ok(&shipped(), BUYER, file(TOTAL), plus(t0(), days(11)));
    let back: Order = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
    assert_eq!(back, o);
}

#[test]
fn a_modification_request_restarts_the_30_day_confirmation_window() {
    // Ordered for 40 days, then sent back for modification: not cancelled at once.
    let o = ordered(full_terms());
    let later = plus(t0(), days(40));
    let back = ok(
        &o,
        BUYER,
        OrderAction::RequestModification {
            note: "Change the colour.".to_owned(),
        },
        later,
    );
    let deadline = back.next_deadline().unwrap();
    assert_eq!(deadline.kind, DeadlineKind::ConfirmationExpires);
    assert_eq!(deadline.at, plus(later, days(30)));
    assert_eq!(
        refused(
            &back,
            SYSTEM,
            OrderAction::ApplyDeadline,
            plus(later, days(1))
        ),
        "order.deadline_not_due"
    );
}

#[test]
fn a_refunded_deposit_cancels_the_unshipped_order() {
    let now = plus(t0(), days(5));
    let o = ordered(deposit_terms());
    let (id, begin) = pay(DEPOSIT);
    let deposit_paid = ok(&ok(&o, BUYER, begin, now), SYSTEM, succeeded(id), now);
    let d = ok(&deposit_paid, BUYER, file(DEPOSIT), now);
    let d = ok(&d, SUPPLIER, propose(DEPOSIT), now);
    let settled = ok(&d, BUYER, dispute(DisputeAction::AcceptProposal), now);
    assert_eq!(settled.status, OrderStatus::Cancelled);
    assert_eq!(settled.refunded_minor, DEPOSIT);
}
