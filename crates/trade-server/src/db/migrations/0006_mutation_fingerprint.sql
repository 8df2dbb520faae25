-- What a pushed mutation was (SHA-256 of its operation), so the same id sent again with
-- another operation is refused instead of answered with the first one's result. NULL
-- for mutations recorded before: those replay as before.
ALTER TABLE sync_mutations ADD COLUMN fingerprint TEXT;
