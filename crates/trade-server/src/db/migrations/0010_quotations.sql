-- Structured quotations (issue 17). A quotation is sent in an inquiry by its supplier and
-- shows in the thread as a message that refers to it (messages.quotation_id); `doc` is
-- the quotation as JSON (trade_model::quotation::Quotation), the columns what queries
-- filter on. Exchange rates: one dated table per day (base currency, rates as exact
-- decimals in JSON), published by the platform.
CREATE TABLE quotations (
    id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries(id),
    buyer_id TEXT NOT NULL REFERENCES accounts(id),
    supplier_id TEXT NOT NULL REFERENCES accounts(id),
    message_id TEXT NOT NULL REFERENCES messages(id),
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX quotations_inquiry ON quotations(inquiry_id, created_at, id);

ALTER TABLE messages ADD COLUMN quotation_id TEXT;

-- rate_date: an ISO date (YYYY-MM-DD), so text order is date order.
CREATE TABLE exchange_rates (
    rate_date TEXT PRIMARY KEY,
    base TEXT NOT NULL,
    rates TEXT NOT NULL,
    published_at BIGINT NOT NULL
);
