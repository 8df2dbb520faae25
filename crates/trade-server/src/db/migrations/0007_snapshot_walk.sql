-- A first sync walks an account's records kind by kind, most recently changed first
-- (GET /v1/sync/snapshot): one range of this index per kind.
CREATE INDEX sync_changes_snapshot ON sync_changes(account_id, kind, version, record_id);
