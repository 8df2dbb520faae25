-- Sync (design §4). Every change to a record in an account's scope bumps that account's
-- version (one row per account, locked by the writing transaction until it commits, so
-- an account's versions become visible in order) and upserts the record's row in
-- sync_changes with that version. A pull reads sync_changes after a cursor.

CREATE TABLE account_versions (
    account_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE sync_changes (
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    removed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, kind, record_id)
);
CREATE INDEX sync_changes_feed ON sync_changes(account_id, version, kind, record_id);

-- Results of pushed mutations, keyed by the client's mutation id (at most once).
CREATE TABLE sync_mutations (
    account_id TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, mutation_id)
);
CREATE INDEX sync_mutations_age ON sync_mutations(created_at);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
