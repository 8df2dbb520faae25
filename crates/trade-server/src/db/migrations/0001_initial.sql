-- Accounts, inquiries and messages, documents, orders, payments, idempotency keys.
-- One dialect for SQLite and PostgreSQL: TEXT ids (UUIDv7), BIGINT unix milliseconds,
-- BIGINT 0/1 flags, JSON as TEXT.

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    supplier_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL
);
CREATE INDEX products_supplier ON products(supplier_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX access_tokens_family ON access_tokens(family_id);

CREATE TABLE inquiries (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES accounts(id),
    supplier_id TEXT NOT NULL REFERENCES accounts(id),
    product TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    last_message_preview TEXT NOT NULL,
    buyer_unread BIGINT NOT NULL DEFAULT 0,
    supplier_unread BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX inquiries_buyer ON inquiries(buyer_id, last_message_at, id);
CREATE INDEX inquiries_supplier ON inquiries(supplier_id, last_message_at, id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries(id),
    sender_id TEXT NOT NULL REFERENCES accounts(id),
    body TEXT NOT NULL,
    attachments TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX messages_inquiry ON messages(inquiry_id, sent_at, id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES accounts(id),
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);

-- grantee: an account id, or `role:operator` for the platform's dispute team.
CREATE TABLE document_access (
    document_id TEXT NOT NULL REFERENCES documents(id),
    grantee TEXT NOT NULL,
    PRIMARY KEY (document_id, grantee)
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES accounts(id),
    supplier_id TEXT NOT NULL REFERENCES accounts(id),
    status TEXT NOT NULL,
    buyer_box TEXT NOT NULL,
    supplier_box TEXT NOT NULL,
    version BIGINT NOT NULL,
    next_deadline_at BIGINT,
    deadline_automatic BIGINT NOT NULL,
    has_dispute BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX orders_buyer ON orders(buyer_id, buyer_box, updated_at);
CREATE INDEX orders_supplier ON orders(supplier_id, supplier_box, updated_at);
CREATE INDEX orders_deadline ON orders(deadline_automatic, next_deadline_at);

CREATE TABLE order_events (
    order_id TEXT NOT NULL REFERENCES orders(id),
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (order_id, version)
);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    buyer_id TEXT NOT NULL REFERENCES accounts(id),
    installment BIGINT NOT NULL,
    installment_kind TEXT NOT NULL,
    method TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    fee_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reference TEXT UNIQUE,
    card_last4 TEXT,
    held_for_review BIGINT NOT NULL,
    failure TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payments_order ON payments(order_id, created_at);

CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    response_status BIGINT,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
