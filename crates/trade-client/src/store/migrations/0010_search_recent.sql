-- The newest part of the full-text index once more, in an index of its own (see
-- store/search.rs): a word found in most records is answered from the newest rows alone,
-- where a prefix term over the whole index reads every matching row before it can stop.
-- It holds exactly the index rows above meta `search_recent_floor`. In a cache indexed
-- already it starts empty, with the floor at the top, and the search indexer extends it
-- downwards in steps; in a new cache every row written later lands in it.
CREATE VIRTUAL TABLE search_recent USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO meta (key, value)
    SELECT 'search_recent_floor', CAST(coalesce(max(rowid), 0) AS TEXT) FROM search_rows WHERE true
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
