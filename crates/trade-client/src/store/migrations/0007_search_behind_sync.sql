-- The full-text index keeps no copy of the text (the records hold it; hits are cut from
-- them), its rows are numbered densely with higher meaning newer, and it is built behind
-- a first sync instead of inside it (store/search.rs). The old index is dropped; the
-- backlog indexes every record again, newest first: in a cache filled from the feed,
-- the newest records have the highest rowids, so it goes down (a walk sets `up`).
DROP TABLE search;
DROP TABLE search_rows;
CREATE VIRTUAL TABLE search USING fts5(
    title,
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- kind: 1 inquiry, 2 message, 3 order; record: the record's rowid in its table.
CREATE TABLE search_rows (
    rowid INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    record INTEGER NOT NULL,
    UNIQUE (kind, record)
) STRICT;
DELETE FROM meta WHERE key LIKE 'search_mark:%';
INSERT INTO meta (key, value) VALUES ('search_backlog', 'down')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
