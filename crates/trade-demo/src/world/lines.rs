//! The scenes' scripted chat, as data: who writes each line, when (minutes before the
//! world's now), and its text, with `{name}` filled from the scene (`WorldBuilder::vars`
//! and what the scene adds: `reference`, `po`, `pi`, `ship_by`, `smaller`, `more`).
//! A scene writes a table with `WorldBuilder::chat`, between its order steps.

use trade_model::order::Party::{self, Buyer, Supplier};

use super::{DAY, HOUR, MINUTE};

/// One chat line of a scene.
pub(super) struct Line {
    pub by: Party,
    /// Minutes before the world's now.
    pub at: i64,
    pub text: &'static str,
}

const fn line(by: Party, at: i64, text: &'static str) -> Line {
    Line { by, at, text }
}

/// `completed`, after the buyer confirmed receipt and left feedback.
pub(super) const FEEDBACK_LEFT: &[Line] = &[
    line(
        Buyer,
        4 * DAY - 40 * MINUTE,
        "Goods received in good condition, thank you! I left feedback on the order.",
    ),
    line(
        Supplier,
        3 * DAY,
        "Thank you for the feedback, {buyer}! Looking forward to your next order.",
    ),
];

/// `disputed`, after the buyer filed the dispute.
pub(super) const DISPUTE_FILED: &[Line] = &[line(
    Buyer,
    2 * DAY - 5 * MINUTE,
    "We found damaged goods in the shipment and opened a dispute with our inspection report. Please have a look.",
)];

/// `disputed`, after the supplier proposed a partial refund.
pub(super) const REFUND_PROPOSED: &[Line] = &[line(
    Supplier,
    DAY - 5 * MINUTE,
    "Dear {buyer}, we checked your report and proposed a partial refund in the dispute. Please let us know.",
)];

/// `shipped_after_transfer`, after the buyer began the transfer.
pub(super) const TRANSFER_SENT: &[Line] = &[
    line(
        Buyer,
        17 * DAY - 10 * MINUTE,
        "We sent the transfer to the Trade Center account today, reference {reference}.",
    ),
    line(
        Supplier,
        17 * DAY - 2 * HOUR,
        "Thank you! We will ship as soon as Trade Center confirms the funds.",
    ),
];

/// `deposit_paid`, after the deposit arrived.
pub(super) const DEPOSIT_RECEIVED: &[Line] = &[line(
    Supplier,
    10 * DAY - 2 * HOUR,
    "Deposit received, thank you. Production has started; the balance is due before shipment.",
)];

/// `paid_awaiting_shipment`, after the card payment.
pub(super) const PAYMENT_RECEIVED: &[Line] = &[line(
    Supplier,
    9 * DAY - 3 * HOUR,
    "Payment received. Your goods are scheduled for production and will ship before {ship_by}.",
)];

/// `cancelled`: the buyer's request to modify the order (its note, and the same words in
/// the chat just after).
pub(super) const REDUCE_QUANTITY: &str =
    "Please reduce the quantity to {smaller} {unit}; our customer postponed the promotion.";
pub(super) const REDUCTION_ASKED: &[Line] = &[line(Buyer, 9 * DAY - 5 * MINUTE, REDUCE_QUANTITY)];

/// `cancelled`, after the supplier cancelled.
pub(super) const CANCELLED: &[Line] = &[line(
    Supplier,
    8 * DAY - 5 * MINUTE,
    "Sorry, at half the quantity we cannot hold the price, so we cancelled the order. Happy to quote again for the next season.",
)];

/// `ordered_from_buyer_contract`, after the order was made from the contract.
pub(super) const CONTRACT_UPLOADED: &[Line] = &[line(
    Buyer,
    3 * DAY - 5 * MINUTE,
    "I uploaded our purchase contract {po} to the order. Please confirm.",
)];

/// `ordered_from_buyer_contract`, after the supplier confirmed.
pub(super) const CONTRACT_CONFIRMED: &[Line] = &[line(
    Supplier,
    2 * DAY - 5 * MINUTE,
    "Contract checked and the order is confirmed. We start as soon as the payment arrives.",
)];

/// `transfer_processing`, after the buyer began the transfer.
pub(super) const TRANSFER_UNDER_WAY: &[Line] = &[
    line(
        Buyer,
        DAY - 5 * MINUTE,
        "Transfer sent this morning with reference {reference}.",
    ),
    line(
        Supplier,
        DAY - 2 * HOUR,
        "Thank you. Bank transfers take a few working days; we will prepare the goods meanwhile.",
    ),
];

/// `waiting_for_supplier`, after the supplier placed the order.
pub(super) const PLACED_FOR_THE_BUYER: &[Line] = &[line(
    Supplier,
    4 * DAY - 5 * MINUTE,
    "I placed the order for you in Trade Center as discussed. Please check and confirm.",
)];

/// `waiting_for_supplier`, after the buyer changed the quantity.
pub(super) const QUANTITY_CHANGED: &[Line] = &[
    line(
        Buyer,
        2 * DAY - 5 * MINUTE,
        "I changed the quantity to {more} {unit} in the order. Please confirm.",
    ),
    line(
        Supplier,
        2 * DAY - HOUR,
        "Received, thank you. We are checking the material for the extra quantity and will confirm shortly.",
    ),
];

/// `waiting_for_buyer`, after the supplier placed the order from its pro forma invoice.
pub(super) const INVOICE_UPLOADED: &[Line] = &[line(
    Supplier,
    DAY - 5 * MINUTE,
    "Dear {buyer}, we uploaded our pro forma invoice {pi} for {qty} {unit} and placed the order. Please check and confirm.",
)];
