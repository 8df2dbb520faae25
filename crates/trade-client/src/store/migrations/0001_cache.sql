-- The local cache of one account on one server, the outbox of its queued actions, and
-- its drafts. Records are kept as the server's JSON (`data`) next to the columns that
-- queries sort and filter on.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE inquiries (
    id TEXT PRIMARY KEY,
    last_message_at INTEGER NOT NULL,
    unread INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX inquiries_recent ON inquiries(last_message_at DESC, id DESC);
CREATE INDEX inquiries_unread ON inquiries(last_message_at DESC, id DESC) WHERE unread > 0;

-- state: synced (from the server), pending (queued here), failed (refused by the server)
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX messages_thread ON messages(inquiry_id, sent_at, id);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    box TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    next_deadline_at INTEGER,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX orders_box ON orders(box, updated_at DESC, id DESC);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX payments_order ON payments(order_id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
) STRICT;

-- Queued local actions, sent in `seq` order. status: queued | failed (refused, kept with
-- its reason until the user retries or discards it). `undo` restores the optimistic
-- effect when the server refuses.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    mutation TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    undo TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;

-- Full-text search over messages, inquiries and orders.
CREATE VIRTUAL TABLE search USING fts5(
    kind UNINDEXED,
    record_id UNINDEXED,
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
