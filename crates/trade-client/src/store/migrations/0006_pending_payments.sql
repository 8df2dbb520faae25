-- Pay Now calls whose final answer has not arrived yet, each with the idempotency key
-- every retry reuses (also after a restart). `request` is the exact body sent, kept for
-- transfers only so they can be sent again: card details are never written to disk, so
-- a card call keeps its method and amount and is settled from synced payments instead.
-- `payment_id` is set once the server has named the payment (e.g. "still processing").
CREATE TABLE pending_payments (
    idem_key TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    method TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    request TEXT,
    payment_id TEXT,
    created_at INTEGER NOT NULL,
    CHECK (request IS NULL OR method = 'telegraphic_transfer')
) STRICT;
CREATE INDEX pending_payments_order ON pending_payments(order_id, created_at);
