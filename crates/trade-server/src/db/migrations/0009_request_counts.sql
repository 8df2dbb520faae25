-- Requests counted against the request budgets (`throttle`), when the counts are shared
-- by every instance (PostgreSQL; on SQLite one instance keeps them in memory). Each
-- instance adds its counts about once a second. `key` is the SHA-256 of what is limited
-- (an account, a client IP); `slot` the Unix second the requests came in; `count` how
-- many came then, over every instance. Rows older than the window are deleted.
CREATE TABLE request_counts (
    key TEXT NOT NULL,
    slot BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (key, slot)
);
CREATE INDEX request_counts_slot ON request_counts(slot);
