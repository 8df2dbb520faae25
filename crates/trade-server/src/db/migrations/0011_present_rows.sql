-- How many records a first sync holds (the estimate on its first snapshot page), counted
-- on this index alone: `removed` was only in the table, so counting an account's present
-- rows read every one of them (about 4 s for the first page of a 1.1 M-record account,
-- before anything could show).
CREATE INDEX sync_changes_present ON sync_changes(account_id, removed, version);
