-- Each feed row of a message or an inquiry keeps the record as its account saw it when
-- the row was written (the JSON a pull hands out), so a page of a first sync is one range
-- scan of the feed instead of a lookup per record (store/sync.rs, `STORED_KINDS`). NULL:
-- a kind read at pull time, a tombstone, or a row from before this migration (read at
-- pull time until its record next changes).
ALTER TABLE sync_changes ADD COLUMN payload TEXT;
